using System.Data.Common;
using Dapper;
using Pond.Storage;

namespace Pond.Alerts;

public static class AlertKinds
{
    /// <summary>A live code has no account or group left to send people to: its landing page shows the fallback.</summary>
    public const string LiveCodeBroken = "live_code_broken";

    /// <summary>A group live code's groups are nearly full: add a group before the code breaks.</summary>
    public const string GroupCodeNearlyFull = "group_code_nearly_full";

    /// <summary>WeCom refused to make a contact way for an account of a live code.</summary>
    public const string ContactWayFailed = "contact_way_failed";
}

/// <summary>A problem the console shows until it is resolved.</summary>
public sealed class Alert
{
    public Guid Id { get; init; }
    public string Kind { get; init; } = "";
    public Guid SubjectId { get; init; }
    public string Message { get; init; } = "";
    public DateTimeOffset RaisedAt { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }
}

/// <summary>
/// Console alerts: at most one open alert per kind and subject (raising again keeps the first, so the time
/// says how long it has been broken); resolving closes it and keeps it on record.
/// </summary>
public sealed class AlertBoard(Database database, TimeProvider clock)
{
    public async Task RaiseAsync(Guid workspaceId, string kind, Guid subjectId, string message, DbConnection? connection = null, DbTransaction? transaction = null)
    {
        await using var owned = connection is null ? await database.OpenAsync() : null;
        await (connection ?? owned!).ExecuteAsync(
            """
            INSERT INTO alerts (id, workspace_id, kind, subject_id, message, raised_at)
            SELECT @id, @workspaceId, @kind, @subjectId, @message, @now
            WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE workspace_id = @workspaceId AND kind = @kind AND subject_id = @subjectId AND resolved_at IS NULL)
            ON CONFLICT DO NOTHING
            """, new { id = Guid.CreateVersion7(), workspaceId, kind, subjectId, message, now = clock.GetUtcNow() }, transaction);
    }

    public async Task ResolveAsync(Guid workspaceId, string kind, Guid subjectId, DbConnection? connection = null, DbTransaction? transaction = null)
    {
        await using var owned = connection is null ? await database.OpenAsync() : null;
        await (connection ?? owned!).ExecuteAsync(
            "UPDATE alerts SET resolved_at = @now WHERE workspace_id = @workspaceId AND kind = @kind AND subject_id = @subjectId AND resolved_at IS NULL",
            new { workspaceId, kind, subjectId, now = clock.GetUtcNow() }, transaction);
    }

    public async Task<IReadOnlyList<Alert>> OpenAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<Alert>(
            "SELECT id, kind, subject_id, message, raised_at, resolved_at FROM alerts WHERE workspace_id = @workspaceId AND resolved_at IS NULL ORDER BY raised_at DESC",
            new { workspaceId })).AsList();
    }
}
