-- Coupons (docs/coupons.md). A template says what a coupon is worth and when it applies; each issued coupon has
-- its own unguessable code and its own validity window, fixed at issue. Money in fen. issued_count never passes
-- total_stock: issuing raises it with a conditional UPDATE, so the database (not a process lock) keeps the limit.
CREATE TABLE coupon_templates (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    kind TEXT NOT NULL,
    percent INTEGER,
    amount BIGINT,
    threshold BIGINT,
    max_discount BIGINT,
    gift_sku TEXT,
    min_spend BIGINT NOT NULL DEFAULT 0,
    valid_from BIGINT,
    valid_to BIGINT,
    valid_days INTEGER,
    per_customer_limit INTEGER,
    total_stock INTEGER,
    issued_count INTEGER NOT NULL DEFAULT 0,
    skus TEXT,
    categories TEXT,
    stacking TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

-- One issued coupon. status: unused, redeemed, expired, revoked. order_id is the order it is redeemed against.
-- issue_key makes issuing idempotent per template (an API idempotency key, or bulk key + customer).
CREATE TABLE coupons (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    template_id TEXT NOT NULL REFERENCES coupon_templates(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    code TEXT NOT NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    issue_key TEXT,
    issued_at BIGINT NOT NULL,
    valid_from BIGINT NOT NULL,
    valid_to BIGINT NOT NULL,
    redeemed_at BIGINT,
    order_id TEXT,
    expired_at BIGINT,
    revoked_at BIGINT,
    updated_at BIGINT NOT NULL,
    UNIQUE (code),
    UNIQUE (template_id, issue_key)
);
CREATE INDEX ix_coupons_template ON coupons (template_id, status);
CREATE INDEX ix_coupons_customer ON coupons (customer_id, template_id, status);
CREATE INDEX ix_coupons_due ON coupons (status, valid_to);

-- A coupon used on an order: discount is what the coupon took off, order_amount the order's paid amount (GMV).
-- A fully refunded order releases its redemptions (released_at set) and the coupon goes back to unused.
CREATE TABLE coupon_redemptions (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    coupon_id TEXT NOT NULL REFERENCES coupons(id) ON DELETE CASCADE,
    template_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    discount BIGINT NOT NULL,
    order_amount BIGINT NOT NULL,
    gift_sku TEXT,
    redeemed_at BIGINT NOT NULL,
    released_at BIGINT,
    UNIQUE (coupon_id, order_id)
);
CREATE INDEX ix_coupon_redemptions_template ON coupon_redemptions (template_id, redeemed_at);
CREATE INDEX ix_coupon_redemptions_order ON coupon_redemptions (workspace_id, order_id);
