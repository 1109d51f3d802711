using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pond.Audience;
using Pond.Storage;

namespace Pond.Commerce.Coupons;

/// <summary>Marks unused coupons whose window has closed as expired (every workspace at once).</summary>
internal sealed class CouponExpiry(Database database, TimeProvider clock, AudienceChanges changes)
{
    public const int BatchSize = 1000;

    /// <summary>Expires every due coupon now; returns how many. Tests call it with a manual clock.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken = default)
    {
        var total = 0;
        await using var connection = await database.OpenAsync(cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            var due = (await connection.QueryAsync<DueRow>(
                "SELECT id, workspace_id, customer_id FROM coupons WHERE status = 'unused' AND valid_to <= @now LIMIT @limit",
                new { now, limit = BatchSize })).AsList();
            if (due.Count == 0)
                break;
            var expired = 0;
            foreach (var chunk in due.Chunk(200))
            {
                // The status condition keeps a coupon redeemed meanwhile (in its last second) from being expired.
                expired += database.IsSqlite
                    ? await connection.ExecuteAsync(
                        "UPDATE coupons SET status = 'expired', expired_at = @now, updated_at = @now WHERE status = 'unused' AND valid_to <= @now AND id IN (SELECT value FROM json_each(@ids))",
                        new { now, ids = System.Text.Json.JsonSerializer.Serialize(chunk.Select(d => d.Id)) })
                    : await connection.ExecuteAsync(
                        "UPDATE coupons SET status = 'expired', expired_at = @now, updated_at = @now WHERE status = 'unused' AND valid_to <= @now AND id = ANY(@ids)",
                        new { now, ids = chunk.Select(d => d.Id).ToArray() });
            }

            total += expired;
            foreach (var workspace in due.GroupBy(d => d.WorkspaceId))
                changes.Touch(workspace.Key, workspace.Select(d => d.CustomerId));
            if (due.Count < BatchSize)
                break;
        }

        return total;
    }

    private sealed class DueRow
    {
        public Guid Id { get; init; }
        public Guid WorkspaceId { get; init; }
        public Guid CustomerId { get; init; }
    }
}

/// <summary>Runs <see cref="CouponExpiry.ExpireDueAsync"/> every <see cref="Interval"/>.</summary>
internal sealed class CouponExpiryService(CouponExpiry expiry, TimeProvider clock, ILogger<CouponExpiryService> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var expired = await expiry.ExpireDueAsync(stoppingToken);
                if (expired > 0)
                    logger.LogInformation("Expired {Count} coupons", expired);
                await Task.Delay(Interval, clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Expiring coupons failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(10), clock, stoppingToken);
            }
        }
    }
}
