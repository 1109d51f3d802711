// The visual journey editor (an Alpine component). The page embeds the journey (draft, problems), the workspace's
// choices (coupon templates, segments, content items, channels, message variables) and the labels as data
// attributes. The graph is drawn by journey-graph.js into an SVG; the properties panel is Alpine markup bound to the
// selected step (or to the trigger, re-entry and goal when no step is selected). Saving PUTs the draft to
// /api/journeys/{id} with the console cookie, the way the segment builder asks /api/segments/preview, and shows the
// problems the server finds; publishing POSTs /api/journeys/{id}/publish.
// Loaded without defer (before Alpine's deferred script) so the component is registered on alpine:init.
(function () {
    "use strict";

    var NUMERIC = /^-?\d+(\.\d+)?$/;

    // What a new step of each kind starts with: enough for the panel's inputs to bind to.
    function fresh(kind) {
        switch (kind) {
            case "wait": return { duration: { days: 1, hours: null, minutes: null } };
            case "wait_until": return { time: "10:00" };
            case "wait_for_event": return { event: "Order Completed", where: [], duration: { days: 3, hours: null, minutes: null } };
            case "condition": return { condition: { kind: "tag", tag: "", segmentId: "", trait: "", op: "eq", value: "", event: "", where: [] } };
            case "random": return { branches: [{ label: "A", percent: 50, next: null }, { label: "B", percent: 50, next: null }] };
            case "coupon": return { templateId: "" };
            case "points": return { points: 100, reason: "" };
            case "tag": return { tag: "", remove: false };
            case "trait": return { trait: "", value: "" };
            case "task": return { title: "", text: "", contentId: "", dueHours: 24 };
            case "message": return { channel: "wecom_message", purpose: "marketing", text: "", contentId: "", subject: "" };
            case "webhook": return { url: "https://" };
            default: return {};
        }
    }

    function text(value) {
        if (value === undefined || value === null) return "";
        return typeof value === "string" ? value : JSON.stringify(value);
    }

    // A typed value back from what the operator typed: numbers and true/false as JSON, anything else as text.
    function typed(value) {
        var s = String(value === undefined || value === null ? "" : value).trim();
        if (NUMERIC.test(s)) return Number(s);
        if (s === "true") return true;
        if (s === "false") return false;
        return s;
    }

    function filtersIn(list) {
        return (list || []).map(function (f) { return { property: f.property || "", op: f.op || "eq", value: text(f.value) }; });
    }

    function filtersOut(list) {
        var out = (list || []).map(function (f) {
            var o = { property: f.property, op: f.op };
            if (f.op !== "exists") o.value = f.op === "contains" ? String(f.value) : typed(f.value);
            return o;
        });
        return out.length ? out : undefined;
    }

    // The loaded definition made editable: every field the panel binds to exists, values as text.
    function normalize(def) {
        def.trigger = Object.assign({ kind: "manual", event: "", where: [], segmentId: "", dateTrait: "birthday", days: null, at: "" }, def.trigger || {});
        def.trigger.where = filtersIn(def.trigger.where);
        def.reentry = Object.assign({ policy: "never", days: null }, def.reentry || {});
        def.goalOn = !!def.goal;
        def.goal = Object.assign({ event: "Order Completed", where: [] }, def.goal || {});
        def.goal.where = filtersIn(def.goal.where);
        def.steps = (def.steps || []).map(function (s) {
            var step = Object.assign({ name: "", next: null }, fresh(s.kind), s);
            if (step.where) step.where = filtersIn(step.where);
            if (step.condition) {
                step.condition = Object.assign(fresh("condition").condition, step.condition);
                step.condition.value = text(step.condition.value);
                step.condition.where = filtersIn(step.condition.where);
            }
            if (step.kind === "trait") step.value = text(step.value);
            if (step.duration) step.duration = Object.assign({ days: null, hours: null, minutes: null }, step.duration);
            return step;
        });
        return def;
    }

    function blank(v) { return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0); }

    function prune(o) {
        Object.keys(o).forEach(function (k) { if (blank(o[k])) delete o[k]; });
        return o;
    }

    // The definition as the API takes it (docs/journeys.md): only the fields the kind uses, typed.
    function serialize(def) {
        var t = def.trigger, trigger = { kind: t.kind };
        if (t.kind === "event") { trigger.event = t.event; trigger.where = filtersOut(t.where); }
        if (t.kind === "segment") trigger.segmentId = t.segmentId;
        if (t.kind === "date") { trigger.dateTrait = t.dateTrait; trigger.days = blank(t.days) ? null : Number(t.days); trigger.at = t.at; }
        if (t.kind === "inactivity") { trigger.event = t.event; trigger.days = blank(t.days) ? null : Number(t.days); }
        var reentry = { policy: def.reentry.policy };
        if (def.reentry.policy === "after") reentry.days = blank(def.reentry.days) ? null : Number(def.reentry.days);
        var out = { trigger: prune(trigger), reentry: prune(reentry), start: def.start || null, steps: [] };
        if (def.goalOn) out.goal = prune({ event: def.goal.event, where: filtersOut(def.goal.where) });
        def.steps.forEach(function (s) {
            var o = { id: s.id, kind: s.kind, name: s.name, position: s.position ? [Math.round(s.position[0]), Math.round(s.position[1])] : null };
            if (s.kind !== "condition" && s.kind !== "random" && s.kind !== "exit") o.next = s.next;
            switch (s.kind) {
                case "wait": o.duration = duration(s.duration); break;
                case "wait_until": o.time = s.time; break;
                case "wait_for_event": o.event = s.event; o.where = filtersOut(s.where); o.duration = duration(s.duration); o.timeoutNext = s.timeoutNext; break;
                case "condition":
                    var c = s.condition, cond = { kind: c.kind };
                    if (c.kind === "segment") cond.segmentId = c.segmentId;
                    if (c.kind === "tag") cond.tag = c.tag;
                    if (c.kind === "trait") { cond.trait = c.trait; cond.op = c.op; if (c.op !== "exists") cond.value = typed(c.value); }
                    if (c.kind === "event") { cond.event = c.event; cond.where = filtersOut(c.where); }
                    o.condition = prune(cond); o.yes = s.yes; o.no = s.no;
                    break;
                case "random": o.branches = (s.branches || []).map(function (b) { return prune({ label: b.label, percent: Number(b.percent) || 0, next: b.next }); }); break;
                case "coupon": o.templateId = s.templateId; break;
                case "points": o.points = blank(s.points) ? null : Number(s.points); o.reason = s.reason; break;
                case "tag": o.tag = s.tag; if (s.remove) o.remove = true; break;
                case "trait": o.trait = s.trait; o.value = typed(s.value); break;
                case "task": o.title = s.title; o.text = s.text; o.contentId = s.contentId; o.dueHours = blank(s.dueHours) ? null : Number(s.dueHours); break;
                case "message":
                    o.channel = s.channel; o.purpose = s.purpose; o.text = s.text; o.contentId = s.contentId;
                    if (s.channel === "email") o.subject = s.subject;
                    break;
                case "webhook": o.url = s.url; break;
            }
            out.steps.push(prune(o));
        });
        return out;
    }

    function duration(d) {
        d = d || {};
        return prune({ days: blank(d.days) ? null : Number(d.days), hours: blank(d.hours) ? null : Number(d.hours), minutes: blank(d.minutes) ? null : Number(d.minutes) });
    }

    document.addEventListener("alpine:init", function () {
        window.Alpine.data("journeyEditor", function () {
            return {
                journey: null,
                def: null,
                catalog: {},
                labels: {},
                problems: [],
                selectedId: null,
                selectedEdge: null,
                newKind: "wait",
                dirty: false,
                busy: false,
                notice: "",
                error: "",
                _drag: null,
                _connect: null,

                init: function () {
                    var el = this.$el;
                    this.journey = JSON.parse(el.dataset.journey);
                    this.catalog = JSON.parse(el.dataset.catalog);
                    this.labels = JSON.parse(el.dataset.labels);
                    this.def = normalize(this.journey.draft);
                    this.problems = this.journey.problems || [];
                    var self = this;
                    this.$watch("def", function () { self.dirty = true; self.draw(); });
                    this.$watch("selectedId", function () { self.draw(); });
                    this.$nextTick(function () { self.draw(); el.setAttribute("data-ready", "true"); });
                    window.addEventListener("beforeunload", function (e) { if (self.dirty) { e.preventDefault(); e.returnValue = ""; } });
                },

                t: function (key) { return this.labels[key] || key; },
                kindName: function (kind) { return (this.labels.kinds || {})[kind] || kind; },

                get step() {
                    var id = this.selectedId;
                    return this.def.steps.find(function (s) { return s.id === id; }) || null;
                },

                get otherSteps() {
                    var id = this.selectedId;
                    return this.def.steps.filter(function (s) { return s.id !== id; });
                },

                get branchTotal() {
                    return (this.step && this.step.branches || []).reduce(function (sum, b) { return sum + (Number(b.percent) || 0); }, 0);
                },

                stepLabel: function (s) { return (s.name || this.kindName(s.kind)) + " (" + s.id + ")"; },

                // ---- the graph ----
                problemSteps: function () {
                    var ids = {}, steps = this.def.steps;
                    this.problems.forEach(function (p) {
                        var m = /^steps\/(\d+)/.exec(p.field || "");
                        if (m && steps[Number(m[1])]) ids[steps[Number(m[1])].id] = true;
                    });
                    return ids;
                },

                draw: function () {
                    var svg = this.$refs.graph;
                    if (!svg || !window.PondJourneyGraph) return;
                    window.PondJourneyGraph.draw(svg, this.def, {
                        labels: this.labels, kindNames: this.labels.kinds, selected: this.selectedId, selectedEdge: this.selectedEdge,
                        problemSteps: this.problemSteps(), editable: true, connecting: this._connect && this._connect.line,
                        minWidth: svg.parentElement.clientWidth - 2, minHeight: 420
                    });
                },

                point: function (event) {
                    var rect = this.$refs.graph.getBoundingClientRect();
                    return [event.clientX - rect.left, event.clientY - rect.top];
                },

                pointerDown: function (event) {
                    var port = event.target.closest("[data-port]");
                    var node = event.target.closest("[data-step]");
                    var edge = event.target.closest("[data-from]");
                    var p = this.point(event);
                    if (port && node) {
                        // Drag from a port to a step to connect that exit.
                        this._connect = { from: node.dataset.step, key: port.dataset.port, line: { x1: p[0], y1: p[1], x2: p[0], y2: p[1] } };
                        this.$refs.graph.setPointerCapture(event.pointerId);
                        event.preventDefault();
                        return;
                    }
                    if (node) {
                        var step = this.def.steps.find(function (s) { return s.id === node.dataset.step; });
                        this._drag = { step: step, start: p, origin: step.position.slice(), moved: false };
                        this.$refs.graph.setPointerCapture(event.pointerId);
                        event.preventDefault();
                        return;
                    }
                    if (edge) {
                        this.selectedEdge = { from: edge.dataset.from, key: edge.dataset.key };
                        this.selectedId = null;
                        this.draw();
                        return;
                    }
                    this.selectedEdge = null;
                    this.selectedId = null;
                    this.draw();
                },

                pointerMove: function (event) {
                    var p = this.point(event);
                    if (this._connect) {
                        this._connect.line.x2 = p[0];
                        this._connect.line.y2 = p[1];
                        this.draw();
                    } else if (this._drag) {
                        var d = this._drag, dx = p[0] - d.start[0], dy = p[1] - d.start[1];
                        if (Math.abs(dx) + Math.abs(dy) > 3) d.moved = true;
                        if (d.moved) d.step.position = [Math.max(0, Math.round((d.origin[0] + dx) / 10) * 10), Math.max(0, Math.round((d.origin[1] + dy) / 10) * 10)];
                    }
                },

                pointerUp: function (event) {
                    if (this._connect) {
                        var c = this._connect;
                        this._connect = null;
                        var under = document.elementFromPoint(event.clientX, event.clientY);
                        var node = under && under.closest && under.closest("[data-step]");
                        if (node && node.dataset.step !== c.from) this.connect(c.from, c.key, node.dataset.step);
                        this.draw();
                    } else if (this._drag) {
                        var d = this._drag;
                        this._drag = null;
                        if (!d.moved) { this.selectedEdge = null; this.selectedId = d.step.id; }
                    }
                },

                connect: function (fromId, key, toId) {
                    var from = this.def.steps.find(function (s) { return s.id === fromId; });
                    if (!from) return;
                    if (key.indexOf("branch:") === 0) from.branches[Number(key.slice(7))].next = toId;
                    else from[key] = toId;
                },

                disconnect: function () {
                    if (!this.selectedEdge) return;
                    this.connect(this.selectedEdge.from, this.selectedEdge.key, null);
                    this.selectedEdge = null;
                },

                // ---- steps ----
                addStep: function () {
                    var kind = this.newKind, n = 1, ids = {};
                    this.def.steps.forEach(function (s) { ids[s.id] = true; });
                    while (ids[kind.replace(/_/g, "-") + "-" + n]) n++;
                    var id = kind.replace(/_/g, "-") + "-" + n;
                    var after = this.step;
                    var position = after ? [after.position[0], after.position[1] + 126] : [40, 40 + this.def.steps.length * 20];
                    var step = Object.assign({ id: id, kind: kind, name: "", next: null, position: position }, fresh(kind));
                    this.def.steps.push(step);
                    // Added with a step selected: it follows that step when the step's next is free.
                    if (after && after.kind !== "condition" && after.kind !== "random" && after.kind !== "exit" && !after.next) after.next = id;
                    if (!this.def.start) this.def.start = id;
                    this.selectedEdge = null;
                    this.selectedId = id;
                },

                removeStep: function () {
                    var id = this.selectedId;
                    if (!id) return;
                    this.def.steps = this.def.steps.filter(function (s) { return s.id !== id; });
                    this.def.steps.forEach(function (s) {
                        ["next", "timeoutNext", "yes", "no"].forEach(function (k) { if (s[k] === id) s[k] = null; });
                        (s.branches || []).forEach(function (b) { if (b.next === id) b.next = null; });
                    });
                    if (this.def.start === id) this.def.start = this.def.steps.length ? this.def.steps[0].id : null;
                    this.selectedId = null;
                },

                addFilter: function (list) { list.push({ property: "", op: "eq", value: "" }); },
                removeFilter: function (list, i) { list.splice(i, 1); },
                addBranch: function () {
                    var branches = this.step.branches;
                    branches.push({ label: String.fromCharCode(65 + branches.length), percent: 0, next: null });
                },
                removeBranch: function (i) { this.step.branches.splice(i, 1); },
                insertVariable: function (name) {
                    var s = this.step;
                    s.text = (s.text || "") + "{" + name + "}";
                },

                selectProblem: function (p) {
                    var m = /^steps\/(\d+)/.exec(p.field || "");
                    this.selectedEdge = null;
                    this.selectedId = m && this.def.steps[Number(m[1])] ? this.def.steps[Number(m[1])].id : null;
                },

                problemsOf: function (id) {
                    var index = this.def.steps.findIndex(function (s) { return s.id === id; });
                    return this.problems.filter(function (p) {
                        var m = /^steps\/(\d+)/.exec(p.field || "");
                        return m && Number(m[1]) === index;
                    });
                },

                // ---- saving and publishing ----
                request: function (method, url, body) {
                    return fetch(url, {
                        method: method,
                        credentials: "same-origin",
                        headers: { "Content-Type": "application/json", "Accept": "application/json" },
                        body: body === undefined ? undefined : JSON.stringify(body)
                    }).then(function (response) {
                        return response.json().catch(function () { return {}; }).then(function (json) { return { status: response.status, body: json }; });
                    });
                },

                save: function () {
                    var self = this;
                    this.busy = true; this.notice = ""; this.error = "";
                    var body = {
                        name: this.journey.name, description: this.journey.description,
                        testCustomerId: this.journey.testCustomerId || null, definition: serialize(this.def)
                    };
                    return this.request("PUT", "/api/journeys/" + this.journey.id, body).then(function (r) {
                        self.busy = false;
                        if (r.status === 200) {
                            self.problems = r.body.problems || [];
                            self.journey.status = r.body.status;
                            self.journey.draftChanged = r.body.draftChanged;
                            self.notice = self.problems.length ? self.t("Draft saved; fix the problems below before publishing.") : self.t("Draft saved.");
                            self.dirty = false;
                            self.draw();
                            return true;
                        }
                        self.error = r.body.detail || r.body.title || self.t("The draft could not be saved.");
                        return false;
                    }).catch(function () { self.busy = false; self.error = self.t("The draft could not be saved."); return false; });
                },

                publish: function () {
                    var self = this;
                    return this.save().then(function (saved) {
                        if (!saved) return;
                        if (self.problems.length) { self.notice = ""; self.error = self.t("Fix the problems below before publishing."); return; }
                        self.busy = true;
                        return self.request("POST", "/api/journeys/" + self.journey.id + "/publish").then(function (r) {
                            self.busy = false;
                            if (r.status === 200) {
                                self.journey.status = r.body.status;
                                self.journey.liveVersion = r.body.liveVersion;
                                self.journey.draftChanged = false;
                                self.notice = self.t("Published as version {0}.").replace("{0}", r.body.liveVersion);
                            } else {
                                self.error = r.body.detail || r.body.title || self.t("The journey could not be published.");
                            }
                        });
                    });
                }
            };
        });
    });

    window.PondJourneyEditor = { normalize: normalize, serialize: serialize };
})();
