using System.Globalization;
using System.Text;

namespace Pond.Analytics;

/// <summary>A range of local days (both ends included) as funnels and cohorts take it, and the one before it.</summary>
public sealed record FunnelPeriod(DateOnly From, DateOnly To)
{
    public const string DateFormat = "yyyy-MM-dd";

    public int Days => To.DayNumber - From.DayNumber + 1;

    /// <summary>The period of the same length that ends the day before this one starts.</summary>
    public FunnelPeriod Previous => new(From.AddDays(-Days), From.AddDays(-1));

    /// <summary>
    /// Reads from/to (yyyy-MM-dd, local days): to defaults to today, from to <paramref name="defaultDays"/> days ending on to.
    /// Refuses from after to and ranges longer than <paramref name="maxDays"/>, naming the field to fix.
    /// </summary>
    public static FunnelPeriod Parse(string? from, string? to, DateOnly today, int defaultDays, int maxDays)
    {
        var last = Day(to, "to") ?? today;
        var first = Day(from, "from") ?? last.AddDays(1 - defaultDays);
        if (first > last)
            throw new ValidationFailedException($"from ({first:yyyy-MM-dd}) is after to ({last:yyyy-MM-dd}); swap them.", "from");
        var period = new FunnelPeriod(first, last);
        if (period.Days > maxDays)
            throw new ValidationFailedException($"The period from {first:yyyy-MM-dd} to {last:yyyy-MM-dd} is {period.Days} days; ask for at most {maxDays} days.", "to");
        return period;
    }

    private static DateOnly? Day(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        return DateOnly.TryParseExact(text.Trim(), DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new ValidationFailedException($"{field} '{text}' is not a date; use yyyy-MM-dd, e.g. 2026-03-01.", field);
    }
}

/// <summary>The small statistics funnels and cohorts share.</summary>
public static class FunnelMath
{
    /// <summary>part ÷ whole rounded to 4 places, or null when the whole is 0 (no rate to speak of).</summary>
    public static decimal? Rate(long part, long whole) => whole == 0 ? null : Math.Round((decimal)part / whole, 4);

    /// <summary>
    /// The nearest-rank percentile: the value at rank ⌈p·n⌉ of the sorted values (the median of 1, 2, 3, 4 is 2).
    /// Always one of the observed values, so a median of whole days stays a whole day. Null for no values.
    /// </summary>
    public static long? Percentile(IReadOnlyList<long> sorted, double p)
    {
        if (sorted.Count == 0)
            return null;
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    /// <summary>The same percentile over a histogram of whole values (value → how many).</summary>
    public static long? Percentile(IReadOnlyDictionary<long, long> histogram, double p)
    {
        var total = histogram.Values.Sum();
        if (total == 0)
            return null;
        var rank = Math.Max(1L, (long)Math.Ceiling(p * total));
        var seen = 0L;
        foreach (var (value, count) in histogram.OrderBy(h => h.Key))
        {
            seen += count;
            if (seen >= rank)
                return value;
        }

        return histogram.Keys.Max();
    }
}

/// <summary>CSV for Excel: UTF-8 with a byte-order mark (without it Excel in China reads GBK), CRLF lines.</summary>
internal sealed class FunnelCsv
{
    private readonly StringBuilder _text = new();

    public FunnelCsv Row(params IEnumerable<object?> values)
    {
        var first = true;
        foreach (var value in values)
        {
            if (!first)
                _text.Append(',');
            first = false;
            _text.Append(Field(value));
        }

        _text.Append("\r\n");
        return this;
    }

    public byte[] ToBytes() => [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(_text.ToString())];

    private static string Field(object? value)
    {
        var text = value switch
        {
            null => "",
            decimal d => d.ToString("0.####", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
        // Names come from operators: kept from being read as a formula, quoted when they hold separators.
        if (value is string && text.Length > 0 && "=+-@\t\r".Contains(text[0], StringComparison.Ordinal))
            text = "'" + text;
        return text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }
}
