// The quality page's and scorecard's charts: Chart.js (vendored) reads the numbers from the
// json_script element the server rendered (no inline script under the CSP).
(function () {
  "use strict";
  function chart(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    config.options = Object.assign({ animation: false, maintainAspectRatio: false }, config.options || {});
    var c = new window.Chart(canvas, config);
    canvas.dataset.rendered = String(c.data.datasets[0].data.length);
  }
  function draw() {
    if (typeof window.Chart === "undefined") return;
    var q = document.getElementById("quality-data");
    if (q) {
      var d = JSON.parse(q.textContent);
      chart("label-chart", {
        type: "bar",
        data: { labels: d.labels.names, datasets: [{ label: "alpha (label vs rest)", data: d.labels.alpha, backgroundColor: "#3b6fd8" }] },
        options: { scales: { y: { suggestedMin: 0, suggestedMax: 1 } } },
      });
      chart("weekly-chart", {
        type: "line",
        data: {
          labels: d.weeks.labels,
          datasets: [
            { label: "agreement with majority", data: d.weeks.agreement, borderColor: "#3b6fd8", pointRadius: 4, spanGaps: true },
            { label: "accuracy on reference items", data: d.weeks.accuracy, borderColor: "#d8703b", pointRadius: 4, spanGaps: true },
          ],
        },
        options: { scales: { y: { min: 0, max: 1 } } },
      });
    }
    var s = document.getElementById("scorecard-data");
    if (s) {
      var t = JSON.parse(s.textContent);
      chart("trend-chart", {
        type: "bar",
        data: {
          labels: t.labels,
          datasets: [
            { type: "bar", label: "done", data: t.done, backgroundColor: "#3b6fd8", yAxisID: "y" },
            { type: "line", label: "agreement with majority", data: t.agreement, borderColor: "#d8703b", yAxisID: "y1", spanGaps: true },
          ],
        },
        options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, y1: { position: "right", min: 0, max: 1 } } },
      });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
