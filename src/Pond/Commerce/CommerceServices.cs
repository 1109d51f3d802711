using Microsoft.Extensions.DependencyInjection;

namespace Pond.Commerce;

public static class CommerceServices
{
    /// <summary>
    /// Orders and everything an order causes (coupons, points, tiers). Part of the core: the event processor
    /// records orders from Order Completed events, so every host that processes events needs these.
    /// </summary>
    public static IServiceCollection AddCommerce(this IServiceCollection services)
    {
        services.AddSingleton<OrderBook>();
        services.AddSingleton<OrderReports>();
        services.AddSingleton<Customers.ICustomerMergeParticipant, OrderMergeParticipant>();
        return services;
    }
}
