// Draws the funnel and cohort pages' charts with Apache ECharts: the funnel (this period, and the previous one as a
// ghost behind it), the time-to-first-order histogram, the cohort heat map and the LTV curves. Each page embeds its
// data as JSON in the chart element's data-* attribute; no inline handlers.
(function () {
    "use strict";

    var teal = "#1f7a6d";
    var grey = "#c9d3d1";

    function chartOf(element) {
        var chart = window.echarts.init(element, null, { renderer: "canvas" });
        window.addEventListener("resize", function () { chart.resize(); });
        return chart;
    }

    function done(element) { element.setAttribute("data-rendered", "true"); }

    function percent(value) { return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%"; }

    function funnel() {
        var element = document.getElementById("funnel-chart");
        if (!element || !element.dataset.funnel) return;
        var data = JSON.parse(element.dataset.funnel);
        var first = data.current[0] || 0;
        var max = Math.max.apply(null, data.current.concat(data.previous || []).concat([1]));
        var series = [];
        if (data.previous) {
            series.push({
                name: data.labels.previous, type: "funnel", sort: "none", left: "3%", width: "48%", top: 10, bottom: 34,
                min: 0, max: max, minSize: "4%", gap: 4, label: { show: false }, z: 1,
                itemStyle: { color: grey, opacity: 0.5, borderWidth: 0 },
                data: data.names.map(function (n, i) { return { name: n, value: data.previous[i] }; })
            });
        }
        series.push({
            name: data.labels.current, type: "funnel", sort: "none", left: "3%", width: "48%", top: 10, bottom: 34,
            min: 0, max: max, minSize: "4%", gap: 4, z: 2,
            label: {
                position: "right", color: "#1d2b29", fontSize: 12,
                formatter: function (p) {
                    var share = first ? " · " + percent(p.value / first) : "";
                    return p.name + "  " + p.value.toLocaleString() + share;
                }
            },
            itemStyle: { color: teal, borderWidth: 0 },
            labelLine: { length: 12, lineStyle: { color: "#9aa7a5" } },
            data: data.names.map(function (n, i) {
                return { name: n, value: data.current[i], itemStyle: { color: teal, opacity: 1 - i * 0.12 } };
            })
        });
        var chart = chartOf(element);
        chart.setOption({
            animation: false,
            tooltip: { trigger: "item", formatter: function (p) { return p.seriesName + "<br>" + p.name + ": " + p.value.toLocaleString(); } },
            legend: data.previous ? { bottom: 0, data: [data.labels.current, data.labels.previous] } : undefined,
            series: series
        });
        done(element);
    }

    function lag() {
        var element = document.getElementById("funnel-lag-chart");
        if (!element || !element.dataset.lag) return;
        var data = JSON.parse(element.dataset.lag);
        chartOf(element).setOption({
            animation: false,
            color: [teal, grey],
            grid: { left: 40, right: 16, top: 30, bottom: 40 },
            legend: { top: 0, data: [data.labels.current, data.labels.previous] },
            tooltip: { trigger: "axis" },
            xAxis: { type: "category", data: data.buckets, name: data.labels.axis, nameLocation: "middle", nameGap: 26 },
            yAxis: { type: "value", minInterval: 1 },
            series: [
                { name: data.labels.current, type: "bar", data: data.current, barMaxWidth: 28 },
                { name: data.labels.previous, type: "bar", data: data.previous, barMaxWidth: 28 }
            ]
        });
        done(element);
    }

    function heatmap() {
        var element = document.getElementById("cohort-heatmap");
        if (!element || !element.dataset.heatmap) return;
        var data = JSON.parse(element.dataset.heatmap);
        var values = data.cells.map(function (c) { return c[2]; }).filter(function (v) { return v !== null; });
        var max = values.length ? Math.max.apply(null, values) : 1;
        var format = data.money
            ? function (v) { return v === null ? "—" : "¥" + Number(v).toFixed(0); }
            : percent;
        element.style.height = Math.max(220, 60 + data.cohorts.length * 34) + "px";
        chartOf(element).setOption({
            animation: false,
            grid: { left: 110, right: 20, top: 10, bottom: 80 },
            tooltip: { formatter: function (p) { return data.cohorts[p.value[1]] + " · " + data.months[p.value[0]] + ": " + format(p.value[2]); } },
            xAxis: { type: "category", data: data.months, splitArea: { show: true } },
            yAxis: { type: "category", data: data.cohorts, inverse: true, splitArea: { show: true } },
            visualMap: {
                min: 0, max: max || 1, calculable: true, orient: "horizontal", left: "center", bottom: 0, itemHeight: 160,
                inRange: { color: ["#f3f8f7", "#9fd3c7", teal, "#0f4a42"] },
                formatter: function (v) { return format(v); }
            },
            series: [{
                type: "heatmap",
                data: data.cells.filter(function (c) { return c[2] !== null; }),
                label: { show: true, fontSize: 11, formatter: function (p) { return format(p.value[2]); } },
                emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } }
            }]
        });
        done(element);
    }

    function ltv() {
        var element = document.getElementById("cohort-ltv");
        if (!element || !element.dataset.ltv) return;
        var data = JSON.parse(element.dataset.ltv);
        var last = data.series.length - 1;
        chartOf(element).setOption({
            animation: false,
            grid: { left: 50, right: 20, top: 40, bottom: 28 },
            legend: { top: 0, type: "scroll" },
            tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : "¥" + Number(v).toFixed(2); } },
            xAxis: { type: "category", data: data.months, boundaryGap: false },
            yAxis: { type: "value", axisLabel: { formatter: "¥{value}" } },
            series: data.series.map(function (s, i) {
                return i === last
                    ? { name: s.name, type: "line", data: s.data, lineStyle: { width: 3, color: "#111" }, itemStyle: { color: "#111" }, symbolSize: 6 }
                    : { name: s.name, type: "line", data: s.data, symbolSize: 4, lineStyle: { width: 1.5 } };
            })
        });
        done(element);
    }

    function draw() {
        if (!window.echarts) return;
        funnel();
        lag();
        heatmap();
        ltv();
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", draw);
    } else {
        draw();
    }
})();
