using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;


namespace Pond.Fission.Assists;

public static class GameServices
{
    /// <summary>Friend assist, bargain and lottery (docs/fission-games.md); called from FissionServices.AddFission.</summary>
    public static IServiceCollection AddFissionGames(this IServiceCollection services)
    {
        services.TryAddSingleton<GameRewards>();
        services.TryAddSingleton<Assists>();
        services.TryAddSingleton<Bargains>();
        services.TryAddSingleton<Lotteries.Lotteries>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Customers.ICustomerMergeParticipant, GameMergeParticipant>());
        return services;
    }

    /// <summary>The sweeper that marks assist requests and bargain sessions whose time ran out; only where engines run.</summary>
    public static IServiceCollection AddFissionGameEngines(this IServiceCollection services)
    {
        services.AddHostedService<GameSweeper>();
        return services;
    }
}

/// <summary>
/// Every minute: open assist requests and open or reached bargain sessions past their time become expired. Reads
/// already treat them as expired (StateAt), so this only keeps the stored state and the partial unique indexes tidy.
/// </summary>
internal sealed class GameSweeper(Assists assists, Bargains bargains, ILogger<GameSweeper> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        do
        {
            try
            {
                var expired = await assists.ExpireDueAsync(stoppingToken) + await bargains.ExpireDueAsync(stoppingToken);
                if (expired > 0)
                    logger.LogInformation("Expired {Count} assist requests and bargain sessions whose time ran out", expired);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Assist and bargain sweep failed; trying again shortly");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
