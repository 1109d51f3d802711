using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pond.Fission;

/// <summary>Every minute: pending invitations whose success window closed become expired (a conditional update, safe on several nodes).</summary>
internal sealed class ReferralSweeper(Referrals referrals, ILogger<ReferralSweeper> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        do
        {
            try
            {
                var expired = await referrals.ExpireDueAsync(stoppingToken);
                if (expired > 0)
                    logger.LogInformation("Expired {Count} referral invitations whose success window closed", expired);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Referral sweep failed; trying again shortly");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
