-- The overview counts recent behaviour across all event names: a range scan per workspace.
CREATE INDEX ix_customer_events_workspace_occurred ON customer_events (workspace_id, occurred_at);
