namespace Pond.Audience.Scores;

/// <summary>One buyer's orders as the score engine sees them (see <see cref="OrderTotalsQuery"/>).</summary>
internal sealed class OrderTotals
{
    public Guid CustomerId { get; init; }

    /// <summary>All orders ever.</summary>
    public long Orders { get; init; }
    public long FirstOrderAt { get; init; }
    public long LastOrderAt { get; init; }

    /// <summary>Orders and spend (fen) in the RFM window.</summary>
    public long WindowOrders { get; init; }
    public long WindowFen { get; init; }

    /// <summary>Orders and spend (fen) in the loyal window.</summary>
    public long LoyalOrders { get; init; }
    public long LoyalFen { get; init; }
}

/// <summary>
/// Score boundaries in one form for both scoring modes: R = 5 − #{k : days &gt; Recency[k]},
/// F = 1 + #{k : orders ≥ Frequency[k]}, M = 1 + #{k : fen ≥ MonetaryFen[k]}.
/// Quintile scoring derives them from the buyers at a full run; incremental updates reuse them until the next one.
/// </summary>
public sealed record Thresholds(long[] Recency, long[] Frequency, long[] MonetaryFen, int HighScore)
{
    public int R(long days) => 5 - Recency.Count(b => days > b);
    public int F(long orders) => 1 + Frequency.Count(t => orders >= t);
    public int M(long fen) => 1 + MonetaryFen.Count(t => fen >= t);

    public string Cell(int r, int f, int m) => RfmCells.Of(r >= HighScore, f >= HighScore, m >= HighScore);

    public static Thresholds FromFixed(RfmSettings settings) => new(
        settings.RecencyDays!.Select(d => (long)d).ToArray(),
        settings.Frequency!.Select(f => (long)f).ToArray(),
        settings.Monetary!.Select(m => (long)decimal.Round(m * 100m)).ToArray(),
        settings.HighScore);

    /// <summary>
    /// Quintile boundaries over the buyers' values. A score is 1 plus the number of k in 1..4 for which at least k·n/5
    /// buyers are strictly worse, so equal values always share a score and a tie straddling a quintile boundary takes
    /// the lower score. Written as thresholds: for the "higher is better" measures the k-th threshold is one more than
    /// the value at sorted position ⌈k·n/5⌉−1; for recency (fewer days is better) it is one less than the days at
    /// position ⌊k·n/5⌋.
    /// </summary>
    public static Thresholds FromQuintiles(IReadOnlyList<long> recencyDays, IReadOnlyList<long> frequency, IReadOnlyList<long> monetaryFen, int highScore)
    {
        return new Thresholds(RecencyBounds(recencyDays), HigherBounds(frequency), HigherBounds(monetaryFen), highScore);

        static long[] HigherBounds(IReadOnlyList<long> values)
        {
            if (values.Count == 0)
                return [long.MaxValue, long.MaxValue, long.MaxValue, long.MaxValue];
            var sorted = values.Order().ToArray();
            var n = sorted.Length;
            return Enumerable.Range(1, 4).Select(k => sorted[Math.Max(0, (int)Math.Ceiling(k * n / 5.0) - 1)] + 1).ToArray();
        }

        static long[] RecencyBounds(IReadOnlyList<long> values)
        {
            if (values.Count == 0)
                return [-1, -1, -1, -1];
            var sorted = values.Order().ToArray();
            var n = sorted.Length;
            return Enumerable.Range(1, 4).Select(k => sorted[Math.Min(n - 1, k * n / 5)] - 1).ToArray();
        }
    }
}

/// <summary>The score row a customer should have now, from their orders, the thresholds and the lifecycle rules.</summary>
internal sealed record ScoreRow(
    Guid CustomerId, long RecencyDays, long Frequency, long Monetary, int? R, int? F, int? M, string? RfmCell, string Stage)
{
    public bool SameScores(StoredScore stored) =>
        stored.RecencyDays == RecencyDays && stored.Frequency == Frequency && stored.Monetary == Monetary
        && stored.R == R && stored.F == F && stored.M == M && stored.RfmCell == RfmCell && stored.LifecycleStage == Stage;

    /// <summary>What segment rules can see changed (recency days alone move every day and matter to no rule).</summary>
    public bool SegmentVisibleChange(StoredScore stored) =>
        stored.R != R || stored.F != F || stored.M != M || stored.RfmCell != RfmCell || stored.LifecycleStage != Stage;
}

/// <summary>A customer_scores row as stored.</summary>
internal sealed class StoredScore
{
    public Guid CustomerId { get; init; }
    public long? RecencyDays { get; init; }
    public long? Frequency { get; init; }
    public long? Monetary { get; init; }
    public int? R { get; init; }
    public int? F { get; init; }
    public int? M { get; init; }
    public string? RfmCell { get; init; }
    public string LifecycleStage { get; init; } = "";
    public long StageSince { get; init; }
}

internal static class Scorer
{
    public const long DayMs = 86_400_000;

    public static long DaysSince(long lastOrderAt, long nowMs) => Math.Max(0, (nowMs - lastOrderAt) / DayMs);

    public static ScoreRow Score(OrderTotals totals, long nowMs, Thresholds thresholds, LifecycleSettings lifecycle)
    {
        var days = DaysSince(totals.LastOrderAt, nowMs);
        var stage = Stage(totals, days, lifecycle);
        if (totals.WindowOrders == 0)
            return new ScoreRow(totals.CustomerId, days, 0, 0, null, null, null, null, stage);
        var r = thresholds.R(days);
        var f = thresholds.F(totals.WindowOrders);
        var m = thresholds.M(totals.WindowFen);
        return new ScoreRow(totals.CustomerId, days, totals.WindowOrders, totals.WindowFen, r, f, m, thresholds.Cell(r, f, m), stage);
    }

    /// <summary>at_risk and lost (by days since the last order) come first; then loyal, repeat, first_order by orders.</summary>
    public static string Stage(OrderTotals totals, long daysSinceLastOrder, LifecycleSettings settings)
    {
        if (totals.Orders == 0)
            return LifecycleStages.New;
        if (daysSinceLastOrder >= settings.LostDays)
            return LifecycleStages.Lost;
        if (daysSinceLastOrder >= settings.AtRiskDays)
            return LifecycleStages.AtRisk;
        bool? byOrders = settings.LoyalMinOrders is { } min ? totals.LoyalOrders >= min : null;
        bool? bySpend = settings.LoyalMinSpend is { } spend ? totals.LoyalFen >= (long)decimal.Round(spend * 100m) : null;
        var loyal = settings.LoyalRule == LifecycleSettings.All
            ? (byOrders ?? true) && (bySpend ?? true)
            : (byOrders ?? false) || (bySpend ?? false);
        // Loyal is a repeat buyer's stage: one large first order is still a first order.
        if (loyal && totals.Orders >= 2)
            return LifecycleStages.Loyal;
        return totals.Orders >= 2 ? LifecycleStages.Repeat : LifecycleStages.FirstOrder;
    }

    /// <summary>
    /// When a buyer scored for the first time in a workspace's first run entered their stage, estimated from the orders
    /// (that first run records no stage changes: it describes history, it did not watch it happen).
    /// </summary>
    public static long EstimatedSince(OrderTotals totals, string stage, LifecycleSettings settings) => stage switch
    {
        LifecycleStages.Lost => totals.LastOrderAt + settings.LostDays * DayMs,
        LifecycleStages.AtRisk => totals.LastOrderAt + settings.AtRiskDays * DayMs,
        _ => totals.LastOrderAt,
    };
}
