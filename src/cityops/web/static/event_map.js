// The event page's map: the outline of the event's district and a pin at its coordinates, drawn with the
// same ECharts build as the cockpit (no tiles from outside). Redrawn after an htmx swap of the detail.
(function () {
  const zh = document.documentElement.lang !== "en";

  function draw() {
    const el = document.getElementById("event-map");
    const src = document.getElementById("event-map-data");
    if (!el || !src || !window.echarts) return;
    const data = JSON.parse(src.textContent);
    const old = echarts.getInstanceByDom(el);
    if (old) old.dispose();
    if (!data.geo.features.length && !data.point) { el.textContent = zh ? "暂无地图" : "No map"; return; }
    echarts.registerMap("event-district", data.geo);
    const chart = echarts.init(el, "dark", { renderer: "canvas" });
    const option = {
      backgroundColor: "transparent",
      geo: { map: "event-district", roam: true, label: { show: true, color: "#7f93b5" },
             itemStyle: { areaColor: "#17365c", borderColor: "#3aa0ff" } },
      series: [{ type: "scatter", coordinateSystem: "geo", symbol: "pin", symbolSize: 36,
                 itemStyle: { color: "#ff5d5d" }, label: { show: true, formatter: data.ref, position: "top" },
                 data: data.point ? [{ name: data.ref, value: data.point }] : [] }],
    };
    if (data.track && data.track.length > 1) {  // the positions a violation carries (muck trucks)
      option.series.push({ type: "lines", coordinateSystem: "geo", polyline: true, name: "track",
                           lineStyle: { color: "#ffb020", width: 3 }, data: [{ coords: data.track }] });
      option.series.push({ type: "scatter", coordinateSystem: "geo", symbolSize: 4, name: "fixes",
                           itemStyle: { color: "#ffd27a" }, data: data.track.map((p) => ({ value: p })) });
    }
    if (data.point) { option.geo.center = data.point; option.geo.zoom = data.track && data.track.length > 1 ? 40 : 4; }
    chart.setOption(option);
    window.addEventListener("resize", () => chart.resize());
    window.cityops = Object.assign(window.cityops || {}, { eventMap: chart, eventMapReady: true,
                                                          eventTrack: (data.track || []).length });
  }

  // A refused action (403/409/422) comes back as the detail with its explanation: show it (htmx by default
  // drops 4xx bodies, and the page's CSP forbids hx-on's inline handlers).
  document.addEventListener("htmx:beforeSwap", (e) => {
    if ([403, 409, 422].includes(e.detail.xhr.status)) { e.detail.shouldSwap = true; e.detail.isError = false; }
  });
  document.addEventListener("DOMContentLoaded", draw);
  document.body.addEventListener("htmx:afterSwap", draw);
})();
