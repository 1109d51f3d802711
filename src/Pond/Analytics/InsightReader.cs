using System.Globalization;
using Dapper;
using Pond.Storage;

namespace Pond.Analytics;

/// <summary>Distinct private-domain buyers over a period, and those of them who bought at least once before.</summary>
public sealed record BuyerCounts(long Buyers, long RepeatBuyers);

/// <summary>
/// The pool by depth (1 fan, 2 community, 3 friend) as of the snapshot taken on <see cref="Day"/>, and the customers
/// Pond knows but cannot reach (depth 0: seen only through the shop or an import).
/// </summary>
public sealed record PoolSnapshot(DateOnly? Day, long Fans, long Community, long Friends, long Unreached = 0)
{
    /// <summary>The pool: customers the brand can reach directly.</summary>
    public long Total => Fans + Community + Friends;

    public long Known => Total + Unreached;
}

/// <summary>One cohort figure: the cohort (yyyymm joined), the day it happened on, and the value.</summary>
public sealed class CohortDay
{
    public string Metric { get; init; } = "";
    public int Cohort { get; init; }
    public int Day { get; init; }
    public long Value { get; init; }
}

/// <summary>
/// Reads the insight rollups. Every read is a range over a primary key (workspace, metric, dim, day), so its cost
/// grows with the days asked for, not with customers or events. Callers that must show what was just written call
/// <see cref="FreshenAsync"/> first.
/// </summary>
public sealed class InsightReader(Database database, InsightRefresher refresher, TimeProvider clock)
{
    /// <summary>Rewrites the workspace's days marked dirty, so the next read sees every committed change.</summary>
    public Task FreshenAsync(Guid workspaceId, CancellationToken cancellationToken = default) =>
        refresher.RefreshAsync(workspaceId, cancellationToken);

    public async Task<TimeZoneInfo> ZoneAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var zone = await connection.QuerySingleOrDefaultAsync<string>("SELECT time_zone FROM workspaces WHERE id = @workspaceId", new { workspaceId })
            ?? throw new NotFoundException($"Workspace {workspaceId} does not exist.");
        return InsightDays.Zone(zone);
    }

    public DateOnly Today(TimeZoneInfo zone) => InsightDays.Of(clock.GetUtcNow(), zone);

    /// <summary>A metric summed per key of one breakdown over the days from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public async Task<IReadOnlyDictionary<string, long>> SumAsync(Guid workspaceId, string metric, string dim, DateOnly from, DateOnly to)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<KeyValue>(
            """
            SELECT key, SUM(value) AS value FROM insight_daily
            WHERE workspace_id = @workspaceId AND metric = @metric AND dim = @dim AND day >= @from AND day <= @to
            GROUP BY key
            """, new { workspaceId, metric, dim, from = InsightDays.Key(from), to = InsightDays.Key(to) });
        return rows.ToDictionary(r => r.Key, r => r.Value);
    }

    /// <summary>The workspace totals of several metrics over the days from <paramref name="from"/> to <paramref name="to"/>; a metric with nothing counted is 0.</summary>
    public async Task<IReadOnlyDictionary<string, long>> TotalsAsync(Guid workspaceId, IReadOnlyCollection<string> metrics, DateOnly from, DateOnly to)
    {
        var totals = metrics.ToDictionary(m => m, _ => 0L);
        foreach (var day in await DailyAsync(workspaceId, metrics, from, to))
        {
            foreach (var (metric, value) in day.Values)
                totals[metric] += value;
        }

        return totals;
    }

    /// <summary>Workspace totals per day, every day of the range present (0 where nothing was counted).</summary>
    public async Task<IReadOnlyList<DailyValues>> DailyAsync(Guid workspaceId, IReadOnlyCollection<string> metrics, DateOnly from, DateOnly to)
    {
        await using var connection = await database.OpenAsync();
        var days = new SortedDictionary<int, Dictionary<string, long>>();
        for (var day = from; day <= to; day = day.AddDays(1))
            days[InsightDays.Key(day)] = metrics.ToDictionary(m => m, _ => 0L);
        foreach (var metric in metrics)
        {
            // One range per metric: each is a contiguous stretch of the primary key.
            foreach (var row in await connection.QueryAsync<DayValue>(
                         """
                         SELECT day, value FROM insight_daily
                         WHERE workspace_id = @workspaceId AND metric = @metric AND dim = '' AND key = '' AND day >= @from AND day <= @to
                         """, new { workspaceId, metric, from = InsightDays.Key(from), to = InsightDays.Key(to) }))
            {
                days[row.Day][metric] = row.Value;
            }
        }

        return days.Select(d => new DailyValues(InsightDays.FromKey(d.Key), d.Value)).ToList();
    }

    /// <summary>Distinct buyers over the days from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public async Task<BuyerCounts> BuyersAsync(Guid workspaceId, DateOnly from, DateOnly to)
    {
        await using var connection = await database.OpenAsync();
        var counts = await connection.QuerySingleAsync<BuyerRow>(
            """
            SELECT COUNT(DISTINCT customer_id) AS buyers,
                COUNT(DISTINCT CASE WHEN repeat_orders > 0 THEN customer_id END) AS repeat_buyers
            FROM insight_buyer_days WHERE workspace_id = @workspaceId AND day >= @from AND day <= @to
            """, new { workspaceId, from = InsightDays.Key(from), to = InsightDays.Key(to) });
        return new BuyerCounts(counts.Buyers, counts.RepeatBuyers);
    }

    /// <summary>Takes today's pool snapshot when none was ever taken (a workspace the worker has not seen yet), so the pool has an anchor.</summary>
    public async Task EnsurePoolSnapshotAsync(Guid workspaceId, DateOnly today)
    {
        if ((await PoolAsync(workspaceId, today)).Day is null)
            await refresher.SnapshotPoolAsync(workspaceId);
    }

    /// <summary>The latest pool snapshot taken on or before <paramref name="asOf"/>.</summary>
    public async Task<PoolSnapshot> PoolAsync(Guid workspaceId, DateOnly asOf)
    {
        await using var connection = await database.OpenAsync();
        var day = await connection.ExecuteScalarAsync<int?>(
            "SELECT MAX(day) FROM insight_daily WHERE workspace_id = @workspaceId AND metric = 'pool' AND dim = 'depth' AND day <= @asOf",
            new { workspaceId, asOf = InsightDays.Key(asOf) });
        if (day is null)
            return new PoolSnapshot(null, 0, 0, 0);
        var depths = (await connection.QueryAsync<KeyValue>(
                "SELECT key, value FROM insight_daily WHERE workspace_id = @workspaceId AND metric = 'pool' AND dim = 'depth' AND day = @day",
                new { workspaceId, day }))
            .ToDictionary(r => int.Parse(r.Key, CultureInfo.InvariantCulture), r => r.Value);
        return new PoolSnapshot(InsightDays.FromKey(day.Value), depths.GetValueOrDefault(1), depths.GetValueOrDefault(2), depths.GetValueOrDefault(3), depths.GetValueOrDefault(0));
    }

    /// <summary>
    /// The pool at the end of each day of the range: the latest snapshot, walked back (or forward) by each day's
    /// customers in and out. Past days are derived this way rather than from their own snapshots, which only exist
    /// for days the refresher saw as today.
    /// </summary>
    public async Task<IReadOnlyList<(DateOnly Day, long Pool)>> PoolSeriesAsync(Guid workspaceId, DateOnly from, DateOnly to, DateOnly today)
    {
        var anchor = await PoolAsync(workspaceId, today);
        var anchorDay = anchor.Day ?? today;
        var first = from < anchorDay ? from : anchorDay;
        var last = to > anchorDay ? to : anchorDay;
        var net = (await DailyAsync(workspaceId, [InsightMetrics.PoolIn, InsightMetrics.PoolOut], first, last))
            .ToDictionary(d => d.Day, d => d.Values[InsightMetrics.PoolIn] - d.Values[InsightMetrics.PoolOut]);
        var pool = new Dictionary<DateOnly, long> { [anchorDay] = anchor.Total };
        for (var day = anchorDay.AddDays(-1); day >= first; day = day.AddDays(-1))
            pool[day] = pool[day.AddDays(1)] - net[day.AddDays(1)];
        for (var day = anchorDay.AddDays(1); day <= last; day = day.AddDays(1))
            pool[day] = pool[day.AddDays(-1)] + net[day];
        var series = new List<(DateOnly, long)>();
        for (var day = from; day <= to; day = day.AddDays(1))
            series.Add((day, pool[day]));
        return series;
    }

    /// <summary>Cohort figures for the cohorts joined from <paramref name="fromMonth"/> to <paramref name="toMonth"/> (yyyymm).</summary>
    public async Task<IReadOnlyList<CohortDay>> CohortDaysAsync(Guid workspaceId, int fromMonth, int toMonth)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<CohortDay>(
            """
            SELECT metric, cohort, day, value FROM insight_cohort_days
            WHERE workspace_id = @workspaceId AND cohort >= @fromMonth AND cohort <= @toMonth
            """, new { workspaceId, fromMonth, toMonth })).AsList();
    }

    private sealed class KeyValue
    {
        public string Key { get; init; } = "";
        public long Value { get; init; }
    }

    private sealed class DayValue
    {
        public int Day { get; init; }
        public long Value { get; init; }
    }

    private sealed class BuyerRow
    {
        public long Buyers { get; init; }
        public long RepeatBuyers { get; init; }
    }
}

/// <summary>One day's workspace totals, by metric.</summary>
public sealed record DailyValues(DateOnly Day, IReadOnlyDictionary<string, long> Values);
