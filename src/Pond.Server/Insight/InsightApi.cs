using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Analytics;
using Pond.Channels;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Insight;

/// <summary>
/// The admin API for insight (/api/insight): the operations dashboard, the GMV equation, channel ROI and the staff
/// leaderboard, each as JSON or, with format=csv, as the table behind it.
/// </summary>
internal static class InsightApi
{
    public static IEndpointRouteBuilder MapInsightApi(this IEndpointRouteBuilder routes)
    {
        var insight = routes.MapGroup("/api/insight")
            .WithTags("Insight")
            .RequireAuthorization(Policies.Read)
            .NotForStaffRole("Insight covers the whole workspace's customers and staff")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        insight.MapGet("/dashboard", GetDashboard).WithName("GetInsightDashboard")
            .WithSummary("Pool by depth and its growth, adds and deletions per day, GMV, orders, buyers, AOV, repurchase, top channels and staff, for a period against the one before.")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        insight.MapGet("/gmv-equation", GetGmvEquation).WithName("GetGmvEquation")
            .WithSummary("GMV = traffic × inflow conversion × purchase conversion × frequency × AOV for a period and the one before, with each factor's Shapley share of the change.")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        insight.MapGet("/channels", GetChannelRoi).WithName("GetChannelRoi")
            .WithSummary("Spend, visits, adds, cost per add, GMV attributed (first or last touch), ROI and 30-day retention per channel.")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        insight.MapGet("/staff", GetStaffLeaderboard).WithName("GetStaffLeaderboard")
            .WithSummary("Friends held, adds, deletions and deletion rate, GMV credited and tasks done per staff member.")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        insight.MapPost("/rebuild", RebuildRollups).WithName("RebuildInsightRollups")
            .RequireAuthorization(Policies.Administer)
            .WithSummary("Rewrites the daily rollups of a range of days from the source tables (after a bulk load or a repair).");
        return routes;
    }

    public sealed record GmvEquationResponse(
        InsightPeriod Period, InsightPeriod PreviousPeriod, GmvFactors Current, GmvFactors Previous, decimal GmvChange, IReadOnlyList<GmvContribution>? Contributions,
        string? Incomplete);

    public sealed record RebuildResponse(DateOnly From, DateOnly To, int Days);

    /// <param name="from">First day, yyyy-MM-dd in the workspace's zone (default: 29 days before to).</param>
    /// <param name="to">Last day, inclusive (default: today).</param>
    /// <param name="format">json (default) or csv: the daily table.</param>
    public static async Task<Results<Ok<OpsDashboardReport>, FileContentHttpResult>> GetDashboard(
        string? from, string? to, string? format, HttpContext context, OpsDashboard dashboard)
    {
        var csv = IsCsv(format);
        var report = await dashboard.LoadAsync(context.Caller().WorkspaceId, Day(from, "from"), Day(to, "to"));
        if (!csv)
            return TypedResults.Ok(report);
        return Csv(CsvTable.Write(
            ["day", "adds", "deletions", "deletion_rate", "pool", "gmv_yuan", "orders"],
            report.Days.Select(d => (IReadOnlyList<object?>)[d.Day, d.Adds, d.Deletions, d.DeletionRate, d.Pool, d.Gmv, d.Orders])), "dashboard", report.Period);
    }

    /// <param name="from">First day, yyyy-MM-dd in the workspace's zone (default: 29 days before to).</param>
    /// <param name="to">Last day, inclusive (default: today).</param>
    /// <param name="format">json (default) or csv: one row per factor.</param>
    public static async Task<Results<Ok<GmvEquationResponse>, FileContentHttpResult>> GetGmvEquation(
        string? from, string? to, string? format, HttpContext context, OpsDashboard dashboard)
    {
        var csv = IsCsv(format);
        var report = await dashboard.LoadAsync(context.Caller().WorkspaceId, Day(from, "from"), Day(to, "to"));
        var response = new GmvEquationResponse(
            report.Period, report.PreviousPeriod, report.Equation, report.PreviousEquation, report.Equation.Gmv - report.PreviousEquation.Gmv, report.Contributions,
            report.Contributions is null ? IncompleteReason(report.Equation, report.PreviousEquation) : null);
        if (!csv)
            return TypedResults.Ok(response);
        var values = (report.PreviousEquation.Complete ? report.PreviousEquation.Values : null, report.Equation.Complete ? report.Equation.Values : null);
        return Csv(CsvTable.Write(
            ["factor", "previous", "current", "gmv_change_explained_yuan", "share_of_change"],
            ShapleySplit.FactorNames.Select((name, i) =>
            {
                var contribution = report.Contributions?[i];
                return (IReadOnlyList<object?>)[name, values.Item1?[i], values.Item2?[i], contribution?.Change, contribution?.Share];
            }).Append(["gmv_yuan", report.PreviousEquation.Gmv, report.Equation.Gmv, response.GmvChange, report.Contributions is null ? null : 1m])),
            "gmv-equation", report.Period);
    }

    /// <param name="from">First day, yyyy-MM-dd in the workspace's zone (default: 29 days before to).</param>
    /// <param name="to">Last day, inclusive (default: today).</param>
    /// <param name="attribution">first_touch (default) or last_touch: which channel an order's GMV is credited to.</param>
    /// <param name="format">json (default) or csv.</param>
    public static async Task<Results<Ok<ChannelRoiReport>, FileContentHttpResult>> GetChannelRoi(
        string? from, string? to, string? attribution, string? format, HttpContext context, InsightReports reports)
    {
        var csv = IsCsv(format);
        var report = await reports.ChannelRoiAsync(context.Caller().WorkspaceId, Day(from, "from"), Day(to, "to"), attribution);
        if (!csv)
            return TypedResults.Ok(report);
        return Csv(CsvTable.Write(
            ["channel", "spend_yuan", "visits", "adds", "add_rate", "cost_per_add_yuan", "deletions", "orders", "gmv_yuan", "roi", "matured_30d", "retained_30d"],
            report.Rows.Append(report.Totals).Select(r => (IReadOnlyList<object?>)
            [
                r == report.Totals ? "(total)" : r.Id is null ? "(unattributed)" : r.Name, r.Spend, r.Visits, r.Adds, r.AddRate, r.CostPerAdd, r.Deletions, r.Orders,
                r.Gmv, r.Roi, r.Matured30, r.Retained30,
            ])), $"channel-roi-{report.Attribution}", report.Period);
    }

    /// <param name="from">First day, yyyy-MM-dd in the workspace's zone (default: 29 days before to).</param>
    /// <param name="to">Last day, inclusive (default: today).</param>
    /// <param name="format">json (default) or csv.</param>
    public static async Task<Results<Ok<StaffLeaderboard>, FileContentHttpResult>> GetStaffLeaderboard(
        string? from, string? to, string? format, HttpContext context, InsightReports reports)
    {
        var csv = IsCsv(format);
        var report = await reports.StaffAsync(context.Caller().WorkspaceId, Day(from, "from"), Day(to, "to"));
        if (!csv)
            return TypedResults.Ok(report);
        return Csv(CsvTable.Write(
            ["staff", "friends_held", "held_at_start", "adds", "deletions", "deletion_rate", "orders", "first_orders", "gmv_yuan", "tasks_done"],
            report.Rows.Select(r => (IReadOnlyList<object?>)[r.Name, r.HeldNow, r.HeldAtStart, r.Adds, r.Deletions, r.DeletionRate, r.Orders, r.FirstOrders, r.Gmv, r.TasksDone])),
            "staff-leaderboard", report.Period);
    }

    /// <param name="from">First day to rewrite, yyyy-MM-dd (default: the first day with any activity).</param>
    /// <param name="to">Last day, inclusive (default: today).</param>
    public static async Task<Ok<RebuildResponse>> RebuildRollups(string? from, string? to, HttpContext context, InsightRefresher refresher, AuditLog audit)
    {
        var caller = context.Caller();
        var span = await refresher.ActivitySpanAsync(caller.WorkspaceId);
        var first = Day(from, "from") ?? span?.From;
        var last = Day(to, "to") ?? span?.To;
        if (first is null || last is null)
            return TypedResults.Ok(new RebuildResponse(default, default, 0));
        if (first > last)
            throw new ValidationFailedException($"from ({first:yyyy-MM-dd}) is after to ({last:yyyy-MM-dd}).", "from");
        if (last.Value.DayNumber - first.Value.DayNumber >= 3660)
            throw new ValidationFailedException("Rebuild at most ten years at a time.", "from");
        await refresher.RebuildAsync(caller.WorkspaceId, first.Value, last.Value, context.RequestAborted);
        await audit.RecordAsync(caller.WorkspaceId, caller.Actor, "insight.rebuild", caller.WorkspaceId.ToString(), new { from = first, to = last });
        return TypedResults.Ok(new RebuildResponse(first.Value, last.Value, last.Value.DayNumber - first.Value.DayNumber + 1));
    }

    private static string IncompleteReason(GmvFactors current, GmvFactors previous)
    {
        var missing = new[] { current, previous }.Any(f => f.Traffic == 0) ? "traffic (landing visits)"
            : new[] { current, previous }.Any(f => f.Joined == 0) ? "customers joining the pool"
            : "buyers";
        return $"The equation needs {missing} in both periods; without them a factor would divide by zero.";
    }

    private static DateOnly? Day(string? value, string field) => AnalyticsQuery.ParseDay(value, field);

    private static bool IsCsv(string? format) => format?.Trim().ToLowerInvariant() switch
    {
        null or "" or "json" => false,
        "csv" => true,
        _ => throw new ValidationFailedException($"Unknown format '{format}'; use json or csv.", "format"),
    };

    private static FileContentHttpResult Csv(byte[] content, string name, InsightPeriod period) =>
        TypedResults.File(content, "text/csv; charset=utf-8", $"{name}-{period.From:yyyy-MM-dd}-to-{period.To:yyyy-MM-dd}.csv");
}
