namespace Pond.Commerce.Coupons;

/// <summary>What a coupon does: 85折 (pay a percentage), 立减 (amount off), 满减 (amount off above a threshold), free shipping, a gift.</summary>
public static class CouponKinds
{
    public const string Percent = "percent";
    public const string Amount = "amount";
    public const string Threshold = "threshold";
    public const string FreeShipping = "free_shipping";
    public const string Gift = "gift";

    public static readonly string[] All = [Percent, Amount, Threshold, FreeShipping, Gift];
}

/// <summary>An issued coupon's state: unused → redeemed / expired / revoked; a fully refunded order returns it to unused.</summary>
public static class CouponStatuses
{
    public const string Unused = "unused";
    public const string Redeemed = "redeemed";
    public const string Expired = "expired";
    public const string Revoked = "revoked";

    public static readonly string[] All = [Unused, Redeemed, Expired, Revoked];
}

/// <summary>Exclusive coupons are used alone; stackable ones combine with other stackable ones (never with an exclusive one).</summary>
public static class CouponStacking
{
    public const string Exclusive = "exclusive";
    public const string Stackable = "stackable";
}

/// <summary>Paused and archived templates issue nothing new; coupons already issued stay redeemable.</summary>
public static class CouponTemplateStatuses
{
    public const string Active = "active";
    public const string Paused = "paused";
    public const string Archived = "archived";

    public static readonly string[] All = [Active, Paused, Archived];
}

/// <summary>Where an issued coupon came from.</summary>
public static class CouponSources
{
    public const string Manual = "manual";
    public const string Segment = "segment";
    public const string Api = "api";
    public const string Journey = "journey";
    public const string Referral = "referral";
    public const string Welcome = "welcome";
    public const string Tier = "tier";
    public const string Points = "points";
}

/// <summary>A coupon template as stored. Money in fen; Skus and Categories are JSON arrays (null: every item applies).</summary>
public sealed class CouponTemplate
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public string Name { get; init; } = "";
    public string? Description { get; init; }
    public string Kind { get; init; } = CouponKinds.Amount;
    public int? Percent { get; init; }
    public long? Amount { get; init; }
    public long? Threshold { get; init; }
    public long? MaxDiscount { get; init; }
    public string? GiftSku { get; init; }
    public long MinSpend { get; init; }
    public DateTimeOffset? ValidFrom { get; init; }
    public DateTimeOffset? ValidTo { get; init; }
    public int? ValidDays { get; init; }
    public int? PerCustomerLimit { get; init; }
    public int? TotalStock { get; init; }
    public int IssuedCount { get; init; }
    public string? Skus { get; init; }
    public string? Categories { get; init; }
    public string Stacking { get; init; } = CouponStacking.Exclusive;
    public string Status { get; init; } = CouponTemplateStatuses.Active;
    public string? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public IReadOnlyList<string> SkuList => CouponJson.List(Skus);

    public IReadOnlyList<string> CategoryList => CouponJson.List(Categories);

    /// <summary>A short human description of the benefit in yuan, e.g. "85折", "满200减30", "¥20 off".</summary>
    public string Benefit => Kind switch
    {
        CouponKinds.Percent => $"{Percent / 10m:0.#}折",
        CouponKinds.Amount => $"立减 ¥{Money.FromFen(Amount ?? 0):0.##}",
        CouponKinds.Threshold => $"满{Money.FromFen(Threshold ?? 0):0.##}减{Money.FromFen(Amount ?? 0):0.##}",
        CouponKinds.FreeShipping => "包邮 free shipping",
        CouponKinds.Gift => $"赠品 {GiftSku}",
        _ => Kind,
    };
}

/// <summary>An issued coupon as stored.</summary>
public sealed class Coupon
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public Guid TemplateId { get; init; }
    public Guid CustomerId { get; init; }
    public string Code { get; init; } = "";
    public string Status { get; init; } = CouponStatuses.Unused;
    public string Source { get; init; } = CouponSources.Manual;
    public string? IssueKey { get; init; }
    public DateTimeOffset IssuedAt { get; init; }
    public DateTimeOffset ValidFrom { get; init; }
    public DateTimeOffset ValidTo { get; init; }
    public DateTimeOffset? RedeemedAt { get; init; }
    public string? OrderId { get; init; }
    public DateTimeOffset? ExpiredAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    /// <summary>Filled by queries that join the template.</summary>
    public string? TemplateName { get; init; }
}

/// <summary>A template as a caller sends it: money in yuan, dates as instants; null means "leave as is" on update.</summary>
public sealed class CouponTemplateInput
{
    public string? Name { get; init; }
    public string? Description { get; init; }
    public string? Kind { get; init; }
    /// <summary>For percent coupons: what the customer pays, 1..99 (85 = 85折).</summary>
    public int? Percent { get; init; }
    /// <summary>Amount off in yuan (amount and threshold coupons).</summary>
    public decimal? Amount { get; init; }
    /// <summary>The 满 of 满减: applicable items must reach this many yuan.</summary>
    public decimal? Threshold { get; init; }
    /// <summary>A cap on a percent coupon's discount, in yuan.</summary>
    public decimal? MaxDiscount { get; init; }
    public string? GiftSku { get; init; }
    public decimal? MinSpend { get; init; }
    public DateTimeOffset? ValidFrom { get; init; }
    public DateTimeOffset? ValidTo { get; init; }
    public int? ValidDays { get; init; }
    public int? PerCustomerLimit { get; init; }
    public int? TotalStock { get; init; }
    public IReadOnlyList<string>? Skus { get; init; }
    public IReadOnlyList<string>? Categories { get; init; }
    public string? Stacking { get; init; }
    public string? Status { get; init; }
}

/// <summary>A cart line to check a coupon against; price in fen.</summary>
public sealed record CartLine(string Sku, string? Category, long Price, int Quantity)
{
    public long Amount => Price * Quantity;
}

/// <summary>
/// What a coupon is being used on: the customer, the order, its lines and shipping (fen), and the other codes
/// applied to the same order (for the stacking rule).
/// </summary>
public sealed class CouponCart
{
    public required Guid CustomerId { get; init; }
    public string? OrderId { get; init; }
    public required IReadOnlyList<CartLine> Lines { get; init; }
    public long Shipping { get; init; }
    public IReadOnlyList<string> OtherCodes { get; init; } = [];
    /// <summary>The order's paid amount (its GMV); defaults to lines + shipping − this coupon's discount.</summary>
    public long? Paid { get; init; }
}

/// <summary>What a coupon takes off a cart (fen): Discount; for gift coupons, the gift sku.</summary>
public sealed record CouponQuote(string Code, Guid TemplateId, string Kind, long ApplicableAmount, long Discount, string? GiftSku);

/// <summary>A redemption: Repeated is true when this order had already redeemed the coupon (nothing changed).</summary>
public sealed record CouponRedemption(Guid CouponId, string Code, Guid TemplateId, Guid CustomerId, string OrderId, long Discount, long OrderAmount,
    string? GiftSku, DateTimeOffset RedeemedAt, bool Repeated);

/// <summary>What issuing did: Created is false when the idempotency key had already issued this coupon.</summary>
public sealed record CouponIssue(Coupon Coupon, bool Created);

/// <summary>What a bulk issue did: Issued new coupons; Already issued under the same key before (a retry);
/// skipped for the per-customer limit or for stock.</summary>
public sealed record BulkIssueResult(string IssueKey, int Members, int Issued, int Already, int SkippedLimit, int SkippedStock);

/// <summary>A template's numbers. Money in fen. RedemptionRate is redeemed ÷ issued (核销率).</summary>
public sealed record CouponMetrics(Guid TemplateId, int Issued, int Unused, int Redeemed, int Expired, int Revoked, double RedemptionRate, long Gmv, long DiscountCost);

public sealed record CouponDay(DateOnly Day, int Issued, int Redeemed, long Gmv, long DiscountCost);

internal static class CouponJson
{
    public static IReadOnlyList<string> List(string? json) =>
        string.IsNullOrEmpty(json) ? [] : System.Text.Json.JsonSerializer.Deserialize<List<string>>(json) ?? [];

    public static string? Of(IReadOnlyList<string>? list) =>
        list is null || list.Count == 0 ? null : System.Text.Json.JsonSerializer.Serialize(list);
}
