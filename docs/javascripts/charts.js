// Draw every chart on the page with vega-embed (bundled locally, see gen/pages/site.py) from its spec file.
// Material's instant navigation swaps pages without a reload, so charts are drawn on every document$ emission.
(function () {
  function draw(figure) {
    var chart = figure.querySelector(".vl-chart");
    var target = figure.querySelector(".vl-target");
    if (!chart || !target || figure.dataset.drawn) return;
    figure.dataset.drawn = "pending";
    fetch(new URL(chart.dataset.spec, document.baseURI))
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + response.url);
        return response.json();
      })
      .then(function (spec) { return vegaEmbed(target, spec, { actions: false, renderer: "svg" }); })
      .then(function () { figure.dataset.drawn = "yes"; })
      .catch(function (error) { figure.dataset.drawn = "failed"; console.error("chart failed:", error); });
  }
  document$.subscribe(function () {
    document.querySelectorAll(".vl-figure").forEach(draw);
  });
})();
