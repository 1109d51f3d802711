-- Messaging (issue 7): per-workspace respect rules and channel settings, frequency-cap and rate-limit counters
-- (atomic conditional upserts, so racing dispatchers on several nodes cannot exceed them), and what the outbox
-- needs for adapters: the provider's message id (delivery receipts), the cap buckets a message reserved, and
-- the inbox's read / handled marks. Times unix ms.
CREATE TABLE messaging_settings (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    daily_cap INTEGER NOT NULL DEFAULT 1,
    weekly_cap INTEGER NOT NULL DEFAULT 3,
    quiet_enabled INTEGER NOT NULL DEFAULT 1,
    quiet_start_minute INTEGER NOT NULL DEFAULT 1320,
    quiet_end_minute INTEGER NOT NULL DEFAULT 480,
    rate_limits TEXT NOT NULL DEFAULT '{}',
    sms_provider TEXT,
    sms_base_url TEXT,
    sms_account_sid TEXT,
    sms_auth_token TEXT,
    sms_from TEXT,
    smtp_host TEXT,
    smtp_port INTEGER,
    smtp_user TEXT,
    smtp_password TEXT,
    smtp_from TEXT,
    smtp_tls INTEGER NOT NULL DEFAULT 0,
    webhook_url TEXT,
    webhook_secret TEXT,
    unsubscribe_key TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Marketing messages reserved per customer and calendar bucket (d:2026-11-24, w:2026-W48, in the customer's zone).
CREATE TABLE message_cap_counts (
    workspace_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    bucket TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, customer_id, bucket)
);

-- Messages sent per workspace, channel and minute (unix minute).
CREATE TABLE message_rate_counts (
    workspace_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    minute BIGINT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, channel, minute)
);

ALTER TABLE outbox ADD COLUMN provider_message_id TEXT;
ALTER TABLE outbox ADD COLUMN cap_buckets TEXT;
ALTER TABLE outbox ADD COLUMN read_at BIGINT;
ALTER TABLE outbox ADD COLUMN handled_at BIGINT;
ALTER TABLE outbox ADD COLUMN handled_by TEXT;
CREATE INDEX ix_outbox_provider ON outbox (provider_message_id);
CREATE INDEX ix_outbox_source ON outbox (workspace_id, source, state);
