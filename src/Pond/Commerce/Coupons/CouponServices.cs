using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Pond.Commerce.Coupons;

public static class CouponServices
{
    /// <summary>Coupon templates, issuing, redemption (and the order effect that redeems an order's codes), expiry.</summary>
    public static IServiceCollection AddCoupons(this IServiceCollection services)
    {
        services.TryAddSingleton<CouponTemplates>();
        services.TryAddSingleton<CouponIssuer>();
        services.TryAddSingleton<CouponRedeemer>();
        services.TryAddSingleton<CouponExpiry>();
        services.TryAddSingleton<PointsCouponExchange>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOrderEffect, CouponEffect>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Loyalty.ITierBenefitIssuer, CouponTierBenefits>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Customers.ICustomerMergeParticipant, CouponMergeParticipant>());
        return services;
    }

    /// <summary>Expires coupons on time, in the background (hosts that run engines).</summary>
    public static IServiceCollection AddCouponExpiry(this IServiceCollection services)
    {
        services.AddHostedService<CouponExpiryService>();
        return services;
    }
}
