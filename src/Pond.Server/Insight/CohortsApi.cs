using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Analytics;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Insight;

/// <summary>The admin API for cohorts (/api/insight/cohorts): retention, repurchase and LTV by month since joining, and a CSV of each grid.</summary>
internal static class CohortsApi
{
    public static IEndpointRouteBuilder MapCohortsApi(this IEndpointRouteBuilder routes)
    {
        var cohorts = routes.MapGroup("/api/insight")
            .WithTags("Cohorts")
            .RequireAuthorization(Policies.Read)
            .NotForStaffRole("Cohorts count every customer of the workspace")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        cohorts.MapGet("/cohorts", GetCohorts).WithName("GetCohorts")
            .WithSummary("Monthly cohorts (by the month customers joined, or of their first order): size, retention, repurchase rate and GMV per customer by month since.");
        cohorts.MapGet("/cohorts.csv", ExportCohortsCsv).WithName("ExportCohortsCsv")
            .WithSummary("One cohort grid (retention, repurchase, ltv or first_order) as CSV (UTF-8 with a byte-order mark, for Excel).")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        return routes;
    }

    /// <param name="from">First cohort month, yyyy-MM (default: 11 months before to).</param>
    /// <param name="to">Last cohort month, yyyy-MM (default: this month); at most 36 cohorts.</param>
    /// <param name="basis">joined (default: the month they first joined the pool) or first_order.</param>
    public static async Task<Ok<CohortReport>> GetCohorts(string? from, string? to, string? basis, HttpContext context, Cohorts cohorts) =>
        TypedResults.Ok(await cohorts.CohortsAsync(context.Caller().WorkspaceId, from, to, basis));

    /// <param name="from">First cohort month, yyyy-MM (default: 11 months before to).</param>
    /// <param name="to">Last cohort month, yyyy-MM (default: this month).</param>
    /// <param name="basis">joined (default) or first_order.</param>
    /// <param name="metric">retention (default), repurchase, ltv (yuan per customer) or first_order.</param>
    public static async Task<FileContentHttpResult> ExportCohortsCsv(string? from, string? to, string? basis, string? metric, HttpContext context, Cohorts cohorts)
    {
        var figure = Cohorts.ParseFigure(metric);
        var report = await cohorts.CohortsAsync(context.Caller().WorkspaceId, from, to, basis);
        return TypedResults.File(Cohorts.ToCsv(report, figure), "text/csv; charset=utf-8", $"cohorts-{report.Basis}-{figure}-{report.From}-to-{report.To}.csv");
    }
}
