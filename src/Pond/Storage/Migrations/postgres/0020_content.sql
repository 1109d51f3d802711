-- The content library's tracked links (docs/content.md). Every link item, and every URL of a text script saved with
-- "track links", gets one short code per (item, target URL); /l/{code} counts the click and redirects.
CREATE TABLE content_links (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    item_id uuid NOT NULL,
    code text NOT NULL UNIQUE,
    target_url text NOT NULL,
    created_at bigint NOT NULL,
    UNIQUE (item_id, target_url)
);

-- One row per click. visitor is the customer id when the link carried a valid customer token, else a random id the
-- browser keeps in a cookie; day is the local date (yyyymmdd, the workspace's zone) so unique visitors are per day.
CREATE TABLE content_link_clicks (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    link_id uuid NOT NULL,
    item_id uuid NOT NULL,
    customer_id uuid,
    visitor text NOT NULL,
    day integer NOT NULL,
    at bigint NOT NULL
);
CREATE INDEX ix_content_link_clicks_item ON content_link_clicks (item_id, day);
CREATE INDEX ix_content_link_clicks_customer ON content_link_clicks (workspace_id, customer_id, at);

-- The key customer tokens in tracked links are signed with (one per workspace, made on first use).
CREATE TABLE content_link_keys (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    secret text NOT NULL,
    created_at bigint NOT NULL
);

CREATE INDEX ix_content_folders_parent ON content_folders (parent_id);
-- Folder names are unique among siblings.
CREATE UNIQUE INDEX ux_content_folders_name ON content_folders (workspace_id, COALESCE(parent_id::text, ''), name);
