using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Server.Demo;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;

namespace Pond.Tests.Commerce.Coupons;

public sealed class DemoCouponsTests
{
    [Fact]
    public async Task DemoCoupons_IssueToTheDemoSegments_AndSomeAreRedeemedThroughOrders()
    {
        await using var server = await CouponKit.StartAsync(DbEngine.Sqlite);
        using var admin = server.Workspace.AdminClient();
        var seed = new CustomerSeed(server.Workspace);
        for (var i = 0; i < 40; i++)
            await seed.CustomerAsync($"c{i}", traits: new { city = i % 2 == 0 ? "上海" : "杭州" });
        foreach (var (name, city) in new[] { ("沉睡高价值", "上海"), ("近30天下单", "杭州") })
            (await admin.PostAsJsonAsync("/api/segments", new { name, rule = new { all = new object[] { new { trait = "city", op = "eq", value = city } } } }))
                .StatusCode.ShouldBe(HttpStatusCode.Created);

        await DemoCoupons.SetUpAsync(server.App.Services, server.Workspace.Id);

        var templates = await admin.GetAsync<List<JsonElement>>("/api/coupon-templates");
        templates.Count.ShouldBe(3);
        var issued = templates.Sum(t => t.GetProperty("metrics").GetProperty("issued").GetInt32());
        issued.ShouldBe(40);
        var redeemed = templates.Sum(t => t.GetProperty("metrics").GetProperty("redeemed").GetInt32());
        redeemed.ShouldBeGreaterThan(0);
        (await server.CountAsync("SELECT COUNT(*) FROM orders WHERE coupon_codes IS NOT NULL")).ShouldBe(redeemed);
        templates.Sum(t => t.GetProperty("metrics").GetProperty("gmv").GetDecimal()).ShouldBeGreaterThan(0m);
    }
}
