// The progress page's throughput chart: Chart.js (vendored) reads the numbers from the
// json_script element the server rendered (no inline script under the CSP).
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("throughput-chart");
    var source = document.getElementById("throughput-data");
    if (!canvas || !source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: "Answers", data: data.counts, backgroundColor: "#3b6fd8" }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } },
      },
    });
    canvas.dataset.rendered = String(chart.data.datasets[0].data.length);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
