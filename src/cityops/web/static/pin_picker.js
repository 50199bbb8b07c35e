// The citizen's pin picker: Chongqing's district outlines drawn with ECharts (no outside tiles); a tap sets
// the hidden lon/lat fields and drops a pin. "Use my position" fills them from the browser's geolocation.
(function () {
  const lon = document.querySelector("[name=lon]");
  const lat = document.querySelector("[name=lat]");
  const text = document.getElementById("pin-text");
  const el = document.getElementById("pin-map");
  let chart = null;

  function setPin(x, y) {
    lon.value = x === null ? "" : x.toFixed(6);
    lat.value = y === null ? "" : y.toFixed(6);
    text.textContent = x === null ? "尚未在地图上选位置" : `已选位置：${lon.value}, ${lat.value}`;
    if (chart) chart.setOption({ series: [{ data: x === null ? [] : [[x, y]] }] });
  }

  document.getElementById("locate").onclick = () => navigator.geolocation &&
    navigator.geolocation.getCurrentPosition((p) => setPin(p.coords.longitude, p.coords.latitude));
  document.getElementById("clear-pin").onclick = () => setPin(null, null);
  document.getElementById("photo").onchange = (e) => { const f = e.target.files[0]; if (!f) return;
    document.querySelector("[name=photo_name]").value = f.name; document.querySelector("[name=photo_size]").value = f.size; };

  async function draw() {
    if (!el || !window.echarts) return;
    const geo = await (await fetch("/public/districts.geojson")).json();
    if (!geo.features.length) { el.textContent = "暂无地图，请填写地址"; return; }
    echarts.registerMap("cq-public", geo);
    chart = echarts.init(el);
    const start = lon.value && lat.value ? [[parseFloat(lon.value), parseFloat(lat.value)]] : [];
    chart.setOption({
      geo: { map: "cq-public", roam: true, label: { show: false }, itemStyle: { areaColor: "#eef2f8", borderColor: "#98a2b3" },
             emphasis: { label: { show: true }, itemStyle: { areaColor: "#fde2e4" } } },
      series: [{ type: "scatter", coordinateSystem: "geo", symbol: "pin", symbolSize: 34, itemStyle: { color: "#c8102e" }, data: start }],
    });
    // A tap anywhere (inside or outside Chongqing) becomes the pin; the server refuses a place outside.
    chart.getZr().on("click", (e) => {
      const p = chart.convertFromPixel({ geoIndex: 0 }, [e.offsetX, e.offsetY]);
      if (p) setPin(p[0], p[1]);
    });
    window.addEventListener("resize", () => chart.resize());
    window.cityopsPicker = { chart: chart, ready: true };
  }
  draw();
})();
