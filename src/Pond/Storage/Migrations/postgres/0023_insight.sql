-- Insight (数据运营): daily rollups the dashboard and reports read instead of the raw tables (docs/insight.md).
-- Days are yyyymmdd in the workspace's zone; money is fen. The InsightRefresher rewrites a whole day from the source
-- tables whenever something marks it dirty, so a rollup is never patched by deltas and can always be rebuilt.

-- Additive figures per day: metric (adds, deletions, visits, orders, gmv, ...), dim the breakdown ('' for the
-- workspace total; channel, code, staff, kind, depth, lag) and key the breakdown's value ('' for the total).
CREATE TABLE insight_daily (
    workspace_id uuid NOT NULL,
    metric text NOT NULL,
    dim text NOT NULL,
    day integer NOT NULL,
    key text NOT NULL,
    value bigint NOT NULL,
    PRIMARY KEY (workspace_id, metric, dim, day, key)
);

-- One row per private-domain buyer and day: distinct buyers over any period without reading the orders.
CREATE TABLE insight_buyer_days (
    workspace_id uuid NOT NULL,
    day integer NOT NULL,
    customer_id uuid NOT NULL,
    orders integer NOT NULL,
    gmv bigint NOT NULL,
    repeat_orders integer NOT NULL,
    PRIMARY KEY (workspace_id, day, customer_id)
);

-- Cohort figures per day of activity: cohort is the yyyymm a customer first joined the pool.
CREATE TABLE insight_cohort_days (
    workspace_id uuid NOT NULL,
    metric text NOT NULL,
    cohort integer NOT NULL,
    day integer NOT NULL,
    value bigint NOT NULL,
    PRIMARY KEY (workspace_id, metric, cohort, day)
);

-- Hours (unix ms, floored) whose days need rewriting. marked_at lets the refresher delete only the marks it has
-- handled: a mark made again while it was rewriting survives for the next round.
CREATE TABLE insight_dirty (
    workspace_id uuid NOT NULL,
    hour bigint NOT NULL,
    marked_at bigint NOT NULL,
    PRIMARY KEY (workspace_id, hour)
);

-- The refresher reads a day's deletions and completed tasks by time.
CREATE INDEX ix_acquisitions_ended ON acquisitions (workspace_id, ended_at);
CREATE INDEX ix_staff_tasks_done ON staff_tasks (workspace_id, done_at);
CREATE INDEX ix_referral_visits_workspace ON referral_visits (workspace_id, visited_at);
