namespace Pond.Activities;

/// <summary>A flash sale (秒杀) as stored. Money in fen.</summary>
public sealed class FlashSale
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public string Name { get; init; } = "";
    public string Sku { get; init; } = "";
    public string ProductName { get; init; } = "";
    public string? Category { get; init; }
    public long OriginalPrice { get; init; }
    public long FlashPrice { get; init; }
    public int Stock { get; init; }
    public int Reserved { get; init; }
    public int Sold { get; init; }
    public int PerCustomerLimit { get; init; }
    public Guid? SegmentId { get; init; }
    public DateTimeOffset StartsAt { get; init; }
    public DateTimeOffset EndsAt { get; init; }
    public int PaymentTimeoutSeconds { get; init; }
    public long Attempts { get; init; }
    public long RefusedSoldOut { get; init; }
    public long RefusedLimitReached { get; init; }
    public long RefusedNotStarted { get; init; }
    public long RefusedEnded { get; init; }
    public long RefusedNotInAudience { get; init; }
    public string? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public int Remaining => Stock - Reserved - Sold;

    /// <summary>scheduled, running, sold_out or ended at <paramref name="now"/>.</summary>
    public string StateAt(DateTimeOffset now) =>
        now < StartsAt ? FlashSaleStates.Scheduled
        : now >= EndsAt ? FlashSaleStates.Ended
        : Remaining <= 0 ? FlashSaleStates.SoldOut
        : FlashSaleStates.Running;
}

public static class FlashSaleStates
{
    public const string Scheduled = "scheduled";
    public const string Running = "running";
    public const string SoldOut = "sold_out";
    public const string Ended = "ended";
}

/// <summary>Why a purchase attempt was refused (the 409's reason code).</summary>
public static class RefusalReasons
{
    public const string SoldOut = "sold_out";
    public const string LimitReached = "limit_reached";
    public const string NotStarted = "not_started";
    public const string Ended = "ended";
    public const string NotInAudience = "not_in_audience";

    public static readonly string[] All = [SoldOut, LimitReached, NotStarted, Ended, NotInAudience];

    public static int Index(string reason) => Array.IndexOf(All, reason);
}

public static class ReservationStates
{
    /// <summary>Holds a unit until paid or until it expires.</summary>
    public const string Reserved = "reserved";
    public const string Paid = "paid";
    /// <summary>Not paid in time: the unit went back on sale.</summary>
    public const string Released = "released";
    /// <summary>Given up by the customer: the unit went back on sale.</summary>
    public const string Cancelled = "cancelled";
}

/// <summary>What a caller sends to create or change a flash sale; prices in yuan. Null keeps the current value on update.</summary>
public sealed class FlashSaleInput
{
    public string? Name { get; init; }
    public string? Sku { get; init; }
    public string? ProductName { get; init; }
    public string? Category { get; init; }
    public decimal? OriginalPrice { get; init; }
    public decimal? FlashPrice { get; init; }
    public int? Stock { get; init; }
    public int? PerCustomerLimit { get; init; }
    /// <summary>Only members of this segment may buy; Guid.Empty clears it on update.</summary>
    public Guid? SegmentId { get; init; }
    public DateTimeOffset? StartsAt { get; init; }
    public DateTimeOffset? EndsAt { get; init; }
    /// <summary>Minutes an unpaid reservation holds its unit (default 15).</summary>
    public int? PaymentTimeoutMinutes { get; init; }
}

/// <summary>One unit held or bought by a customer. Price in fen.</summary>
public sealed class FlashReservation
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public Guid SaleId { get; init; }
    public Guid CustomerId { get; init; }
    public int Slot { get; init; }
    public string State { get; init; } = ReservationStates.Reserved;
    public long Price { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? PaidAt { get; init; }
    public DateTimeOffset? ReleasedAt { get; init; }
    public string? OrderId { get; init; }

    /// <summary>The customer's display name, in lists.</summary>
    public string? CustomerName { get; init; }
}

/// <summary>A purchase attempt's outcome: a reservation, or the reason it was refused.</summary>
public sealed record AttemptOutcome(FlashReservation? Reservation, string? Refusal, string? Message)
{
    public static AttemptOutcome Refused(string reason, string message) => new(null, reason, message);
}

/// <summary>The live figures of a sale: stock split, attempts and refusals by reason, attempts per second on this node.</summary>
public sealed record FlashSaleCounters(
    Guid SaleId, string State, int Stock, int Reserved, int Sold, int Remaining, long Attempts, long Succeeded,
    IReadOnlyDictionary<string, long> Refusals, double AttemptsPerSecond, int ReservationRows, int DistinctCustomers);
