// Draws the RFM heatmap (customers per R and F score) and the lifecycle stage bars with Apache ECharts.
// The pages embed the data as JSON in data-grid / data-stages; no inline handlers.
(function () {
    "use strict";

    function heatmap(element) {
        var data = JSON.parse(element.dataset.grid);
        var max = 1;
        data.cells.forEach(function (c) { if (c[2] > max) max = c[2]; });
        var chart = window.echarts.init(element, null, { renderer: "canvas" });
        chart.setOption({
            animation: false,
            grid: { left: 64, right: 96, top: 16, bottom: 48 },
            tooltip: {
                formatter: function (p) {
                    return "R " + (p.value[1] + 1) + " · F " + (p.value[0] + 1) + "<br>" + data.names.customers + ": " +
                        p.value[2].toLocaleString() + "<br>" + data.names.average + ": ¥" + Number(p.value[3]).toLocaleString();
                }
            },
            xAxis: { type: "category", name: data.names.f, nameLocation: "middle", nameGap: 28, data: ["1", "2", "3", "4", "5"], splitArea: { show: true } },
            yAxis: { type: "category", name: data.names.r, nameLocation: "middle", nameGap: 36, data: ["1", "2", "3", "4", "5"], splitArea: { show: true } },
            visualMap: { min: 0, max: max, calculable: true, orient: "vertical", right: 8, top: "middle", itemHeight: 160,
                         inRange: { color: ["#f2f7f6", "#8cc7bd", "#1f7a6d"] } },
            series: [{
                type: "heatmap",
                data: data.cells,
                label: { show: true, formatter: function (p) { return p.value[2].toLocaleString(); } },
                emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } }
            }]
        });
        return chart;
    }

    function stages(element) {
        var data = JSON.parse(element.dataset.stages);
        var colors = { "new": "#9aa5b1", first_order: "#5b8def", repeat: "#1f7a6d", loyal: "#0f5132", at_risk: "#e0a100", lost: "#c2392b" };
        var chart = window.echarts.init(element, null, { renderer: "canvas" });
        chart.setOption({
            animation: false,
            grid: { left: 90, right: 48, top: 8, bottom: 24 },
            tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
            xAxis: { type: "value", minInterval: 1 },
            yAxis: { type: "category", inverse: true, data: data.names },
            series: [{
                name: data.label,
                type: "bar",
                barMaxWidth: 22,
                label: { show: true, position: "right", formatter: function (p) { return p.value.toLocaleString(); } },
                data: data.values.map(function (v, i) { return { value: v, itemStyle: { color: colors[data.codes[i]] } }; })
            }]
        });
        return chart;
    }

    function draw() {
        if (!window.echarts) return;
        var charts = [];
        var grid = document.getElementById("rfm-heatmap");
        if (grid && grid.dataset.grid) { charts.push(heatmap(grid)); grid.setAttribute("data-rendered", "true"); }
        var bars = document.getElementById("lifecycle-chart");
        if (bars && bars.dataset.stages) { charts.push(stages(bars)); bars.setAttribute("data-rendered", "true"); }
        window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", draw);
    } else {
        draw();
    }
})();
