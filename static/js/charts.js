// Draws each <canvas data-chart="id"> from the JSON the page put in <script id="id">.
(function () {
  var palette = ["#0d6efd", "#198754", "#b8860b", "#dc3545", "#6f42c1", "#20c997", "#fd7e14", "#6c757d", "#0dcaf0"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
    var datasets = spec.datasets.map(function (set, index) {
      var colour = set.color || palette[index % palette.length];
      return { label: set.label, data: set.data, backgroundColor: colour, borderColor: colour };
    });
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: datasets.length > 1 } },
        scales: { x: { stacked: !!spec.stacked }, y: { stacked: !!spec.stacked, beginAtZero: true } }
      }
    });
  });
})();
