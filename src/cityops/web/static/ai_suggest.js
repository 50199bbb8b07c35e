// The citizen form: a tap on a suggested category selects it in the category list (suggestions arrive by htmx).
document.addEventListener("click", (e) => {
  const chip = e.target.closest("[data-suggest-code]");
  if (!chip) return;
  const select = document.querySelector("#report-form select[name=category]");
  if (select) { select.value = chip.dataset.suggestCode; select.dispatchEvent(new Event("change")); }
  chip.closest(".ai-suggest").querySelectorAll(".chip").forEach((c) => c.classList.toggle("chosen", c === chip));
});
