using Microsoft.Extensions.DependencyInjection;
using Pond.Analytics;

namespace Pond.Server.Demo;

/// <summary>
/// Rewrites the demo brand's insight rollups over everything the other demo steps made (they wrote history in bulk,
/// not through the marking paths alone), takes the pool snapshot, and reads the dashboard the console opens on.
/// </summary>
internal static class DemoInsight
{
    public static async Task<OpsDashboardReport> SetUpAsync(IServiceProvider services, Guid workspaceId, CancellationToken cancellationToken = default)
    {
        var refresher = services.GetRequiredService<InsightRefresher>();
        if (await refresher.ActivitySpanAsync(workspaceId) is { } span)
            await refresher.RebuildAsync(workspaceId, span.From, span.To, cancellationToken);
        await refresher.RefreshAsync(workspaceId, cancellationToken);
        await refresher.SnapshotPoolAsync(workspaceId, cancellationToken);
        return await services.GetRequiredService<OpsDashboard>().LoadAsync(workspaceId, null, null);
    }
}
