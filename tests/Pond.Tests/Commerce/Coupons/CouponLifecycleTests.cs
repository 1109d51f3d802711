using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Pond.Commerce;
using Pond.Commerce.Coupons;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using static Pond.Tests.Commerce.Coupons.CouponKit;

namespace Pond.Tests.Commerce.Coupons;

/// <summary>A coupon's life: redeemed by an order (the order effect), given back by a full refund, expired by the clock; bulk issue and metrics.</summary>
public sealed class CouponLifecycleTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Expiry_ByClock_MarksDueCouponsExpired_AndTheyCannotBeRedeemed(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        using var admin = server.Workspace.AdminClient();
        var lin = await new CustomerSeed(server.Workspace).CustomerAsync("林小姐");
        var oneDay = await admin.TemplateIdAsync(AmountOff("一日券", 10, new { validDays = 1 }));
        var week = await admin.TemplateIdAsync(AmountOff("七日券", 10, new { validDays = 7 }));
        var shortCode = await admin.IssueAsync(oneDay, lin);
        var longCode = await admin.IssueAsync(week, lin);
        var expiry = server.Service<CouponExpiry>();

        (await expiry.ExpireDueAsync()).ShouldBe(0);
        clock.Advance(TimeSpan.FromHours(23));
        (await expiry.ExpireDueAsync()).ShouldBe(0);
        clock.Advance(TimeSpan.FromHours(2));
        (await expiry.ExpireDueAsync()).ShouldBe(1);
        (await expiry.ExpireDueAsync()).ShouldBe(0);
        (await admin.StatusAsync(shortCode)).ShouldBe("expired");
        (await admin.StatusAsync(longCode)).ShouldBe("unused");
        (await (await admin.RedeemAsync(shortCode, Cart(lin, "late", ("sku", null, 50m, 1)))).ProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("expired");
        (await admin.TemplateAsync(oneDay)).GetProperty("metrics").GetProperty("expired").GetInt32().ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OrderEffect_RedeemsCodes_WarnsOnBadOnes_FullRefundReleases_PartialKeeps(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        using var admin = server.Workspace.AdminClient();
        var seed = new CustomerSeed(server.Workspace);
        var lin = await seed.CustomerAsync("林小姐");
        var wang = await seed.CustomerAsync("王先生");
        var template = await admin.TemplateIdAsync(AmountOff("立减20", 20, new { validDays = 3, stacking = "stackable" }));
        var linCode = await admin.IssueAsync(template, lin);
        var linSecond = await admin.IssueAsync(template, lin);
        var wangCode = await admin.IssueAsync(template, wang);

        // Lin's order carries her code and Wang's: hers is redeemed, his is refused with a warning and nothing recorded.
        var order = Order(server, lin, "T-1", 200_00, linCode, wangCode);
        var warnings = await RecordAsync(server, clock, order);
        warnings.ShouldHaveSingleItem().ShouldContain($"Coupon {wangCode} was not redeemed");
        (await admin.StatusAsync(linCode)).ShouldBe("redeemed");
        (await admin.StatusAsync(wangCode)).ShouldBe("unused");
        (await server.CountAsync("SELECT COUNT(*) FROM coupon_redemptions")).ShouldBe(1);

        // A partial refund keeps it redeemed; the full refund gives it back.
        await RefundAsync(server, clock, order, full: false);
        (await admin.StatusAsync(linCode)).ShouldBe("redeemed");
        await RefundAsync(server, clock, order, full: true);
        (await admin.StatusAsync(linCode)).ShouldBe("unused");
        (await server.CountAsync("SELECT COUNT(*) FROM coupon_redemptions WHERE released_at IS NOT NULL")).ShouldBe(1);
        (await admin.TemplateAsync(template)).GetProperty("metrics").GetProperty("redeemed").GetInt32().ShouldBe(0);

        // Given back after its window closed, a coupon is expired, not unused.
        var second = Order(server, lin, "T-2", 150_00, linSecond);
        (await RecordAsync(server, clock, second)).ShouldBeEmpty();
        clock.Advance(TimeSpan.FromDays(4));
        await RefundAsync(server, clock, second, full: true);
        (await admin.StatusAsync(linSecond)).ShouldBe("expired");

        // The released coupon can be used on a new order (while valid): here it has expired too, so it is refused.
        (await (await admin.RedeemAsync(linCode, Cart(lin, "T-3", ("sku", null, 100m, 1)))).ProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("expired");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task IssueToSegment_RespectsStockAndLimit_RetryWithSameKeyIssuesNothingTwice(DbEngine engine)
    {
        await using var server = await CouponKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        var seed = new CustomerSeed(server.Workspace);
        var shanghai = new List<Guid>();
        for (var i = 0; i < 25; i++)
            shanghai.Add(await seed.CustomerAsync($"沪{i}", traits: new { city = "上海" }));
        for (var i = 0; i < 5; i++)
            await seed.CustomerAsync($"京{i}", traits: new { city = "北京" });
        var segment = (await (await admin.PostAsJsonAsync("/api/segments", new { name = "上海", rule = new { all = new object[] { new { trait = "city", op = "eq", value = "上海" } } } }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var template = await admin.TemplateIdAsync(AmountOff("上海专享", 15, new { totalStock = 20, perCustomerLimit = 1 }));
        await admin.IssueAsync(template, shanghai[0]);

        var first = await (await admin.PostAsJsonAsync($"/api/coupon-templates/{template}/issue-segment", new { segmentId = segment, issueKey = "sh-2026-11" })).ReadAsync<JsonElement>();
        first.GetProperty("members").GetInt32().ShouldBe(25);
        first.GetProperty("issued").GetInt32().ShouldBe(19);
        first.GetProperty("skippedLimit").GetInt32().ShouldBe(1);
        first.GetProperty("skippedStock").GetInt32().ShouldBe(5);
        first.GetProperty("already").GetInt32().ShouldBe(0);

        var retry = await (await admin.PostAsJsonAsync($"/api/coupon-templates/{template}/issue-segment", new { segmentId = segment, issueKey = "sh-2026-11" })).ReadAsync<JsonElement>();
        retry.GetProperty("issued").GetInt32().ShouldBe(0);
        retry.GetProperty("already").GetInt32().ShouldBe(19);
        (await server.CountAsync("SELECT COUNT(*) FROM coupons")).ShouldBe(20);
        (await admin.TemplateAsync(template)).GetProperty("issuedCount").GetInt32().ShouldBe(20);
        (await server.CountAsync("SELECT COUNT(*) FROM coupons WHERE source = 'segment'")).ShouldBe(19);

        (await admin.PostAsJsonAsync($"/api/coupon-templates/{template}/issue-segment", new { segmentId = Guid.NewGuid() })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await (await admin.PostAsJsonAsync($"/api/coupon-templates/{template}/issue-segment", new { })).ProblemAsync(HttpStatusCode.BadRequest))
            .GetProperty("field").GetString().ShouldBe("segmentId");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Metrics_CountIssuedRedeemedRate_GmvAndDiscountCost_PerDay(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        using var admin = server.Workspace.AdminClient();
        var seed = new CustomerSeed(server.Workspace);
        var template = await admin.TemplateIdAsync(AmountOff("立减20", 20));
        var other = await admin.TemplateIdAsync(AmountOff("别的券", 5));
        var codes = new List<(Guid Customer, string Code)>();
        for (var i = 0; i < 4; i++)
        {
            var customer = await seed.CustomerAsync($"c{i}");
            codes.Add((customer, await admin.IssueAsync(template, customer)));
        }

        await admin.IssueAsync(other, codes[0].Customer);
        var first = Order(server, codes[0].Customer, "M-1", 180_00, codes[0].Code);
        await RecordAsync(server, clock, first);
        await RecordAsync(server, clock, Order(server, codes[1].Customer, "M-2", 280_00, codes[1].Code));

        var metrics = (await admin.TemplateAsync(template)).GetProperty("metrics");
        metrics.GetProperty("issued").GetInt32().ShouldBe(4);
        metrics.GetProperty("redeemed").GetInt32().ShouldBe(2);
        metrics.GetProperty("unused").GetInt32().ShouldBe(2);
        metrics.GetProperty("redemptionRate").GetDouble().ShouldBe(0.5);
        metrics.GetProperty("gmv").GetDecimal().ShouldBe(460m);
        metrics.GetProperty("discountCost").GetDecimal().ShouldBe(40m);
        var list = await admin.GetAsync<JsonElement>("/api/coupon-templates");
        list.EnumerateArray().Single(t => t.GetProperty("id").GetGuid() == other).GetProperty("metrics").GetProperty("issued").GetInt32().ShouldBe(1);
        list.EnumerateArray().Single(t => t.GetProperty("id").GetGuid() == template).GetProperty("metrics").GetProperty("redemptionRate").GetDouble().ShouldBe(0.5);

        var daily = await admin.GetAsync<JsonElement>($"/api/coupon-templates/{template}/daily?days=7");
        daily.GetArrayLength().ShouldBe(7);
        var today = daily[6];
        today.GetProperty("issued").GetInt32().ShouldBe(4);
        today.GetProperty("redeemed").GetInt32().ShouldBe(2);
        today.GetProperty("gmv").GetDecimal().ShouldBe(460m);
        daily[0].GetProperty("issued").GetInt32().ShouldBe(0);

        await RefundAsync(server, clock, first, full: true);
        metrics = (await admin.TemplateAsync(template)).GetProperty("metrics");
        metrics.GetProperty("redeemed").GetInt32().ShouldBe(1);
        metrics.GetProperty("redemptionRate").GetDouble().ShouldBe(0.25);
        metrics.GetProperty("gmv").GetDecimal().ShouldBe(280m);
        metrics.GetProperty("discountCost").GetDecimal().ShouldBe(20m);

        var coupons = await admin.GetAsync<JsonElement>($"/api/customers/{codes[1].Customer}/coupons");
        coupons.EnumerateArray().Single().GetProperty("status").GetString().ShouldBe("redeemed");
    }

    private static RecordedOrder Order(PondServer server, Guid customerId, string orderId, long paid, params string[] codes) => new()
    {
        Id = Guid.CreateVersion7(), WorkspaceId = server.Workspace.Id, OrderId = orderId, CustomerId = customerId, PlacedAt = ScoreKit.Now,
        SalesChannel = SalesChannels.MiniProgram, PrivateDomain = true, Subtotal = paid + 20_00, Discount = 20_00, Shipping = 0, Paid = paid,
        Lines = [new OrderLine(1, "serum", "精华", "护肤", paid + 20_00, 1, paid + 20_00)], CouponCodes = codes, Source = OrderSources.Api,
    };

    /// <summary>Runs every order effect the way the order recorder does: inside one transaction.</summary>
    private static async Task<List<string>> RecordAsync(PondServer server, ManualClock clock, RecordedOrder order) =>
        await InTransactionAsync(server, clock, (effect, context) => effect.OrderRecordedAsync(context, order));

    private static Task<List<string>> RefundAsync(PondServer server, ManualClock clock, RecordedOrder order, bool full) =>
        InTransactionAsync(server, clock, (effect, context) => effect.OrderRefundedAsync(context, order, new RecordedRefund
        {
            Id = Guid.CreateVersion7(), RefundId = $"R-{Guid.NewGuid():N}", Amount = full ? order.Paid : 10_00, Lines = [],
            RefundedAt = clock.GetUtcNow(), RefundedTotal = full ? order.Paid : 10_00, Full = full,
        }));

    private static async Task<List<string>> InTransactionAsync(PondServer server, ManualClock clock, Func<IOrderEffect, OrderEffectContext, Task> run)
    {
        var database = server.Service<Database>();
        await using var connection = await database.OpenAsync();
        await using var transaction = connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : await connection.BeginTransactionAsync();
        var context = new OrderEffectContext(database, connection, transaction, clock.GetUtcNow());
        foreach (var effect in server.Service<IEnumerable<IOrderEffect>>().OrderBy(e => e.Stage))
            await run(effect, context);
        await transaction.CommitAsync();
        return context.Warnings;
    }
}
