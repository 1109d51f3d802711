using Dapper;
using Pond.Storage;

namespace Pond.Server.Components.Pages;

/// <summary>The home page's live counts that are not rollups: range counts over indexed times, and the newest customers.</summary>
internal sealed class WorkspaceOverview
{
    public long NewCustomers7Days { get; private init; }
    public long Events24Hours { get; private init; }
    public IReadOnlyList<NewestCustomer> Newest { get; private init; } = [];

    public sealed class NewestCustomer
    {
        public Guid Id { get; init; }
        public string? DisplayName { get; init; }
        public int Depth { get; init; }
        public DateTimeOffset FirstSeenAt { get; init; }
    }

    public static async Task<WorkspaceOverview> LoadAsync(Database database, Guid workspaceId, DateTimeOffset now)
    {
        await using var connection = await database.OpenAsync();
        var newCustomers = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM customers WHERE workspace_id = @workspaceId AND first_seen_at >= @since",
            new { workspaceId, since = now.AddDays(-7) });
        var events = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM customer_events WHERE workspace_id = @workspaceId AND occurred_at >= @since",
            new { workspaceId, since = now.AddHours(-24) });
        var newest = await connection.QueryAsync<NewestCustomer>(
            """
            SELECT id, display_name, depth, first_seen_at FROM customers
            WHERE workspace_id = @workspaceId ORDER BY first_seen_at DESC, id DESC LIMIT 8
            """, new { workspaceId });
        return new WorkspaceOverview { NewCustomers7Days = newCustomers, Events24Hours = events, Newest = newest.AsList() };
    }
}
