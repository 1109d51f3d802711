-- CSV imports (docs/import.md): one row per import job. The worker claims queued jobs, writes their rows to the
-- event log under message ids made of the job id and the line number (so a resumed job stores nothing twice),
-- and keeps the counters current about once a second; heartbeat_at tells a live job from one whose node died.
CREATE TABLE imports (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    source_path TEXT NOT NULL,
    rejects_path TEXT NOT NULL,
    state TEXT NOT NULL,
    total_bytes BIGINT NOT NULL DEFAULT 0,
    bytes_read BIGINT NOT NULL DEFAULT 0,
    lines_read BIGINT NOT NULL DEFAULT 0,
    accepted BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    events_written BIGINT NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    node TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    heartbeat_at BIGINT,
    error TEXT
);
CREATE INDEX ix_imports_workspace ON imports (workspace_id, created_at);
CREATE INDEX ix_imports_state ON imports (state, created_at);
