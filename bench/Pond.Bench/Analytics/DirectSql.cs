using Dapper;
using Npgsql;
using Pond.Analytics;

namespace Pond.Bench.Analytics;

/// <summary>
/// The insight reports' figures computed the way one would without rollups: one SQL statement per figure over the
/// source tables, using their indexes (acquisitions by time, orders by time, visits by time). The baseline the
/// rollups are measured against, and a check on them: both must give the same numbers.
/// </summary>
internal sealed class DirectSql(string connectionString, Guid workspaceId, TimeZoneInfo zone)
{
    public sealed record PeriodCounts(
        long Adds, long Deletions, long Joined, long Left, long Visits, long FissionVisits, decimal Gmv, long Orders, long Buyers, long RepeatBuyers, long FirstOrders);

    public sealed record TopChannel(string Id, long Adds, decimal Gmv);

    public sealed record DashboardFigures(PeriodCounts Current, PeriodCounts Previous, long Fans, long Community, long Friends, List<TopChannel> TopChannels);

    public sealed record ChannelFigures(string Id, decimal Spend, long Visits, long Adds, long Deletions, long Orders, decimal Gmv, long Matured30, decimal? Retained30);

    public sealed record StaffFigures(string Id, long HeldNow, long Adds, long Deletions, long Orders, long FirstOrders, decimal Gmv);

    private const string EarlierOrder =
        "SELECT 1 FROM orders p WHERE p.customer_id = o.customer_id AND p.private_domain AND (p.placed_at < o.placed_at OR (p.placed_at = o.placed_at AND p.id < o.id))";

    public async Task<DashboardFigures> DashboardAsync(InsightPeriod period)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var current = await PeriodAsync(connection, period);
        var previous = await PeriodAsync(connection, period.Previous);
        var depths = (await connection.QueryAsync<KeyCount>(
            "SELECT depth::text AS key, COUNT(*) AS count FROM customers WHERE workspace_id = @workspaceId GROUP BY depth", new { workspaceId }))
            .ToDictionary(d => d.Key, d => d.Count);
        var (s, e) = Bounds(period);
        var channels = (await connection.QueryAsync<ChannelRank>(
            """
            SELECT c.id::text AS id, c.name,
                (SELECT COUNT(*) FROM acquisitions a WHERE a.workspace_id = @workspaceId AND a.channel_id = c.id AND a.acquired_at >= @s AND a.acquired_at < @e) AS adds,
                (SELECT COALESCE(SUM(o.paid - o.refunded), 0) FROM orders o WHERE o.workspace_id = @workspaceId AND o.first_channel_id = c.id AND o.private_domain
                    AND o.placed_at >= @s AND o.placed_at < @e) AS gmv_fen
            FROM channels c WHERE c.workspace_id = @workspaceId
            """, new { workspaceId, s, e })).AsList();
        var top = channels.Where(c => c.Adds > 0 || c.GmvFen > 0)
            .OrderByDescending(c => c.GmvFen).ThenByDescending(c => c.Adds).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Take(OpsDashboard.TopCount)
            .Select(c => new TopChannel(c.Id, c.Adds, c.GmvFen / 100m)).ToList();
        return new DashboardFigures(current, previous, depths.GetValueOrDefault("1"), depths.GetValueOrDefault("2"), depths.GetValueOrDefault("3"), top);
    }

    public async Task<IReadOnlyList<ChannelFigures>> ChannelsAsync(InsightPeriod period, DateOnly today)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var (s, e) = Bounds(period);
        var maturedTo = period.To < today.AddDays(-30) ? period.To : today.AddDays(-30);
        var maturedEnd = maturedTo >= period.From ? InsightDays.Start(maturedTo.AddDays(1), zone).ToUnixTimeMilliseconds() : s;
        var rows = await connection.QueryAsync<ChannelRow>(
            """
            SELECT c.id::text AS id,
                (SELECT COALESCE(SUM(amount_fen), 0) FROM channel_spend x WHERE x.workspace_id = @workspaceId AND x.channel_id = c.id AND x.spent_on >= @fromDay AND x.spent_on <= @toDay) AS spend_fen,
                (SELECT COUNT(*) FROM live_code_visits v JOIN live_codes l ON l.id = v.code_id WHERE v.workspace_id = @workspaceId AND l.channel_id = c.id AND v.visited_at >= @s AND v.visited_at < @e) AS visits,
                (SELECT COUNT(*) FROM acquisitions a WHERE a.workspace_id = @workspaceId AND a.channel_id = c.id AND a.acquired_at >= @s AND a.acquired_at < @e) AS adds,
                (SELECT COUNT(*) FROM acquisitions a WHERE a.workspace_id = @workspaceId AND a.channel_id = c.id AND a.ended_at >= @s AND a.ended_at < @e) AS deletions,
                (SELECT COUNT(*) FROM orders o WHERE o.workspace_id = @workspaceId AND o.first_channel_id = c.id AND o.private_domain AND o.placed_at >= @s AND o.placed_at < @e) AS orders,
                (SELECT COALESCE(SUM(o.paid - o.refunded), 0) FROM orders o WHERE o.workspace_id = @workspaceId AND o.first_channel_id = c.id AND o.private_domain
                    AND o.placed_at >= @s AND o.placed_at < @e) AS gmv_fen,
                (SELECT COUNT(*) FROM acquisitions a WHERE a.workspace_id = @workspaceId AND a.channel_id = c.id AND a.acquired_at >= @s AND a.acquired_at < @maturedEnd) AS matured,
                (SELECT COUNT(*) FROM acquisitions a WHERE a.workspace_id = @workspaceId AND a.channel_id = c.id AND a.acquired_at >= @s AND a.acquired_at < @maturedEnd
                    AND (a.ended_at IS NULL OR a.ended_at - a.acquired_at >= 2592000000)) AS kept
            FROM channels c WHERE c.workspace_id = @workspaceId
            """, new { workspaceId, s, e, maturedEnd, fromDay = InsightDays.Key(period.From), toDay = InsightDays.Key(period.To) });
        return rows.Where(r => r.SpendFen + r.Visits + r.Adds + r.Deletions + r.GmvFen > 0)
            .Select(r => new ChannelFigures(r.Id, r.SpendFen / 100m, r.Visits, r.Adds, r.Deletions, r.Orders, r.GmvFen / 100m, r.Matured,
                r.Matured > 0 ? Math.Round(r.Kept / (decimal)r.Matured, 4) : null))
            .ToList();
    }

    public async Task<IReadOnlyList<StaffFigures>> StaffAsync(InsightPeriod period)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var (s, e) = Bounds(period);
        var rows = await connection.QueryAsync<StaffRow>(
            $"""
            SELECT t.id::text AS id,
                (SELECT COUNT(*) FROM acquisitions a WHERE a.workspace_id = @workspaceId AND a.staff_id = t.id AND a.ended_at IS NULL) AS held,
                (SELECT COUNT(*) FROM acquisitions a WHERE a.workspace_id = @workspaceId AND a.staff_id = t.id AND a.acquired_at >= @s AND a.acquired_at < @e) AS adds,
                (SELECT COUNT(*) FROM acquisitions a WHERE a.workspace_id = @workspaceId AND a.staff_id = t.id AND a.ended_at >= @s AND a.ended_at < @e) AS deletions,
                (SELECT COUNT(*) FROM orders o WHERE o.workspace_id = @workspaceId AND o.staff_id = t.id AND o.private_domain AND o.placed_at >= @s AND o.placed_at < @e) AS orders,
                (SELECT COUNT(*) FROM orders o WHERE o.workspace_id = @workspaceId AND o.staff_id = t.id AND o.private_domain AND o.placed_at >= @s AND o.placed_at < @e
                    AND NOT EXISTS ({EarlierOrder})) AS first_orders,
                (SELECT COALESCE(SUM(o.paid - o.refunded), 0) FROM orders o WHERE o.workspace_id = @workspaceId AND o.staff_id = t.id AND o.private_domain
                    AND o.placed_at >= @s AND o.placed_at < @e) AS gmv_fen
            FROM staff t WHERE t.workspace_id = @workspaceId
            """, new { workspaceId, s, e });
        return rows.Select(r => new StaffFigures(r.Id, r.Held, r.Adds, r.Deletions, r.Orders, r.FirstOrders, r.GmvFen / 100m)).ToList();
    }

    public sealed record CohortFigures(string Cohort, long Size, decimal Gmv);

    /// <summary>The standard funnel's stages: reached, added (not group joins), joined a group, first orders, repeat buyers.</summary>
    public async Task<List<long>> FunnelAsync(InsightPeriod period)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var (s, e) = Bounds(period);
        var counts = await PeriodAsync(connection, period);
        var adds = (await connection.QueryAsync<KeyCount>(
            """
            SELECT CASE WHEN carrier_kind = 'group_chat' THEN 'group' ELSE 'other' END AS key, COUNT(*) AS count
            FROM acquisitions WHERE workspace_id = @workspaceId AND acquired_at >= @s AND acquired_at < @e GROUP BY 1
            """, new { workspaceId, s, e })).ToDictionary(r => r.Key, r => r.Count);
        return [counts.Visits + counts.FissionVisits, adds.GetValueOrDefault("other"), adds.GetValueOrDefault("group"), counts.FirstOrders, counts.RepeatBuyers];
    }

    /// <summary>Per join month (a customer's first acquisition, in the workspace's zone): the cohort's size and all its private-domain GMV so far.</summary>
    public async Task<List<CohortFigures>> CohortsAsync(int fromMonth, int toMonth)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var rows = (await connection.QueryAsync<CohortRow>(
            """
            WITH joined AS (
                SELECT customer_id, to_char(to_timestamp(MIN(acquired_at) / 1000.0) AT TIME ZONE @zone, 'YYYYMM')::int AS cohort
                FROM acquisitions WHERE workspace_id = @workspaceId GROUP BY customer_id)
            SELECT j.cohort, COUNT(*) AS size,
                COALESCE(SUM((SELECT SUM(o.paid - o.refunded) FROM orders o WHERE o.customer_id = j.customer_id AND o.private_domain)), 0) AS gmv_fen
            FROM joined j WHERE j.cohort >= @fromMonth AND j.cohort <= @toMonth GROUP BY j.cohort ORDER BY j.cohort
            """, new { workspaceId, zone = zone.Id, fromMonth, toMonth }, commandTimeout: 0)).ToDictionary(r => r.Cohort);
        var figures = new List<CohortFigures>();
        for (var month = fromMonth; month <= toMonth; month = month % 100 == 12 ? month + 89 : month + 1)
        {
            var row = rows.GetValueOrDefault(month);
            figures.Add(new CohortFigures($"{month / 100:0000}-{month % 100:00}", row?.Size ?? 0, (row?.GmvFen ?? 0) / 100m));
        }

        return figures;
    }

    private async Task<PeriodCounts> PeriodAsync(NpgsqlConnection connection, InsightPeriod period)
    {
        var (s, e) = Bounds(period);
        var row = await connection.QuerySingleAsync<PeriodRow>(
            $"""
            SELECT
                (SELECT COUNT(*) FROM acquisitions WHERE workspace_id = @workspaceId AND acquired_at >= @s AND acquired_at < @e) AS adds,
                (SELECT COUNT(*) FROM acquisitions WHERE workspace_id = @workspaceId AND ended_at >= @s AND ended_at < @e) AS deletions,
                (SELECT COUNT(*) FROM acquisitions a WHERE a.workspace_id = @workspaceId AND a.acquired_at >= @s AND a.acquired_at < @e
                    AND NOT EXISTS (SELECT 1 FROM acquisitions b WHERE b.customer_id = a.customer_id AND b.id <> a.id
                        AND (b.acquired_at < a.acquired_at OR (b.acquired_at = a.acquired_at AND b.id < a.id)) AND (b.ended_at IS NULL OR b.ended_at > a.acquired_at))) AS joined,
                (SELECT COUNT(*) FROM acquisitions a WHERE a.workspace_id = @workspaceId AND a.ended_at >= @s AND a.ended_at < @e
                    AND NOT EXISTS (SELECT 1 FROM acquisitions b WHERE b.customer_id = a.customer_id AND b.id <> a.id AND b.acquired_at <= a.ended_at
                        AND (b.ended_at IS NULL OR b.ended_at > a.ended_at OR (b.ended_at = a.ended_at AND b.id > a.id)))) AS left_pool,
                (SELECT COUNT(*) FROM live_code_visits WHERE workspace_id = @workspaceId AND visited_at >= @s AND visited_at < @e) AS visits,
                (SELECT COUNT(*) FROM referral_visits WHERE workspace_id = @workspaceId AND visited_at >= @s AND visited_at < @e) AS fission_visits,
                (SELECT COALESCE(SUM(paid - refunded), 0) FROM orders WHERE workspace_id = @workspaceId AND private_domain AND placed_at >= @s AND placed_at < @e) AS gmv_fen,
                (SELECT COUNT(*) FROM orders WHERE workspace_id = @workspaceId AND private_domain AND placed_at >= @s AND placed_at < @e) AS orders,
                (SELECT COUNT(DISTINCT customer_id) FROM orders WHERE workspace_id = @workspaceId AND private_domain AND placed_at >= @s AND placed_at < @e) AS buyers,
                (SELECT COUNT(DISTINCT o.customer_id) FROM orders o WHERE o.workspace_id = @workspaceId AND o.private_domain AND o.placed_at >= @s AND o.placed_at < @e
                    AND EXISTS ({EarlierOrder})) AS repeat_buyers,
                (SELECT COUNT(*) FROM orders o WHERE o.workspace_id = @workspaceId AND o.private_domain AND o.placed_at >= @s AND o.placed_at < @e
                    AND NOT EXISTS ({EarlierOrder})) AS first_orders
            """, new { workspaceId, s, e }, commandTimeout: 0);
        return new PeriodCounts(row.Adds, row.Deletions, row.Joined, row.LeftPool, row.Visits, row.FissionVisits, row.GmvFen / 100m, row.Orders, row.Buyers, row.RepeatBuyers, row.FirstOrders);
    }

    private (long Start, long End) Bounds(InsightPeriod period) =>
        (InsightDays.Start(period.From, zone).ToUnixTimeMilliseconds(), InsightDays.Start(period.To.AddDays(1), zone).ToUnixTimeMilliseconds());

    private sealed class CohortRow
    {
        public int Cohort { get; init; }
        public long Size { get; init; }
        public long GmvFen { get; init; }
    }

    private sealed class KeyCount
    {
        public string Key { get; init; } = "";
        public long Count { get; init; }
    }

    private sealed class ChannelRank
    {
        public string Id { get; init; } = "";
        public string Name { get; init; } = "";
        public long Adds { get; init; }
        public long GmvFen { get; init; }
    }

    private sealed class ChannelRow
    {
        public string Id { get; init; } = "";
        public long SpendFen { get; init; }
        public long Visits { get; init; }
        public long Adds { get; init; }
        public long Deletions { get; init; }
        public long Orders { get; init; }
        public long GmvFen { get; init; }
        public long Matured { get; init; }
        public long Kept { get; init; }
    }

    private sealed class StaffRow
    {
        public string Id { get; init; } = "";
        public long Held { get; init; }
        public long Adds { get; init; }
        public long Deletions { get; init; }
        public long Orders { get; init; }
        public long FirstOrders { get; init; }
        public long GmvFen { get; init; }
    }

    private sealed class PeriodRow
    {
        public long Adds { get; init; }
        public long Deletions { get; init; }
        public long Joined { get; init; }
        public long LeftPool { get; init; }
        public long Visits { get; init; }
        public long FissionVisits { get; init; }
        public long GmvFen { get; init; }
        public long Orders { get; init; }
        public long Buyers { get; init; }
        public long RepeatBuyers { get; init; }
        public long FirstOrders { get; init; }
    }
}
