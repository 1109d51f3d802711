using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pond.Commerce;

namespace Pond.Loyalty;

public static class LoyaltyServices
{
    /// <summary>Points and tiers, and their order effects (stages 200 and 300). Called from AddCommerce, so every host has them.</summary>
    public static IServiceCollection AddLoyalty(this IServiceCollection services)
    {
        services.TryAddSingleton<LoyaltySettingsStore>();
        services.TryAddSingleton<PointsBook>();
        services.TryAddSingleton<TierBook>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOrderEffect, PointsOrderEffect>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOrderEffect, TierOrderEffect>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Customers.ICustomerMergeParticipant, LoyaltyMergeParticipant>());
        return services;
    }

    /// <summary>The background worker: points expiry every minute, the nightly tier and birthday run at each workspace's local midnight.</summary>
    public static IServiceCollection AddLoyaltyWorker(this IServiceCollection services) =>
        services.AddHostedService<LoyaltyWorker>();
}

/// <summary>
/// Expires due points lots and runs the nightly tier job when a workspace's local day turns. The cadence is wall-clock;
/// what is due is decided by the books' <see cref="TimeProvider"/>, so a test that moves its clock sees the effect on
/// the next pass (or calls <see cref="PointsBook.ExpireDueAsync"/> / <see cref="TierBook.RunDueAsync"/> itself).
/// </summary>
internal sealed class LoyaltyWorker(PointsBook points, TierBook tiers, ILogger<LoyaltyWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var expired = await points.ExpireDueAsync(stoppingToken);
                if (expired > 0)
                    logger.LogInformation("Expired {Points} points", expired);
                await tiers.RunDueAsync(stoppingToken);
                await Task.Delay(Poll, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // Each lot and each batch is its own transaction; log the failure and try again next pass.
            catch (Exception e)
#pragma warning restore CA1031
            {
                logger.LogError(e, "The loyalty worker failed; retrying in {Delay}", Poll);
                await Task.Delay(Poll, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
