using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Commerce;
using Pond.Fission.Assists;
using Pond.Storage;
using Pond.Tests.Activities;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Fission;

/// <summary>Bargains: the cut rule as a property over many random sessions, and sessions over HTTP on both engines.</summary>
public sealed class BargainTests
{
    [Fact]
    public void Cuts_OverManyRandomSessions_LandOnTheFloorExactlyOnTheLastHelp_NeverOvershoot_AndCutAtLeastOneFen()
    {
        var random = new Random(20261124);
        for (var session = 0; session < 20_000; session++)
        {
            var helps = random.Next(1, 101);
            var gap = random.Next(helps, session % 10 == 0 ? helps + 5 : 200_000);
            var first = random.Next(1, 91);
            var remaining = (long)gap;
            for (var help = 1; help <= helps; help++)
            {
                var cut = BargainCuts.Next(remaining, helps - help + 1, help == 1, first, n => random.NextInt64(n));
                cut.ShouldBeGreaterThanOrEqualTo(1, $"session {session}, help {help}");
                cut.ShouldBeLessThanOrEqualTo(remaining, $"session {session}, help {help}: overshoots the floor");
                remaining -= cut;
                if (help < helps)
                    remaining.ShouldBeGreaterThanOrEqualTo(helps - help, $"session {session}: not enough left for the helps still to come");
            }
            remaining.ShouldBe(0, $"session {session}: gap {gap} fen in {helps} helps did not reach the floor");
        }
    }

    [Fact]
    public void TheFirstHelp_CutsItsShare_AndTheRandomCuts_AverageTheRemainderPerHelp()
    {
        BargainCuts.Next(10_000, 10, first: true, 50, _ => 0).ShouldBe(5_000);
        BargainCuts.Next(10_000, 1, first: true, 50, _ => 0).ShouldBe(10_000);
        BargainCuts.Next(12, 10, first: true, 90, _ => 0).ShouldBe(3, "capped so the 9 helps to come keep 1 fen each");
        var random = new Random(1);
        var mean = Enumerable.Range(0, 50_000).Average(_ => (double)BargainCuts.Next(10_000, 8, first: false, 50, n => random.NextInt64(n)));
        mean.ShouldBeInRange(1_230, 1_270, "random cuts average R / L (10,000 / 8 = 1,250)");
        Should.Throw<ArgumentOutOfRangeException>(() => BargainCuts.Next(3, 4, first: false, 50, _ => 0));
    }

    private static async Task<Guid> BargainAsync(HttpClient admin, int helps, int? stock = null) =>
        (await admin.CreatedAsync("/api/bargains", new
        {
            name = "砍价 0 元拿 · 香氛蜡烛", sku = "CANDLE-01", productName = "香氛蜡烛", originalPrice = 129m, floorPrice = 9.9m, maxHelps = helps, stock,
            startsAt = GameKit.Start, endsAt = GameKit.End,
        })).GetProperty("id").GetGuid();

    private static Task<HttpResponseMessage> CutAsync(HttpClient admin, string code, Guid helper) =>
        admin.PostAsJsonAsync($"/api/bargains/sessions/{code}/cut", new { customerId = helper });

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task FriendsCutToTheFloorOnTheNthHelp_ThenTheParticipantBuysAtTheFloorPrice(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var people = await server.Workspace.CustomersAsync(7, "砍友");
        using var admin = server.Workspace.AdminClient();
        var itemId = await BargainAsync(admin, helps: 5, stock: 1);
        var session = await (await admin.PostAsJsonAsync($"/api/bargains/{itemId}/sessions", new { customerId = people[0] })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var code = session.GetProperty("code").GetString()!;
        var sessionId = session.GetProperty("id").GetGuid();

        (await (await CutAsync(admin, code, people[0])).ReasonAsync()).ShouldBe(GameRefusals.SelfHelp);
        (await (await admin.PostAsync($"/api/bargains/{itemId}/sessions/{sessionId}/purchase", null)).ReasonAsync()).ShouldBe(GameRefusals.NotReached);
        var price = 129m;
        for (var i = 1; i <= 5; i++)
        {
            var result = await (await CutAsync(admin, code, people[i])).ReadAsync<JsonElement>();
            result.GetProperty("counted").GetBoolean().ShouldBeTrue();
            var amount = result.GetProperty("cut").GetProperty("amount").GetDecimal();
            amount.ShouldBeGreaterThanOrEqualTo(0.01m);
            price -= amount;
            result.GetProperty("session").GetProperty("currentPrice").GetDecimal().ShouldBe(price);
            result.GetProperty("session").GetProperty("state").GetString().ShouldBe(i < 5 ? BargainStates.Open : BargainStates.Reached);
        }
        price.ShouldBe(9.9m);
        var repeat = await (await CutAsync(admin, code, people[1])).ReadAsync<JsonElement>();
        repeat.GetProperty("counted").GetBoolean().ShouldBeFalse();
        repeat.GetProperty("reason").GetString().ShouldBe(GameRefusals.AlreadyHelped);
        (await (await CutAsync(admin, code, people[6])).ReasonAsync()).ShouldBe(GameRefusals.FloorReached);

        var bought = await (await admin.PostAsync($"/api/bargains/{itemId}/sessions/{sessionId}/purchase", null)).ReadAsync<JsonElement>();
        bought.GetProperty("state").GetString().ShouldBe(BargainStates.Purchased);
        var orderId = bought.GetProperty("orderId").GetString()!;
        orderId.ShouldBe($"BG-{code}");
        var order = await admin.GetAsync<JsonElement>($"/api/orders/{orderId}");
        order.GetProperty("order").GetProperty("source").GetString().ShouldBe(OrderSources.Bargain);
        order.GetProperty("order").GetProperty("paid").GetDecimal().ShouldBe(9.9m);
        (await server.ScalarAsync("SELECT paid FROM orders WHERE order_id = @orderId AND source = 'bargain' AND customer_id = @c", new { orderId, c = people[0] })).ShouldBe(990);
        (await (await admin.PostAsync($"/api/bargains/{itemId}/sessions/{sessionId}/purchase", null)).ReasonAsync()).ShouldBe(GameRefusals.Purchased);
        // The one unit is gone: nobody else can open a session.
        (await (await admin.PostAsJsonAsync($"/api/bargains/{itemId}/sessions", new { customerId = people[1] })).ReasonAsync()).ShouldBe(GameRefusals.SoldOut);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TwentyParallelCuts_WithFiveAllowed_CountFive_AndLandExactlyOnTheFloor(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var people = await server.Workspace.CustomersAsync(21, "抢砍");
        using var admin = server.Workspace.AdminClient();
        var itemId = await BargainAsync(admin, helps: 5);
        var session = await (await admin.PostAsJsonAsync($"/api/bargains/{itemId}/sessions", new { customerId = people[0] })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var code = session.GetProperty("code").GetString()!;

        var results = await GameKit.AllAtOnceAsync(people.Skip(1).Select(p => (Func<Task<HttpResponseMessage>>)(() => CutAsync(admin, code, p))));
        results.Count(r => r.Status == HttpStatusCode.OK).ShouldBe(5);
        results.Where(r => r.Status != HttpStatusCode.OK).ShouldAllBe(r => r.Status == HttpStatusCode.Conflict && r.Body.GetProperty("reason").GetString() == GameRefusals.FloorReached);
        var after = await admin.GetAsync<JsonElement>($"/api/bargains/sessions/{session.GetProperty("id").GetGuid()}");
        after.GetProperty("currentPrice").GetDecimal().ShouldBe(9.9m);
        after.GetProperty("cuts").EnumerateArray().Sum(c => c.GetProperty("amount").GetDecimal()).ShouldBe(129m - 9.9m);
        after.GetProperty("cuts").EnumerateArray().Select(c => c.GetProperty("seq").GetInt32()).ShouldBe([1, 2, 3, 4, 5]);
        (await server.ScalarAsync("SELECT COUNT(*) FROM bargain_cuts WHERE item_id = @itemId", new { itemId })).ShouldBe(5);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BadBargains_AreRefused_NamingTheField(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        using var admin = server.Workspace.AdminClient();
        async Task<string?> FieldAsync(decimal original, decimal floor, int helps, int first = 50) =>
            (await (await admin.PostAsJsonAsync("/api/bargains", new
            {
                name = "x", sku = "X", originalPrice = original, floorPrice = floor, maxHelps = helps, firstCutPercent = first, startsAt = GameKit.Start, endsAt = GameKit.End,
            })).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString();
        (await FieldAsync(10m, 10m, 3)).ShouldBe("floorPrice");
        (await FieldAsync(10m, 9.98m, 3)).ShouldBe("floorPrice");
        (await FieldAsync(10m, 1m, 0)).ShouldBe("maxHelps");
        (await FieldAsync(10m, 1m, 3, first: 95)).ShouldBe("firstCutPercent");
        (await FieldAsync(10.001m, 1m, 3)).ShouldBe("originalPrice");
    }
}
