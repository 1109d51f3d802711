-- Flash sales (秒杀) and group buys (拼团), docs/activities.md. Money in fen, times unix ms.
-- A flash sale's stock is split into reserved (held by unpaid reservations) and sold (paid); a purchase attempt
-- takes a unit with a conditional UPDATE (reserved + sold < stock), so the counters can never exceed the stock.
-- attempts and refused_* are counted in memory on each node and added here about once a second.
CREATE TABLE flash_sales (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    sku TEXT NOT NULL,
    product_name TEXT NOT NULL,
    category TEXT,
    original_price BIGINT NOT NULL,
    flash_price BIGINT NOT NULL,
    stock INTEGER NOT NULL,
    reserved INTEGER NOT NULL DEFAULT 0,
    sold INTEGER NOT NULL DEFAULT 0,
    per_customer_limit INTEGER NOT NULL,
    segment_id TEXT,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    payment_timeout_seconds INTEGER NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    refused_sold_out BIGINT NOT NULL DEFAULT 0,
    refused_limit_reached BIGINT NOT NULL DEFAULT 0,
    refused_not_started BIGINT NOT NULL DEFAULT 0,
    refused_ended BIGINT NOT NULL DEFAULT 0,
    refused_not_in_audience BIGINT NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (reserved >= 0 AND sold >= 0 AND reserved + sold <= stock)
);
CREATE INDEX ix_flash_sales_workspace ON flash_sales (workspace_id, starts_at);

-- One row per unit a customer holds. slot is 1..per_customer_limit: the partial unique index lets a customer hold
-- at most `limit` live (reserved or paid) units however many attempts race; a released or cancelled unit frees its slot.
CREATE TABLE flash_reservations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    sale_id TEXT NOT NULL REFERENCES flash_sales(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    slot INTEGER NOT NULL,
    state TEXT NOT NULL,
    price BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    paid_at BIGINT,
    released_at BIGINT,
    order_id TEXT
);
CREATE UNIQUE INDEX ux_flash_reservations_slot ON flash_reservations (sale_id, customer_id, slot) WHERE state IN ('reserved', 'paid');
CREATE INDEX ix_flash_reservations_customer ON flash_reservations (sale_id, customer_id);
CREATE INDEX ix_flash_reservations_due ON flash_reservations (expires_at) WHERE state = 'reserved';

-- A group buy: N people within a time limit at the group price. stock (optional) caps the units held by open and
-- complete groups together: reserved (members of open groups) + sold (members of complete groups) <= stock.
CREATE TABLE group_buys (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    sku TEXT NOT NULL,
    product_name TEXT NOT NULL,
    category TEXT,
    original_price BIGINT NOT NULL,
    group_price BIGINT NOT NULL,
    group_size INTEGER NOT NULL,
    time_limit_minutes INTEGER NOT NULL,
    stock INTEGER,
    reserved INTEGER NOT NULL DEFAULT 0,
    sold INTEGER NOT NULL DEFAULT 0,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    groups_opened INTEGER NOT NULL DEFAULT 0,
    groups_completed INTEGER NOT NULL DEFAULT 0,
    groups_expired INTEGER NOT NULL DEFAULT 0,
    joins_refused INTEGER NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (reserved >= 0 AND sold >= 0 AND (stock IS NULL OR reserved + sold <= stock))
);
CREATE INDEX ix_group_buys_workspace ON group_buys (workspace_id, starts_at);

-- One group opened by a leader; code is its share link (/g/{code}). member_count only grows by a conditional
-- UPDATE (member_count < group_size), so no group exceeds its size.
CREATE TABLE group_buy_groups (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    group_buy_id TEXT NOT NULL REFERENCES group_buys(id) ON DELETE CASCADE,
    code TEXT NOT NULL UNIQUE,
    leader_customer_id TEXT NOT NULL,
    state TEXT NOT NULL,
    group_size INTEGER NOT NULL,
    member_count INTEGER NOT NULL,
    opened_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    closed_at BIGINT,
    CHECK (member_count <= group_size)
);
CREATE INDEX ix_group_buy_groups_buy ON group_buy_groups (group_buy_id, state, opened_at);
CREATE INDEX ix_group_buy_groups_due ON group_buy_groups (expires_at) WHERE state = 'open';

-- A participant: paid (simulated) when joining; ordered when the group completes; refunded when it expires.
CREATE TABLE group_buy_members (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    group_id TEXT NOT NULL REFERENCES group_buy_groups(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    seat INTEGER NOT NULL,
    state TEXT NOT NULL,
    paid_amount BIGINT NOT NULL,
    payment_ref TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    order_id TEXT,
    UNIQUE (group_id, customer_id),
    UNIQUE (group_id, seat)
);
CREATE INDEX ix_group_buy_members_customer ON group_buy_members (customer_id);

-- The simulated refund of a participant of an expired group: one per member.
CREATE TABLE group_buy_refunds (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    group_id TEXT NOT NULL REFERENCES group_buy_groups(id) ON DELETE CASCADE,
    member_id TEXT NOT NULL UNIQUE REFERENCES group_buy_members(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    amount BIGINT NOT NULL,
    payment_ref TEXT NOT NULL,
    reason TEXT NOT NULL,
    refunded_at BIGINT NOT NULL
);
