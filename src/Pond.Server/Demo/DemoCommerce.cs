using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Pond.Commerce;
using Pond.Storage;

namespace Pond.Server.Demo;

/// <summary>
/// The demo brand's orders: its history was bulk-loaded onto the timeline as Order Completed events, so they are
/// recorded here through the order book (attribution, coupons, points, tiers) exactly as the processor would have,
/// a transaction per thousand orders. Staff get tracking codes; a few recent orders carry them, a few are refunded.
/// </summary>
internal static class DemoCommerce
{
    private const int OrdersPerTransaction = 1000;

    public sealed record Result(int Orders, int Refunds, long GmvFen);

    public static async Task<Result> SetUpAsync(IServiceProvider services, Guid workspaceId, CancellationToken cancellationToken = default)
    {
        var database = services.GetRequiredService<Database>();
        var book = services.GetRequiredService<OrderBook>();
        var clock = services.GetRequiredService<TimeProvider>();
        await using var connection = await database.OpenAsync(cancellationToken);

        var staff = (await connection.QueryAsync<Guid>("SELECT id FROM staff WHERE workspace_id = @workspaceId AND tracking_code IS NULL ORDER BY id", new { workspaceId })).AsList();
        foreach (var id in staff)
            await connection.ExecuteAsync("UPDATE staff SET tracking_code = @code WHERE id = @id", new { id, code = "s" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant() });
        var codes = (await connection.QueryAsync<string>("SELECT tracking_code FROM staff WHERE workspace_id = @workspaceId AND status = 'active' ORDER BY name", new { workspaceId })).AsList();

        // Every timeline order; those the processor recorded already (the simulator's) are found by their order id and skipped.
        var pending = (await connection.QueryAsync<TimelineOrder>(
            """
            SELECT e.customer_id, e.message_id, e.occurred_at, e.properties FROM customer_events e
            WHERE e.workspace_id = @workspaceId AND e.name = 'Order Completed'
            ORDER BY e.occurred_at, e.id
            """, new { workspaceId })).AsList();

        var recorded = 0;
        long gmv = 0;
        var random = new Random(20261123);
        var now = clock.GetUtcNow();
        for (var start = 0; start < pending.Count; start += OrdersPerTransaction)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using var transaction = await OrderBook.BeginWriteAsync(connection);
            var context = new OrderEffectContext(database, connection, transaction, now);
            foreach (var row in pending.Skip(start).Take(OrdersPerTransaction))
            {
                using var document = JsonDocument.Parse(row.Properties);
                var input = OrderEventReader.ReadOrder(document.RootElement, row.MessageId, row.OccurredAt);
                // A guide's link behind one recent mini-program order in five.
                if (codes.Count > 0 && input.SalesChannel == SalesChannels.MiniProgram && row.OccurredAt > now.AddDays(-60) && random.NextDouble() < 0.2)
                    input = With(input, codes[random.Next(codes.Count)]);
                try
                {
                    var result = await book.RecordInAsync(context, workspaceId, row.CustomerId, input);
                    if (result.Created)
                    {
                        recorded++;
                        gmv += result.Order.Paid;
                    }
                }
                catch (ValidationFailedException)
                {
                    // A timeline row that is not a recordable order stays on the timeline only.
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }

        // About one order in forty comes back: half whole, half one item.
        var refunds = 0;
        var candidates = (await connection.QueryAsync<string>(
            "SELECT order_id FROM orders WHERE workspace_id = @workspaceId AND placed_at > @since ORDER BY id", new { workspaceId, since = now.AddDays(-120) })).AsList();
        foreach (var orderId in candidates.Where((_, i) => i % 40 == 7))
        {
            var order = await book.FindAsync(workspaceId, orderId);
            if (order is null || order.Refunded > 0)
                continue;
            var input = order.Lines.Count > 1 && refunds % 2 == 0
                ? new RefundInput { RefundId = "demo-" + orderId, Items = [new RefundLineInput(order.Lines[^1].Line, null, 1)], Reason = "尺码不合适", RefundedAt = order.PlacedAt.AddDays(3) }
                : new RefundInput { RefundId = "demo-" + orderId, Reason = "不想要了", RefundedAt = order.PlacedAt.AddDays(2) };
            if (input.RefundedAt > now)
                input = new RefundInput { RefundId = input.RefundId, Items = input.Items, Reason = input.Reason, RefundedAt = now };
            await book.RefundAsync(workspaceId, orderId, input, "demo", cancellationToken);
            refunds++;
        }

        return new Result(recorded, refunds, gmv);
    }

    private static OrderInput With(OrderInput input, string trackingCode) => new()
    {
        OrderId = input.OrderId, PlacedAt = input.PlacedAt, SalesChannel = input.SalesChannel, PrivateDomain = input.PrivateDomain, Currency = input.Currency,
        Items = input.Items, Paid = input.Paid, Discount = input.Discount, Shipping = input.Shipping, CouponCodes = input.CouponCodes,
        TrackingCode = trackingCode, ChannelCode = input.ChannelCode, Source = input.Source,
    };

    private sealed class TimelineOrder
    {
        public Guid CustomerId { get; init; }
        public string MessageId { get; init; } = "";
        public DateTimeOffset OccurredAt { get; init; }
        public string Properties { get; init; } = "{}";
    }
}
