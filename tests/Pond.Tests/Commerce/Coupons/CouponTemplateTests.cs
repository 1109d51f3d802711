using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;

namespace Pond.Tests.Commerce.Coupons;

/// <summary>Coupon templates over HTTP: every rule refuses bad input with a message naming the field.</summary>
public sealed class CouponTemplateTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task CreateTemplate_BadInput_Refused400WithField(DbEngine engine)
    {
        await using var server = await CouponKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        var cases = new (object Body, string Field, string Says)[]
        {
            (new { kind = "amount", amount = 10, validDays = 30 }, "name", "name is required"),
            (new { name = "x", kind = "bogus", validDays = 30 }, "kind", "kind must be one of"),
            (new { name = "x", kind = "percent", percent = 0, validDays = 30 }, "percent", "85 means 85折"),
            (new { name = "x", kind = "percent", percent = 100, validDays = 30 }, "percent", "1..99"),
            (new { name = "x", kind = "amount", validDays = 30 }, "amount", "more than 0"),
            (new { name = "x", kind = "threshold", amount = 30, validDays = 30 }, "threshold", "满200减30"),
            (new { name = "x", kind = "threshold", threshold = 20, amount = 30, validDays = 30 }, "amount", "less than threshold"),
            (new { name = "x", kind = "gift", validDays = 30 }, "giftSku", "giftSku is required"),
            (new { name = "x", kind = "amount", amount = 10 }, "validDays", "Validity is required"),
            (new { name = "x", kind = "amount", amount = 10, validDays = 30, validFrom = "2026-01-01T00:00:00Z", validTo = "2026-02-01T00:00:00Z" }, "validDays", "not both"),
            (new { name = "x", kind = "amount", amount = 10, validFrom = "2026-02-01T00:00:00Z", validTo = "2026-01-01T00:00:00Z" }, "validTo", "after validFrom"),
            (new { name = "x", kind = "amount", amount = 10, validDays = 0 }, "validDays", "1..3650"),
            (new { name = "x", kind = "amount", amount = 10, validDays = 30, stacking = "maybe" }, "stacking", "exclusive"),
            (new { name = "x", kind = "amount", amount = 10, validDays = 30, minSpend = -1 }, "minSpend", "negative"),
            (new { name = "x", kind = "amount", amount = 10, validDays = 30, totalStock = -5 }, "totalStock", "1 or more"),
        };
        foreach (var (body, field, says) in cases)
        {
            var problem = await (await admin.PostAsJsonAsync("/api/coupon-templates", body)).ProblemAsync(HttpStatusCode.BadRequest);
            problem.GetProperty("field").GetString().ShouldBe(field, JsonSerializer.Serialize(body));
            problem.Detail().ShouldContain(says);
        }

        (await server.CountAsync("SELECT COUNT(*) FROM coupon_templates")).ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task CreateAndUpdateTemplate_RoundTripsInYuan_NameUnique_StockNotBelowIssued(DbEngine engine)
    {
        await using var server = await CouponKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        var created = await admin.CreateTemplateAsync(new
        {
            name = "满200减30", kind = "threshold", threshold = 200, amount = 30, validDays = 14, perCustomerLimit = 2, totalStock = 3,
            categories = new[] { "护肤", "彩妆" }, stacking = "stackable",
        });
        created.GetProperty("threshold").GetDecimal().ShouldBe(200m);
        created.GetProperty("amount").GetDecimal().ShouldBe(30m);
        created.GetProperty("benefit").GetString().ShouldBe("满200减30");
        created.GetProperty("categories").EnumerateArray().Select(c => c.GetString()).ShouldBe(["护肤", "彩妆"]);
        created.GetProperty("status").GetString().ShouldBe("active");
        var id = created.GetProperty("id").GetGuid();

        (await admin.PostAsJsonAsync("/api/coupon-templates", new { name = "满200减30", kind = "amount", amount = 5, validDays = 1 }))
            .StatusCode.ShouldBe(HttpStatusCode.Conflict);

        var seed = new CustomerSeed(server.Workspace);
        await admin.IssueAsync(id, await seed.CustomerAsync("a"));
        await admin.IssueAsync(id, await seed.CustomerAsync("b"));
        var tooLow = await (await admin.PutJsonAsync($"/api/coupon-templates/{id}", new { totalStock = 1 })).ProblemAsync(HttpStatusCode.BadRequest);
        tooLow.Detail().ShouldContain("below");

        var paused = await (await admin.PutJsonAsync($"/api/coupon-templates/{id}", new { status = "paused", totalStock = 10 })).ReadAsync<JsonElement>();
        paused.GetProperty("status").GetString().ShouldBe("paused");
        paused.GetProperty("totalStock").GetInt32().ShouldBe(10);
        paused.GetProperty("metrics").GetProperty("issued").GetInt32().ShouldBe(2);
        var refused = await (await admin.PostAsJsonAsync($"/api/coupon-templates/{id}/issue", new { customerId = await seed.CustomerAsync("c") }))
            .ProblemAsync(HttpStatusCode.Conflict);
        refused.Detail().ShouldContain("paused");
    }
}
