using System.Data.Common;
using Pond.Loyalty;

namespace Pond.Commerce.Coupons;

/// <summary>
/// Issues the coupons member tiers promise (the tier's discount coupon on upgrade, the birthday coupon) inside the
/// tier's transaction. A template that cannot issue (paused, out of stock, over its per-customer limit) is reported
/// as not issued, and the tier keeps the grant as owed rather than failing the order that caused the upgrade.
/// </summary>
internal sealed class CouponTierBenefits : ITierBenefitIssuer
{
    public async Task<bool> IssueCouponAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid customerId, Guid couponTemplateId,
        string reason, string idempotencyKey, DateTimeOffset now)
    {
        try
        {
            await CouponIssuer.IssueInCoreAsync(connection, transaction, now, workspaceId, couponTemplateId, customerId, CouponSources.Tier, idempotencyKey);
            return true;
        }
        catch (Exception e) when (e is ConflictException or NotFoundException or ValidationFailedException)
        {
            return false;
        }
    }
}
