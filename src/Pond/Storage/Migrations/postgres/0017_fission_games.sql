-- Friend assist (好友助力), bargain (砍价) and lottery (抽奖), docs/fission-games.md. Money in fen, times unix ms.
-- Every count that must not pass a limit moves by a conditional UPDATE (helps < target, current_price > floor,
-- awarded < stock, rewards_issued < reward_stock), and every "once" is a UNIQUE key, so racing requests on any number
-- of nodes can neither double a help nor award past stock.
CREATE TABLE assist_campaigns (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name text NOT NULL,
    status text NOT NULL,
    starts_at bigint NOT NULL,
    ends_at bigint NOT NULL,
    segment_id uuid,
    target_helps integer NOT NULL,
    time_limit_minutes integer NOT NULL,
    reward_kind text NOT NULL,
    reward_template_id uuid,
    reward_points bigint,
    reward_gift text,
    reward_stock integer,
    rewards_issued integer NOT NULL DEFAULT 0,
    new_helpers_only boolean NOT NULL DEFAULT false,
    helper_daily_cap integer,
    created_by text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    CHECK (rewards_issued >= 0 AND (reward_stock IS NULL OR rewards_issued <= reward_stock))
);
CREATE INDEX ix_assist_campaigns_workspace ON assist_campaigns (workspace_id, starts_at);

-- One request a participant opens; code is its share key. helps only grows by UPDATE ... WHERE helps < target.
CREATE TABLE assist_requests (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    campaign_id uuid NOT NULL REFERENCES assist_campaigns(id) ON DELETE CASCADE,
    customer_id uuid NOT NULL,
    code text NOT NULL UNIQUE,
    state text NOT NULL,
    target integer NOT NULL,
    helps integer NOT NULL DEFAULT 0,
    opened_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    completed_at bigint,
    reward_state text,
    reward_ref text,
    reward_reason text,
    CHECK (helps >= 0 AND helps <= target)
);
CREATE UNIQUE INDEX ux_assist_requests_open ON assist_requests (campaign_id, customer_id) WHERE state = 'open';
CREATE INDEX ix_assist_requests_campaign ON assist_requests (campaign_id, opened_at);
CREATE INDEX ix_assist_requests_due ON assist_requests (expires_at) WHERE state = 'open';

-- A friend's help: one per (request, helper), whatever the retries or races.
CREATE TABLE assist_helps (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    campaign_id uuid NOT NULL,
    request_id uuid NOT NULL REFERENCES assist_requests(id) ON DELETE CASCADE,
    helper_customer_id uuid NOT NULL,
    seq integer NOT NULL,
    day integer NOT NULL,
    helped_at bigint NOT NULL,
    UNIQUE (request_id, helper_customer_id),
    UNIQUE (request_id, seq)
);
CREATE INDEX ix_assist_helps_campaign ON assist_helps (campaign_id, helped_at);

-- Helps a helper gave per local day within one assist campaign or bargain item (the daily cap across requests).
CREATE TABLE game_helper_days (
    activity_id uuid NOT NULL,
    helper_customer_id uuid NOT NULL,
    day integer NOT NULL,
    helps integer NOT NULL,
    PRIMARY KEY (activity_id, helper_customer_id, day)
);

CREATE TABLE bargain_items (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name text NOT NULL,
    status text NOT NULL,
    sku text NOT NULL,
    product_name text NOT NULL,
    category text,
    original_price bigint NOT NULL,
    floor_price bigint NOT NULL,
    max_helps integer NOT NULL,
    first_cut_percent integer NOT NULL,
    time_limit_minutes integer NOT NULL,
    stock integer,
    sold integer NOT NULL DEFAULT 0,
    starts_at bigint NOT NULL,
    ends_at bigint NOT NULL,
    segment_id uuid,
    new_helpers_only boolean NOT NULL DEFAULT false,
    helper_daily_cap integer,
    created_by text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    CHECK (floor_price >= 0 AND floor_price < original_price),
    CHECK (sold >= 0 AND (stock IS NULL OR sold <= stock))
);
CREATE INDEX ix_bargain_items_workspace ON bargain_items (workspace_id, starts_at);

-- A participant's bargain: current_price only falls by UPDATE ... WHERE helps = @seen, never below floor_price.
CREATE TABLE bargain_sessions (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    item_id uuid NOT NULL REFERENCES bargain_items(id) ON DELETE CASCADE,
    customer_id uuid NOT NULL,
    code text NOT NULL UNIQUE,
    state text NOT NULL,
    original_price bigint NOT NULL,
    floor_price bigint NOT NULL,
    max_helps integer NOT NULL,
    current_price bigint NOT NULL,
    helps integer NOT NULL DEFAULT 0,
    opened_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    reached_at bigint,
    purchased_at bigint,
    order_id text,
    CHECK (current_price >= floor_price AND current_price <= original_price),
    CHECK (helps >= 0 AND helps <= max_helps)
);
CREATE UNIQUE INDEX ux_bargain_sessions_live ON bargain_sessions (item_id, customer_id) WHERE state IN ('open', 'reached');
CREATE INDEX ix_bargain_sessions_item ON bargain_sessions (item_id, opened_at);
CREATE INDEX ix_bargain_sessions_due ON bargain_sessions (expires_at) WHERE state IN ('open', 'reached');

CREATE TABLE bargain_cuts (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    item_id uuid NOT NULL,
    session_id uuid NOT NULL REFERENCES bargain_sessions(id) ON DELETE CASCADE,
    helper_customer_id uuid NOT NULL,
    seq integer NOT NULL,
    amount bigint NOT NULL,
    price_after bigint NOT NULL,
    day integer NOT NULL,
    cut_at bigint NOT NULL,
    CHECK (amount >= 1),
    UNIQUE (session_id, helper_customer_id),
    UNIQUE (session_id, seq)
);

CREATE TABLE lotteries (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name text NOT NULL,
    status text NOT NULL,
    starts_at bigint NOT NULL,
    ends_at bigint NOT NULL,
    segment_id uuid,
    points_cost bigint NOT NULL,
    created_by text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX ix_lotteries_workspace ON lotteries (workspace_id, starts_at);

-- probability in parts per million (percent × 10,000); awarded only grows by UPDATE ... WHERE awarded < stock.
CREATE TABLE lottery_prizes (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    lottery_id uuid NOT NULL REFERENCES lotteries(id) ON DELETE CASCADE,
    position integer NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    template_id uuid,
    points bigint,
    gift text,
    probability_ppm integer NOT NULL,
    stock integer NOT NULL,
    awarded integer NOT NULL DEFAULT 0,
    CHECK (probability_ppm >= 0 AND probability_ppm <= 1000000),
    CHECK (awarded >= 0 AND awarded <= stock),
    UNIQUE (lottery_id, position)
);

-- One draw; (lottery, customer, local day) is unique: once per day however many requests race.
CREATE TABLE lottery_entries (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    lottery_id uuid NOT NULL REFERENCES lotteries(id) ON DELETE CASCADE,
    customer_id uuid NOT NULL,
    day integer NOT NULL,
    roll integer NOT NULL,
    outcome text NOT NULL,
    prize_id uuid,
    points_spent bigint NOT NULL,
    points_entry_id uuid,
    coupon_id uuid,
    reason text,
    drawn_at bigint NOT NULL,
    UNIQUE (lottery_id, customer_id, day)
);
CREATE INDEX ix_lottery_entries_lottery ON lottery_entries (lottery_id, drawn_at);
CREATE INDEX ix_lottery_entries_winners ON lottery_entries (lottery_id, drawn_at) WHERE outcome = 'won';
