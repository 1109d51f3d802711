using Microsoft.Extensions.DependencyInjection;

namespace Pond.Journeys;

public static class JourneyServices
{
    /// <summary>Journeys for every host: the catalog (drafts, versions).</summary>
    public static IServiceCollection AddJourneys(this IServiceCollection services)
    {
        services.AddSingleton<JourneyCatalog>();
        return services;
    }
}
