using Pond.Commerce;

namespace Pond.Fission;

/// <summary>Stage 400, after tiers: a customer's first order completes the invitations that were waiting for it.</summary>
internal sealed class ReferralOrderEffect(ReferralEngine engine) : IOrderEffect
{
    public int Stage => 400;

    public async Task OrderRecordedAsync(OrderEffectContext context, RecordedOrder order)
    {
        var work = new ReferralWork(context.Connection, context.Transaction, order.WorkspaceId, context.Now, []);
        await engine.OrderedAsync(work, order.CustomerId, order.Id, order.PlacedAt);
        context.Touched.UnionWith(work.Touched);
    }

    /// <summary>A refund after an invitation succeeded does not take it back: the first order happened (docs/fission.md).</summary>
    public Task OrderRefundedAsync(OrderEffectContext context, RecordedOrder order, RecordedRefund refund) => Task.CompletedTask;
}
