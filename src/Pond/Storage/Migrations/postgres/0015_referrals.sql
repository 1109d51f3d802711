-- Referral campaigns (裂变: 老带新, 任务宝 ladders, group fission), docs/fission.md. Money in fen, times unix ms.
-- A participant invites through their own invite code; WeCom echoes the code's state ('pr_' + invite_code) on the
-- add (or Pond reads it from the group's member list), and the event processor records the invitation in the
-- transaction that records the relationship.
CREATE TABLE referral_campaigns (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name text NOT NULL,
    -- friend: invitees add a staff account of the live code; group: they join a group of the (group) live code.
    kind text NOT NULL,
    status text NOT NULL,
    starts_at bigint NOT NULL,
    ends_at bigint NOT NULL,
    -- The live code whose accounts or groups close the path; invitees are credited to its channel like any add.
    live_code_id uuid NOT NULL,
    -- Who may invite: members of this segment (NULL: anyone).
    audience_segment_id uuid,
    -- JSON array of what makes an invitation successful, all required: "add", "group", "first_order".
    success_requires text NOT NULL,
    success_within_days integer NOT NULL,
    -- An invitee who leaves (deletes the account, quits the group) within this many days revokes the invitation.
    revoke_within_days integer NOT NULL,
    -- instant: rewards are issued when unlocked; claim: they wait for the participant to claim them.
    reward_mode text NOT NULL,
    -- The invitee's reward (NULL kind: none). kind: coupon | points | gift | credit.
    invitee_reward_kind text,
    invitee_reward_template_id uuid,
    invitee_reward_points bigint,
    invitee_reward_gift text,
    invitee_reward_credit bigint,
    invitee_reward_cost bigint NOT NULL DEFAULT 0,
    invitee_reward_stock integer,
    invitee_rewards_granted integer NOT NULL DEFAULT 0,
    -- Anti-fraud: an inviter past these counts has further invitations held for review.
    velocity_per_hour integer,
    velocity_per_day integer,
    poster_title text,
    poster_text text,
    created_by text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    CHECK (invitee_reward_stock IS NULL OR invitee_rewards_granted <= invitee_reward_stock)
);
CREATE INDEX ix_referral_campaigns_workspace ON referral_campaigns (workspace_id, starts_at);

-- The inviter's ladder (任务宝): reaching `threshold` successful invitations unlocks the step's reward.
CREATE TABLE referral_ladder_steps (
    id uuid PRIMARY KEY,
    campaign_id uuid NOT NULL REFERENCES referral_campaigns(id) ON DELETE CASCADE,
    position integer NOT NULL,
    threshold integer NOT NULL,
    reward_kind text NOT NULL,
    reward_template_id uuid,
    reward_points bigint,
    reward_gift text,
    reward_credit bigint,
    reward_cost bigint NOT NULL DEFAULT 0,
    stock integer,
    granted integer NOT NULL DEFAULT 0,
    UNIQUE (campaign_id, threshold),
    CHECK (stock IS NULL OR granted <= stock)
);

CREATE TABLE referral_participants (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    campaign_id uuid NOT NULL REFERENCES referral_campaigns(id) ON DELETE CASCADE,
    customer_id uuid NOT NULL,
    invite_code text NOT NULL UNIQUE,
    -- Who brought this participant in this campaign (NULL for a seed user) and how many hops from a seed (1 = seed).
    parent_participant_id uuid,
    generation integer NOT NULL,
    -- Successful invitations that still count (revoked ones are taken off).
    successes integer NOT NULL DEFAULT 0,
    invitations integer NOT NULL DEFAULT 0,
    poster_views integer NOT NULL DEFAULT 0,
    joined_at bigint NOT NULL,
    UNIQUE (campaign_id, customer_id),
    CHECK (successes >= 0)
);
CREATE INDEX ix_referral_participants_customer ON referral_participants (customer_id);
CREATE INDEX ix_referral_participants_parent ON referral_participants (parent_participant_id);

-- One invitation per invitee and campaign: the first inviter to bring someone keeps them.
CREATE TABLE referral_invitations (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    campaign_id uuid NOT NULL REFERENCES referral_campaigns(id) ON DELETE CASCADE,
    participant_id uuid NOT NULL,
    inviter_customer_id uuid NOT NULL,
    invitee_customer_id uuid NOT NULL,
    -- pending | succeeded | review | rejected | revoked | expired
    state text NOT NULL,
    -- Why it was rejected, held or revoked: self_invite, already_in_pool, velocity, outside_window, left, reviewer…
    reason text,
    is_new boolean NOT NULL,
    carrier_id uuid,
    added boolean NOT NULL DEFAULT false,
    joined_group boolean NOT NULL DEFAULT false,
    ordered boolean NOT NULL DEFAULT false,
    message_id text NOT NULL,
    invited_at bigint NOT NULL,
    deadline_at bigint NOT NULL,
    succeeded_at bigint,
    ended_at bigint,
    reviewed_by text,
    reviewed_at bigint,
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
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    campaign_id uuid NOT NULL REFERENCES referral_campaigns(id) ON DELETE CASCADE,
    customer_id uuid NOT NULL,
    participant_id uuid,
    step_id uuid,
    invitation_id uuid,
    role text NOT NULL,
    kind text NOT NULL,
    state text NOT NULL,
    reason text,
    template_id uuid,
    coupon_id uuid,
    points bigint,
    gift text,
    credit bigint,
    cost bigint NOT NULL DEFAULT 0,
    created_at bigint NOT NULL,
    issued_at bigint,
    withheld_at bigint
);
CREATE UNIQUE INDEX ux_referral_rewards_step ON referral_rewards (participant_id, step_id) WHERE step_id IS NOT NULL;
CREATE UNIQUE INDEX ux_referral_rewards_invitee ON referral_rewards (invitation_id) WHERE invitation_id IS NOT NULL;
CREATE INDEX ix_referral_rewards_campaign ON referral_rewards (campaign_id, state);
CREATE INDEX ix_referral_rewards_customer ON referral_rewards (customer_id);

-- Poster views: an opening of a participant's short link (/r/{code}) by a visitor, counted once per visitor and day.
CREATE TABLE referral_visits (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    campaign_id uuid NOT NULL REFERENCES referral_campaigns(id) ON DELETE CASCADE,
    participant_id uuid NOT NULL,
    visitor text NOT NULL,
    day integer NOT NULL,
    visited_at bigint NOT NULL,
    UNIQUE (participant_id, visitor, day)
);
CREATE INDEX ix_referral_visits_campaign ON referral_visits (campaign_id, visited_at);
