-- Orders (docs/commerce.md). order_id is the shop's id, unique per workspace: recording an order twice is a
-- no-op. Money is in fen. The credited staff member and the first- and last-touch channels are decided once,
-- when the order is recorded, and kept with it so reports never re-derive history.
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    order_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    placed_at BIGINT NOT NULL,
    sales_channel TEXT NOT NULL,
    private_domain INTEGER NOT NULL,
    currency TEXT NOT NULL,
    subtotal BIGINT NOT NULL,
    discount BIGINT NOT NULL,
    shipping BIGINT NOT NULL,
    paid BIGINT NOT NULL,
    refunded BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    coupon_codes TEXT,
    tracking_code TEXT,
    staff_id TEXT,
    staff_source TEXT,
    first_channel_id TEXT,
    first_code_id TEXT,
    first_touch_at BIGINT,
    last_channel_id TEXT,
    last_code_id TEXT,
    last_touch_at BIGINT,
    source TEXT NOT NULL,
    message_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, order_id)
);
CREATE INDEX ix_orders_placed ON orders (workspace_id, placed_at);
CREATE INDEX ix_orders_customer ON orders (customer_id, placed_at);
CREATE INDEX ix_orders_staff ON orders (workspace_id, staff_id, placed_at);

CREATE TABLE order_items (
    order_pk TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    sku TEXT NOT NULL,
    name TEXT,
    category TEXT,
    price BIGINT NOT NULL,
    quantity INTEGER NOT NULL,
    amount BIGINT NOT NULL,
    refunded_quantity INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (order_pk, line)
);
CREATE INDEX ix_order_items_sku ON order_items (sku);

-- A refund is unique per order by the shop's refund id; amount in fen; items the lines it returns (JSON).
CREATE TABLE order_refunds (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    order_pk TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    refund_id TEXT NOT NULL,
    amount BIGINT NOT NULL,
    items TEXT,
    reason TEXT,
    refunded_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (order_pk, refund_id)
);
CREATE INDEX ix_order_refunds_workspace ON order_refunds (workspace_id, refunded_at);

-- Per-workspace commerce settings: the attribution look-back window in days.
CREATE TABLE commerce_settings (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    attribution_window_days INTEGER NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A staff member's tracking code: put on links and mini-program paths (?sc=) so the orders they bring are credited to them.
ALTER TABLE staff ADD COLUMN tracking_code TEXT;
CREATE UNIQUE INDEX ux_staff_tracking_code ON staff (workspace_id, tracking_code);
