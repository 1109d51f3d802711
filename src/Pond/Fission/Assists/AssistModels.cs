namespace Pond.Fission.Assists;

public static class GameStatuses
{
    public const string Active = "active";
    public const string Paused = "paused";

    public static readonly IReadOnlyList<string> All = [Active, Paused];
}

/// <summary>A friend-assist campaign (好友助力) as stored.</summary>
public sealed class AssistCampaign
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public string Name { get; init; } = "";
    public string Status { get; init; } = GameStatuses.Active;
    public DateTimeOffset StartsAt { get; init; }
    public DateTimeOffset EndsAt { get; init; }
    public Guid? SegmentId { get; init; }
    public int TargetHelps { get; init; }
    public int TimeLimitMinutes { get; init; }
    public string RewardKind { get; init; } = "";
    public Guid? RewardTemplateId { get; init; }
    public long? RewardPoints { get; init; }
    public string? RewardGift { get; init; }
    public int? RewardStock { get; init; }
    public int RewardsIssued { get; init; }
    public bool NewHelpersOnly { get; init; }
    public int? HelperDailyCap { get; init; }
    public string? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public GameReward Reward => new(RewardKind, RewardTemplateId, RewardPoints, RewardGift);
    public int? RewardsLeft => RewardStock is { } stock ? stock - RewardsIssued : null;

    public string StateAt(DateTimeOffset now) =>
        Status == GameStatuses.Paused ? GameStatuses.Paused : now < StartsAt ? "scheduled" : now >= EndsAt ? "ended" : "running";
}

/// <summary>What a caller sends to create or change an assist campaign; null keeps the current value on update.</summary>
public sealed class AssistCampaignInput
{
    public string? Name { get; init; }
    public string? Status { get; init; }
    public DateTimeOffset? StartsAt { get; init; }
    public DateTimeOffset? EndsAt { get; init; }
    public Guid? SegmentId { get; init; }
    /// <summary>Distinct friends' helps that complete a request (1 to 100).</summary>
    public int? TargetHelps { get; init; }
    /// <summary>Minutes a request stays open after it is opened (default 1440).</summary>
    public int? TimeLimitMinutes { get; init; }
    public GameRewardInput? Reward { get; init; }
    /// <summary>Rewards on offer (optional; 0 on update removes the cap).</summary>
    public int? RewardStock { get; init; }
    /// <summary>Only customers first known after the request was opened may help.</summary>
    public bool? NewHelpersOnly { get; init; }
    /// <summary>At most this many helps per helper per local day across the campaign's requests (optional; 0 on update removes it).</summary>
    public int? HelperDailyCap { get; init; }
}

public static class AssistRequestStates
{
    public const string Open = "open";
    public const string Complete = "complete";
    public const string Expired = "expired";

    public static readonly IReadOnlyList<string> All = [Open, Complete, Expired];
}

/// <summary>How the completion reward went: issued, out_of_stock (the campaign's stock ran out), failed (the coupon template refused).</summary>
public static class GameRewardStates
{
    public const string Issued = "issued";
    public const string OutOfStock = "out_of_stock";
    public const string Failed = "failed";
}

public sealed class AssistRequest
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public Guid CampaignId { get; init; }
    public Guid CustomerId { get; init; }
    public string? DisplayName { get; init; }
    public string Code { get; init; } = "";
    public string State { get; init; } = AssistRequestStates.Open;
    public int Target { get; init; }
    public int Helps { get; init; }
    public DateTimeOffset OpenedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public string? RewardState { get; init; }
    public string? RewardRef { get; init; }
    public string? RewardReason { get; init; }
    public IReadOnlyList<AssistHelp> HelpList { get; set; } = [];

    /// <summary>An open request whose time ran out reads as expired before the sweeper gets to it.</summary>
    public string StateAt(DateTimeOffset now) => State == AssistRequestStates.Open && ExpiresAt <= now ? AssistRequestStates.Expired : State;
}

public sealed class AssistHelp
{
    public Guid Id { get; init; }
    public Guid RequestId { get; init; }
    public Guid HelperCustomerId { get; init; }
    public string? DisplayName { get; init; }
    public int Seq { get; init; }
    public DateTimeOffset HelpedAt { get; init; }
}

/// <summary>Why opening a request or helping was refused (the 409's reason code).</summary>
public static class GameRefusals
{
    public const string NotStarted = "not_started";
    public const string Ended = "ended";
    public const string Paused = "paused";
    public const string NotInAudience = "not_in_audience";
    public const string SelfHelp = "self_help";
    public const string NotNewCustomer = "not_new_customer";
    public const string DailyCap = "daily_cap";
    public const string Complete = "complete";
    public const string Expired = "expired";
    public const string AlreadyHelped = "already_helped";
    public const string FloorReached = "floor_reached";
    public const string NotReached = "not_reached";
    public const string Purchased = "purchased";
    public const string SoldOut = "sold_out";
    public const string AlreadyDrawn = "already_drawn";
    public const string NotEnoughPoints = "not_enough_points";
}

/// <summary>
/// A help: Counted is false for a friend who had already helped this request (the repeat changes nothing and is not an
/// error); Refusal is set when the help was refused.
/// </summary>
public sealed record AssistHelpOutcome(AssistRequest? Request, bool Counted, bool Completed, string? Refusal, string? Message)
{
    public static AssistHelpOutcome Refused(string reason, string message) => new(null, false, false, reason, message);
}

public sealed record AssistOpenOutcome(AssistRequest? Request, bool Created, string? Refusal, string? Message);

public sealed record AssistCounters(
    Guid CampaignId, string State, int Requests, int Open, int Complete, int Expired, int Helps, int Helpers, int RewardsIssued, int? RewardStock, int? RewardsLeft);
