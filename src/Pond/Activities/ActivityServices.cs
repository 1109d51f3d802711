using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Pond.Activities;

public static class ActivityServices
{
    /// <summary>Flash sales and group buys; the sweeper that releases and expires them runs only where engines run.</summary>
    public static IServiceCollection AddActivities(this IServiceCollection services, bool runEngines)
    {
        services.TryAddSingleton<AttemptTally>();
        services.TryAddSingleton<ActivityOrders>();
        services.TryAddSingleton<FlashSales>();
        services.TryAddSingleton<GroupBuys>();
        if (runEngines)
            services.AddHostedService<ActivitySweeper>();
        return services;
    }
}
