// Draw every chart on the page with vega-embed (bundled locally, see gen/pages/site.py).
// Material's instant navigation swaps pages without a reload, so charts are drawn on every document$ emission.
(function () {
  function draw(figure) {
    var target = figure.querySelector(".vl-target");
    var specNode = figure.querySelector("script.vl-spec");
    if (!target || !specNode || figure.dataset.drawn) return;
    figure.dataset.drawn = "pending";
    var spec = JSON.parse(specNode.textContent);
    vegaEmbed(target, spec, { actions: false, renderer: "svg" })
      .then(function () { figure.dataset.drawn = "yes"; })
      .catch(function (error) { figure.dataset.drawn = "failed"; console.error("chart failed:", error); });
  }
  document$.subscribe(function () {
    document.querySelectorAll(".vl-chart").forEach(draw);
  });
})();
