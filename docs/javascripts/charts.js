// Draw every chart on the page with vega-embed (bundled locally, see gen/pages/site.py) from its spec file.
// Material's instant navigation swaps pages without a reload, so charts are drawn on every document$ emission.
// Charts follow Material's light/dark toggle: a change of body[data-md-color-scheme] redraws them in place, with
// axis, legend, header and title text in the page's own text colour.
// Charts fit the screen: single views fill their box (width "container"); faceted and concatenated charts, whose
// panels have a fixed width, get as many panels per row as fit and narrower panels when even one does not; on a
// narrow screen legends go below the plot. A chart is redrawn when the screen crosses one of these layouts.
(function () {
  var charts = [];  // {figure, url, spec, view, holder, busy, theme, layout} for every chart drawn or being drawn
  var NARROW = 600;  // below this box width (CSS px) legends go under the plot
  var LEGEND = 130;  // room a legend takes to the right of the plot
  var AXIS = 80;  // room for the y axis of a row of panels (labels and title)
  var MIN_PANEL = 150;  // narrowest panel of a faceted chart
  var GAP = 20;  // Vega-Lite's spacing between panels

  function scheme() {
    return document.body.getAttribute("data-md-color-scheme") === "slate" ? "dark" : "light";
  }

  // --- colours: the page's text colour over its background, made opaque, for every text and line of a chart ---

  function rgba(css) {
    var v = (css.match(/[\d.]+/g) || []).map(Number);
    return { r: v[0] || 0, g: v[1] || 0, b: v[2] || 0, a: v.length > 3 ? v[3] : 1 };
  }

  function mix(top, bottom, share) {
    function channel(a, b) { return Math.round(a * share + b * (1 - share)); }
    return "rgb(" + channel(top.r, bottom.r) + ", " + channel(top.g, bottom.g) + ", " + channel(top.b, bottom.b) + ")";
  }

  function background() {
    for (var e = document.querySelector(".md-content") || document.body; e; e = e.parentElement) {
      var c = rgba(getComputedStyle(e).backgroundColor);
      if (c.a > 0) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  }

  function colours() {
    var bg = background();
    var fg = rgba(getComputedStyle(document.querySelector(".md-typeset") || document.body).color);
    var text = mix(fg, bg, fg.a);
    var line = mix(fg, bg, fg.a * 0.5);
    var grid = mix(fg, bg, fg.a * 0.16);
    var label = { fill: text };
    return {
      background: "transparent",
      title: { color: text, subtitleColor: text },
      axis: { labelColor: text, titleColor: text, domainColor: line, tickColor: line, gridColor: grid },
      legend: { labelColor: text, titleColor: text },
      header: { labelColor: text, titleColor: text },
      view: { stroke: grid },
      text: { color: text },
      style: { "guide-label": label, "guide-title": label, "group-title": label, "group-subtitle": label }
    };
  }

  // --- layout: what fits the chart's box ---

  function copy(value) { return value === undefined ? value : JSON.parse(JSON.stringify(value)); }

  function merge(target, source) {
    Object.keys(source).forEach(function (key) {
      var value = source[key];
      if (value && typeof value === "object" && !Array.isArray(value)) {
        target[key] = merge(target[key] && typeof target[key] === "object" ? target[key] : {}, value);
      } else {
        target[key] = value;
      }
    });
    return target;
  }

  // The layout a box of this width gets: legends below or beside, panels per row, the widest panel.
  function layout(spec, width) {
    var narrow = width < NARROW;
    var room = Math.max(120, width - AXIS - (narrow ? 0 : LEGEND));
    // fixed: the panel width matters (panels reflowed or narrowed); charts that fill their box resize themselves.
    var result = { narrow: narrow, panel: room, columns: null, fixed: false };
    if (spec.facet && spec.columns && spec.spec && typeof spec.spec.width === "number") {
      var panel = spec.spec.width;
      // As many panels per row as the design has, down to one: each may shrink to three quarters of its design
      // (never below MIN_PANEL) to keep a row whole.
      var smallest = Math.max(MIN_PANEL, 0.75 * panel);
      for (var columns = spec.columns; columns >= 1; columns--) {
        var each = Math.floor((room + GAP) / columns - GAP);
        if (each >= smallest || columns === 1) break;
      }
      result.columns = columns;
      // One panel per row takes the whole row (never more than twice its design); several keep their design
      // width unless the row is too narrow for it.
      result.panel = columns === 1 ? Math.min(room, 2 * panel) : Math.min(panel, each);
      result.fixed = true;
    }
    ["vconcat", "concat"].forEach(function (list) {
      (spec[list] || []).forEach(function (view) {
        if (typeof view.width === "number" && view.width > result.panel) result.fixed = true;
      });
    });
    return result;
  }

  function box(chart) { return chart.holder.clientWidth || chart.figure.clientWidth; }

  function key(place) { return [place.narrow, place.columns, place.fixed ? place.panel : ""].join(" "); }

  function fitted(spec, place) {
    var out = {};
    Object.keys(spec).forEach(function (k) { out[k] = k === "datasets" ? spec[k] : copy(spec[k]); });
    out.config = merge(out.config || {}, colours());
    if (place.narrow) {
      // Under the plot, one legend below the other, each a row of up to three entries.
      var stack = { anchor: "start", direction: "vertical" };
      merge(out.config, { legend: { orient: "bottom", direction: "horizontal", columns: 3, layout: { bottom: stack } } });
    }
    if (place.columns !== null) {
      out.columns = place.columns;
      out.spec.width = place.panel;
    }
    ["vconcat", "concat"].forEach(function (list) {
      (out[list] || []).forEach(function (view) {
        if (typeof view.width === "number" && view.width > place.panel) view.width = place.panel;
      });
    });
    return out;
  }

  function options(chart, theme) {
    // Data files (large charts) are named relative to the spec file, not to the page.
    var base = { actions: false, renderer: "svg", loader: { baseURL: new URL(".", chart.url).href } };
    if (theme === "dark") base.tooltip = { theme: "dark" };
    return base;
  }

  function render(chart) {
    var theme = scheme();
    var place = layout(chart.spec, box(chart));
    chart.busy = true;
    // A redraw (new scheme or layout) goes into a hidden element beside the drawn chart, which stays on the page
    // until the new one is ready: the page does not jump, and the figure always shows a chart.
    var holder = chart.holder;
    if (chart.view) {
      holder = document.createElement("div");
      holder.className = "vl-view vl-next";
      chart.holder.parentNode.appendChild(holder);
    }
    return vegaEmbed(holder, fitted(chart.spec, place), options(chart, theme)).then(function (result) {
      // Vega labels each mark container as a graphic; an empty one (a layer with nothing to draw, such as
      // intervals over single runs) has no name and nothing to say, so assistive technology skips it.
      holder.querySelectorAll("g.role-mark:empty").forEach(function (group) {
        group.setAttribute("aria-hidden", "true");
      });
      if (holder !== chart.holder) {
        chart.view.finalize();
        chart.holder.remove();
        holder.classList.remove("vl-next");
        chart.holder = holder;
      }
      chart.view = result;
      chart.busy = false;
      chart.layout = key(place);
      chart.figure.dataset.theme = theme;
      chart.figure.dataset.drawn = "yes";
      // The scheme or the screen changed while this chart was being drawn.
      if (stale(chart)) return render(chart);
    }, function (error) {
      if (holder !== chart.holder) holder.remove();
      chart.busy = false;
      throw error;
    });
  }

  function stale(chart) {
    if (!chart.spec || !chart.holder.isConnected) return false;
    return chart.figure.dataset.theme !== scheme() || chart.layout !== key(layout(chart.spec, box(chart)));
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
    charts.forEach(function (chart) {
      if (!chart.busy && chart.view && stale(chart)) render(chart);
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

  // A new screen width may call for another layout (legend place, panels per row): redraw once resizing settles.
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(restyle, 150);
  });

  // Printing shows the static SVG images, which load lazily: fetch them all before the page is laid out for print.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll(".vl-static").forEach(function (image) { image.loading = "eager"; });
  });
})();
