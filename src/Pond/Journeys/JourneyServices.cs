using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pond.Journeys;

public static class JourneyServices
{
    /// <summary>Journeys for every host: the catalog, entries (called by the processor and the audience engine), the engine and the scheduler.</summary>
    public static IServiceCollection AddJourneys(this IServiceCollection services)
    {
        services.AddSingleton<JourneyCatalog>();
        services.AddSingleton<JourneyEntries>();
        services.AddSingleton<JourneyEngine>();
        services.AddSingleton<JourneyScheduler>();
        services.AddSingleton<JourneySimulator>();
        services.AddSingleton<JourneyRuns>();
        services.AddSingleton<JourneyTemplates>();
        return services;
    }

    /// <summary>The background worker that runs due steps and date/inactivity scans (servers with engines only).</summary>
    public static IServiceCollection AddJourneyEngines(this IServiceCollection services) => services.AddHostedService<JourneyWorker>();
}

/// <summary>Runs due journey steps every second and the date/inactivity scans every minute.</summary>
internal sealed class JourneyWorker(JourneyEngine engine, JourneyScheduler scheduler, TimeProvider clock, ILogger<JourneyWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextScan = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (clock.GetUtcNow() >= nextScan)
                {
                    await scheduler.ScanAsync(stoppingToken);
                    nextScan = clock.GetUtcNow().AddMinutes(1);
                }

                await engine.RunDueAsync(stoppingToken);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // One failed pass must not stop every later journey step.
            catch (Exception e)
#pragma warning restore CA1031
            {
                logger.LogError(e, "The journey engine failed a pass; trying again");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
