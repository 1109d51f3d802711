using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Channels;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Channels;

/// <summary>The admin API for channel analytics (/api/channels/analytics): the table, its daily series and a CSV of the table.</summary>
internal static class ChannelAnalyticsApi
{
    public static IServiceCollection AddChannelAnalytics(this IServiceCollection services) => services.AddSingleton<ChannelAnalytics>();

    public static IEndpointRouteBuilder MapChannelAnalyticsApi(this IEndpointRouteBuilder routes)
    {
        var analytics = routes.MapGroup("/api/channels/analytics")
            .WithTags("Channel analytics")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        analytics.MapGet("/", GetChannelAnalytics).WithName("GetChannelAnalytics")
            .WithSummary("Visits, adds, cost, retention, deletions and first orders per channel, live code or staff member over a range of days, with totals.");
        analytics.MapGet("/daily", GetChannelAnalyticsDaily).WithName("GetChannelAnalyticsDaily")
            .WithSummary("Adds and deletions per day of the range, for the workspace or one channel or live code.");
        // "/api/channels/analytics.csv" is a sibling of the group's path, not below it.
        routes.MapGet("/api/channels/analytics.csv", ExportChannelAnalyticsCsv).WithName("ExportChannelAnalyticsCsv")
            .WithTags("Channel analytics")
            .RequireAuthorization(Policies.Read)
            .WithSummary("The analytics table as CSV (UTF-8 with a byte-order mark, for Excel).")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return routes;
    }

    /// <param name="from">First day, yyyy-MM-dd in the workspace's zone (default: 29 days before to).</param>
    /// <param name="to">Last day, inclusive (default: today).</param>
    /// <param name="by">channel (default), code or staff.</param>
    /// <param name="channel">A channel id: only what that channel brought.</param>
    public static async Task<Ok<ChannelAnalyticsReport>> GetChannelAnalytics(
        string? from, string? to, string? by, string? channel, HttpContext context, ChannelAnalytics analytics) =>
        TypedResults.Ok(await analytics.ReportAsync(context.Caller().WorkspaceId, Query(context, AnalyticsQuery.Parse(from, to, by, channel))));

    /// <param name="from">First day, yyyy-MM-dd in the workspace's zone (default: 29 days before to).</param>
    /// <param name="to">Last day, inclusive (default: today).</param>
    /// <param name="channel">A channel id: only that channel's adds and deletions.</param>
    /// <param name="code">A live code id: only that code's adds and deletions.</param>
    public static async Task<Ok<DailySeries>> GetChannelAnalyticsDaily(
        string? from, string? to, string? channel, string? code, HttpContext context, ChannelAnalytics analytics) =>
        TypedResults.Ok(await analytics.DailyAsync(context.Caller().WorkspaceId, Query(context, AnalyticsQuery.Parse(from, to, null, channel, code))));

    /// <param name="from">First day, yyyy-MM-dd in the workspace's zone (default: 29 days before to).</param>
    /// <param name="to">Last day, inclusive (default: today).</param>
    /// <param name="by">channel (default), code or staff.</param>
    /// <param name="channel">A channel id: only what that channel brought.</param>
    public static async Task<FileContentHttpResult> ExportChannelAnalyticsCsv(
        string? from, string? to, string? by, string? channel, HttpContext context, ChannelAnalytics analytics)
    {
        var report = await analytics.ReportAsync(context.Caller().WorkspaceId, Query(context, AnalyticsQuery.Parse(from, to, by, channel)));
        return TypedResults.File(ChannelAnalytics.ToCsv(report), "text/csv; charset=utf-8", CsvFileName(report));
    }

    /// <summary>Staff see only their own customers, so their analytics cover only the adds credited to them.</summary>
    public static AnalyticsQuery ForCaller(this AnalyticsQuery query, Caller caller) =>
        caller.OnlyOwnedBy is { } staff ? query with { Staff = staff } : query;

    private static AnalyticsQuery Query(HttpContext context, AnalyticsQuery query) => query.ForCaller(context.Caller());

    public static string CsvFileName(ChannelAnalyticsReport report) =>
        $"channel-analytics-by-{report.By}-{report.From:yyyy-MM-dd}-to-{report.To:yyyy-MM-dd}.csv";
}
