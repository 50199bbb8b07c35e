// Indicator trend: values, and the target as a second line (dashed), per period. Closed-loop rates are
// fractions on the server and drawn as percentages; counts are whole numbers.
document.addEventListener("DOMContentLoaded", () => {
  const d = JSON.parse(document.getElementById("indicator-data").textContent);
  const el = document.getElementById("trend");
  if (!el || !window.echarts) return;
  const chart = echarts.init(el, "dark");
  const scale = d.fraction ? 100 : 1;
  const shown = (v) => (v === null || v === undefined ? null : Math.round(v * scale * 100) / 100);
  const periods = d.history.map((v) => v.period);
  chart.setOption({
    backgroundColor: "transparent", tooltip: { trigger: "axis", valueFormatter: (v) => (v === null ? "—" : `${v}${d.unit}`) },
    legend: { data: ["实际 actual", "目标 target"], textStyle: { color: "#dbe7ff" } },
    grid: { left: 50, right: 30, top: 40, bottom: 30 },
    xAxis: { type: "category", data: periods },
    yAxis: { type: "value", name: d.unit, scale: true, minInterval: d.unit === "件" || d.unit === "个" ? 1 : 0 },
    series: [
      { name: "实际 actual", type: "line", data: d.history.map((v) => shown(v.value)), symbolSize: 8,
        itemStyle: { color: "#3aa0ff" } },
      { name: "目标 target", type: "line", data: d.history.map((v) => shown(v.target)), lineStyle: { type: "dashed" },
        itemStyle: { color: "#ffb84d" }, connectNulls: true },
    ],
  });
  window.cityops = { indicatorChart: chart, ready: true };
  window.addEventListener("resize", () => chart.resize());
});
