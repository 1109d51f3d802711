using System.Data.Common;
using System.Text.Json;
using Dapper;
using Pond.Storage;

namespace Pond.Workspaces;

/// <summary>Who changed what: every admin or operator change records a row here.</summary>
public sealed class AuditLog(Database database, TimeProvider clock)
{
    public sealed class Entry
    {
        public Guid Id { get; init; }
        public string Actor { get; init; } = "";
        public string Action { get; init; } = "";
        public string? Target { get; init; }
        public string? Details { get; init; }
        public DateTimeOffset At { get; init; }
    }

    public async Task RecordAsync(Guid workspaceId, string actor, string action, string? target, object? details = null,
        DbConnection? connection = null, DbTransaction? transaction = null)
    {
        const string sql = """
            INSERT INTO audit_log (id, workspace_id, actor, action, target, details, at)
            VALUES (@Id, @WorkspaceId, @Actor, @Action, @Target, @Details, @At)
            """;
        var row = new
        {
            Id = Guid.CreateVersion7(),
            WorkspaceId = workspaceId,
            Actor = actor,
            Action = action,
            Target = target,
            Details = details is null ? null : JsonSerializer.Serialize(details),
            At = clock.GetUtcNow(),
        };
        if (connection is not null)
        {
            await connection.ExecuteAsync(sql, row, transaction);
            return;
        }

        await using var own = await database.OpenAsync();
        await own.ExecuteAsync(sql, row);
    }

    public async Task<IReadOnlyList<Entry>> RecentAsync(Guid workspaceId, int limit = 100)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<Entry>(
            "SELECT id, actor, action, target, details, at FROM audit_log WHERE workspace_id = @workspaceId ORDER BY at DESC LIMIT @limit",
            new { workspaceId, limit });
        return rows.AsList();
    }
}
