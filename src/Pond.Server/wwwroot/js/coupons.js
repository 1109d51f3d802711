// Draws a coupon template's daily chart (issued and redeemed bars, GMV line) with Apache ECharts.
// The page embeds the data as JSON in data-daily; no inline handlers.
(function () {
    "use strict";

    function draw() {
        var element = document.getElementById("coupon-daily");
        if (!window.echarts || !element || !element.dataset.daily) return;
        var data = JSON.parse(element.dataset.daily);
        var chart = window.echarts.init(element, null, { renderer: "canvas" });
        chart.setOption({
            animation: false,
            grid: { left: 48, right: 64, top: 36, bottom: 28 },
            legend: { top: 0 },
            tooltip: { trigger: "axis" },
            xAxis: { type: "category", data: data.days },
            yAxis: [
                { type: "value", minInterval: 1 },
                { type: "value", axisLabel: { formatter: "¥{value}" }, splitLine: { show: false } }
            ],
            series: [
                { name: data.names.issued, type: "bar", data: data.issued, itemStyle: { color: "#9aa5b1" }, barMaxWidth: 14 },
                { name: data.names.redeemed, type: "bar", data: data.redeemed, itemStyle: { color: "#1f7a6d" }, barMaxWidth: 14 },
                { name: data.names.gmv, type: "line", yAxisIndex: 1, data: data.gmv, itemStyle: { color: "#e0a100" }, symbolSize: 4 }
            ]
        });
        element.setAttribute("data-rendered", "true");
        window.addEventListener("resize", function () { chart.resize(); });
    }

    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
    else draw();
})();
