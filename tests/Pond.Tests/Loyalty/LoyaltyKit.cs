using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Pond.Commerce;
using Pond.Loyalty;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Loyalty;

/// <summary>
/// Orders and refunds the way the order book records them: the orders row written and every <see cref="IOrderEffect"/>
/// run in stage order inside one transaction (BEGIN IMMEDIATE on SQLite), with the test's clock.
/// </summary>
internal static class LoyaltyKit
{
    public static async Task<RecordedOrder> OrderAsync(this TestWorkspace ws, Guid customerId, string orderId, decimal paid, DateTimeOffset? placedAt = null)
    {
        var server = ws.Server;
        var now = server.Service<TimeProvider>().GetUtcNow();
        var order = new RecordedOrder
        {
            Id = Guid.CreateVersion7(), WorkspaceId = ws.Id, OrderId = orderId, CustomerId = customerId, PlacedAt = placedAt ?? now,
            SalesChannel = SalesChannels.MiniProgram, PrivateDomain = true, Subtotal = Money.ToFen(paid), Discount = 0, Shipping = 0, Paid = Money.ToFen(paid),
            Lines = [new OrderLine(1, "SKU-1", "Thing", "general", Money.ToFen(paid), 1, Money.ToFen(paid))], CouponCodes = [], Source = OrderSources.Api,
        };
        await InTransactionAsync(server, now, async context =>
        {
            await context.Connection.ExecuteAsync(
                """
                INSERT INTO orders (id, workspace_id, order_id, customer_id, placed_at, sales_channel, private_domain, currency, subtotal, discount, shipping, paid,
                                    refunded, status, source, created_at, updated_at)
                VALUES (@Id, @WorkspaceId, @OrderId, @CustomerId, @PlacedAt, @SalesChannel, @PrivateDomain, 'CNY', @Subtotal, 0, 0, @Paid, 0, 'completed', 'api', @now, @now)
                """, new { order.Id, order.WorkspaceId, order.OrderId, order.CustomerId, order.PlacedAt, order.SalesChannel, order.PrivateDomain, order.Subtotal, order.Paid, now },
                context.Transaction);
            foreach (var effect in server.App.Services.GetServices<IOrderEffect>().OrderBy(e => e.Stage))
                await effect.OrderRecordedAsync(context, order);
        });
        return order;
    }

    /// <summary>Refunds <paramref name="amount"/> yuan of the order (after what was refunded before); Full when everything is now refunded.</summary>
    public static async Task<IReadOnlyList<string>> RefundAsync(this TestWorkspace ws, RecordedOrder order, string refundId, decimal amount, long refundedBefore)
    {
        var server = ws.Server;
        var now = server.Service<TimeProvider>().GetUtcNow();
        var fen = Money.ToFen(amount);
        var refund = new RecordedRefund
        {
            Id = Guid.CreateVersion7(), RefundId = refundId, Amount = fen, Lines = [], RefundedAt = now, RefundedTotal = refundedBefore + fen,
            Full = refundedBefore + fen >= order.Paid,
        };
        var warnings = new List<string>();
        await InTransactionAsync(server, now, async context =>
        {
            await context.Connection.ExecuteAsync(
                "UPDATE orders SET refunded = refunded + @fen, status = @status WHERE id = @id",
                new { fen, id = order.Id, status = refund.Full ? OrderStatuses.Refunded : OrderStatuses.PartiallyRefunded }, context.Transaction);
            foreach (var effect in server.App.Services.GetServices<IOrderEffect>().OrderBy(e => e.Stage))
                await effect.OrderRefundedAsync(context, order, refund);
            warnings.AddRange(context.Warnings);
        });
        return warnings;
    }

    private static async Task InTransactionAsync(PondServer server, DateTimeOffset now, Func<OrderEffectContext, Task> work)
    {
        var database = server.Service<Database>();
        await using var connection = await database.OpenAsync();
        await using var transaction = await LoyaltyDb.BeginAsync(database, connection);
        var context = new OrderEffectContext(database, connection, transaction, now);
        await work(context);
        await transaction.CommitAsync();
    }

    public static async Task SetRulesAsync(this HttpClient client, object rules) =>
        await (await client.PutAsJsonAsync("/api/loyalty/rules", rules)).ReadAsync<JsonElement>();

    public static async Task<long> BalanceAsync(this HttpClient client, Guid customerId) =>
        (await client.GetAsync<JsonElement>($"/api/customers/{customerId}/points")).GetProperty("balance").GetInt64();

    public static async Task<Guid> TierAsync(this HttpClient client, object tier) =>
        (await (await client.PostAsJsonAsync("/api/loyalty/tiers", tier)).ReadAsync<JsonElement>(System.Net.HttpStatusCode.Created)).GetProperty("id").GetGuid();

    /// <summary>Ledger invariants: the amounts add up to the balance, and the unused lots hold exactly the balance.</summary>
    public static async Task<(long Balance, long LedgerSum, long Lots, long Debt)> BooksAsync(this PondServer server, Guid customerId)
    {
        await using var connection = await server.Service<Database>().OpenAsync();
        var row = await connection.QuerySingleAsync<BooksRow>(
            """
            SELECT (SELECT COALESCE(MAX(balance), 0) FROM points_balances WHERE customer_id = @customerId) AS Balance,
                   (SELECT COALESCE(MAX(debt), 0) FROM points_balances WHERE customer_id = @customerId) AS Debt,
                   (SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM points_ledger WHERE customer_id = @customerId) AS LedgerSum,
                   (SELECT CAST(COALESCE(SUM(remaining), 0) AS BIGINT) FROM points_lots WHERE customer_id = @customerId) AS Lots
            """, new { customerId });
        return (row.Balance, row.LedgerSum, row.Lots, row.Debt);
    }

    internal sealed class BooksRow
    {
        public long Balance { get; init; }
        public long LedgerSum { get; init; }
        public long Lots { get; init; }
        public long Debt { get; init; }
    }
}
