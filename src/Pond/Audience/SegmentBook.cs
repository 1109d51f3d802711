using System.Text.Json;
using Dapper;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Audience;

public sealed class Segment
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public string Name { get; init; } = "";
    public string? Description { get; init; }
    public string Rule { get; init; } = "{}";
    public string? SyncTag { get; init; }
    public string Status { get; init; } = SegmentStatuses.Active;
    public int MemberCount { get; init; }
    public string? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

public static class SegmentStatuses
{
    public const string Active = "active";
    public const string Paused = "paused";
}

/// <summary>What a caller sends to create or change a segment.</summary>
public sealed record SegmentInput(string? Name, string? Description, JsonElement? Rule, string? SyncTag, string? Status);

public sealed record SegmentSize(DateOnly Day, int Size);

/// <summary>Segments as stored: a name, a rule, an optional synced tag. Memberships are the audience engine's.</summary>
internal sealed class SegmentBook(Database database, AuditLog audit, TimeProvider clock, AudienceEngine engine, AudienceChanges changes)
{
    public const int MaxSegments = 500;

    public async Task<IReadOnlyList<Segment>> ListAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<Segment>("SELECT * FROM segments WHERE workspace_id = @workspaceId ORDER BY name", new { workspaceId })).AsList();
    }

    public async Task<Segment> GetAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<Segment>("SELECT * FROM segments WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id })
            ?? throw new NotFoundException($"No segment {id} in this workspace.");
    }

    /// <summary>A segment by id or by its name.</summary>
    public async Task<Segment> FindAsync(Guid workspaceId, string idOrName)
    {
        if (Guid.TryParse(idOrName, out var id))
            return await GetAsync(workspaceId, id);
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<Segment>("SELECT * FROM segments WHERE workspace_id = @workspaceId AND name = @name", new { workspaceId, name = idOrName.Trim() })
            ?? throw new NotFoundException($"No segment named '{idOrName}' in this workspace.");
    }

    /// <summary>The segment's current members, streamed in id order (an export reads them a thousand at a time).</summary>
    public async IAsyncEnumerable<Guid> MemberIdsAsync(Guid segmentId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await foreach (var id in connection.QueryUnbufferedAsync<Guid>(
            "SELECT customer_id FROM segment_members WHERE segment_id = @segmentId ORDER BY customer_id", new { segmentId }).WithCancellation(cancellationToken))
            yield return id;
    }

    public async Task<Segment> CreateAsync(Guid workspaceId, SegmentInput input, string actor)
    {
        var name = Name(input.Name);
        var rule = await RuleTextAsync(workspaceId, input.Rule, required: true);
        var syncTag = SyncTag(input.SyncTag);
        var status = Status(input.Status) ?? SegmentStatuses.Active;
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7();
        await using (var connection = await database.OpenAsync())
        {
            if (await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM segments WHERE workspace_id = @workspaceId", new { workspaceId }) >= MaxSegments)
                throw new ConflictException($"A workspace holds at most {MaxSegments} segments; delete ones no longer used.");
            await EnsureUniqueAsync(connection, workspaceId, name, null);
            try
            {
                await connection.ExecuteAsync(
                    """
                    INSERT INTO segments (id, workspace_id, name, description, rule, sync_tag, status, member_count, created_by, created_at, updated_at)
                    VALUES (@id, @workspaceId, @name, @description, @rule, @syncTag, @status, 0, @actor, @now, @now)
                    """, new { id, workspaceId, name, description = Description(input.Description), rule, syncTag, status, actor, now });
            }
            catch (System.Data.Common.DbException e) when (Database.IsUniqueViolation(e))
            {
                throw Duplicate(name);
            }
        }

        await audit.RecordAsync(workspaceId, actor, "segment.created", $"segment:{id}", new { name });
        await engine.ReconcileAsync(workspaceId, id);
        return await GetAsync(workspaceId, id);
    }

    public async Task<Segment> UpdateAsync(Guid workspaceId, Guid id, SegmentInput input, string actor)
    {
        var current = await GetAsync(workspaceId, id);
        var name = input.Name is null ? current.Name : Name(input.Name);
        var rule = input.Rule is null ? current.Rule : await RuleTextAsync(workspaceId, input.Rule, required: true);
        var syncTag = input.SyncTag is null ? current.SyncTag : SyncTag(input.SyncTag);
        var status = Status(input.Status) ?? current.Status;
        await using (var connection = await database.OpenAsync())
        {
            await EnsureUniqueAsync(connection, workspaceId, name, id);
            try
            {
                await connection.ExecuteAsync(
                """
                UPDATE segments SET name = @name, description = @description, rule = @rule, sync_tag = @syncTag, status = @status, updated_at = @now
                WHERE workspace_id = @workspaceId AND id = @id
                """,
                new { id, workspaceId, name, description = input.Description is null ? current.Description : Description(input.Description), rule, syncTag, status, now = clock.GetUtcNow() });
            }
            catch (System.Data.Common.DbException e) when (Database.IsUniqueViolation(e))
            {
                throw Duplicate(name);
            }
        }

        await audit.RecordAsync(workspaceId, actor, "segment.updated", $"segment:{id}", new { name });
        await engine.ReconcileAsync(workspaceId, id, current.SyncTag);
        return await GetAsync(workspaceId, id);
    }

    public async Task DeleteAsync(Guid workspaceId, Guid id, string actor)
    {
        var segment = await GetAsync(workspaceId, id);
        await engine.DropAsync(workspaceId, id);
        await using (var connection = await database.OpenAsync())
            await connection.ExecuteAsync("DELETE FROM segments WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id });
        await audit.RecordAsync(workspaceId, actor, "segment.deleted", $"segment:{id}", new { name = segment.Name });
    }

    /// <summary>Adds a tag to every current member, or removes it from them (bulk, recorded in each customer's tag history). Returns how many changed.</summary>
    public async Task<int> TagMembersAsync(Guid workspaceId, Guid id, string? tag, string? action, string actor)
    {
        var segment = await GetAsync(workspaceId, id);
        var clean = TagNames.Clean(tag);
        var add = action switch
        {
            "add" => true,
            "remove" => false,
            _ => throw new ValidationFailedException("action must be 'add' or 'remove'.", "action"),
        };
        IReadOnlyList<Guid> changed;
        await using (var connection = await database.OpenAsync())
        {
            var members = (await connection.QueryAsync<Guid>("SELECT customer_id FROM segment_members WHERE segment_id = @id", new { id })).AsList();
            await using var transaction = await CustomerTags.BeginAsync(connection, CancellationToken.None);
            var now = clock.GetUtcNow();
            changed = add
                ? await CustomerTags.AddAsync(connection, transaction, workspaceId, members, clean, TagSources.Bulk, actor, now)
                : await CustomerTags.RemoveAsync(connection, transaction, workspaceId, members, clean, TagSources.Bulk, actor, now);
            await audit.RecordAsync(workspaceId, actor, add ? "segment.tagged" : "segment.untagged", $"segment:{id}",
                new { segment = segment.Name, tag = clean, customers = changed.Count }, connection, transaction);
            await transaction.CommitAsync();
        }

        changes.Touch(workspaceId, changed);
        return changed.Count;
    }

    public async Task<IReadOnlyList<SegmentSize>> SizesAsync(Guid workspaceId, Guid id, int days)
    {
        await GetAsync(workspaceId, id);
        var zone = await engine.ZoneAsync(workspaceId);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).DateTime);
        var from = today.AddDays(-Math.Clamp(days, 1, 400) + 1);
        await using var connection = await database.OpenAsync();
        var rows = (await connection.QueryAsync<SizeRow>(
            "SELECT day, size FROM segment_sizes WHERE segment_id = @id AND day >= @from ORDER BY day", new { id, from = DayNumber(from) })).AsList();
        // A day without a row had no change: it kept the size of the day before.
        var result = new List<SegmentSize>();
        var size = await connection.ExecuteScalarAsync<int?>(
            "SELECT size FROM segment_sizes WHERE segment_id = @id AND day < @from ORDER BY day DESC LIMIT 1", new { id, from = DayNumber(from) });
        var next = 0;
        for (var day = from; day <= today; day = day.AddDays(1))
        {
            while (next < rows.Count && rows[next].Day <= DayNumber(day))
                size = rows[next++].Size;
            if (size is { } known)
                result.Add(new SegmentSize(day, known));
        }

        return result;
    }

    public static int DayNumber(DateOnly day) => day.Year * 10000 + day.Month * 100 + day.Day;

    private async Task<string> RuleTextAsync(Guid workspaceId, JsonElement? rule, bool required)
    {
        if (rule is not { } value || value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
            return required ? throw new ValidationFailedException("rule is required: a condition tree such as {\"all\": [{\"tag\": \"敏感肌\"}]} (see docs/segments.md).", "rule") : "{}";
        SegmentRuleParser.Parse(value, await engine.ZoneAsync(workspaceId));
        return value.GetRawText();
    }

    private static async Task EnsureUniqueAsync(System.Data.Common.DbConnection connection, Guid workspaceId, string name, Guid? except)
    {
        var clash = await connection.ExecuteScalarAsync<Guid?>(
            "SELECT id FROM segments WHERE workspace_id = @workspaceId AND name = @name", new { workspaceId, name });
        if (clash is { } other && other != except)
            throw Duplicate(name);
    }

    private static ConflictException Duplicate(string name) => new($"A segment named '{name}' already exists; choose another name.");

    private static string Name(string? name)
    {
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed))
            throw new ValidationFailedException("name is required.", "name");
        if (trimmed.Length > 80)
            throw new ValidationFailedException("name has at most 80 characters.", "name");
        return trimmed;
    }

    private static string? Description(string? description)
    {
        var trimmed = description?.Trim();
        if (trimmed is { Length: > 500 })
            throw new ValidationFailedException("description has at most 500 characters.", "description");
        return string.IsNullOrEmpty(trimmed) ? null : trimmed;
    }

    private static string? SyncTag(string? tag) => string.IsNullOrWhiteSpace(tag) ? null : TagNames.Clean(tag, "syncTag");

    private static string? Status(string? status) => status switch
    {
        null => null,
        SegmentStatuses.Active or SegmentStatuses.Paused => status,
        _ => throw new ValidationFailedException("status must be 'active' or 'paused'.", "status"),
    };

    private sealed class SizeRow
    {
        public int Day { get; init; }
        public int Size { get; init; }
    }
}

/// <summary>One row of the audience event stream (segment.entered, segment.exited, lifecycle.changed).</summary>
public sealed class AudienceEvent
{
    public long Seq { get; init; }
    public Guid CustomerId { get; init; }
    public string Kind { get; init; } = "";
    public string Subject { get; init; } = "";
    public string? Detail { get; init; }
    public DateTimeOffset OccurredAt { get; init; }
}

/// <summary>Reads the audience event stream in order, for journeys, integrations and the tests.</summary>
internal sealed class AudienceEventLog(Database database)
{
    public const int MaxLimit = 1000;

    public async Task<IReadOnlyList<AudienceEvent>> ReadAsync(Guid workspaceId, long after, int limit, Guid? customerId, string? subject)
    {
        await using var connection = await database.OpenAsync();
        var sql = "SELECT seq, customer_id, kind, subject, detail, occurred_at FROM audience_events WHERE workspace_id = @workspaceId AND seq > @after"
            + (customerId is null ? "" : " AND customer_id = @customerId")
            + (subject is null ? "" : " AND subject = @subject")
            + " ORDER BY seq LIMIT @limit";
        return (await connection.QueryAsync<AudienceEvent>(sql, new { workspaceId, after, limit = Math.Clamp(limit, 1, MaxLimit), customerId, subject })).AsList();
    }
}
