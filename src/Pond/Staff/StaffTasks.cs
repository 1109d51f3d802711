using System.Data.Common;
using Dapper;

namespace Pond.Staff;

public static class StaffTaskKinds
{
    /// <summary>Follow up with one customer (a journey's task step).</summary>
    public const string FollowUp = "follow_up";

    /// <summary>Send prepared content to a group chat (group SOP).</summary>
    public const string GroupSop = "group_sop";

    /// <summary>Post to moments (朋友圈) from a staff account (moments SOP).</summary>
    public const string MomentsSop = "moments_sop";

    /// <summary>Send prepared content to one customer N days after they added (customer SOP).</summary>
    public const string CustomerSop = "customer_sop";
}

public static class StaffTaskStates
{
    public const string Open = "open";
    public const string Done = "done";
    public const string Skipped = "skipped";
}

/// <summary>A task to create: who does it (null staff = the customer's owner, or unassigned), for whom, with what content.</summary>
public sealed record StaffTaskInput(
    Guid WorkspaceId, Guid? StaffId, Guid? CustomerId, string? GroupChatId, string Kind, string Title, string? Body, Guid? ContentId,
    string Source, string DedupeKey, DateTimeOffset DueAt);

/// <summary>Creating staff tasks inside another feature's transaction (a journey step, an SOP plan).</summary>
public static class StaffTasks
{
    /// <summary>
    /// Writes the task in the caller's transaction; a repeated dedupe key writes nothing and returns false. A task for a
    /// customer with no staff named goes to the customer's owner.
    /// </summary>
    public static async Task<bool> CreateInAsync(DbConnection connection, DbTransaction transaction, StaffTaskInput task, DateTimeOffset now) =>
        await connection.ExecuteAsync(
            """
            INSERT INTO staff_tasks (id, workspace_id, staff_id, customer_id, group_chat_id, kind, title, body, content_id, source, dedupe_key, state, due_at, created_at)
            VALUES (@id, @WorkspaceId, COALESCE(@StaffId, (SELECT owner_staff_id FROM customers WHERE id = @CustomerId)), @CustomerId, @GroupChatId, @Kind,
                    @Title, @Body, @ContentId, @Source, @DedupeKey, 'open', @DueAt, @now)
            ON CONFLICT DO NOTHING
            """,
            new
            {
                id = Guid.CreateVersion7(), task.WorkspaceId, task.StaffId, task.CustomerId, task.GroupChatId, task.Kind, task.Title, task.Body,
                task.ContentId, task.Source, task.DedupeKey, task.DueAt, now,
            },
            transaction) == 1;
}
