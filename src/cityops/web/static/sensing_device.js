// A device's rollups over the chosen range: mean as a line, min–max as a band (times in China time).
(function () {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const el = document.getElementById("device-chart");
  const china = (iso) => new Date(new Date(iso).getTime() + 8 * 3600 * 1000).toISOString().slice(5, 16).replace("T", " ");
  window.cityops = Object.assign(window.cityops || {}, { deviceChart: { points: data.series.length, range: data.range } });
  if (!window.echarts || !el) return;
  const chart = echarts.init(el);
  const x = data.series.map((p) => china(p.t));
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { data: data.labels, textStyle: { color: "#dbe7ff" } },
    xAxis: { type: "category", data: x },
    yAxis: { type: "value", name: data.unit, scale: true },
    series: [
      { name: data.labels[0], type: "line", showSymbol: false, data: data.series.map((p) => p.mean) },
      { name: data.labels[1], type: "line", showSymbol: false, lineStyle: { opacity: 0.4 }, data: data.series.map((p) => p.min) },
      { name: data.labels[2], type: "line", showSymbol: false, lineStyle: { opacity: 0.4 }, data: data.series.map((p) => p.max) },
    ],
  });
  window.cityops.deviceChart.rendered = chart.getOption().series[0].data.length;
  window.addEventListener("resize", () => chart.resize());
})();
