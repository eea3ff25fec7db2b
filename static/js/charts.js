// DealerOps charts: every <canvas data-chart="kind" data-source="id"> is drawn
// from the JSON the server put in <script type="application/json" id="id">
// (json_script), so no inline script is needed under the CSP.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var palette = ["#0d6efd", "#198754", "#ffc107", "#dc3545", "#6f42c1", "#20c997", "#fd7e14", "#6c757d", "#0dcaf0"];

  var builders = {
    funnel: function (data) {
      return {
        type: "bar",
        data: { labels: data.funnel.labels, datasets: [{ label: data.funnel.title, data: data.funnel.values, backgroundColor: palette[0] }] },
        options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
      };
    },
    cost: function (data) {
      return {
        type: "bar",
        data: {
          labels: data.cost.labels,
          datasets: [
            { label: data.cost.cpl_label, data: data.cost.cpl, backgroundColor: palette[1] },
            { label: data.cost.cpql_label, data: data.cost.cpql, backgroundColor: palette[2] }
          ]
        },
        options: { scales: { y: { beginAtZero: true } } }
      };
    },
    // Mall report: net cash (left axis) and net points (right axis) per day / per store.
    mall_daily: function (data) {
      return {
        type: "line",
        data: {
          labels: data.daily.labels,
          datasets: [
            { label: data.daily.cash_label, data: data.daily.cash, borderColor: palette[0], backgroundColor: palette[0], yAxisID: "y", tension: 0.2 },
            { label: data.daily.points_label, data: data.daily.points, borderColor: palette[2], backgroundColor: palette[2], yAxisID: "y1", tension: 0.2 }
          ]
        },
        options: {
          interaction: { mode: "index", intersect: false },
          scales: { y: { beginAtZero: true, position: "left" }, y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, ticks: { precision: 0 } } }
        }
      };
    },
    mall_stores: function (data) {
      return {
        type: "bar",
        data: {
          labels: data.stores.labels,
          datasets: [
            { label: data.stores.cash_label, data: data.stores.cash, backgroundColor: palette[0], yAxisID: "y" },
            { label: data.stores.points_label, data: data.stores.points, backgroundColor: palette[2], yAxisID: "y1" }
          ]
        },
        options: { scales: { y: { beginAtZero: true, position: "left" }, y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, ticks: { precision: 0 } } } }
      };
    },
    mall_pay: function (data) {
      return {
        type: "doughnut",
        data: { labels: data.pay.labels, datasets: [{ data: data.pay.values, backgroundColor: palette }] },
        options: { plugins: { legend: { position: "bottom" } } }
      };
    },
    // Insurance report: renewal rate by month, this year and the same month last year (%).
    insurance_renewal: function (data) {
      return {
        type: "line",
        data: {
          labels: data.renewal.labels,
          datasets: [
            { label: data.renewal.rate_label, data: data.renewal.rate, borderColor: palette[0], backgroundColor: palette[0], tension: 0.2, spanGaps: true },
            { label: data.renewal.last_rate_label, data: data.renewal.last_rate, borderColor: palette[7], backgroundColor: palette[7], borderDash: [4, 4], tension: 0.2, spanGaps: true }
          ]
        },
        options: { interaction: { mode: "index", intersect: false }, scales: { y: { beginAtZero: true, max: 100 } } }
      };
    },
    insurance_premium: function (data) {
      return {
        type: "doughnut",
        data: { labels: data.premium.labels, datasets: [{ label: data.premium.label, data: data.premium.values, backgroundColor: palette }] },
        options: { plugins: { legend: { position: "bottom" } } }
      };
    },
    insurance_pipeline: function (data) {
      return {
        type: "bar",
        data: { labels: data.pipeline.labels, datasets: [{ label: data.pipeline.label, data: data.pipeline.values, backgroundColor: palette[0] }] },
        options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
      };
    },
    insurance_lost: function (data) {
      return {
        type: "doughnut",
        data: { labels: data.lost.labels, datasets: [{ label: data.lost.label, data: data.lost.values, backgroundColor: palette }] },
        options: { plugins: { legend: { position: "bottom" } } }
      };
    },
    defeats: function (data) {
      return {
        type: "doughnut",
        data: { labels: data.defeats.labels, datasets: [{ data: data.defeats.values, backgroundColor: palette }] },
        options: { plugins: { legend: { position: "bottom" } } }
      };
    }
  };

  function draw() {
    var cache = {};
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var sourceId = canvas.getAttribute("data-source");
      var build = builders[canvas.getAttribute("data-chart")];
      var source = document.getElementById(sourceId);
      if (!build || !source) { return; }
      if (!cache[sourceId]) { cache[sourceId] = JSON.parse(source.textContent); }
      new Chart(canvas, build(cache[sourceId]));
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
