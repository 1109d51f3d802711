namespace Pond.Commerce;

/// <summary>Where an order was sold. "Private domain" is a separate flag: a Tmall order can come from a pool customer.</summary>
public static class SalesChannels
{
    public const string MiniProgram = "mini_program";
    public const string H5Mall = "h5_mall";
    public const string Tmall = "tmall";
    public const string Jd = "jd";
    public const string Douyin = "douyin";
    public const string Store = "store";
    public const string Other = "other";

    public static readonly string[] All = [MiniProgram, H5Mall, Tmall, Jd, Douyin, Store, Other];

    /// <summary>Channels the brand owns; an order sold there is private-domain unless the caller says otherwise.</summary>
    public static bool IsOwned(string channel) => channel is MiniProgram or H5Mall or Store;

    public static bool IsValid(string channel) => Array.IndexOf(All, channel) >= 0;
}

public static class OrderStatuses
{
    public const string Completed = "completed";
    public const string PartiallyRefunded = "partially_refunded";
    public const string Refunded = "refunded";
}

/// <summary>How an order reached Pond.</summary>
public static class OrderSources
{
    public const string Api = "api";
    public const string Event = "event";
    public const string Import = "import";
    public const string FlashSale = "flash_sale";
    public const string GroupBuy = "group_buy";
    /// <summary>A bargain (砍价) bought at the floor price its helpers reached (docs/fission-games.md).</summary>
    public const string Bargain = "bargain";
}

/// <summary>An order line; money in fen.</summary>
public sealed record OrderLine(int Line, string Sku, string? Name, string? Category, long Price, int Quantity, long Amount, int RefundedQuantity = 0);

/// <summary>
/// An order as recorded, handed to every <see cref="IOrderEffect"/>. Money in fen. CouponCodes are the codes the
/// shop says it applied (normalised: trimmed, upper case, distinct).
/// </summary>
public sealed class RecordedOrder
{
    public required Guid Id { get; init; }
    public required Guid WorkspaceId { get; init; }
    public required string OrderId { get; init; }
    public required Guid CustomerId { get; init; }
    public required DateTimeOffset PlacedAt { get; init; }
    public required string SalesChannel { get; init; }
    public required bool PrivateDomain { get; init; }
    public required long Subtotal { get; init; }
    public required long Discount { get; init; }
    public required long Shipping { get; init; }
    public required long Paid { get; init; }
    public long Refunded { get; init; }
    public required IReadOnlyList<OrderLine> Lines { get; init; }
    public required IReadOnlyList<string> CouponCodes { get; init; }
    public Guid? StaffId { get; init; }
    public required string Source { get; init; }
}

/// <summary>A refund as recorded. Amount in fen; Lines are (line number, quantity returned); Full when the order is now wholly refunded.</summary>
public sealed class RecordedRefund
{
    public required Guid Id { get; init; }
    public required string RefundId { get; init; }
    public required long Amount { get; init; }
    public required IReadOnlyList<(int Line, int Quantity)> Lines { get; init; }
    public required DateTimeOffset RefundedAt { get; init; }
    /// <summary>Everything refunded so far, this refund included.</summary>
    public required long RefundedTotal { get; init; }
    public required bool Full { get; init; }
    public string? Reason { get; init; }
}

/// <summary>An order line as a caller sends it: price in yuan.</summary>
public sealed record OrderLineInput(string Sku, string? Name, string? Category, decimal Price, int Quantity);

/// <summary>
/// An order as a caller sends it (API, Order Completed event, CSV row, flash sale, group buy), before validation.
/// Money in yuan. Paid defaults to subtotal − discount + shipping. The customer is named by CustomerId or UserId
/// (or is implied by the event that carries the order).
/// </summary>
public sealed class OrderInput
{
    public string? OrderId { get; init; }
    public Guid? CustomerId { get; init; }
    public string? UserId { get; init; }
    public DateTimeOffset? PlacedAt { get; init; }
    public string? SalesChannel { get; init; }
    public bool? PrivateDomain { get; init; }
    public string? Currency { get; init; }
    public IReadOnlyList<OrderLineInput> Items { get; init; } = [];
    public decimal? Paid { get; init; }
    public decimal? Discount { get; init; }
    public decimal? Shipping { get; init; }
    public IReadOnlyList<string> CouponCodes { get; init; } = [];
    /// <summary>A staff tracking code from the link or mini-program path (?sc=): the staff member credited with the sale.</summary>
    public string? TrackingCode { get; init; }
    /// <summary>A live-code slug or channel id carried on the link the order came through: a touch for channel attribution.</summary>
    public string? ChannelCode { get; init; }
    public string Source { get; init; } = OrderSources.Api;
}

/// <summary>What recording an order did: Created is false when the order id was already known (nothing changed).</summary>
public sealed record OrderRecordResult(RecordedOrder Order, bool Created, IReadOnlyList<string> Warnings);

/// <summary>What recording a refund did; Warnings are what an effect could not do (points already spent, now owed).</summary>
public sealed record RefundRecordResult(RecordedOrder Order, RecordedRefund Refund, bool Created, IReadOnlyList<string> Warnings);
