-- The overview counts recent behaviour across all event names (a range scan per workspace) and lists
-- the newest customers.
CREATE INDEX ix_customer_events_workspace_occurred ON customer_events (workspace_id, occurred_at);
CREATE INDEX ix_customers_workspace_first_seen ON customers (workspace_id, first_seen_at);

-- A customer's timeline filters on workspace and customer and reads newest first; with both equality
-- columns in one index no planner is tempted by the workspace-wide time index above.
DROP INDEX ix_customer_events_customer;
CREATE INDEX ix_customer_events_customer ON customer_events (workspace_id, customer_id, occurred_at);
