// The visual segment builder (an Alpine component) and the saved segment's size chart (ECharts).
// The page embeds the vocabulary, the labels, the starting rule and any save error as data attributes;
// the builder keeps a tree of groups and conditions, writes the rule JSON (docs/segments.md) into the
// save form, and asks /api/segments/preview for the live count as the rule changes.
// Loaded without defer (before Alpine's deferred script) so the component is registered on alpine:init.
(function () {
    "use strict";

    var nextId = 1;
    function id() { return nextId++; }

    var TRAIT_OPS = {
        string: ["eq", "ne", "in", "not_in", "contains", "regex", "exists", "not_exists"],
        number: ["eq", "ne", "gt", "gte", "lt", "lte", "between", "in", "not_in", "exists", "not_exists"],
        date: ["within_days", "older_than_days", "gt", "gte", "lt", "lte", "between", "exists", "not_exists"],
        boolean: ["eq", "ne", "exists", "not_exists"]
    };
    var COMPARE_OPS = ["eq", "ne", "gt", "gte", "lt", "lte", "between"];
    var LAST_OPS = ["within_days", "older_than_days", "not_within_days", "never"];
    var FILTER_OPS = ["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists", "contains"];
    var KINDS = ["trait", "tag", "event", "depth", "carrier", "carrier_kind", "staff", "owner", "rfm", "rfm_score", "lifecycle", "consent", "tier", "points", "coupon"];

    function group(mode) { return { id: id(), type: "group", mode: mode || "all", not: false, error: null, children: [] }; }

    function condition(kind) {
        var c = { id: id(), type: "cond", kind: kind, not: false, error: null };
        switch (kind) {
            case "trait": Object.assign(c, { key: "", op: "eq", vtype: "string", value: "", values: [], entry: "", low: "", high: "" }); break;
            case "tag": Object.assign(c, { tag: "", tagOp: "has" }); break;
            case "depth": Object.assign(c, { depth: "friend", op: "gte" }); break;
            case "carrier": Object.assign(c, { carrier: "" }); break;
            case "carrier_kind": Object.assign(c, { carrierKind: "wecom_account" }); break;
            case "staff": Object.assign(c, { staff: "any" }); break;
            case "owner": Object.assign(c, { owner: "none" }); break;
            case "event": Object.assign(c, { event: "", where: [], windowDays: "", measure: "count", property: "", op: "gte", value: "1", low: "", high: "" }); break;
            case "rfm": Object.assign(c, { cells: [] }); break;
            case "rfm_score": Object.assign(c, { dimension: "r", op: "gte", value: "4", low: "", high: "" }); break;
            case "lifecycle": Object.assign(c, { stages: [] }); break;
            case "tier": Object.assign(c, { tiers: [] }); break;
            case "points": Object.assign(c, { op: "gte", value: "100", low: "", high: "" }); break;
            case "coupon": Object.assign(c, { couponState: "unused", template: "", couponDays: "" }); break;
            default: Object.assign(c, { kind: "consent", consent: "subscribed" }); break;
        }
        return c;
    }

    function filter() { return { id: id(), property: "", op: "eq", value: "", values: [], entry: "" }; }

    // Numbers typed into the form: a number when it reads as one, else the text as typed, so the server's message names the problem.
    function num(text) {
        var t = String(text === undefined || text === null ? "" : text).trim();
        if (t !== "" && !isNaN(Number(t))) return Number(t);
        return t;
    }

    function str(value) { return value === undefined || value === null ? "" : String(value); }

    function typedValue(text, vtype) {
        if (vtype === "number") return num(text);
        if (vtype === "boolean") return text === "true" || text === true;
        return str(text);
    }

    // ---- tree → rule JSON (records each node's JSON pointer in map, when given) ----
    function serialize(node, path, map) {
        var inner = node.not ? path + "/not" : path;
        if (map) map.push({ path: path, node: node }, { path: inner, node: node });
        var json = node.type === "group" ? serializeGroup(node, inner, map) : serializeCondition(node);
        return node.not ? { not: json } : json;
    }

    function serializeGroup(g, path, map) {
        var out = {};
        out[g.mode] = g.children.map(function (child, i) { return serialize(child, path + "/" + g.mode + "/" + i, map); });
        return out;
    }

    function serializeCondition(c) {
        switch (c.kind) {
            case "trait": {
                var t = { trait: c.key, op: c.op };
                if (c.op === "exists" || c.op === "not_exists") return t;
                if (c.op === "within_days" || c.op === "older_than_days") t.value = num(c.value);
                else if (c.op === "in" || c.op === "not_in") t.value = c.values.map(function (v) { return c.vtype === "number" ? num(v) : str(v); });
                else if (c.op === "between") t.value = c.vtype === "date" ? [str(c.low), str(c.high)] : [num(c.low), num(c.high)];
                else if (c.op === "gt" || c.op === "gte" || c.op === "lt" || c.op === "lte") t.value = c.vtype === "date" ? str(c.value) : num(c.value);
                else if (c.op === "contains" || c.op === "regex") t.value = str(c.value);
                else t.value = typedValue(c.value, c.vtype);
                return t;
            }
            case "tag": return c.tagOp === "lacks" ? { tag: c.tag, op: "lacks" } : { tag: c.tag };
            case "depth": return { depth: c.depth, op: c.op };
            case "carrier": return { carrier: c.carrier };
            case "carrier_kind": return { carrier_kind: c.carrierKind };
            case "staff": return { staff: c.staff };
            case "owner": return { owner: c.owner };
            case "event": {
                var e = { event: c.event };
                if (c.where.length) e.where = c.where.map(serializeFilter);
                if (c.measure !== "last" && str(c.windowDays).trim() !== "") e.within_days = num(c.windowDays);
                e.measure = c.measure;
                if (c.measure === "sum") e.property = c.property;
                e.op = c.op;
                if (c.op === "between") e.value = [num(c.low), num(c.high)];
                else if (c.op !== "never") e.value = num(c.value);
                return e;
            }
            case "rfm": return { rfm: c.cells.length === 1 ? c.cells[0] : c.cells.slice() };
            case "rfm_score": {
                var s = { rfm_score: c.dimension, op: c.op };
                s.value = c.op === "between" ? [num(c.low), num(c.high)] : num(c.value);
                return s;
            }
            case "lifecycle": return { lifecycle: c.stages.length === 1 ? c.stages[0] : c.stages.slice() };
            case "tier": return { tier: c.tiers.length === 1 ? c.tiers[0] : c.tiers.slice() };
            case "points": return { points: c.op, value: c.op === "between" ? [num(c.low), num(c.high)] : num(c.value) };
            case "coupon": {
                var k = { coupon: c.couponState };
                if (str(c.template) !== "") k.template = c.template;
                if (str(c.couponDays).trim() !== "") k.within_days = num(c.couponDays);
                return k;
            }
            default: return { consent: c.consent };
        }
    }

    function serializeFilter(f) {
        var out = { property: f.property, op: f.op };
        if (f.op === "exists") return out;
        if (f.op === "in" || f.op === "not_in") out.value = f.values.map(num);
        else if (f.op === "contains") out.value = str(f.value);
        else if (f.op === "gt" || f.op === "gte" || f.op === "lt" || f.op === "lte") out.value = num(f.value);
        else {
            // eq / ne: true and false are booleans, numbers are numbers on numeric properties, the rest is text.
            var v = str(f.value).trim();
            if (v === "true" || v === "false") out.value = v === "true";
            else if (f.numeric && typeof num(v) === "number") out.value = num(v);
            else out.value = v;
        }
        return out;
    }

    // ---- rule JSON → tree (loads a saved segment) ----
    function parse(json) {
        if (json && typeof json === "object" && !Array.isArray(json) && Object.prototype.hasOwnProperty.call(json, "not")) {
            var inner = parse(json.not);
            inner.not = !inner.not;
            return inner;
        }
        if (json && Array.isArray(json.all)) return parseGroup("all", json.all);
        if (json && Array.isArray(json.any)) return parseGroup("any", json.any);
        return parseCondition(json || {});
    }

    function parseGroup(mode, children) {
        var g = group(mode);
        g.children = children.map(parse);
        return g;
    }

    function valueText(v) { return v === undefined || v === null ? "" : String(v); }

    function parseCondition(j) {
        var kind = KINDS.filter(function (k) { return Object.prototype.hasOwnProperty.call(j, k); })[0] || "consent";
        var c = condition(kind);
        switch (kind) {
            case "trait":
                c.key = valueText(j.trait);
                c.op = j.op || "eq";
                if (Array.isArray(j.value)) {
                    if (c.op === "between") { c.low = valueText(j.value[0]); c.high = valueText(j.value[1]); }
                    else c.values = j.value.map(valueText);
                    c.vtype = j.value.some(function (v) { return typeof v === "number"; }) ? "number" : (c.op === "between" ? "date" : "string");
                } else {
                    c.value = valueText(j.value);
                    c.vtype = typeof j.value === "number" ? "number" : typeof j.value === "boolean" ? "boolean" : "string";
                }
                if (c.op === "within_days" || c.op === "older_than_days" || ((c.op === "gt" || c.op === "gte" || c.op === "lt" || c.op === "lte") && typeof j.value === "string")) c.vtype = "date";
                break;
            case "tag": c.tag = valueText(j.tag); c.tagOp = j.op === "lacks" ? "lacks" : "has"; break;
            case "depth": c.depth = valueText(j.depth); c.op = j.op || "eq"; break;
            case "carrier": c.carrier = valueText(j.carrier); break;
            case "carrier_kind": c.carrierKind = valueText(j.carrier_kind); break;
            case "staff": c.staff = valueText(j.staff); break;
            case "owner": c.owner = valueText(j.owner); break;
            case "event":
                c.event = valueText(j.event);
                c.where = (j.where || []).map(function (w) {
                    var f = filter();
                    f.property = valueText(w.property);
                    f.op = w.op || "eq";
                    if (Array.isArray(w.value)) f.values = w.value.map(valueText); else f.value = valueText(w.value);
                    f.numeric = typeof w.value === "number";
                    return f;
                });
                c.windowDays = valueText(j.within_days);
                c.measure = j.measure || "count";
                c.property = valueText(j.property);
                c.op = j.op || (c.measure === "last" ? "within_days" : "gte");
                if (Array.isArray(j.value)) { c.low = valueText(j.value[0]); c.high = valueText(j.value[1]); } else c.value = valueText(j.value);
                break;
            case "rfm": c.cells = [].concat(j.rfm || []); break;
            case "rfm_score":
                c.dimension = valueText(j.rfm_score); c.op = j.op || "eq";
                if (Array.isArray(j.value)) { c.low = valueText(j.value[0]); c.high = valueText(j.value[1]); } else c.value = valueText(j.value);
                break;
            case "lifecycle": c.stages = [].concat(j.lifecycle || []); break;
            case "tier": c.tiers = [].concat(j.tier || []); break;
            case "points":
                c.op = valueText(j.points) || "gte";
                if (Array.isArray(j.value)) { c.low = valueText(j.value[0]); c.high = valueText(j.value[1]); } else c.value = valueText(j.value);
                break;
            case "coupon": c.couponState = valueText(j.coupon) || "unused"; c.template = valueText(j.template); c.couponDays = valueText(j.within_days); break;
            default: c.consent = valueText(j.consent) || "subscribed"; break;
        }
        return c;
    }

    function readJson(text, fallback) {
        try { return text ? JSON.parse(text) : fallback; } catch (e) { return fallback; }
    }

    function builder() {
        return {
            root: group("all"),
            vocab: { traits: [], tags: [], events: [], staff: [], carriers: [], carrierKinds: [], rfmCells: [], lifecycle: [], tiers: [], couponTemplates: [] },
            L: {},
            kinds: KINDS,
            lastOps: LAST_OPS,
            compareOps: COMPARE_OPS,
            filterOps: FILTER_OPS,
            showJson: false,
            preview: { state: "idle", count: null, poolSize: null, elapsedMs: null, sample: [], message: "" },
            _timer: null,
            _sent: null,
            _seq: 0,

            init: function () {
                var data = this.$el.dataset;
                this.vocab = readJson(data.vocabulary, this.vocab);
                this.L = readJson(data.labels, {});
                var rule = readJson(data.rule, null);
                var root = rule ? parse(rule) : group("all");
                // The builder edits a group at the top; a lone condition is wrapped in "all of".
                if (root.type !== "group") { var g = group("all"); g.children.push(root); root = g; }
                this.root = root;
                if (data.errorField && data.error) this.showError(data.errorField, data.error);
                var self = this;
                this.$watch("ruleText", function () { self.schedule(); });
                this.schedule(0);
            },

            t: function (key) { return this.L[key] || key; },

            get ruleText() { return JSON.stringify(serialize(this.root, "rule", null)); },
            get rulePretty() { return JSON.stringify(serialize(this.root, "rule", null), null, 2); },

            // The tree as rows: a group's head, its children (indented), and its foot with the add buttons.
            get rows() {
                var out = [];
                (function walk(node, depth, parent) {
                    if (node.type === "group") {
                        out.push({ key: "g" + node.id, t: "group", node: node, depth: depth, parent: parent });
                        node.children.forEach(function (child) { walk(child, depth + 1, node); });
                        out.push({ key: "e" + node.id, t: "end", node: node, depth: depth, parent: parent });
                    } else {
                        out.push({ key: "c" + node.id, t: "cond", node: node, depth: depth, parent: parent });
                    }
                })(this.root, 0, null);
                return out;
            },

            indent: function (row) { return "margin-left: " + (row.depth * 22) + "px"; },

            addCondition: function (g) { g.children.push(condition("trait")); },
            addGroup: function (g) { var child = group(g.mode === "all" ? "any" : "all"); child.children.push(condition("trait")); g.children.push(child); },
            remove: function (row) { if (!row.parent) return; var i = row.parent.children.indexOf(row.node); if (i >= 0) row.parent.children.splice(i, 1); },
            setKind: function (node, kind) {
                var fresh = condition(kind);
                Object.keys(node).forEach(function (k) { if (k !== "id" && k !== "not") delete node[k]; });
                Object.keys(fresh).forEach(function (k) { if (k !== "id" && k !== "not") node[k] = fresh[k]; });
                node.error = null;
            },

            // ---- traits ----
            traitInfo: function (key) { return this.vocab.traits.filter(function (t) { return t.name === key; })[0] || null; },
            traitTypes: function (node) {
                var info = this.traitInfo(node.key);
                return info && info.kinds && info.kinds.length ? info.kinds : ["string", "number", "date", "boolean"];
            },
            traitOps: function (node) { return TRAIT_OPS[node.vtype] || TRAIT_OPS.string; },
            traitValues: function (node) { var info = this.traitInfo(node.key); return info ? info.values || [] : []; },
            keyChanged: function (node) {
                var types = this.traitTypes(node);
                if (types.indexOf(node.vtype) < 0) node.vtype = types[0];
                this.typeChanged(node);
            },
            typeChanged: function (node) {
                if (this.traitOps(node).indexOf(node.op) < 0) node.op = this.traitOps(node)[0];
                if (node.vtype === "boolean" && node.value !== "true" && node.value !== "false") node.value = "true";
            },
            traitInput: function (node) {
                var op = node.op;
                if (op === "exists" || op === "not_exists") return "none";
                if (op === "in" || op === "not_in") return "chips";
                if (op === "between") return node.vtype === "date" ? "date-range" : "number-range";
                if (op === "within_days" || op === "older_than_days") return "days";
                if (op === "contains" || op === "regex") return "text";
                if (node.vtype === "boolean") return "boolean";
                if (node.vtype === "number") return "number";
                if (node.vtype === "date") return "date";
                return "text";
            },
            addChip: function (holder) {
                var v = str(holder.entry).trim();
                if (v !== "" && holder.values.indexOf(v) < 0) holder.values.push(v);
                holder.entry = "";
            },
            removeChip: function (holder, i) { holder.values.splice(i, 1); },

            // ---- events ----
            eventInfo: function (name) { return this.vocab.events.filter(function (e) { return e.name === name; })[0] || null; },
            eventProperties: function (node) { var info = this.eventInfo(node.event); return info ? info.properties : []; },
            numericProperties: function (node) {
                return this.eventProperties(node).filter(function (p) { return p.kinds.indexOf("number") >= 0; });
            },
            propertyValues: function (node, f) {
                var p = this.eventProperties(node).filter(function (x) { return x.name === f.property; })[0];
                return p ? p.values || [] : [];
            },
            propertyChanged: function (node, f) {
                var p = this.eventProperties(node).filter(function (x) { return x.name === f.property; })[0];
                f.numeric = !!p && p.kinds.length > 0 && p.kinds.indexOf("string") < 0 && p.kinds.indexOf("number") >= 0;
            },
            measureChanged: function (node) {
                var ops = node.measure === "last" ? LAST_OPS : COMPARE_OPS;
                if (ops.indexOf(node.op) < 0) node.op = node.measure === "last" ? "within_days" : "gte";
                if (node.measure === "last") { node.windowDays = ""; if (node.value === "") node.value = "14"; }
            },
            addFilter: function (node) { node.where.push(filter()); },
            removeFilter: function (node, i) { node.where.splice(i, 1); },

            toggle: function (list, code) { var i = list.indexOf(code); if (i >= 0) list.splice(i, 1); else list.push(code); },

            // ---- live count ----
            schedule: function (delay) {
                var self = this;
                clearTimeout(this._timer);
                this._timer = setTimeout(function () { self.refresh(); }, delay === undefined ? 300 : delay);
            },

            refresh: function () {
                var text = this.ruleText;
                if (text === this._sent) return;
                this._sent = text;
                var seq = ++this._seq;
                var self = this;
                this.preview.state = "loading";
                fetch("/api/segments/preview", {
                    method: "POST",
                    credentials: "same-origin",
                    headers: { "Content-Type": "application/json", "Accept": "application/json" },
                    body: JSON.stringify({ rule: JSON.parse(text) })
                }).then(function (response) {
                    return response.json().catch(function () { return {}; }).then(function (body) { return { status: response.status, body: body }; });
                }).then(function (r) {
                    if (seq !== self._seq) return;
                    self.clearErrors();
                    if (r.status === 200) {
                        self.preview = { state: "ok", count: r.body.count, poolSize: r.body.poolSize, elapsedMs: r.body.elapsedMs, sample: r.body.sample || [], message: "" };
                    } else if (r.status === 400) {
                        var message = r.body.detail || r.body.title || self.t("The rule is not valid.");
                        // The count of a rule that cannot be read would mislead: show none, keep the form as typed.
                        self.preview = { state: "invalid", count: null, poolSize: null, elapsedMs: null, sample: [], message: message };
                        self.showError(r.body.field || "rule", message);
                    } else {
                        self.preview.state = "failed";
                        self.preview.message = r.body.detail || self.t("The live count is not available right now.");
                    }
                }).catch(function () {
                    if (seq !== self._seq) return;
                    self.preview.state = "failed";
                    self.preview.message = self.t("The live count is not available right now.");
                });
            },

            clearErrors: function () {
                (function walk(node) {
                    node.error = null;
                    if (node.type === "group") node.children.forEach(walk);
                })(this.root);
            },

            // Puts the server's message on the node its JSON pointer names (the deepest node whose pointer is a prefix).
            showError: function (field, message) {
                var map = [];
                serialize(this.root, "rule", map);
                var best = null;
                map.forEach(function (entry) {
                    if ((field === entry.path || field.indexOf(entry.path + "/") === 0) && (!best || entry.path.length >= best.path.length)) best = entry;
                });
                (best ? best.node : this.root).error = message;
            },

            get share() {
                if (!this.preview.poolSize) return "0%";
                var p = this.preview.count * 100 / this.preview.poolSize;
                return (p >= 10 || p === 0 ? p.toFixed(0) : p.toFixed(1)) + "%";
            },

            depthLabel: function (depth) { return this.t("depth." + depth); }
        };
    }

    document.addEventListener("alpine:init", function () {
        window.Alpine.data("segmentBuilder", builder);
    });

    // ---- the saved segment's size over time ----
    function drawSizes() {
        var element = document.getElementById("segment-sizes-chart");
        if (!element || !window.echarts || !element.dataset.series) return;
        var series = JSON.parse(element.dataset.series);
        var chart = window.echarts.init(element, null, { renderer: "canvas" });
        chart.setOption({
            animation: false,
            color: ["#1f7a6d"],
            grid: { left: 44, right: 16, top: 16, bottom: 28 },
            tooltip: { trigger: "axis" },
            xAxis: { type: "category", data: series.days, boundaryGap: false },
            yAxis: { type: "value", minInterval: 1 },
            series: [{ name: series.name, type: "line", data: series.sizes, symbolSize: 5, areaStyle: { opacity: 0.08 } }]
        });
        element.setAttribute("data-rendered", "true");
        window.addEventListener("resize", function () { chart.resize(); });
    }

    window.addEventListener("load", drawSizes);
})();
