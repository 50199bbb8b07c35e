// Cockpit: the map (the city's districts, or one district zoomed to its own polygon) with the point layers
// the server lists (legend and toggles), top categories, 30-day trend, and the live feed over server-sent
// events. Tiles, charts and layers refresh without a reload: shortly after each feed item, and every 30 s.
// Everything it loads is scoped server-side.
(function () {
  let data = JSON.parse(document.getElementById("summary-data").textContent);
  const zh = document.documentElement.lang !== "en";
  const unitId = data.unit.id;
  const layers = data.layers || [];
  window.cityops = { charts: {}, refreshes: 0, layerCounts: {} };

  function chart(id) {
    const el = document.getElementById(id);
    if (!el || !window.echarts) return null;
    const c = echarts.init(el, "dark", { renderer: "canvas" });
    window.cityops.charts[id] = c;
    window.addEventListener("resize", () => c.resize());
    return c;
  }

  function choropleth(features) {
    const values = {};
    data.children.forEach((c) => { values[c.id] = c; });
    return features.map((f) => {
      const c = values[f.properties.id] || { open: data.unit.level === "district" ? data.tiles.open : 0, overdue: 0 };
      return { name: f.properties.name, value: c.open, overdue: c.overdue, unitId: f.properties.id };
    });
  }

  async function layerSeries() {
    const out = [];
    for (const layer of layers) {
      const res = await fetch(layer.url, { credentials: "same-origin" });
      const geo = res.ok ? await res.json() : { features: [] };
      const points = geo.features.map((f) => ({ name: f.properties.name, value: f.geometry.coordinates,
                                                url: f.properties.url }));
      window.cityops.layerCounts[layer.key] = points.length;
      const count = document.querySelector(`#layers [data-layer="${layer.key}"] .count`);
      if (count) count.textContent = `(${points.length})`;
      out.push({ id: "layer-" + layer.key, name: layer.name, type: "scatter", coordinateSystem: "geo",
                 geoIndex: 0, data: points, symbolSize: 10, zlevel: 2,
                 itemStyle: { color: layer.colour, borderColor: "#0b1526", borderWidth: 1 } });
    }
    return out;
  }

  let features = [];
  async function drawMap() {
    const el = document.getElementById("map");
    if (!el) return;
    const res = await fetch("/api/org/districts.geojson", { credentials: "same-origin" });
    const geo = await res.json();
    // A district's cockpit draws its own polygon only: the map fits (zooms to) that district.
    features = data.unit.level === "district"
      ? geo.features.filter((f) => f.properties.id === unitId) : geo.features;
    if (!features.length) { el.textContent = zh ? "暂无地图" : "No map"; return; }
    echarts.registerMap("unit-" + unitId, { type: "FeatureCollection", features: features });
    const series = choropleth(features);
    const max = Math.max(1, ...series.map((s) => s.value));
    const city = data.unit.level === "city";  // a district alone is one area: no colour scale, only its points
    const c = chart("map");
    c.setOption({
      backgroundColor: "transparent",
      tooltip: { formatter: (p) => p.seriesType === "scatter" ? `${p.seriesName}<br>${p.name}`
        : `${p.name}<br>${zh ? "在办" : "open"} ${p.value || 0} · ${zh ? "超期" : "overdue"} ${(p.data && p.data.overdue) || 0}` },
      legend: { data: layers.map((l) => l.name), top: 6, right: 10, textStyle: { color: "#dbe7ff" } },
      visualMap: { show: city, min: 0, max: city ? max : Number.MAX_SAFE_INTEGER, left: 10, bottom: 10, seriesIndex: 0,
                   text: [zh ? "多" : "high", zh ? "少" : "low"], textStyle: { color: "#dbe7ff" },
                   inRange: { color: city ? ["#17365c", "#2f7fd1", "#ffb84d", "#ff5d5d"] : ["#1d3b63", "#1d3b63"] } },
      geo: { map: "unit-" + unitId, roam: true, label: { show: city, color: "#dbe7ff", fontSize: 10 },
             itemStyle: { areaColor: "#1d3b63", borderColor: "#3aa0ff" }, emphasis: { itemStyle: { areaColor: "#27507f" } } },
      series: [{ id: "areas", type: "map", geoIndex: 0, data: series, name: "open" }],
    });
    c.setOption({ series: await layerSeries() });
    c.on("click", (p) => {
      if (p.seriesType === "scatter") { if (p.data && p.data.url) window.location.href = p.data.url; return; }
      const id = p.data && p.data.unitId;
      if (id && id !== unitId) window.location.href = "/cockpit/" + id;
    });
    c.on("legendselectchanged", (e) => {
      layers.forEach((l) => {
        const box = document.querySelector(`#layers input[value="${l.key}"]`);
        if (box) box.checked = e.selected[l.name] !== false;
      });
    });
    document.querySelectorAll("#layers input").forEach((box) => box.addEventListener("change", () => {
      const layer = layers.find((l) => l.key === box.value);
      c.dispatchAction({ type: box.checked ? "legendSelect" : "legendUnSelect", name: layer.name });
    }));
    window.cityops.mapReady = true;
  }

  function drawCategories() {
    const c = window.cityops.charts.cats || chart("cats");
    if (!c) return;
    const rows = data.top_categories.slice().reverse();
    c.setOption({ backgroundColor: "transparent", grid: { left: 90, right: 20, top: 10, bottom: 20 },
      xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: rows.map((r) => r.name) },
      series: [{ type: "bar", data: rows.map((r) => r.count), itemStyle: { color: "#3aa0ff" } }] });
  }

  function drawTrend() {
    const c = window.cityops.charts.trend || chart("trend");
    if (!c) return;
    c.setOption({ backgroundColor: "transparent", tooltip: { trigger: "axis" },
      legend: { data: [zh ? "受理" : "received", zh ? "办结" : "closed"], textStyle: { color: "#dbe7ff" } },
      grid: { left: 40, right: 20, top: 30, bottom: 30 },
      xAxis: { type: "category", data: data.trend.map((r) => r.day.slice(5)) }, yAxis: { type: "value", minInterval: 1 },
      series: [{ name: zh ? "受理" : "received", type: "line", smooth: true, data: data.trend.map((r) => r.received) },
               { name: zh ? "办结" : "closed", type: "line", smooth: true, data: data.trend.map((r) => r.closed) }] });
  }

  function drawTiles() {
    data.tile_list.forEach((t) => {
      const el = document.querySelector(`[data-kpi="${t.key}"]`);
      if (!el) return;
      el.querySelector(".value").textContent = t.display;
      el.classList.toggle("alert", t.alert);
    });
  }

  async function refresh() {
    const res = await fetch(`/cockpit/${unitId}/summary.json`, { credentials: "same-origin" });
    if (!res.ok) return;
    const fresh = await res.json();
    data = Object.assign(data, fresh);
    drawTiles();
    drawCategories();
    drawTrend();
    const stamp = document.getElementById("updated-at");
    if (stamp) stamp.textContent = fresh.updated_at_local;
    const map = window.cityops.charts.map;
    if (map && features.length) {
      map.setOption({ series: [{ id: "areas", data: choropleth(features) }, ...(await layerSeries())] });
    }
    window.cityops.refreshes += 1;
  }

  let pending = null;
  function soon() {  // a burst of feed items causes one refresh
    if (pending) return;
    pending = setTimeout(() => { pending = null; refresh(); }, 1500);
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
      const time = document.createElement("time");
      time.textContent = item.at_local;  // China time, as the panel's heading says
      li.append(time, ` ${label} `, a, ` ${item.title}`);
      feed.prepend(li);
      while (feed.children.length > 50) feed.lastChild.remove();
      soon();
    });
    window.cityops.feed = source;
  }

  document.addEventListener("DOMContentLoaded", () => {
    drawCategories();
    drawTrend();
    drawMap();
    live();
    setInterval(refresh, 30000);
  });
})();
