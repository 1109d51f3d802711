-- Orders (docs/commerce.md). order_id is the shop's id, unique per workspace: recording an order twice is a
-- no-op. Money is in fen. The credited staff member and the first- and last-touch channels are decided once,
-- when the order is recorded, and kept with it so reports never re-derive history.
CREATE TABLE orders (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    order_id text NOT NULL,
    customer_id uuid NOT NULL,
    placed_at bigint NOT NULL,
    sales_channel text NOT NULL,
    private_domain boolean NOT NULL,
    currency text NOT NULL,
    subtotal bigint NOT NULL,
    discount bigint NOT NULL,
    shipping bigint NOT NULL,
    paid bigint NOT NULL,
    refunded bigint NOT NULL DEFAULT 0,
    status text NOT NULL,
    coupon_codes text,
    tracking_code text,
    staff_id uuid,
    staff_source text,
    first_channel_id uuid,
    first_code_id uuid,
    first_touch_at bigint,
    last_channel_id uuid,
    last_code_id uuid,
    last_touch_at bigint,
    source text NOT NULL,
    message_id text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    UNIQUE (workspace_id, order_id)
);
CREATE INDEX ix_orders_placed ON orders (workspace_id, placed_at);
CREATE INDEX ix_orders_customer ON orders (customer_id, placed_at);
CREATE INDEX ix_orders_staff ON orders (workspace_id, staff_id, placed_at);

CREATE TABLE order_items (
    order_pk uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    line integer NOT NULL,
    sku text NOT NULL,
    name text,
    category text,
    price bigint NOT NULL,
    quantity integer NOT NULL,
    amount bigint NOT NULL,
    refunded_quantity integer NOT NULL DEFAULT 0,
    PRIMARY KEY (order_pk, line)
);
CREATE INDEX ix_order_items_sku ON order_items (sku);

-- A refund is unique per order by the shop's refund id; amount in fen; items the lines it returns (JSON).
CREATE TABLE order_refunds (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    order_pk uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    refund_id text NOT NULL,
    amount bigint NOT NULL,
    items text,
    reason text,
    refunded_at bigint NOT NULL,
    source text NOT NULL,
    created_at bigint NOT NULL,
    UNIQUE (order_pk, refund_id)
);
CREATE INDEX ix_order_refunds_workspace ON order_refunds (workspace_id, refunded_at);

-- Per-workspace commerce settings: the attribution look-back window in days.
CREATE TABLE commerce_settings (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    attribution_window_days integer NOT NULL,
    updated_at bigint NOT NULL
);

-- A staff member's tracking code: put on links and mini-program paths (?sc=) so the orders they bring are credited to them.
ALTER TABLE staff ADD COLUMN tracking_code text;
CREATE UNIQUE INDEX ux_staff_tracking_code ON staff (workspace_id, tracking_code);
