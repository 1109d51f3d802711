namespace Pond.Fission;

/// <summary>A referral campaign's figures; docs/fission.md ("Analytics") defines each one.</summary>
public sealed class ReferralCampaignAnalytics
{
    public Guid CampaignId { get; init; }
    public string Name { get; init; } = "";
    public string Status { get; init; } = "";
    public DateTimeOffset StartsAt { get; init; }
    public DateTimeOffset EndsAt { get; init; }
    public string TimeZone { get; init; } = "";
    public DateTimeOffset GeneratedAt { get; init; }

    /// <summary>Everyone who joined to invite, at any generation.</summary>
    public int Participants { get; init; }
    /// <summary>Participants of generation 1: nobody in this campaign invited them.</summary>
    public int SeedParticipants { get; init; }
    /// <summary>Participants with at least one successful invitation that still counts.</summary>
    public int ActiveInviters { get; init; }
    /// <summary>Invitations sent: poster views (one per visitor, participant and day).</summary>
    public int PosterViews { get; init; }
    /// <summary>Invitations recorded: every invitee who came through a participant's code, whatever became of it.</summary>
    public int InvitationsRecorded { get; init; }
    /// <summary>Invitations in state succeeded (revoked ones no longer count).</summary>
    public int Successful { get; init; }
    /// <summary>Successful invitations whose invitee was new to the pool.</summary>
    public int NewCustomers { get; init; }
    public int Pending { get; init; }
    public int HeldForReview { get; init; }
    public int Rejected { get; init; }
    public int Revoked { get; init; }
    public int Expired { get; init; }
    /// <summary>Rejected invitations by reason (self_invite, already_in_pool, outside_window, reviewer…).</summary>
    public IReadOnlyDictionary<string, int> RejectedByReason { get; init; } = new Dictionary<string, int>();

    /// <summary>Poster views ÷ participants (null without participants).</summary>
    public double? InvitationsPerParticipant { get; init; }
    /// <summary>Successful ÷ poster views (null without views).</summary>
    public double? Conversion { get; init; }
    /// <summary>Invitations per participant × conversion = successful ÷ participants (null without participants).</summary>
    public double? KFactor { get; init; }
    /// <summary>New customers ÷ seed participants (null without seeds).</summary>
    public double? FissionRate { get; init; }
    /// <summary>Invitations recorded ÷ poster views (null without views).</summary>
    public double? ViewToInvitationRate { get; init; }
    /// <summary>Successful ÷ invitations recorded (null without invitations).</summary>
    public double? SuccessRate { get; init; }

    /// <summary>What the rewards unlocked or issued cost the brand, in yuan.</summary>
    public decimal RewardCost { get; init; }
    /// <summary>Reward cost ÷ new customers, in yuan (null without new customers).</summary>
    public decimal? CostPerNewCustomer { get; init; }

    /// <summary>The deepest generation any participant reached (0 without participants).</summary>
    public int Depth { get; init; }
    public IReadOnlyList<ReferralGeneration> Generations { get; init; } = [];
    public IReadOnlyList<ReferralLadderCompletion> Ladder { get; init; } = [];
    public IReadOnlyList<ReferralDailyPoint> Daily { get; init; } = [];
}

/// <summary>
/// One generation of inviters: generation 1 are the seeds; a participant whom a generation-g participant invited is
/// generation g + 1. Invitations, successes and new customers are those the generation's participants brought.
/// </summary>
public sealed record ReferralGeneration(int Generation, int Participants, int Invitations, int Successful, int NewCustomers);

/// <summary>
/// A ladder step: participants whose successes reach its threshold now, rewards unlocked or issued for it, and those
/// that found no stock or were withheld after a revocation.
/// </summary>
public sealed record ReferralLadderCompletion(Guid StepId, int Position, int Threshold, string RewardKind, int Reached, int Rewarded, int OutOfStock, int Withheld);

/// <summary>A day in the workspace's zone: poster views, invitations recorded and successes (still counting) on that day.</summary>
public sealed record ReferralDailyPoint(DateOnly Day, int Views, int Invitations, int Successes);

/// <summary>
/// A participant's fission tree: the people they invited, each with the invitation's state, and for those who joined
/// as participants themselves, their own invitees, recursively (bounded: see <see cref="ReferralTree"/>).
/// </summary>
public sealed class ReferralTreeNode
{
    public Guid ParticipantId { get; init; }
    public Guid CustomerId { get; init; }
    public string? CustomerName { get; init; }
    public int Generation { get; init; }
    public int Successes { get; init; }
    public int Invitations { get; init; }
    public int PosterViews { get; init; }
    public DateTimeOffset JoinedAt { get; init; }
    public List<ReferralTreeInvitee> Invitees { get; init; } = [];
    /// <summary>Invitees left out because the tree reached its depth or size bound.</summary>
    public int Omitted { get; set; }
}

public sealed class ReferralTreeInvitee
{
    public Guid? InvitationId { get; init; }
    public Guid CustomerId { get; init; }
    public string? CustomerName { get; init; }
    /// <summary>The invitation's state (null for a participant whose invitation is gone).</summary>
    public string? State { get; init; }
    public string? Reason { get; init; }
    public bool IsNew { get; init; }
    public DateTimeOffset? InvitedAt { get; init; }
    /// <summary>Set when the invitee joined the campaign as a participant: their own tree.</summary>
    public ReferralTreeNode? Participant { get; set; }
}

public sealed class ReferralTree
{
    /// <summary>Generations shown below the root; deeper ones are counted in Omitted.</summary>
    public const int MaxDepth = 6;
    /// <summary>Invitees shown in all; the rest are counted in Omitted.</summary>
    public const int MaxInvitees = 500;

    public Guid CampaignId { get; init; }
    public string CampaignName { get; init; } = "";
    public ReferralTreeNode Root { get; init; } = new();
    /// <summary>Invitees shown.</summary>
    public int Shown { get; init; }
    /// <summary>Whether the depth or size bound cut the tree.</summary>
    public bool Truncated { get; init; }
}

/// <summary>An invitation held for review, with its campaign, for the review queue across campaigns.</summary>
public sealed class ReviewQueueItem
{
    public Guid Id { get; init; }
    public Guid CampaignId { get; init; }
    public string CampaignName { get; init; } = "";
    public Guid ParticipantId { get; init; }
    public Guid InviterCustomerId { get; init; }
    public string? InviterName { get; init; }
    public Guid InviteeCustomerId { get; init; }
    public string? InviteeName { get; init; }
    public string? Reason { get; init; }
    public bool IsNew { get; init; }
    public DateTimeOffset InvitedAt { get; init; }
    /// <summary>The inviter's invitations in the hour before this one (rejected ones aside, as the velocity limit counts them).</summary>
    public int InviterLastHour { get; init; }
}
