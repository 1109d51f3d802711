using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Pond.Storage;

namespace Pond.Staff;

/// <summary>A staff task as lists show it, with the names of whom and what it is about.</summary>
internal sealed class StaffTask
{
    public Guid Id { get; init; }
    public Guid? StaffId { get; init; }
    public string? StaffName { get; init; }
    public Guid? CustomerId { get; init; }
    public string? CustomerName { get; init; }
    public string? GroupChatId { get; init; }
    public string? GroupName { get; init; }
    public string Kind { get; init; } = "";
    public string Title { get; init; } = "";
    public string? Body { get; init; }
    public Guid? ContentId { get; init; }
    public string? ContentTitle { get; init; }
    public string? ContentKind { get; init; }
    public string? ContentUrl { get; init; }
    public string Source { get; init; } = "";
    public string State { get; init; } = "";
    public DateTimeOffset DueAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? DoneAt { get; init; }
    public string? DoneBy { get; init; }
}

/// <summary>Which tasks a list shows. Due: today (due on the local day) or overdue (open and due before now).</summary>
internal sealed record TaskQuery(Guid? StaffId = null, string? State = null, string? Kind = null, string? Due = null, int Limit = 200);

public static class TaskDueFilters
{
    public const string Today = "today";
    public const string Overdue = "overdue";

    public static readonly IReadOnlyList<string> All = [Today, Overdue];
}

/// <summary>One staff member's figures over a period: tasks due, done, skipped, still open; done ÷ due and the on-time share of done.</summary>
internal sealed record TaskCompletion(Guid? StaffId, string StaffName, int Due, int Done, int DoneOnTime, int Skipped, int Open)
{
    public double Rate => Due == 0 ? 0 : (double)Done / Due;

    public double OnTimeShare => Done == 0 ? 0 : (double)DoneOnTime / Done;
}

/// <summary>
/// The staff task list: reading with filters, done / skip in one click (idempotent, and the staff role may only touch its
/// own), and completion rates per staff member. A task marked done that carries a content item raises the item's usage count.
/// </summary>
internal sealed class TaskBoard(Database database, TimeProvider clock)
{
    private const string Select =
        """
        SELECT t.id, t.staff_id, s.name AS staff_name, t.customer_id, c.display_name AS customer_name, t.group_chat_id, g.name AS group_name, t.kind, t.title,
               t.body, t.content_id, ci.title AS content_title, ci.kind AS content_kind, ci.url AS content_url, t.source, t.state, t.due_at, t.created_at, t.done_at, t.done_by
        FROM staff_tasks t
        LEFT JOIN staff s ON s.id = t.staff_id
        LEFT JOIN customers c ON c.id = t.customer_id
        LEFT JOIN carriers g ON g.workspace_id = t.workspace_id AND g.kind = 'group_chat' AND g.external_id = t.group_chat_id
        LEFT JOIN content_items ci ON ci.id = t.content_id
        """;

    public async Task<IReadOnlyList<StaffTask>> ListAsync(Guid workspaceId, TaskQuery query, TimeZoneInfo zone)
    {
        if (query.State is not null && query.State is not (StaffTaskStates.Open or StaffTaskStates.Done or StaffTaskStates.Skipped))
            throw new ValidationFailedException($"Unknown task state '{query.State}'; use open, done or skipped.", "state");
        if (query.Kind is not null && query.Kind is not (StaffTaskKinds.FollowUp or StaffTaskKinds.GroupSop or StaffTaskKinds.MomentsSop or StaffTaskKinds.CustomerSop))
            throw new ValidationFailedException($"Unknown task kind '{query.Kind}'; use follow_up, group_sop, moments_sop or customer_sop.", "kind");
        if (query.Due is not null && !TaskDueFilters.All.Contains(query.Due))
            throw new ValidationFailedException($"Unknown due filter '{query.Due}'; use today or overdue.", "due");
        var now = clock.GetUtcNow();
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var dayStart = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(today.ToDateTime(TimeOnly.MinValue), zone));
        var sql = Select + " WHERE t.workspace_id = @workspaceId"
            + (query.StaffId is null ? "" : " AND t.staff_id = @StaffId")
            + (query.State is null ? "" : " AND t.state = @State")
            + (query.Kind is null ? "" : " AND t.kind = @Kind")
            + query.Due switch
            {
                TaskDueFilters.Today => " AND t.due_at >= @dayStart AND t.due_at < @dayEnd",
                TaskDueFilters.Overdue => " AND t.state = 'open' AND t.due_at < @now",
                _ => "",
            }
            + " ORDER BY t.due_at, t.id LIMIT @limit";
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<StaffTask>(sql, new
        {
            workspaceId, query.StaffId, query.State, query.Kind, dayStart, dayEnd = dayStart.AddDays(1), now, limit = Math.Clamp(query.Limit, 1, 1000),
        })).AsList();
    }

    /// <param name="onlyOwnedBy">The staff role: a task of someone else is not found.</param>
    public async Task<StaffTask> GetAsync(Guid workspaceId, Guid id, Guid? onlyOwnedBy = null)
    {
        await using var connection = await database.OpenAsync();
        return await FindAsync(connection, null, workspaceId, id, onlyOwnedBy) ?? throw NotFound(id);
    }

    /// <summary>
    /// Marks a task done or skipped. Repeating the same answer changes nothing and returns the task; answering the other
    /// way once it is closed is a 409. The staff role may only close its own tasks (another's is not found).
    /// </summary>
    public async Task<StaffTask> CloseAsync(Guid workspaceId, Guid id, string state, string actor, Guid? onlyOwnedBy)
    {
        if (state is not (StaffTaskStates.Done or StaffTaskStates.Skipped))
            throw new ArgumentOutOfRangeException(nameof(state));
        await using var connection = await database.OpenAsync();
        await using DbTransaction transaction = connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : await connection.BeginTransactionAsync();
        var task = await FindAsync(connection, transaction, workspaceId, id, onlyOwnedBy) ?? throw NotFound(id);
        // The conditional update decides: of two clicks (or two nodes), one closes the task and only that one counts the content's use.
        var changed = await connection.ExecuteAsync(
            "UPDATE staff_tasks SET state = @state, done_at = @now, done_by = @actor WHERE workspace_id = @workspaceId AND id = @id AND state = 'open'",
            new { workspaceId, id, state, now = clock.GetUtcNow(), actor }, transaction);
        if (changed > 0)
            await Analytics.InsightDirty.MarkAsync(connection, transaction, workspaceId, clock.GetUtcNow(), clock.GetUtcNow());
        if (changed == 0)
        {
            var current = await connection.QuerySingleAsync<string>("SELECT state FROM staff_tasks WHERE id = @id", new { id }, transaction);
            if (current != state)
                throw new ConflictException($"The task is already {current}; it cannot also be {state}.");
        }
        else if (state == StaffTaskStates.Done && task.ContentId is { } contentId)
        {
            await connection.ExecuteAsync("UPDATE content_items SET usage_count = usage_count + 1 WHERE workspace_id = @workspaceId AND id = @contentId",
                new { workspaceId, contentId }, transaction);
        }

        await transaction.CommitAsync();
        return (await FindAsync(connection, null, workspaceId, id, null))!;
    }

    /// <summary>
    /// Completion per staff member for tasks due between two local dates (inclusive): done ÷ due, and the share of done
    /// tasks finished by the end of their due day (local).
    /// </summary>
    public async Task<IReadOnlyList<TaskCompletion>> CompletionAsync(Guid workspaceId, DateOnly from, DateOnly to, TimeZoneInfo zone, Guid? onlyStaff = null)
    {
        if (to < from)
            throw new ValidationFailedException("to must be on or after from.", "to");
        if (to.DayNumber - from.DayNumber > 366)
            throw new ValidationFailedException("A completion period is at most 366 days.", "from");
        var start = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(from.ToDateTime(TimeOnly.MinValue), zone));
        var end = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(to.AddDays(1).ToDateTime(TimeOnly.MinValue), zone));
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<CompletionRow>(
            """
            SELECT t.staff_id, s.name AS staff_name, t.state, t.due_at, t.done_at
            FROM staff_tasks t LEFT JOIN staff s ON s.id = t.staff_id
            WHERE t.workspace_id = @workspaceId AND t.due_at >= @start AND t.due_at < @end
            """ + (onlyStaff is null ? "" : " AND t.staff_id = @onlyStaff"),
            new { workspaceId, start, end, onlyStaff });
        return rows.GroupBy(r => r.StaffId)
            .Select(g => new TaskCompletion(
                g.Key, g.First().StaffName ?? "",
                Due: g.Count(),
                Done: g.Count(r => r.State == StaffTaskStates.Done),
                DoneOnTime: g.Count(r => r.State == StaffTaskStates.Done && r.DoneAt is { } done && done < EndOfLocalDay(r.DueAt, zone)),
                Skipped: g.Count(r => r.State == StaffTaskStates.Skipped),
                Open: g.Count(r => r.State == StaffTaskStates.Open)))
            .OrderByDescending(c => c.Rate).ThenBy(c => c.StaffName, StringComparer.Ordinal).ToList();
    }

    private static DateTimeOffset EndOfLocalDay(DateTimeOffset at, TimeZoneInfo zone)
    {
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime).AddDays(1);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(TimeOnly.MinValue), zone));
    }

    private static async Task<StaffTask?> FindAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid id, Guid? onlyOwnedBy) =>
        await connection.QuerySingleOrDefaultAsync<StaffTask>(
            Select + " WHERE t.workspace_id = @workspaceId AND t.id = @id" + (onlyOwnedBy is null ? "" : " AND t.staff_id = @onlyOwnedBy"),
            new { workspaceId, id, onlyOwnedBy }, transaction);

    private static NotFoundException NotFound(Guid id) => new($"No task {id} for you in this workspace.");

    private sealed class CompletionRow
    {
        public Guid? StaffId { get; init; }
        public string? StaffName { get; init; }
        public string State { get; init; } = "";
        public DateTimeOffset DueAt { get; init; }
        public DateTimeOffset? DoneAt { get; init; }
    }
}
