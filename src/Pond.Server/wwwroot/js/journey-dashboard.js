// The journey dashboard's charts (Apache ECharts): its messages by state and the suppressed ones by reason. Each chart
// element carries { labels, values } as JSON in data-series; no inline handlers. The graph is journey-graph.js's.
(function () {
    "use strict";

    function bar(id, color) {
        var element = document.getElementById(id);
        if (!element || !window.echarts || !element.dataset.series) return;
        var s = JSON.parse(element.dataset.series);
        var chart = window.echarts.init(element, null, { renderer: "canvas" });
        chart.setOption({
            animation: false,
            color: [color],
            grid: { left: 110, right: 24, top: 10, bottom: 24 },
            tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
            xAxis: { type: "value", minInterval: 1 },
            yAxis: { type: "category", data: s.labels, inverse: true },
            series: [{ type: "bar", data: s.values, barMaxWidth: 22, label: { show: true, position: "right" } }]
        });
        element.setAttribute("data-rendered", "true");
        window.addEventListener("resize", function () { chart.resize(); });
    }

    function draw() {
        bar("journey-message-states", "#2c55b0");
        bar("journey-suppressed", "#c2392b");
    }

    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
    else draw();
})();
