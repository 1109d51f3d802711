using Microsoft.Extensions.DependencyInjection;
using Pond.Customers;

namespace Pond.Ingestion;

public static class IngestionServices
{
    /// <summary>The event log writer and the event processor; <paramref name="runEngine"/> also applies events in the background.</summary>
    public static IServiceCollection AddPondIngestion(this IServiceCollection services, bool runEngine)
    {
        services.AddSingleton<EventLogWriter>();
        services.AddSingleton<IdentityResolver>();
        services.AddSingleton<EventProcessor>();
        if (runEngine)
            services.AddHostedService<EventProcessorEngine>();
        return services;
    }
}
