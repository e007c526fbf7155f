// Sortable tables with tablesort (bundled in vendor/), initialised on every page Material's instant navigation
// shows, as Material's documentation recommends.
(function () {
  // Numeric columns (th[data-sort-method="value"], see gen/pages/render.py) sort by each cell's data-sort
  // number, else by the leading number of its text; missing values (—) count as lower than any number.
  function number(text) {
    var value = parseFloat(String(text).replace(/,/g, ""));
    return isNaN(value) ? -Infinity : value;
  }

  Tablesort.extend(
    "value",
    function () { return false; },  // only for columns that ask for it
    function (a, b) {
      var x = number(a), y = number(b);
      return x === y ? 0 : (y > x ? 1 : -1);  // tablesort's convention: descending
    }
  );

  document$.subscribe(function () {
    document.querySelectorAll("article table:not([class])").forEach(function (table) {
      new Tablesort(table);
      // Material's scroll box around a wide table: reachable and scrollable with the keyboard, and named.
      var box = table.closest(".md-typeset__scrollwrap");
      if (box && table.caption) {
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", table.caption.textContent);
      }
    });
  });
})();
