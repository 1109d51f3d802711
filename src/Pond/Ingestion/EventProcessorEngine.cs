using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pond.Ingestion;

/// <summary>
/// Runs the event processor in the background: applies whatever is pending, then sleeps until the
/// writer signals new events (or a second passes, for events written by another node).
/// </summary>
internal sealed class EventProcessorEngine(EventProcessor processor, EventLogWriter writer, ILogger<EventProcessorEngine> logger) : BackgroundService
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan AfterFailure = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Event processor started");
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var applied = await processor.ProcessPendingAsync(cancellationToken: stoppingToken);
                if (applied == 0)
                    await WaitForEventsAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // A failed batch was rolled back whole; log it and try again rather than stop applying events for good.
            catch (Exception e)
#pragma warning restore CA1031
            {
                logger.LogError(e, "The event processor failed; retrying in {Delay}", AfterFailure);
                await Task.Delay(AfterFailure, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task WaitForEventsAsync(CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(IdlePoll);
        try
        {
            await writer.Appended.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // Idle poll elapsed.
        }
    }
}
