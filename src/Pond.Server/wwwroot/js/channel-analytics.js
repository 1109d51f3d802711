// Draws the channel analytics page's daily chart (adds and deletions per day) with Apache ECharts.
// The page embeds the series as JSON in the chart element's data-series attribute.
(function () {
    "use strict";

    function draw() {
        var element = document.getElementById("analytics-chart");
        if (!element || !window.echarts || !element.dataset.series) return;
        var series = JSON.parse(element.dataset.series);
        var chart = window.echarts.init(element, null, { renderer: "canvas" });
        chart.setOption({
            animation: false,
            color: ["#1f7a6d", "#c2392b"],
            grid: { left: 40, right: 16, top: 36, bottom: 28 },
            legend: { top: 0, data: [series.names.adds, series.names.deletions] },
            tooltip: { trigger: "axis" },
            xAxis: { type: "category", data: series.days, axisTick: { alignWithLabel: true } },
            yAxis: { type: "value", minInterval: 1 },
            series: [
                { name: series.names.adds, type: "bar", data: series.adds, barMaxWidth: 18 },
                { name: series.names.deletions, type: "line", data: series.deletions, symbolSize: 5 }
            ]
        });
        element.setAttribute("data-rendered", "true");
        window.addEventListener("resize", function () { chart.resize(); });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", draw);
    } else {
        draw();
    }
})();
