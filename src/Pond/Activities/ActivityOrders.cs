using System.Data.Common;
using Pond.Commerce;
using Pond.Storage;

namespace Pond.Activities;

/// <summary>
/// Records the orders activities cause — a paid flash-sale reservation, every member of a completed group — through the
/// order book inside the activity's own transaction, so the reservation or group and its orders commit together.
/// </summary>
internal sealed class ActivityOrders(Database database, OrderBook orders)
{
    /// <summary>Returns the work to run once the caller's transaction has committed.</summary>
    public async Task<Func<Task>> FlashSaleAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset now, FlashSale sale, FlashReservation reservation, string orderId)
    {
        var context = new OrderEffectContext(database, connection, transaction, now);
        await orders.RecordInAsync(context, sale.WorkspaceId, reservation.CustomerId,
            Input(orderId, reservation.CustomerId, now, sale.Sku, sale.ProductName, sale.Category, reservation.Price, OrderSources.FlashSale));
        return () => orders.AfterCommitAsync(context, sale.WorkspaceId);
    }

    public async Task<Func<Task>> GroupAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset now, GroupBuy buy, BuyGroup group, IReadOnlyList<GroupMember> members)
    {
        var context = new OrderEffectContext(database, connection, transaction, now);
        foreach (var member in members)
            await orders.RecordInAsync(context, buy.WorkspaceId, member.CustomerId,
                Input(GroupBuys.OrderId(group, member), member.CustomerId, now, buy.Sku, buy.ProductName, buy.Category, member.PaidAmount, OrderSources.GroupBuy));
        return () => orders.AfterCommitAsync(context, buy.WorkspaceId);
    }

    private static OrderInput Input(string orderId, Guid customerId, DateTimeOffset now, string sku, string name, string? category, long price, string source) => new()
    {
        OrderId = orderId, CustomerId = customerId, PlacedAt = now, SalesChannel = SalesChannels.MiniProgram, PrivateDomain = true,
        Items = [new OrderLineInput(sku, name, category, Money.FromFen(price), 1)], Paid = Money.FromFen(price), Source = source,
    };
}
