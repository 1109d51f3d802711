using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;
using Pond.Commerce.Coupons;
using Pond.Loyalty;

namespace Pond.Fission;

/// <summary>A change the engine made to customers, so the caller can tell the audience engine after commit.</summary>
public sealed record ReferralWork(DbConnection Connection, DbTransaction Transaction, Guid WorkspaceId, DateTimeOffset Now, HashSet<Guid> Touched);

/// <summary>
/// Invitations and rewards, inside the caller's transaction (the event processor's for adds, group joins and leaves;
/// the order book's for first orders; the console's for reviews and claims). docs/fission.md has the rules:
/// anti-fraud first (self-invitation, already in the pool, velocity → review), then the success requirements,
/// then the invitee's reward and every ladder step the inviter's count reaches, each under its stock. An invitee who
/// leaves within the revoke window takes the invitation back: the count drops and rewards not yet claimed are withheld.
/// </summary>
public sealed class ReferralEngine(PointsBook points, ILogger<ReferralEngine> logger)
{
    /// <summary>
    /// A relationship started with the state of a participant's code: records the invitation (once per invitee and campaign).
    /// <paramref name="isNew"/> says whether the invitee was new to the pool before this add.
    /// </summary>
    public async Task InvitedAsync(ReferralWork work, string inviteCode, Guid inviteeId, string inviteeTraits, Guid carrierId, string carrierKind, bool isNew,
        string messageId, DateTimeOffset occurredAt)
    {
        var (connection, transaction) = (work.Connection, work.Transaction);
        var participant = await ReferralParticipants.FindByCodeAsync(connection, transaction, inviteCode);
        if (participant is null)
            return;
        var campaign = await ReferralCampaigns.FindAsync(connection, transaction, work.WorkspaceId, participant.CampaignId, counted: false);
        if (campaign is null)
            return;
        var viaGroup = carrierKind == Customers.CarrierKinds.GroupChat;
        var (state, reason) = !campaign.IsRunning(occurredAt) ? (InvitationStates.Rejected, InvitationReasons.OutsideWindow)
            : await IsSelfAsync(connection, transaction, participant.CustomerId, inviteeId, inviteeTraits) ? (InvitationStates.Rejected, InvitationReasons.SelfInvite)
            : !isNew ? (InvitationStates.Rejected, InvitationReasons.AlreadyInPool)
            : await IsTooFastAsync(connection, transaction, campaign, participant.Id, occurredAt) ? (InvitationStates.Review, InvitationReasons.Velocity)
            : (InvitationStates.Pending, (string?)null);
        var id = Guid.CreateVersion7(occurredAt);
        var inserted = await connection.ExecuteAsync(
            """
            INSERT INTO referral_invitations (id, workspace_id, campaign_id, participant_id, inviter_customer_id, invitee_customer_id, state, reason, is_new,
                carrier_id, added, joined_group, message_id, invited_at, deadline_at)
            VALUES (@id, @workspaceId, @campaignId, @participantId, @inviterId, @inviteeId, @state, @reason, @isNew,
                @carrierId, @added, @joinedGroup, @messageId, @occurredAt, @deadline)
            ON CONFLICT DO NOTHING
            """,
            new
            {
                id, workspaceId = work.WorkspaceId, campaignId = campaign.Id, participantId = participant.Id, inviterId = participant.CustomerId, inviteeId,
                state, reason, isNew, carrierId, added = !viaGroup, joinedGroup = viaGroup, messageId, occurredAt,
                deadline = occurredAt.AddDays(campaign.SuccessWithinDays),
            }, transaction);
        if (inserted == 0)
        {
            // Invited before (by this inviter or another; the unique key decides): the first invitation keeps them, and a
            // group join completes a pending one.
            if (viaGroup)
                await MarkAsync(work, campaign, inviteeId, "joined_group", occurredAt);
            return;
        }

        await connection.ExecuteAsync("UPDATE referral_participants SET invitations = invitations + 1 WHERE id = @id", new { id = participant.Id }, transaction);
        work.Touched.Add(inviteeId);
        if (state == InvitationStates.Pending)
        {
            var flags = new InvitationFlags
            {
                Id = id, ParticipantId = participant.Id, InviteeCustomerId = inviteeId, InviterCustomerId = participant.CustomerId, State = state,
                Added = !viaGroup, JoinedGroup = viaGroup,
            };
            await EvaluateAsync(work, campaign, id, occurredAt, flags);
        }
    }

    /// <summary>A relationship ended: invitations that came through this carrier within the revoke window are revoked.</summary>
    public static async Task LeftAsync(ReferralWork work, Guid inviteeId, Guid carrierId, DateTimeOffset occurredAt)
    {
        var (connection, transaction) = (work.Connection, work.Transaction);
        var open = (await connection.QueryAsync<OpenInvitation>(
            """
            SELECT i.id, i.campaign_id, i.participant_id, i.state, i.invited_at, c.revoke_within_days
            FROM referral_invitations i JOIN referral_campaigns c ON c.id = i.campaign_id
            WHERE i.invitee_customer_id = @inviteeId AND i.carrier_id = @carrierId AND i.state IN ('pending', 'succeeded', 'review')
            """, new { inviteeId, carrierId }, transaction)).AsList();
        foreach (var invitation in open.Where(i => occurredAt - i.InvitedAt <= TimeSpan.FromDays(i.RevokeWithinDays)))
        {
            if (await TakeBackAsync(work, invitation.Id, invitation.ParticipantId, invitation.State, InvitationStates.Revoked, InvitationReasons.Left, occurredAt))
                work.Touched.Add(inviteeId);
        }
    }

    /// <summary>
    /// Ends an invitation that counted or could still count (revoked, or rejected as a self-invitation found later): a
    /// succeeded one stops counting, and rewards not claimed yet are withheld — the invitee's own, and every ladder step
    /// the inviter no longer reaches. Issued rewards stay issued. False when someone else ended it first.
    /// </summary>
    internal static async Task<bool> TakeBackAsync(ReferralWork work, Guid invitationId, Guid participantId, string fromState, string toState, string reason,
        DateTimeOffset at)
    {
        var (connection, transaction) = (work.Connection, work.Transaction);
        var changed = await connection.ExecuteAsync(
            "UPDATE referral_invitations SET state = @toState, reason = @reason, ended_at = @at WHERE id = @invitationId AND state = @fromState",
            new { invitationId, fromState, toState, reason, at }, transaction);
        if (changed == 0)
            return false;
        await WithholdAsync(work, invitationId, null, at);
        if (fromState != InvitationStates.Succeeded)
            return true;
        var successes = await connection.ExecuteScalarAsync<int>(
            "UPDATE referral_participants SET successes = CASE WHEN successes > 0 THEN successes - 1 ELSE 0 END WHERE id = @participantId RETURNING successes",
            new { participantId }, transaction);
        var steps = await connection.QueryAsync<Guid>(
            """
            SELECT r.id FROM referral_rewards r JOIN referral_ladder_steps s ON s.id = r.step_id
            WHERE r.participant_id = @participantId AND r.state = 'unlocked' AND s.threshold > @successes
            """, new { participantId, successes }, transaction);
        foreach (var rewardId in steps)
            await WithholdAsync(work, null, rewardId, at);
        return true;
    }

    /// <summary>The customer's first order: pending invitations that wait for one are completed.</summary>
    public async Task OrderedAsync(ReferralWork work, Guid customerId, Guid orderPk, DateTimeOffset orderedAt)
    {
        var (connection, transaction) = (work.Connection, work.Transaction);
        if (await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM orders WHERE customer_id = @customerId AND id <> @orderPk",
                new { customerId, orderPk }, transaction) > 0)
            return;
        var campaigns = (await connection.QueryAsync<Guid>(
            "SELECT campaign_id FROM referral_invitations WHERE invitee_customer_id = @customerId AND state IN ('pending', 'review') AND NOT ordered",
            new { customerId }, transaction)).AsList();
        foreach (var campaignId in campaigns)
        {
            if (await ReferralCampaigns.FindAsync(connection, transaction, work.WorkspaceId, campaignId, counted: false) is { } campaign)
                await MarkAsync(work, campaign, customerId, "ordered", orderedAt);
        }
    }

    /// <summary>A reviewer's decision on a held invitation: approved ones go on as if never held; rejected ones never count.</summary>
    public async Task<bool> ReviewAsync(ReferralWork work, Guid invitationId, bool approve, string actor)
    {
        var (connection, transaction) = (work.Connection, work.Transaction);
        var row = await connection.QuerySingleOrDefaultAsync<OpenInvitation>(
            """
            SELECT i.id, i.campaign_id, i.participant_id, i.state, i.invited_at, c.revoke_within_days
            FROM referral_invitations i JOIN referral_campaigns c ON c.id = i.campaign_id
            WHERE i.id = @invitationId AND i.workspace_id = @workspaceId
            """, new { invitationId, workspaceId = work.WorkspaceId }, transaction)
            ?? throw new NotFoundException($"No invitation {invitationId} in this workspace.");
        if (row.State != InvitationStates.Review)
            throw new ConflictException($"The invitation is {row.State}: only invitations held for review can be approved or rejected.");
        var changed = await connection.ExecuteAsync(
            """
            UPDATE referral_invitations SET state = @state, reason = CASE WHEN @approve THEN reason ELSE 'reviewer' END, reviewed_by = @actor, reviewed_at = @now
            WHERE id = @invitationId AND state = 'review'
            """,
            new { state = approve ? InvitationStates.Pending : InvitationStates.Rejected, approve, actor, now = work.Now, invitationId }, transaction);
        if (changed == 0)
            throw new ConflictException("Someone else reviewed the invitation a moment ago.");
        if (approve)
        {
            var campaign = await ReferralCampaigns.GetAsync(connection, transaction, work.WorkspaceId, row.CampaignId);
            await EvaluateAsync(work, campaign, invitationId, work.Now);
        }

        return approve;
    }

    /// <summary>Claims an unlocked reward (claim mode): it is issued now. Issued, withheld or out-of-stock rewards are 409s.</summary>
    public async Task ClaimAsync(ReferralWork work, Guid rewardId)
    {
        var reward = await RewardRowAsync(work.Connection, work.Transaction, work.WorkspaceId, rewardId)
            ?? throw new NotFoundException($"No referral reward {rewardId} in this workspace.");
        if (reward.State != RewardStates.Unlocked)
            throw new ConflictException(reward.State switch
            {
                RewardStates.Issued => "The reward has been issued already.",
                RewardStates.Withheld => "The reward was withheld: the invitation it came from was revoked.",
                RewardStates.OutOfStock => "The reward ran out of stock before it was unlocked.",
                _ => $"The reward is {reward.State}: {reward.Reason}",
            });
        await IssueAsync(work, reward);
    }

    /// <summary>Pending invitations whose success window closed become expired. Returns how many.</summary>
    public static Task<int> ExpireDueAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset now) =>
        connection.ExecuteAsync("UPDATE referral_invitations SET state = 'expired', ended_at = @now WHERE state = 'pending' AND deadline_at < @now",
            new { now }, transaction);

    private async Task MarkAsync(ReferralWork work, ReferralCampaign campaign, Guid inviteeId, string column, DateTimeOffset at)
    {
        var id = await work.Connection.QuerySingleOrDefaultAsync<Guid?>(
            $"SELECT id FROM referral_invitations WHERE campaign_id = @campaignId AND invitee_customer_id = @inviteeId AND state IN ('pending', 'review') AND deadline_at >= @at",
            new { campaignId = campaign.Id, inviteeId, at }, work.Transaction);
        if (id is not { } invitationId)
            return;
        await work.Connection.ExecuteAsync($"UPDATE referral_invitations SET {column} = @yes WHERE id = @invitationId", new { yes = true, invitationId }, work.Transaction);
        await EvaluateAsync(work, campaign, invitationId, at);
    }

    /// <summary>A pending invitation whose requirements are all met succeeds: the invitee's reward, the inviter's count and ladder.</summary>
    private async Task EvaluateAsync(ReferralWork work, ReferralCampaign campaign, Guid invitationId, DateTimeOffset at, InvitationFlags? known = null)
    {
        var (connection, transaction) = (work.Connection, work.Transaction);
        var invitation = known ?? await connection.QuerySingleAsync<InvitationFlags>(
            "SELECT id, participant_id, invitee_customer_id, inviter_customer_id, state, added, joined_group, ordered FROM referral_invitations WHERE id = @invitationId",
            new { invitationId }, transaction);
        if (invitation.State != InvitationStates.Pending)
            return;
        var met = campaign.SuccessRequires.All(r => r switch
        {
            ReferralRequirements.Add => invitation.Added,
            ReferralRequirements.Group => invitation.JoinedGroup,
            _ => invitation.Ordered,
        });
        if (!met)
            return;
        var succeeded = await connection.ExecuteAsync(
            "UPDATE referral_invitations SET state = 'succeeded', succeeded_at = @at WHERE id = @invitationId AND state = 'pending'", new { at, invitationId }, transaction);
        if (succeeded == 0)
            return;
        var successes = await connection.ExecuteScalarAsync<int>("UPDATE referral_participants SET successes = successes + 1 WHERE id = @id RETURNING successes",
            new { id = invitation.ParticipantId }, transaction);

        if (campaign.InviteeReward is { } inviteeReward)
        {
            var stocked = await connection.ExecuteAsync(
                """
                UPDATE referral_campaigns SET invitee_rewards_granted = invitee_rewards_granted + 1
                WHERE id = @id AND (invitee_reward_stock IS NULL OR invitee_rewards_granted < invitee_reward_stock)
                """, new { id = campaign.Id }, transaction);
            await UnlockAsync(work, campaign, invitation.InviteeCustomerId, null, null, invitationId, RewardRoles.Invitee, inviteeReward, stocked > 0);
        }

        var reached = campaign.Ladder.Where(s => s.Threshold <= successes).ToList();
        var held = reached.Count == 0 ? [] : (await connection.QueryAsync<RewardRow>(
            $"{RewardSelect} WHERE r.participant_id = @participantId AND r.step_id IS NOT NULL", new { participantId = invitation.ParticipantId }, transaction)).AsList();
        foreach (var step in reached)
        {
            var existing = held.FirstOrDefault(r => r.StepId == step.Id);
            if (existing is not null && existing.State != RewardStates.Withheld)
                continue;
            var stocked = await connection.ExecuteAsync(
                "UPDATE referral_ladder_steps SET granted = granted + 1 WHERE id = @id AND (stock IS NULL OR granted < stock)", new { id = step.Id }, transaction);
            if (existing is not null)
            {
                // Reached again after a revocation took it away: the withheld reward comes back if there is stock for it.
                if (stocked == 0)
                    continue;
                await connection.ExecuteAsync("UPDATE referral_rewards SET state = 'unlocked', withheld_at = NULL, reason = NULL WHERE id = @id",
                    new { id = existing.Id }, transaction);
                if (campaign.RewardMode == RewardModes.Instant)
                    await IssueAsync(work, (await RewardRowAsync(connection, transaction, work.WorkspaceId, existing.Id))!);
                continue;
            }

            await UnlockAsync(work, campaign, invitation.InviterCustomerId, invitation.ParticipantId, step.Id, null, RewardRoles.Inviter, step.Reward, stocked > 0);
        }
    }

    private async Task UnlockAsync(ReferralWork work, ReferralCampaign campaign, Guid customerId, Guid? participantId, Guid? stepId, Guid? invitationId,
        string role, RewardView reward, bool inStock)
    {
        var id = Guid.CreateVersion7(work.Now);
        await work.Connection.ExecuteAsync(
            """
            INSERT INTO referral_rewards (id, workspace_id, campaign_id, customer_id, participant_id, step_id, invitation_id, role, kind, state, reason,
                template_id, points, gift, credit, cost, created_at)
            VALUES (@id, @workspaceId, @campaignId, @customerId, @participantId, @stepId, @invitationId, @role, @Kind, @state, @reason,
                @TemplateId, @Points, @Gift, @credit, @cost, @now)
            """,
            new
            {
                id, workspaceId = work.WorkspaceId, campaignId = campaign.Id, customerId, participantId, stepId, invitationId, role, reward.Kind,
                state = inStock ? RewardStates.Unlocked : RewardStates.OutOfStock, reason = inStock ? null : "The reward's stock was used up.",
                reward.TemplateId, reward.Points, reward.Gift, credit = reward.Credit is { } c ? Money.ToFen(c) : (long?)null,
                cost = inStock ? Money.ToFen(reward.Cost) : 0, now = work.Now,
            }, work.Transaction);
        work.Touched.Add(customerId);
        if (inStock && campaign.RewardMode == RewardModes.Instant)
        {
            await IssueAsync(work, new RewardRow
            {
                Id = id, CampaignId = campaign.Id, CustomerId = customerId, ParticipantId = participantId, StepId = stepId, InvitationId = invitationId,
                Role = role, Kind = reward.Kind, State = RewardStates.Unlocked, TemplateId = reward.TemplateId, Points = reward.Points, Gift = reward.Gift,
                CreatedAt = work.Now,
            });
        }
    }

    /// <summary>
    /// Delivers an unlocked reward: a coupon (source referral, keyed by the reward so it is issued once), points on the
    /// ledger, or a gift / credit the brand hands out (recorded as issued). A coupon the template refuses marks the
    /// reward failed with the reason; nothing else in the transaction is undone.
    /// </summary>
    private async Task IssueAsync(ReferralWork work, RewardRow reward)
    {
        var (connection, transaction) = (work.Connection, work.Transaction);
        Guid? couponId = null;
        try
        {
            switch (reward.Kind)
            {
                case RewardKinds.Coupon:
                    var issue = await CouponIssuer.IssueInCoreAsync(connection, transaction, work.Now, work.WorkspaceId, reward.TemplateId!.Value, reward.CustomerId,
                        CouponSources.Referral, $"referral:{reward.Id:N}");
                    couponId = issue.Coupon.Id;
                    break;
                case RewardKinds.Points:
                    var rules = await LoyaltySettingsStore.GetAsync(connection, transaction, work.WorkspaceId);
                    var zone = await LoyaltyDb.ZoneAsync(connection, transaction, work.WorkspaceId);
                    await points.CreditAsync(connection, transaction, work.WorkspaceId, reward.CustomerId,
                        new PointsBook.Credit(reward.Points!.Value, PointsKinds.Earn, reward.Role == RewardRoles.Inviter ? "Referral ladder reward" : "Welcome reward for an invited friend",
                            PointsSources.Referral, reward.Id.ToString(), $"referral:{reward.Id:N}", work.Now, rules.ExpiresAt(work.Now, zone), null), work.Now);
                    break;
            }
        }
        catch (Exception e) when (e is ConflictException or NotFoundException or ValidationFailedException)
        {
            logger.LogWarning("Referral reward {RewardId} could not be issued: {Reason}", reward.Id, e.Message);
            await connection.ExecuteAsync("UPDATE referral_rewards SET state = 'failed', reason = @reason WHERE id = @id AND state = 'unlocked'",
                new { id = reward.Id, reason = e.Message }, transaction);
            return;
        }

        await connection.ExecuteAsync("UPDATE referral_rewards SET state = 'issued', coupon_id = @couponId, issued_at = @now WHERE id = @id AND state = 'unlocked'",
            new { id = reward.Id, couponId, now = work.Now }, transaction);
        work.Touched.Add(reward.CustomerId);
    }

    /// <summary>Withholds the invitee reward of an invitation, or one ladder reward, if it is still unclaimed; its stock comes back.</summary>
    private static async Task WithholdAsync(ReferralWork work, Guid? invitationId, Guid? rewardId, DateTimeOffset at)
    {
        var (connection, transaction) = (work.Connection, work.Transaction);
        var reward = await connection.QuerySingleOrDefaultAsync<RewardRow>(
            invitationId is not null ? $"{RewardSelect} WHERE r.invitation_id = @invitationId" : $"{RewardSelect} WHERE r.id = @rewardId",
            new { invitationId, rewardId }, transaction);
        if (reward is null || reward.State != RewardStates.Unlocked)
            return;
        await connection.ExecuteAsync(
            "UPDATE referral_rewards SET state = 'withheld', withheld_at = @at, reason = 'The invitation was revoked before the reward was claimed.' WHERE id = @id AND state = 'unlocked'",
            new { id = reward.Id, at }, transaction);
        if (reward.StepId is { } stepId)
            await connection.ExecuteAsync("UPDATE referral_ladder_steps SET granted = granted - 1 WHERE id = @stepId AND granted > 0", new { stepId }, transaction);
        else
            await connection.ExecuteAsync("UPDATE referral_campaigns SET invitee_rewards_granted = invitee_rewards_granted - 1 WHERE id = @id AND invitee_rewards_granted > 0",
                new { id = reward.CampaignId }, transaction);
    }

    /// <summary>
    /// Self-invitation: the same customer, or two customers sharing a phone number (identity or trait) or a device id
    /// (the device_id trait the app or mini-program reports).
    /// </summary>
    private static async Task<bool> IsSelfAsync(DbConnection connection, DbTransaction transaction, Guid inviterId, Guid inviteeId, string inviteeTraits)
    {
        if (inviterId == inviteeId)
            return true;
        // One read for both customers' phone identities and the inviter's traits; the invitee may be new in the processor's
        // batch and not written yet, so their traits come from the caller.
        var rows = (await connection.QueryAsync<MarkRow>(
            """
            SELECT customer_id, 'phone' AS kind, value FROM identities WHERE customer_id IN (@inviterId, @inviteeId) AND kind = 'phone'
            UNION ALL SELECT id AS customer_id, 'traits' AS kind, traits AS value FROM customers WHERE id = @inviterId
            """, new { inviterId, inviteeId }, transaction)).AsList();
        var inviter = Marks(rows.Where(r => r.CustomerId == inviterId && r.Kind == "phone").Select(r => r.Value),
            rows.FirstOrDefault(r => r.CustomerId == inviterId && r.Kind == "traits")?.Value);
        var invitee = Marks(rows.Where(r => r.CustomerId == inviteeId && r.Kind == "phone").Select(r => r.Value), inviteeTraits);
        return inviter.Overlaps(invitee);
    }

    /// <summary>A customer's phone numbers and device ids, as "phone:…" / "device:…", from phone identities and traits.</summary>
    private static HashSet<string> Marks(IEnumerable<string> phones, string? traits)
    {
        var marks = phones.Select(v => "phone:" + v.Trim()).ToHashSet();
        if (traits is not null && System.Text.Json.Nodes.JsonNode.Parse(traits) is System.Text.Json.Nodes.JsonObject found)
        {
            foreach (var (key, prefix) in new[] { ("phone", "phone:"), ("mobile", "phone:"), ("device_id", "device:") })
            {
                if (found[key] is System.Text.Json.Nodes.JsonValue value && value.ToString().Trim() is { Length: > 0 } text)
                    marks.Add(prefix + text);
            }
        }

        return marks;
    }

    private sealed class MarkRow
    {
        public Guid CustomerId { get; init; }
        public string Kind { get; init; } = "";
        public string Value { get; init; } = "";
    }

    /// <summary>Velocity: an inviter's invitations in the last hour / day (rejected ones aside) at or past the campaign's limits.</summary>
    private static async Task<bool> IsTooFastAsync(DbConnection connection, DbTransaction transaction, ReferralCampaign campaign, Guid participantId, DateTimeOffset at)
    {
        async Task<bool> Past(int? limit, TimeSpan window) => limit is { } max && await connection.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM referral_invitations WHERE participant_id = @participantId AND invited_at > @since AND state <> 'rejected'",
            new { participantId, since = at - window }, transaction) >= max;
        return await Past(campaign.VelocityPerHour, TimeSpan.FromHours(1)) || await Past(campaign.VelocityPerDay, TimeSpan.FromDays(1));
    }

    internal static Task<RewardRow?> RewardRowAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid rewardId) =>
        connection.QuerySingleOrDefaultAsync<RewardRow>($"{RewardSelect} WHERE r.id = @rewardId AND r.workspace_id = @workspaceId", new { rewardId, workspaceId }, transaction);

    internal const string RewardSelect = "SELECT r.* FROM referral_rewards r";

    internal sealed class RewardRow
    {
        public Guid Id { get; init; }
        public Guid CampaignId { get; init; }
        public Guid CustomerId { get; init; }
        public Guid? ParticipantId { get; init; }
        public Guid? StepId { get; init; }
        public Guid? InvitationId { get; init; }
        public string Role { get; init; } = "";
        public string Kind { get; init; } = "";
        public string State { get; init; } = "";
        public string? Reason { get; init; }
        public Guid? TemplateId { get; init; }
        public Guid? CouponId { get; init; }
        public long? Points { get; init; }
        public string? Gift { get; init; }
        public long? Credit { get; init; }
        public long Cost { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? IssuedAt { get; init; }
        public DateTimeOffset? WithheldAt { get; init; }
    }

    private sealed class OpenInvitation
    {
        public Guid Id { get; init; }
        public Guid CampaignId { get; init; }
        public Guid ParticipantId { get; init; }
        public string State { get; init; } = "";
        public DateTimeOffset InvitedAt { get; init; }
        public int RevokeWithinDays { get; init; }
    }

    private sealed class InvitationFlags
    {
        public Guid Id { get; init; }
        public Guid ParticipantId { get; init; }
        public Guid InviteeCustomerId { get; init; }
        public Guid InviterCustomerId { get; init; }
        public string State { get; init; } = "";
        public bool Added { get; init; }
        public bool JoinedGroup { get; init; }
        public bool Ordered { get; init; }
    }
}
