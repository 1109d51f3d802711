using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Pond.Storage;

namespace Pond.Audience.Scores;

/// <summary>The outcome of one full recompute of a workspace.</summary>
public sealed record ScoreRunResult(int CustomersScored, int RowsChanged, int StageChanges, long DurationMs, bool Baseline);

/// <summary>
/// Computes customer_scores: RFM scores and cells and lifecycle stages. A full run scores every buyer of a workspace
/// (on start, after a settings change, hourly and after local midnight); between full runs new orders are followed by
/// id and only their customers are rescored, with the thresholds of the last full run. Only changed rows are
/// written; every stage change also writes a lifecycle.changed audience event and a timeline row, in the same
/// transaction; the audience engine is told after the commit. Runs are serialised by one gate, so the console's
/// "recompute now" and the background engine never write the same rows at once.
/// </summary>
public sealed class ScoreEngine(
    Database database, ScoreSettingsStore settingsStore, AudienceChanges changes, TimeProvider clock, ILogger<ScoreEngine> logger) : IDisposable
{
    public const string CheckpointName = "orders";
    public const string TimelineEvent = "Lifecycle Stage Changed";
    public const string AudienceEventKind = "lifecycle.changed";
    private const int WriteBatch = 5_000;
    private const int TouchAllAbove = 20_000;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly OrderTotalsQuery _orders = new(database);

    /// <summary>How often a workspace is fully rescored even when nothing asked for it.</summary>
    public static readonly TimeSpan FullEvery = TimeSpan.FromHours(1);

    /// <summary>Recomputes every buyer of the workspace now.</summary>
    public async Task<ScoreRunResult> RecomputeAsync(Guid workspaceId, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await FullAsync(workspaceId, clock.GetUtcNow(), null, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// For history loaded in bulk (the demo brand), whose orders were written before anything could watch them arrive:
    /// scores the workspace as it stood <paramref name="days"/> days ago (its first run, which records no stage
    /// changes), then works out each later day's stages from the orders placed by then, records the stage changes on
    /// the days they happened, and ends with an ordinary full run now. The lifecycle overview so has a past. A workspace
    /// already scored gets just the full run.
    /// </summary>
    public async Task<ScoreRunResult> ReplayAsync(Guid workspaceId, int days, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = clock.GetUtcNow();
            await using (var connection = await database.OpenAsync(cancellationToken))
            {
                if (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM score_runs WHERE workspace_id = @workspaceId", new { workspaceId }) > 0)
                    return await FullAsync(workspaceId, now, null, cancellationToken);
            }

            var start = now.AddDays(-days);
            await FullAsync(workspaceId, start, start.ToUnixTimeMilliseconds(), cancellationToken);
            var (rfm, lifecycle, _) = await settingsStore.LoadAsync(workspaceId);
            var replayed = new List<StageChange>();
            var since = new Dictionary<Guid, (string Stage, long Since)>();
            await using (var connection = await database.OpenAsync(cancellationToken))
            {
                foreach (var row in (await StoredAsync(connection, workspaceId, null)).Values)
                    since[row.CustomerId] = (row.LifecycleStage, row.StageSince);
                // One read of the orders; each day's totals are then worked out in memory.
                var orders = (await OrderTotalsQuery.OrdersAsync(connection, workspaceId)).GroupBy(o => o.CustomerId).ToList();
                for (var day = days - 1; day > 0; day--)
                {
                    var atMs = now.AddDays(-day).ToUnixTimeMilliseconds();
                    var totals = OrderTotalsQuery.TotalsAt(orders, atMs, atMs - rfm.WindowDays * Scorer.DayMs, atMs - lifecycle.LoyalWindowDays * Scorer.DayMs);
                    foreach (var t in totals)
                    {
                        var stage = Scorer.Stage(t, Scorer.DaysSince(t.LastOrderAt, atMs), lifecycle);
                        var from = since.TryGetValue(t.CustomerId, out var current) ? current.Stage : LifecycleStages.New;
                        if (from == stage)
                            continue;
                        replayed.Add(new StageChange(t.CustomerId, from, stage, atMs));
                        since[t.CustomerId] = (stage, atMs);
                    }
                }
            }

            // The replayed stages become the stored ones, so the closing full run records only today's changes.
            var latest = replayed.GroupBy(c => c.CustomerId).Select(g => g.Last()).ToList();
            for (var i = 0; i < Math.Max(replayed.Count, latest.Count); i += WriteBatch)
            {
                await using var connection = await database.OpenAsync(cancellationToken);
                await using DbTransaction transaction = connection is SqliteConnection sqlite
                    ? sqlite.BeginTransaction(deferred: false)
                    : await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(
                    """
                    INSERT INTO customer_scores (workspace_id, customer_id, lifecycle_stage, stage_since, updated_at)
                    VALUES (@workspaceId, @customerId, @stage, @since, @since)
                    ON CONFLICT (customer_id) DO UPDATE SET lifecycle_stage = excluded.lifecycle_stage, stage_since = excluded.stage_since
                    """,
                    latest.Skip(i).Take(WriteBatch).Select(c => new { workspaceId, customerId = c.CustomerId, stage = c.To, since = c.At }), transaction);
                await StageEventsAsync(connection, transaction, workspaceId, replayed.Skip(i).Take(WriteBatch).ToList());
                await transaction.CommitAsync(cancellationToken);
            }

            var last = await FullAsync(workspaceId, now, null, cancellationToken);
            changes.TouchAll(workspaceId);
            return last with { StageChanges = replayed.Count + last.StageChanges };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Full runs for every workspace that needs one (never scored, settings changed, an hour since the last, a new
    /// local day, or <paramref name="all"/>); returns how many ran.
    /// </summary>
    public async Task<int> RunDueAsync(bool all = false, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            List<DueRow> rows;
            await using (var connection = await database.OpenAsync(cancellationToken))
            {
                rows = (await connection.QueryAsync<DueRow>(
                    """
                    SELECT w.id AS WorkspaceId, w.time_zone AS TimeZone, COALESCE(s.version, 0) AS SettingsVersion,
                           r.settings_version AS RunVersion, r.last_full_at AS LastFullAt, r.local_day AS LocalDay
                    FROM workspaces w
                    LEFT JOIN rfm_settings s ON s.workspace_id = w.id
                    LEFT JOIN score_runs r ON r.workspace_id = w.id
                    """)).AsList();
            }

            var now = clock.GetUtcNow();
            var ran = 0;
            foreach (var row in rows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var due = all || row.RunVersion is null || row.RunVersion != row.SettingsVersion
                    || row.LastFullAt is null || now.ToUnixTimeMilliseconds() - row.LastFullAt >= (long)FullEvery.TotalMilliseconds
                    || row.LocalDay != LocalDay(now, row.TimeZone);
                if (!due)
                    continue;
                await FullAsync(row.WorkspaceId, now, null, cancellationToken);
                ran++;
            }

            return ran;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Starts following new orders from the newest one, if this database never followed them (a full run covers the past).</summary>
    public async Task InitialiseCheckpointAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var last = await OrderTotalsQuery.LastIdAsync(connection);
        await connection.ExecuteAsync(
            "INSERT INTO score_checkpoints (name, position, updated_at) VALUES (@name, @last, @now) ON CONFLICT (name) DO NOTHING",
            new { name = CheckpointName, last, now = clock.GetUtcNow() });
    }

    /// <summary>
    /// Rescores the customers of orders that arrived since the checkpoint; returns how many orders were read.
    /// Order Completed rows are written only by the event processor, whose transactions are serialised (it locks its
    /// checkpoint), so their ids become visible in order and a row below the checkpoint cannot appear later.
    /// </summary>
    public async Task<int> ApplyNewOrdersAsync(int limit = 5_000, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            List<NewOrder> orders;
            await using (var connection = await database.OpenAsync(cancellationToken))
            {
                var position = await connection.ExecuteScalarAsync<long?>(
                    "SELECT position FROM score_checkpoints WHERE name = @name", new { name = CheckpointName });
                if (position is null)
                    return 0;
                orders = await OrderTotalsQuery.AfterAsync(connection, position.Value, limit);
            }

            if (orders.Count == 0)
                return 0;
            foreach (var workspace in orders.GroupBy(o => o.WorkspaceId))
                await IncrementalAsync(workspace.Key, workspace.Select(o => o.CustomerId).Distinct().ToList(), cancellationToken);
            await using (var connection = await database.OpenAsync(cancellationToken))
            {
                await connection.ExecuteAsync(
                    "UPDATE score_checkpoints SET position = @position, updated_at = @now WHERE name = @name",
                    new { name = CheckpointName, position = orders[^1].Id, now = clock.GetUtcNow() });
            }

            return orders.Count;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The engine's state for the console and the API: the last full run of the workspace, if any.</summary>
    public async Task<ScoreEngineState?> StateAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<ScoreEngineState>(
            """
            SELECT last_full_at AS LastFullAt, last_full_ms AS LastFullMs, customers_scored AS CustomersScored, rows_changed AS RowsChanged,
                   stage_changes AS StageChanges, last_incremental_at AS LastIncrementalAt, incremental_customers AS IncrementalCustomers
            FROM score_runs WHERE workspace_id = @workspaceId
            """, new { workspaceId });
    }

    /// <summary>A full run as of <paramref name="now"/>; <paramref name="ordersUpTo"/> leaves out later orders (replays only).</summary>
    private async Task<ScoreRunResult> FullAsync(Guid workspaceId, DateTimeOffset now, long? ordersUpTo, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var (rfm, lifecycle, version) = await settingsStore.LoadAsync(workspaceId);
        var nowMs = now.ToUnixTimeMilliseconds();
        List<OrderTotals> totals;
        Dictionary<Guid, StoredScore> stored;
        string timeZone;
        bool baseline;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            timeZone = await connection.QuerySingleOrDefaultAsync<string>("SELECT time_zone FROM workspaces WHERE id = @workspaceId", new { workspaceId })
                ?? throw new NotFoundException("No such workspace.");
            baseline = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM score_runs WHERE workspace_id = @workspaceId", new { workspaceId }) == 0;
            totals = await _orders.LoadAsync(connection, workspaceId, nowMs - rfm.WindowDays * Scorer.DayMs, nowMs - lifecycle.LoyalWindowDays * Scorer.DayMs, ordersUpTo: ordersUpTo);
            stored = await StoredAsync(connection, workspaceId, null);
        }

        var thresholds = rfm.Scoring == RfmScoring.Fixed
            ? Thresholds.FromFixed(rfm)
            : Thresholds.FromQuintiles(
                totals.Where(t => t.WindowOrders > 0).Select(t => Scorer.DaysSince(t.LastOrderAt, nowMs)).ToList(),
                totals.Where(t => t.WindowOrders > 0).Select(t => t.WindowOrders).ToList(),
                totals.Where(t => t.WindowOrders > 0).Select(t => t.WindowFen).ToList(),
                rfm.HighScore);
        var buyers = totals.Select(t => t.CustomerId).ToHashSet();
        var gone = stored.Keys.Where(id => !buyers.Contains(id)).ToList();
        var (changed, stageChanges) = await ApplyAsync(workspaceId, totals, stored, thresholds, lifecycle, gone, nowMs, baseline, cancellationToken);

        watch.Stop();
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO score_runs (workspace_id, settings_version, thresholds, local_day, last_full_at, last_full_ms, customers_scored, rows_changed, stage_changes)
                VALUES (@workspaceId, @version, @thresholds, @day, @now, @ms, @scored, @changed, @stageChanges)
                ON CONFLICT (workspace_id) DO UPDATE SET settings_version = excluded.settings_version, thresholds = excluded.thresholds,
                    local_day = excluded.local_day, last_full_at = excluded.last_full_at, last_full_ms = excluded.last_full_ms,
                    customers_scored = excluded.customers_scored, rows_changed = excluded.rows_changed, stage_changes = excluded.stage_changes
                """,
                new
                {
                    workspaceId, version, thresholds = JsonSerializer.Serialize(thresholds, ScoreSettingsStore.Json), day = LocalDay(now, timeZone), now,
                    ms = watch.ElapsedMilliseconds, scored = totals.Count, changed, stageChanges,
                });
        }

        logger.LogInformation("Scored {Customers} buyers of workspace {Workspace} in {Ms} ms: {Changed} rows changed, {Stages} stage changes",
            totals.Count, workspaceId, watch.ElapsedMilliseconds, changed, stageChanges);
        return new ScoreRunResult(totals.Count, changed, stageChanges, watch.ElapsedMilliseconds, baseline);
    }

    private async Task IncrementalAsync(Guid workspaceId, List<Guid> customerIds, CancellationToken cancellationToken)
    {
        var (rfm, lifecycle, _) = await settingsStore.LoadAsync(workspaceId);
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        List<OrderTotals> totals;
        Dictionary<Guid, StoredScore> stored;
        Thresholds? thresholds;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            var json = await connection.QuerySingleOrDefaultAsync<string>("SELECT thresholds FROM score_runs WHERE workspace_id = @workspaceId", new { workspaceId });
            // Not scored yet (a workspace created since the last pass): its first full run scores these customers too.
            if (json is null)
                return;
            thresholds = JsonSerializer.Deserialize<Thresholds>(json, ScoreSettingsStore.Json)!;
            totals = await _orders.LoadAsync(connection, workspaceId, nowMs - rfm.WindowDays * Scorer.DayMs, nowMs - lifecycle.LoyalWindowDays * Scorer.DayMs, customerIds);
            stored = await StoredAsync(connection, workspaceId, customerIds);
        }

        // A customer merged into another since the order arrived has no orders left under their id.
        var gone = stored.Keys.Where(id => totals.All(t => t.CustomerId != id)).ToList();
        await ApplyAsync(workspaceId, totals, stored, thresholds, lifecycle, gone, nowMs, baseline: false, cancellationToken);
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            await connection.ExecuteAsync(
                "UPDATE score_runs SET last_incremental_at = @nowMs, incremental_customers = incremental_customers + @count WHERE workspace_id = @workspaceId",
                new { workspaceId, nowMs, count = (long)customerIds.Count });
        }
    }

    private async Task<Dictionary<Guid, StoredScore>> StoredAsync(DbConnection connection, Guid workspaceId, IReadOnlyCollection<Guid>? customerIds)
    {
        var filter = customerIds is null ? "" : database.IsSqlite ? "AND customer_id IN (SELECT value FROM json_each(@ids))" : "AND customer_id = ANY(@ids)";
        object? ids = customerIds is null ? null : database.IsSqlite ? JsonSerializer.Serialize(customerIds.Select(i => i.ToString())) : customerIds.ToArray();
        var rows = await connection.QueryAsync<StoredScore>(new CommandDefinition(
            $"""
            SELECT customer_id AS CustomerId, recency_days AS RecencyDays, frequency AS Frequency, monetary AS Monetary, r AS R, f AS F, m AS M,
                   rfm_cell AS RfmCell, lifecycle_stage AS LifecycleStage, stage_since AS StageSince
            FROM customer_scores WHERE workspace_id = @workspaceId {filter}
            """, new { workspaceId, ids }, commandTimeout: 600));
        return rows.ToDictionary(r => r.CustomerId);
    }

    /// <summary>Scores the buyers, writes what changed in batches and tells the audience engine; returns rows changed and stage changes.</summary>
    private async Task<(int Changed, int StageChanges)> ApplyAsync(
        Guid workspaceId, List<OrderTotals> totals, Dictionary<Guid, StoredScore> stored, Thresholds thresholds, LifecycleSettings lifecycle,
        List<Guid> gone, long nowMs, bool baseline, CancellationToken cancellationToken)
    {
        var pending = new List<PendingRow>();
        foreach (var t in totals)
        {
            var row = Scorer.Score(t, nowMs, thresholds, lifecycle);
            stored.TryGetValue(t.CustomerId, out var old);
            if (old is not null && row.SameScores(old))
                continue;
            var from = old?.LifecycleStage ?? LifecycleStages.New;
            var stageChanged = from != row.Stage;
            var since = !stageChanged ? old!.StageSince : baseline && old is null ? Scorer.EstimatedSince(t, row.Stage, lifecycle) : nowMs;
            var visible = old is null || row.SegmentVisibleChange(old);
            pending.Add(new PendingRow(row, stageChanged && !baseline ? from : null, since, visible));
        }

        var visibleCount = pending.Count(p => p.Visible) + gone.Count;
        var touchEach = visibleCount <= TouchAllAbove;
        var stageChanges = 0;
        for (var i = 0; i < Math.Max(pending.Count, gone.Count > 0 ? 1 : 0); i += WriteBatch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = pending.Skip(i).Take(WriteBatch).ToList();
            var deletes = i == 0 ? gone : [];
            await using var connection = await database.OpenAsync(cancellationToken);
            await using DbTransaction transaction = connection is SqliteConnection sqlite
                ? sqlite.BeginTransaction(deferred: false)
                : await connection.BeginTransactionAsync(cancellationToken);
            await UpsertAsync(connection, transaction, workspaceId, chunk, nowMs);
            if (deletes.Count > 0)
            {
                await connection.ExecuteAsync(
                    "DELETE FROM customer_scores WHERE workspace_id = @workspaceId AND customer_id " + (database.IsSqlite ? "IN (SELECT value FROM json_each(@ids))" : "= ANY(@ids)"),
                    new { workspaceId, ids = database.IsSqlite ? (object)JsonSerializer.Serialize(deletes.Select(d => d.ToString())) : deletes.ToArray() }, transaction);
            }

            stageChanges += await StageEventsAsync(connection, transaction, workspaceId,
                chunk.Where(p => p.From is not null).Select(p => new StageChange(p.Row.CustomerId, p.From!, p.Row.Stage, nowMs)).ToList());
            await transaction.CommitAsync(cancellationToken);
            if (touchEach)
                changes.Touch(workspaceId, chunk.Where(p => p.Visible).Select(p => p.Row.CustomerId).Concat(deletes).ToList());
        }

        if (!touchEach)
            changes.TouchAll(workspaceId);
        return (pending.Count + gone.Count, stageChanges);
    }

    private async Task UpsertAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, List<PendingRow> rows, long nowMs)
    {
        if (rows.Count == 0)
            return;
        const string columns = "workspace_id, customer_id, recency_days, frequency, monetary, r, f, m, rfm_cell, lifecycle_stage, stage_since, updated_at";
        const string update = """
            ON CONFLICT (customer_id) DO UPDATE SET recency_days = excluded.recency_days, frequency = excluded.frequency, monetary = excluded.monetary,
                r = excluded.r, f = excluded.f, m = excluded.m, rfm_cell = excluded.rfm_cell, lifecycle_stage = excluded.lifecycle_stage,
                stage_since = excluded.stage_since, updated_at = excluded.updated_at
            """;
        if (database.IsSqlite)
        {
            await connection.ExecuteAsync(
                $"INSERT INTO customer_scores ({columns}) VALUES (@workspaceId, @customerId, @recency, @frequency, @monetary, @r, @f, @m, @cell, @stage, @since, @nowMs) {update}",
                rows.Select(p => new
                {
                    workspaceId, customerId = p.Row.CustomerId, recency = p.Row.RecencyDays, frequency = p.Row.Frequency, monetary = p.Row.Monetary,
                    r = p.Row.R, f = p.Row.F, m = p.Row.M, cell = p.Row.RfmCell, stage = p.Row.Stage, since = p.StageSince, nowMs,
                }), transaction);
            return;
        }

        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO customer_scores ({columns})
            SELECT @workspace, u.* , @now FROM unnest(@id, @recency, @frequency, @monetary, @r, @f, @m, @cell, @stage, @since) AS u {update}
            """, (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("workspace", workspaceId));
        command.Parameters.Add(new NpgsqlParameter<long>("now", nowMs));
        Add(command, "id", NpgsqlDbType.Uuid, rows.Select(p => p.Row.CustomerId).ToArray());
        Add(command, "recency", NpgsqlDbType.Integer, rows.Select(p => (int)p.Row.RecencyDays).ToArray());
        Add(command, "frequency", NpgsqlDbType.Integer, rows.Select(p => (int)p.Row.Frequency).ToArray());
        Add(command, "monetary", NpgsqlDbType.Bigint, rows.Select(p => p.Row.Monetary).ToArray());
        Add(command, "r", NpgsqlDbType.Smallint, rows.Select(p => (short?)p.Row.R).ToArray());
        Add(command, "f", NpgsqlDbType.Smallint, rows.Select(p => (short?)p.Row.F).ToArray());
        Add(command, "m", NpgsqlDbType.Smallint, rows.Select(p => (short?)p.Row.M).ToArray());
        Add(command, "cell", NpgsqlDbType.Text, rows.Select(p => p.Row.RfmCell).ToArray());
        Add(command, "stage", NpgsqlDbType.Text, rows.Select(p => p.Row.Stage).ToArray());
        Add(command, "since", NpgsqlDbType.Bigint, rows.Select(p => p.StageSince).ToArray());
        await command.ExecuteNonQueryAsync();
    }

    private static void Add<T>(NpgsqlCommand command, string name, NpgsqlDbType type, T[] values) =>
        command.Parameters.Add(new NpgsqlParameter<T[]>(name, NpgsqlDbType.Array | type) { TypedValue = values });

    /// <summary>
    /// A lifecycle.changed audience event and a "Lifecycle Stage Changed" timeline row per stage change. The timeline's
    /// message id is derived from the customer, the new stage and the moment, so a repeated write is stored once.
    /// </summary>
    private static async Task<int> StageEventsAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, List<StageChange> changed)
    {
        if (changed.Count == 0)
            return 0;
        await connection.ExecuteAsync(
            "INSERT INTO audience_events (workspace_id, customer_id, kind, subject, detail, occurred_at) VALUES (@workspaceId, @customerId, @kind, @subject, @detail, @at)",
            changed.Select(c => new
            {
                workspaceId, customerId = c.CustomerId, kind = AudienceEventKind, subject = c.To, detail = JsonSerializer.Serialize(new { from = c.From }), at = c.At,
            }), transaction);
        await connection.ExecuteAsync(
            """
            INSERT INTO customer_events (workspace_id, customer_id, message_id, type, name, occurred_at, properties)
            VALUES (@workspaceId, @customerId, @messageId, 'track', @name, @at, @properties) ON CONFLICT DO NOTHING
            """,
            changed.Select(c => new
            {
                workspaceId, customerId = c.CustomerId, messageId = $"lifecycle-{c.CustomerId:N}-{c.To}-{c.At}", name = TimelineEvent, at = c.At,
                properties = JsonSerializer.Serialize(new { from = c.From, to = c.To }),
            }), transaction);
        return changed.Count;
    }

    /// <summary>The day (yyyymmdd) in the workspace's time zone: a new one triggers a full run, so stages move with the calendar.</summary>
    internal static int LocalDay(DateTimeOffset now, string? timeZone)
    {
        var zone = timeZone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var found) ? found : TimeZoneInfo.Utc;
        var local = TimeZoneInfo.ConvertTime(now, zone);
        return local.Year * 10_000 + local.Month * 100 + local.Day;
    }

    public void Dispose() => _gate.Dispose();

    private sealed record StageChange(Guid CustomerId, string From, string To, long At);

    private sealed record PendingRow(ScoreRow Row, string? From, long StageSince, bool Visible);

    private sealed class DueRow
    {
        public Guid WorkspaceId { get; init; }
        public string? TimeZone { get; init; }
        public int SettingsVersion { get; init; }
        public int? RunVersion { get; init; }
        public long? LastFullAt { get; init; }
        public int? LocalDay { get; init; }
    }
}

/// <summary>What the console shows about the score engine for a workspace.</summary>
public sealed class ScoreEngineState
{
    public DateTimeOffset LastFullAt { get; init; }
    public long LastFullMs { get; init; }
    public int CustomersScored { get; init; }
    public int RowsChanged { get; init; }
    public int StageChanges { get; init; }
    public long? LastIncrementalAt { get; init; }
    public long IncrementalCustomers { get; init; }
}
