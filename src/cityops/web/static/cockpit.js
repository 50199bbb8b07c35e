// Cockpit: ECharts map (choropleth of open events by district; click to drill down), top categories,
// 30-day trend, and the live feed over server-sent events. Everything it loads is scoped server-side.
(function () {
  const data = JSON.parse(document.getElementById("summary-data").textContent);
  const zh = document.documentElement.lang !== "en";
  const unitId = data.unit.id;
  window.cityops = { charts: {} };

  function chart(id) {
    const el = document.getElementById(id);
    if (!el || !window.echarts) return null;
    const c = echarts.init(el, "dark", { renderer: "canvas" });
    window.cityops.charts[id] = c;
    window.addEventListener("resize", () => c.resize());
    return c;
  }

  async function drawMap() {
    const el = document.getElementById("map");
    if (!el) return;
    const res = await fetch("/api/org/districts.geojson", { credentials: "same-origin" });
    const geo = await res.json();
    if (!geo.features || !geo.features.length) { el.textContent = zh ? "暂无地图" : "No map"; return; }
    echarts.registerMap("cq", geo);
    const byName = {};
    geo.features.forEach((f) => { byName[f.properties.name] = f.properties.id; });
    const values = {};
    data.children.forEach((c) => { values[c.name] = c; });
    const series = geo.features.map((f) => {
      const c = values[f.properties.name] || { open: 0, overdue: 0 };
      return { name: f.properties.name, value: c.open, overdue: c.overdue, unitId: f.properties.id };
    });
    const max = Math.max(1, ...series.map((s) => s.value));
    const c = chart("map");
    c.setOption({
      backgroundColor: "transparent",
      tooltip: { formatter: (p) => `${p.name}<br>${zh ? "在办" : "open"} ${p.value || 0} · ${zh ? "超期" : "overdue"} ${(p.data && p.data.overdue) || 0}` },
      visualMap: { min: 0, max: max, left: 10, bottom: 10, text: [zh ? "多" : "high", zh ? "少" : "low"],
                   inRange: { color: ["#17365c", "#2f7fd1", "#ffb84d", "#ff5d5d"] }, textStyle: { color: "#dbe7ff" } },
      geo: { map: "cq", roam: true, label: { show: data.unit.level === "city", color: "#dbe7ff", fontSize: 10 },
             itemStyle: { borderColor: "#0b1526" }, emphasis: { itemStyle: { areaColor: "#3aa0ff" } } },
      series: [{ type: "map", geoIndex: 0, data: series, name: "open" }],
    });
    c.on("click", (p) => {
      const id = (p.data && p.data.unitId) || byName[p.name];
      if (id && id !== unitId) window.location.href = "/cockpit/" + id;
    });
    window.cityops.mapReady = true;
  }

  function drawCategories() {
    const c = chart("cats");
    if (!c) return;
    const rows = data.top_categories.slice().reverse();
    c.setOption({ backgroundColor: "transparent", grid: { left: 90, right: 20, top: 10, bottom: 20 },
      xAxis: { type: "value" }, yAxis: { type: "category", data: rows.map((r) => r.name) },
      series: [{ type: "bar", data: rows.map((r) => r.count), itemStyle: { color: "#3aa0ff" } }] });
  }

  function drawTrend() {
    const c = chart("trend");
    if (!c) return;
    c.setOption({ backgroundColor: "transparent", tooltip: { trigger: "axis" },
      legend: { data: [zh ? "受理" : "received", zh ? "办结" : "closed"], textStyle: { color: "#dbe7ff" } },
      grid: { left: 40, right: 20, top: 30, bottom: 30 },
      xAxis: { type: "category", data: data.trend.map((r) => r.day.slice(5)) }, yAxis: { type: "value" },
      series: [{ name: zh ? "受理" : "received", type: "line", smooth: true, data: data.trend.map((r) => r.received) },
               { name: zh ? "办结" : "closed", type: "line", smooth: true, data: data.trend.map((r) => r.closed) }] });
  }

  const labels = { receive: ["新事件", "New"], overdue: ["超期督办", "Overdue"], escalate: ["升级", "Escalated"],
                   return: ["退单", "Returned"], close: ["办结", "Closed"], supervise: ["督办", "Supervised"],
                   alarm: ["告警", "Alarm"] };

  function live() {
    const feed = document.getElementById("feed");
    const dot = document.getElementById("live-dot");
    const source = new EventSource(`/cockpit/${unitId}/stream`);
    source.onopen = () => dot.classList.add("on");
    source.onerror = () => dot.classList.remove("on");
    source.addEventListener("feed", (msg) => {
      const item = JSON.parse(msg.data);
      const li = document.createElement("li");
      li.className = "new" + (item.action === "overdue" ? " alert" : "");
      li.dataset.eventId = item.event_id;
      const a = document.createElement("a");
      a.href = "/events/" + item.event_id;
      a.textContent = item.ref;
      const label = labels[item.action] ? labels[item.action][zh ? 0 : 1] : item.action;
      li.append(`${item.at.slice(11, 16)} ${label} `, a, ` ${item.title}`);
      feed.prepend(li);
      while (feed.children.length > 50) feed.lastChild.remove();
    });
    window.cityops.feed = source;
  }

  document.addEventListener("DOMContentLoaded", () => {
    drawCategories();
    drawTrend();
    drawMap();
    live();
  });
})();
