-- Friend assist (好友助力), bargain (砍价) and lottery (抽奖), docs/fission-games.md. Money in fen, times unix ms.
-- Every count that must not pass a limit moves by a conditional UPDATE (helps < target, current_price > floor,
-- awarded < stock, rewards_issued < reward_stock), and every "once" is a UNIQUE key, so racing requests on any number
-- of nodes can neither double a help nor award past stock.
CREATE TABLE assist_campaigns (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    segment_id TEXT,
    target_helps INTEGER NOT NULL,
    time_limit_minutes INTEGER NOT NULL,
    reward_kind TEXT NOT NULL,
    reward_template_id TEXT,
    reward_points BIGINT,
    reward_gift TEXT,
    reward_stock INTEGER,
    rewards_issued INTEGER NOT NULL DEFAULT 0,
    new_helpers_only INTEGER NOT NULL DEFAULT 0,
    helper_daily_cap INTEGER,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (rewards_issued >= 0 AND (reward_stock IS NULL OR rewards_issued <= reward_stock))
);
CREATE INDEX ix_assist_campaigns_workspace ON assist_campaigns (workspace_id, starts_at);

-- One request a participant opens; code is its share key. helps only grows by UPDATE ... WHERE helps < target.
CREATE TABLE assist_requests (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES assist_campaigns(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    target INTEGER NOT NULL,
    helps INTEGER NOT NULL DEFAULT 0,
    opened_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    completed_at BIGINT,
    reward_state TEXT,
    reward_ref TEXT,
    reward_reason TEXT,
    CHECK (helps >= 0 AND helps <= target)
);
CREATE UNIQUE INDEX ux_assist_requests_open ON assist_requests (campaign_id, customer_id) WHERE state = 'open';
CREATE INDEX ix_assist_requests_campaign ON assist_requests (campaign_id, opened_at);
CREATE INDEX ix_assist_requests_due ON assist_requests (expires_at) WHERE state = 'open';

-- A friend's help: one per (request, helper), whatever the retries or races.
CREATE TABLE assist_helps (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    request_id TEXT NOT NULL REFERENCES assist_requests(id) ON DELETE CASCADE,
    helper_customer_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    day INTEGER NOT NULL,
    helped_at BIGINT NOT NULL,
    UNIQUE (request_id, helper_customer_id),
    UNIQUE (request_id, seq)
);
CREATE INDEX ix_assist_helps_campaign ON assist_helps (campaign_id, helped_at);

-- Helps a helper gave per local day within one assist campaign or bargain item (the daily cap across requests).
CREATE TABLE game_helper_days (
    activity_id TEXT NOT NULL,
    helper_customer_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    helps INTEGER NOT NULL,
    PRIMARY KEY (activity_id, helper_customer_id, day)
);

CREATE TABLE bargain_items (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    sku TEXT NOT NULL,
    product_name TEXT NOT NULL,
    category TEXT,
    original_price BIGINT NOT NULL,
    floor_price BIGINT NOT NULL,
    max_helps INTEGER NOT NULL,
    first_cut_percent INTEGER NOT NULL,
    time_limit_minutes INTEGER NOT NULL,
    stock INTEGER,
    sold INTEGER NOT NULL DEFAULT 0,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    segment_id TEXT,
    new_helpers_only INTEGER NOT NULL DEFAULT 0,
    helper_daily_cap INTEGER,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (floor_price >= 0 AND floor_price < original_price),
    CHECK (sold >= 0 AND (stock IS NULL OR sold <= stock))
);
CREATE INDEX ix_bargain_items_workspace ON bargain_items (workspace_id, starts_at);

-- A participant's bargain: current_price only falls by UPDATE ... WHERE helps = @seen, never below floor_price.
CREATE TABLE bargain_sessions (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    item_id TEXT NOT NULL REFERENCES bargain_items(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    original_price BIGINT NOT NULL,
    floor_price BIGINT NOT NULL,
    max_helps INTEGER NOT NULL,
    current_price BIGINT NOT NULL,
    helps INTEGER NOT NULL DEFAULT 0,
    opened_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    reached_at BIGINT,
    purchased_at BIGINT,
    order_id TEXT,
    CHECK (current_price >= floor_price AND current_price <= original_price),
    CHECK (helps >= 0 AND helps <= max_helps)
);
CREATE UNIQUE INDEX ux_bargain_sessions_live ON bargain_sessions (item_id, customer_id) WHERE state IN ('open', 'reached');
CREATE INDEX ix_bargain_sessions_item ON bargain_sessions (item_id, opened_at);
CREATE INDEX ix_bargain_sessions_due ON bargain_sessions (expires_at) WHERE state IN ('open', 'reached');

CREATE TABLE bargain_cuts (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    session_id TEXT NOT NULL REFERENCES bargain_sessions(id) ON DELETE CASCADE,
    helper_customer_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    amount BIGINT NOT NULL,
    price_after BIGINT NOT NULL,
    day INTEGER NOT NULL,
    cut_at BIGINT NOT NULL,
    CHECK (amount >= 1),
    UNIQUE (session_id, helper_customer_id),
    UNIQUE (session_id, seq)
);

CREATE TABLE lotteries (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    segment_id TEXT,
    points_cost BIGINT NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ix_lotteries_workspace ON lotteries (workspace_id, starts_at);

-- probability in parts per million (percent × 10,000); awarded only grows by UPDATE ... WHERE awarded < stock.
CREATE TABLE lottery_prizes (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    lottery_id TEXT NOT NULL REFERENCES lotteries(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    template_id TEXT,
    points BIGINT,
    gift TEXT,
    probability_ppm INTEGER NOT NULL,
    stock INTEGER NOT NULL,
    awarded INTEGER NOT NULL DEFAULT 0,
    CHECK (probability_ppm >= 0 AND probability_ppm <= 1000000),
    CHECK (awarded >= 0 AND awarded <= stock),
    UNIQUE (lottery_id, position)
);

-- One draw; (lottery, customer, local day) is unique: once per day however many requests race.
CREATE TABLE lottery_entries (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    lottery_id TEXT NOT NULL REFERENCES lotteries(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    roll INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    prize_id TEXT,
    points_spent BIGINT NOT NULL,
    points_entry_id TEXT,
    coupon_id TEXT,
    reason TEXT,
    drawn_at BIGINT NOT NULL,
    UNIQUE (lottery_id, customer_id, day)
);
CREATE INDEX ix_lottery_entries_lottery ON lottery_entries (lottery_id, drawn_at);
CREATE INDEX ix_lottery_entries_winners ON lottery_entries (lottery_id, drawn_at) WHERE outcome = 'won';
