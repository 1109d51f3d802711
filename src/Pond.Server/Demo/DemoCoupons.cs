using Pond.Commerce;
using Pond.Commerce.Coupons;

namespace Pond.Server.Demo;

/// <summary>
/// The demo brand's coupons: a 满减 for sleeping high-value customers issued to that segment, an 85折 for recent buyers,
/// a free-shipping welcome coupon; about one holder in five then buys with the coupon through the order book, so the
/// templates show real redemptions, GMV and discount cost.
/// </summary>
internal static class DemoCoupons
{
    private const string Actor = "demo";

    public static async Task SetUpAsync(IServiceProvider services, Guid workspaceId)
    {
        var templates = services.GetRequiredService<CouponTemplates>();
        var issuer = services.GetRequiredService<CouponIssuer>();
        var orders = services.GetRequiredService<OrderBook>();
        var segments = services.GetRequiredService<Pond.Audience.SegmentBook>();
        var winBack = await templates.CreateAsync(workspaceId, new CouponTemplateInput
        {
            Name = "唤醒券 满300减50", Description = "沉睡高价值客户召回", Kind = CouponKinds.Threshold, Threshold = 300, Amount = 50, ValidDays = 14,
            PerCustomerLimit = 1, TotalStock = 5000, Stacking = CouponStacking.Exclusive,
        }, Actor);
        var repeat = await templates.CreateAsync(workspaceId, new CouponTemplateInput
        {
            Name = "复购85折 连衣裙", Description = "近30天下单客户的连衣裙复购券", Kind = CouponKinds.Percent, Percent = 85, MaxDiscount = 100, ValidDays = 7,
            PerCustomerLimit = 1, Categories = ["连衣裙"], MinSpend = 200, Stacking = CouponStacking.Stackable,
        }, Actor);
        await templates.CreateAsync(workspaceId, new CouponTemplateInput
        {
            Name = "新人包邮券", Description = "加企微好友欢迎语发放", Kind = CouponKinds.FreeShipping, ValidDays = 30, PerCustomerLimit = 1,
            Stacking = CouponStacking.Stackable,
        }, Actor);

        var random = new Random(20261124);
        foreach (var (template, segmentName, product) in new[] { (winBack, "沉睡高价值", "LL-O002"), (repeat, "近30天下单", "LL-D001") })
        {
            var segment = (await segments.ListAsync(workspaceId)).FirstOrDefault(s => s.Name == segmentName);
            if (segment is null)
                continue;
            await issuer.IssueToSegmentAsync(workspaceId, template.Id, segment.Id, $"demo:{segmentName}", Actor);
            var item = DemoCatalog.Products.Single(p => p.Sku == product);
            var redeemer = services.GetRequiredService<CouponRedeemer>();
            var held = await redeemer.ListForTemplateAsync(workspaceId, template.Id, CouponStatuses.Unused, 500);
            foreach (var coupon in held.Where(_ => random.NextDouble() < 0.2))
            {
                await orders.RecordAsync(workspaceId, new OrderInput
                {
                    OrderId = $"LL-CPN-{coupon.Code.Replace("-", "", StringComparison.Ordinal)}", CustomerId = coupon.CustomerId,
                    SalesChannel = SalesChannels.MiniProgram, CouponCodes = [coupon.Code], Source = OrderSources.Api,
                    Items = [new OrderLineInput(item.Sku, item.Name, item.Category, item.Price, 1)],
                    Discount = template.Kind == CouponKinds.Threshold ? template.Amount / 100m : Math.Min(item.Price * 0.15m, 100m),
                }, Actor);
            }
        }
    }
}
