// Draws a journey's steps as an SVG graph: one box per step (kind and label), one curve per exit (next, yes/no,
// timeout, random branches). The editor (journey-editor.js) draws with ports to drag new connections from; the
// dashboard and the simulation view draw read-only with counters or the path a run took.
// Written by hand (no library): the graph is small (at most 200 steps) and the SVG is rebuilt whole on each change.
(function () {
    "use strict";

    var NODE_W = 196, NODE_H = 62, GAP_X = 60, GAP_Y = 64, PAD = 40;
    var SVG_NS = "http://www.w3.org/2000/svg";

    function esc(text) {
        return String(text === undefined || text === null ? "" : text)
            .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
    }

    function clip(text, max) {
        text = String(text || "");
        return text.length > max ? text.slice(0, max - 1) + "…" : text;
    }

    // Every exit of a step, in the order the ports are drawn: { key, target, label, type }.
    function exits(step, labels) {
        var list = [];
        switch (step.kind) {
            case "exit":
                break;
            case "condition":
                list.push({ key: "yes", target: step.yes || null, label: labels.yes || "yes", type: "yes" });
                list.push({ key: "no", target: step.no || null, label: labels.no || "no", type: "no" });
                break;
            case "random":
                (step.branches || []).forEach(function (b, i) {
                    list.push({ key: "branch:" + i, target: b.next || null, label: (b.label || String.fromCharCode(65 + i)) + " " + (b.percent || 0) + "%", type: "branch" });
                });
                break;
            case "wait_for_event":
                list.push({ key: "next", target: step.next || null, label: labels.happened || "event", type: "next" });
                list.push({ key: "timeoutNext", target: step.timeoutNext || null, label: labels.timeout || "timeout", type: "timeout" });
                break;
            default:
                list.push({ key: "next", target: step.next || null, label: "", type: "next" });
        }
        return list;
    }

    // Steps without a stored position get one: columns by depth from the start, rows in order of discovery.
    function layout(def) {
        var byId = {};
        def.steps.forEach(function (s) { byId[s.id] = s; });
        var missing = def.steps.filter(function (s) { return !s.position || s.position.length !== 2; });
        if (missing.length === 0) return;
        var depth = {}, order = [], queue = [];
        if (def.start && byId[def.start]) { depth[def.start] = 0; queue.push(def.start); }
        while (queue.length) {
            var id = queue.shift();
            order.push(id);
            exits(byId[id], {}).forEach(function (e) {
                if (e.target && byId[e.target] && depth[e.target] === undefined) { depth[e.target] = depth[id] + 1; queue.push(e.target); }
            });
        }
        var rows = {};
        def.steps.forEach(function (s) {
            if (depth[s.id] === undefined) depth[s.id] = 0;
            if (s.position && s.position.length === 2) return;
            var d = depth[s.id];
            rows[d] = (rows[d] || 0);
            s.position = [PAD + rows[d] * (NODE_W + GAP_X), PAD + d * (NODE_H + GAP_Y + 16)];
            rows[d]++;
        });
    }

    function portX(step, index, count) {
        return step.position[0] + NODE_W * (index + 1) / (count + 1);
    }

    function curve(x1, y1, x2, y2) {
        var dy = Math.max(40, Math.abs(y2 - y1) / 2);
        if (y2 < y1 + 10) dy = Math.max(80, (y1 - y2) / 2 + 60);
        return [x1, y1, x1, y1 + dy, x2, y2 - dy, x2, y2];
    }

    function edgePath(x1, y1, x2, y2) {
        var c = curve(x1, y1, x2, y2);
        return "M" + c[0] + "," + c[1] + " C" + c[2] + "," + c[3] + " " + c[4] + "," + c[5] + " " + c[6] + "," + c[7];
    }

    function inBox(box, x, y) {
        return x > box.position[0] - 4 && x < box.position[0] + NODE_W + 4 && y > box.position[1] - 4 && y < box.position[1] + NODE_H + 4;
    }

    // Does a curve pass through a box other than its ends? Sampled: boxes are far larger than the step between samples.
    function curveHits(c, boxes) {
        for (var i = 1; i < 40; i++) {
            var t = i / 40, u = 1 - t;
            var x = u * u * u * c[0] + 3 * u * u * t * c[2] + 3 * u * t * t * c[4] + t * t * t * c[6];
            var y = u * u * u * c[1] + 3 * u * u * t * c[3] + 3 * u * t * t * c[5] + t * t * t * c[7];
            for (var j = 0; j < boxes.length; j++) if (inBox(boxes[j], x, y)) return true;
        }
        return false;
    }

    function laneClear(x, yA, yB, boxes) {
        var top = Math.min(yA, yB), bottom = Math.max(yA, yB);
        return boxes.every(function (b) {
            return x <= b.position[0] - 4 || x >= b.position[0] + NODE_W + 4 || bottom <= b.position[1] - 4 || top >= b.position[1] + NODE_H + 4;
        });
    }

    // An edge that would cut through other steps goes round them instead: down out of its port, along the gap beside
    // a column (the first clear one of the source's and the target's sides), and into the target from above.
    // lanes counts the edges already in each gap, so parallel detours sit side by side instead of on top of each other.
    function routedPath(x1, y1, x2, y2, source, target, others, lanes) {
        var c = curve(x1, y1, x2, y2);
        if (!curveHits(c, others)) return "M" + c[0] + "," + c[1] + " C" + c[2] + "," + c[3] + " " + c[4] + "," + c[5] + " " + c[6] + "," + c[7];
        var yA = y1 + 18, yB = y2 - 18, half = GAP_X / 2;
        var candidates = [source.position[0] + NODE_W + half, source.position[0] - half, target.position[0] + NODE_W + half, target.position[0] - half];
        var lane = candidates[0];
        for (var i = 0; i < candidates.length; i++) {
            if (candidates[i] > 0 && laneClear(candidates[i], yA, yB, others)) { lane = candidates[i]; break; }
        }
        var used = lanes[lane] = (lanes[lane] || 0) + 1;
        var x = lane + ((used % 2 ? 1 : -1) * Math.floor(used / 2)) * 7;
        return "M" + x1 + "," + y1 + " L" + x1 + "," + yA + " L" + x + "," + yA + " L" + x + "," + yB + " L" + x2 + "," + yB + " L" + x2 + "," + y2;
    }

    // options: { labels, kindNames, selected, selectedEdge, problemSteps (set of ids), editable, counts ({id: {waiting, outcomes}}),
    //            path (ordered step ids a run took), current (step id a run waits at) }
    function draw(svg, def, options) {
        options = options || {};
        var labels = options.labels || {};
        var kindNames = options.kindNames || {};
        layout(def);
        var byId = {};
        def.steps.forEach(function (s) { byId[s.id] = s; });
        var maxX = 0, maxY = 0;
        def.steps.forEach(function (s) {
            maxX = Math.max(maxX, s.position[0] + NODE_W);
            maxY = Math.max(maxY, s.position[1] + NODE_H + (options.counts ? 22 : 0));
        });
        var width = Math.max(maxX + PAD, options.minWidth || 600), height = Math.max(maxY + PAD + 20, options.minHeight || 320);
        svg.setAttribute("width", width);
        svg.setAttribute("height", height);
        svg.setAttribute("viewBox", "0 0 " + width + " " + height);

        var onPath = {};
        (options.path || []).forEach(function (id, i) { onPath[id] = i + 1; });
        var parts = ['<defs><marker id="je-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            + '<path d="M0,0 L10,5 L0,10 z" class="je-arrowhead"/></marker></defs>'];

        // Edges first, so boxes sit on top.
        var lanes = {};
        def.steps.forEach(function (s) {
            var list = exits(s, labels);
            list.forEach(function (e, i) {
                var target = e.target && byId[e.target];
                if (!target) return;
                var x1 = portX(s, i, list.length), y1 = s.position[1] + NODE_H;
                var x2 = target.position[0] + NODE_W / 2, y2 = target.position[1];
                var selected = options.selectedEdge && options.selectedEdge.from === s.id && options.selectedEdge.key === e.key;
                var taken = onPath[s.id] && onPath[e.target] && onPath[e.target] === onPath[s.id] + 1;
                var others = def.steps.filter(function (o) { return o !== s && o !== target; });
                var d = routedPath(x1, y1, x2, y2, s, target, others, lanes);
                parts.push('<g class="je-edge je-edge-' + e.type + (selected ? " je-selected" : "") + (taken ? " je-taken" : "") + '" data-from="' + esc(s.id)
                    + '" data-key="' + esc(e.key) + '" data-to="' + esc(e.target) + '" data-testid="edge">'
                    + '<path class="je-edge-hit" d="' + d + '"/><path class="je-edge-line" d="' + d + '" marker-end="url(#je-arrow)"/>'
                    + (e.label ? '<text class="je-edge-label" x="' + (x1 + 4) + '" y="' + (y1 + 14) + '">' + esc(clip(e.label, 14)) + '</text>' : "")
                    + "</g>");
            });
        });

        def.steps.forEach(function (s) {
            var x = s.position[0], y = s.position[1];
            var classes = ["je-node", "je-kind-" + s.kind];
            if (s.id === options.selected) classes.push("je-selected");
            if (options.problemSteps && options.problemSteps[s.id]) classes.push("je-problem");
            if (onPath[s.id]) classes.push("je-on-path");
            if (options.current === s.id) classes.push("je-current");
            var title = s.name || kindNames[s.kind] || s.kind;
            var g = ['<g class="' + classes.join(" ") + '" data-step="' + esc(s.id) + '" data-kind="' + esc(s.kind) + '" data-testid="graph-node" transform="translate(' + x + "," + y + ')">'];
            g.push('<rect class="je-box" width="' + NODE_W + '" height="' + NODE_H + '" rx="8"/>');
            g.push('<rect class="je-band" width="6" height="' + NODE_H + '" rx="3"/>');
            g.push('<text class="je-kind" x="16" y="20">' + esc(kindNames[s.kind] || s.kind) + (def.start === s.id ? " · " + esc(labels.start || "start") : "") + "</text>");
            g.push('<text class="je-name" x="16" y="42">' + esc(clip(title, 18)) + "</text>");
            if (onPath[s.id]) g.push('<circle class="je-order" cx="' + (NODE_W - 14) + '" cy="14" r="10"/><text class="je-order-text" x="' + (NODE_W - 14) + '" y="18">' + onPath[s.id] + "</text>");
            if (options.counts) {
                var c = options.counts[s.id] || { waiting: 0, outcomes: {} };
                var bits = [];
                if (c.waiting) bits.push((labels.waiting || "waiting") + " " + c.waiting);
                Object.keys(c.outcomes || {}).forEach(function (k) { bits.push((labels.outcomes && labels.outcomes[k] || k) + " " + c.outcomes[k]); });
                g.push('<text class="je-counts" x="4" y="' + (NODE_H + 16) + '" data-testid="node-counts">' + esc(bits.join(" · ") || "0") + "</text>");
            }
            if (options.editable) {
                var list = exits(s, labels);
                list.forEach(function (e, i) {
                    var px = portX(s, i, list.length) - x;
                    g.push('<circle class="je-port' + (e.target ? " je-port-used" : "") + '" data-port="' + esc(e.key) + '" cx="' + px + '" cy="' + NODE_H + '" r="6"><title>'
                        + esc(e.label || labels.next || "next") + "</title></circle>");
                });
            }
            g.push("</g>");
            parts.push(g.join(""));
        });
        if (options.connecting) {
            var c = options.connecting;
            parts.push('<path class="je-edge-line je-connecting" d="' + edgePath(c.x1, c.y1, c.x2, c.y2) + '"/>');
        }
        svg.innerHTML = parts.join("");
    }

    window.PondJourneyGraph = { draw: draw, exits: exits, layout: layout, NODE_W: NODE_W, NODE_H: NODE_H, SVG_NS: SVG_NS };

    // Read-only graphs (dashboard, simulation): <svg data-journey-graph data-definition data-labels data-counts data-path data-current>.
    function drawStatic() {
        document.querySelectorAll("svg[data-journey-graph]").forEach(function (svg) {
            var def = JSON.parse(svg.dataset.definition || "{\"steps\":[]}");
            var labels = JSON.parse(svg.dataset.labels || "{}");
            draw(svg, def, {
                labels: labels, kindNames: labels.kinds || {},
                counts: svg.dataset.counts ? JSON.parse(svg.dataset.counts) : null,
                path: svg.dataset.path ? JSON.parse(svg.dataset.path) : null,
                current: svg.dataset.current || null, minWidth: 400, minHeight: 200
            });
            svg.setAttribute("data-rendered", "true");
        });
    }

    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawStatic);
    else drawStatic();
    // htmx swaps in fresh counters: draw the new graph.
    document.addEventListener("htmx:afterSwap", drawStatic);
})();
