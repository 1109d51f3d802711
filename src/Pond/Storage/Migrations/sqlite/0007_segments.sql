-- Segments: a rule (JSON condition tree, docs/segments.md) whose members are kept current by the
-- audience engine. sync_tag names a tag the engine keeps on exactly the members.
CREATE TABLE segments (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    rule TEXT NOT NULL,
    sync_tag TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    member_count INTEGER NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE segment_members (
    segment_id TEXT NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    entered_at BIGINT NOT NULL,
    PRIMARY KEY (segment_id, customer_id)
);
CREATE INDEX ix_segment_members_customer ON segment_members (customer_id);

-- Size over time: the size at the end of each day (yyyymmdd in the workspace zone), upserted as it changes.
CREATE TABLE segment_sizes (
    segment_id TEXT NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    day INTEGER NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (segment_id, day)
);

-- What the audience engine observed happen to customers: segment.entered, segment.exited,
-- lifecycle.changed. An ordered stream (by seq) that journeys read with their own checkpoint.
CREATE TABLE audience_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT,
    occurred_at BIGINT NOT NULL
);
CREATE INDEX ix_audience_events_customer ON audience_events (workspace_id, customer_id, occurred_at);
CREATE INDEX ix_audience_events_subject ON audience_events (workspace_id, subject, occurred_at);
