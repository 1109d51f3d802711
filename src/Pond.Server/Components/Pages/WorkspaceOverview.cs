using Dapper;
using Pond.Customers;
using Pond.Storage;

namespace Pond.Server.Components.Pages;

/// <summary>The numbers on the home page, read straight from the tables with one connection.</summary>
internal sealed class WorkspaceOverview
{
    public long Customers { get; private init; }
    public long Friends { get; private init; }
    public long Community { get; private init; }
    public long Fans { get; private init; }
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

    private sealed class DepthCount
    {
        public int Depth { get; init; }
        public long Count { get; init; }
    }

    public static async Task<WorkspaceOverview> LoadAsync(Database database, Guid workspaceId, DateTimeOffset now)
    {
        await using var connection = await database.OpenAsync();
        var depths = (await connection.QueryAsync<DepthCount>(
            "SELECT depth, COUNT(*) AS count FROM customers WHERE workspace_id = @workspaceId GROUP BY depth",
            new { workspaceId })).ToDictionary(d => (Depth)d.Depth, d => d.Count);
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

        return new WorkspaceOverview
        {
            Customers = depths.Values.Sum(),
            Friends = depths.GetValueOrDefault(Depth.Friend),
            Community = depths.GetValueOrDefault(Depth.Community),
            Fans = depths.GetValueOrDefault(Depth.Fan),
            NewCustomers7Days = newCustomers,
            Events24Hours = events,
            Newest = newest.AsList(),
        };
    }
}
