using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Journeys;

public sealed class EnrolmentInput
{
    public List<Guid>? CustomerIds { get; set; }
    public Guid? SegmentId { get; set; }

    /// <summary>A test run: on the journey's test customer unless customers are named; left out of the counters.</summary>
    public bool? Test { get; set; }
}

public sealed record EnrolmentResult(int Requested, int Entered);

public sealed class JourneyRun
{
    public Guid Id { get; init; }
    public Guid JourneyId { get; init; }
    public Guid CustomerId { get; init; }
    public string? CustomerName { get; init; }
    public int Version { get; init; }
    public string State { get; init; } = "";
    public string StepId { get; init; } = "";
    public DateTimeOffset? DueAt { get; init; }
    public string? WaitEvent { get; init; }
    public DateTimeOffset EnteredAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public string? EndReason { get; init; }
    public bool IsTest { get; init; }
}

public sealed record RunStepView(string StepId, DateTimeOffset At, string Outcome, string? Detail);

public sealed record JourneyRunDetail(JourneyRun Run, IReadOnlyList<RunStepView> Steps);

public sealed record StepStats(string StepId, string Kind, string? Name, long Waiting, IReadOnlyDictionary<string, long> Outcomes);

public sealed record MessageStats(IReadOnlyDictionary<string, long> ByState, IReadOnlyDictionary<string, long> SuppressedByReason);

public sealed record JourneyStatsView(JourneyTotals Totals, IReadOnlyList<StepStats> Steps, MessageStats Messages);

/// <summary>Enrolment by hand or API, the runs of a journey, and its counters.</summary>
public sealed class JourneyRuns(Database database, JourneyCatalog catalog, JourneyEntries entries, AuditLog audit, TimeProvider clock)
{
    /// <summary>Enters named customers (or a segment's members) into the live version; re-entry rules apply except for test runs.</summary>
    public async Task<EnrolmentResult> EnrollAsync(Guid workspaceId, Guid journeyId, EnrolmentInput input, string actor)
    {
        var journey = await catalog.GetAsync(workspaceId, journeyId);
        var test = input.Test == true;
        if (journey.LiveVersion is not { } version || journey.Status == JourneyStatuses.Archived)
            throw new ConflictException("Publish the journey before enrolling customers; simulate a draft instead.");
        if (journey.Status == JourneyStatuses.Paused && !test)
            throw new ConflictException("The journey is paused: nobody new enters until it is resumed.");
        if (input.CustomerIds is { Count: > 0 } && input.SegmentId is not null)
            throw new ValidationFailedException("Give customerIds or segmentId, not both.", "segmentId");
        await using var connection = await database.OpenAsync();
        List<Guid> customers;
        if (input.SegmentId is { } segmentId)
        {
            if (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM segments WHERE workspace_id = @workspaceId AND id = @segmentId", new { workspaceId, segmentId }) == 0)
                throw new ValidationFailedException($"No segment {segmentId} in this workspace.", "segmentId");
            customers = (await connection.QueryAsync<Guid>("SELECT customer_id FROM segment_members WHERE segment_id = @segmentId", new { segmentId })).AsList();
        }
        else
        {
            customers = input.CustomerIds is { Count: > 0 } ids ? ids.Distinct().ToList()
                : test && journey.TestCustomerId is { } testCustomer ? [testCustomer]
                : throw new ValidationFailedException(test ? "Name the test customer (customerIds) or set the journey's test customer." : "Give customerIds or segmentId.", "customerIds");
            if (customers.Count > JourneyEntries.MaxCustomersPerCall)
                throw new ValidationFailedException($"At most {JourneyEntries.MaxCustomersPerCall} customers per call; enrol a segment for more.", "customerIds");
            var known = (await connection.QueryAsync<Guid>(
                database.IsSqlite
                    ? "SELECT id FROM customers WHERE workspace_id = @workspaceId AND id IN (SELECT value FROM json_each(@ids))"
                    : "SELECT id FROM customers WHERE workspace_id = @workspaceId AND id = ANY(@ids)",
                new { workspaceId, ids = database.IsSqlite ? (object)JsonSerializer.Serialize(customers) : customers.ToArray() })).ToHashSet();
            if (customers.FirstOrDefault(c => !known.Contains(c)) is var missing && missing != Guid.Empty)
                throw new ValidationFailedException($"No customer {missing} in this workspace.", "customerIds");
        }

        var definition = await catalog.VersionAsync(journeyId, version);
        var occurrence = $"{(test ? "test" : "manual")}:{Guid.CreateVersion7():N}";
        var entered = 0;
        var now = clock.GetUtcNow();
        for (var offset = 0; offset < customers.Count; offset += 10_000)
        {
            var chunk = customers.GetRange(offset, Math.Min(10_000, customers.Count - offset));
            await using var transaction = connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : await connection.BeginTransactionAsync();
            entered += await entries.EnterAsync(connection, transaction, workspaceId, journeyId, version, definition, chunk, occurrence, test, now);
            await transaction.CommitAsync();
        }

        await audit.RecordAsync(workspaceId, actor, test ? "journey.tested" : "journey.enrolled", $"journey:{journeyId}",
            new { requested = customers.Count, entered, segment = input.SegmentId });
        return new EnrolmentResult(customers.Count, entered);
    }

    public async Task<IReadOnlyList<JourneyRun>> ListAsync(Guid workspaceId, Guid journeyId, string? state, string? stepId, Guid? customerId, int limit)
    {
        await catalog.GetAsync(workspaceId, journeyId);
        var filters = "";
        if (state is not null)
            filters += " AND r.state = @state";
        if (stepId is not null)
            filters += " AND r.step_id = @stepId";
        if (customerId is not null)
            filters += " AND r.customer_id = @customerId";
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<JourneyRun>(
            $"""
            {RunSelect}
            WHERE r.journey_id = @journeyId{filters}
            ORDER BY r.entered_at DESC, r.id DESC LIMIT @limit
            """, new { journeyId, state, stepId, customerId, limit = Math.Clamp(limit, 1, 500) })).AsList();
    }

    public async Task<JourneyRunDetail> RunAsync(Guid workspaceId, Guid runId)
    {
        await using var connection = await database.OpenAsync();
        var run = await connection.QuerySingleOrDefaultAsync<JourneyRun>($"{RunSelect} WHERE r.id = @runId AND r.workspace_id = @workspaceId", new { runId, workspaceId })
            ?? throw new NotFoundException($"No journey run {runId} in this workspace.");
        var steps = (await connection.QueryAsync<StepRow>(
            "SELECT step_id, at, outcome, detail FROM journey_run_steps WHERE run_id = @runId ORDER BY ordinal", new { runId }))
            .Select(s => new RunStepView(s.StepId, s.At, s.Outcome, s.Detail)).ToList();
        return new JourneyRunDetail(run, steps);
    }

    /// <summary>Totals, per-step outcome counters (all versions, by step id) with who waits where, and the journey's messages by state and suppression reason.</summary>
    public async Task<JourneyStatsView> StatsAsync(Guid workspaceId, Guid journeyId)
    {
        var journey = await catalog.GetAsync(workspaceId, journeyId);
        await using var connection = await database.OpenAsync();
        var counts = (await connection.QueryAsync<CountRow>(
            "SELECT step_id AS key, outcome AS sub, SUM(count) AS count FROM journey_step_counts WHERE journey_id = @journeyId GROUP BY step_id, outcome",
            new { journeyId })).AsList();
        var waiting = (await connection.QueryAsync<CountRow>(
            "SELECT step_id AS key, '' AS sub, COUNT(*) AS count FROM journey_runs WHERE journey_id = @journeyId AND state = 'waiting' AND is_test = @no GROUP BY step_id",
            new { journeyId, no = false })).ToDictionary(r => r.Key, r => r.Count);
        var messages = (await connection.QueryAsync<CountRow>(
            "SELECT state AS key, COALESCE(reason, '') AS sub, COUNT(*) AS count FROM outbox WHERE workspace_id = @workspaceId AND source = @source GROUP BY state, reason",
            new { workspaceId, source = $"journey:{journeyId}" })).AsList();
        var definition = journey.LiveVersion is { } live ? await catalog.VersionAsync(journeyId, live) : journey.Draft;
        var known = definition.Steps.Select(s => s.Id).ToHashSet();
        var steps = definition.Steps.Select(s => new StepStats(s.Id, s.Kind, s.Name, waiting.GetValueOrDefault(s.Id),
                counts.Where(c => c.Key == s.Id).ToDictionary(c => c.Sub, c => c.Count)))
            .Concat(counts.Select(c => c.Key).Concat(waiting.Keys).Where(k => !known.Contains(k)).Distinct()
                .Select(k => new StepStats(k, "", null, waiting.GetValueOrDefault(k), counts.Where(c => c.Key == k).ToDictionary(c => c.Sub, c => c.Count))))
            .ToList();
        return new JourneyStatsView(journey.Totals, steps, new MessageStats(
            messages.GroupBy(m => m.Key).ToDictionary(g => g.Key, g => g.Sum(m => m.Count)),
            messages.Where(m => m.Key == "suppressed").ToDictionary(m => m.Sub, m => m.Count)));
    }

    private const string RunSelect = """
        SELECT r.id, r.journey_id, r.customer_id, c.display_name AS customer_name, r.version, r.state, r.step_id, r.due_at, r.wait_event, r.entered_at, r.ended_at,
               r.end_reason, r.is_test
        FROM journey_runs r LEFT JOIN customers c ON c.id = r.customer_id
        """;

    private sealed class StepRow
    {
        public string StepId { get; init; } = "";
        public DateTimeOffset At { get; init; }
        public string Outcome { get; init; } = "";
        public string? Detail { get; init; }
    }

    private sealed class CountRow
    {
        public string Key { get; init; } = "";
        public string Sub { get; init; } = "";
        public long Count { get; init; }
    }
}
