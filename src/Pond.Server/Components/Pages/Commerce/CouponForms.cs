using System.Globalization;
using Pond.Commerce.Coupons;

namespace Pond.Server.Components.Pages.Commerce;

/// <summary>The template form as posted: text fields, parsed here so a bad number names its field.</summary>
internal sealed class CouponTemplateForm
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    public string? Kind { get; set; }
    public string? Percent { get; set; }
    public string? Amount { get; set; }
    public string? Threshold { get; set; }
    public string? MaxDiscount { get; set; }
    public string? GiftSku { get; set; }
    public string? MinSpend { get; set; }
    /// <summary>"days" (N days from issue) or "fixed" (from/to dates).</summary>
    public string? Validity { get; set; }
    public string? ValidDays { get; set; }
    public string? ValidFrom { get; set; }
    public string? ValidTo { get; set; }
    public string? PerCustomerLimit { get; set; }
    public string? TotalStock { get; set; }
    public string? Categories { get; set; }
    public string? Skus { get; set; }
    public string? Stacking { get; set; }
    public string? Status { get; set; }

    public static CouponTemplateForm From(CouponTemplate t, TimeZoneInfo zone) => new()
    {
        Name = t.Name, Description = t.Description, Kind = t.Kind, Percent = t.Percent?.ToString(CultureInfo.InvariantCulture),
        Amount = Yuan(t.Amount), Threshold = Yuan(t.Threshold), MaxDiscount = Yuan(t.MaxDiscount), GiftSku = t.GiftSku,
        MinSpend = t.MinSpend == 0 ? null : Yuan(t.MinSpend), Validity = t.ValidDays is null ? "fixed" : "days",
        ValidDays = t.ValidDays?.ToString(CultureInfo.InvariantCulture),
        ValidFrom = t.ValidFrom is { } f ? TimeZoneInfo.ConvertTime(f, zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
        // Stored as the instant the last day ends; the form shows that last day.
        ValidTo = t.ValidTo is { } to ? TimeZoneInfo.ConvertTime(to.AddMilliseconds(-1), zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
        PerCustomerLimit = t.PerCustomerLimit?.ToString(CultureInfo.InvariantCulture), TotalStock = t.TotalStock?.ToString(CultureInfo.InvariantCulture),
        Categories = string.Join(", ", t.CategoryList), Skus = string.Join(", ", t.SkuList), Stacking = t.Stacking, Status = t.Status,
    };

    public CouponTemplateInput ToInput(TimeZoneInfo zone, bool creating)
    {
        var days = Validity != "fixed";
        return new CouponTemplateInput
        {
            Name = Name ?? "", Description = Description ?? "", Kind = Kind, Percent = Int(Percent, "percent"),
            Amount = Decimal(Amount, "amount"), Threshold = Decimal(Threshold, "threshold"),
            MaxDiscount = Decimal(MaxDiscount, "maxDiscount") ?? (creating ? null : 0), GiftSku = GiftSku ?? "",
            MinSpend = Decimal(MinSpend, "minSpend") ?? 0,
            ValidDays = days ? Int(ValidDays, "validDays") : null,
            ValidFrom = days ? null : Date(ValidFrom, "validFrom", zone, 0),
            ValidTo = days ? null : Date(ValidTo, "validTo", zone, 1),
            PerCustomerLimit = Int(PerCustomerLimit, "perCustomerLimit") ?? 0, TotalStock = Int(TotalStock, "totalStock") ?? 0,
            Categories = List(Categories), Skus = List(Skus), Stacking = Stacking, Status = Status,
        };
    }

    private static string? Yuan(long? fen) => fen is { } f ? Money.FromFen(f).ToString("0.##", CultureInfo.InvariantCulture) : null;

    private static List<string> List(string? text) =>
        (text ?? "").Split([',', '，', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static int? Int(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        return int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ValidationFailedException($"{field} must be a whole number.", field);
    }

    private static decimal? Decimal(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        return decimal.TryParse(text.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ValidationFailedException($"{field} must be a number of yuan, e.g. 30 or 9.9.", field);
    }

    private static DateTimeOffset? Date(string? text, string field, TimeZoneInfo zone, int addDays)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (!DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            throw new ValidationFailedException($"{field} must be a date like 2026-12-31.", field);
        var local = day.AddDays(addDays).ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}

internal static class CouponDisplay
{
    /// <summary>Where a coupon came from, in the operator's words.</summary>
    public static string Source(Pond.Server.Localization.Text t, string source) => source switch
    {
        Pond.Commerce.Coupons.CouponSources.Manual => t["By hand"],
        Pond.Commerce.Coupons.CouponSources.Segment => t["Segment"],
        Pond.Commerce.Coupons.CouponSources.Api => t["API"],
        Pond.Commerce.Coupons.CouponSources.Journey => t["Journey"],
        Pond.Commerce.Coupons.CouponSources.Referral => t["Referral"],
        Pond.Commerce.Coupons.CouponSources.Welcome => t["Welcome message"],
        Pond.Commerce.Coupons.CouponSources.Tier => t["Tier benefit"],
        Pond.Commerce.Coupons.CouponSources.Points => t["Points exchange"],
        _ => source,
    };

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Yuan(long fen) => "¥" + Money.FromFen(fen).ToString("N2", CultureInfo.InvariantCulture);

    public static string Percent(double rate) => (rate * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
