-- Invitation posters and the ways invitees reach the brand through a participant (docs/fission-posters.md).
-- A campaign's poster background: an uploaded PNG or JPEG, checked for size and dimensions when stored.
CREATE TABLE referral_poster_backgrounds (
    campaign_id uuid PRIMARY KEY REFERENCES referral_campaigns(id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL,
    content_type text NOT NULL,
    image bytea NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    updated_by text,
    updated_at bigint NOT NULL
);

-- A participant's own WeCom way in, made lazily and kept: a 联系我 contact way (kind 'contact', target '' — the
-- campaign code's staff accounts) or a group join way (kind 'join', target = the group's carrier id). Each carries the
-- participant's state, which WeCom echoes on the add (or lists on the group member), so the invitation is exact.
CREATE TABLE referral_invite_ways (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    participant_id uuid NOT NULL REFERENCES referral_participants(id) ON DELETE CASCADE,
    kind text NOT NULL,
    target text NOT NULL,
    config_id text NOT NULL,
    qr_code text,
    created_at bigint NOT NULL,
    UNIQUE (participant_id, kind, target)
);
