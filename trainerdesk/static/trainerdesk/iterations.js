// The Model page's headline chart: the error rate of each loop iteration with its
// bootstrap interval. Chart.js (vendored) reads the numbers from the json_script element
// the server rendered (no inline script under the CSP).
(function () {
  "use strict";
  function draw() {
    if (typeof window.Chart === "undefined") return;
    var source = document.getElementById("iterations-data");
    var canvas = document.getElementById("iterations-chart");
    if (!source || !canvas) return;
    var d = JSON.parse(source.textContent);
    var c = new window.Chart(canvas, {
      type: "line",
      data: {
        labels: d.labels,
        datasets: [
          { label: "error rate", data: d.error, borderColor: "#d8703b", pointRadius: 5 },
          { label: "95% interval (high)", data: d.high, borderColor: "#e8b89b", borderDash: [4, 4], pointRadius: 0, fill: false },
          { label: "95% interval (low)", data: d.low, borderColor: "#e8b89b", borderDash: [4, 4], pointRadius: 0, fill: false },
        ],
      },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { suggestedMin: 0 } } },
    });
    canvas.dataset.rendered = String(c.data.datasets[0].data.length);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
