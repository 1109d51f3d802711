using System.Globalization;
using Pond.Activities;

namespace Pond.Server.Components.Pages.Activities;

/// <summary>The flash-sale form as posted: every field text; times are local to the workspace (datetime-local inputs).</summary>
public sealed class FlashSaleForm
{
    public string? Name { get; set; }
    public string? Sku { get; set; }
    public string? ProductName { get; set; }
    public string? Category { get; set; }
    public string? OriginalPrice { get; set; }
    public string? FlashPrice { get; set; }
    public string? Stock { get; set; }
    public string? PerCustomerLimit { get; set; } = "1";
    public string? SegmentId { get; set; }
    public string? StartsAt { get; set; }
    public string? EndsAt { get; set; }
    public string? PaymentTimeoutMinutes { get; set; } = "15";

    internal FlashSaleInput ToInput(TimeZoneInfo zone) => new()
    {
        Name = Name, Sku = Sku, ProductName = ProductName, Category = Category,
        OriginalPrice = FormValues.Decimal(OriginalPrice, "originalPrice"), FlashPrice = FormValues.Decimal(FlashPrice, "flashPrice"),
        Stock = FormValues.Int(Stock, "stock"), PerCustomerLimit = FormValues.Int(PerCustomerLimit, "perCustomerLimit"),
        SegmentId = Guid.TryParse(SegmentId, out var segment) ? segment : null,
        StartsAt = FormValues.LocalTime(StartsAt, zone, "startsAt"), EndsAt = FormValues.LocalTime(EndsAt, zone, "endsAt"),
        PaymentTimeoutMinutes = FormValues.Int(PaymentTimeoutMinutes, "paymentTimeoutMinutes"),
    };
}

public sealed class GroupBuyForm
{
    public string? Name { get; set; }
    public string? Sku { get; set; }
    public string? ProductName { get; set; }
    public string? Category { get; set; }
    public string? OriginalPrice { get; set; }
    public string? GroupPrice { get; set; }
    public string? GroupSize { get; set; } = "3";
    public string? TimeLimitHours { get; set; } = "24";
    public string? Stock { get; set; }
    public string? StartsAt { get; set; }
    public string? EndsAt { get; set; }

    internal GroupBuyInput ToInput(TimeZoneInfo zone) => new()
    {
        Name = Name, Sku = Sku, ProductName = ProductName, Category = Category,
        OriginalPrice = FormValues.Decimal(OriginalPrice, "originalPrice"), GroupPrice = FormValues.Decimal(GroupPrice, "groupPrice"),
        GroupSize = FormValues.Int(GroupSize, "groupSize"),
        TimeLimitMinutes = FormValues.Decimal(TimeLimitHours, "timeLimitHours") is { } hours ? (int)Math.Round(hours * 60) : null,
        Stock = FormValues.Int(Stock, "stock"),
        StartsAt = FormValues.LocalTime(StartsAt, zone, "startsAt"), EndsAt = FormValues.LocalTime(EndsAt, zone, "endsAt"),
    };
}

internal static class FormValues
{
    public static decimal? Decimal(string? text, string field) =>
        string.IsNullOrWhiteSpace(text) ? null
        : decimal.TryParse(text.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value
        : throw new ValidationFailedException($"{field}: '{text}' is not a number.", field);

    public static int? Int(string? text, string field) =>
        string.IsNullOrWhiteSpace(text) ? null
        : int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value
        : throw new ValidationFailedException($"{field}: '{text}' is not a whole number.", field);

    /// <summary>A datetime-local value (yyyy-MM-ddTHH:mm) read in the workspace's zone.</summary>
    public static DateTimeOffset? LocalTime(string? text, TimeZoneInfo zone, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (!DateTime.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
            throw new ValidationFailedException($"{field}: '{text}' is not a date and time.", field);
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        return new DateTimeOffset(unspecified, zone.GetUtcOffset(unspecified));
    }

    public static string Local(DateTimeOffset value, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(value, zone).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);
}

/// <summary>How activity pages show states and refusal reasons.</summary>
internal static class ActivityDisplay
{
    public static string State(Localization.Text t, string state) => state switch
    {
        FlashSaleStates.Scheduled => t["Upcoming"],
        FlashSaleStates.Running => t["On sale"],
        FlashSaleStates.SoldOut => t["Sold out"],
        FlashSaleStates.Ended => t["Ended"],
        GroupStates.Open => t["Forming"],
        GroupStates.Complete => t["Group complete"],
        GroupStates.Expired => t["Expired, refunded"],
        _ => state,
    };

    public static string Badge(string state) => state switch
    {
        FlashSaleStates.Running or GroupStates.Open => "badge-ok",
        FlashSaleStates.SoldOut or GroupStates.Complete => "badge-warn",
        FlashSaleStates.Scheduled => "badge-community",
        _ => "badge-muted",
    };

    public static string Reason(Localization.Text t, string reason) => reason switch
    {
        RefusalReasons.SoldOut => t["Sold out"],
        RefusalReasons.LimitReached => t["Limit reached"],
        RefusalReasons.NotStarted => t["Not started"],
        RefusalReasons.Ended => t["Ended"],
        RefusalReasons.NotInAudience => t["Not in the audience"],
        _ => reason,
    };

    public static string Yuan(long fen) => "¥" + Money.FromFen(fen).ToString("0.00", CultureInfo.InvariantCulture);

    public static string Percent(long part, long whole) => whole <= 0 ? "0%" : (100.0 * part / whole).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
