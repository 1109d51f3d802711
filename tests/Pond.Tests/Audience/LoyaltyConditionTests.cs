using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Commerce.Coupons;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Loyalty;

namespace Pond.Tests.Audience;

/// <summary>
/// Segment conditions on what commerce and loyalty wrote — member tier, points balance, coupons held, used or lapsed —
/// evaluated by the audience index after real orders, issues and adjustments, on both engines.
/// </summary>
public sealed class LoyaltyConditionTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TierPointsAndCouponConditions_PickTheRightCustomers(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        var ws = server.Workspace;
        var admin = ws.AdminClient();
        var seed = new CustomerSeed(ws);
        var a = await seed.CustomerAsync("阿芳");
        var b = await seed.CustomerAsync("小白");
        var c = await seed.CustomerAsync("陈先生");
        await admin.SetRulesAsync(new { enabled = true, pointsPerYuan = 1 });
        await admin.TierAsync(new { name = "银卡", threshold = 100 });
        await admin.TierAsync(new { name = "金卡", threshold = 1000 });
        var welcome = await admin.TemplateIdAsync(CouponKit.AmountOff("新客立减券", 10));
        var weekly = await admin.TemplateIdAsync(CouponKit.AmountOff("周末券", 5, new { validDays = 2 }));
        var codeA = await IssueAsync(admin, welcome, a);
        await IssueAsync(admin, welcome, b);
        await IssueAsync(admin, weekly, c);

        // 阿芳 buys ¥1,200 with her coupon: 金卡, 1,200 points, coupon redeemed. 陈先生 gets 50 points by hand.
        (await admin.PostAsJsonAsync("/api/orders", new
        {
            orderId = "LC-1", customerId = a, salesChannel = "mini_program", couponCodes = new[] { codeA },
            items = new[] { new { sku = "LL-COAT", price = 1210m, quantity = 1 } },
        })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await admin.PostAsJsonAsync($"/api/customers/{c}/points/adjust", new { points = 50, reason = "客服补偿" })).EnsureSuccessStatusCode();

        async Task<Guid[]> Members(object rule)
        {
            var preview = await (await admin.PostAsJsonAsync("/api/segments/preview", new { rule })).ReadAsync<JsonElement>();
            var sample = preview.GetProperty("sample").EnumerateArray().Select(s => s.GetProperty("id").GetGuid()).Order().ToArray();
            preview.GetProperty("count").GetInt32().ShouldBe(sample.Length);
            return sample;
        }

        (await Members(new { tier = "金卡" })).ShouldBe([a]);
        (await Members(new { tier = new[] { "银卡", "none" } })).ShouldBe(new[] { b, c }.Order().ToArray());
        (await Members(new { points = "gte", value = 1000 })).ShouldBe([a]);
        (await Members(new { points = "between", value = new[] { 1, 100 } })).ShouldBe([c]);
        (await Members(new { coupon = "unused" })).ShouldBe(new[] { b, c }.Order().ToArray());
        (await Members(new { not = new { coupon = "unused" } })).ShouldBe([a]);
        (await Members(new { coupon = "unused", template = "新客立减券" })).ShouldBe([b]);
        (await Members(new { coupon = "unused", within_days = 3 })).ShouldBe([c], "only the two-day coupon runs out within three days");
        (await Members(new { coupon = "redeemed", within_days = 30 })).ShouldBe([a]);
        (await Members(new { coupon = "expired" })).ShouldBeEmpty();
        (await Members(new { coupon = "unused", template = "没有这个券" })).ShouldBeEmpty();

        // A full refund hands the coupon back: 阿芳 holds an unused coupon again and drops out of 金卡.
        (await admin.PostAsJsonAsync("/api/orders/LC-1/refunds", new { refundId = "R-1" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await Members(new { coupon = "unused", template = "新客立减券" })).ShouldBe(new[] { a, b }.Order().ToArray());
        (await Members(new { tier = "金卡" })).ShouldBeEmpty();
        (await Members(new { points = "gte", value = 1 })).ShouldBe([c]);

        var bad = await admin.PostAsJsonAsync("/api/segments/preview", new { rule = new { all = new object[] { new { coupon = "maybe" } } } });
        (await bad.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("rule/all/0/coupon");
        bad = await admin.PostAsJsonAsync("/api/segments/preview", new { rule = new { points = "most", value = 1 } });
        (await bad.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("rule/points");
    }

    private static async Task<string> IssueAsync(HttpClient admin, Guid template, Guid customer) =>
        (await (await admin.PostAsJsonAsync($"/api/coupon-templates/{template}/issue", new { customerId = customer })).ReadAsync<JsonElement>(HttpStatusCode.Created))
            .GetProperty("coupon").GetProperty("code").GetString()!;
}
