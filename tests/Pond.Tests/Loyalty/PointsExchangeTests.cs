using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Commerce.Coupons;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;

namespace Pond.Tests.Loyalty;

/// <summary>积分兑券: points buy a coupon in one transaction — never the points without the coupon, never the coupon twice.</summary>
public sealed class PointsExchangeTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ExchangeForCoupon_SpendsAndIssuesTogether_OrNeither(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        var admin = server.Workspace.AdminClient();
        var seed = new CustomerSeed(server.Workspace);
        var lin = await seed.CustomerAsync("林小姐");
        var wang = await seed.CustomerAsync("王先生");
        foreach (var customer in new[] { lin, wang })
            (await admin.PostAsJsonAsync($"/api/customers/{customer}/points/adjust", new { points = 100, reason = "活动赠送" })).EnsureSuccessStatusCode();
        var template = await admin.TemplateIdAsync(CouponKit.AmountOff("积分兑10元券", 10, new { totalStock = 1 }));

        Task<HttpResponseMessage> Exchange(Guid customer, long points, string key) =>
            admin.PostAsJsonAsync($"/api/customers/{customer}/points/exchange-coupon", new { templateId = template, points, idempotencyKey = key });

        var first = await (await Exchange(lin, 60, "ex-1")).ReadAsync<JsonElement>();
        var code = first.GetProperty("coupon").GetProperty("code").GetString();
        first.GetProperty("points").GetProperty("balance").GetInt64().ShouldBe(40);
        var again = await (await Exchange(lin, 60, "ex-1")).ReadAsync<JsonElement>();
        again.GetProperty("coupon").GetProperty("code").GetString().ShouldBe(code);
        again.GetProperty("points").GetProperty("replayed").GetBoolean().ShouldBeTrue();
        (await admin.BalanceAsync(lin)).ShouldBe(40);

        // Out of stock: 王先生 keeps his points. Short balance: 林小姐 gets no coupon.
        var (status, detail) = await IngestionKit.ProblemAsync(await Exchange(wang, 60, "ex-2"));
        status.ShouldBe(HttpStatusCode.Conflict);
        detail.ShouldContain("out of stock");
        (await admin.BalanceAsync(wang)).ShouldBe(100);
        (status, _) = await IngestionKit.ProblemAsync(await Exchange(lin, 60, "ex-3"));
        status.ShouldBe(HttpStatusCode.Conflict);
        (await server.CountAsync("SELECT COUNT(*) FROM coupons")).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM points_ledger WHERE kind = 'spend'")).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ParallelExchanges_NeverSpendMoreThanTheBalance(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        var admin = server.Workspace.AdminClient();
        var lin = await new CustomerSeed(server.Workspace).CustomerAsync("林小姐");
        (await admin.PostAsJsonAsync($"/api/customers/{lin}/points/adjust", new { points = 100, reason = "活动赠送" })).EnsureSuccessStatusCode();
        var template = await admin.TemplateIdAsync(CouponKit.AmountOff("积分兑5元券", 5));

        var statuses = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            using var client = server.Workspace.AdminClient();
            using var response = await client.PostAsJsonAsync($"/api/customers/{lin}/points/exchange-coupon", new { templateId = template, points = 30, idempotencyKey = $"p-{i}" });
            return response.StatusCode;
        }));
        statuses.Count(s => s == HttpStatusCode.OK).ShouldBe(3);
        statuses.Count(s => s == HttpStatusCode.Conflict).ShouldBe(7);
        (await admin.BalanceAsync(lin)).ShouldBe(10);
        (await server.CountAsync("SELECT COUNT(*) FROM coupons")).ShouldBe(3);
    }
}
