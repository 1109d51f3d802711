-- Invitation posters and the ways invitees reach the brand through a participant (docs/fission-posters.md).
-- A campaign's poster background: an uploaded PNG or JPEG, checked for size and dimensions when stored.
CREATE TABLE referral_poster_backgrounds (
    campaign_id TEXT PRIMARY KEY REFERENCES referral_campaigns(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    content_type TEXT NOT NULL,
    image BLOB NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    updated_by TEXT,
    updated_at BIGINT NOT NULL
);

-- A participant's own WeCom way in, made lazily and kept: a 联系我 contact way (kind 'contact', target '' — the
-- campaign code's staff accounts) or a group join way (kind 'join', target = the group's carrier id). Each carries the
-- participant's state, which WeCom echoes on the add (or lists on the group member), so the invitation is exact.
CREATE TABLE referral_invite_ways (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    participant_id TEXT NOT NULL REFERENCES referral_participants(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    config_id TEXT NOT NULL,
    qr_code TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (participant_id, kind, target)
);
