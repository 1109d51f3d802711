using System.Data.Common;
using Pond.Storage;

namespace Pond.Commerce;

/// <summary>
/// The transaction an order or refund is being recorded in. Effects write with <see cref="Connection"/> and
/// <see cref="Transaction"/> only, so the order and everything it causes commit or roll back together.
/// </summary>
public sealed class OrderEffectContext(Database database, DbConnection connection, DbTransaction transaction, DateTimeOffset now)
{
    public Database Database { get; } = database;
    public DbConnection Connection { get; } = connection;
    public DbTransaction Transaction { get; } = transaction;
    public DateTimeOffset Now { get; } = now;

    /// <summary>Customers whose coupons, points or tier changed; the recorder tells the audience engine after commit.</summary>
    public HashSet<Guid> Touched { get; } = [];

    /// <summary>What an effect could not do and the caller should know (a coupon already used elsewhere), returned with the order.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Work to do once the transaction has committed (notify a worker, publish an event).</summary>
    public List<Func<Task>> AfterCommit { get; } = [];

    /// <summary>Set when the order book put events on the log, so the processor is woken once the transaction commits.</summary>
    internal bool LoggedEvents { get; set; }
}

/// <summary>
/// Something an order causes: coupon redemption, points earned, tier re-evaluated. Effects run in
/// <see cref="Stage"/> order inside the recording transaction, once per order (the order id is the idempotency
/// key: a repeated order never reaches the effects) and once per refund.
/// </summary>
public interface IOrderEffect
{
    /// <summary>Coupons 100, points 200, tiers 300: later stages see what earlier ones wrote.</summary>
    int Stage { get; }

    Task OrderRecordedAsync(OrderEffectContext context, RecordedOrder order);

    Task OrderRefundedAsync(OrderEffectContext context, RecordedOrder order, RecordedRefund refund);
}
