using Pond.Loyalty;
using Pond.Storage;

namespace Pond.Commerce.Coupons;

/// <summary>
/// Redeems points for a coupon (积分兑券): the spend and the issue are one transaction, so a coupon out of stock or
/// over its per-customer limit spends nothing, and a short balance issues nothing. The idempotency key covers both:
/// a retry answers the first exchange with its coupon.
/// </summary>
internal sealed class PointsCouponExchange(PointsBook points, CouponTemplates templates, Database database)
{
    public sealed record Exchange(PointsResult Points, Coupon Coupon);

    public async Task<Exchange> ExchangeAsync(Guid workspaceId, Guid customerId, Guid templateId, long cost, string idempotencyKey, string? actor)
    {
        var template = await templates.GetAsync(workspaceId, templateId);
        var issueKey = $"points:{idempotencyKey.Trim()}";
        Coupon? issued = null;
        var result = await points.SpendAlongsideAsync(workspaceId, customerId, cost, $"Coupon: {template.Name}", $"coupon-template:{templateId}", idempotencyKey, actor,
            async (connection, transaction, entry) =>
                issued = (await CouponIssuer.IssueInCoreAsync(connection, transaction, entry.CreatedAt, workspaceId, templateId, customerId, CouponSources.Points, issueKey)).Coupon);
        if (issued is null)
        {
            // A replay: the coupon the first exchange issued.
            await using var connection = await database.OpenAsync();
            issued = await CouponIssuer.ByKeyAsync(connection, null, templateId, issueKey)
                ?? throw new ConflictException($"The idempotency key '{idempotencyKey}' was used for a points spend that bought no coupon of this template; use a new key.");
        }

        return new Exchange(result, issued);
    }
}
