CREATE TABLE workspaces (
    id uuid PRIMARY KEY,
    slug text NOT NULL UNIQUE,
    name text NOT NULL,
    time_zone text NOT NULL DEFAULT 'Asia/Shanghai',
    created_at bigint NOT NULL
);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE,
    display_name text NOT NULL,
    password_hash text NOT NULL,
    created_at bigint NOT NULL,
    last_sign_in_at bigint
);

CREATE TABLE memberships (
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role text NOT NULL,
    staff_id uuid,
    created_at bigint NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX ix_memberships_user ON memberships (user_id);

CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind text NOT NULL,
    name text NOT NULL,
    prefix text NOT NULL,
    key_hash text NOT NULL UNIQUE,
    created_at bigint NOT NULL,
    created_by text,
    last_used_at bigint,
    revoked_at bigint
);
CREATE INDEX ix_api_keys_workspace ON api_keys (workspace_id);

CREATE TABLE audit_log (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    target text,
    details text,
    at bigint NOT NULL
);
CREATE INDEX ix_audit_log_workspace_at ON audit_log (workspace_id, at);
