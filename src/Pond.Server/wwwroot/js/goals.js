// Draws the goal page's charts with Apache ECharts: the pool at each month end (target, actual, forecast) and GMV per
// month (target and actual bars, forecast line). The page embeds each series as JSON in the chart's data-series.
(function () {
    "use strict";

    function chart(id, build) {
        var element = document.getElementById(id);
        if (!element || !window.echarts || !element.dataset.series) return;
        var series = JSON.parse(element.dataset.series);
        var instance = window.echarts.init(element, null, { renderer: "canvas" });
        instance.setOption(build(series));
        element.setAttribute("data-rendered", "true");
        window.addEventListener("resize", function () { instance.resize(); });
    }

    function base(series) {
        return {
            animation: false,
            color: ["#9aa5b1", "#1f7a6d", "#d98c2b"],
            grid: { left: 64, right: 16, top: 36, bottom: 28 },
            legend: { top: 0, data: [series.names.target, series.names.actual, series.names.forecast] },
            tooltip: { trigger: "axis" },
            xAxis: { type: "category", data: series.months, axisTick: { alignWithLabel: true } },
            yAxis: { type: "value" }
        };
    }

    function draw() {
        chart("goal-pool-chart", function (s) {
            var option = base(s);
            var forecast = s.forecast.slice();
            // Join the forecast to the last month that is over, so the dashed line continues the actual one.
            if (s.joinAt) forecast[s.joinAt - 1] = s.actual[s.joinAt - 1];
            option.series = [
                { name: s.names.target, type: "line", data: s.target, symbolSize: 4, lineStyle: { width: 2 } },
                { name: s.names.actual, type: "line", data: s.actual, symbolSize: 6, lineStyle: { width: 3 } },
                { name: s.names.forecast, type: "line", data: forecast, symbolSize: 4, lineStyle: { type: "dashed", width: 2 } }
            ];
            return option;
        });
        chart("goal-gmv-chart", function (s) {
            var option = base(s);
            option.series = [
                { name: s.names.target, type: "bar", data: s.target, barMaxWidth: 14 },
                { name: s.names.actual, type: "bar", data: s.actual, barMaxWidth: 14 },
                { name: s.names.forecast, type: "line", data: s.forecast, symbolSize: 4, lineStyle: { type: "dashed", width: 2 } }
            ];
            return option;
        });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", draw);
    } else {
        draw();
    }
})();
