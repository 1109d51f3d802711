using System.Data.Common;
using System.Text.Json;
using Dapper;
using Pond.Storage;

namespace Pond.Audience.Scores;

/// <summary>
/// Where the score engine's orders come from: the orders table (docs/admin-api.md "Orders"), one row per order
/// however it arrived (API, Order Completed event, CSV import, flash sale, group buy). An order counts at its
/// placed_at for what was kept: paid − refunded, in fen; a wholly refunded order (status refunded) is no order at
/// all. Aggregates in SQL, one row per buyer, so a million customers never travel to the engine as individual orders.
/// The incremental feed (<see cref="AfterAsync"/>) follows the customers' Order Completed timeline rows instead
/// (ids in a partial index): the processor writes them once the order book has recorded the order, so when a feed
/// row is visible the orders table already has its order. A refund is not on that feed: the refunded customer's
/// score changes at the next full run (the nightly one, a settings change, or a recompute) or their next order.
/// </summary>
internal sealed class OrderTotalsQuery(Database database)
{
    public const string OrderEvent = "Order Completed";

    /// <summary>The orders that count, with their placed_at as occurred_at and what was kept as fen.</summary>
    private const string Counted =
        """
        SELECT customer_id, placed_at AS occurred_at, paid - refunded AS fen
        FROM orders
        WHERE workspace_id = @workspaceId AND status <> 'refunded'
        """;

    /// <summary>Every buyer of the workspace (all of them: <paramref name="customerIds"/> null) or just the ones listed.</summary>
    public async Task<List<OrderTotals>> LoadAsync(
        DbConnection connection, Guid workspaceId, long rfmFrom, long loyalFrom, IReadOnlyCollection<Guid>? customerIds = null, long? ordersUpTo = null)
    {
        var filter = (customerIds is null ? "" : " AND customer_id " + InList()) + (ordersUpTo is null ? "" : " AND placed_at <= @ordersUpTo");
        var sql = $"""
            WITH counted AS (
                {Counted}{filter}
            )
            SELECT customer_id AS CustomerId,
                   COUNT(*) AS Orders,
                   MIN(occurred_at) AS FirstOrderAt,
                   MAX(occurred_at) AS LastOrderAt,
                   CAST(SUM(CASE WHEN occurred_at >= @rfmFrom THEN 1 ELSE 0 END) AS BIGINT) AS WindowOrders,
                   CAST(SUM(CASE WHEN occurred_at >= @rfmFrom THEN fen ELSE 0 END) AS BIGINT) AS WindowFen,
                   CAST(SUM(CASE WHEN occurred_at >= @loyalFrom THEN 1 ELSE 0 END) AS BIGINT) AS LoyalOrders,
                   CAST(SUM(CASE WHEN occurred_at >= @loyalFrom THEN fen ELSE 0 END) AS BIGINT) AS LoyalFen
            FROM counted GROUP BY customer_id
            """;
        object? ids = customerIds is null ? null
            : database.IsSqlite ? JsonSerializer.Serialize(customerIds.Select(i => i.ToString())) : customerIds.ToArray();
        return (await connection.QueryAsync<OrderTotals>(new CommandDefinition(sql, new { workspaceId, rfmFrom, loyalFrom, ids, ordersUpTo }, commandTimeout: 600))).AsList();
    }

    /// <summary>
    /// Every order of the workspace that counts, one row each (for replaying history day by day). Refunds are as
    /// they stand today: a replayed day sees an order refunded later as already refunded.
    /// </summary>
    public static async Task<List<OrderRow>> OrdersAsync(DbConnection connection, Guid workspaceId) =>
        (await connection.QueryAsync<OrderRow>(new CommandDefinition(
            $"SELECT customer_id AS CustomerId, occurred_at AS OccurredAt, fen AS Fen FROM ({Counted}) counted",
            new { workspaceId }, commandTimeout: 600))).AsList();

    /// <summary>What <see cref="LoadAsync"/> would answer as of <paramref name="atMs"/>, from orders already in memory.</summary>
    public static List<OrderTotals> TotalsAt(IEnumerable<IGrouping<Guid, OrderRow>> ordersByCustomer, long atMs, long rfmFrom, long loyalFrom)
    {
        var totals = new List<OrderTotals>();
        foreach (var customer in ordersByCustomer)
        {
            long orders = 0, first = long.MaxValue, last = long.MinValue, windowOrders = 0, windowFen = 0, loyalOrders = 0, loyalFen = 0;
            foreach (var order in customer)
            {
                if (order.OccurredAt > atMs)
                    continue;
                orders++;
                first = Math.Min(first, order.OccurredAt);
                last = Math.Max(last, order.OccurredAt);
                if (order.OccurredAt >= rfmFrom)
                {
                    windowOrders++;
                    windowFen += order.Fen;
                }

                if (order.OccurredAt >= loyalFrom)
                {
                    loyalOrders++;
                    loyalFen += order.Fen;
                }
            }

            if (orders > 0)
            {
                totals.Add(new OrderTotals
                {
                    CustomerId = customer.Key, Orders = orders, FirstOrderAt = first, LastOrderAt = last,
                    WindowOrders = windowOrders, WindowFen = windowFen, LoyalOrders = loyalOrders, LoyalFen = loyalFen,
                });
            }
        }

        return totals;
    }

    /// <summary>New orders after <paramref name="afterId"/> (every workspace), oldest first: the incremental feed.</summary>
    public static async Task<List<NewOrder>> AfterAsync(DbConnection connection, long afterId, int limit) =>
        (await connection.QueryAsync<NewOrder>(
            $"SELECT id AS Id, workspace_id AS WorkspaceId, customer_id AS CustomerId FROM customer_events WHERE name = '{OrderEvent}' AND id > @afterId ORDER BY id LIMIT @limit",
            new { afterId, limit })).AsList();

    public static async Task<long> LastIdAsync(DbConnection connection) =>
        await connection.ExecuteScalarAsync<long?>($"SELECT MAX(id) FROM customer_events WHERE name = '{OrderEvent}'") ?? 0;

    private string InList() => database.IsSqlite ? "IN (SELECT value FROM json_each(@ids))" : "= ANY(@ids)";
}

internal sealed class NewOrder
{
    public long Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public Guid CustomerId { get; init; }
}

internal sealed class OrderRow
{
    public Guid CustomerId { get; init; }
    public long OccurredAt { get; init; }
    public long Fen { get; init; }
}
