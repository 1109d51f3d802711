-- RFM scores and lifecycle stages (docs/rfm-lifecycle.md). One row per customer who has ever ordered; a
-- customer without a row is at stage 'new' with no RFM cell. r/f/m and rfm_cell are NULL for buyers
-- without an order in the RFM window. monetary is in fen, over the RFM window.
CREATE TABLE customer_scores (
    workspace_id TEXT NOT NULL,
    customer_id TEXT PRIMARY KEY,
    recency_days INTEGER,
    frequency INTEGER,
    monetary BIGINT,
    r SMALLINT,
    f SMALLINT,
    m SMALLINT,
    rfm_cell TEXT,
    lifecycle_stage TEXT NOT NULL,
    stage_since BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ix_customer_scores_cell ON customer_scores (workspace_id, rfm_cell);
CREATE INDEX ix_customer_scores_stage ON customer_scores (workspace_id, lifecycle_stage);

-- Per-workspace RFM and lifecycle settings (JSON, defaults when absent); version moves on every change so
-- the score engine knows to recompute.
CREATE TABLE rfm_settings (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    rfm TEXT,
    lifecycle TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    updated_by TEXT,
    updated_at BIGINT NOT NULL
);

-- The score engine's state per workspace: the last full run, the thresholds it derived (quintile
-- boundaries, used by incremental updates until the next full run) and the local day it ran on.
CREATE TABLE score_runs (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    settings_version INTEGER NOT NULL,
    thresholds TEXT NOT NULL,
    local_day INTEGER NOT NULL,
    last_full_at BIGINT NOT NULL,
    last_full_ms BIGINT NOT NULL,
    customers_scored INTEGER NOT NULL,
    rows_changed INTEGER NOT NULL,
    stage_changes INTEGER NOT NULL,
    last_incremental_at BIGINT,
    incremental_customers BIGINT NOT NULL DEFAULT 0
);

-- Where the score engine's order feed stands: the last customer_events id it rescored (one row, name 'orders').
CREATE TABLE score_checkpoints (
    name TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The score engine follows new orders by id; this partial index keeps that poll a short range scan
-- however many other events arrive in between.
CREATE INDEX ix_customer_events_orders ON customer_events (id) WHERE name = 'Order Completed';
