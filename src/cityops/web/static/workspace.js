// Countdowns on staff pages ([data-due] elements), ticking from the server's clock (body[data-server-now])
// so a page shows the same time the server computed, in the page's language.
(function () {
  const serverNow = Date.parse(document.body.dataset.serverNow || "") || Date.now();
  const loaded = Date.now();
  const zh = document.documentElement.lang !== "en";

  function span(seconds) {
    const minutes = Math.floor(Math.abs(seconds) / 60);
    const d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    const mm = String(m).padStart(2, "0");
    if (zh) return d ? `${d}天${h}小时` : h ? `${h}小时${mm}分` : `${m}分钟`;
    return d ? `${d}d ${h}h` : h ? `${h}h ${mm}m` : `${m}m`;
  }

  function tick() {
    const now = serverNow + (Date.now() - loaded);
    document.querySelectorAll("[data-due]").forEach((el) => {
      const due = Date.parse(el.dataset.due);
      if (!due) return;
      const seconds = Math.trunc((due - now) / 1000);
      el.textContent = (seconds >= 0 ? (zh ? "剩余 " : "due in ") : (zh ? "已超期 " : "overdue by ")) + span(seconds);
      el.classList.toggle("late", seconds < 0);
      el.classList.toggle("soon", seconds >= 0 && seconds < 3600);
    });
  }
  tick();
  setInterval(tick, 15000);
})();
