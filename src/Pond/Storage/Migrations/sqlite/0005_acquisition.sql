-- Acquisition (引流): channels and what they cost, live codes with the accounts or groups behind them,
-- landing-page visits, the add credited to a code, channel tags, the WeCom and official-account
-- connections, the outbox, console alerts and staff handovers.
ALTER TABLE carriers ADD COLUMN contact_url TEXT;
-- The brand logo centred on QR images (SVG), optional.
ALTER TABLE workspaces ADD COLUMN logo_svg TEXT;

CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    hook TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    notes TEXT,
    archived INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

-- Money is kept in fen (分) so both engines sum it exactly. spent_on is the day (yyyymmdd) in the
-- workspace's zone; code_id names the live code the money was spent on, or is empty for the channel as a whole.
CREATE TABLE channel_spend (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    code_id TEXT,
    spent_on INTEGER NOT NULL,
    amount_fen BIGINT NOT NULL,
    note TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_channel_spend_channel ON channel_spend (channel_id, spent_on);

-- slug is the short link (/c/{slug}), global so a link finds its workspace; state is what WeCom
-- echoes back on add (contact-way State, official-account qrscene_), unique per workspace.
CREATE TABLE live_codes (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    strategy TEXT NOT NULL,
    welcome_text TEXT,
    welcome_material TEXT,
    welcome_coupon TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    scans BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, state)
);
CREATE INDEX ix_live_codes_channel ON live_codes (workspace_id, channel_id);

-- The staff accounts (or groups) behind a code, in the operator's order.
CREATE TABLE live_code_members (
    code_id TEXT NOT NULL REFERENCES live_codes(id) ON DELETE CASCADE,
    carrier_id TEXT NOT NULL REFERENCES carriers(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    weight INTEGER NOT NULL DEFAULT 1,
    daily_cap INTEGER,
    capacity INTEGER,
    regions TEXT NOT NULL DEFAULT '[]',
    hours TEXT,
    contact_way_id TEXT,
    contact_url TEXT,
    PRIMARY KEY (code_id, carrier_id)
);
CREATE INDEX ix_live_code_members_carrier ON live_code_members (carrier_id);

-- One row per visitor, code and day (in the workspace's zone): the visit count behind the add rate.
CREATE TABLE live_code_visits (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    code_id TEXT NOT NULL REFERENCES live_codes(id) ON DELETE CASCADE,
    visitor TEXT NOT NULL,
    day INTEGER NOT NULL,
    carrier_id TEXT,
    region TEXT,
    visited_at BIGINT NOT NULL,
    UNIQUE (code_id, visitor, day)
);
CREATE INDEX ix_live_code_visits_workspace ON live_code_visits (workspace_id, visited_at);

-- Every relationship that started, with the code and channel it is credited to (none for organic
-- adds) and when it ended: the rows channel analytics count.
CREATE TABLE acquisitions (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    carrier_id TEXT NOT NULL,
    carrier_kind TEXT NOT NULL,
    code_id TEXT,
    channel_id TEXT,
    staff_id TEXT,
    message_id TEXT NOT NULL,
    acquired_at BIGINT NOT NULL,
    ended_at BIGINT,
    ended_by TEXT,
    UNIQUE (workspace_id, message_id)
);
CREATE INDEX ix_acquisitions_workspace ON acquisitions (workspace_id, acquired_at);
CREATE INDEX ix_acquisitions_customer ON acquisitions (customer_id);
CREATE INDEX ix_acquisitions_carrier ON acquisitions (workspace_id, carrier_id, customer_id);

CREATE TABLE customer_tags (
    workspace_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, tag)
);
CREATE INDEX ix_customer_tags_workspace ON customer_tags (workspace_id, tag);

CREATE TABLE wecom_connections (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    corp_id TEXT NOT NULL,
    token TEXT NOT NULL,
    encoding_aes_key TEXT NOT NULL,
    secret TEXT,
    api_base_url TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE official_account_connections (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    app_id TEXT NOT NULL,
    token TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Outbound messages wait here until a channel adapter has sent them (or said why it would not).
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    customer_id TEXT,
    channel TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    UNIQUE (workspace_id, dedupe_key)
);
CREATE INDEX ix_outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX ix_outbox_workspace ON outbox (workspace_id, created_at);

-- At most one open alert per subject and kind; resolving it closes it.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    message TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE UNIQUE INDEX ux_alerts_open ON alerts (workspace_id, kind, subject_id) WHERE resolved_at IS NULL;

-- 在职转接 / 离职继承: one handover moves one staff member's customers to others, customer by customer.
CREATE TABLE handovers (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    from_staff_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE handover_transfers (
    id TEXT PRIMARY KEY,
    handover_id TEXT NOT NULL REFERENCES handovers(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    external_user_id TEXT,
    from_carrier_id TEXT NOT NULL,
    to_carrier_id TEXT NOT NULL,
    to_staff_id TEXT NOT NULL,
    status TEXT NOT NULL,
    fail_reason TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ix_handover_transfers_handover ON handover_transfers (handover_id);
CREATE INDEX ix_handover_transfers_customer ON handover_transfers (workspace_id, customer_id);
