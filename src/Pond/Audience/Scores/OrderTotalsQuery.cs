using System.Data.Common;
using System.Text.Json;
using Dapper;
using Pond.Storage;

namespace Pond.Audience.Scores;

/// <summary>
/// Where the score engine's orders come from: until orders have a table of their own, the customers' track events
/// named Order Completed in customer_events, with the amount in <c>revenue</c> (else <c>total</c>) in yuan. The one
/// class to change when orders get a table. Aggregates in SQL, one row per buyer, so a million customers never
/// travel to the engine as individual orders.
/// </summary>
internal sealed class OrderTotalsQuery(Database database)
{
    public const string OrderEvent = "Order Completed";

    /// <summary>Every buyer of the workspace (all of them: <paramref name="customerIds"/> null) or just the ones listed.</summary>
    public async Task<List<OrderTotals>> LoadAsync(
        DbConnection connection, Guid workspaceId, long rfmFrom, long loyalFrom, IReadOnlyCollection<Guid>? customerIds = null, long? ordersUpTo = null)
    {
        var filter = (customerIds is null ? "" : "AND customer_id " + InList()) + (ordersUpTo is null ? "" : " AND occurred_at <= @ordersUpTo");
        var sql = $"""
            WITH orders AS (
                SELECT customer_id, occurred_at, {FenExpression()} AS fen
                FROM customer_events
                WHERE workspace_id = @workspaceId AND name = '{OrderEvent}' {filter}
            )
            SELECT customer_id AS CustomerId,
                   COUNT(*) AS Orders,
                   MIN(occurred_at) AS FirstOrderAt,
                   MAX(occurred_at) AS LastOrderAt,
                   CAST(SUM(CASE WHEN occurred_at >= @rfmFrom THEN 1 ELSE 0 END) AS BIGINT) AS WindowOrders,
                   CAST(SUM(CASE WHEN occurred_at >= @rfmFrom THEN fen ELSE 0 END) AS BIGINT) AS WindowFen,
                   CAST(SUM(CASE WHEN occurred_at >= @loyalFrom THEN 1 ELSE 0 END) AS BIGINT) AS LoyalOrders,
                   CAST(SUM(CASE WHEN occurred_at >= @loyalFrom THEN fen ELSE 0 END) AS BIGINT) AS LoyalFen
            FROM orders GROUP BY customer_id
            """;
        object? ids = customerIds is null ? null
            : database.IsSqlite ? JsonSerializer.Serialize(customerIds.Select(i => i.ToString())) : customerIds.ToArray();
        return (await connection.QueryAsync<OrderTotals>(new CommandDefinition(sql, new { workspaceId, rfmFrom, loyalFrom, ids, ordersUpTo }, commandTimeout: 600))).AsList();
    }

    /// <summary>Every order of the workspace, one row each (for replaying history day by day).</summary>
    public async Task<List<OrderRow>> OrdersAsync(DbConnection connection, Guid workspaceId) =>
        (await connection.QueryAsync<OrderRow>(new CommandDefinition(
            $"SELECT customer_id AS CustomerId, occurred_at AS OccurredAt, {FenExpression()} AS Fen FROM customer_events WHERE workspace_id = @workspaceId AND name = '{OrderEvent}'",
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

    /// <summary>The order's amount in fen: revenue, else total, a JSON number or numeric string in yuan; anything else counts 0.</summary>
    private string FenExpression() => database.IsSqlite
        ? """
          CAST(ROUND(COALESCE(
              CASE WHEN json_valid(properties) THEN CAST(json_extract(properties, '$.revenue') AS REAL) END,
              CASE WHEN json_valid(properties) THEN CAST(json_extract(properties, '$.total') AS REAL) END,
              0) * 100) AS BIGINT)
          """
        : """
          CAST(ROUND(COALESCE(
              CASE WHEN (properties::jsonb ->> 'revenue') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN (properties::jsonb ->> 'revenue')::numeric END,
              CASE WHEN (properties::jsonb ->> 'total') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN (properties::jsonb ->> 'total')::numeric END,
              0) * 100) AS BIGINT)
          """;
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
