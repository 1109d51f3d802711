using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.Json;
using Dapper;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Journeys;

/// <summary>
/// Journeys and their versions: drafts are saved freely (with the problems that stop them from publishing), publishing
/// freezes the draft as the next version, and versions never change, so the engine caches them for good.
/// </summary>
public sealed class JourneyCatalog(Database database, AuditLog audit, TimeProvider clock)
{
    public const int MaxNameLength = 100;
    public const int MaxDefinitionBytes = 256 * 1024;

    // (journey, version) → definition. Versions are immutable, so entries never go stale.
    private readonly ConcurrentDictionary<(Guid, int), JourneyDefinition> _versions = new();

    // Bumped on every publish or status change: the engine's per-workspace trigger tables rebuild when it moves.
    private long _generation;

    public long Generation => Interlocked.Read(ref _generation);

    public async Task<IReadOnlyList<Journey>> ListAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var rows = (await connection.QueryAsync<JourneyRow>($"{Select} WHERE workspace_id = @workspaceId ORDER BY created_at DESC", new { workspaceId })).AsList();
        var totals = await TotalsAsync(connection, workspaceId, null);
        var live = (await connection.QueryAsync<LiveRow>(
            """
            SELECT v.journey_id, v.definition FROM journey_versions v JOIN journeys j ON j.id = v.journey_id AND j.live_version = v.version
            WHERE j.workspace_id = @workspaceId
            """, new { workspaceId })).ToDictionary(v => v.JourneyId, v => v.Definition);
        return rows.Select(r => r.ToJourney([], totals.GetValueOrDefault(r.Id) ?? new JourneyTotals(), live.GetValueOrDefault(r.Id))).ToList();
    }

    public async Task<Journey> GetAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await GetAsync(connection, workspaceId, id);
    }

    private static async Task<Journey> GetAsync(DbConnection connection, Guid workspaceId, Guid id)
    {
        var row = await connection.QuerySingleOrDefaultAsync<JourneyRow>($"{Select} WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id })
            ?? throw new NotFoundException($"No journey {id} in this workspace.");
        var versions = (await connection.QueryAsync<VersionRow>(
            "SELECT version, published_by, published_at FROM journey_versions WHERE journey_id = @id ORDER BY version DESC", new { id }))
            .Select(v => new JourneyVersionInfo(v.Version, v.PublishedBy, v.PublishedAt)).ToList();
        var live = row.LiveVersion is { } version ? await connection.QuerySingleAsync<string>(
            "SELECT definition FROM journey_versions WHERE journey_id = @id AND version = @version", new { id, version }) : null;
        var totals = await TotalsAsync(connection, workspaceId, id);
        var problems = await ProblemsAsync(connection, workspaceId, JourneyDefinition.FromJson(row.Draft));
        return row.ToJourney(versions, totals.GetValueOrDefault(id) ?? new JourneyTotals(), live) with { Problems = problems };
    }

    /// <summary>A version's definition (cached: versions never change).</summary>
    public async Task<JourneyDefinition> VersionAsync(Guid journeyId, int version)
    {
        if (_versions.TryGetValue((journeyId, version), out var cached))
            return cached;
        await using var connection = await database.OpenAsync();
        return await VersionAsync(connection, null, journeyId, version);
    }

    internal async Task<JourneyDefinition> VersionAsync(DbConnection connection, DbTransaction? transaction, Guid journeyId, int version)
    {
        if (_versions.TryGetValue((journeyId, version), out var cached))
            return cached;
        var json = await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT definition FROM journey_versions WHERE journey_id = @journeyId AND version = @version", new { journeyId, version }, transaction)
            ?? throw new NotFoundException($"Journey {journeyId} has no version {version}.");
        return _versions.GetOrAdd((journeyId, version), JourneyDefinition.FromJson(json));
    }

    public async Task<Journey> CreateAsync(Guid workspaceId, JourneyInput input, string actor, string? template = null)
    {
        var name = CleanName(input.Name);
        var definition = Parse(input.Definition) ?? NewDefinition();
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        await using var connection = await database.OpenAsync();
        await CheckTestCustomerAsync(connection, workspaceId, input.TestCustomerId);
        await connection.ExecuteAsync(
            """
            INSERT INTO journeys (id, workspace_id, name, description, status, draft, template, test_customer_id, created_by, created_at, updated_at)
            VALUES (@id, @workspaceId, @name, @description, 'draft', @draft, @template, @testCustomerId, @actor, @now, @now)
            """,
            new { id, workspaceId, name, description = CleanDescription(input.Description), draft = definition.ToJson(), template, testCustomerId = input.TestCustomerId, actor, now });
        await audit.RecordAsync(workspaceId, actor, "journey.created", $"journey:{id}", new { name, template });
        return await GetAsync(connection, workspaceId, id);
    }

    /// <summary>Replaces the name, description and draft. The live version is untouched until the draft is published.</summary>
    public async Task<Journey> UpdateAsync(Guid workspaceId, Guid id, JourneyInput input, string actor)
    {
        var name = CleanName(input.Name);
        var definition = Parse(input.Definition);
        await using var connection = await database.OpenAsync();
        await CheckTestCustomerAsync(connection, workspaceId, input.TestCustomerId);
        var updated = await connection.ExecuteAsync(
            $"""
            UPDATE journeys SET name = @name, description = @description, test_customer_id = @testCustomerId, updated_at = @now
            {(definition is null ? "" : ", draft = @draft")}
            WHERE workspace_id = @workspaceId AND id = @id AND status <> 'archived'
            """,
            new { id, workspaceId, name, description = CleanDescription(input.Description), testCustomerId = input.TestCustomerId, draft = definition?.ToJson(), now = clock.GetUtcNow() });
        if (updated == 0)
            throw await MissingOrArchivedAsync(connection, workspaceId, id);
        await audit.RecordAsync(workspaceId, actor, "journey.updated", $"journey:{id}", new { name });
        return await GetAsync(connection, workspaceId, id);
    }

    /// <summary>Freezes the draft as the next version and makes it live. A draft with problems is refused with the first one.</summary>
    public async Task<Journey> PublishAsync(Guid workspaceId, Guid id, string actor)
    {
        await using var connection = await database.OpenAsync();
        var row = await connection.QuerySingleOrDefaultAsync<JourneyRow>($"{Select} WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id })
            ?? throw new NotFoundException($"No journey {id} in this workspace.");
        if (row.Status == JourneyStatuses.Archived)
            throw new ConflictException("This journey is archived; make a copy to run it again.");
        var definition = JourneyDefinition.FromJson(row.Draft);
        var problems = await ProblemsAsync(connection, workspaceId, definition);
        if (problems.Count > 0)
            throw new ValidationFailedException($"The draft cannot be published yet: {problems[0].Message}", problems[0].Field);
        var now = clock.GetUtcNow();
        var version = (row.LiveVersion ?? 0) + 1;
        await using var transaction = await connection.BeginTransactionAsync();
        // The conditional UPDATE makes two racing publishes pick different version numbers or fail, never overwrite.
        var moved = await connection.ExecuteAsync(
            $"""
            UPDATE journeys SET live_version = @version, status = 'live', updated_at = @now
            WHERE id = @id AND {(row.LiveVersion is null ? "live_version IS NULL" : "live_version = @previous")}
            """, new { id, version, previous = row.LiveVersion, now }, transaction);
        if (moved == 0)
            throw new ConflictException("Someone else published this journey at the same moment; reload and try again.");
        await connection.ExecuteAsync(
            "INSERT INTO journey_versions (journey_id, version, definition, published_by, published_at) VALUES (@id, @version, @definition, @actor, @now)",
            new { id, version, definition = definition.ToJson(), actor, now }, transaction);
        await audit.RecordAsync(workspaceId, actor, "journey.published", $"journey:{id}", new { version }, connection, transaction);
        await transaction.CommitAsync();
        Interlocked.Increment(ref _generation);
        return await GetAsync(connection, workspaceId, id);
    }

    /// <summary>live ↔ paused; archived ends every run in flight.</summary>
    public async Task<Journey> SetStatusAsync(Guid workspaceId, Guid id, string status, string actor)
    {
        await using var connection = await database.OpenAsync();
        var current = await connection.QuerySingleOrDefaultAsync<string>("SELECT status FROM journeys WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id })
            ?? throw new NotFoundException($"No journey {id} in this workspace.");
        var allowed = (current, status) switch
        {
            (JourneyStatuses.Live, JourneyStatuses.Paused) => true,
            (JourneyStatuses.Paused, JourneyStatuses.Live) => true,
            (JourneyStatuses.Draft or JourneyStatuses.Live or JourneyStatuses.Paused, JourneyStatuses.Archived) => true,
            _ => false,
        };
        if (!allowed)
            throw new ConflictException($"A {current} journey cannot become {status}.");
        var now = clock.GetUtcNow();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("UPDATE journeys SET status = @status, updated_at = @now WHERE id = @id", new { id, status, now }, transaction);
        if (status == JourneyStatuses.Archived)
            await connection.ExecuteAsync(
                "UPDATE journey_runs SET state = 'exited', end_reason = 'archived', ended_at = @now, due_at = NULL WHERE journey_id = @id AND state = 'waiting'",
                new { id, now }, transaction);
        await audit.RecordAsync(workspaceId, actor, $"journey.{status}", $"journey:{id}", null, connection, transaction);
        await transaction.CommitAsync();
        Interlocked.Increment(ref _generation);
        return await GetAsync(connection, workspaceId, id);
    }

    /// <summary>Structural problems plus references to things that do not exist in this workspace.</summary>
    internal static async Task<IReadOnlyList<JourneyProblem>> ProblemsAsync(DbConnection connection, Guid workspaceId, JourneyDefinition definition)
    {
        var problems = JourneyValidator.Check(definition).ToList();
        async Task Exists(string table, Guid? id, string field, string what)
        {
            if (id is { } value && await connection.ExecuteScalarAsync<long>(
                    $"SELECT COUNT(*) FROM {table} WHERE workspace_id = @workspaceId AND id = @value", new { workspaceId, value }) == 0)
                problems.Add(new JourneyProblem(field, $"No {what} {value} in this workspace."));
        }

        if (definition.Trigger.Kind == TriggerKinds.Segment)
            await Exists("segments", definition.Trigger.SegmentId, "trigger/segmentId", "segment");
        for (var i = 0; i < definition.Steps.Count; i++)
        {
            var step = definition.Steps[i];
            await Exists("coupon_templates", step.Kind == StepKinds.Coupon ? step.TemplateId : null, $"steps/{i}/templateId", "coupon template");
            await Exists("segments", step.Condition?.Kind == ConditionKinds.Segment ? step.Condition.SegmentId : null, $"steps/{i}/condition/segmentId", "segment");
            await Exists("content_items", step.ContentId, $"steps/{i}/contentId", "content item");
            await Exists("staff", step.StaffId, $"steps/{i}/staffId", "staff member");
        }

        return problems;
    }

    private static async Task<Dictionary<Guid, JourneyTotals>> TotalsAsync(DbConnection connection, Guid workspaceId, Guid? journeyId)
    {
        var rows = await connection.QueryAsync<TotalRow>(
            $"""
            SELECT journey_id, state, COUNT(*) AS count FROM journey_runs
            WHERE workspace_id = @workspaceId{(journeyId is null ? "" : " AND journey_id = @journeyId")} AND is_test = @no
            GROUP BY journey_id, state
            """, new { workspaceId, journeyId, no = false });
        return rows.GroupBy(r => r.JourneyId).ToDictionary(g => g.Key, g => new JourneyTotals
        {
            Entered = g.Sum(r => r.Count),
            Waiting = g.Where(r => r.State == RunStates.Waiting).Sum(r => r.Count),
            Completed = g.Where(r => r.State == RunStates.Completed).Sum(r => r.Count),
            Converted = g.Where(r => r.State == RunStates.Converted).Sum(r => r.Count),
            Exited = g.Where(r => r.State == RunStates.Exited).Sum(r => r.Count),
        });
    }

    private static async Task CheckTestCustomerAsync(DbConnection connection, Guid workspaceId, Guid? customerId)
    {
        if (customerId is { } id && await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM customers WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id }) == 0)
            throw new ValidationFailedException($"No customer {id} in this workspace to test the journey on.", "testCustomerId");
    }

    private static async Task<Exception> MissingOrArchivedAsync(DbConnection connection, Guid workspaceId, Guid id) =>
        await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM journeys WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id }) == 0
            ? new NotFoundException($"No journey {id} in this workspace.")
            : new ConflictException("This journey is archived and can no longer be edited.");

    /// <summary>A definition from the API: it must parse into the journey shape; its problems are reported, not refused, until publishing.</summary>
    internal static JourneyDefinition? Parse(JsonElement? element)
    {
        if (element is not { } json || json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            return null;
        if (json.ValueKind != JsonValueKind.Object)
            throw new ValidationFailedException("definition must be a JSON object with trigger, start and steps.", "definition");
        var raw = json.GetRawText();
        if (raw.Length > MaxDefinitionBytes)
            throw new ValidationFailedException($"definition is at most {MaxDefinitionBytes / 1024} KB.", "definition");
        try
        {
            return JsonSerializer.Deserialize<JourneyDefinition>(raw, JourneyDefinition.Json) ?? NewDefinition();
        }
        catch (JsonException e)
        {
            throw new ValidationFailedException($"definition does not have the journey shape at {e.Path}: {e.Message.Split('.')[0]}.", "definition");
        }
    }

    private static JourneyDefinition NewDefinition() => new()
    {
        Trigger = new JourneyTrigger { Kind = TriggerKinds.Manual },
        Start = "start",
        Steps = [new JourneyStep { Id = "start", Kind = StepKinds.Exit, Name = "Exit" }],
    };

    private static string CleanName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > MaxNameLength)
            throw new ValidationFailedException($"name is required, at most {MaxNameLength} characters.", "name");
        return name.Trim();
    }

    private static string? CleanDescription(string? description)
    {
        if (description is { Length: > 1000 })
            throw new ValidationFailedException("description is at most 1000 characters.", "description");
        return string.IsNullOrWhiteSpace(description) ? null : description.Trim();
    }

    private const string Select =
        "SELECT id, name, description, status, draft, live_version, template, test_customer_id, created_by, created_at, updated_at FROM journeys";

    private sealed class JourneyRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
        public string? Description { get; init; }
        public string Status { get; init; } = "";
        public string Draft { get; init; } = "{}";
        public int? LiveVersion { get; init; }
        public string? Template { get; init; }
        public Guid? TestCustomerId { get; init; }
        public string? CreatedBy { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public Journey ToJourney(IReadOnlyList<JourneyVersionInfo> versions, JourneyTotals totals, string? liveDefinition)
        {
            var draft = JourneyDefinition.FromJson(Draft);
            return new Journey
            {
                Id = Id, Name = Name, Description = Description, Status = Status, Draft = draft, LiveVersion = LiveVersion, Template = Template,
                TestCustomerId = TestCustomerId, Versions = versions, Totals = totals, CreatedBy = CreatedBy, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
                // Both sides go through the same serializer: the stored text may differ in key order or spacing (jsonb).
                DraftChanged = liveDefinition is null || JourneyDefinition.FromJson(liveDefinition).ToJson() != draft.ToJson(),
            };
        }
    }

    private sealed class LiveRow
    {
        public Guid JourneyId { get; init; }
        public string Definition { get; init; } = "";
    }

    private sealed class VersionRow
    {
        public int Version { get; init; }
        public string? PublishedBy { get; init; }
        public DateTimeOffset PublishedAt { get; init; }
    }

    private sealed class TotalRow
    {
        public Guid JourneyId { get; init; }
        public string State { get; init; } = "";
        public long Count { get; init; }
    }
}

public static class RunStates
{
    public const string Waiting = "waiting";
    public const string Completed = "completed";
    public const string Converted = "converted";
    public const string Exited = "exited";
}
