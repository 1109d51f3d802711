-- Segments: a rule (JSON condition tree, docs/segments.md) whose members are kept current by the
-- audience engine. sync_tag names a tag the engine keeps on exactly the members.
CREATE TABLE segments (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name text NOT NULL,
    description text,
    rule text NOT NULL,
    sync_tag text,
    status text NOT NULL DEFAULT 'active',
    member_count integer NOT NULL DEFAULT 0,
    created_by text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE segment_members (
    segment_id uuid NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    customer_id uuid NOT NULL,
    entered_at bigint NOT NULL,
    PRIMARY KEY (segment_id, customer_id)
);
CREATE INDEX ix_segment_members_customer ON segment_members (customer_id);

-- Size over time: the size at the end of each day (yyyymmdd in the workspace zone), upserted as it changes.
CREATE TABLE segment_sizes (
    segment_id uuid NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    day integer NOT NULL,
    size integer NOT NULL,
    PRIMARY KEY (segment_id, day)
);

-- What the audience engine observed happen to customers: segment.entered, segment.exited,
-- lifecycle.changed. An ordered stream (by seq) that journeys read with their own checkpoint.
CREATE TABLE audience_events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    kind text NOT NULL,
    subject text NOT NULL,
    detail text,
    occurred_at bigint NOT NULL
);
CREATE INDEX ix_audience_events_customer ON audience_events (workspace_id, customer_id, occurred_at);
CREATE INDEX ix_audience_events_subject ON audience_events (workspace_id, subject, occurred_at);
