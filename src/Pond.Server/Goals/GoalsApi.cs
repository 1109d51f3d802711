using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Goals;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Goals;

/// <summary>
/// The admin API for goals (/api/goals, docs/goals.md): one yearly goal per year, decomposed into monthly targets,
/// with progress from the insight rollups, the month's pace and a year-end forecast; the monthly table as CSV.
/// POST creates (409 if the year has a goal), PUT /{year} replaces. Goals range over the whole pool: not for the staff role.
/// </summary>
internal static class GoalsApi
{
    public static IServiceCollection AddGoalsApi(this IServiceCollection services, bool runEngines) => services.AddGoals(runEngines);

    public static IEndpointRouteBuilder MapGoalsApi(this IEndpointRouteBuilder routes)
    {
        var goals = routes.MapGroup("/api/goals").WithTags("Goals").RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .NotForStaffRole("Goals range over the whole pool");
        goals.MapGet("/", ListGoals).WithName("ListGoals").WithSummary("The workspace's yearly goals, newest year first.");
        goals.MapPost("/", CreateGoal).WithName("CreateGoal").RequireAuthorization(Policies.Operate)
            .WithSummary("Sets a year's goal: poolTarget, gmvTarget (yuan), startPool (optional), method (even, seasonal with 12 weights, growth), monthlyDeletionRate (optional), alertThreshold. 409 if the year has one.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        goals.MapGet("/{year:int}", GetGoal).WithName("GetGoal")
            .WithSummary("A year's goal with its monthly targets (net pool, gross adds given the deletion rate, GMV), actuals, the month's pace, year to date and the year-end forecast.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        goals.MapPut("/{year:int}", UpdateGoal).WithName("UpdateGoal").RequireAuthorization(Policies.Operate)
            .WithSummary("Replaces a year's goal; fields left out go back to measured (start pool, deletion rate) or default.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        goals.MapDelete("/{year:int}", DeleteGoal).WithName("DeleteGoal").RequireAuthorization(Policies.Operate)
            .WithSummary("Deletes a year's goal (and resolves its alert).").ProducesProblem(StatusCodes.Status404NotFound);
        goals.MapGet("/{year:int}/months.csv", ExportGoalMonthsCsv).WithName("ExportGoalMonthsCsv")
            .WithSummary("The month-by-month table as CSV (UTF-8 with a byte-order mark, for Excel), with a year row.")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    public static async Task<Ok<List<GoalView>>> ListGoals(HttpContext context, GoalBook goals) =>
        TypedResults.Ok((await goals.ListAsync(context.Caller().WorkspaceId)).Select(GoalView.Of).ToList());

    public static async Task<Created<GoalReport>> CreateGoal(GoalInput input, HttpContext context, GoalBook goals, GoalWatch watch)
    {
        var caller = context.Caller();
        var goal = await goals.CreateAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/goals/{goal.Year}", await watch.ReportAsync(caller.WorkspaceId, goal.Year));
    }

    public static async Task<Ok<GoalReport>> GetGoal(int year, HttpContext context, GoalWatch watch) =>
        TypedResults.Ok(await watch.ReportAsync(context.Caller().WorkspaceId, Year(year)));

    public static async Task<Ok<GoalReport>> UpdateGoal(int year, GoalInput input, HttpContext context, GoalBook goals, GoalWatch watch)
    {
        var caller = context.Caller();
        await goals.UpdateAsync(caller.WorkspaceId, Year(year), input, caller.Actor);
        return TypedResults.Ok(await watch.ReportAsync(caller.WorkspaceId, year));
    }

    public static async Task<NoContent> DeleteGoal(int year, HttpContext context, GoalBook goals, GoalWatch watch)
    {
        var caller = context.Caller();
        var goal = await goals.GetAsync(caller.WorkspaceId, Year(year));
        await goals.DeleteAsync(caller.WorkspaceId, year, caller.Actor);
        await watch.ForgetAsync(caller.WorkspaceId, goal.Id);
        return TypedResults.NoContent();
    }

    public static async Task<FileContentHttpResult> ExportGoalMonthsCsv(int year, HttpContext context, GoalWatch watch)
    {
        var report = await watch.ReportAsync(context.Caller().WorkspaceId, Year(year));
        return TypedResults.File(GoalCsv.Months(report), "text/csv; charset=utf-8", $"goal-{year}-months.csv");
    }

    private static int Year(int year) => year is < GoalBook.FirstYear or > GoalBook.LastYear
        ? throw new ValidationFailedException($"year {year} is out of range; use a year from {GoalBook.FirstYear} to {GoalBook.LastYear}.", "year")
        : year;
}
