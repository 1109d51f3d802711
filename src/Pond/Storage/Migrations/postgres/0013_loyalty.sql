-- Points and member tiers (docs/loyalty.md).

-- The workspace's points and tier rules as JSON (earn rates, check-in, tasks, expiry, member day, tier basis).
CREATE TABLE loyalty_settings (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    rules TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One row per customer with points: the balance is kept in the same transaction as the ledger row that moves it and
-- can never go below zero. debt is what a refund could not take back because the points were already spent; future
-- earnings pay it first.
CREATE TABLE points_balances (
    customer_id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    balance BIGINT NOT NULL CHECK (balance >= 0),
    debt BIGINT NOT NULL DEFAULT 0 CHECK (debt >= 0),
    earned_total BIGINT NOT NULL DEFAULT 0,
    spent_total BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ix_points_balances_workspace ON points_balances (workspace_id, balance);

-- The append-only ledger: kind earn/spend/expire/adjust/reverse, amount signed, balance_after the balance once this
-- row applied. The idempotency key is unique per workspace, so a repeated request finds its first answer.
-- owed: for a reverse row, the part not taken because the customer had spent it (added to points_balances.debt).
CREATE TABLE points_ledger (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    customer_id uuid NOT NULL,
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    owed BIGINT NOT NULL DEFAULT 0,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,
    reference TEXT,
    idempotency_key TEXT NOT NULL,
    expires_at BIGINT,
    actor TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (workspace_id, idempotency_key)
);
CREATE INDEX ix_points_ledger_customer ON points_ledger (customer_id, seq);
CREATE INDEX ix_points_ledger_reference ON points_ledger (workspace_id, source, reference);

-- Earned lots not yet used: spends, negative adjustments and reversals consume the oldest first; expiry takes what is
-- left of a lot when it expires. The sum of remaining over a customer's lots equals the balance.
CREATE TABLE points_lots (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    earned_at BIGINT NOT NULL,
    expires_at BIGINT,
    remaining BIGINT NOT NULL CHECK (remaining >= 0)
);
CREATE INDEX ix_points_lots_customer ON points_lots (customer_id, earned_at);
CREATE INDEX ix_points_lots_expiry ON points_lots (expires_at) WHERE remaining > 0;

-- Daily check-ins 打卡: one per customer per local day (yyyymmdd in the workspace's zone) with the streak reached.
CREATE TABLE points_checkins (
    customer_id uuid NOT NULL,
    day INTEGER NOT NULL,
    workspace_id uuid NOT NULL,
    streak INTEGER NOT NULL,
    points BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, day)
);

-- Gifts redeemed for points, each tied to the spend row that paid for it.
CREATE TABLE points_gifts (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    ledger_id uuid NOT NULL UNIQUE,
    gift TEXT NOT NULL,
    points BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX ix_points_gifts_workspace ON points_gifts (workspace_id, at);

-- Member tiers 会员等级: a customer is in the highest tier whose threshold (fen of rolling 12-month net spend, or points
-- earned in 12 months, as the settings choose) they reach. Benefits: a points multiplier (percent, 100 = ×1), a
-- discount coupon template given on reaching the tier, a birthday gift (points and/or a coupon template).
CREATE TABLE tiers (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    threshold BIGINT NOT NULL,
    multiplier_pct INTEGER NOT NULL,
    discount_coupon_template_id uuid,
    birthday_points BIGINT NOT NULL DEFAULT 0,
    birthday_coupon_template_id uuid,
    color TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, name),
    UNIQUE (workspace_id, threshold)
);

-- Each customer's current tier and the figure it was decided on.
CREATE TABLE customer_tiers (
    customer_id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    tier_id uuid NOT NULL,
    metric BIGINT NOT NULL,
    since BIGINT NOT NULL,
    evaluated_at BIGINT NOT NULL
);
CREATE INDEX ix_customer_tiers_tier ON customer_tiers (workspace_id, tier_id, customer_id);

-- Tier history: every upgrade and downgrade, with what caused it (order, refund, nightly, manual).
CREATE TABLE tier_changes (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    from_tier_id uuid,
    from_name TEXT,
    to_tier_id uuid,
    to_name TEXT,
    direction TEXT NOT NULL,
    metric BIGINT NOT NULL,
    cause TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX ix_tier_changes_customer ON tier_changes (customer_id, at);
CREATE INDEX ix_tier_changes_workspace ON tier_changes (workspace_id, at);

-- Benefits given once (a birthday gift per year, a tier's discount coupon per upgrade): the key makes a repeat a no-op.
-- coupon_template_id with issued = false: a coupon owed that no coupon issuer has issued yet.
CREATE TABLE loyalty_grants (
    workspace_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    grant_key TEXT NOT NULL,
    points BIGINT NOT NULL DEFAULT 0,
    coupon_template_id uuid,
    issued boolean NOT NULL DEFAULT false,
    at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, customer_id, grant_key)
);

-- The nightly run per workspace: the last local day (yyyymmdd) it ran for.
CREATE TABLE loyalty_runs (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    last_day INTEGER NOT NULL,
    ran_at BIGINT NOT NULL
);
