-- The content library's tracked links (docs/content.md). Every link item, and every URL of a text script saved with
-- "track links", gets one short code per (item, target URL); /l/{code} counts the click and redirects.
CREATE TABLE content_links (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    target_url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (item_id, target_url)
);

-- One row per click. visitor is the customer id when the link carried a valid customer token, else a random id the
-- browser keeps in a cookie; day is the local date (yyyymmdd, the workspace's zone) so unique visitors are per day.
CREATE TABLE content_link_clicks (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    link_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    customer_id TEXT,
    visitor TEXT NOT NULL,
    day INTEGER NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX ix_content_link_clicks_item ON content_link_clicks (item_id, day);
CREATE INDEX ix_content_link_clicks_customer ON content_link_clicks (workspace_id, customer_id, at);

-- The key customer tokens in tracked links are signed with (one per workspace, made on first use).
CREATE TABLE content_link_keys (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX ix_content_folders_parent ON content_folders (parent_id);
-- Folder names are unique among siblings.
CREATE UNIQUE INDEX ux_content_folders_name ON content_folders (workspace_id, COALESCE(parent_id, ''), name);
