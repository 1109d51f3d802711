// Draws the referral dashboard's charts with Apache ECharts: poster views, invitations and successes per day,
// and participants and successful invitations per generation. Each chart element carries its series as JSON in
// data-series; no inline handlers.
(function () {
    "use strict";

    function init(id, option) {
        var element = document.getElementById(id);
        if (!element || !window.echarts || !element.dataset.series) return;
        var chart = window.echarts.init(element, null, { renderer: "canvas" });
        chart.setOption(option(JSON.parse(element.dataset.series)));
        element.setAttribute("data-rendered", "true");
        window.addEventListener("resize", function () { chart.resize(); });
    }

    function draw() {
        init("referral-daily-chart", function (s) {
            return {
                animation: false,
                color: ["#8a94a6", "#2c55b0", "#1f7a6d"],
                grid: { left: 40, right: 16, top: 36, bottom: 28 },
                legend: { top: 0, data: [s.names.views, s.names.invitations, s.names.successes] },
                tooltip: { trigger: "axis" },
                xAxis: { type: "category", data: s.days, boundaryGap: false },
                yAxis: { type: "value", minInterval: 1 },
                series: [
                    { name: s.names.views, type: "line", data: s.views, symbolSize: 4, areaStyle: { opacity: 0.08 } },
                    { name: s.names.invitations, type: "line", data: s.invitations, symbolSize: 4 },
                    { name: s.names.successes, type: "line", data: s.successes, symbolSize: 4 }
                ]
            };
        });
        init("referral-generations-chart", function (s) {
            return {
                animation: false,
                color: ["#2c55b0", "#1f7a6d"],
                grid: { left: 40, right: 16, top: 36, bottom: 28 },
                legend: { top: 0, data: [s.names.participants, s.names.successful] },
                tooltip: { trigger: "axis" },
                xAxis: { type: "category", data: s.generations },
                yAxis: { type: "value", minInterval: 1 },
                series: [
                    { name: s.names.participants, type: "bar", data: s.participants, barMaxWidth: 28 },
                    { name: s.names.successful, type: "bar", data: s.successful, barMaxWidth: 28 }
                ]
            };
        });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", draw);
    } else {
        draw();
    }
})();
