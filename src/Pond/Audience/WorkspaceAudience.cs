using System.Text.Json;
using Pond.Customers;

namespace Pond.Audience;

/// <summary>A carrier as rules see it: its kind and the staff member holding it.</summary>
internal sealed record CarrierFacts(string Kind, Guid? OwnerStaffId);

/// <summary>A customer's profile as the index stores it (read from the database).</summary>
internal sealed class ProfileRow
{
    public Guid Id { get; init; }
    public string Traits { get; init; } = "{}";
    public Guid? OwnerStaffId { get; init; }
    public int Depth { get; init; }
    public bool MarketingOptOut { get; init; }
}

/// <summary>A customer's points balance and tier (loyalty), for the index.</summary>
internal sealed class LoyaltyRow
{
    public Guid CustomerId { get; init; }
    public long? Balance { get; init; }
    public Guid? TierId { get; init; }
}

/// <summary>One issued coupon, for the index.</summary>
internal sealed class CouponRow
{
    public Guid CustomerId { get; init; }
    public Guid TemplateId { get; init; }
    public string Status { get; init; } = "";
    public DateTimeOffset ValidTo { get; init; }
    public DateTimeOffset? RedeemedAt { get; init; }
    public DateTimeOffset? ExpiredAt { get; init; }
}

/// <summary>A coupon as rules see it: its template (a code into the template list), state and times in Unix seconds.</summary>
internal readonly record struct CouponFact(int Template, CouponState State, uint ValidTo, uint At);

internal sealed class ScoreRow
{
    public Guid CustomerId { get; init; }
    public int? R { get; init; }
    public int? F { get; init; }
    public int? M { get; init; }
    public string? RfmCell { get; init; }
    public string LifecycleStage { get; init; } = LifecycleStages.New;
}

/// <summary>
/// The in-memory, columnar audience of one workspace: every customer gets a dense ordinal, and each
/// attribute rules look at is an array or bitset over the ordinals. The database stays the source of
/// truth; this is rebuilt from it at start and kept current from the change feed. One writer (the
/// audience engine) changes it under the write lock; rule evaluation reads under the read lock.
/// </summary>
internal sealed class WorkspaceAudience(Guid workspaceId, TimeZoneInfo zone)
{
    private readonly Dictionary<Guid, int> _ordinals = [];
    private Guid[] _ids = new Guid[1024];

    public Guid WorkspaceId { get; } = workspaceId;
    public TimeZoneInfo Zone { get; } = zone;
    public ReaderWriterLockSlim Lock { get; } = new();

    /// <summary>Ordinals handed out so far (including customers since merged away, who are not <see cref="Alive"/>).</summary>
    public int Count { get; private set; }
    public int Capacity { get; private set; } = 1024;
    public BitSet Alive { get; } = new(1024);
    public BitSet OptedOut { get; } = new(1024);
    public byte[] Depth { get; private set; } = new byte[1024];

    /// <summary>Owner staff as a code into <see cref="Staff"/>; 0 = no owner.</summary>
    public int[] Owner { get; private set; } = new int[1024];
    public Dictionary<Guid, int> Staff { get; } = [];

    /// <summary>RFM scores 1–5 (0 = none), the RFM cell as 1 + its index in <see cref="RfmCells.Codes"/> (0 = none), the lifecycle stage as its index in <see cref="LifecycleStages.All"/>.</summary>
    public byte[] R { get; private set; } = new byte[1024];
    public byte[] F { get; private set; } = new byte[1024];
    public byte[] M { get; private set; } = new byte[1024];
    public byte[] Cell { get; private set; } = new byte[1024];
    public byte[] Stage { get; private set; } = new byte[1024];

    /// <summary>Points balance; member tier as a code into <see cref="Tiers"/> (0 = none).</summary>
    public long[] Points { get; private set; } = new long[1024];
    public int[] Tier { get; private set; } = new int[1024];
    public Dictionary<Guid, int> Tiers { get; } = [];

    /// <summary>Tier and coupon template names to ids, so rules can name them (refreshed with every load).</summary>
    public Dictionary<string, Guid> TierNames { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, Guid> TemplateNames { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Each customer's coupons (null: none); templates as codes into <see cref="Templates"/>.</summary>
    public CouponFact[]?[] Coupons { get; private set; } = new CouponFact[]?[1024];
    public Dictionary<Guid, int> Templates { get; } = [];

    public Dictionary<string, TraitColumn> Traits { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, BitSet> Tags { get; } = new(StringComparer.Ordinal);
    public Dictionary<Guid, BitSet> Carriers { get; } = [];
    public Dictionary<Guid, CarrierFacts> CarrierFacts { get; set; } = [];
    public Dictionary<string, EventColumn> Events { get; } = new(StringComparer.Ordinal);

    /// <summary>Bumped on every change, so callers can tell whether a cached answer is still current.</summary>
    public long Version { get; private set; }

    public Guid IdOf(int ordinal) => _ids[ordinal];

    public int? OrdinalOf(Guid id) => _ordinals.TryGetValue(id, out var ordinal) ? ordinal : null;

    public int PoolSize => Alive.Count();

    /// <summary>The customer's ordinal, handing out a new one for a customer not seen before.</summary>
    public int Admit(Guid id)
    {
        if (_ordinals.TryGetValue(id, out var ordinal))
            return ordinal;
        if (Count == Capacity)
            Grow(Capacity * 2);
        ordinal = Count++;
        _ids[ordinal] = id;
        _ordinals[id] = ordinal;
        return ordinal;
    }

    private void Grow(int capacity)
    {
        Array.Resize(ref _ids, capacity);
        Alive.EnsureCapacity(capacity);
        OptedOut.EnsureCapacity(capacity);
        Depth = TraitColumn.Resized(Depth, capacity, (byte)0);
        Owner = TraitColumn.Resized(Owner, capacity, 0);
        R = TraitColumn.Resized(R, capacity, (byte)0);
        F = TraitColumn.Resized(F, capacity, (byte)0);
        M = TraitColumn.Resized(M, capacity, (byte)0);
        Cell = TraitColumn.Resized(Cell, capacity, (byte)0);
        Stage = TraitColumn.Resized(Stage, capacity, (byte)0);
        Points = TraitColumn.Resized(Points, capacity, 0L);
        Tier = TraitColumn.Resized(Tier, capacity, 0);
        var coupons = Coupons;
        Array.Resize(ref coupons, capacity);
        Coupons = coupons;
        foreach (var column in Traits.Values)
            column.Grow(capacity);
        foreach (var set in Tags.Values)
            set.EnsureCapacity(capacity);
        foreach (var set in Carriers.Values)
            set.EnsureCapacity(capacity);
        foreach (var column in Events.Values)
            column.GrowCustomers(capacity);
        Capacity = capacity;
    }

    /// <summary>Makes room for <paramref name="customers"/> ordinals at once (a bulk load).</summary>
    public void Reserve(int customers)
    {
        if (customers > Capacity)
            Grow(customers);
    }

    /// <summary>Replaces what the index knows of a customer's profile: traits, owner, depth, consent.</summary>
    public void SetProfile(ProfileRow row)
    {
        var ordinal = Admit(row.Id);
        Alive[ordinal] = true;
        OptedOut[ordinal] = row.MarketingOptOut;
        Depth[ordinal] = (byte)row.Depth;
        Owner[ordinal] = row.OwnerStaffId is { } staff ? StaffCode(staff) : 0;
        foreach (var column in Traits.Values)
            column.Clear(ordinal);
        using var traits = JsonDocument.Parse(row.Traits);
        if (traits.RootElement.ValueKind == JsonValueKind.Object)
        {
            foreach (var trait in traits.RootElement.EnumerateObject())
            {
                if (trait.Value.ValueKind == JsonValueKind.Null)
                    continue;
                if (!Traits.TryGetValue(trait.Name, out var column))
                    Traits[trait.Name] = column = new TraitColumn(Capacity);
                column.Set(ordinal, trait.Value, Zone);
            }
        }

        Version++;
    }

    public int StaffCode(Guid staffId)
    {
        if (!Staff.TryGetValue(staffId, out var code))
            Staff[staffId] = code = Staff.Count + 1;
        return code;
    }

    /// <summary>The customer no longer exists (merged into another): out of every rule.</summary>
    public void Remove(Guid id)
    {
        if (OrdinalOf(id) is not { } ordinal)
            return;
        Alive[ordinal] = false;
        ClearRelations(ordinal);
        foreach (var column in Events.Values)
            column.Forget(ordinal);
        Version++;
    }

    public void ClearRelations(int ordinal)
    {
        foreach (var set in Tags.Values)
            set[ordinal] = false;
        foreach (var set in Carriers.Values)
            set[ordinal] = false;
        R[ordinal] = F[ordinal] = M[ordinal] = Cell[ordinal] = Stage[ordinal] = 0;
        Points[ordinal] = 0;
        Tier[ordinal] = 0;
        Coupons[ordinal] = null;
    }

    public void SetLoyalty(int ordinal, LoyaltyRow row)
    {
        if (row.Balance is { } balance)
            Points[ordinal] = balance;
        if (row.TierId is { } tier)
        {
            if (!Tiers.TryGetValue(tier, out var code))
                Tiers[tier] = code = Tiers.Count + 1;
            Tier[ordinal] = code;
        }
    }

    public void AddCoupon(int ordinal, CouponRow row)
    {
        var state = row.Status switch
        {
            "unused" => CouponState.Unused,
            "redeemed" => CouponState.Redeemed,
            "expired" => CouponState.Expired,
            _ => (CouponState?)null,
        };
        if (state is not { } known)
            return; // revoked coupons count for nothing
        if (!Templates.TryGetValue(row.TemplateId, out var template))
            Templates[row.TemplateId] = template = Templates.Count + 1;
        var at = known switch
        {
            CouponState.Redeemed => row.RedeemedAt ?? row.ValidTo,
            CouponState.Expired => row.ExpiredAt ?? row.ValidTo,
            _ => row.ValidTo,
        };
        var fact = new CouponFact(template, known, ToSeconds(row.ValidTo), ToSeconds(at));
        var list = Coupons[ordinal];
        Coupons[ordinal] = list is null ? [fact] : [.. list, fact];
    }

    public void AddTag(int ordinal, string tag)
    {
        if (!Tags.TryGetValue(tag, out var set))
            Tags[tag] = set = new BitSet(Capacity);
        set[ordinal] = true;
    }

    public void AddRelationship(int ordinal, Guid carrierId)
    {
        if (!Carriers.TryGetValue(carrierId, out var set))
            Carriers[carrierId] = set = new BitSet(Capacity);
        set[ordinal] = true;
    }

    public void SetScores(int ordinal, ScoreRow row)
    {
        R[ordinal] = (byte)(row.R ?? 0);
        F[ordinal] = (byte)(row.F ?? 0);
        M[ordinal] = (byte)(row.M ?? 0);
        var cell = row.RfmCell is null ? -1 : RfmCells.Codes.IndexOf(row.RfmCell);
        Cell[ordinal] = (byte)(cell + 1);
        Stage[ordinal] = (byte)Math.Max(0, LifecycleStages.All.IndexOf(row.LifecycleStage));
    }

    public void AddEvent(int ordinal, string name, DateTimeOffset occurredAt, JsonElement properties)
    {
        if (!Events.TryGetValue(name, out var column))
            Events[name] = column = new EventColumn(name, Capacity);
        column.Append(ordinal, ToSeconds(occurredAt), properties);
        Version++;
    }

    public void ForgetEvents(int ordinal)
    {
        foreach (var column in Events.Values)
            column.Forget(ordinal);
    }

    public void Touched() => Version++;

    public static uint ToSeconds(DateTimeOffset at) => (uint)Math.Clamp(at.ToUnixTimeSeconds(), 1, uint.MaxValue);

    /// <summary>Approximate bytes held, for the benchmark's memory per customer.</summary>
    public long Bytes =>
        Capacity * (16L + 1 + 4 + 5) + _ordinals.Count * 28L + Alive.Capacity / 4
        + Traits.Values.Sum(t => t.Bytes) + Tags.Count * (Capacity / 8L) + Carriers.Count * (Capacity / 8L)
        + Events.Values.Sum(e => e.Bytes);
}

internal static class ListExtensions
{
    public static int IndexOf(this IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
                return i;
        }

        return -1;
    }
}
