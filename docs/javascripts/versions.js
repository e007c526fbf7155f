// Material's version selector lists versions in mike's order, which puts development versions (`dev`: names not
// starting with a digit or v + digit) above the releases. Readers come for the releases: list those first.
// Material renders the selector once per page load, after fetching versions.json; it persists across instant
// navigation.
(function () {
  // Material shows the selector only for versions published with mike (the build sets extra.version then).
  var config = document.getElementById("__config");
  var header = document.querySelector(".md-header");
  if (!config || !header || !JSON.parse(config.textContent).version) return;

  function isRelease(item) {
    var link = item.querySelector("a.md-version__link");
    var parts = link ? new URL(link.href).pathname.split("/").filter(Boolean) : [];
    return /^v?\d/.test(parts[parts.length - 1] || "");
  }

  // True once the list is there and in order.
  function order() {
    var list = header.querySelector(".md-version__list");
    if (!list) return false;
    var items = Array.prototype.slice.call(list.children);
    var sorted = items.filter(isRelease).concat(items.filter(function (item) { return !isRelease(item); }));
    if (sorted.some(function (item, i) { return item !== items[i]; })) {
      sorted.forEach(function (item) { list.appendChild(item); });
    }
    return true;
  }

  if (order()) return;
  var observer = new MutationObserver(function () {
    if (order()) observer.disconnect();
  });
  observer.observe(header, { childList: true, subtree: true });
})();
