// RFM segments and lifecycle stages per store: stacked bars drawn from the
// json_script data (no inline script under the CSP).
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var palette = ["#0d6efd", "#198754", "#ffc107", "#dc3545", "#6f42c1", "#20c997", "#fd7e14", "#6c757d", "#0dcaf0"];

  function stacked(labels, stores, rows) {
    // one dataset per segment/stage, one bar per store
    var datasets = labels.map(function (label, i) {
      return { label: label, backgroundColor: palette[i % palette.length], data: rows.map(function (row) { return row[i]; }) };
    });
    return {
      type: "bar",
      data: { labels: stores, datasets: datasets },
      options: {
        responsive: true,
        plugins: { legend: { position: "bottom" } },
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
      }
    };
  }

  function draw() {
    document.querySelectorAll("canvas[data-segments-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-source"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var kind = canvas.getAttribute("data-segments-chart");
      var config = kind === "rfm"
        ? stacked(data.rfm_labels, data.stores, data.rfm)
        : stacked(data.life_labels, data.stores, data.lifecycle);
      new Chart(canvas, config);
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
