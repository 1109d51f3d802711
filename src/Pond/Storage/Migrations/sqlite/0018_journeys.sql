-- Automation (自动化营销), docs/journeys.md: journeys as versioned step graphs, the customers running through them,
-- staff tasks, the content library's items, and the outbox's marketing fields. Times unix ms.
--
-- A journey's draft is edited freely; publishing freezes it as a new journey_versions row. A run belongs to one
-- version for life, so customers in flight finish on the graph they entered. The graph is acyclic, so a run takes each
-- step at most once: (run_id, step_id) is the idempotency key of every action a step performs.
CREATE TABLE journeys (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL,
    draft TEXT NOT NULL,
    live_version INTEGER,
    template TEXT,
    test_customer_id TEXT,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ix_journeys_workspace ON journeys (workspace_id, created_at);

CREATE TABLE journey_versions (
    journey_id TEXT NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    published_by TEXT,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (journey_id, version)
);

-- state: waiting (due_at set, maybe also wait_event), completed, converted (reached the goal), exited (left by an exit
-- step, a paused/archived journey, or a failed action that ends it). entry_key makes each trigger occurrence enter once.
CREATE TABLE journey_runs (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    journey_id TEXT NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    customer_id TEXT NOT NULL,
    state TEXT NOT NULL,
    step_id TEXT NOT NULL,
    due_at BIGINT,
    wait_event TEXT,
    armed INTEGER NOT NULL DEFAULT 0,
    steps_taken INTEGER NOT NULL DEFAULT 0,
    woken_at BIGINT,
    entry_key TEXT NOT NULL,
    is_test INTEGER NOT NULL DEFAULT 0,
    entered_at BIGINT NOT NULL,
    ended_at BIGINT,
    end_reason TEXT,
    UNIQUE (journey_id, entry_key)
);
-- (due_at, id) is the engine's ORDER BY: with due_at alone, a million runs due at once are sorted for every batch.
CREATE INDEX ix_journey_runs_due ON journey_runs (due_at, id) WHERE state = 'waiting';
-- Entry checks and event wake-ups look runs up by customer and journey: both columns lead, or SQLite scans the journey.
CREATE INDEX ix_journey_runs_customer ON journey_runs (customer_id, journey_id, state);
CREATE INDEX ix_journey_runs_journey ON journey_runs (journey_id, state, step_id);
-- One run in flight per journey and customer, whatever the re-entry policy.
CREATE UNIQUE INDEX ux_journey_runs_active ON journey_runs (journey_id, customer_id) WHERE state = 'waiting';

-- Every step a run took, once: the primary key is the idempotency key.
CREATE TABLE journey_run_steps (
    run_id TEXT NOT NULL REFERENCES journey_runs(id) ON DELETE CASCADE,
    step_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT,
    PRIMARY KEY (run_id, step_id)
);

-- Per-journey, per-version, per-step counters, raised in the engine's batch transaction.
CREATE TABLE journey_step_counts (
    journey_id TEXT NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    step_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (journey_id, version, step_id, outcome)
);

-- Work for a person: journeys' task steps and SOP plans create these; staff tick them done. dedupe_key makes creation
-- idempotent (a journey step's key is journey:{run}:{step}).
CREATE TABLE staff_tasks (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    staff_id TEXT,
    customer_id TEXT,
    group_chat_id TEXT,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT,
    content_id TEXT,
    source TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    state TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    done_at BIGINT,
    done_by TEXT,
    UNIQUE (workspace_id, dedupe_key)
);
CREATE INDEX ix_staff_tasks_staff ON staff_tasks (workspace_id, staff_id, state, due_at);

-- The content library (素材库). kind: text, image, poster, article, link, mini_program, video. Files live under the
-- data folder (file_path); data holds kind-specific fields (mini-program appid/page, article summary) as JSON.
CREATE TABLE content_folders (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    parent_id TEXT,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_content_folders_workspace ON content_folders (workspace_id, parent_id);

CREATE TABLE content_items (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    folder_id TEXT,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT,
    url TEXT,
    file_path TEXT,
    file_type TEXT,
    file_size BIGINT,
    data TEXT NOT NULL DEFAULT '{}',
    tags TEXT NOT NULL DEFAULT '[]',
    usage_count BIGINT NOT NULL DEFAULT 0,
    archived INTEGER NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ix_content_items_workspace ON content_items (workspace_id, folder_id, updated_at);

-- The outbox learns what a message is for: purpose marketing (respect rules apply) or transactional (exempt, marked);
-- source names what sent it (journey:{id}, sop:{id}, welcome, api); delivered_at when the provider confirmed delivery.
ALTER TABLE outbox ADD COLUMN purpose TEXT NOT NULL DEFAULT 'transactional';
ALTER TABLE outbox ADD COLUMN source TEXT;
ALTER TABLE outbox ADD COLUMN delivered_at BIGINT;
CREATE INDEX ix_outbox_customer ON outbox (customer_id, created_at);
