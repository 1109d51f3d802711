using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pond.Analytics;
using Pond.Audience;
using Pond.Commerce;
using Pond.Fission;
using Pond.Journeys;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond;

public static class PondServices
{
    /// <summary>Registers the engine-side services every host (server, CLI verbs, tests, bench) needs.</summary>
    public static IServiceCollection AddPondCore(this IServiceCollection services, string connectionString)
    {
        services.TryAddSingleton(TimeProvider.System);
        // Made by the container so it is disposed with it: the PostgreSQL pool closes its connections when a host stops.
        services.AddSingleton(_ => new Database(connectionString));
        services.AddSingleton<MigrationRunner>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<WorkspaceService>();
        services.AddSingleton<AudienceChanges>();
        services.AddCommerce();
        services.AddFission();
        services.AddJourneys();
        services.AddAnalytics(runEngines: false);
        return services;
    }
}
