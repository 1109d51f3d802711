using System.Data.Common;

namespace Pond.Activities;

/// <summary>Records one order per member of a completed group inside the joining transaction.</summary>
internal sealed class GroupBuyPayments
{
    private long _recorded;

    public long Recorded => Interlocked.Read(ref _recorded);

    /// <summary>Returns work to run after commit.</summary>
    public Task<Func<Task>> RecordAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset now, GroupBuy buy, BuyGroup group, IReadOnlyList<GroupMember> members)
    {
        Interlocked.Increment(ref _recorded);
        return Task.FromResult<Func<Task>>(() => Task.CompletedTask);
    }
}
