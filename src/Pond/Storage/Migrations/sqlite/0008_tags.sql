-- Tags: a catalog of tag groups (肤质, 兴趣, 生命周期…) and tags, and the history of every tag added to or removed
-- from a customer. customer_tags (0005) keeps holding the current tags; Pond.Audience.CustomerTags writes all three.
CREATE TABLE tag_groups (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    sort_order INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE tags (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    group_id TEXT REFERENCES tag_groups(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    description TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT,
    UNIQUE (workspace_id, name)
);
CREATE INDEX ix_tags_group ON tags (group_id);

-- action: added | removed; source: manual, api, bulk, channel:<name>, segment:<name>, event, import;
-- actor: the member's email or the API key, NULL when the system did it.
CREATE TABLE tag_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    action TEXT NOT NULL,
    source TEXT NOT NULL,
    actor TEXT,
    occurred_at BIGINT NOT NULL
);
CREATE INDEX ix_tag_history_customer ON tag_history (workspace_id, customer_id, occurred_at);
CREATE INDEX ix_tag_history_tag ON tag_history (workspace_id, tag, occurred_at);

-- Tags applied before this version (by channels) join the catalog ungrouped, and their adds start the history.
INSERT INTO tags (id, workspace_id, group_id, name, description, created_at, created_by)
SELECT lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-' || substr(h, 17, 4) || '-' || substr(h, 21, 12)),
       workspace_id, NULL, tag, NULL, created_at, NULL
FROM (SELECT hex(randomblob(16)) AS h, workspace_id, tag, MIN(created_at) AS created_at FROM customer_tags GROUP BY workspace_id, tag);

INSERT INTO tag_history (workspace_id, customer_id, tag, action, source, actor, occurred_at)
SELECT workspace_id, customer_id, tag, 'added', source, NULL, created_at FROM customer_tags ORDER BY created_at;
