-- Referral campaigns (裂变: 老带新, 任务宝 ladders, group fission), docs/fission.md. Money in fen, times unix ms.
-- A participant invites through their own invite code; WeCom echoes the code's state ('pr_' + invite_code) on the
-- add (or Pond reads it from the group's member list), and the event processor records the invitation in the
-- transaction that records the relationship.
CREATE TABLE referral_campaigns (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- friend: invitees add a staff account of the live code; group: they join a group of the (group) live code.
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    -- The live code whose accounts or groups close the path; invitees are credited to its channel like any add.
    live_code_id TEXT NOT NULL,
    -- Who may invite: members of this segment (NULL: anyone).
    audience_segment_id TEXT,
    -- JSON array of what makes an invitation successful, all required: "add", "group", "first_order".
    success_requires TEXT NOT NULL,
    success_within_days INTEGER NOT NULL,
    -- An invitee who leaves (deletes the account, quits the group) within this many days revokes the invitation.
    revoke_within_days INTEGER NOT NULL,
    -- instant: rewards are issued when unlocked; claim: they wait for the participant to claim them.
    reward_mode TEXT NOT NULL,
    -- The invitee's reward (NULL kind: none). kind: coupon | points | gift | credit.
    invitee_reward_kind TEXT,
    invitee_reward_template_id TEXT,
    invitee_reward_points BIGINT,
    invitee_reward_gift TEXT,
    invitee_reward_credit BIGINT,
    invitee_reward_cost BIGINT NOT NULL DEFAULT 0,
    invitee_reward_stock INTEGER,
    invitee_rewards_granted INTEGER NOT NULL DEFAULT 0,
    -- Anti-fraud: an inviter past these counts has further invitations held for review.
    velocity_per_hour INTEGER,
    velocity_per_day INTEGER,
    poster_title TEXT,
    poster_text TEXT,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (invitee_reward_stock IS NULL OR invitee_rewards_granted <= invitee_reward_stock)
);
CREATE INDEX ix_referral_campaigns_workspace ON referral_campaigns (workspace_id, starts_at);

-- The inviter's ladder (任务宝): reaching `threshold` successful invitations unlocks the step's reward.
CREATE TABLE referral_ladder_steps (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES referral_campaigns(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    threshold INTEGER NOT NULL,
    reward_kind TEXT NOT NULL,
    reward_template_id TEXT,
    reward_points BIGINT,
    reward_gift TEXT,
    reward_credit BIGINT,
    reward_cost BIGINT NOT NULL DEFAULT 0,
    stock INTEGER,
    granted INTEGER NOT NULL DEFAULT 0,
    UNIQUE (campaign_id, threshold),
    CHECK (stock IS NULL OR granted <= stock)
);

CREATE TABLE referral_participants (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES referral_campaigns(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    invite_code TEXT NOT NULL UNIQUE,
    -- Who brought this participant in this campaign (NULL for a seed user) and how many hops from a seed (1 = seed).
    parent_participant_id TEXT,
    generation INTEGER NOT NULL,
    -- Successful invitations that still count (revoked ones are taken off).
    successes INTEGER NOT NULL DEFAULT 0,
    invitations INTEGER NOT NULL DEFAULT 0,
    poster_views INTEGER NOT NULL DEFAULT 0,
    joined_at BIGINT NOT NULL,
    UNIQUE (campaign_id, customer_id),
    CHECK (successes >= 0)
);
CREATE INDEX ix_referral_participants_customer ON referral_participants (customer_id);
CREATE INDEX ix_referral_participants_parent ON referral_participants (parent_participant_id);

-- One invitation per invitee and campaign: the first inviter to bring someone keeps them.
CREATE TABLE referral_invitations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES referral_campaigns(id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL,
    inviter_customer_id TEXT NOT NULL,
    invitee_customer_id TEXT NOT NULL,
    -- pending | succeeded | review | rejected | revoked | expired
    state TEXT NOT NULL,
    -- Why it was rejected, held or revoked: self_invite, already_in_pool, velocity, outside_window, left, reviewer…
    reason TEXT,
    is_new INTEGER NOT NULL,
    carrier_id TEXT,
    added INTEGER NOT NULL DEFAULT 0,
    joined_group INTEGER NOT NULL DEFAULT 0,
    ordered INTEGER NOT NULL DEFAULT 0,
    message_id TEXT NOT NULL,
    invited_at BIGINT NOT NULL,
    deadline_at BIGINT NOT NULL,
    succeeded_at BIGINT,
    ended_at BIGINT,
    reviewed_by TEXT,
    reviewed_at BIGINT,
    UNIQUE (campaign_id, invitee_customer_id)
);
CREATE INDEX ix_referral_invitations_participant ON referral_invitations (participant_id, invited_at);
CREATE INDEX ix_referral_invitations_invitee ON referral_invitations (invitee_customer_id);
CREATE INDEX ix_referral_invitations_state ON referral_invitations (campaign_id, state);
CREATE INDEX ix_referral_invitations_due ON referral_invitations (deadline_at) WHERE state = 'pending';

-- Rewards unlocked by the campaign: an inviter's ladder step (step_id) or an invitee's reward (invitation_id).
-- state: unlocked (waiting to be claimed) | issued | withheld (its invitation was revoked before it was claimed)
--        | out_of_stock | failed (the coupon could not be issued; reason says why).
CREATE TABLE referral_rewards (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES referral_campaigns(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    participant_id TEXT,
    step_id TEXT,
    invitation_id TEXT,
    role TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    template_id TEXT,
    coupon_id TEXT,
    points BIGINT,
    gift TEXT,
    credit BIGINT,
    cost BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    issued_at BIGINT,
    withheld_at BIGINT
);
CREATE UNIQUE INDEX ux_referral_rewards_step ON referral_rewards (participant_id, step_id) WHERE step_id IS NOT NULL;
CREATE UNIQUE INDEX ux_referral_rewards_invitee ON referral_rewards (invitation_id) WHERE invitation_id IS NOT NULL;
CREATE INDEX ix_referral_rewards_campaign ON referral_rewards (campaign_id, state);
CREATE INDEX ix_referral_rewards_customer ON referral_rewards (customer_id);

-- Poster views: an opening of a participant's short link (/r/{code}) by a visitor, counted once per visitor and day.
CREATE TABLE referral_visits (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES referral_campaigns(id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL,
    visitor TEXT NOT NULL,
    day INTEGER NOT NULL,
    visited_at BIGINT NOT NULL,
    UNIQUE (participant_id, visitor, day)
);
CREATE INDEX ix_referral_visits_campaign ON referral_visits (campaign_id, visited_at);
