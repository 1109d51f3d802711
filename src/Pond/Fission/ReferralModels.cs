using System.Text.Json.Serialization;

namespace Pond.Fission;

/// <summary>friend: invitees add a staff account of the campaign's live code; group: they join one of its groups.</summary>
public static class ReferralKinds
{
    public const string Friend = "friend";
    public const string Group = "group";

    public static readonly IReadOnlyList<string> All = [Friend, Group];
}

public static class ReferralStatuses
{
    public const string Draft = "draft";
    public const string Active = "active";
    public const string Paused = "paused";
    public const string Ended = "ended";

    public static readonly IReadOnlyList<string> All = [Draft, Active, Paused, Ended];
}

/// <summary>What makes an invitation successful; a campaign requires one or more, all within its success window.</summary>
public static class ReferralRequirements
{
    /// <summary>The invitee added a staff account through the inviter's code.</summary>
    public const string Add = "add";
    /// <summary>The invitee joined a group through the inviter's code.</summary>
    public const string Group = "group";
    /// <summary>The invitee placed their first order.</summary>
    public const string FirstOrder = "first_order";

    public static readonly IReadOnlyList<string> All = [Add, Group, FirstOrder];
}

public static class RewardModes
{
    /// <summary>Rewards are issued the moment they are unlocked.</summary>
    public const string Instant = "instant";
    /// <summary>Rewards wait, unlocked, until the participant claims them; one revoked before the claim is withheld.</summary>
    public const string Claim = "claim";

    public static readonly IReadOnlyList<string> All = [Instant, Claim];
}

public static class RewardKinds
{
    public const string Coupon = "coupon";
    public const string Points = "points";
    /// <summary>A physical gift the brand sends (a tote bag, a sample kit), named.</summary>
    public const string Gift = "gift";
    /// <summary>A cash-equivalent credit (红包, store credit) in yuan, paid out by the brand.</summary>
    public const string Credit = "credit";

    public static readonly IReadOnlyList<string> All = [Coupon, Points, Gift, Credit];
}

public static class InvitationStates
{
    /// <summary>Recorded; waiting for the rest of the success requirements (a group join, a first order).</summary>
    public const string Pending = "pending";
    public const string Succeeded = "succeeded";
    /// <summary>Flagged by anti-fraud: held for a reviewer in the console, not rewarded until approved.</summary>
    public const string Review = "review";
    public const string Rejected = "rejected";
    /// <summary>The invitee left within the revoke window; it no longer counts.</summary>
    public const string Revoked = "revoked";
    /// <summary>The success window passed with requirements unmet.</summary>
    public const string Expired = "expired";

    public static readonly IReadOnlyList<string> All = [Pending, Succeeded, Review, Rejected, Revoked, Expired];
}

/// <summary>Why an invitation was rejected, held or revoked.</summary>
public static class InvitationReasons
{
    public const string SelfInvite = "self_invite";
    public const string AlreadyInPool = "already_in_pool";
    public const string Velocity = "velocity";
    public const string OutsideWindow = "outside_window";
    public const string Left = "left";
    public const string Reviewer = "reviewer";
    /// <summary>The invitee turned out to be someone already invited in the campaign (a merge of two identities).</summary>
    public const string Duplicate = "duplicate";
}

public static class RewardStates
{
    public const string Unlocked = "unlocked";
    public const string Issued = "issued";
    public const string Withheld = "withheld";
    public const string OutOfStock = "out_of_stock";
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Unlocked, Issued, Withheld, OutOfStock, Failed];
}

public static class RewardRoles
{
    public const string Inviter = "inviter";
    public const string Invitee = "invitee";
}

/// <summary>A reward as the API spells it: kind plus the one field that kind needs; money in yuan.</summary>
public sealed class RewardSpec
{
    public string? Kind { get; set; }
    public Guid? TemplateId { get; set; }
    public long? Points { get; set; }
    public string? Gift { get; set; }
    public decimal? Credit { get; set; }
    /// <summary>What one reward costs the brand, in yuan, for cost per new customer (a credit costs its amount by default).</summary>
    public decimal? Cost { get; set; }
}

public sealed class LadderStepInput
{
    public int? Threshold { get; set; }
    public RewardSpec? Reward { get; set; }
    public int? Stock { get; set; }
}

public sealed class ReferralCampaignInput
{
    public string? Name { get; set; }
    public string? Kind { get; set; }
    public string? Status { get; set; }
    public DateTimeOffset? StartsAt { get; set; }
    public DateTimeOffset? EndsAt { get; set; }
    public Guid? LiveCodeId { get; set; }
    public Guid? AudienceSegmentId { get; set; }
    public List<string>? SuccessRequires { get; set; }
    public int? SuccessWithinDays { get; set; }
    public int? RevokeWithinDays { get; set; }
    public string? RewardMode { get; set; }
    public RewardSpec? InviteeReward { get; set; }
    public int? InviteeRewardStock { get; set; }
    public List<LadderStepInput>? Ladder { get; set; }
    public int? VelocityPerHour { get; set; }
    public int? VelocityPerDay { get; set; }
    public string? PosterTitle { get; set; }
    public string? PosterText { get; set; }
}

public sealed class LadderStep
{
    public Guid Id { get; init; }
    public int Position { get; init; }
    public int Threshold { get; init; }
    public RewardView Reward { get; init; } = new();
    public int? Stock { get; init; }
    public int Granted { get; init; }
}

/// <summary>A reward's definition as shown: money in yuan.</summary>
public sealed class RewardView
{
    public string Kind { get; init; } = "";
    public Guid? TemplateId { get; init; }
    public string? TemplateName { get; init; }
    public long? Points { get; init; }
    public string? Gift { get; init; }
    public decimal? Credit { get; init; }
    public decimal Cost { get; init; }
}

public sealed class ReferralCampaign
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Status { get; init; } = "";
    public DateTimeOffset StartsAt { get; init; }
    public DateTimeOffset EndsAt { get; init; }
    public Guid LiveCodeId { get; init; }
    public string LiveCodeName { get; init; } = "";
    public Guid? AudienceSegmentId { get; init; }
    public string? AudienceSegmentName { get; init; }
    public IReadOnlyList<string> SuccessRequires { get; init; } = [];
    public int SuccessWithinDays { get; init; }
    public int RevokeWithinDays { get; init; }
    public string RewardMode { get; init; } = "";
    public RewardView? InviteeReward { get; init; }
    public int? InviteeRewardStock { get; init; }
    public int InviteeRewardsGranted { get; init; }
    public IReadOnlyList<LadderStep> Ladder { get; init; } = [];
    public int? VelocityPerHour { get; init; }
    public int? VelocityPerDay { get; init; }
    public string? PosterTitle { get; init; }
    public string? PosterText { get; init; }
    public int Participants { get; init; }
    public int Successes { get; init; }
    public string? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Whether invitations count now: active and inside the window.</summary>
    public bool IsRunning(DateTimeOffset now) => Status == ReferralStatuses.Active && now >= StartsAt && now < EndsAt;
}

public sealed class ReferralParticipant
{
    public Guid Id { get; init; }
    public Guid CampaignId { get; init; }
    public Guid CustomerId { get; init; }
    public string? CustomerName { get; init; }
    public string InviteCode { get; init; } = "";
    /// <summary>The state WeCom echoes for adds through this participant's code: 'pr_' + invite code.</summary>
    public string State => ReferralCodes.StateOf(InviteCode);
    public Guid? ParentParticipantId { get; init; }
    public int Generation { get; init; }
    public int Successes { get; init; }
    public int Invitations { get; init; }
    public int PosterViews { get; init; }
    public DateTimeOffset JoinedAt { get; init; }
}

public sealed class ReferralInvitation
{
    public Guid Id { get; init; }
    public Guid CampaignId { get; init; }
    public Guid ParticipantId { get; init; }
    public Guid InviterCustomerId { get; init; }
    public string? InviterName { get; init; }
    public Guid InviteeCustomerId { get; init; }
    public string? InviteeName { get; init; }
    public string State { get; init; } = "";
    public string? Reason { get; init; }
    public bool IsNew { get; init; }
    public bool Added { get; init; }
    public bool JoinedGroup { get; init; }
    public bool Ordered { get; init; }
    public DateTimeOffset InvitedAt { get; init; }
    public DateTimeOffset DeadlineAt { get; init; }
    public DateTimeOffset? SucceededAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public string? ReviewedBy { get; init; }
    public DateTimeOffset? ReviewedAt { get; init; }
}

public sealed class ReferralReward
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
    public decimal? Credit { get; init; }
    public decimal Cost { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? IssuedAt { get; init; }
    public DateTimeOffset? WithheldAt { get; init; }
}

/// <summary>A review decision on a held invitation.</summary>
public sealed class ReviewInput
{
    /// <summary>approve or reject.</summary>
    public string? Decision { get; set; }
    public string? Note { get; set; }
}

public sealed class JoinInput
{
    public Guid? CustomerId { get; set; }
}

public static class ReferralCodes
{
    public const string StatePrefix = "pr_";

    /// <summary>WeCom limits a contact way's State to 30 characters; 'pr_' + a 10-character code fits with room.</summary>
    public static string StateOf(string inviteCode) => StatePrefix + inviteCode;

    public static string? CodeOf(string? state) =>
        state is not null && state.StartsWith(StatePrefix, StringComparison.Ordinal) && state.Length > StatePrefix.Length ? state[StatePrefix.Length..] : null;
}

public sealed record CustomerReferrals(
    IReadOnlyList<CustomerInvitation> InvitedBy, IReadOnlyList<CustomerParticipation> Invites, IReadOnlyList<ReferralReward> Rewards);

public sealed class CustomerInvitation
{
    public Guid Id { get; init; }
    public Guid CampaignId { get; init; }
    public string CampaignName { get; init; } = "";
    public Guid InviterCustomerId { get; init; }
    public string? InviterName { get; init; }
    public string State { get; init; } = "";
    public string? Reason { get; init; }
    public DateTimeOffset InvitedAt { get; init; }
}

public sealed class CustomerParticipation
{
    public Guid Id { get; init; }
    public Guid CampaignId { get; init; }
    public string CampaignName { get; init; } = "";
    public string InviteCode { get; init; } = "";
    public int Generation { get; init; }
    public int Successes { get; init; }
    public int Invitations { get; init; }
    public int PosterViews { get; init; }
    public DateTimeOffset JoinedAt { get; init; }
}
