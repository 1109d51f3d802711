using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pond.Alerts;
using Pond.Analytics;
using Pond.Storage;

namespace Pond.Goals;

public static class GoalAlerts
{
    /// <summary>The current year's goal is behind the month's pace (subject: the goal).</summary>
    public const string Behind = "goal_behind";

    // The alert message is "year: reason"; the console translates the reason, so these are fixed sentences.
    public const string AddsBehind = "gross adds are behind this month's pace";
    public const string GmvBehind = "GMV is behind this month's pace";
    public const string BothBehind = "gross adds and GMV are behind this month's pace";
}

/// <summary>
/// Raises an alert on the console's board while the current year's goal is more than its threshold behind the month's
/// pace, and resolves it once the goal is back on pace (or deleted). Checked each time a goal's report is read, so
/// the page never disagrees with the board, and every ten minutes by <see cref="GoalWatchService"/>, so the home
/// page says so even when nobody opens the goal.
/// </summary>
public sealed class GoalWatch(Database database, GoalBook goals, GoalReports reports, AlertBoard alerts, InsightReader insight)
{
    /// <summary>The report of a goal, with its alert brought in line with its pace.</summary>
    public async Task<GoalReport> ReportAsync(Guid workspaceId, int year)
    {
        var goal = await goals.GetAsync(workspaceId, year);
        var report = await reports.ReportAsync(goal);
        await ApplyAsync(goal, report);
        return report;
    }

    /// <summary>Checks the current year's goal of every workspace that has one; returns how many are behind.</summary>
    public async Task<int> CheckAllAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var candidates = (await connection.QueryAsync<GoalKey>("SELECT workspace_id, year FROM goals")).AsList();
        var behind = 0;
        foreach (var candidate in candidates)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var today = insight.Today(await insight.ZoneAsync(candidate.WorkspaceId));
            if (candidate.Year != today.Year)
                continue;
            var goal = await goals.FindAsync(candidate.WorkspaceId, candidate.Year);
            if (goal is null)
                continue;
            var report = await reports.ReportAsync(goal);
            await ApplyAsync(goal, report);
            if (report.Pace?.Behind == true)
                behind++;
        }

        return behind;
    }

    /// <summary>The goal was deleted: its alert goes with it.</summary>
    public Task ForgetAsync(Guid workspaceId, Guid goalId) => alerts.ResolveAsync(workspaceId, GoalAlerts.Behind, goalId);

    private async Task ApplyAsync(Goal goal, GoalReport report)
    {
        // Only the current month of the current year has a pace; any other year's goal has nothing to alert about.
        var reason = report.Pace switch
        {
            { AddsBehind: true, GmvBehind: true } => GoalAlerts.BothBehind,
            { AddsBehind: true } => GoalAlerts.AddsBehind,
            { GmvBehind: true } => GoalAlerts.GmvBehind,
            _ => null,
        };
        if (reason is null)
        {
            await alerts.ResolveAsync(goal.WorkspaceId, GoalAlerts.Behind, goal.Id);
            return;
        }

        var message = $"{goal.Year}: {reason}";
        var open = (await alerts.OpenAsync(goal.WorkspaceId)).FirstOrDefault(a => a.Kind == GoalAlerts.Behind && a.SubjectId == goal.Id);
        if (open is not null && open.Message == message)
            return;
        // What is behind changed (adds, GMV or both): the board shows the new reason.
        if (open is not null)
            await alerts.ResolveAsync(goal.WorkspaceId, GoalAlerts.Behind, goal.Id);
        await alerts.RaiseAsync(goal.WorkspaceId, GoalAlerts.Behind, goal.Id, message);
    }

    private sealed class GoalKey
    {
        public Guid WorkspaceId { get; init; }
        public int Year { get; init; }
    }
}

/// <summary>Checks the goals' pace every ten minutes (pace moves with the day's adds and orders, not by the second).</summary>
internal sealed class GoalWatchService(GoalWatch watch, ILogger<GoalWatchService> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        do
        {
            try
            {
                await watch.CheckAllAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Checking goals' pace failed; trying again in ten minutes");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

public static class GoalServices
{
    /// <summary>Goals, their reports and the pace watch; the watch's loop runs only where engines run.</summary>
    public static IServiceCollection AddGoals(this IServiceCollection services, bool runEngines)
    {
        services.TryAddSingleton<AlertBoard>();
        services.TryAddSingleton<GoalBook>();
        services.TryAddSingleton<GoalReports>();
        services.TryAddSingleton<GoalWatch>();
        if (runEngines)
            services.AddHostedService<GoalWatchService>();
        return services;
    }
}
