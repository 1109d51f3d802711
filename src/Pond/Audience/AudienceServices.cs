using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pond.Audience;

public static class AudienceServices
{
    /// <summary>The audience index, segments and their engine; <paramref name="runEngine"/> keeps memberships current in the background.</summary>
    public static IServiceCollection AddAudience(this IServiceCollection services, bool runEngine)
    {
        services.AddSingleton<AudienceStore>();
        services.AddSingleton<AudienceIndex>();
        services.AddSingleton<AudienceEngine>();
        services.AddSingleton<SegmentBook>();
        services.AddSingleton<AudienceEventLog>();
        if (runEngine)
            services.AddHostedService<AudienceWorker>();
        return services;
    }
}

/// <summary>
/// Builds every workspace's audience at start, then applies changes as they come (within about a
/// second: it wakes on a notice, and looks for new timeline rows every second anyway) and re-evaluates
/// clock-dependent segments every <see cref="TickInterval"/>.
/// </summary>
internal sealed class AudienceWorker(AudienceEngine engine, AudienceChanges changes, TimeProvider clock, ILogger<AudienceWorker> logger) : BackgroundService
{
    public static readonly TimeSpan TickInterval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await engine.WarmUpAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Building the audience index failed; it is built on first use instead");
        }

        var nextTick = clock.GetUtcNow() + TickInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var notice = changes.Reader.WaitToReadAsync(wait.Token).AsTask();
                await Task.WhenAny(notice, Task.Delay(TimeSpan.FromSeconds(1), clock, wait.Token));
                await wait.CancelAsync();
                stoppingToken.ThrowIfCancellationRequested();
                await engine.CatchUpAsync(stoppingToken);
                if (clock.GetUtcNow() >= nextTick)
                {
                    await engine.TickAsync(stoppingToken);
                    nextTick = clock.GetUtcNow() + TickInterval;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Keeping segment memberships current failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(2), clock, stoppingToken);
            }
        }
    }
}
