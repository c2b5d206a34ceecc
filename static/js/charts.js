// Draws the figures of templates/reports/_chart.html with plotly.js. A static file, because
// the CSP allows no inline script. The tables are the default: they stay when plotly.js is
// missing or a figure fails, so every number is readable without this file.
//
// Each figure carries data-chart-ready once settled: "chart" when drawn, "table" when the
// table stays (no plotly.js, nothing to draw, or an error).
(() => {
  "use strict";

  // plotly.js injects its stylesheet into a <style> element when it loads, which a strict
  // style-src refuses. When it finds this marker it skips that; css/charts.css carries the
  // rules instead. Only effective when this file runs before plotly.min.js; pages may also
  // put the id and class on the charts.css <link> themselves.
  if (!document.getElementById("plotly.js-style-global")) {
    const marker = document.createElement("meta");
    marker.id = "plotly.js-style-global";
    marker.className = "no-inline-styles";
    document.head.appendChild(marker);
  }

  const CONFIG = { displaylogo: false, responsive: true, displayModeBar: false };
  const NARROW = 480; // px of plot width below which layout.meta.narrow applies by default
  const figures = new Map(); // figure element -> { fig, narrow }

  function parts(figure) {
    return {
      source: document.getElementById(`fig-${figure.dataset.chart}`),
      plot: figure.querySelector(".rc-chart-plot"),
      table: figure.querySelector(".rc-chart-table"),
      toggle: figure.querySelector(".rc-chart-toggle"),
    };
  }

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function merge(base, patch) {
    const result = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      result[key] = isObject(value) && isObject(base[key]) ? merge(base[key], value) : value;
    }
    return result;
  }

  // A fresh copy of the figure's layout (plotly.js writes into what it is given), with its
  // narrow-screen patch (layout.meta.narrow) applied when the plot is narrow.
  function layoutFor(fig, narrow) {
    const layout = structuredClone(fig.layout || {});
    const patch = layout.meta && layout.meta.narrow;
    return narrow && isObject(patch) ? merge(layout, patch) : layout;
  }

  // A figure may set its own breakpoint in layout.meta.narrow_below (px).
  function isNarrow(plot, fig) {
    const meta = (fig.layout && fig.layout.meta) || {};
    const below = typeof meta.narrow_below === "number" ? meta.narrow_below : NARROW;
    return plot.clientWidth > 0 && plot.clientWidth < below;
  }

  // Redraw when the plot crossed the narrow breakpoint, else just fit the new size.
  function fit(figure) {
    const state = figures.get(figure);
    const { plot } = parts(figure);
    if (!state || plot.hidden) {
      return;
    }
    const narrow = isNarrow(plot, state.fig);
    if (narrow !== state.narrow) {
      state.narrow = narrow;
      window.Plotly.react(plot, structuredClone(state.fig.data), layoutFor(state.fig, narrow), CONFIG);
    } else {
      window.Plotly.Plots.resize(plot);
    }
  }

  // Show the chart (true) or the table (false); the toggle names what it will show next.
  function show(figure, asChart) {
    const { plot, table, toggle } = parts(figure);
    plot.hidden = !asChart;
    table.hidden = asChart;
    toggle.textContent = asChart ? toggle.dataset.labelTable : toggle.dataset.labelChart;
    toggle.setAttribute("aria-expanded", String(!asChart));
    figure.dataset.chartView = asChart ? "chart" : "table";
    if (asChart) {
      fit(figure); // the window may have changed size while the plot was hidden
    }
  }

  function keepTable(figure) {
    figure.dataset.chartReady = "table";
    return Promise.resolve();
  }

  // A heatmap names each cell's row and column in its hover from two short lists
  // (layout.meta.cell_names) rather than the page carrying one pair per cell.
  function withCellNames(fig) {
    const names = fig.layout && fig.layout.meta && fig.layout.meta.cell_names;
    if (!isObject(names) || !Array.isArray(names.rows) || !Array.isArray(names.columns)) {
      return fig;
    }
    const pairs = names.rows.map((row) => names.columns.map((column) => [row, column]));
    for (const trace of fig.data) {
      if (trace.hovertemplate && trace.customdata === undefined) {
        trace.customdata = pairs;
      }
    }
    return fig;
  }

  function draw(figure) {
    const { source, plot, table, toggle } = parts(figure);
    if (!source || !plot || !table || !toggle || typeof window.Plotly === "undefined") {
      return keepTable(figure);
    }
    let fig;
    try {
      fig = JSON.parse(source.textContent);
    } catch (error) {
      return keepTable(figure);
    }
    if (!Array.isArray(fig.data) || fig.data.length === 0) {
      return keepTable(figure);
    }
    fig = withCellNames(fig);
    plot.hidden = false; // plotly measures the width of a visible container
    const narrow = isNarrow(plot, fig);
    return Promise.resolve()
      .then(() => window.Plotly.newPlot(plot, structuredClone(fig.data), layoutFor(fig, narrow), CONFIG))
      .then(() => {
        figures.set(figure, { fig, narrow });
        toggle.hidden = false;
        show(figure, true);
        figure.dataset.chartReady = "chart";
      })
      .catch((error) => {
        plot.hidden = true;
        table.hidden = false;
        figure.dataset.chartReady = "table";
        console.warn("Chart could not be drawn; showing its table.", error);
      });
  }

  document.addEventListener("click", (event) => {
    const toggle = event.target.closest(".rc-chart-toggle");
    const figure = toggle && toggle.closest(".rc-chart");
    if (figure && figure.dataset.chartReady === "chart") {
      show(figure, figure.dataset.chartView !== "chart");
    }
  });

  let resizing = 0;
  window.addEventListener("resize", () => {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(() => figures.forEach((_, figure) => fit(figure)), 150);
  });

  function drawAll() {
    document.querySelectorAll("figure.rc-chart[data-chart]:not([data-chart-ready])").forEach(draw);
  }

  // Deferred scripts run while readyState is already "interactive", before plotly.min.js may
  // have run, so wait for DOMContentLoaded unless the page has finished loading.
  if (document.readyState === "complete") {
    drawAll();
  } else {
    document.addEventListener("DOMContentLoaded", drawAll);
  }
})();
