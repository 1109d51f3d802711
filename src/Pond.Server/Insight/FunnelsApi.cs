using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Pond.Analytics;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Insight;

/// <summary>
/// The admin API for funnels (/api/insight/funnels): the standard private-domain funnel from the rollups, custom
/// ordered funnels over raw events, and a CSV of each (docs/funnels-cohorts.md).
/// </summary>
internal static class FunnelsApi
{
    /// <summary>Funnels and cohorts: the readers the API, the console pages and the bench share.</summary>
    public static IServiceCollection AddFunnelsAndCohorts(this IServiceCollection services)
    {
        services.AddSingleton<StandardFunnels>();
        services.AddSingleton<CustomFunnels>();
        services.AddSingleton<Cohorts>();
        return services;
    }

    public static IEndpointRouteBuilder MapFunnelsApi(this IEndpointRouteBuilder routes)
    {
        var funnels = routes.MapGroup("/api/insight/funnels")
            .WithTags("Funnels")
            .RequireAuthorization(Policies.Read)
            .NotForStaffRole("Funnels count every customer of the workspace")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        funnels.MapGet("/standard", GetStandardFunnel).WithName("GetStandardFunnel")
            .WithSummary("The standard funnel (reached → added → joined a group → first order → repurchase) over a period against the one before, with time to first order and a breakdown by channel or staff.");
        funnels.MapGet("/standard.csv", ExportStandardFunnelCsv).WithName("ExportStandardFunnelCsv")
            .WithSummary("The standard funnel's tables as CSV (UTF-8 with a byte-order mark, for Excel).")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        funnels.MapGet("/custom", GetCustomFunnel).WithName("GetCustomFunnel")
            .WithSummary("An ordered funnel of any events with a conversion window: customers per step, conversion, time between steps, and a breakdown by first channel, owner or segment.");
        funnels.MapGet("/custom.csv", ExportCustomFunnelCsv).WithName("ExportCustomFunnelCsv")
            .WithSummary("A custom funnel's tables as CSV (UTF-8 with a byte-order mark, for Excel).")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        funnels.MapGet("/events", ListFunnelEvents).WithName("ListFunnelEvents")
            .WithSummary("The event names received in this workspace, for building a custom funnel.");
        return routes;
    }

    /// <param name="from">First day, yyyy-MM-dd in the workspace's zone (default: 29 days before to).</param>
    /// <param name="to">Last day, inclusive (default: today).</param>
    /// <param name="by">none (default), channel or staff.</param>
    public static async Task<Ok<StandardFunnelReport>> GetStandardFunnel(string? from, string? to, string? by, HttpContext context, StandardFunnels funnels) =>
        TypedResults.Ok(await funnels.StandardFunnelAsync(context.Caller().WorkspaceId, from, to, by));

    /// <param name="from">First day, yyyy-MM-dd in the workspace's zone (default: 29 days before to).</param>
    /// <param name="to">Last day, inclusive (default: today).</param>
    /// <param name="by">none (default), channel or staff.</param>
    public static async Task<FileContentHttpResult> ExportStandardFunnelCsv(string? from, string? to, string? by, HttpContext context, StandardFunnels funnels)
    {
        var report = await funnels.StandardFunnelAsync(context.Caller().WorkspaceId, from, to, by);
        return TypedResults.File(StandardFunnels.ToCsv(report), "text/csv; charset=utf-8", $"funnel-{report.From:yyyy-MM-dd}-to-{report.To:yyyy-MM-dd}.csv");
    }

    /// <param name="steps">Event names in order, one parameter each (steps=Product Viewed&amp;steps=Order Completed); 2 to 10.</param>
    /// <param name="from">First day the first step may fall on, yyyy-MM-dd (default: 29 days before to); at most 92 days.</param>
    /// <param name="to">Last day the first step may fall on, inclusive (default: today).</param>
    /// <param name="windowDays">Days after the first step by which every later step must happen (default 7, 1 to 90).</param>
    /// <param name="by">none (default), channel (the customer's first channel), staff (their owner) or segment.</param>
    /// <param name="segment">With by=segment: segment ids or names, one parameter each.</param>
    public static async Task<Ok<CustomFunnelReport>> GetCustomFunnel(
        [FromQuery] string[]? steps, string? from, string? to, string? windowDays, string? by, [FromQuery] string[]? segment, HttpContext context, CustomFunnels funnels) =>
        TypedResults.Ok(await funnels.CustomFunnelAsync(context.Caller().WorkspaceId, steps, from, to, windowDays, by, segment));

    /// <param name="steps">Event names in order, one parameter each; 2 to 10.</param>
    /// <param name="from">First day the first step may fall on, yyyy-MM-dd; at most 92 days.</param>
    /// <param name="to">Last day the first step may fall on, inclusive (default: today).</param>
    /// <param name="windowDays">Days after the first step by which every later step must happen (default 7).</param>
    /// <param name="by">none (default), channel, staff or segment.</param>
    /// <param name="segment">With by=segment: segment ids or names.</param>
    public static async Task<FileContentHttpResult> ExportCustomFunnelCsv(
        [FromQuery] string[]? steps, string? from, string? to, string? windowDays, string? by, [FromQuery] string[]? segment, HttpContext context, CustomFunnels funnels)
    {
        var report = await funnels.CustomFunnelAsync(context.Caller().WorkspaceId, steps, from, to, windowDays, by, segment);
        return TypedResults.File(CustomFunnels.ToCsv(report), "text/csv; charset=utf-8", $"custom-funnel-{report.From:yyyy-MM-dd}-to-{report.To:yyyy-MM-dd}.csv");
    }

    public static async Task<Ok<IReadOnlyList<string>>> ListFunnelEvents(HttpContext context, CustomFunnels funnels) =>
        TypedResults.Ok(await funnels.EventNamesAsync(context.Caller().WorkspaceId));
}
