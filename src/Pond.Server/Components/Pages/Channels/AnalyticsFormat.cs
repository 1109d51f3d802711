using System.Globalization;

namespace Pond.Server.Components.Pages.Channels;

/// <summary>How the analytics page writes numbers: rates as percentages with one decimal, yuan with two, "—" where there is nothing to divide.</summary>
internal static class AnalyticsFormat
{
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Percent(decimal? rate) =>
        rate is { } r ? (r * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "—";

    public static string Money(decimal? yuan) =>
        yuan is { } y ? "¥" + y.ToString("N2", CultureInfo.InvariantCulture) : "—";
}
