namespace Pond.Fission.Assists;

/// <summary>A bargain item (砍价) as stored; money in fen.</summary>
public sealed class BargainItem
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public string Name { get; init; } = "";
    public string Status { get; init; } = GameStatuses.Active;
    public string Sku { get; init; } = "";
    public string ProductName { get; init; } = "";
    public string? Category { get; init; }
    public long OriginalPrice { get; init; }
    public long FloorPrice { get; init; }
    public int MaxHelps { get; init; }
    public int FirstCutPercent { get; init; }
    public int TimeLimitMinutes { get; init; }
    public int? Stock { get; init; }
    public int Sold { get; init; }
    public DateTimeOffset StartsAt { get; init; }
    public DateTimeOffset EndsAt { get; init; }
    public Guid? SegmentId { get; init; }
    public bool NewHelpersOnly { get; init; }
    public int? HelperDailyCap { get; init; }
    public string? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public int? Remaining => Stock is { } stock ? stock - Sold : null;

    public string StateAt(DateTimeOffset now) =>
        Status == GameStatuses.Paused ? GameStatuses.Paused : now < StartsAt ? "scheduled" : now >= EndsAt ? "ended" : Remaining is <= 0 ? "sold_out" : "running";
}

/// <summary>What a caller sends to create or change a bargain; prices in yuan; null keeps the current value on update.</summary>
public sealed class BargainItemInput
{
    public string? Name { get; init; }
    public string? Status { get; init; }
    public string? Sku { get; init; }
    public string? ProductName { get; init; }
    public string? Category { get; init; }
    public decimal? OriginalPrice { get; init; }
    /// <summary>The lowest price friends can cut to (the bargained price).</summary>
    public decimal? FloorPrice { get; init; }
    /// <summary>N: the floor is reached on the N-th help at the latest (1 to 100).</summary>
    public int? MaxHelps { get; init; }
    /// <summary>The first help's share of the gap, in percent (default 50).</summary>
    public int? FirstCutPercent { get; init; }
    /// <summary>Minutes a session has to reach the floor and be bought (default 1440).</summary>
    public int? TimeLimitMinutes { get; init; }
    /// <summary>Units that can be bought at the bargained price (optional; 0 on update removes the cap).</summary>
    public int? Stock { get; init; }
    public DateTimeOffset? StartsAt { get; init; }
    public DateTimeOffset? EndsAt { get; init; }
    public Guid? SegmentId { get; init; }
    public bool? NewHelpersOnly { get; init; }
    public int? HelperDailyCap { get; init; }
}

public static class BargainStates
{
    public const string Open = "open";
    /// <summary>The floor was reached: the participant may buy at the floor price until the session expires.</summary>
    public const string Reached = "reached";
    public const string Purchased = "purchased";
    public const string Expired = "expired";

    public static readonly IReadOnlyList<string> All = [Open, Reached, Purchased, Expired];
}

public sealed class BargainSession
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public Guid ItemId { get; init; }
    public Guid CustomerId { get; init; }
    public string? DisplayName { get; init; }
    public string Code { get; init; } = "";
    public string State { get; init; } = BargainStates.Open;
    public long OriginalPrice { get; init; }
    public long FloorPrice { get; init; }
    public int MaxHelps { get; init; }
    public long CurrentPrice { get; init; }
    public int Helps { get; init; }
    public DateTimeOffset OpenedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? ReachedAt { get; init; }
    public DateTimeOffset? PurchasedAt { get; init; }
    public string? OrderId { get; init; }
    public IReadOnlyList<BargainCut> Cuts { get; set; } = [];

    public string StateAt(DateTimeOffset now) =>
        State is BargainStates.Open or BargainStates.Reached && ExpiresAt <= now ? BargainStates.Expired : State;
}

public sealed class BargainCut
{
    public Guid Id { get; init; }
    public Guid SessionId { get; init; }
    public Guid HelperCustomerId { get; init; }
    public string? DisplayName { get; init; }
    public int Seq { get; init; }
    public long Amount { get; init; }
    public long PriceAfter { get; init; }
    public DateTimeOffset CutAt { get; init; }
}

public sealed record BargainOpenOutcome(BargainSession? Session, bool Created, string? Refusal, string? Message);

/// <summary>A help on a bargain: Cut is this friend's cut (also answered for a repeat, with Counted false).</summary>
public sealed record BargainCutOutcome(BargainSession? Session, BargainCut? Cut, bool Counted, string? Refusal, string? Message)
{
    public static BargainCutOutcome Refused(string reason, string message) => new(null, null, false, reason, message);
}

public sealed record BargainPurchaseOutcome(BargainSession? Session, string? Refusal, string? Message);

public sealed record BargainCounters(
    Guid ItemId, string State, int Sessions, int Open, int Reached, int Purchased, int Expired, int Cuts, long CutTotal, int? Stock, int Sold, int? Remaining);
