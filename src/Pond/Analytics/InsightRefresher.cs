using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Pond.Storage;

namespace Pond.Analytics;

/// <summary>
/// Keeps the insight rollups current. Writers mark the hours they touch (<see cref="InsightDirty"/>); the
/// refresher turns each mark into the local days it covers and rewrites every such day whole from the source
/// tables (acquisitions, orders, visits, spend, tasks), in one transaction per day. A day is always rewritten,
/// never patched, so refunds, deletions that arrive late and replays all come out right, and a rollup can be
/// rebuilt from scratch at any time (<see cref="RebuildAsync"/>).
/// </summary>
public sealed class InsightRefresher(Database database, TimeProvider clock, ILogger<InsightRefresher> logger) : IDisposable
{
    private const long HourMs = 3_600_000;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Rewrites the days marked dirty (of one workspace, or of all) and returns how many days it rewrote.</summary>
    public async Task<int> RefreshAsync(Guid? workspaceId = null, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            var marks = (await connection.QueryAsync<DirtyMark>(
                "SELECT workspace_id, hour, marked_at FROM insight_dirty" + (workspaceId is null ? "" : " WHERE workspace_id = @workspaceId"),
                new { workspaceId })).AsList();
            var rewritten = 0;
            foreach (var workspace in marks.GroupBy(m => m.WorkspaceId))
            {
                var zone = await ZoneAsync(connection, workspace.Key);
                if (zone is not null)
                {
                    var days = workspace
                        .SelectMany(m => new[] { InsightDays.Of(m.Hour, zone), InsightDays.Of(m.Hour + HourMs - 1, zone) })
                        .Distinct()
                        .Order();
                    foreach (var day in days)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        await RewriteDayAsync(connection, workspace.Key, zone, day);
                        rewritten++;
                    }
                }

                // Only the marks read above: one made again meanwhile has a newer marked_at and stays for the next round.
                await connection.ExecuteAsync(
                    "DELETE FROM insight_dirty WHERE workspace_id = @WorkspaceId AND hour = @Hour AND marked_at = @MarkedAt",
                    workspace.Select(m => new { m.WorkspaceId, m.Hour, m.MarkedAt }));
            }

            if (rewritten > 0)
                logger.LogDebug("Rewrote {Days} insight days", rewritten);
            return rewritten;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Rewrites every day from <paramref name="from"/> to <paramref name="to"/> (the demo loader, the bench, a repair).</summary>
    public async Task RebuildAsync(Guid workspaceId, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            var zone = await ZoneAsync(connection, workspaceId) ?? throw new NotFoundException($"Workspace {workspaceId} does not exist.");
            for (var day = from; day <= to; day = day.AddDays(1))
            {
                cancellationToken.ThrowIfCancellationRequested();
                await RewriteDayAsync(connection, workspaceId, zone, day);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The first and last local days that hold anything the rollups count, or null for an empty workspace.</summary>
    public async Task<(DateOnly From, DateOnly To)?> ActivitySpanAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var zone = await ZoneAsync(connection, workspaceId) ?? throw new NotFoundException($"Workspace {workspaceId} does not exist.");
        var span = await connection.QuerySingleAsync<Span>(
            """
            SELECT MIN(t) AS first, MAX(t) AS last FROM (
                SELECT MIN(acquired_at) AS t FROM acquisitions WHERE workspace_id = @workspaceId
                UNION ALL SELECT MAX(COALESCE(ended_at, acquired_at)) FROM acquisitions WHERE workspace_id = @workspaceId
                UNION ALL SELECT MIN(placed_at) FROM orders WHERE workspace_id = @workspaceId
                UNION ALL SELECT MAX(placed_at) FROM orders WHERE workspace_id = @workspaceId
                UNION ALL SELECT MIN(visited_at) FROM live_code_visits WHERE workspace_id = @workspaceId
                UNION ALL SELECT MAX(visited_at) FROM live_code_visits WHERE workspace_id = @workspaceId
                UNION ALL SELECT MIN(visited_at) FROM referral_visits WHERE workspace_id = @workspaceId
                UNION ALL SELECT MAX(done_at) FROM staff_tasks WHERE workspace_id = @workspaceId
            ) spans
            """, new { workspaceId });
        var today = InsightDays.Of(clock.GetUtcNow(), zone);
        if (span.First is not { } first)
            return null;
        var last = InsightDays.Of(span.Last ?? first, zone);
        return (InsightDays.Of(first, zone), last > today ? last : today);
    }

    /// <summary>Today's customers by depth, kept as the day's pool snapshot (the worker takes one every minute).</summary>
    public async Task SnapshotPoolAsync(Guid workspaceId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var zone = await ZoneAsync(connection, workspaceId);
        if (zone is null)
            return;
        await using var transaction = await BeginAsync(connection, workspaceId, InsightDays.Of(clock.GetUtcNow(), zone));
        await WritePoolSnapshotAsync(connection, transaction, workspaceId, InsightDays.Key(InsightDays.Of(clock.GetUtcNow(), zone)));
        await transaction.CommitAsync(cancellationToken);
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>Every workspace, for the worker's snapshots.</summary>
    public async Task<IReadOnlyList<Guid>> WorkspacesAsync()
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<Guid>("SELECT id FROM workspaces")).AsList();
    }

    private async Task RewriteDayAsync(DbConnection connection, Guid workspaceId, TimeZoneInfo zone, DateOnly day)
    {
        var start = InsightDays.Start(day, zone).ToUnixTimeMilliseconds();
        var end = InsightDays.Start(day.AddDays(1), zone).ToUnixTimeMilliseconds();
        var key = InsightDays.Key(day);
        var today = InsightDays.Of(clock.GetUtcNow(), zone);
        var args = new { workspaceId, start, end, day = key, yes = true };

        await using var transaction = await BeginAsync(connection, workspaceId, day);
        var daily = new DailyTally();
        var cohorts = new Dictionary<(string Metric, int Cohort), long>();
        void Cohort(string metric, long? joinedAt, long value = 1)
        {
            if (joinedAt is { } at)
                cohorts[(metric, InsightDays.MonthKey(InsightDays.Of(at, zone)))] = cohorts.GetValueOrDefault((metric, InsightDays.MonthKey(InsightDays.Of(at, zone)))) + value;
        }

        foreach (var visit in await connection.QueryAsync<VisitRow>(
                     """
                     SELECT v.code_id, l.channel_id FROM live_code_visits v JOIN live_codes l ON l.id = v.code_id
                     WHERE v.workspace_id = @workspaceId AND v.visited_at >= @start AND v.visited_at < @end
                     """, args, transaction))
        {
            daily.Add(InsightMetrics.Visits, InsightDims.Total, "");
            daily.Add(InsightMetrics.Visits, InsightDims.Code, visit.CodeId);
            daily.Add(InsightMetrics.Visits, InsightDims.Channel, visit.ChannelId);
        }

        foreach (var campaign in await connection.QueryAsync<Guid>(
                     "SELECT campaign_id FROM referral_visits WHERE workspace_id = @workspaceId AND visited_at >= @start AND visited_at < @end", args, transaction))
        {
            daily.Add(InsightMetrics.FissionVisits, InsightDims.Total, "");
            daily.Add(InsightMetrics.FissionVisits, InsightDims.Campaign, campaign);
        }

        // An add brings the customer into the pool unless another relationship of theirs was live at that moment; it is
        // their first join ever (their cohort's) unless they had a relationship before.
        foreach (var add in await connection.QueryAsync<RelationshipRow>(
                     """
                     SELECT a.carrier_kind, a.code_id, a.channel_id, a.staff_id, a.acquired_at, a.ended_at,
                         (SELECT MIN(b.acquired_at) FROM acquisitions b WHERE b.customer_id = a.customer_id) AS joined_at,
                         EXISTS (SELECT 1 FROM acquisitions b WHERE b.customer_id = a.customer_id AND b.id <> a.id
                             AND (b.acquired_at < a.acquired_at OR (b.acquired_at = a.acquired_at AND b.id < a.id))
                             AND (b.ended_at IS NULL OR b.ended_at > a.acquired_at)) AS already_in,
                         EXISTS (SELECT 1 FROM acquisitions b WHERE b.customer_id = a.customer_id AND b.id <> a.id
                             AND (b.acquired_at < a.acquired_at OR (b.acquired_at = a.acquired_at AND b.id < a.id))) AS seen_before
                     FROM acquisitions a
                     WHERE a.workspace_id = @workspaceId AND a.acquired_at >= @start AND a.acquired_at < @end
                     """, args, transaction))
        {
            daily.AddRelationship(InsightMetrics.Adds, add);
            if (add.EndedAt is not { } ended || ended - add.AcquiredAt >= 7 * 86_400_000L)
                daily.AddRelationship(InsightMetrics.Kept7, add);
            if (add.EndedAt is not { } ended30 || ended30 - add.AcquiredAt >= 30 * 86_400_000L)
                daily.AddRelationship(InsightMetrics.Kept30, add);
            if (!add.AlreadyIn)
                daily.Add(InsightMetrics.PoolIn, InsightDims.Total, "");
            if (!add.SeenBefore)
                Cohort(CohortMetrics.Joined, add.JoinedAt);
        }

        // A deletion takes the customer out of the pool when no other relationship of theirs outlives it.
        foreach (var deletion in await connection.QueryAsync<RelationshipRow>(
                     """
                     SELECT a.carrier_kind, a.code_id, a.channel_id, a.staff_id, a.acquired_at, a.ended_at,
                         (SELECT MIN(b.acquired_at) FROM acquisitions b WHERE b.customer_id = a.customer_id) AS joined_at,
                         EXISTS (SELECT 1 FROM acquisitions b WHERE b.customer_id = a.customer_id AND b.id <> a.id
                             AND b.acquired_at <= a.ended_at
                             AND (b.ended_at IS NULL OR b.ended_at > a.ended_at OR (b.ended_at = a.ended_at AND b.id > a.id))) AS already_in,
                         false AS seen_before
                     FROM acquisitions a
                     WHERE a.workspace_id = @workspaceId AND a.ended_at >= @start AND a.ended_at < @end
                     """, args, transaction))
        {
            daily.AddRelationship(InsightMetrics.Deletions, deletion);
            if (!deletion.AlreadyIn)
            {
                daily.Add(InsightMetrics.PoolOut, InsightDims.Total, "");
                Cohort(CohortMetrics.Left, deletion.JoinedAt);
            }
        }

        // Private-domain orders by the day they were placed; earlier counts the customer's previous orders (up to two).
        var buyers = new Dictionary<Guid, BuyerDay>();
        foreach (var order in await connection.QueryAsync<OrderRow>(
                     """
                     SELECT o.customer_id, o.placed_at, o.paid - o.refunded AS gmv, o.staff_id, o.first_channel_id, o.last_channel_id,
                         (SELECT MIN(b.acquired_at) FROM acquisitions b WHERE b.customer_id = o.customer_id) AS joined_at,
                         (SELECT COUNT(*) FROM (SELECT 1 FROM orders p WHERE p.customer_id = o.customer_id AND p.private_domain = @yes
                             AND (p.placed_at < o.placed_at OR (p.placed_at = o.placed_at AND p.id < o.id)) LIMIT 2) earlier_orders) AS earlier
                     FROM orders o
                     WHERE o.workspace_id = @workspaceId AND o.placed_at >= @start AND o.placed_at < @end AND o.private_domain = @yes
                     """, args, transaction))
        {
            daily.Add(InsightMetrics.Orders, InsightDims.Total, "");
            daily.Add(InsightMetrics.Gmv, InsightDims.Total, "", order.Gmv);
            daily.Add(InsightMetrics.Orders, InsightDims.Staff, order.StaffId);
            daily.Add(InsightMetrics.Gmv, InsightDims.Staff, order.StaffId, order.Gmv);
            daily.Add(InsightMetrics.Gmv, InsightDims.FirstChannel, order.FirstChannelId, order.Gmv);
            daily.Add(InsightMetrics.Gmv, InsightDims.LastChannel, order.LastChannelId, order.Gmv);
            daily.Add(InsightMetrics.Orders, InsightDims.FirstChannel, order.FirstChannelId);
            daily.Add(InsightMetrics.Orders, InsightDims.LastChannel, order.LastChannelId);
            var first = order.Earlier == 0;
            var metric = first ? InsightMetrics.FirstOrders : InsightMetrics.RepeatOrders;
            daily.Add(metric, InsightDims.Total, "");
            daily.Add(metric, InsightDims.FirstChannel, order.FirstChannelId);
            daily.Add(metric, InsightDims.Staff, order.StaffId);
            if (first && order.JoinedAt is { } joinedAt && joinedAt <= order.PlacedAt)
            {
                var lag = Math.Min(InsightMetrics.MaxLagDays, (order.PlacedAt - joinedAt) / 86_400_000);
                daily.Add(InsightMetrics.FirstOrderLag, InsightDims.Lag, lag.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            Cohort(CohortMetrics.Orders, order.JoinedAt);
            Cohort(CohortMetrics.Gmv, order.JoinedAt, order.Gmv);
            if (first)
                Cohort(CohortMetrics.FirstBuyers, order.JoinedAt);
            else if (order.Earlier == 1)
                Cohort(CohortMetrics.Repeaters, order.JoinedAt);

            var buyer = buyers.TryGetValue(order.CustomerId, out var b) ? b : buyers[order.CustomerId] = new BuyerDay { CustomerId = order.CustomerId };
            buyer.Orders++;
            buyer.Gmv += order.Gmv;
            if (!first)
                buyer.RepeatOrders++;
        }

        foreach (var spend in await connection.QueryAsync<SpendRow>(
                     "SELECT channel_id, amount_fen FROM channel_spend WHERE workspace_id = @workspaceId AND spent_on = @day", args, transaction))
        {
            daily.Add(InsightMetrics.Spend, InsightDims.Total, "", spend.AmountFen);
            daily.Add(InsightMetrics.Spend, InsightDims.Channel, spend.ChannelId, spend.AmountFen);
        }

        foreach (var staffId in await connection.QueryAsync<Guid?>(
                     "SELECT staff_id FROM staff_tasks WHERE workspace_id = @workspaceId AND done_at >= @start AND done_at < @end AND state = 'done'", args, transaction))
        {
            daily.Add(InsightMetrics.TasksDone, InsightDims.Total, "");
            daily.Add(InsightMetrics.TasksDone, InsightDims.Staff, staffId);
        }

        // The pool snapshot of a past day stays as it was taken; today's is retaken.
        await connection.ExecuteAsync(
            "DELETE FROM insight_daily WHERE workspace_id = @workspaceId AND day = @day AND metric NOT IN ('pool', 'held')", args, transaction);
        await connection.ExecuteAsync("DELETE FROM insight_buyer_days WHERE workspace_id = @workspaceId AND day = @day", args, transaction);
        await connection.ExecuteAsync("DELETE FROM insight_cohort_days WHERE workspace_id = @workspaceId AND day = @day", args, transaction);
        await InsertAsync(connection, transaction,
            "INSERT INTO insight_daily (workspace_id, metric, dim, day, key, value) VALUES (@workspaceId, @Metric, @Dim, @day, @Key, @Value)",
            daily.Rows.Select(r => new { workspaceId, r.Metric, r.Dim, day = key, r.Key, r.Value }));
        await InsertAsync(connection, transaction,
            "INSERT INTO insight_buyer_days (workspace_id, day, customer_id, orders, gmv, repeat_orders) VALUES (@workspaceId, @day, @CustomerId, @Orders, @Gmv, @RepeatOrders)",
            buyers.Values.Select(b => new { workspaceId, day = key, b.CustomerId, b.Orders, b.Gmv, b.RepeatOrders }));
        await InsertAsync(connection, transaction,
            "INSERT INTO insight_cohort_days (workspace_id, metric, cohort, day, value) VALUES (@workspaceId, @Metric, @Cohort, @day, @Value)",
            cohorts.Select(c => new { workspaceId, c.Key.Metric, c.Key.Cohort, day = key, c.Value }));
        if (day == today)
            await WritePoolSnapshotAsync(connection, transaction, workspaceId, key);
        await transaction.CommitAsync();
    }

    private static async Task WritePoolSnapshotAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, int day)
    {
        var depths = await connection.QueryAsync<DepthCount>(
            "SELECT depth, COUNT(*) AS count FROM customers WHERE workspace_id = @workspaceId GROUP BY depth", new { workspaceId }, transaction);
        await connection.ExecuteAsync("DELETE FROM insight_daily WHERE workspace_id = @workspaceId AND metric IN ('pool', 'held') AND day = @day", new { workspaceId, day }, transaction);
        var held = await connection.QueryAsync<HeldCount>(
            "SELECT staff_id, COUNT(*) AS count FROM acquisitions WHERE workspace_id = @workspaceId AND ended_at IS NULL GROUP BY staff_id", new { workspaceId }, transaction);
        await connection.ExecuteAsync(
            "INSERT INTO insight_daily (workspace_id, metric, dim, day, key, value) VALUES (@workspaceId, @Metric, @Dim, @day, @Key, @Count)",
            depths.Select(d => new { Metric = InsightMetrics.Pool, Dim = InsightDims.Depth, Key = d.Depth.ToString(System.Globalization.CultureInfo.InvariantCulture), d.Count })
                .Concat(held.Select(h => new { Metric = InsightMetrics.Held, Dim = InsightDims.Staff, Key = h.StaffId?.ToString() ?? "", h.Count }))
                .Append(new { Metric = InsightMetrics.Held, Dim = InsightDims.Total, Key = "", Count = held.Sum(h => h.Count) })
                .Select(r => new { workspaceId, day, r.Metric, r.Dim, r.Key, r.Count }), transaction);
    }

    /// <summary>
    /// A transaction that owns the day: SQLite's write lock up front; on PostgreSQL an advisory lock on the
    /// workspace and day, so two nodes rewriting the same day take turns instead of colliding on the keys.
    /// </summary>
    private static async Task<DbTransaction> BeginAsync(DbConnection connection, Guid workspaceId, DateOnly day)
    {
        if (connection is SqliteConnection sqlite)
            return sqlite.BeginTransaction(deferred: false);
        var transaction = await connection.BeginTransactionAsync();
        var lockKey = BitConverter.ToInt64(workspaceId.ToByteArray(), 0) ^ InsightDays.Key(day);
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@lockKey)", new { lockKey }, transaction);
        return transaction;
    }

    private static async Task InsertAsync<T>(DbConnection connection, DbTransaction transaction, string sql, IEnumerable<T> rows)
    {
        var list = rows.ToList();
        if (list.Count > 0)
            await connection.ExecuteAsync(sql, list, transaction);
    }

    private static async Task<TimeZoneInfo?> ZoneAsync(DbConnection connection, Guid workspaceId)
    {
        var zone = await connection.QuerySingleOrDefaultAsync<string>("SELECT time_zone FROM workspaces WHERE id = @workspaceId", new { workspaceId });
        return zone is null ? null : InsightDays.Zone(zone);
    }

    /// <summary>Counts per (metric, dim, key) for one day.</summary>
    private sealed class DailyTally
    {
        private readonly Dictionary<(string Metric, string Dim, string Key), long> _values = [];

        public IEnumerable<(string Metric, string Dim, string Key, long Value)> Rows =>
            _values.Select(v => (v.Key.Metric, v.Key.Dim, v.Key.Key, v.Value));

        public void Add(string metric, string dim, Guid? key, long value = 1)
        {
            // An unattributed add or order is kept under the empty key, so a breakdown still sums to the total.
            Add(metric, dim, key?.ToString() ?? "", value);
        }

        public void Add(string metric, string dim, string key, long value = 1) =>
            _values[(metric, dim, key)] = _values.GetValueOrDefault((metric, dim, key)) + value;

        public void AddRelationship(string metric, RelationshipRow row)
        {
            Add(metric, InsightDims.Total, "");
            Add(metric, InsightDims.Channel, row.ChannelId);
            Add(metric, InsightDims.Code, row.CodeId);
            Add(metric, InsightDims.Staff, row.StaffId);
            Add(metric, InsightDims.CarrierKind, row.CarrierKind);
            Add(metric, InsightDims.ChannelKind, $"{row.ChannelId}|{row.CarrierKind}");
        }
    }

    private sealed class DirtyMark
    {
        public Guid WorkspaceId { get; init; }
        public long Hour { get; init; }
        public long MarkedAt { get; init; }
    }

    private sealed class Span
    {
        public long? First { get; init; }
        public long? Last { get; init; }
    }

    private sealed class VisitRow
    {
        public Guid CodeId { get; init; }
        public Guid ChannelId { get; init; }
    }

    private sealed class RelationshipRow
    {
        public string CarrierKind { get; init; } = "";
        public Guid? CodeId { get; init; }
        public Guid? ChannelId { get; init; }
        public Guid? StaffId { get; init; }
        public long AcquiredAt { get; init; }
        public long? EndedAt { get; init; }
        public long? JoinedAt { get; init; }
        public bool AlreadyIn { get; init; }
        public bool SeenBefore { get; init; }
    }

    private sealed class OrderRow
    {
        public Guid CustomerId { get; init; }
        public long PlacedAt { get; init; }
        public long Gmv { get; init; }
        public Guid? StaffId { get; init; }
        public Guid? FirstChannelId { get; init; }
        public Guid? LastChannelId { get; init; }
        public long? JoinedAt { get; init; }
        public long Earlier { get; init; }
    }

    private sealed class BuyerDay
    {
        public Guid CustomerId { get; init; }
        public int Orders { get; set; }
        public long Gmv { get; set; }
        public int RepeatOrders { get; set; }
    }

    private sealed class SpendRow
    {
        public Guid ChannelId { get; init; }
        public long AmountFen { get; init; }
    }

    private sealed class HeldCount
    {
        public Guid? StaffId { get; init; }
        public long Count { get; init; }
    }

    private sealed class DepthCount
    {
        public int Depth { get; init; }
        public long Count { get; init; }
    }
}
