// Fill the longitude/latitude fields from the phone's position when the worker asks for it.
document.addEventListener("click", (ev) => {
  const button = ev.target.closest("[data-locate]");
  if (!button || !navigator.geolocation) return;
  const form = button.closest("form");
  navigator.geolocation.getCurrentPosition((pos) => {
    form.querySelector("[data-geo=lon]").value = pos.coords.longitude.toFixed(6);
    form.querySelector("[data-geo=lat]").value = pos.coords.latitude.toFixed(6);
    button.dataset.located = "1";
  }, () => { button.dataset.located = "0"; }, { enableHighAccuracy: true, timeout: 10000 });
});
