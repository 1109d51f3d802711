using System.Globalization;

namespace Pond.Channels;

/// <summary>What channel analytics groups its rows by.</summary>
internal static class AnalyticsDimensions
{
    public const string Channel = "channel";
    public const string Code = "code";
    public const string Staff = "staff";

    public static readonly IReadOnlyList<string> All = [Channel, Code, Staff];
}

/// <summary>
/// A request for the analytics table, as the caller wrote it (validated by <see cref="Parse"/>). <see cref="Staff"/> is
/// not a query parameter: it narrows everything to one staff member's adds for callers with the staff role.
/// </summary>
internal sealed record AnalyticsQuery(DateOnly? From, DateOnly? To, string By, Guid? Channel, Guid? Code, Guid? Staff = null)
{
    public const string DateFormat = "yyyy-MM-dd";

    /// <summary>Parses query-string values; every bad value is a 400 naming the parameter and the format.</summary>
    public static AnalyticsQuery Parse(string? from, string? to, string? by = null, string? channel = null, string? code = null)
    {
        var dimension = string.IsNullOrWhiteSpace(by) ? AnalyticsDimensions.Channel : by.Trim().ToLowerInvariant();
        if (!AnalyticsDimensions.All.Contains(dimension))
            throw new ValidationFailedException($"Unknown by '{by}'; use one of {string.Join(", ", AnalyticsDimensions.All)}.", "by");
        return new AnalyticsQuery(ParseDay(from, "from"), ParseDay(to, "to"), dimension, ParseId(channel, "channel"), ParseId(code, "code"));
    }

    public static DateOnly? ParseDay(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        return DateOnly.TryParseExact(value.Trim(), DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new ValidationFailedException($"'{value}' is not a date; {field} is a day in the format {DateFormat}, e.g. 2026-11-01.", field);
    }

    private static Guid? ParseId(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        return Guid.TryParse(value.Trim(), out var id)
            ? id
            : throw new ValidationFailedException($"'{value}' is not an id; {field} takes the id of a {field} in this workspace.", field);
    }
}

/// <summary>Kept, out of the adds old enough to tell: <c>Retained ÷ Matured</c>.</summary>
internal sealed record RetentionStat(long Matured, long Retained, decimal? Rate);

/// <summary>
/// One channel, live code or staff member (or the unattributed adds, <see cref="Id"/> null) over the range.
/// Rates are fractions (0.1234 = 12.34%) rounded to 4 places; money is yuan.
/// </summary>
internal sealed record ChannelAnalyticsRow(
    Guid? Id,
    string Name,
    Guid? ChannelId,
    string? ChannelName,
    long Visits,
    long Adds,
    decimal? AddRate,
    decimal? Cost,
    decimal? CostPerAdd,
    RetentionStat Retained7,
    RetentionStat Retained30,
    long ActiveAtStart,
    long Deletions,
    decimal? DeletionRate,
    long FirstOrders,
    decimal Gmv);

internal sealed record ChannelAnalyticsReport(
    DateOnly From,
    DateOnly To,
    string By,
    Guid? Channel,
    string TimeZone,
    DateTimeOffset GeneratedAt,
    IReadOnlyList<ChannelAnalyticsRow> Rows,
    ChannelAnalyticsRow Totals);

internal sealed record DailyPoint(DateOnly Day, long Adds, long Deletions);

internal sealed record DailySeries(DateOnly From, DateOnly To, Guid? Channel, Guid? Code, string TimeZone, IReadOnlyList<DailyPoint> Days);
