using System.Text.Json.Serialization;
using Dapper;
using Pond.Storage;

namespace Pond.Analytics;

/// <summary>A stretch of local days, both ends included.</summary>
public sealed record InsightPeriod(DateOnly From, DateOnly To)
{
    public const int MaxDays = 366;

    public int Days => To.DayNumber - From.DayNumber + 1;

    /// <summary>The same number of days just before this period.</summary>
    [JsonIgnore]
    public InsightPeriod Previous => new(From.AddDays(-Days), From.AddDays(-1));

    /// <summary>The period the caller asked for; the last 30 days up to today when they named none. Bad input is a 400 that says what to send.</summary>
    public static InsightPeriod Resolve(DateOnly? from, DateOnly? to, DateOnly today)
    {
        var end = to ?? today;
        var start = from ?? end.AddDays(-29);
        if (start > end)
            throw new ValidationFailedException($"from ({start:yyyy-MM-dd}) is after to ({end:yyyy-MM-dd}); send from on or before to.", "from");
        if (end.DayNumber - start.DayNumber + 1 > MaxDays)
            throw new ValidationFailedException($"The period is {end.DayNumber - start.DayNumber + 1} days; ask for at most {MaxDays}.", "from");
        return new InsightPeriod(start, end);
    }
}

/// <summary>The outcome and process figures of one period. Rates are fractions; money is yuan.</summary>
public sealed record PeriodFigures(
    long PoolStart,
    long PoolEnd,
    long Joined,
    long Left,
    long Adds,
    long Deletions,
    long RelationshipsAtStart,
    decimal? DeletionRate,
    long Visits,
    long FissionVisits,
    decimal Gmv,
    long Orders,
    long Buyers,
    long RepeatBuyers,
    long FirstOrders,
    decimal? AverageOrderValue,
    decimal? RepurchaseRate)
{
    public long NetGrowth => PoolEnd - PoolStart;
}

/// <summary>One day on the dashboard's charts.</summary>
public sealed record DashboardDay(DateOnly Day, long Adds, long Deletions, decimal? DeletionRate, long Pool, decimal Gmv, long Orders);

/// <summary>A channel or staff member ranked on the dashboard (Id null: not attributed).</summary>
public sealed record RankedEntry(string? Id, string Name, long Adds, decimal Gmv, long Orders);

public sealed record OpsDashboardReport(
    InsightPeriod Period,
    InsightPeriod PreviousPeriod,
    string TimeZone,
    PoolSnapshot Pool,
    PeriodFigures Current,
    PeriodFigures Previous,
    IReadOnlyList<DashboardDay> Days,
    IReadOnlyList<RankedEntry> TopChannels,
    IReadOnlyList<RankedEntry> TopStaff,
    GmvFactors Equation,
    GmvFactors PreviousEquation,
    IReadOnlyList<GmvContribution>? Contributions);

/// <summary>
/// The operations dashboard (the console's home page): pool by depth and its growth, adds and deletions per day,
/// private-domain GMV, orders, buyers, AOV and repurchase, top channels and staff, and the GMV equation with the
/// split of its change, for a period against the one before. Everything comes from the insight rollups.
/// </summary>
public sealed class OpsDashboard(Database database, InsightReader reader)
{
    public const int TopCount = 5;

    public async Task<OpsDashboardReport> LoadAsync(Guid workspaceId, DateOnly? from, DateOnly? to)
    {
        await reader.FreshenAsync(workspaceId);
        var zone = await reader.ZoneAsync(workspaceId);
        var today = reader.Today(zone);
        var period = InsightPeriod.Resolve(from, to, today);
        var previous = period.Previous;

        string[] metrics =
        [
            InsightMetrics.Adds, InsightMetrics.Deletions, InsightMetrics.PoolIn, InsightMetrics.PoolOut, InsightMetrics.Visits,
            InsightMetrics.FissionVisits, InsightMetrics.Gmv, InsightMetrics.Orders, InsightMetrics.FirstOrders,
        ];
        // One read from the previous period's start to today: both periods, and the days after the period that the
        // pool and relationship counts are walked back over from today's snapshot.
        var last = period.To > today ? period.To : today;
        await reader.EnsurePoolSnapshotAsync(workspaceId, today);
        var daily = (await reader.DailyAsync(workspaceId, metrics, previous.From.AddDays(-1), last)).ToDictionary(d => d.Day, d => d.Values);
        var pool = await reader.PoolAsync(workspaceId, today);
        var heldNow = (await reader.SumAsync(workspaceId, InsightMetrics.Held, InsightDims.Total, pool.Day ?? today, pool.Day ?? today)).GetValueOrDefault("");
        var poolAt = Walk(pool.Day ?? today, pool.Total, daily, InsightMetrics.PoolIn, InsightMetrics.PoolOut);
        var heldAt = Walk(pool.Day ?? today, heldNow, daily, InsightMetrics.Adds, InsightMetrics.Deletions);

        var current = await FiguresAsync(workspaceId, period, daily, poolAt, heldAt);
        var before = await FiguresAsync(workspaceId, previous, daily, poolAt, heldAt);
        var days = new List<DashboardDay>();
        for (var day = period.From; day <= period.To; day = day.AddDays(1))
        {
            var values = daily[day];
            var heldBefore = heldAt(day.AddDays(-1));
            days.Add(new DashboardDay(
                day, values[InsightMetrics.Adds], values[InsightMetrics.Deletions],
                heldBefore > 0 ? Math.Round(values[InsightMetrics.Deletions] / (decimal)heldBefore, 4) : null,
                poolAt(day), Money.FromFen(values[InsightMetrics.Gmv]), values[InsightMetrics.Orders]));
        }

        var names = await NamesAsync(workspaceId);
        var equation = Equation(current);
        var previousEquation = Equation(before);
        return new OpsDashboardReport(
            period, previous, zone.Id, pool, current, before, days,
            await RankAsync(workspaceId, period, InsightDims.Channel, InsightDims.FirstChannel, names.Channels),
            await RankAsync(workspaceId, period, InsightDims.Staff, InsightDims.Staff, names.Staff),
            equation, previousEquation,
            equation.Complete && previousEquation.Complete ? ShapleySplit.Explain(previousEquation, equation) : null);
    }

    public static GmvFactors Equation(PeriodFigures figures) =>
        new(figures.Visits + figures.FissionVisits, figures.Visits, figures.FissionVisits, figures.Joined, figures.Buyers, figures.Orders, figures.Gmv);

    private async Task<PeriodFigures> FiguresAsync(
        Guid workspaceId, InsightPeriod period, Dictionary<DateOnly, IReadOnlyDictionary<string, long>> daily, Func<DateOnly, long> poolAt, Func<DateOnly, long> heldAt)
    {
        long Sum(string metric)
        {
            var sum = 0L;
            for (var day = period.From; day <= period.To; day = day.AddDays(1))
                sum += daily[day][metric];
            return sum;
        }

        var buyers = await reader.BuyersAsync(workspaceId, period.From, period.To);
        var gmv = Money.FromFen(Sum(InsightMetrics.Gmv));
        var orders = Sum(InsightMetrics.Orders);
        var deletions = Sum(InsightMetrics.Deletions);
        var heldAtStart = heldAt(period.From.AddDays(-1));
        return new PeriodFigures(
            poolAt(period.From.AddDays(-1)), poolAt(period.To), Sum(InsightMetrics.PoolIn), Sum(InsightMetrics.PoolOut),
            Sum(InsightMetrics.Adds), deletions, heldAtStart, heldAtStart > 0 ? Math.Round(deletions / (decimal)heldAtStart, 4) : null,
            Sum(InsightMetrics.Visits), Sum(InsightMetrics.FissionVisits), gmv, orders, buyers.Buyers, buyers.RepeatBuyers,
            Sum(InsightMetrics.FirstOrders), orders > 0 ? Math.Round(gmv / orders, 2) : null,
            buyers.Buyers > 0 ? Math.Round(buyers.RepeatBuyers / (decimal)buyers.Buyers, 4) : null);
    }

    /// <summary>
    /// A count at the end of any day, from its value at the end of <paramref name="anchor"/> walked back (or on) by
    /// each day's ins and outs. Days outside what <paramref name="daily"/> covers are treated as quiet.
    /// </summary>
    private static Func<DateOnly, long> Walk(DateOnly anchor, long anchorValue, Dictionary<DateOnly, IReadOnlyDictionary<string, long>> daily, string inMetric, string outMetric)
    {
        long Net(DateOnly day) => daily.TryGetValue(day, out var values) ? values[inMetric] - values[outMetric] : 0;
        var cache = new Dictionary<DateOnly, long> { [anchor] = anchorValue };
        return day =>
        {
            if (cache.TryGetValue(day, out var known))
                return known;
            var value = anchorValue;
            if (day < anchor)
            {
                for (var d = anchor; d > day; d = d.AddDays(-1))
                    value -= Net(d);
            }
            else
            {
                for (var d = anchor.AddDays(1); d <= day; d = d.AddDays(1))
                    value += Net(d);
            }

            return cache[day] = value;
        };
    }

    private async Task<IReadOnlyList<RankedEntry>> RankAsync(
        Guid workspaceId, InsightPeriod period, string addDim, string gmvDim, IReadOnlyDictionary<string, string> names)
    {
        var adds = await reader.SumAsync(workspaceId, InsightMetrics.Adds, addDim, period.From, period.To);
        var gmv = await reader.SumAsync(workspaceId, InsightMetrics.Gmv, gmvDim, period.From, period.To);
        var orders = await reader.SumAsync(workspaceId, InsightMetrics.Orders, gmvDim, period.From, period.To);
        return adds.Keys.Union(gmv.Keys)
            .Where(key => key.Length > 0)
            .Select(key => new RankedEntry(key, names.GetValueOrDefault(key, key), adds.GetValueOrDefault(key), Money.FromFen(gmv.GetValueOrDefault(key)), orders.GetValueOrDefault(key)))
            .OrderByDescending(e => e.Gmv).ThenByDescending(e => e.Adds).ThenBy(e => e.Name, StringComparer.Ordinal)
            .Take(TopCount)
            .ToList();
    }

    /// <summary>Channel and staff names by id (as rollup keys).</summary>
    public async Task<(IReadOnlyDictionary<string, string> Channels, IReadOnlyDictionary<string, string> Staff)> NamesAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var channels = await connection.QueryAsync<NamedRow>("SELECT id, name FROM channels WHERE workspace_id = @workspaceId", new { workspaceId });
        var staff = await connection.QueryAsync<NamedRow>("SELECT id, name FROM staff WHERE workspace_id = @workspaceId", new { workspaceId });
        return (channels.ToDictionary(c => c.Id.ToString(), c => c.Name), staff.ToDictionary(s => s.Id.ToString(), s => s.Name));
    }

    private sealed class NamedRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
    }
}
