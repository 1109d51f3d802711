using System.Globalization;
using Pond.Analytics;
using Pond.Server.Localization;

namespace Pond.Server.Components.Pages.Insight;

/// <summary>How the funnel and cohort pages name the stages and write durations.</summary>
internal static class FunnelFormat
{
    public static string StepLabel(Text t, string step) => step switch
    {
        FunnelSteps.Reached => t["Reached (visits)"],
        FunnelSteps.Added => t["Added (friend or follow)"],
        FunnelSteps.JoinedGroup => t["Joined a group"],
        FunnelSteps.FirstOrder => t["Placed a first order"],
        FunnelSteps.Repurchase => t["Bought again"],
        _ => step,
    };

    /// <summary>Seconds as the largest sensible unit: "45 s", "12 min", "3.5 h", "2.1 d".</summary>
    public static string Duration(Text t, long? seconds) => seconds switch
    {
        null => "—",
        < 60 => t["{0} s", seconds.Value],
        < 3600 => t["{0} min", (seconds.Value / 60.0).ToString("0.#", CultureInfo.InvariantCulture)],
        < 86400 => t["{0} h", (seconds.Value / 3600.0).ToString("0.#", CultureInfo.InvariantCulture)],
        _ => t["{0} d", (seconds.Value / 86400.0).ToString("0.#", CultureInfo.InvariantCulture)],
    };

    public static string Days(Text t, long? days) => days is { } d ? t["{0} d", d] : "—";

    /// <summary>The change from the previous period as a signed percentage, or "—" when there was nothing before.</summary>
    public static string Change(long current, long previous) =>
        previous == 0 ? "—" : ((current - previous) * 100m / previous).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) + "%";
}
