-- Goals (目标拆解, docs/goals.md): one yearly goal per workspace and year, decomposed into monthly targets when read.
-- Targets are whole people and fen; rates are parts per million (30000 = 3%). A NULL start pool or deletion rate
-- means "measured": the pool at the end of the previous year and the observed monthly deletion rate, from the rollups.
CREATE TABLE goals (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    year integer NOT NULL,
    pool_target bigint NOT NULL,
    gmv_target bigint NOT NULL,
    start_pool bigint,
    method text NOT NULL,
    weights text,
    deletion_rate_ppm bigint,
    alert_threshold_ppm bigint NOT NULL,
    created_by text,
    created_at bigint NOT NULL,
    updated_by text,
    updated_at bigint NOT NULL
);

-- One goal per year: a second create for the same year is a conflict, not a second goal.
CREATE UNIQUE INDEX ux_goals_year ON goals (workspace_id, year);
