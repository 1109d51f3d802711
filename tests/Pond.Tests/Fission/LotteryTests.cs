using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Fission.Assists;
using Pond.Fission.Lotteries;
using Pond.Storage;
using Pond.Tests.Activities;
using Pond.Tests.Audience;
using Pond.Tests.Commerce.Coupons;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Fission;

/// <summary>Lotteries over HTTP on both engines: stock never passed under a race, points spent once, once a day, entry rules.</summary>
public sealed class LotteryTests
{
    private static object Prize(string name, decimal probability, int stock, object reward) => new { name, probability, stock, reward };

    private static async Task<Guid> LotteryAsync(HttpClient admin, long cost, object[] prizes, Guid? segmentId = null) =>
        (await admin.CreatedAsync("/api/lotteries", new
        {
            name = "会员日抽奖", pointsCost = cost, segmentId, startsAt = GameKit.Start, endsAt = GameKit.End, prizes,
        })).GetProperty("id").GetGuid();

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ParallelDraws_OnAPrizeWithStockFive_AwardExactlyFive_SpendEveryEntryOnce_AndHoldOncePerDay(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var people = await server.Workspace.CustomersAsync(40, "抽奖者");
        foreach (var person in people)
            await server.GivePointsAsync(person, 100);
        using var admin = server.Workspace.AdminClient();
        // Every draw picks the scarf (100%), so all but five must find it out of stock.
        var lotteryId = await LotteryAsync(admin, 10, [Prize("真丝方巾", 100m, 5, new { kind = "points", points = 500 })]);

        // 40 customers draw at once, and 20 of them twice at the same moment: the second must be refused, never spend twice.
        var calls = people.Select(p => (Func<Task<HttpResponseMessage>>)(() => admin.PostAsJsonAsync($"/api/lotteries/{lotteryId}/draws", new { customerId = p })))
            .Concat(people.Take(20).Select(p => (Func<Task<HttpResponseMessage>>)(() => admin.PostAsJsonAsync($"/api/lotteries/{lotteryId}/draws", new { customerId = p }))));
        var results = await GameKit.AllAtOnceAsync(calls);

        results.Count(r => r.Status == HttpStatusCode.Created).ShouldBe(40, string.Join("; ", results.Take(3).Select(r => $"{r.Status} {r.Body}")));
        var refused = results.Where(r => r.Status != HttpStatusCode.Created).ToList();
        refused.Count.ShouldBe(20);
        refused.ShouldAllBe(r => r.Status == HttpStatusCode.Conflict && r.Body.GetProperty("reason").GetString() == GameRefusals.AlreadyDrawn);
        var outcomes = results.Where(r => r.Status == HttpStatusCode.Created).Select(r => r.Body.GetProperty("outcome").GetString()).ToList();
        outcomes.Count(o => o == DrawOutcomes.Won).ShouldBe(5);
        outcomes.Count(o => o == DrawOutcomes.OutOfStock).ShouldBe(35);

        var counters = await admin.GetAsync<LotteryCounters>($"/api/lotteries/{lotteryId}/counters");
        counters.Draws.ShouldBe(40);
        counters.Wins.ShouldBe(5);
        counters.PointsSpent.ShouldBe(400);
        counters.Prizes.Single().Awarded.ShouldBe(5);
        counters.Prizes.Single().Left.ShouldBe(0);

        // Every entry spent its 10 points exactly once: one spend row per customer, linked from the entry.
        (await server.ScalarAsync("SELECT COUNT(*) FROM points_ledger WHERE workspace_id = @ws AND kind = 'spend' AND amount = -10", new { ws = server.Workspace.Id })).ShouldBe(40);
        (await server.ScalarAsync(
            "SELECT COUNT(DISTINCT e.points_entry_id) FROM lottery_entries e JOIN points_ledger l ON l.id = e.points_entry_id WHERE e.lottery_id = @lotteryId AND l.amount = -10",
            new { lotteryId })).ShouldBe(40);
        var winners = results.Where(r => r.Status == HttpStatusCode.Created && r.Body.GetProperty("outcome").GetString() == DrawOutcomes.Won)
            .Select(r => r.Body.GetProperty("customerId").GetGuid()).ToHashSet();
        foreach (var person in people)
            (await server.BalanceAsync(person)).ShouldBe(winners.Contains(person) ? 590 : 90);

        var shown = await admin.GetAsync<List<LotteryWinner>>($"/api/lotteries/{lotteryId}/winners");
        shown.Count.ShouldBe(5);
        shown.ShouldAllBe(w => w.MaskedName.StartsWith('抽') && w.MaskedName.Contains('*') && w.Prize == "真丝方巾");
        (await admin.GetAsync<List<JsonElement>>($"/api/lotteries/{lotteryId}/draws?outcome=out_of_stock")).Count.ShouldBe(35);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OncePerLocalDay_PointsShortfall_Audience_AndTheNextDay(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var people = await server.Workspace.CustomersAsync(3, "会员");
        await server.GivePointsAsync(people[0], 25);
        using var admin = server.Workspace.AdminClient();
        var template = await admin.TemplateIdAsync(CouponKit.AmountOff("抽奖券 10 元", 10));
        var lotteryId = await LotteryAsync(admin, 10, [Prize("10 元券", 100m, 100, new { kind = "coupon", templateId = template })]);

        var first = await (await admin.PostAsJsonAsync($"/api/lotteries/{lotteryId}/draws", new { customerId = people[0] })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        first.GetProperty("outcome").GetString().ShouldBe(DrawOutcomes.Won);
        first.GetProperty("couponId").GetGuid().ShouldNotBe(Guid.Empty);
        (await server.ScalarAsync("SELECT COUNT(*) FROM coupons WHERE customer_id = @c AND source = 'referral'", new { c = people[0] })).ShouldBe(1);
        (await (await admin.PostAsJsonAsync($"/api/lotteries/{lotteryId}/draws", new { customerId = people[0] })).ReasonAsync()).ShouldBe(GameRefusals.AlreadyDrawn);
        (await server.BalanceAsync(people[0])).ShouldBe(15);

        var poor = await (await admin.PostAsJsonAsync($"/api/lotteries/{lotteryId}/draws", new { customerId = people[1] })).ProblemAsync(HttpStatusCode.Conflict);
        poor.GetProperty("reason").GetString().ShouldBe(GameRefusals.NotEnoughPoints);
        poor.Detail().ShouldContain("Not enough points");
        (await server.ScalarAsync("SELECT COUNT(*) FROM lottery_entries WHERE customer_id = @c", new { c = people[1] })).ShouldBe(0);

        clock.Advance(TimeSpan.FromDays(1));
        (await (await admin.PostAsJsonAsync($"/api/lotteries/{lotteryId}/draws", new { customerId = people[0] })).ReadAsync<JsonElement>(HttpStatusCode.Created))
            .GetProperty("outcome").GetString().ShouldBe(DrawOutcomes.Won);
        (await server.BalanceAsync(people[0])).ShouldBe(5);

        var segment = await server.Workspace.SegmentAsync("VIP", [people[2]]);
        var vipOnly = await LotteryAsync(admin, 0, [Prize("试用装", 50m, 10, new { kind = "gift", gift = "试用装" })], segment);
        (await (await admin.PostAsJsonAsync($"/api/lotteries/{vipOnly}/draws", new { customerId = people[1] })).ReasonAsync()).ShouldBe(GameRefusals.NotInAudience);
        var free = await (await admin.PostAsJsonAsync($"/api/lotteries/{vipOnly}/draws", new { customerId = people[2] })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        free.GetProperty("pointsSpent").GetInt64().ShouldBe(0);
        (await (await admin.PostAsJsonAsync($"/api/lotteries/{vipOnly}/draws", new { customerId = people[2] })).ReasonAsync()).ShouldBe(GameRefusals.AlreadyDrawn);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task FreeDraws_RacingForOneCustomer_WriteOneEntry(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var person = (await server.Workspace.CustomersAsync(1, "手快"))[0];
        using var admin = server.Workspace.AdminClient();
        var lotteryId = await LotteryAsync(admin, 0, [Prize("积分", 100m, 3, new { kind = "points", points = 7 })]);
        var results = await GameKit.AllAtOnceAsync(Enumerable.Range(0, 12).Select(_ =>
            (Func<Task<HttpResponseMessage>>)(() => admin.PostAsJsonAsync($"/api/lotteries/{lotteryId}/draws", new { customerId = person }))));
        results.Count(r => r.Status == HttpStatusCode.Created).ShouldBe(1);
        results.Where(r => r.Status != HttpStatusCode.Created).ShouldAllBe(r => r.Body.GetProperty("reason").GetString() == GameRefusals.AlreadyDrawn);
        (await server.ScalarAsync("SELECT COUNT(*) FROM lottery_entries WHERE lottery_id = @lotteryId", new { lotteryId })).ShouldBe(1);
        (await server.BalanceAsync(person)).ShouldBe(7);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BadPools_AreRefused_NamingTheField_AndStockCannotGoBelowWhatWasAwarded(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var person = (await server.Workspace.CustomersAsync(1))[0];
        using var admin = server.Workspace.AdminClient();
        async Task<string?> FieldAsync(object body) =>
            (await (await admin.PostAsJsonAsync("/api/lotteries", body)).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString();
        var gift = new { kind = "gift", gift = "帆布袋" };
        (await FieldAsync(new { name = "x", startsAt = GameKit.Start, endsAt = GameKit.End, prizes = new[] { Prize("a", 60m, 1, gift), Prize("b", 40.5m, 1, gift) } })).ShouldBe("prizes");
        (await FieldAsync(new { name = "x", startsAt = GameKit.Start, endsAt = GameKit.End, prizes = new[] { Prize("a", 0m, 1, gift) } })).ShouldBe("prizes[0].probability");
        (await FieldAsync(new { name = "x", startsAt = GameKit.Start, endsAt = GameKit.End, prizes = new[] { Prize("a", 1.23456m, 1, gift) } })).ShouldBe("prizes[0].probability");
        (await FieldAsync(new { name = "x", startsAt = GameKit.Start, endsAt = GameKit.End, prizes = new[] { new { name = "a", probability = 5m, stock = 1 } } })).ShouldBe("prizes[0].reward");
        (await FieldAsync(new { name = "x", startsAt = GameKit.Start, endsAt = GameKit.End, prizes = new[] { Prize("a", 5m, 1, new { kind = "cash" }) } })).ShouldBe("prizes[0].reward.kind");
        (await FieldAsync(new { name = "x", startsAt = GameKit.Start, endsAt = GameKit.End, prizes = new[] { Prize("a", 5m, -1, gift) } })).ShouldBe("prizes[0].stock");
        (await FieldAsync(new { name = "x", pointsCost = -5, startsAt = GameKit.Start, endsAt = GameKit.End, prizes = new[] { Prize("a", 5m, 1, gift) } })).ShouldBe("pointsCost");
        (await FieldAsync(new { name = "x", startsAt = GameKit.Start, endsAt = GameKit.End, prizes = Array.Empty<object>() })).ShouldBe("prizes");

        var lotteryId = await LotteryAsync(admin, 0, [Prize("帆布袋", 100m, 2, gift)]);
        await (await admin.PostAsJsonAsync($"/api/lotteries/{lotteryId}/draws", new { customerId = person })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var lottery = await admin.GetAsync<JsonElement>($"/api/lotteries/{lotteryId}");
        var prizeId = lottery.GetProperty("prizes")[0].GetProperty("id").GetGuid();
        (await admin.PutJsonAsync($"/api/lotteries/{lotteryId}", new { prizes = new[] { new { id = prizeId, stock = 0 } } })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var changed = await (await admin.PutJsonAsync($"/api/lotteries/{lotteryId}", new { prizes = new object[] { new { id = prizeId, stock = 9, probability = 30m }, Prize("新奖品", 10m, 4, gift) } }))
            .ReadAsync<JsonElement>();
        changed.GetProperty("prizes").GetArrayLength().ShouldBe(2);
        changed.GetProperty("prizes")[0].GetProperty("stock").GetInt32().ShouldBe(9);
        changed.GetProperty("prizes")[0].GetProperty("awarded").GetInt32().ShouldBe(1);
        changed.GetProperty("noPrizeProbability").GetDecimal().ShouldBe(60m);
    }
}
