// Draws an experiment's primary metric per variant (bars) with each variant's confidence interval (whiskers), with ECharts.
// The page embeds the series as JSON in the chart element's data-series attribute.
(function () {
    "use strict";

    function draw() {
        var element = document.getElementById("experiment-chart");
        if (!element || !window.echarts || !element.dataset.series) return;
        var s = JSON.parse(element.dataset.series);
        var chart = window.echarts.init(element, null, { renderer: "canvas" });
        var whiskers = s.names.map(function (_, i) { return [i, s.low[i], s.high[i]]; });
        chart.setOption({
            animation: false,
            color: ["#1f7a6d", "#333"],
            grid: { left: 56, right: 16, top: 36, bottom: 28 },
            legend: { top: 0, data: [s.label, s.ci] },
            tooltip: {
                trigger: "axis",
                formatter: function (items) {
                    var i = items[0].dataIndex;
                    return s.names[i] + "<br>" + s.label + ": " + fmt(s.values[i]) + "<br>" + s.ci + ": " + fmt(s.low[i]) + " – " + fmt(s.high[i]);
                }
            },
            xAxis: { type: "category", data: s.names },
            yAxis: { type: "value", scale: false, axisLabel: { formatter: function (v) { return fmt(v); } } },
            series: [
                { name: s.label, type: "bar", data: s.values, barMaxWidth: 56, itemStyle: { opacity: 0.85 } },
                {
                    name: s.ci, type: "custom", data: whiskers, z: 10,
                    renderItem: function (params, api) {
                        var x = api.value(0), low = api.coord([x, api.value(1)]), high = api.coord([x, api.value(2)]);
                        var half = api.size([1, 0])[0] * 0.12;
                        var style = { stroke: "#333", lineWidth: 1.5 };
                        return {
                            type: "group",
                            children: [
                                { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style: style },
                                { type: "line", shape: { x1: low[0] - half, y1: low[1], x2: low[0] + half, y2: low[1] }, style: style },
                                { type: "line", shape: { x1: high[0] - half, y1: high[1], x2: high[0] + half, y2: high[1] }, style: style }
                            ]
                        };
                    }
                }
            ]
        });
        function fmt(v) { return s.unit === "%" ? v.toFixed(2) + "%" : "¥" + v.toFixed(2); }
        element.setAttribute("data-rendered", "true");
        window.addEventListener("resize", function () { chart.resize(); });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", draw);
    } else {
        draw();
    }
})();
