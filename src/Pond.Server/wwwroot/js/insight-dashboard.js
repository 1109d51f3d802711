// Draws the operations dashboard's charts with Apache ECharts: adds and deletions per day with the day's GMV, and
// each factor's share of the GMV change. The page embeds the data as JSON in data-series and data-shares.
(function () {
    "use strict";

    function daily(element) {
        var s = JSON.parse(element.dataset.series);
        var chart = window.echarts.init(element, null, { renderer: "canvas" });
        chart.setOption({
            animation: false,
            color: ["#1f7a6d", "#c2392b", "#d08a1c"],
            grid: { left: 48, right: 64, top: 36, bottom: 28 },
            legend: { top: 0, data: [s.names.adds, s.names.deletions, s.names.gmv] },
            tooltip: { trigger: "axis" },
            xAxis: { type: "category", data: s.days, axisTick: { alignWithLabel: true } },
            yAxis: [
                { type: "value", minInterval: 1 },
                { type: "value", axisLabel: { formatter: "¥{value}" }, splitLine: { show: false } }
            ],
            series: [
                { name: s.names.adds, type: "bar", data: s.adds, barMaxWidth: 18 },
                { name: s.names.deletions, type: "bar", data: s.deletions, barMaxWidth: 18 },
                { name: s.names.gmv, type: "line", yAxisIndex: 1, data: s.gmv, symbolSize: 4 }
            ]
        });
        return chart;
    }

    function shares(element) {
        var s = JSON.parse(element.dataset.shares);
        var chart = window.echarts.init(element, null, { renderer: "canvas" });
        chart.setOption({
            animation: false,
            grid: { left: 150, right: 48, top: 8, bottom: 24 },
            tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
            xAxis: { type: "value", axisLabel: { formatter: "¥{value}" } },
            yAxis: { type: "category", data: s.labels, inverse: true },
            series: [{
                name: s.name, type: "bar", barMaxWidth: 16,
                data: s.values.map(function (v) { return { value: v, itemStyle: { color: v >= 0 ? "#1f7a6d" : "#c2392b" } }; }),
                label: { show: true, position: "right", formatter: function (p) { return (p.value >= 0 ? "+" : "") + p.value.toLocaleString(); } }
            }]
        });
        return chart;
    }

    function draw() {
        if (!window.echarts) return;
        var charts = [];
        var days = document.getElementById("dashboard-chart");
        if (days && days.dataset.series) { charts.push(daily(days)); days.setAttribute("data-rendered", "true"); }
        var split = document.getElementById("equation-chart");
        if (split && split.dataset.shares) { charts.push(shares(split)); split.setAttribute("data-rendered", "true"); }
        window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", draw);
    } else {
        draw();
    }
})();
