using System.Data.Common;
using Dapper;

namespace Pond.Commerce.Coupons;

/// <summary>
/// A live code's welcome coupon: when the code's welcome_coupon holds a coupon template id, each new friend is issued
/// a real coupon of that template (once per add: the key is the add's message id) and {coupon} in the welcome text
/// renders as "name (券码 CODE)". Any other text is shown as it is.
/// </summary>
internal static class CouponWelcome
{
    /// <summary>The welcome_coupon value as the message should show it; issues the coupon when it names a template.</summary>
    public static async Task<string?> RenderAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset now, Guid workspaceId, Guid customerId,
        string? welcomeCoupon, string messageId)
    {
        if (!Guid.TryParse(welcomeCoupon, out var templateId))
            return welcomeCoupon;
        try
        {
            var issue = await CouponIssuer.IssueInCoreAsync(connection, transaction, now, workspaceId, templateId, customerId, CouponSources.Welcome, $"welcome:{messageId}");
            var name = await connection.ExecuteScalarAsync<string>("SELECT name FROM coupon_templates WHERE id = @templateId", new { templateId }, transaction);
            return $"{name}（券码 {issue.Coupon.Code}）";
        }
        catch (Exception e) when (e is ConflictException or NotFoundException)
        {
            // Paused, out of stock, limit reached or deleted: the friend is still welcomed, without a coupon they would not get.
            return null;
        }
    }

    /// <summary>Checks a live code's welcome_coupon when it names a template: it must be one of this workspace's templates.</summary>
    public static async Task CheckAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, string? welcomeCoupon)
    {
        if (!Guid.TryParse(welcomeCoupon, out var templateId))
            return;
        var found = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM coupon_templates WHERE workspace_id = @workspaceId AND id = @templateId", new { workspaceId, templateId }, transaction);
        if (found == 0)
            throw new ValidationFailedException($"welcomeCoupon names coupon template {templateId}, which is not in this workspace; use a template id from GET /api/coupon-templates or plain text.", "welcomeCoupon");
    }
}
