-- Goals (目标拆解, docs/goals.md): one yearly goal per workspace and year, decomposed into monthly targets when read.
-- Targets are whole people and fen; rates are parts per million (30000 = 3%). A NULL start pool or deletion rate
-- means "measured": the pool at the end of the previous year and the observed monthly deletion rate, from the rollups.
CREATE TABLE goals (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    pool_target BIGINT NOT NULL,
    gmv_target BIGINT NOT NULL,
    start_pool BIGINT,
    method TEXT NOT NULL,
    weights TEXT,
    deletion_rate_ppm BIGINT,
    alert_threshold_ppm BIGINT NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_by TEXT,
    updated_at BIGINT NOT NULL
);

-- One goal per year: a second create for the same year is a conflict, not a second goal.
CREATE UNIQUE INDEX ux_goals_year ON goals (workspace_id, year);
