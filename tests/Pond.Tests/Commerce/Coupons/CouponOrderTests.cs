using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using static Pond.Tests.Commerce.Coupons.CouponKit;

namespace Pond.Tests.Commerce.Coupons;

/// <summary>Coupons through the order book: POST /api/orders redeems an order's codes; a full refund gives them back.</summary>
public sealed class CouponOrderTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task RecordedOrder_RedeemsItsCoupon_RepeatIsHarmless_FullRefundReleases(DbEngine engine)
    {
        await using var server = await CouponKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        var seed = new CustomerSeed(server.Workspace);
        var lin = await seed.CustomerAsync("林小姐");
        var wang = await seed.CustomerAsync("王先生");
        var template = await admin.TemplateIdAsync(new { name = "满200减30", kind = "threshold", threshold = 200, amount = 30, validDays = 7 });
        var code = await admin.IssueAsync(template, lin);
        object Order(string orderId, Guid customer) => new
        {
            orderId, customerId = customer, salesChannel = "mini_program", discount = 30m, couponCodes = new[] { code.Replace("-", "").ToLowerInvariant() },
            items = new[] { new { sku = "SERUM-30", name = "精华", category = "护肤", price = 268m, quantity = 1 } },
        };

        var first = await admin.PostAsJsonAsync("/api/orders", Order("A-1", lin));
        var body = await first.Content.ReadFromJsonAsync<JsonElement>();
        first.IsSuccessStatusCode.ShouldBeTrue(body.ToString());
        body.GetProperty("warnings").GetArrayLength().ShouldBe(0, body.ToString());
        (await admin.StatusAsync(code)).ShouldBe("redeemed");
        var metrics = (await admin.TemplateAsync(template)).GetProperty("metrics");
        metrics.GetProperty("redeemed").GetInt32().ShouldBe(1);
        metrics.GetProperty("gmv").GetDecimal().ShouldBe(238m);
        metrics.GetProperty("discountCost").GetDecimal().ShouldBe(30m);

        // The same order again changes nothing; another order with the used code is recorded with a warning.
        (await admin.PostAsJsonAsync("/api/orders", Order("A-1", lin))).IsSuccessStatusCode.ShouldBeTrue();
        var other = await (await admin.PostAsJsonAsync("/api/orders", Order("A-2", lin))).Content.ReadFromJsonAsync<JsonElement>();
        other.GetProperty("warnings")[0].GetString()!.ShouldContain("already been redeemed");
        var stolen = await (await admin.PostAsJsonAsync("/api/orders", Order("B-1", wang))).Content.ReadFromJsonAsync<JsonElement>();
        stolen.GetProperty("warnings")[0].GetString()!.ShouldContain("belongs to another customer");
        (await server.CountAsync("SELECT COUNT(*) FROM coupon_redemptions")).ShouldBe(1);

        // A partial refund keeps the coupon used; refunding the rest gives it back.
        (await admin.PostAsJsonAsync("/api/orders/A-1/refunds", new { refundId = "R-1", amount = 100m })).IsSuccessStatusCode.ShouldBeTrue();
        (await admin.StatusAsync(code)).ShouldBe("redeemed");
        var full = await admin.PostAsJsonAsync("/api/orders/A-1/refunds", new { refundId = "R-2", amount = 138m });
        full.IsSuccessStatusCode.ShouldBeTrue(await full.Content.ReadAsStringAsync());
        (await admin.StatusAsync(code)).ShouldBe("unused");
        (await admin.TemplateAsync(template)).GetProperty("metrics").GetProperty("redeemed").GetInt32().ShouldBe(0);
    }
}
