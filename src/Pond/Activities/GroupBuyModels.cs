namespace Pond.Activities;

/// <summary>A group buy (拼团) as stored. Money in fen; Stock null means unlimited.</summary>
public sealed class GroupBuy
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public string Name { get; init; } = "";
    public string Sku { get; init; } = "";
    public string ProductName { get; init; } = "";
    public string? Category { get; init; }
    public long OriginalPrice { get; init; }
    public long GroupPrice { get; init; }
    public int GroupSize { get; init; }
    public int TimeLimitMinutes { get; init; }
    public int? Stock { get; init; }
    public int Reserved { get; init; }
    public int Sold { get; init; }
    public DateTimeOffset StartsAt { get; init; }
    public DateTimeOffset EndsAt { get; init; }
    public int GroupsOpened { get; init; }
    public int GroupsCompleted { get; init; }
    public int GroupsExpired { get; init; }
    public int JoinsRefused { get; init; }
    public string? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public int? Remaining => Stock is { } stock ? stock - Reserved - Sold : null;

    public string StateAt(DateTimeOffset now) =>
        now < StartsAt ? FlashSaleStates.Scheduled
        : now >= EndsAt ? FlashSaleStates.Ended
        : Remaining is <= 0 ? FlashSaleStates.SoldOut
        : FlashSaleStates.Running;
}

public static class GroupStates
{
    public const string Open = "open";
    public const string Complete = "complete";
    public const string Expired = "expired";
}

public static class MemberStates
{
    /// <summary>Paid (simulated) at joining; waiting for the group to fill.</summary>
    public const string Paid = "paid";
    /// <summary>The group completed and the member's order was recorded.</summary>
    public const string Ordered = "ordered";
    /// <summary>The group expired and the payment was refunded (simulated).</summary>
    public const string Refunded = "refunded";
}

/// <summary>Why opening or joining a group was refused (the 409's reason code).</summary>
public static class GroupRefusals
{
    public const string Full = "full";
    public const string Expired = "expired";
    public const string Closed = "closed";
    public const string AlreadyJoined = "already_joined";
    public const string SoldOut = "sold_out";
    public const string NotStarted = "not_started";
    public const string Ended = "ended";
}

/// <summary>What a caller sends to create or change a group buy; prices in yuan. Null keeps the current value on update.</summary>
public sealed class GroupBuyInput
{
    public string? Name { get; init; }
    public string? Sku { get; init; }
    public string? ProductName { get; init; }
    public string? Category { get; init; }
    public decimal? OriginalPrice { get; init; }
    public decimal? GroupPrice { get; init; }
    public int? GroupSize { get; init; }
    /// <summary>Minutes a group has to fill after it is opened (default 1440, a day).</summary>
    public int? TimeLimitMinutes { get; init; }
    /// <summary>Units on offer (optional; 0 on update removes the cap).</summary>
    public int? Stock { get; init; }
    public DateTimeOffset? StartsAt { get; init; }
    public DateTimeOffset? EndsAt { get; init; }
}

/// <summary>One group opened by a leader. Code is its share link's key (/g/{code}).</summary>
public sealed class BuyGroup
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public Guid GroupBuyId { get; init; }
    public string Code { get; init; } = "";
    public Guid LeaderCustomerId { get; init; }
    public string State { get; init; } = GroupStates.Open;
    public int GroupSize { get; init; }
    public int MemberCount { get; init; }
    public DateTimeOffset OpenedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
    public IReadOnlyList<GroupMember> Members { get; set; } = [];
}

public sealed class GroupMember
{
    public Guid Id { get; init; }
    public Guid GroupId { get; init; }
    public Guid CustomerId { get; init; }
    public string? DisplayName { get; init; }
    public int Seat { get; init; }
    public string State { get; init; } = MemberStates.Paid;
    public long PaidAmount { get; init; }
    public string PaymentRef { get; init; } = "";
    public DateTimeOffset JoinedAt { get; init; }
    public string? OrderId { get; init; }
    public DateTimeOffset? RefundedAt { get; init; }
}

/// <summary>Opening or joining a group: the group as it stands, or a refusal with its reason.</summary>
public sealed record JoinOutcome(BuyGroup? Group, GroupMember? Member, string? Refusal, string? Message)
{
    public static JoinOutcome Refused(string reason, string message) => new(null, null, reason, message);
}

public sealed record GroupBuyCounters(
    Guid GroupBuyId, string State, int? Stock, int Reserved, int Sold, int? Remaining, int OpenGroups, int CompleteGroups, int ExpiredGroups,
    int Participants, int Refunds, int JoinsRefused);
