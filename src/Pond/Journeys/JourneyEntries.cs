using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.Json;
using Dapper;
using Pond.Storage;

namespace Pond.Journeys;

/// <summary>
/// How customers enter journeys and how events reach the customers already in them: an event that triggers a live
/// journey enters the customer, a goal event converts their run, an awaited event wakes it. The event processor and the
/// audience engine call these inside their own transactions, so an entry exists if and only if what caused it committed.
/// </summary>
public sealed class JourneyEntries(Database database, JourneyCatalog catalog)
{
    public const int MaxCustomersPerCall = 100_000;

    private readonly ConcurrentDictionary<Guid, WorkspaceJourneys> _workspaces = new();

    /// <summary>
    /// Enters customers into a journey's version as one statement; the re-entry policy and the one-run-in-flight rule
    /// are applied by the database. <paramref name="occurrence"/> names what caused the entry (an event's message id, a
    /// year's birthday…): the same occurrence never enters the same customer twice. Returns how many entered.
    /// </summary>
    public async Task<int> EnterAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid journeyId, int version,
        JourneyDefinition definition, IReadOnlyList<Guid> customers, string occurrence, bool isTest, DateTimeOffset now,
        IReadOnlyList<string>? occurrences = null)
    {
        if (customers.Count == 0)
            return 0;
        var policy = isTest ? ReentryPolicies.Always : definition.Reentry.Policy;
        var earlier = policy switch
        {
            ReentryPolicies.Never => "TRUE",
            ReentryPolicies.After => "(r.state = 'waiting' OR r.entered_at > @cutoff)",
            _ => "r.state = 'waiting'",
        };
        var cutoff = now - TimeSpan.FromDays(definition.Reentry.Days ?? 0);
        // Version 7 ids made in the same millisecond are random among themselves; sorted, the runs' rows, their due-index
        // entries and their steps' keys all follow id order, so the engine (which takes due runs by id) writes a batch
        // into a few neighbouring pages instead of one random page per run.
        var runIds = customers.Select(_ => Guid.CreateVersion7(now)).ToArray();
        Array.Sort(runIds);
        // Earlier runs are looked up by customer (a handful of rows each). Without statistics SQLite prefers the journey's
        // index for `never` and `after` (no state = 'waiting' term for the partial index), which reads every run of the
        // journey for each customer entering: quadratic, 80 s for the fifth chunk of 10,000. The unary plus stops that.
        var source = database.IsSqlite
            ? "(SELECT value ->> 'r' AS run_id, value ->> 'c' AS customer_id, value ->> 'o' AS occurrence FROM json_each(@pairs))"
            : "unnest(@runIds, @customerIds, @occurrences) AS v(run_id, customer_id, occurrence)";
        var sql = $"""
            INSERT INTO journey_runs (id, workspace_id, journey_id, version, customer_id, state, step_id, armed, due_at, entry_key, is_test, entered_at)
            SELECT v.run_id, @workspaceId, @journeyId, @version, v.customer_id, 'waiting', @start, @no, @now, v.customer_id || ':' || v.occurrence, @isTest, @now
            FROM {source} {(database.IsSqlite ? "AS v" : "")}
            WHERE NOT EXISTS (SELECT 1 FROM journey_runs r WHERE r.customer_id = v.customer_id AND {(database.IsSqlite ? "+" : "")}r.journey_id = @journeyId
                              AND r.is_test = @isTest AND {earlier})
            ON CONFLICT DO NOTHING
            """;
        if (!database.IsSqlite)
            sql = sql.Replace("v.customer_id || ':'", "v.customer_id::text || ':'", StringComparison.Ordinal);
        return await connection.ExecuteAsync(sql, new
        {
            pairs = database.IsSqlite ? JsonSerializer.Serialize(customers.Select((c, i) => new { r = runIds[i], c, o = occurrences?[i] ?? occurrence })) : null,
            runIds, customerIds = customers.ToArray(), occurrences = customers.Select((_, i) => occurrences?[i] ?? occurrence).ToArray(),
            workspaceId, journeyId, version, start = definition.Start, no = false, now, isTest, cutoff,
        }, transaction);
    }

    /// <summary>
    /// An event the processor applied: enters the customer into live journeys it triggers, converts runs whose goal it
    /// is (only events after the run entered count), and wakes runs waiting for it.
    /// </summary>
    public async Task OnEventAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid customerId, string name,
        string propertiesJson, string messageId, DateTimeOffset occurredAt, DateTimeOffset now)
    {
        var journeys = await ForWorkspaceAsync(connection, transaction, workspaceId);
        if (!journeys.Events.Contains(name))
            return;
        foreach (var live in journeys.Live)
        {
            var trigger = live.Definition.Trigger;
            if (trigger.Kind == TriggerKinds.Event && trigger.Event == name && PropertyFilters.MatchAll(propertiesJson, trigger.Where))
                await EnterAsync(connection, transaction, workspaceId, live.JourneyId, live.Version, live.Definition, [customerId], messageId, false, now);
        }

        foreach (var (journeyId, version, definition) in journeys.Versions)
        {
            if (definition.Goal is { } goal && goal.Event == name && PropertyFilters.MatchAll(propertiesJson, goal.Where))
                await connection.ExecuteAsync(
                    """
                    UPDATE journey_runs SET state = 'converted', end_reason = 'goal', ended_at = @now, due_at = NULL, wait_event = NULL, armed = @no
                    WHERE customer_id = @customerId AND journey_id = @journeyId AND version = @version AND state = 'waiting' AND entered_at < @occurredAt
                    """, new { customerId, journeyId, version, now, occurredAt, no = false }, transaction);
            foreach (var step in definition.Steps.Where(s => s.Kind == StepKinds.WaitForEvent && s.Event == name && PropertyFilters.MatchAll(propertiesJson, s.Where)))
                await connection.ExecuteAsync(
                    """
                    UPDATE journey_runs SET woken_at = @occurredAt, due_at = @now
                    WHERE customer_id = @customerId AND journey_id = @journeyId AND version = @version AND state = 'waiting' AND step_id = @stepId
                      AND woken_at IS NULL
                    """, new { customerId, journeyId, version, stepId = step.Id, occurredAt, now }, transaction);
        }
    }

    /// <summary>Customers who just entered a segment enter the live journeys that segment triggers.</summary>
    public async Task OnSegmentEnteredAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid segmentId,
        IReadOnlyList<Guid> customerIds, DateTimeOffset now)
    {
        if (customerIds.Count == 0)
            return;
        var journeys = await ForWorkspaceAsync(connection, transaction, workspaceId);
        foreach (var live in journeys.Live.Where(l => l.Definition.Trigger.Kind == TriggerKinds.Segment && l.Definition.Trigger.SegmentId == segmentId))
            foreach (var chunk in customerIds.Chunk(10_000))
                await EnterAsync(connection, transaction, workspaceId, live.JourneyId, live.Version, live.Definition, chunk,
                    $"segment:{now.ToUnixTimeMilliseconds()}", false, now);
    }

    /// <summary>The workspace's live journeys and every version runs may still be on, rebuilt when a journey is published or changes status.</summary>
    internal async Task<WorkspaceJourneys> ForWorkspaceAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId)
    {
        var generation = catalog.Generation;
        // Another node's publish does not move this node's generation, so the table is also rebuilt every 30 seconds.
        if (_workspaces.TryGetValue(workspaceId, out var cached) && cached.Generation == generation && Environment.TickCount64 - cached.BuiltAt < 30_000)
            return cached;
        var rows = await connection.QueryAsync<VersionRow>(
            """
            SELECT j.id AS journey_id, v.version, j.status, j.live_version FROM journeys j JOIN journey_versions v ON v.journey_id = j.id
            WHERE j.workspace_id = @workspaceId AND j.status <> 'archived'
            """, new { workspaceId }, transaction);
        var versions = new List<(Guid, int, JourneyDefinition)>();
        var live = new List<LiveJourney>();
        foreach (var row in rows)
        {
            var definition = await catalog.VersionAsync(connection, transaction, row.JourneyId, row.Version);
            versions.Add((row.JourneyId, row.Version, definition));
            if (row.Status == JourneyStatuses.Live && row.LiveVersion == row.Version)
                live.Add(new LiveJourney(row.JourneyId, row.Version, definition));
        }

        var events = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, _, definition) in versions)
        {
            if (definition.Goal?.Event is { } goal)
                events.Add(goal);
            foreach (var step in definition.Steps.Where(s => s.Kind == StepKinds.WaitForEvent && s.Event is not null))
                events.Add(step.Event!);
        }

        foreach (var journey in live.Where(l => l.Definition.Trigger.Kind == TriggerKinds.Event && l.Definition.Trigger.Event is not null))
            events.Add(journey.Definition.Trigger.Event!);
        var built = new WorkspaceJourneys(generation, Environment.TickCount64, live, versions, events);
        _workspaces[workspaceId] = built;
        return built;
    }

    internal sealed record LiveJourney(Guid JourneyId, int Version, JourneyDefinition Definition);

    internal sealed record WorkspaceJourneys(long Generation, long BuiltAt, List<LiveJourney> Live, List<(Guid JourneyId, int Version, JourneyDefinition Definition)> Versions, HashSet<string> Events);

    private sealed class VersionRow
    {
        public Guid JourneyId { get; init; }
        public int Version { get; init; }
        public string Status { get; init; } = "";
        public int? LiveVersion { get; init; }
    }
}
