-- Tags: a catalog of tag groups (肤质, 兴趣, 生命周期…) and tags, and the history of every tag added to or removed
-- from a customer. customer_tags (0005) keeps holding the current tags; Pond.Audience.CustomerTags writes all three.
CREATE TABLE tag_groups (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name text NOT NULL,
    description text,
    sort_order integer NOT NULL DEFAULT 0,
    created_at bigint NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE tags (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    group_id uuid REFERENCES tag_groups(id) ON DELETE SET NULL,
    name text NOT NULL,
    description text,
    created_at bigint NOT NULL,
    created_by text,
    UNIQUE (workspace_id, name)
);
CREATE INDEX ix_tags_group ON tags (group_id);

-- action: added | removed; source: manual, api, bulk, channel:<name>, segment:<name>, event, import;
-- actor: the member's email or the API key, NULL when the system did it.
CREATE TABLE tag_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    tag text NOT NULL,
    action text NOT NULL,
    source text NOT NULL,
    actor text,
    occurred_at bigint NOT NULL
);
CREATE INDEX ix_tag_history_customer ON tag_history (workspace_id, customer_id, occurred_at);
CREATE INDEX ix_tag_history_tag ON tag_history (workspace_id, tag, occurred_at);

-- Tags applied before this version (by channels) join the catalog ungrouped, and their adds start the history.
INSERT INTO tags (id, workspace_id, group_id, name, description, created_at, created_by)
SELECT gen_random_uuid(), workspace_id, NULL, tag, NULL, MIN(created_at), NULL FROM customer_tags GROUP BY workspace_id, tag;

INSERT INTO tag_history (workspace_id, customer_id, tag, action, source, actor, occurred_at)
SELECT workspace_id, customer_id, tag, 'added', source, NULL, created_at FROM customer_tags ORDER BY created_at;
