// Draw every chart on the page with vega-embed (bundled locally, see gen/pages/site.py) from its spec file.
// Material's instant navigation swaps pages without a reload, so charts are drawn on every document$ emission.
// Charts follow Material's light/dark toggle: a change of body[data-md-color-scheme] redraws them in place.
(function () {
  var charts = [];  // {figure, url, spec, view, holder, busy} for every chart drawn or being drawn

  function scheme() {
    return document.body.getAttribute("data-md-color-scheme") === "slate" ? "dark" : "light";
  }

  function options(chart, theme) {
    // Data files (large charts) are named relative to the spec file, not to the page.
    var base = { actions: false, renderer: "svg", loader: { baseURL: new URL(".", chart.url).href } };
    if (theme === "dark") {
      // The page's own background shows through, so chart and page colours match in both schemes.
      base.theme = "dark";
      base.config = { background: "transparent" };
      base.tooltip = { theme: "dark" };
    }
    return base;
  }

  function render(chart) {
    var theme = scheme();
    chart.busy = true;
    // Keep the figure's height while redrawing, so switching schemes does not make the page jump.
    chart.holder.style.minHeight = chart.holder.offsetHeight + "px";
    if (chart.view) chart.view.finalize();
    chart.holder.textContent = "";
    return vegaEmbed(chart.holder, chart.spec, options(chart, theme)).then(function (result) {
      // Vega labels each mark container as a graphic; an empty one (a layer with nothing to draw, such as
      // intervals over single runs) has no name and nothing to say, so assistive technology skips it.
      chart.holder.querySelectorAll("g.role-mark:empty").forEach(function (group) {
        group.setAttribute("aria-hidden", "true");
      });
      chart.view = result;
      chart.busy = false;
      chart.holder.style.minHeight = "";
      chart.figure.dataset.theme = theme;
      chart.figure.dataset.drawn = "yes";
      // The scheme changed while this chart was being drawn.
      if (scheme() !== theme) return render(chart);
    });
  }

  function draw(figure) {
    var element = figure.querySelector(".vl-chart");
    var target = figure.querySelector(".vl-target");
    if (!element || !target || figure.dataset.drawn) return;
    figure.dataset.drawn = "pending";
    var chart = { figure: figure, url: new URL(element.dataset.spec, document.baseURI).href, busy: true };
    // The static SVG, for print and for a chart that fails to draw: hidden otherwise, and lazy, so a screen
    // showing the drawn chart never fetches it (see extra.css). Without scripts, <noscript> shows it instead.
    var image = document.createElement("img");
    image.className = "vl-static";
    image.loading = "lazy";
    image.alt = element.getAttribute("aria-label");
    image.src = element.dataset.static;
    target.appendChild(image);
    // vega-embed fills an element of its own.
    chart.holder = document.createElement("div");
    chart.holder.className = "vl-view";
    target.appendChild(chart.holder);
    charts.push(chart);
    fetch(chart.url)
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + response.url);
        return response.json();
      })
      .then(function (spec) {
        chart.spec = spec;
        return render(chart);
      })
      .catch(function (error) {
        chart.busy = false;
        figure.dataset.drawn = "failed";
        console.error("chart failed:", error);
      });
  }

  function restyle() {
    var theme = scheme();
    charts.forEach(function (chart) {
      if (!chart.busy && chart.view && chart.figure.dataset.theme !== theme) render(chart);
    });
  }

  document$.subscribe(function () {
    // Views of pages left by instant navigation listen to window resizes until finalized.
    charts = charts.filter(function (chart) {
      if (chart.figure.isConnected) return true;
      if (chart.view) chart.view.finalize();
      return false;
    });
    document.querySelectorAll(".vl-figure").forEach(draw);
  });

  new MutationObserver(restyle).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });

  // Printing shows the static SVG images, which load lazily: fetch them all before the page is laid out for print.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll(".vl-static").forEach(function (image) { image.loading = "eager"; });
  });
})();
