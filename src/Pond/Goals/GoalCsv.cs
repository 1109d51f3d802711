using System.Globalization;
using System.Text;

namespace Pond.Goals;

/// <summary>The month-by-month table as CSV: UTF-8 with a byte-order mark so Excel opens it; money in yuan.</summary>
public static class GoalCsv
{
    public static byte[] Months(GoalReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.Append("month,from,to,state,pool_start_target,pool_target,expected_losses,gross_adds_target,gmv_target_yuan,")
            .Append("gross_adds,losses,pool,gmv_yuan,orders,forecast_pool,forecast_gmv_yuan,pool_met,gmv_met\r\n");
        foreach (var m in report.Months)
        {
            Row(text, m.Month.ToString(CultureInfo.InvariantCulture), Day(m.From), Day(m.To), m.State, Count(m.PoolStartTarget), Count(m.PoolTarget),
                Count(m.ExpectedLosses), Count(m.GrossAddsTarget), Money(m.GmvTarget), Count(m.GrossAdds), Count(m.Losses), Count(m.Pool), Money(m.Gmv),
                Count(m.Orders), Count(m.ForecastPool), Money(m.ForecastGmv), Flag(m.PoolMet), Flag(m.GmvMet));
        }

        var months = report.Months;
        var started = months.Any(m => m.State != MonthStates.Future);
        Row(text, "year", Day(months[0].From), Day(months[^1].To), report.Status, Count(months[0].PoolStartTarget), Count(months[^1].PoolTarget),
            Count(months.Sum(m => m.ExpectedLosses)), Count(months.Sum(m => m.GrossAddsTarget)), Money(months.Sum(m => m.GmvTarget)),
            started ? Count(months.Sum(m => m.GrossAdds ?? 0)) : "", started ? Count(months.Sum(m => m.Losses ?? 0)) : "",
            Count(months.LastOrDefault(m => m.Pool is not null)?.Pool), started ? Money(months.Sum(m => m.Gmv ?? 0)) : "",
            started ? Count(months.Sum(m => m.Orders ?? 0)) : "", Count(report.Forecast.Pool), Money(report.Forecast.Gmv),
            Flag(report.Forecast.PoolMet), Flag(report.Forecast.GmvMet));
        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text.ToString())];
    }

    private static void Row(StringBuilder text, params string[] cells) => text.AppendJoin(',', cells).Append("\r\n");

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Count(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    private static string Money(decimal? value) => value?.ToString("0.00", CultureInfo.InvariantCulture) ?? "";

    private static string Flag(bool? value) => value switch { true => "yes", false => "no", null => "" };
}
