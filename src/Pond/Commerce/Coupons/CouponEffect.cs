namespace Pond.Commerce.Coupons;

/// <summary>
/// Orders redeem the coupon codes they carry; a full refund gives them back. A code that cannot be redeemed (used
/// elsewhere, expired, the cart does not qualify) does not stop the order: it is recorded without that coupon and
/// the caller gets a warning saying why.
/// </summary>
internal sealed class CouponEffect(CouponRedeemer redeemer) : IOrderEffect
{
    public int Stage => 100;

    public async Task OrderRecordedAsync(OrderEffectContext context, RecordedOrder order)
    {
        if (order.CouponCodes.Count == 0)
            return;
        var lines = order.Lines.Select(l => new CartLine(l.Sku, l.Category, l.Price, l.Quantity)).ToList();
        foreach (var code in order.CouponCodes)
        {
            var cart = new CouponCart
            {
                CustomerId = order.CustomerId, OrderId = order.OrderId, Lines = lines, Shipping = order.Shipping, Paid = order.Paid,
                OtherCodes = order.CouponCodes.Where(c => c != code).ToList(),
            };
            try
            {
                var redemption = await redeemer.RedeemInAsync(context.Connection, context.Transaction, context.Now, order.WorkspaceId, code, cart);
                if (!redemption.Repeated)
                    context.Touched.Add(order.CustomerId);
            }
            catch (Exception e) when (e is ValidationFailedException or ConflictException or NotFoundException)
            {
                context.Warnings.Add($"Coupon {code} was not redeemed: {e.Message}");
            }
        }
    }

    public async Task OrderRefundedAsync(OrderEffectContext context, RecordedOrder order, RecordedRefund refund)
    {
        if (!refund.Full)
            return;
        var customers = await redeemer.ReleaseInAsync(context.Connection, context.Transaction, context.Now, order.WorkspaceId, order.OrderId);
        foreach (var id in customers)
            context.Touched.Add(id);
    }
}

/// <summary>When two customers turn out to be one, the survivor holds the merged customer's coupons and redemptions.</summary>
internal sealed class CouponMergeParticipant : Customers.ICustomerMergeParticipant
{
    public async Task MoveAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, Guid workspaceId, Guid survivorId, Guid mergedId)
    {
        await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE coupons SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId",
            new { workspaceId, survivorId, mergedId }, transaction);
        await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE coupon_redemptions SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId",
            new { workspaceId, survivorId, mergedId }, transaction);
    }
}
