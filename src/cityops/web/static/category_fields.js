// Report forms: show the fields of the category chosen (a report of 拖欠工资 asks for the amount owed) and
// enable only that group, so only its fields are sent.
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("form select[name=category]")) {
    const groups = select.form.querySelectorAll("fieldset.category-fields");
    if (!groups.length) continue;
    const show = () => groups.forEach((g) => {
      const on = g.dataset.category === select.value;
      g.hidden = !on;
      g.disabled = !on;
    });
    select.addEventListener("change", show);
    show();
  }
});
