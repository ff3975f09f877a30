// Behaviour the templates ask for with data attributes: the Content-Security-Policy allows no
// inline script, style="…" or onclick=, so it lives here.
(function () {
  document.addEventListener("change", function (event) {
    var field = event.target;
    // <select data-autosubmit>: choosing an option sends its form (the language switcher).
    if (field.matches("[data-autosubmit]")) field.form.submit();
    // <input type="checkbox" data-select-all="selector">: ticks or clears every box it names.
    if (field.matches("[data-select-all]")) {
      document.querySelectorAll(field.dataset.selectAll).forEach(function (box) {
        box.checked = field.checked;
      });
    }
  });

  // <input data-enter-looks-up>: Enter looks the number up (htmx "lookup") instead of sending the form.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key === "Enter" && field.matches && field.matches("[data-enter-looks-up]")) {
      event.preventDefault();
      if (window.htmx) window.htmx.trigger(field, "lookup");
    }
  });

  // <div class="progress-bar" data-progress="42">: the bar's width, set through the CSSOM,
  // on the first load and on every piece htmx swaps in (the progress polls every second).
  function showProgress(root) {
    var bars = Array.prototype.slice.call(root.querySelectorAll("[data-progress]"));
    if (root.matches && root.matches("[data-progress]")) bars.push(root);
    bars.forEach(function (bar) {
      bar.style.width = Math.max(0, Math.min(100, Number(bar.dataset.progress) || 0)) + "%";
    });
  }
  if (window.htmx) window.htmx.onLoad(showProgress);
  else showProgress(document);
})();
