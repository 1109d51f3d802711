using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pond.Analytics;

public static class AnalyticsServices
{
    /// <summary>The insight rollups and their reader; the refresher's loop runs only where engines run.</summary>
    public static IServiceCollection AddAnalytics(this IServiceCollection services, bool runEngines)
    {
        services.TryAddSingleton<InsightRefresher>();
        services.TryAddSingleton<InsightReader>();
        services.TryAddSingleton<OpsDashboard>();
        services.TryAddSingleton<InsightReports>();
        if (runEngines)
            services.AddHostedService<InsightWorker>();
        return services;
    }
}

/// <summary>
/// Rewrites dirty days every two seconds, and once a minute snapshots each workspace's pool by depth (the
/// snapshot is what the dashboard's pool figures and the pool history are anchored on).
/// </summary>
internal sealed class InsightWorker(InsightRefresher refresher, ILogger<InsightWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(2);
    private const int SnapshotEveryTicks = 30;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        var tick = 0;
        do
        {
            try
            {
                await refresher.RefreshAsync(cancellationToken: stoppingToken);
                if (tick++ % SnapshotEveryTicks == 0)
                {
                    foreach (var workspaceId in await refresher.WorkspacesAsync())
                        await refresher.SnapshotPoolAsync(workspaceId, stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Insight refresh failed; trying again shortly");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
