CREATE TABLE staff (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name text NOT NULL,
    email text,
    phone text,
    wecom_user_id text,
    status text NOT NULL DEFAULT 'active',
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX ix_staff_workspace ON staff (workspace_id);

CREATE TABLE carriers (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind text NOT NULL,
    name text NOT NULL,
    external_id text NOT NULL,
    app_id text,
    owner_staff_id uuid REFERENCES staff(id) ON DELETE SET NULL,
    status text NOT NULL DEFAULT 'active',
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    UNIQUE (workspace_id, kind, external_id)
);

CREATE TABLE customers (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    display_name text,
    traits text NOT NULL DEFAULT '{}',
    owner_staff_id uuid,
    depth smallint NOT NULL DEFAULT 0,
    marketing_opt_out boolean NOT NULL DEFAULT false,
    opted_out_at bigint,
    first_seen_at bigint NOT NULL,
    last_seen_at bigint NOT NULL,
    first_order_at bigint,
    last_order_at bigint,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX ix_customers_workspace_id ON customers (workspace_id, id);
CREATE INDEX ix_customers_workspace_owner ON customers (workspace_id, owner_staff_id);
CREATE INDEX ix_customers_workspace_name ON customers (workspace_id, display_name);

CREATE TABLE identities (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    kind text NOT NULL,
    scope text NOT NULL DEFAULT '',
    value text NOT NULL,
    created_at bigint NOT NULL,
    UNIQUE (workspace_id, kind, scope, value)
);
CREATE INDEX ix_identities_customer ON identities (customer_id);
CREATE INDEX ix_identities_workspace_value ON identities (workspace_id, value);

CREATE TABLE relationships (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    carrier_id uuid NOT NULL,
    state text NOT NULL,
    since bigint NOT NULL,
    ended_at bigint,
    ended_by text,
    source_channel text,
    created_at bigint NOT NULL
);
CREATE UNIQUE INDEX ux_relationships_active ON relationships (customer_id, carrier_id) WHERE state = 'active';
CREATE INDEX ix_relationships_customer ON relationships (customer_id);
CREATE INDEX ix_relationships_carrier ON relationships (workspace_id, carrier_id, state);

CREATE TABLE event_log (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id uuid NOT NULL,
    message_id text NOT NULL,
    type text NOT NULL,
    received_at bigint NOT NULL,
    payload text NOT NULL,
    UNIQUE (workspace_id, message_id)
);

CREATE TABLE customer_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    message_id text NOT NULL,
    type text NOT NULL,
    name text,
    occurred_at bigint NOT NULL,
    properties text NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_customer_events_customer ON customer_events (customer_id, occurred_at);
CREATE INDEX ix_customer_events_workspace_name ON customer_events (workspace_id, name, occurred_at);

CREATE TABLE customer_merges (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    survivor_id uuid NOT NULL,
    merged_id uuid NOT NULL,
    identities text NOT NULL,
    message_id text,
    merged_at bigint NOT NULL
);
CREATE INDEX ix_customer_merges_survivor ON customer_merges (survivor_id);
CREATE INDEX ix_customer_merges_merged ON customer_merges (merged_id);

CREATE TABLE processor_checkpoints (
    name text PRIMARY KEY,
    position bigint NOT NULL,
    updated_at bigint NOT NULL
);
