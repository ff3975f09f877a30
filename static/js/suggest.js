// One tap adds a suggested dish or drink to its list, separated the way staff write (、).
document.querySelectorAll("[data-suggest]").forEach(function (field) {
  var template = document.getElementById("suggestions-" + field.dataset.suggest);
  if (!template || !template.content.children.length) return;
  var box = document.createElement("div");
  box.className = "mb-3 suggestions";
  box.dataset.testid = "suggestions-" + field.dataset.suggest;
  box.appendChild(template.content.cloneNode(true));
  field.closest(".mb-3").after(box);
  box.addEventListener("click", function (event) {
    var button = event.target.closest(".suggest");
    if (!button) return;
    var items = field.value.split(/[、，,;；\n]+/).map(function (s) { return s.trim(); }).filter(Boolean);
    if (items.indexOf(button.dataset.value) === -1) items.push(button.dataset.value);
    field.value = items.join("、");
    button.classList.replace("btn-outline-secondary", "btn-secondary");
  });
});
