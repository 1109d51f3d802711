using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pond.Commerce;
using Pond.Fission.Assists;

namespace Pond.Fission;

public static class FissionServices
{
    /// <summary>
    /// Referral campaigns. Part of the core: the event processor records invitations from adds, group joins and leaves,
    /// and the order book completes those that wait for a first order, so every host that processes events needs these.
    /// </summary>
    public static IServiceCollection AddFission(this IServiceCollection services)
    {
        services.TryAddSingleton<ReferralEngine>();
        services.TryAddSingleton<ReferralCampaigns>();
        services.TryAddSingleton<ReferralParticipants>();
        services.TryAddSingleton<Referrals>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOrderEffect, ReferralOrderEffect>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Customers.ICustomerMergeParticipant, ReferralMergeParticipant>());
        services.AddFissionGames();
        return services;
    }

    /// <summary>The sweeper that expires invitations whose success window closed; only where engines run.</summary>
    public static IServiceCollection AddFissionEngines(this IServiceCollection services)
    {
        services.AddHostedService<ReferralSweeper>();
        services.AddFissionGameEngines();
        return services;
    }
}
