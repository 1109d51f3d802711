-- When the event happened (Segment's timestamp, clock-skew corrected at ingestion); received_at is
-- when Pond got it. The processor orders the timeline by this, the log by seq.
ALTER TABLE event_log ADD COLUMN occurred_at BIGINT NOT NULL DEFAULT 0;

-- One timeline row per message: the processor's marker that a message was applied, so replaying
-- the log (after a checkpoint reset or a crash) changes nothing.
CREATE UNIQUE INDEX ux_customer_events_message ON customer_events (workspace_id, message_id);
