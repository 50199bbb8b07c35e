// The 渣土治理 map: the viewer's district outlines (as the cockpit draws them), each truck's track of the
// day as a line, licensed sites and violation pins; a pin opens its event. No tiles from outside.
(function () {
  const zh = document.documentElement.lang !== "en";

  async function draw() {
    const el = document.getElementById("muck-map");
    const src = document.getElementById("muck-map-data");
    if (!el || !src || !window.echarts) return;
    const data = JSON.parse(src.textContent);
    const res = await fetch("/api/org/districts.geojson", { credentials: "same-origin" });
    const geo = res.ok ? await res.json() : { type: "FeatureCollection", features: [] };
    echarts.registerMap("muck-districts", geo);
    const chart = echarts.init(el, "dark", { renderer: "canvas" });
    const focus = data.tracks.length ? data.tracks[0].points[0] : (data.sites.length ? data.sites[0].value : null);
    const option = {
      backgroundColor: "transparent",
      animation: false,  // the map is read, not watched: draw pins at once
      tooltip: { trigger: "item", formatter: (p) => p.seriesName + (p.name ? "：" + p.name : "") },
      geo: { map: "muck-districts", roam: true, label: { show: true, color: "#7f93b5" },
             itemStyle: { areaColor: "#17365c", borderColor: "#3aa0ff" } },
      series: [
        { id: "tracks", name: zh ? "轨迹" : "Track", type: "lines", coordinateSystem: "geo", polyline: true,
          lineStyle: { color: "#ffb020", width: 2, opacity: 0.9 },
          data: data.tracks.map((t) => ({ name: t.plate, coords: t.points })) },
        { id: "sites", name: zh ? "场地" : "Site", type: "scatter", coordinateSystem: "geo", symbolSize: 12,
          itemStyle: { color: (p) => (p.data.kind === "disposal" ? "#3ddc84" : "#5aa9ff") },
          data: data.sites.map((s) => ({ name: s.name, value: s.value, kind: s.kind })) },
        { id: "violations", name: zh ? "违规" : "Violation", type: "scatter", coordinateSystem: "geo",
          symbol: "pin", symbolSize: 30, itemStyle: { color: "#ff5d5d" },
          data: data.violations.map((v) => ({ name: v.name, value: v.value, event_id: v.event_id })) },
      ],
    };
    if (focus) { option.geo.center = focus; option.geo.zoom = 12; }
    chart.setOption(option);
    chart.on("click", (p) => { if (p.seriesId === "violations" && p.data.event_id) window.location = "/events/" + p.data.event_id; });
    window.addEventListener("resize", () => chart.resize());
    window.cityops = Object.assign(window.cityops || {}, {
      muckMap: chart, muckMapReady: true, muckTracks: data.tracks.length, muckViolations: data.violations.length,
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
