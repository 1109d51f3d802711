-- CSV imports (docs/import.md): one row per import job. The worker claims queued jobs, writes their rows to the
-- event log under message ids made of the job id and the line number (so a resumed job stores nothing twice),
-- and keeps the counters current about once a second; heartbeat_at tells a live job from one whose node died.
CREATE TABLE imports (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind text NOT NULL,
    file_name text NOT NULL,
    source_path text NOT NULL,
    rejects_path text NOT NULL,
    state text NOT NULL,
    total_bytes bigint NOT NULL DEFAULT 0,
    bytes_read bigint NOT NULL DEFAULT 0,
    lines_read bigint NOT NULL DEFAULT 0,
    accepted bigint NOT NULL DEFAULT 0,
    rejected bigint NOT NULL DEFAULT 0,
    events_written bigint NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    node text,
    created_by text NOT NULL,
    created_at bigint NOT NULL,
    started_at bigint,
    finished_at bigint,
    heartbeat_at bigint,
    error text
);
CREATE INDEX ix_imports_workspace ON imports (workspace_id, created_at);
CREATE INDEX ix_imports_state ON imports (state, created_at);
