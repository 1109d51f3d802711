using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Audience.Scores;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Audience;

/// <summary>
/// The admin API for RFM (/api/rfm) and lifecycle stages (/api/lifecycle): settings, the cells, the R×F grid, the stage
/// overview and a recompute on demand. Reading needs the Read policy; changing settings or recomputing needs Operate
/// (owner, admin, operator), because scoring rules are operations work like segments are. The staff role sees figures
/// over its own customers only.
/// </summary>
internal static class ScoresApi
{
    public static IEndpointRouteBuilder MapScoresApi(this IEndpointRouteBuilder routes)
    {
        var rfm = routes.MapGroup("/api/rfm")
            .WithTags("RFM")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        rfm.MapGet("/settings", GetRfmSettings).WithName("GetRfmSettings").WithSummary("The workspace's RFM window, scoring (quintile or fixed breakpoints) and the high-score threshold.");
        rfm.MapPut("/settings", SetRfmSettings).WithName("SetRfmSettings").RequireAuthorization(Policies.Operate)
            .WithSummary("Changes the RFM settings; the score engine recomputes every buyer soon after.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        rfm.MapGet("/cells", GetRfmCells).WithName("GetRfmCells")
            .WithSummary("The eight RFM cells: customers, total and average order value, share of the pool, and the score engine's state.");
        rfm.MapGet("/grid", GetRfmGrid).WithName("GetRfmGrid").WithSummary("Customers and average monetary value per recency × frequency score (5×5), for a heatmap.");
        rfm.MapPost("/recompute", RecomputeScores).WithName("RecomputeScores").RequireAuthorization(Policies.Operate)
            .WithSummary("Recomputes every buyer's RFM scores and lifecycle stage now and answers with the run's figures.");

        var lifecycle = routes.MapGroup("/api/lifecycle")
            .WithTags("Lifecycle")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        lifecycle.MapGet("/settings", GetLifecycleSettings).WithName("GetLifecycleSettings")
            .WithSummary("When a buyer is loyal, at risk or lost.");
        lifecycle.MapPut("/settings", SetLifecycleSettings).WithName("SetLifecycleSettings").RequireAuthorization(Policies.Operate)
            .WithSummary("Changes the lifecycle rules; the score engine moves customers between stages soon after.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        lifecycle.MapGet("/overview", GetLifecycleOverview).WithName("GetLifecycleOverview")
            .WithSummary("Customers per lifecycle stage (new = the pool minus buyers) and the stage changes of the last 30 days.");
        return routes;
    }

    public static async Task<Ok<RfmSettings>> GetRfmSettings(HttpContext context, ScoreSettingsStore settings) =>
        TypedResults.Ok(await settings.RfmAsync(context.Caller().WorkspaceId));

    public static async Task<Ok<RfmSettings>> SetRfmSettings(RfmSettings request, HttpContext context, ScoreSettingsStore settings)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await settings.SaveRfmAsync(caller.WorkspaceId, request, caller.Actor));
    }

    public static async Task<Ok<RfmCellsResponse>> GetRfmCells(HttpContext context, ScoreReports reports, ScoreEngine engine)
    {
        var caller = context.Caller();
        var report = await reports.CellsAsync(caller.WorkspaceId, caller.OnlyOwnedBy);
        return TypedResults.Ok(new RfmCellsResponse(report.Pool, report.Buyers, report.Scored, report.Cells, await engine.StateAsync(caller.WorkspaceId)));
    }

    public static async Task<Ok<RfmGridReport>> GetRfmGrid(HttpContext context, ScoreReports reports)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await reports.GridAsync(caller.WorkspaceId, caller.OnlyOwnedBy));
    }

    public static async Task<Ok<ScoreRunResult>> RecomputeScores(HttpContext context, ScoreEngine engine, CancellationToken cancellationToken) =>
        TypedResults.Ok(await engine.RecomputeAsync(context.Caller().WorkspaceId, cancellationToken));

    public static async Task<Ok<LifecycleSettings>> GetLifecycleSettings(HttpContext context, ScoreSettingsStore settings) =>
        TypedResults.Ok(await settings.LifecycleAsync(context.Caller().WorkspaceId));

    public static async Task<Ok<LifecycleSettings>> SetLifecycleSettings(LifecycleSettings request, HttpContext context, ScoreSettingsStore settings)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await settings.SaveLifecycleAsync(caller.WorkspaceId, request, caller.Actor));
    }

    public static async Task<Ok<LifecycleOverview>> GetLifecycleOverview(HttpContext context, ScoreReports reports)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await reports.OverviewAsync(caller.WorkspaceId, caller.OnlyOwnedBy));
    }
}

/// <summary>The cells and, once the engine has run for the workspace, its last full run.</summary>
internal sealed record RfmCellsResponse(long Pool, long Buyers, long Scored, IReadOnlyList<RfmCellReport> Cells, ScoreEngineState? Engine);
