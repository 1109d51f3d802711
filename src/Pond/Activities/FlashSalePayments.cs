using System.Data.Common;

namespace Pond.Activities;

/// <summary>Records the order of a paid flash-sale reservation inside the payment's transaction.</summary>
internal sealed class FlashSalePayments
{
    private long _recorded;

    public long Recorded => Interlocked.Read(ref _recorded);

    /// <summary>Returns work to run after commit.</summary>
    public Task<Func<Task>> RecordAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset now, FlashSale sale, FlashReservation reservation, string orderId, string actor)
    {
        Interlocked.Increment(ref _recorded);
        return Task.FromResult<Func<Task>>(() => Task.CompletedTask);
    }
}
