using Dapper;
using Pond.Commerce;

namespace Pond.Loyalty;

/// <summary>
/// Points for orders (stage 200): an order earns floor(paid yuan × points per yuan × tier multiplier × member-day
/// multiplier) when the workspace's rules are enabled; the lot expires by the rules' policy counted from the order's
/// time. A refund reverses the order's points in proportion to the money refunded so far (the full refund reverses
/// exactly the remainder, so the reversals add up to what was earned). When the customer has already spent them, the
/// reversal takes what the balance holds (never below zero) and records the rest as debt that later earnings pay
/// first; the order result carries a warning saying so.
/// </summary>
internal sealed class PointsOrderEffect(PointsBook points) : IOrderEffect
{
    public int Stage => 200;

    public async Task OrderRecordedAsync(OrderEffectContext context, RecordedOrder order)
    {
        if (order.Paid <= 0)
            return;
        var rules = await LoyaltySettingsStore.GetAsync(context.Connection, context.Transaction, order.WorkspaceId);
        if (!rules.Enabled || rules.PointsPerYuan <= 0)
            return;
        var zone = await LoyaltyDb.ZoneAsync(context.Connection, context.Transaction, order.WorkspaceId);
        var (tierMultiplier, tier) = await TierBook.MultiplierAsync(context.Connection, context.Transaction, order.CustomerId);
        var memberDay = rules.MemberDay.DayOfMonth is { } day && TimeZoneInfo.ConvertTime(order.PlacedAt, zone).Day == day ? rules.MemberDay.Multiplier : 1m;
        var earned = (long)Math.Floor(order.Paid / 100m * rules.PointsPerYuan * tierMultiplier * memberDay);
        if (earned <= 0)
            return;
        var reason = $"Order {order.OrderId}: ¥{Money.FromFen(order.Paid):0.##} × {rules.PointsPerYuan:0.##}"
            + (tierMultiplier != 1m ? $" × {tierMultiplier:0.##} ({tier})" : "")
            + (memberDay != 1m ? $" × {memberDay:0.##} (member day)" : "");
        await points.CreditAsync(context.Connection, context.Transaction, order.WorkspaceId, order.CustomerId,
            new PointsBook.Credit(earned, PointsKinds.Earn, reason, PointsSources.Order, order.OrderId, EarnKey(order), order.PlacedAt,
                rules.ExpiresAt(order.PlacedAt, zone), null), context.Now);
        context.Touched.Add(order.CustomerId);
    }

    public async Task OrderRefundedAsync(OrderEffectContext context, RecordedOrder order, RecordedRefund refund)
    {
        var sums = await context.Connection.QuerySingleAsync<Sums>(
            """
            SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'earn' THEN amount ELSE 0 END), 0) AS BIGINT) AS Earned,
                   CAST(COALESCE(SUM(CASE WHEN kind = 'reverse' THEN owed - amount ELSE 0 END), 0) AS BIGINT) AS Reversed
            FROM points_ledger WHERE workspace_id = @workspaceId AND customer_id = @customerId AND source = 'order' AND reference = @orderId
            """, new { workspaceId = order.WorkspaceId, customerId = order.CustomerId, orderId = order.OrderId }, context.Transaction);
        if (sums.Earned <= 0)
            return;
        var target = refund.Full || order.Paid <= 0 || refund.RefundedTotal >= order.Paid
            ? sums.Earned
            : (long)Math.Floor((decimal)sums.Earned * refund.RefundedTotal / order.Paid);
        var reverse = Math.Min(target, sums.Earned) - sums.Reversed;
        if (reverse <= 0)
            return;
        var lot = await context.Connection.ExecuteScalarAsync<Guid?>(
            "SELECT id FROM points_ledger WHERE workspace_id = @workspaceId AND idempotency_key = @key",
            new { workspaceId = order.WorkspaceId, key = EarnKey(order) }, context.Transaction);
        var result = await points.ReverseAsync(context.Connection, context.Transaction, order.WorkspaceId, order.CustomerId, reverse,
            $"Refund {refund.RefundId} of order {order.OrderId}", PointsSources.Order, order.OrderId, $"refund:{refund.Id:N}:points", lot, context.Now);
        if (result.Entry.Owed > 0)
            context.Warnings.Add($"The customer had already spent {result.Entry.Owed} of the {reverse} points this refund takes back; they are recorded as owed and paid from future earnings.");
        context.Touched.Add(order.CustomerId);
    }

    private static string EarnKey(RecordedOrder order) => $"order:{order.Id:N}:earn";

    private sealed class Sums
    {
        public long Earned { get; init; }
        public long Reversed { get; init; }
    }
}

/// <summary>Tiers for orders (stage 300): each order and refund re-evaluates the customer's tier (a refund may downgrade).</summary>
internal sealed class TierOrderEffect(TierBook tiers) : IOrderEffect
{
    public int Stage => 300;

    public async Task OrderRecordedAsync(OrderEffectContext context, RecordedOrder order)
    {
        if (await tiers.EvaluateAsync(context.Connection, context.Transaction, order.WorkspaceId, order.CustomerId, "order", context.Now) is not null)
            context.Touched.Add(order.CustomerId);
    }

    public async Task OrderRefundedAsync(OrderEffectContext context, RecordedOrder order, RecordedRefund refund)
    {
        if (await tiers.EvaluateAsync(context.Connection, context.Transaction, order.WorkspaceId, order.CustomerId, "refund", context.Now) is not null)
            context.Touched.Add(order.CustomerId);
    }
}
