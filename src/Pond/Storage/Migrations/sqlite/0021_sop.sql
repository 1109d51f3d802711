-- SOP (标准作业), docs/sop.md: plans of three kinds (group calendars, moments plans across staff accounts, customer
-- day-N plans), their entries, and tags on group chats (which groups a group plan serves). Times unix ms; an entry's
-- time of day is minutes after local midnight in the workspace's zone.
--
-- swept_through is the engine's watermark: every occurrence at or before it has been turned into tasks. Each pass takes
-- the plan row, creates the occurrences in (swept_through, now] and moves it to now in one transaction; staff_tasks'
-- and outbox's dedupe keys make a repeated pass (a second node, a crash before commit) write nothing twice.
CREATE TABLE sop_plans (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT,
    group_tags TEXT NOT NULL DEFAULT '[]',
    staff_ids TEXT NOT NULL DEFAULT '[]',
    wecom_tasks INTEGER NOT NULL DEFAULT 1,
    swept_through BIGINT NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ix_sop_plans_workspace ON sop_plans (workspace_id, kind, status);

-- weekdays: a bitmask, Monday = 1 … Sunday = 64; 0 = every day (group and moments plans). day_offset: days after the
-- customer added the staff account (customer plans). variations: {"<staff id>": "text"} per staff account (moments).
CREATE TABLE sop_entries (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES sop_plans(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    minute_of_day INTEGER NOT NULL,
    weekdays INTEGER NOT NULL DEFAULT 0,
    day_offset INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL,
    text TEXT,
    content_id TEXT,
    variations TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_sop_entries_plan ON sop_entries (plan_id, position);

-- Tags on group chats (carriers of kind group_chat): 宝妈群, VIP群, 新人群…
CREATE TABLE carrier_tags (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    carrier_id TEXT NOT NULL REFERENCES carriers(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (carrier_id, tag)
);
CREATE INDEX ix_carrier_tags_tag ON carrier_tags (workspace_id, tag);

-- The task list's filters (due today, overdue) and the completion table read by due time.
CREATE INDEX ix_staff_tasks_due ON staff_tasks (workspace_id, due_at);
