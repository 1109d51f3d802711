CREATE TABLE staff (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    wecom_user_id TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX ix_staff_workspace ON staff (workspace_id);

CREATE TABLE carriers (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    external_id TEXT NOT NULL,
    app_id TEXT,
    owner_staff_id TEXT REFERENCES staff(id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'active',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, kind, external_id)
);

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    display_name TEXT,
    traits TEXT NOT NULL DEFAULT '{}',
    owner_staff_id TEXT,
    depth INTEGER NOT NULL DEFAULT 0,
    marketing_opt_out INTEGER NOT NULL DEFAULT 0,
    opted_out_at INTEGER,
    first_seen_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    first_order_at INTEGER,
    last_order_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX ix_customers_workspace_id ON customers (workspace_id, id);
CREATE INDEX ix_customers_workspace_owner ON customers (workspace_id, owner_staff_id);
CREATE INDEX ix_customers_workspace_name ON customers (workspace_id, display_name);

CREATE TABLE identities (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '',
    value TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (workspace_id, kind, scope, value)
);
CREATE INDEX ix_identities_customer ON identities (customer_id);
CREATE INDEX ix_identities_workspace_value ON identities (workspace_id, value);

CREATE TABLE relationships (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    carrier_id TEXT NOT NULL,
    state TEXT NOT NULL,
    since INTEGER NOT NULL,
    ended_at INTEGER,
    ended_by TEXT,
    source_channel TEXT,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ux_relationships_active ON relationships (customer_id, carrier_id) WHERE state = 'active';
CREATE INDEX ix_relationships_customer ON relationships (customer_id);
CREATE INDEX ix_relationships_carrier ON relationships (workspace_id, carrier_id, state);

CREATE TABLE event_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    type TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    payload TEXT NOT NULL,
    UNIQUE (workspace_id, message_id)
);

CREATE TABLE customer_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT,
    occurred_at INTEGER NOT NULL,
    properties TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_customer_events_customer ON customer_events (customer_id, occurred_at);
CREATE INDEX ix_customer_events_workspace_name ON customer_events (workspace_id, name, occurred_at);

CREATE TABLE customer_merges (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    survivor_id TEXT NOT NULL,
    merged_id TEXT NOT NULL,
    identities TEXT NOT NULL,
    message_id TEXT,
    merged_at INTEGER NOT NULL
);
CREATE INDEX ix_customer_merges_survivor ON customer_merges (survivor_id);
CREATE INDEX ix_customer_merges_merged ON customer_merges (merged_id);

CREATE TABLE processor_checkpoints (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
