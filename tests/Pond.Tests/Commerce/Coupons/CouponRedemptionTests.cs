using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using static Pond.Tests.Commerce.Coupons.CouponKit;

namespace Pond.Tests.Commerce.Coupons;

/// <summary>Issuing and redeeming over HTTP: every rule, the discount each kind gives, and atomicity under concurrency.</summary>
public sealed class CouponRedemptionTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Redeem_FiftyParallelRequestsForOneCoupon_ExactlyOneSucceeds(DbEngine engine)
    {
        await using var server = await CouponKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        var lin = await new CustomerSeed(server.Workspace).CustomerAsync("林小姐");
        var template = await admin.TemplateIdAsync(AmountOff("立减20"));
        var code = await admin.IssueAsync(template, lin);

        // Fifty clients, fifty different orders, released together.
        var clients = Enumerable.Range(0, 50).Select(_ => server.Workspace.AdminClient()).ToList();
        using var go = new ManualResetEventSlim();
        var attempts = clients.Select((client, i) => Task.Run(async () =>
        {
            go.Wait();
            using var response = await client.RedeemAsync(code, Cart(lin, $"order-{i}", ("sku-1", "护肤", 100m, 1)));
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        })).ToList();
        go.Set();
        var results = await Task.WhenAll(attempts);
        foreach (var client in clients)
            client.Dispose();

        results.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(1, string.Join("\n", results.Select(r => r.Body).Distinct()));
        results.Count(r => r.StatusCode == HttpStatusCode.Conflict).ShouldBe(49, string.Join("\n", results.Where(r => r.StatusCode != HttpStatusCode.Conflict).Select(r => r.Body)));
        results.Where(r => r.StatusCode == HttpStatusCode.Conflict).ShouldAllBe(r => r.Body.Contains("already been redeemed"));
        (await server.CountAsync("SELECT COUNT(*) FROM coupon_redemptions")).ShouldBe(1);
        (await admin.StatusAsync(code)).ShouldBe("redeemed");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Redeem_SameOrderAgain_IsIdempotent_OtherOrderConflicts(DbEngine engine)
    {
        await using var server = await CouponKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        var lin = await new CustomerSeed(server.Workspace).CustomerAsync("林小姐");
        var template = await admin.TemplateIdAsync(new { name = "85折", kind = "percent", percent = 85, validDays = 7 });
        var code = await admin.IssueAsync(template, lin);
        var cart = Cart(lin, "A-1001", ("sku-1", null, 120m, 1), ("sku-2", null, 80m, 1));

        var first = await (await admin.RedeemAsync(code.ToLowerInvariant().Replace("-", ""), cart)).ReadAsync<JsonElement>();
        first.GetProperty("discount").GetDecimal().ShouldBe(30m);
        first.GetProperty("orderAmount").GetDecimal().ShouldBe(170m);
        first.GetProperty("repeated").GetBoolean().ShouldBeFalse();
        var again = await (await admin.RedeemAsync(code, cart)).ReadAsync<JsonElement>();
        again.GetProperty("repeated").GetBoolean().ShouldBeTrue();
        again.GetProperty("discount").GetDecimal().ShouldBe(30m);
        again.GetProperty("redeemedAt").GetDateTimeOffset().ShouldBe(first.GetProperty("redeemedAt").GetDateTimeOffset());

        var other = await (await admin.RedeemAsync(code, Cart(lin, "A-1002", ("sku-1", null, 120m, 1)))).ProblemAsync(HttpStatusCode.Conflict);
        other.Detail().ShouldContain("A-1001");
        (await server.CountAsync("SELECT COUNT(*) FROM coupon_redemptions")).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Redeem_EachRule_RefusesWithAClearMessage_AndValidateSaysTheSame(DbEngine engine)
    {
        await using var server = await CouponKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        var seed = new CustomerSeed(server.Workspace);
        var lin = await seed.CustomerAsync("林小姐");
        var wang = await seed.CustomerAsync("王先生");

        // Minimum spend over the applicable items only (the category 护肤), not the whole cart.
        var skincare = await admin.TemplateIdAsync(AmountOff("护肤立减20", 20, new { minSpend = 100, categories = new[] { "护肤" } }));
        var code = await admin.IssueAsync(skincare, lin);
        var small = Cart(lin, "o-1", ("serum", "护肤", 60m, 1), ("lipstick", "彩妆", 200m, 1));
        var minSpend = await (await admin.RedeemAsync(code, small)).ProblemAsync(HttpStatusCode.BadRequest);
        minSpend.Detail().ShouldContain("minimum spend of ¥100.00 on categories 护肤; the cart has ¥60.00");
        var quote = await (await admin.PostAsJsonAsync($"/api/coupons/{code}/validate", small)).ReadAsync<JsonElement>();
        quote.GetProperty("valid").GetBoolean().ShouldBeFalse();
        quote.GetProperty("message").GetString().ShouldBe(minSpend.Detail());
        var none = await (await admin.RedeemAsync(code, Cart(lin, "o-1", ("lipstick", "彩妆", 200m, 1)))).ProblemAsync(HttpStatusCode.BadRequest);
        none.Detail().ShouldContain("applies only to categories 护肤");

        // Owner.
        var owner = await (await admin.RedeemAsync(code, Cart(wang, "o-2", ("serum", "护肤", 160m, 1)))).ProblemAsync(HttpStatusCode.Conflict);
        owner.Detail().ShouldContain("belongs to another customer");

        // A valid quote changes nothing.
        var good = Cart(lin, "o-3", ("serum", "护肤", 160m, 1));
        var ok = await (await admin.PostAsJsonAsync($"/api/coupons/{code}/validate", good)).ReadAsync<JsonElement>();
        ok.GetProperty("valid").GetBoolean().ShouldBeTrue();
        ok.GetProperty("discount").GetDecimal().ShouldBe(20m);
        (await admin.StatusAsync(code)).ShouldBe("unused");

        // Stacking: an exclusive coupon is used alone; two stackable ones combine.
        var stackable = await admin.TemplateIdAsync(AmountOff("可叠加5元", 5, new { stacking = "stackable" }));
        var s1 = await admin.IssueAsync(stackable, lin);
        var s2 = await admin.IssueAsync(stackable, lin);
        var withExclusive = new { customerId = lin, orderId = "o-4", items = new[] { new { sku = "serum", category = "护肤", price = 160m, quantity = 1 } }, otherCodes = new[] { s1 } };
        (await (await admin.RedeemAsync(code, withExclusive)).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("cannot be combined");
        var stackedOnExclusive = new { customerId = lin, orderId = "o-4", items = new[] { new { sku = "serum", category = "护肤", price = 160m, quantity = 1 } }, otherCodes = new[] { code } };
        (await (await admin.RedeemAsync(s1, stackedOnExclusive)).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("is exclusive");
        var together = new { customerId = lin, orderId = "o-5", items = new[] { new { sku = "serum", category = "护肤", price = 160m, quantity = 1 } }, otherCodes = new[] { s2 } };
        (await admin.RedeemAsync(s1, together)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Revoked, unknown.
        (await admin.PostAsync($"/api/coupons/{s2}/revoke", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await (await admin.RedeemAsync(s2, Cart(lin, "o-6", ("serum", "护肤", 160m, 1)))).ProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("revoked");
        (await admin.RedeemAsync("AAAA-BBBB-CCCC", good)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await (await admin.RedeemAsync(code, new { customerId = lin, items = Array.Empty<object>() })).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("orderId");

        // Not valid yet (a fixed window in the future).
        var later = await admin.TemplateIdAsync(new { name = "下月", kind = "amount", amount = 10, validFrom = DateTimeOffset.UtcNow.AddDays(10), validTo = DateTimeOffset.UtcNow.AddDays(20) });
        var early = await admin.IssueAsync(later, lin);
        (await (await admin.RedeemAsync(early, good)).ProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("not valid yet");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Quote_EachKind_GivesItsDiscount(DbEngine engine)
    {
        await using var server = await CouponKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        var lin = await new CustomerSeed(server.Workspace).CustomerAsync("林小姐");
        var cases = new (object Template, decimal Discount, string? Gift)[]
        {
            (new { name = "85折", kind = "percent", percent = 85, validDays = 7 }, 45m, null),
            (new { name = "8折封顶20", kind = "percent", percent = 80, maxDiscount = 20, validDays = 7 }, 20m, null),
            (new { name = "立减500", kind = "amount", amount = 500, validDays = 7 }, 300m, null),
            (new { name = "满200减30", kind = "threshold", threshold = 200, amount = 30, validDays = 7 }, 30m, null),
            (new { name = "包邮", kind = "free_shipping", validDays = 7 }, 12m, null),
            (new { name = "赠小样", kind = "gift", giftSku = "SAMPLE-01", validDays = 7 }, 0m, "SAMPLE-01"),
            (new { name = "指定SKU", kind = "amount", amount = 50, skus = new[] { "serum" }, validDays = 7 }, 50m, null),
        };
        var cart = new
        {
            customerId = lin, orderId = "q-1", shipping = 12m,
            items = new[] { new { sku = "serum", category = "护肤", price = 100m, quantity = 2 }, new { sku = "toner", category = "护肤", price = 100m, quantity = 1 } },
        };
        foreach (var (template, discount, gift) in cases)
        {
            var code = await admin.IssueAsync(await admin.TemplateIdAsync(template), lin);
            var quote = await (await admin.PostAsJsonAsync($"/api/coupons/{code}/validate", cart)).ReadAsync<JsonElement>();
            quote.GetProperty("valid").GetBoolean().ShouldBeTrue(JsonSerializer.Serialize(template));
            quote.GetProperty("discount").GetDecimal().ShouldBe(discount, JsonSerializer.Serialize(template));
            (quote.GetProperty("giftSku").ValueKind == JsonValueKind.Null ? null : quote.GetProperty("giftSku").GetString()).ShouldBe(gift);
        }

        var threshold = await admin.IssueAsync(await admin.TemplateIdAsync(new { name = "满500减50", kind = "threshold", threshold = 500, amount = 50, validDays = 7 }), lin);
        var below = await (await admin.PostAsJsonAsync($"/api/coupons/{threshold}/validate", cart)).ReadAsync<JsonElement>();
        below.GetProperty("valid").GetBoolean().ShouldBeFalse();
        below.GetProperty("message").GetString()!.ShouldContain("must reach ¥500.00; the cart has ¥300.00");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Issue_ConcurrentRequests_NeverPassStockOrPerCustomerLimit_IdempotencyKeyIssuesOnce(DbEngine engine)
    {
        await using var server = await CouponKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        var seed = new CustomerSeed(server.Workspace);
        var customers = new List<Guid>();
        for (var i = 0; i < 40; i++)
            customers.Add(await seed.CustomerAsync($"c{i}"));
        var template = await admin.TemplateIdAsync(AmountOff("限量20张", 10, new { totalStock = 20, perCustomerLimit = 1 }));

        // 40 customers, each asking twice at the same moment: 20 coupons, nobody holds two.
        using var go = new ManualResetEventSlim();
        var attempts = customers.Concat(customers).Select(c => Task.Run(async () =>
        {
            using var client = server.Workspace.AdminClient();
            go.Wait();
            using var response = await client.PostAsJsonAsync($"/api/coupon-templates/{template}/issue", new { customerId = c });
            return response.StatusCode;
        })).ToList();
        go.Set();
        var statuses = await Task.WhenAll(attempts);
        statuses.Count(s => s == HttpStatusCode.Created).ShouldBe(20);
        statuses.Count(s => s == HttpStatusCode.Conflict).ShouldBe(60);
        (await server.CountAsync("SELECT COUNT(*) FROM coupons")).ShouldBe(20);
        (await server.CountAsync("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM coupons GROUP BY customer_id) x")).ShouldBe(1);
        (await admin.TemplateAsync(template)).GetProperty("issuedCount").GetInt32().ShouldBe(20);
        var soldOut = await (await admin.PostAsJsonAsync($"/api/coupon-templates/{template}/issue", new { customerId = await seed.CustomerAsync("late") }))
            .ProblemAsync(HttpStatusCode.Conflict);
        soldOut.Detail().ShouldContain("out of stock");

        // The same idempotency key from parallel requests issues one coupon and answers every request with it.
        var unlimited = await admin.TemplateIdAsync(AmountOff("欢迎券", 5));
        var lin = customers[0];
        var keyed = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(async () =>
        {
            using var client = server.Workspace.AdminClient();
            using var response = await client.PostAsJsonAsync($"/api/coupon-templates/{unlimited}/issue", new { customerId = lin, idempotencyKey = "welcome-lin" });
            return (response.StatusCode, Body: await response.Content.ReadFromJsonAsync<JsonElement>());
        })));
        keyed.Count(k => k.StatusCode == HttpStatusCode.Created).ShouldBe(1);
        keyed.Count(k => k.StatusCode == HttpStatusCode.OK).ShouldBe(9);
        keyed.Select(k => k.Body.GetProperty("coupon").GetProperty("code").GetString()).Distinct().Count().ShouldBe(1);
        (await admin.TemplateAsync(unlimited)).GetProperty("issuedCount").GetInt32().ShouldBe(1);
    }

    [Fact]
    public void Codes_AreTwelveUnambiguousCharactersInGroups_AndNormalise()
    {
        var codes = Enumerable.Range(0, 10_000).Select(_ => Pond.Commerce.Coupons.CouponCodes.New()).ToList();
        codes.Distinct().Count().ShouldBe(codes.Count);
        codes.ShouldAllBe(c => System.Text.RegularExpressions.Regex.IsMatch(c, "^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$"));
        Pond.Commerce.Coupons.CouponCodes.Normalize(" k7qm 3xra-hp9d ").ShouldBe("K7QM-3XRA-HP9D");
    }
}
