using Pond.Fission.Assists;

namespace Pond.Fission.Lotteries;

/// <summary>A lottery (抽奖) as stored.</summary>
public sealed class Lottery
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public string Name { get; init; } = "";
    public string Status { get; init; } = GameStatuses.Active;
    public DateTimeOffset StartsAt { get; init; }
    public DateTimeOffset EndsAt { get; init; }
    public Guid? SegmentId { get; init; }
    public long PointsCost { get; init; }
    public string? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public IReadOnlyList<LotteryPrize> Prizes { get; set; } = [];

    public string StateAt(DateTimeOffset now) =>
        Status == GameStatuses.Paused ? GameStatuses.Paused : now < StartsAt ? "scheduled" : now >= EndsAt ? "ended" : "running";
}

public sealed class LotteryPrize
{
    public Guid Id { get; init; }
    public Guid LotteryId { get; init; }
    public int Position { get; init; }
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public Guid? TemplateId { get; init; }
    public long? Points { get; init; }
    public string? Gift { get; init; }
    /// <summary>Parts per million: percent × 10,000.</summary>
    public int ProbabilityPpm { get; init; }
    public int Stock { get; init; }
    public int Awarded { get; init; }

    public decimal Probability => ProbabilityPpm / 10_000m;
    public int Left => Stock - Awarded;
    public GameReward Reward => new(Kind, TemplateId, Points, Gift);
}

/// <summary>What a caller sends to create or change a lottery; null keeps the current value on update.</summary>
public sealed class LotteryInput
{
    public string? Name { get; init; }
    public string? Status { get; init; }
    public DateTimeOffset? StartsAt { get; init; }
    public DateTimeOffset? EndsAt { get; init; }
    public Guid? SegmentId { get; init; }
    /// <summary>Points spent on each draw (0 for a free draw).</summary>
    public long? PointsCost { get; init; }
    /// <summary>The prize pool. On update: prizes with an id change (stock not below what was awarded), prizes without one are added.</summary>
    public IReadOnlyList<LotteryPrizeInput>? Prizes { get; init; }
}

public sealed class LotteryPrizeInput
{
    public Guid? Id { get; init; }
    public string? Name { get; init; }
    /// <summary>The chance of this prize per draw, in percent (up to 4 decimals); the pool's total is at most 100.</summary>
    public decimal? Probability { get; init; }
    public int? Stock { get; init; }
    public GameRewardInput? Reward { get; init; }
}

public static class DrawOutcomes
{
    public const string Won = "won";
    public const string NoPrize = "no_prize";
    /// <summary>The roll picked a prize whose stock was used up: no prize (stated chances hold while stock lasts).</summary>
    public const string OutOfStock = "out_of_stock";

    public static readonly IReadOnlyList<string> All = [Won, NoPrize, OutOfStock];
}

public sealed class LotteryEntry
{
    public Guid Id { get; init; }
    public Guid LotteryId { get; init; }
    public Guid CustomerId { get; init; }
    public string? DisplayName { get; init; }
    public int Day { get; init; }
    public int Roll { get; init; }
    public string Outcome { get; init; } = DrawOutcomes.NoPrize;
    public Guid? PrizeId { get; init; }
    public string? PrizeName { get; init; }
    public long PointsSpent { get; init; }
    public Guid? PointsEntryId { get; init; }
    public Guid? CouponId { get; init; }
    public string? Reason { get; init; }
    public DateTimeOffset DrawnAt { get; init; }
}

public sealed record DrawOutcome(LotteryEntry? Entry, string? Refusal, string? Message)
{
    public static DrawOutcome Refused(string reason, string message) => new(null, reason, message);
}

public sealed record LotteryCounters(Guid LotteryId, string State, int Draws, int Entrants, int Wins, int OutOfStock, long PointsSpent,
    IReadOnlyList<PrizeCount> Prizes);

public sealed record PrizeCount(Guid PrizeId, string Name, decimal Probability, int Stock, int Awarded, int Left);

/// <summary>A winner as a customer-facing list shows them: the name masked.</summary>
public sealed record LotteryWinner(string MaskedName, string Prize, DateTimeOffset DrawnAt);
