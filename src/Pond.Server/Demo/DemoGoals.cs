using Microsoft.Extensions.DependencyInjection;
using Pond.Goals;

namespace Pond.Server.Demo;

/// <summary>
/// The demo brand's goal for the current year (目标拆解): seasonal, with the 618 and 双11 peaks, and the deletion rate
/// observed from its own history. The targets are fitted to the brand's scale: a first save reads the forecast the
/// rollups give, then the goal is set a little above it (pool +8%, GMV +5%, rounded), so the page shows a goal that is
/// within reach but at risk, with real progress, pace and forecast. Run after the insight rollups are rebuilt.
/// </summary>
internal static class DemoGoals
{
    private const string Actor = "demo";

    // January … December: quiet around the Spring Festival, peaks for 618 (June) and 双11 (November), busy December.
    private static readonly decimal[] Seasonal = [7, 6, 8, 8, 9, 12, 7, 7, 8, 9, 15, 10];

    public static async Task SetUpAsync(IServiceProvider services, Guid workspaceId)
    {
        var goals = services.GetRequiredService<GoalBook>();
        var watch = services.GetRequiredService<GoalWatch>();
        var reports = services.GetRequiredService<GoalReports>();
        var insight = services.GetRequiredService<Pond.Analytics.InsightReader>();
        var year = insight.Today(await insight.ZoneAsync(workspaceId)).Year;
        if (await goals.FindAsync(workspaceId, year) is not null)
            return;

        var draft = await goals.CreateAsync(workspaceId, Input(year, 60_000, 3_000_000m), Actor);
        var forecast = (await reports.ReportAsync(draft)).Forecast;
        var pool = forecast.Pool > 0 ? RoundTo(forecast.Pool * 1.08m, 1_000) : 60_000;
        var gmv = forecast.Gmv > 0 ? RoundTo(forecast.Gmv * 1.05m, 10_000) : 3_000_000m;
        await goals.UpdateAsync(workspaceId, year, Input(year, (long)pool, gmv), Actor);
        // Reading the goal brings the console's alert in line with this month's pace.
        await watch.ReportAsync(workspaceId, year);
    }

    private static GoalInput Input(int year, long pool, decimal gmv) => new()
    {
        Year = year, PoolTarget = pool, GmvTarget = gmv, Method = GoalMethods.Seasonal, Weights = Seasonal, AlertThreshold = 0.1m,
    };

    private static decimal RoundTo(decimal value, decimal step) => Math.Round(value / step, MidpointRounding.AwayFromZero) * step;
}
