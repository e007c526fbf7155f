// Accessibility fixes to Material's own markup (the header persists across instant navigation: run once).
(function () {
  // The search overlay is a dialog, and a dialog needs a name.
  var search = document.querySelector(".md-search[role=dialog]");
  if (search && !search.hasAttribute("aria-label")) search.setAttribute("aria-label", "Search");
})();
