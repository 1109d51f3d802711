-- Messaging (issue 7): per-workspace respect rules and channel settings, frequency-cap and rate-limit counters
-- (atomic conditional upserts, so racing dispatchers on several nodes cannot exceed them), and what the outbox
-- needs for adapters: the provider's message id (delivery receipts), the cap buckets a message reserved, and
-- the inbox's read / handled marks. Times unix ms.
CREATE TABLE messaging_settings (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    daily_cap integer NOT NULL DEFAULT 1,
    weekly_cap integer NOT NULL DEFAULT 3,
    quiet_enabled boolean NOT NULL DEFAULT true,
    quiet_start_minute integer NOT NULL DEFAULT 1320,
    quiet_end_minute integer NOT NULL DEFAULT 480,
    rate_limits text NOT NULL DEFAULT '{}',
    sms_provider text,
    sms_base_url text,
    sms_account_sid text,
    sms_auth_token text,
    sms_from text,
    smtp_host text,
    smtp_port integer,
    smtp_user text,
    smtp_password text,
    smtp_from text,
    smtp_tls boolean NOT NULL DEFAULT false,
    webhook_url text,
    webhook_secret text,
    unsubscribe_key text NOT NULL,
    updated_at bigint NOT NULL
);

-- Marketing messages reserved per customer and calendar bucket (d:2026-11-24, w:2026-W48, in the customer's zone).
CREATE TABLE message_cap_counts (
    workspace_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    bucket text NOT NULL,
    count integer NOT NULL,
    PRIMARY KEY (workspace_id, customer_id, bucket)
);

-- Messages sent per workspace, channel and minute (unix minute).
CREATE TABLE message_rate_counts (
    workspace_id uuid NOT NULL,
    channel text NOT NULL,
    minute bigint NOT NULL,
    count integer NOT NULL,
    PRIMARY KEY (workspace_id, channel, minute)
);

ALTER TABLE outbox ADD COLUMN provider_message_id text;
ALTER TABLE outbox ADD COLUMN cap_buckets text;
ALTER TABLE outbox ADD COLUMN read_at bigint;
ALTER TABLE outbox ADD COLUMN handled_at bigint;
ALTER TABLE outbox ADD COLUMN handled_by text;
CREATE INDEX ix_outbox_provider ON outbox (provider_message_id);
CREATE INDEX ix_outbox_source ON outbox (workspace_id, source, state);
