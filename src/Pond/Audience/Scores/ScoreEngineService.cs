using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pond.Audience.Scores;

/// <summary>
/// Runs the score engine in the background: a full run of every workspace on start, then every half second the new
/// orders (incremental, within about a second of the order) and any full run that came due (settings changed, an
/// hour since the last, a new day in the workspace's zone). The cadence is wall-clock; what is due is decided by the
/// engine's <see cref="TimeProvider"/>, so a test that moves its clock sees stages move on the next pass.
/// </summary>
internal sealed class ScoreEngineService(ScoreEngine engine, ILogger<ScoreEngineService> logger) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan AfterFailure = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let the host finish starting before the first (possibly long) full run.
        await Task.Yield();
        var started = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!started)
                {
                    await engine.InitialiseCheckpointAsync(stoppingToken);
                    await engine.RunDueAsync(all: true, stoppingToken);
                    started = true;
                }

                await engine.RunDueAsync(cancellationToken: stoppingToken);
                while (await engine.ApplyNewOrdersAsync(cancellationToken: stoppingToken) > 0)
                {
                }

                await Task.Delay(Poll, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // A failed pass wrote nothing half-way (each batch is a transaction); log it and try again.
            catch (Exception e)
#pragma warning restore CA1031
            {
                logger.LogError(e, "The score engine failed; retrying in {Delay}", AfterFailure);
                await Task.Delay(AfterFailure, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}

public static class ScoreServices
{
    /// <summary>RFM and lifecycle scoring; <paramref name="runEngine"/> also keeps the scores current in the background.</summary>
    public static IServiceCollection AddScores(this IServiceCollection services, bool runEngine)
    {
        services.AddSingleton<ScoreSettingsStore>();
        services.AddSingleton<ScoreEngine>();
        services.AddSingleton<ScoreReports>();
        if (runEngine)
            services.AddHostedService<ScoreEngineService>();
        return services;
    }
}
