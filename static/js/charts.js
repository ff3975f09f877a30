// Draws each <canvas data-chart="id"> from the JSON the page put in <script id="id">.
(function () {
  var palette = ["#0d6efd", "#198754", "#b8860b", "#dc3545", "#6f42c1", "#20c997", "#fd7e14", "#6c757d", "#0dcaf0"];
  // Money as the pages show it (guests/templatetags/money.py): ¥1,888.00, whatever the browser's language.
  var yuan = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  function money(value) { return (value < 0 ? "-¥" : "¥") + yuan.format(Math.abs(value)); }
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
    var datasets = spec.datasets.map(function (set, index) {
      var colour = set.color || palette[index % palette.length];
      return { label: set.label, data: set.data, backgroundColor: colour, borderColor: colour };
    });
    var valueAxis = { stacked: !!spec.stacked, beginAtZero: true };
    var labelAxis = { stacked: !!spec.stacked };
    var tooltip = {};
    if (spec.money) {
      valueAxis.ticks = { callback: function (value) { return money(value); } };
      tooltip.callbacks = { label: function (item) { return (item.dataset.label ? item.dataset.label + ": " : "") + money(item.raw); } };
    }
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: datasets.length > 1 }, tooltip: tooltip },
        scales: spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis }
      }
    });
  });
})();
