using Pond.Customers;

namespace Pond.Channels;

/// <summary>A group behind a group live code (群活码), in the order the operator listed them.</summary>
public sealed record GroupSlot(Guid CarrierId, string Status, int Members, int Capacity = GroupRouter.DefaultCapacity);

/// <summary>Where a scan of a group live code goes, and whether the operator should add a group now.</summary>
public sealed record GroupDecision(GroupSlot? Group, bool NearlyFull, string? NoGroupReason);

/// <summary>
/// Chooses the group for a scan: the first active group, in the operator's order, that still has room.
/// New groups appended to the list take over when the earlier ones fill, without changing the printed code.
/// </summary>
public static class GroupRouter
{
    /// <summary>A WeChat group admits people by QR code up to 200 members.</summary>
    public const int DefaultCapacity = 200;

    /// <summary>Warn when at most this share of the total seats is left.</summary>
    public const double NearlyFullShare = 0.1;

    public static GroupDecision Route(IReadOnlyList<GroupSlot> groups)
    {
        var active = groups.Where(g => g.Status == CarrierStatuses.Active).ToList();
        var seats = active.Sum(g => Math.Max(0, g.Capacity - g.Members));
        var capacity = active.Sum(g => g.Capacity);
        var nearlyFull = capacity == 0 || seats <= capacity * NearlyFullShare;
        var open = active.FirstOrDefault(g => g.Members < g.Capacity);
        if (open is not null)
            return new GroupDecision(open, nearlyFull, null);
        var reason = groups.Count == 0 ? "The code has no groups."
            : active.Count == 0 ? "Every group of the code is disabled or dismissed."
            : "Every group of the code is full; add a group to the code.";
        return new GroupDecision(null, true, reason);
    }
}
