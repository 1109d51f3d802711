using Dapper;
using Pond.Audience;
using Pond.Commerce;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Fission;

/// <summary>What the API and console do with invitations and rewards: list them, review held ones, claim rewards, expire.</summary>
internal sealed class Referrals(Database database, ReferralEngine engine, AudienceChanges audience, AuditLog audit, TimeProvider clock)
{
    public const int MaxPage = 500;

    public async Task<IReadOnlyList<ReferralInvitation>> InvitationsAsync(Guid workspaceId, Guid? campaignId, string? state, Guid? participantId, int offset, int limit)
    {
        if (state is not null && !InvitationStates.All.Contains(state))
            throw new ValidationFailedException($"state must be one of: {string.Join(", ", InvitationStates.All)}.", "state");
        await using var connection = await database.OpenAsync();
        if (campaignId is { } id)
            await ReferralCampaigns.GetAsync(connection, null, workspaceId, id);
        return (await connection.QueryAsync<ReferralInvitation>(
            $"""
            SELECT i.*, a.display_name AS inviter_name, b.display_name AS invitee_name
            FROM referral_invitations i LEFT JOIN customers a ON a.id = i.inviter_customer_id LEFT JOIN customers b ON b.id = i.invitee_customer_id
            WHERE i.workspace_id = @workspaceId{Filters(("i.campaign_id", "campaignId", campaignId), ("i.state", "state", state), ("i.participant_id", "participantId", participantId))}
            ORDER BY i.invited_at DESC, i.id DESC LIMIT @limit OFFSET @offset
            """, new { workspaceId, campaignId, state, participantId, limit, offset })).AsList();
    }

    public Task<IReadOnlyList<ReferralReward>> RewardsAsync(Guid workspaceId, Guid? campaignId, Guid? customerId, string? state, int offset, int limit)
    {
        if (state is not null && !RewardStates.All.Contains(state))
            throw new ValidationFailedException($"state must be one of: {string.Join(", ", RewardStates.All)}.", "state");
        return RewardsCoreAsync(workspaceId, campaignId, customerId, state, null, offset, limit);
    }

    private async Task<IReadOnlyList<ReferralReward>> RewardsCoreAsync(Guid workspaceId, Guid? campaignId, Guid? customerId, string? state, Guid? rewardId,
        int offset, int limit)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<RewardListRow>(
            $"""
            SELECT r.*, c.display_name AS customer_name, k.code AS coupon_code
            FROM referral_rewards r LEFT JOIN customers c ON c.id = r.customer_id LEFT JOIN coupons k ON k.id = r.coupon_id
            WHERE r.workspace_id = @workspaceId{Filters(("r.campaign_id", "campaignId", campaignId), ("r.customer_id", "customerId", customerId), ("r.state", "state", state), ("r.id", "rewardId", rewardId))}
            ORDER BY r.created_at DESC, r.id DESC LIMIT @limit OFFSET @offset
            """, new { workspaceId, campaignId, customerId, state, rewardId, limit, offset });
        return rows.Select(r => r.ToReward()).ToList();
    }

    /// <summary>One customer's part in referral campaigns, for the 360 page: who invited them, where they invite, their rewards.</summary>
    public async Task<CustomerReferrals> CustomerAsync(Guid workspaceId, Guid customerId)
    {
        await using var connection = await database.OpenAsync();
        var invitedBy = (await connection.QueryAsync<CustomerInvitation>(
            """
            SELECT i.id, i.campaign_id, c.name AS campaign_name, i.inviter_customer_id, a.display_name AS inviter_name, i.state, i.reason, i.invited_at
            FROM referral_invitations i JOIN referral_campaigns c ON c.id = i.campaign_id LEFT JOIN customers a ON a.id = i.inviter_customer_id
            WHERE i.workspace_id = @workspaceId AND i.invitee_customer_id = @customerId ORDER BY i.invited_at DESC LIMIT 20
            """, new { workspaceId, customerId })).AsList();
        var invites = (await connection.QueryAsync<CustomerParticipation>(
            """
            SELECT p.id, p.campaign_id, c.name AS campaign_name, p.invite_code, p.generation, p.successes, p.invitations, p.poster_views, p.joined_at
            FROM referral_participants p JOIN referral_campaigns c ON c.id = p.campaign_id
            WHERE p.workspace_id = @workspaceId AND p.customer_id = @customerId ORDER BY p.joined_at DESC LIMIT 20
            """, new { workspaceId, customerId })).AsList();
        var rewards = await RewardsCoreAsync(workspaceId, null, customerId, null, null, 0, 20);
        return new CustomerReferrals(invitedBy, invites, rewards);
    }

    public async Task<ReferralInvitation> ReviewAsync(Guid workspaceId, Guid invitationId, ReviewInput input, string actor)
    {
        var approve = input.Decision?.Trim() switch
        {
            "approve" => true,
            "reject" => false,
            _ => throw new ValidationFailedException("decision must be approve or reject.", "decision"),
        };
        await WriteAsync(workspaceId, work => engine.ReviewAsync(work, invitationId, approve, actor));
        await audit.RecordAsync(workspaceId, actor, approve ? "referral_invitation.approved" : "referral_invitation.rejected", $"referral_invitation:{invitationId}",
            new { note = input.Note?.Trim() });
        return (await InvitationAsync(workspaceId, invitationId))!;
    }

    public async Task<ReferralReward> ClaimAsync(Guid workspaceId, Guid rewardId)
    {
        await WriteAsync(workspaceId, work => engine.ClaimAsync(work, rewardId));
        return (await RewardsCoreAsync(workspaceId, null, null, null, rewardId, 0, 1)).Single();
    }

    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await OrderBook.BeginWriteAsync(connection);
        var expired = await ReferralEngine.ExpireDueAsync(connection, transaction, clock.GetUtcNow());
        await transaction.CommitAsync(cancellationToken);
        return expired;
    }

    private async Task<ReferralInvitation?> InvitationAsync(Guid workspaceId, Guid invitationId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<ReferralInvitation>(
            """
            SELECT i.*, a.display_name AS inviter_name, b.display_name AS invitee_name
            FROM referral_invitations i LEFT JOIN customers a ON a.id = i.inviter_customer_id LEFT JOIN customers b ON b.id = i.invitee_customer_id
            WHERE i.id = @invitationId AND i.workspace_id = @workspaceId
            """, new { invitationId, workspaceId });
    }

    /// <summary>" AND column = @parameter" for each filter given (PostgreSQL cannot type a NULL parameter in "@p IS NULL OR …").</summary>
    private static string Filters(params (string Column, string Parameter, object? Value)[] filters) =>
        string.Concat(filters.Where(f => f.Value is not null).Select(f => $" AND {f.Column} = @{f.Parameter}"));

    /// <summary>Runs engine work in its own write transaction and tells the audience engine who changed.</summary>
    private async Task WriteAsync(Guid workspaceId, Func<ReferralWork, Task> action)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await OrderBook.BeginWriteAsync(connection);
        var work = new ReferralWork(connection, transaction, workspaceId, clock.GetUtcNow(), []);
        await action(work);
        await transaction.CommitAsync();
        if (work.Touched.Count > 0)
            audience.Touch(workspaceId, work.Touched);
    }

    private sealed class RewardListRow
    {
        public Guid Id { get; init; }
        public Guid CampaignId { get; init; }
        public Guid CustomerId { get; init; }
        public string? CustomerName { get; init; }
        public Guid? ParticipantId { get; init; }
        public Guid? StepId { get; init; }
        public Guid? InvitationId { get; init; }
        public string Role { get; init; } = "";
        public string Kind { get; init; } = "";
        public string State { get; init; } = "";
        public string? Reason { get; init; }
        public Guid? TemplateId { get; init; }
        public Guid? CouponId { get; init; }
        public string? CouponCode { get; init; }
        public long? Points { get; init; }
        public string? Gift { get; init; }
        public long? Credit { get; init; }
        public long Cost { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? IssuedAt { get; init; }
        public DateTimeOffset? WithheldAt { get; init; }

        public ReferralReward ToReward() => new()
        {
            Id = Id, CampaignId = CampaignId, CustomerId = CustomerId, CustomerName = CustomerName, ParticipantId = ParticipantId, StepId = StepId,
            InvitationId = InvitationId, Role = Role, Kind = Kind, State = State, Reason = Reason, TemplateId = TemplateId, CouponId = CouponId,
            CouponCode = CouponCode, Points = Points, Gift = Gift, Credit = Credit is { } c ? Money.FromFen(c) : null, Cost = Money.FromFen(Cost),
            CreatedAt = CreatedAt, IssuedAt = IssuedAt, WithheldAt = WithheldAt,
        };
    }
}
