-- Flash sales (秒杀) and group buys (拼团), docs/activities.md. Money in fen, times unix ms.
-- A flash sale's stock is split into reserved (held by unpaid reservations) and sold (paid); a purchase attempt
-- takes a unit with a conditional UPDATE (reserved + sold < stock), so the counters can never exceed the stock.
-- attempts and refused_* are counted in memory on each node and added here about once a second.
CREATE TABLE flash_sales (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name text NOT NULL,
    sku text NOT NULL,
    product_name text NOT NULL,
    category text,
    original_price bigint NOT NULL,
    flash_price bigint NOT NULL,
    stock integer NOT NULL,
    reserved integer NOT NULL DEFAULT 0,
    sold integer NOT NULL DEFAULT 0,
    per_customer_limit integer NOT NULL,
    segment_id uuid,
    starts_at bigint NOT NULL,
    ends_at bigint NOT NULL,
    payment_timeout_seconds integer NOT NULL,
    attempts bigint NOT NULL DEFAULT 0,
    refused_sold_out bigint NOT NULL DEFAULT 0,
    refused_limit_reached bigint NOT NULL DEFAULT 0,
    refused_not_started bigint NOT NULL DEFAULT 0,
    refused_ended bigint NOT NULL DEFAULT 0,
    refused_not_in_audience bigint NOT NULL DEFAULT 0,
    created_by text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    CHECK (reserved >= 0 AND sold >= 0 AND reserved + sold <= stock)
);
CREATE INDEX ix_flash_sales_workspace ON flash_sales (workspace_id, starts_at);

-- One row per unit a customer holds. slot is 1..per_customer_limit: the partial unique index lets a customer hold
-- at most `limit` live (reserved or paid) units however many attempts race; a released or cancelled unit frees its slot.
CREATE TABLE flash_reservations (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    sale_id uuid NOT NULL REFERENCES flash_sales(id) ON DELETE CASCADE,
    customer_id uuid NOT NULL,
    slot integer NOT NULL,
    state text NOT NULL,
    price bigint NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    paid_at bigint,
    released_at bigint,
    order_id text
);
CREATE UNIQUE INDEX ux_flash_reservations_slot ON flash_reservations (sale_id, customer_id, slot) WHERE state IN ('reserved', 'paid');
CREATE INDEX ix_flash_reservations_customer ON flash_reservations (sale_id, customer_id);
CREATE INDEX ix_flash_reservations_due ON flash_reservations (expires_at) WHERE state = 'reserved';

-- A group buy: N people within a time limit at the group price. stock (optional) caps the units held by open and
-- complete groups together: reserved (members of open groups) + sold (members of complete groups) <= stock.
CREATE TABLE group_buys (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name text NOT NULL,
    sku text NOT NULL,
    product_name text NOT NULL,
    category text,
    original_price bigint NOT NULL,
    group_price bigint NOT NULL,
    group_size integer NOT NULL,
    time_limit_minutes integer NOT NULL,
    stock integer,
    reserved integer NOT NULL DEFAULT 0,
    sold integer NOT NULL DEFAULT 0,
    starts_at bigint NOT NULL,
    ends_at bigint NOT NULL,
    groups_opened integer NOT NULL DEFAULT 0,
    groups_completed integer NOT NULL DEFAULT 0,
    groups_expired integer NOT NULL DEFAULT 0,
    joins_refused integer NOT NULL DEFAULT 0,
    created_by text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    CHECK (reserved >= 0 AND sold >= 0 AND (stock IS NULL OR reserved + sold <= stock))
);
CREATE INDEX ix_group_buys_workspace ON group_buys (workspace_id, starts_at);

-- One group opened by a leader; code is its share link (/g/{code}). member_count only grows by a conditional
-- UPDATE (member_count < group_size), so no group exceeds its size.
CREATE TABLE group_buy_groups (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    group_buy_id uuid NOT NULL REFERENCES group_buys(id) ON DELETE CASCADE,
    code text NOT NULL UNIQUE,
    leader_customer_id uuid NOT NULL,
    state text NOT NULL,
    group_size integer NOT NULL,
    member_count integer NOT NULL,
    opened_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    closed_at bigint,
    CHECK (member_count <= group_size)
);
CREATE INDEX ix_group_buy_groups_buy ON group_buy_groups (group_buy_id, state, opened_at);
CREATE INDEX ix_group_buy_groups_due ON group_buy_groups (expires_at) WHERE state = 'open';

-- A participant: paid (simulated) when joining; ordered when the group completes; refunded when it expires.
CREATE TABLE group_buy_members (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    group_id uuid NOT NULL REFERENCES group_buy_groups(id) ON DELETE CASCADE,
    customer_id uuid NOT NULL,
    seat integer NOT NULL,
    state text NOT NULL,
    paid_amount bigint NOT NULL,
    payment_ref text NOT NULL,
    joined_at bigint NOT NULL,
    order_id text,
    UNIQUE (group_id, customer_id),
    UNIQUE (group_id, seat)
);
CREATE INDEX ix_group_buy_members_customer ON group_buy_members (customer_id);

-- The simulated refund of a participant of an expired group: one per member.
CREATE TABLE group_buy_refunds (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    group_id uuid NOT NULL REFERENCES group_buy_groups(id) ON DELETE CASCADE,
    member_id uuid NOT NULL UNIQUE REFERENCES group_buy_members(id) ON DELETE CASCADE,
    customer_id uuid NOT NULL,
    amount bigint NOT NULL,
    payment_ref text NOT NULL,
    reason text NOT NULL,
    refunded_at bigint NOT NULL
);
