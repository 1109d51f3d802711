-- Coupons (docs/coupons.md). A template says what a coupon is worth and when it applies; each issued coupon has
-- its own unguessable code and its own validity window, fixed at issue. Money in fen. issued_count never passes
-- total_stock: issuing raises it with a conditional UPDATE, so the database (not a process lock) keeps the limit.
CREATE TABLE coupon_templates (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name text NOT NULL,
    description text,
    kind text NOT NULL,
    percent integer,
    amount bigint,
    threshold bigint,
    max_discount bigint,
    gift_sku text,
    min_spend bigint NOT NULL DEFAULT 0,
    valid_from bigint,
    valid_to bigint,
    valid_days integer,
    per_customer_limit integer,
    total_stock integer,
    issued_count integer NOT NULL DEFAULT 0,
    skus text,
    categories text,
    stacking text NOT NULL,
    status text NOT NULL,
    created_by text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    UNIQUE (workspace_id, name)
);

-- One issued coupon. status: unused, redeemed, expired, revoked. order_id is the order it is redeemed against.
-- issue_key makes issuing idempotent per template (an API idempotency key, or bulk key + customer).
CREATE TABLE coupons (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    template_id uuid NOT NULL REFERENCES coupon_templates(id) ON DELETE CASCADE,
    customer_id uuid NOT NULL,
    code text NOT NULL,
    status text NOT NULL,
    source text NOT NULL,
    issue_key text,
    issued_at bigint NOT NULL,
    valid_from bigint NOT NULL,
    valid_to bigint NOT NULL,
    redeemed_at bigint,
    order_id text,
    expired_at bigint,
    revoked_at bigint,
    updated_at bigint NOT NULL,
    UNIQUE (code),
    UNIQUE (template_id, issue_key)
);
CREATE INDEX ix_coupons_template ON coupons (template_id, status);
CREATE INDEX ix_coupons_customer ON coupons (customer_id, template_id, status);
CREATE INDEX ix_coupons_due ON coupons (status, valid_to);

-- A coupon used on an order: discount is what the coupon took off, order_amount the order's paid amount (GMV).
-- A fully refunded order releases its redemptions (released_at set) and the coupon goes back to unused.
CREATE TABLE coupon_redemptions (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    coupon_id uuid NOT NULL REFERENCES coupons(id) ON DELETE CASCADE,
    template_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    order_id text NOT NULL,
    discount bigint NOT NULL,
    order_amount bigint NOT NULL,
    gift_sku text,
    redeemed_at bigint NOT NULL,
    released_at bigint,
    UNIQUE (coupon_id, order_id)
);
CREATE INDEX ix_coupon_redemptions_template ON coupon_redemptions (template_id, redeemed_at);
CREATE INDEX ix_coupon_redemptions_order ON coupon_redemptions (workspace_id, order_id);
