-- Acquisition (引流): channels and what they cost, live codes with the accounts or groups behind them,
-- landing-page visits, the add credited to a code, channel tags, the WeCom and official-account
-- connections, the outbox, console alerts and staff handovers.
ALTER TABLE carriers ADD COLUMN contact_url text;
-- The brand logo centred on QR images (SVG), optional.
ALTER TABLE workspaces ADD COLUMN logo_svg text;

CREATE TABLE channels (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name text NOT NULL,
    kind text NOT NULL,
    hook text,
    tags text NOT NULL DEFAULT '[]',
    notes text,
    archived boolean NOT NULL DEFAULT false,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    UNIQUE (workspace_id, name)
);

-- Money is kept in fen (分) so both engines sum it exactly. spent_on is the day (yyyymmdd) in the
-- workspace's zone; code_id names the live code the money was spent on, or is empty for the channel as a whole.
CREATE TABLE channel_spend (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    channel_id uuid NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    code_id uuid,
    spent_on integer NOT NULL,
    amount_fen bigint NOT NULL,
    note text,
    created_by text NOT NULL,
    created_at bigint NOT NULL
);
CREATE INDEX ix_channel_spend_channel ON channel_spend (channel_id, spent_on);

-- slug is the short link (/c/{slug}), global so a link finds its workspace; state is what WeCom
-- echoes back on add (contact-way State, official-account qrscene_), unique per workspace.
CREATE TABLE live_codes (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel_id uuid NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    kind text NOT NULL,
    name text NOT NULL,
    slug text NOT NULL UNIQUE,
    state text NOT NULL,
    strategy text NOT NULL,
    welcome_text text,
    welcome_material text,
    welcome_coupon text,
    status text NOT NULL DEFAULT 'active',
    scans bigint NOT NULL DEFAULT 0,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    UNIQUE (workspace_id, state)
);
CREATE INDEX ix_live_codes_channel ON live_codes (workspace_id, channel_id);

-- The staff accounts (or groups) behind a code, in the operator's order.
CREATE TABLE live_code_members (
    code_id uuid NOT NULL REFERENCES live_codes(id) ON DELETE CASCADE,
    carrier_id uuid NOT NULL REFERENCES carriers(id) ON DELETE CASCADE,
    position integer NOT NULL,
    weight integer NOT NULL DEFAULT 1,
    daily_cap integer,
    capacity integer,
    regions text NOT NULL DEFAULT '[]',
    hours text,
    contact_way_id text,
    contact_url text,
    PRIMARY KEY (code_id, carrier_id)
);
CREATE INDEX ix_live_code_members_carrier ON live_code_members (carrier_id);

-- One row per visitor, code and day (in the workspace's zone): the visit count behind the add rate.
CREATE TABLE live_code_visits (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    code_id uuid NOT NULL REFERENCES live_codes(id) ON DELETE CASCADE,
    visitor text NOT NULL,
    day integer NOT NULL,
    carrier_id uuid,
    region text,
    visited_at bigint NOT NULL,
    UNIQUE (code_id, visitor, day)
);
CREATE INDEX ix_live_code_visits_workspace ON live_code_visits (workspace_id, visited_at);

-- Every relationship that started, with the code and channel it is credited to (none for organic
-- adds) and when it ended: the rows channel analytics count.
CREATE TABLE acquisitions (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    carrier_id uuid NOT NULL,
    carrier_kind text NOT NULL,
    code_id uuid,
    channel_id uuid,
    staff_id uuid,
    message_id text NOT NULL,
    acquired_at bigint NOT NULL,
    ended_at bigint,
    ended_by text,
    UNIQUE (workspace_id, message_id)
);
CREATE INDEX ix_acquisitions_workspace ON acquisitions (workspace_id, acquired_at);
CREATE INDEX ix_acquisitions_customer ON acquisitions (customer_id);
CREATE INDEX ix_acquisitions_carrier ON acquisitions (workspace_id, carrier_id, customer_id);

CREATE TABLE customer_tags (
    workspace_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    tag text NOT NULL,
    source text NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (customer_id, tag)
);
CREATE INDEX ix_customer_tags_workspace ON customer_tags (workspace_id, tag);

CREATE TABLE wecom_connections (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    corp_id text NOT NULL,
    token text NOT NULL,
    encoding_aes_key text NOT NULL,
    secret text,
    api_base_url text,
    updated_at bigint NOT NULL
);

CREATE TABLE official_account_connections (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    app_id text NOT NULL,
    token text NOT NULL,
    updated_at bigint NOT NULL
);

-- Outbound messages wait here until a channel adapter has sent them (or said why it would not).
CREATE TABLE outbox (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    customer_id uuid,
    channel text NOT NULL,
    dedupe_key text NOT NULL,
    payload text NOT NULL,
    state text NOT NULL,
    reason text,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at bigint NOT NULL,
    created_at bigint NOT NULL,
    sent_at bigint,
    UNIQUE (workspace_id, dedupe_key)
);
CREATE INDEX ix_outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX ix_outbox_workspace ON outbox (workspace_id, created_at);

-- At most one open alert per subject and kind; resolving it closes it.
CREATE TABLE alerts (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind text NOT NULL,
    subject_id uuid NOT NULL,
    message text NOT NULL,
    raised_at bigint NOT NULL,
    resolved_at bigint
);
CREATE UNIQUE INDEX ux_alerts_open ON alerts (workspace_id, kind, subject_id) WHERE resolved_at IS NULL;

-- 在职转接 / 离职继承: one handover moves one staff member's customers to others, customer by customer.
CREATE TABLE handovers (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind text NOT NULL,
    from_staff_id uuid NOT NULL,
    actor text NOT NULL,
    created_at bigint NOT NULL
);
CREATE TABLE handover_transfers (
    id uuid PRIMARY KEY,
    handover_id uuid NOT NULL REFERENCES handovers(id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    external_user_id text,
    from_carrier_id uuid NOT NULL,
    to_carrier_id uuid NOT NULL,
    to_staff_id uuid NOT NULL,
    status text NOT NULL,
    fail_reason text,
    updated_at bigint NOT NULL
);
CREATE INDEX ix_handover_transfers_handover ON handover_transfers (handover_id);
CREATE INDEX ix_handover_transfers_customer ON handover_transfers (workspace_id, customer_id);
