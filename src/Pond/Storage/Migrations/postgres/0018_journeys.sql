-- Automation (自动化营销), docs/journeys.md: journeys as versioned step graphs, the customers running through them,
-- staff tasks, the content library's items, and the outbox's marketing fields. Times unix ms.
--
-- A journey's draft is edited freely; publishing freezes it as a new journey_versions row. A run belongs to one
-- version for life, so customers in flight finish on the graph they entered. The graph is acyclic, so a run takes each
-- step at most once: (run_id, step_id) is the idempotency key of every action a step performs.
CREATE TABLE journeys (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name text NOT NULL,
    description text,
    status text NOT NULL,
    draft text NOT NULL,
    live_version integer,
    template text,
    test_customer_id uuid,
    created_by text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX ix_journeys_workspace ON journeys (workspace_id, created_at);

CREATE TABLE journey_versions (
    journey_id uuid NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
    version integer NOT NULL,
    definition text NOT NULL,
    published_by text,
    published_at bigint NOT NULL,
    PRIMARY KEY (journey_id, version)
);

-- state: waiting (due_at set, maybe also wait_event), completed, converted (reached the goal), exited (left by an exit
-- step, a paused/archived journey, or a failed action that ends it). entry_key makes each trigger occurrence enter once.
CREATE TABLE journey_runs (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    journey_id uuid NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
    version integer NOT NULL,
    customer_id uuid NOT NULL,
    state text NOT NULL,
    step_id text NOT NULL,
    due_at bigint,
    wait_event text,
    armed boolean NOT NULL DEFAULT false,
    steps_taken integer NOT NULL DEFAULT 0,
    woken_at bigint,
    entry_key text NOT NULL,
    is_test boolean NOT NULL DEFAULT false,
    entered_at bigint NOT NULL,
    ended_at bigint,
    end_reason text,
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
    run_id uuid NOT NULL REFERENCES journey_runs(id) ON DELETE CASCADE,
    step_id text NOT NULL,
    ordinal integer NOT NULL,
    at bigint NOT NULL,
    outcome text NOT NULL,
    detail text,
    PRIMARY KEY (run_id, step_id)
);

-- Per-journey, per-version, per-step counters, raised in the engine's batch transaction.
CREATE TABLE journey_step_counts (
    journey_id uuid NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
    version integer NOT NULL,
    step_id text NOT NULL,
    outcome text NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (journey_id, version, step_id, outcome)
);

-- Work for a person: journeys' task steps and SOP plans create these; staff tick them done. dedupe_key makes creation
-- idempotent (a journey step's key is journey:{run}:{step}).
CREATE TABLE staff_tasks (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    staff_id uuid,
    customer_id uuid,
    group_chat_id text,
    kind text NOT NULL,
    title text NOT NULL,
    body text,
    content_id uuid,
    source text NOT NULL,
    dedupe_key text NOT NULL,
    state text NOT NULL,
    due_at bigint NOT NULL,
    created_at bigint NOT NULL,
    done_at bigint,
    done_by text,
    UNIQUE (workspace_id, dedupe_key)
);
CREATE INDEX ix_staff_tasks_staff ON staff_tasks (workspace_id, staff_id, state, due_at);

-- The content library (素材库). kind: text, image, poster, article, link, mini_program, video. Files live under the
-- data folder (file_path); data holds kind-specific fields (mini-program appid/page, article summary) as JSON.
CREATE TABLE content_folders (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    parent_id uuid,
    name text NOT NULL,
    created_at bigint NOT NULL
);
CREATE INDEX ix_content_folders_workspace ON content_folders (workspace_id, parent_id);

CREATE TABLE content_items (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    folder_id uuid,
    kind text NOT NULL,
    title text NOT NULL,
    body text,
    url text,
    file_path text,
    file_type text,
    file_size bigint,
    data text NOT NULL DEFAULT '{}',
    tags text NOT NULL DEFAULT '[]',
    usage_count bigint NOT NULL DEFAULT 0,
    archived boolean NOT NULL DEFAULT false,
    created_by text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX ix_content_items_workspace ON content_items (workspace_id, folder_id, updated_at);

-- The outbox learns what a message is for: purpose marketing (respect rules apply) or transactional (exempt, marked);
-- source names what sent it (journey:{id}, sop:{id}, welcome, api); delivered_at when the provider confirmed delivery.
ALTER TABLE outbox ADD COLUMN purpose text NOT NULL DEFAULT 'transactional';
ALTER TABLE outbox ADD COLUMN source text;
ALTER TABLE outbox ADD COLUMN delivered_at bigint;
CREATE INDEX ix_outbox_customer ON outbox (customer_id, created_at);
