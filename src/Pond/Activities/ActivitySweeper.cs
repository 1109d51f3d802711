using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pond.Activities;

/// <summary>
/// Every couple of seconds: releases flash-sale reservations whose payment time ran out, expires group buys whose
/// time limit passed (with their refunds), and flushes the attempt counters. Several nodes may run it: every step is a
/// conditional update, so a row is released or expired once.
/// </summary>
internal sealed class ActivitySweeper(FlashSales flashSales, GroupBuys groupBuys, AttemptTally tally, ILogger<ActivitySweeper> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Activity sweep failed; trying again shortly");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass; tests call it with a manual clock.</summary>
    public async Task SweepAsync(CancellationToken cancellationToken = default)
    {
        var released = await flashSales.ReleaseExpiredAsync(cancellationToken);
        var expired = await groupBuys.ExpireDueAsync(cancellationToken);
        await tally.FlushAsync(cancellationToken: cancellationToken);
        if (released > 0 || expired > 0)
            logger.LogInformation("Released {Released} unpaid flash-sale units; expired {Expired} groups", released, expired);
    }
}
