using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Pond.Loyalty;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Loyalty;

public sealed class TierTests
{
    private static async Task<(Guid Basic, Guid Silver, Guid Gold)> TiersAsync(HttpClient client, long birthdayPoints = 0)
    {
        var basic = await client.TierAsync(new { name = "普通会员", threshold = 0 });
        var silver = await client.TierAsync(new { name = "银卡", threshold = 1000, pointsMultiplier = 1.2m });
        var gold = await client.TierAsync(new { name = "金卡", threshold = 5000, pointsMultiplier = 1.5m, birthdayPoints, color = "#c9a227" });
        return (basic, silver, gold);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Order_Upgrades_Refund_Downgrades_AndNightlyRollsTheWindow(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var ws = server.Workspace;
        var customer = await new CustomerSeed(ws).CustomerAsync("Lan");
        var client = ws.AdminClient();
        await client.SetRulesAsync(new { enabled = true, pointsPerYuan = 1 });
        var (basic, silver, gold) = await TiersAsync(client);

        await ws.OrderAsync(customer, "T-1", 1200m);
        var view = await client.GetAsync<JsonElement>($"/api/customers/{customer}/points");
        view.GetProperty("tier").GetProperty("tier").GetProperty("id").GetGuid().ShouldBe(silver);
        view.GetProperty("tier").GetProperty("next").GetProperty("id").GetGuid().ShouldBe(gold);
        view.GetProperty("tier").GetProperty("toNext").GetInt64().ShouldBe(380_000);
        view.GetProperty("balance").GetInt64().ShouldBe(1200); // the multiplier applies from the next order

        clock.Advance(TimeSpan.FromDays(200));
        var big = await ws.OrderAsync(customer, "T-2", 4000m);
        (await client.BalanceAsync(customer)).ShouldBe(1200 + 4800); // ×1.2 as 银卡
        (await Current(client, customer)).ShouldBe(gold);

        // A partial refund drops the 12-month spend under 金卡.
        clock.Advance(TimeSpan.FromMinutes(5));
        await ws.RefundAsync(big, "r-1", 500m);
        (await Current(client, customer)).ShouldBe(silver);

        // Nightly, after the window has rolled past the first order (12 months + 1 day later): 3500 left → 银卡 stays;
        // after it rolls past the second as well: 0 → 普通会员.
        clock.Advance(TimeSpan.FromDays(170));
        var tiers = server.Service<TierBook>();
        (await tiers.RunNightlyAsync(ws.Id)).Downgrades.ShouldBe(0);
        (await Current(client, customer)).ShouldBe(silver);
        clock.Advance(TimeSpan.FromDays(200));
        var run = await tiers.RunNightlyAsync(ws.Id);
        run.Downgrades.ShouldBe(1);
        (await Current(client, customer)).ShouldBe(basic);

        var history = await client.GetAsync<JsonElement>($"/api/customers/{customer}/tier/history");
        history.EnumerateArray().Select(h => (h.GetProperty("toName").GetString(), h.GetProperty("direction").GetString(), h.GetProperty("cause").GetString()))
            .ShouldBe([("普通会员", "down", "nightly"), ("银卡", "down", "refund"), ("金卡", "up", "order"), ("银卡", "up", "order")]);

        await using var connection = await server.Service<Database>().OpenAsync();
        (await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM audience_events WHERE customer_id = @customer AND kind = 'tier.changed'", new { customer })).ShouldBe(4);
        (await connection.ExecuteScalarAsync<string>(
            "SELECT subject FROM audience_events WHERE customer_id = @customer AND kind = 'tier.changed' ORDER BY seq DESC LIMIT 1", new { customer }))
            .ShouldBe(basic.ToString());
        (await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM customer_events WHERE customer_id = @customer AND name = 'Member Tier Changed'", new { customer })).ShouldBe(4);

        var tiersList = await client.GetAsync<JsonElement>("/api/loyalty/tiers");
        tiersList.EnumerateArray().Select(t => (t.GetProperty("name").GetString(), t.GetProperty("members").GetInt64()))
            .ShouldBe([("普通会员", 1L), ("银卡", 0L), ("金卡", 0L)]);
        var members = await client.GetAsync<JsonElement>($"/api/loyalty/tiers/{basic}/members");
        members.GetProperty("members").EnumerateArray().Single().GetProperty("customerId").GetGuid().ShouldBe(customer);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BirthdayGift_OncePerYear(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var ws = server.Workspace;
        var today = TimeZoneInfo.ConvertTime(ScoreKit.Now, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai"));
        var seed = new CustomerSeed(ws);
        var birthday = $"1990-{today:MM-dd}";
        var vip = await seed.CustomerAsync("Vip", traits: new { birthday });
        var notToday = await seed.CustomerAsync("Later", traits: new { birthday = $"1990-{today.AddDays(3):MM-dd}" });
        var client = ws.AdminClient();
        await client.SetRulesAsync(new { enabled = true });
        await TiersAsync(client, birthdayPoints: 88);
        await ws.OrderAsync(vip, "V-1", 6000m);
        await ws.OrderAsync(notToday, "L-1", 6000m);
        var tiers = server.Service<TierBook>();

        (await tiers.RunNightlyAsync(ws.Id)).BirthdayGifts.ShouldBe(1);
        (await tiers.RunNightlyAsync(ws.Id)).BirthdayGifts.ShouldBe(0);
        (await client.BalanceAsync(vip)).ShouldBe(6000 + 88);
        (await client.BalanceAsync(notToday)).ShouldBe(6000);

        clock.Advance(ScoreKit.Now.AddYears(1) - ScoreKit.Now);
        await ws.OrderAsync(vip, "V-2", 6000m); // still 金卡 next year
        (await tiers.RunNightlyAsync(ws.Id)).BirthdayGifts.ShouldBe(1);
        await using var connection = await server.Service<Database>().OpenAsync();
        (await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM points_ledger WHERE customer_id = @vip AND source = 'birthday'", new { vip })).ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task MemberDay_AndTierMultiplier_ScaleOrderPoints(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var ws = server.Workspace;
        var customer = await new CustomerSeed(ws).CustomerAsync("Fei");
        var client = ws.AdminClient();
        var localDay = TimeZoneInfo.ConvertTime(ScoreKit.Now, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).Day;
        var memberDay = Math.Min(localDay, 28);
        await client.SetRulesAsync(new { enabled = true, pointsPerYuan = 2, memberDay = new { dayOfMonth = memberDay, multiplier = 3 } });
        await client.TierAsync(new { name = "金卡", threshold = 100, pointsMultiplier = 1.5m });

        var onMemberDay = ScoreKit.Now.AddDays(memberDay - localDay);
        await ws.OrderAsync(customer, "M-1", 100m, onMemberDay); // no tier yet: 100 × 2 × 3
        (await client.BalanceAsync(customer)).ShouldBe(600);
        await ws.OrderAsync(customer, "M-2", 100m, onMemberDay.AddDays(-1)); // 金卡, not member day: 100 × 2 × 1.5
        (await client.BalanceAsync(customer)).ShouldBe(900);
        await ws.OrderAsync(customer, "M-3", 10m, onMemberDay); // both: 10 × 2 × 1.5 × 3
        (await client.BalanceAsync(customer)).ShouldBe(990);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Tiers_AreValidated_AndDeletingOneMovesItsMembers(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var ws = server.Workspace;
        var customer = await new CustomerSeed(ws).CustomerAsync("Ning");
        var client = ws.AdminClient();
        var (basic, _, gold) = await TiersAsync(client);

        var dup = await client.PostAsJsonAsync("/api/loyalty/tiers", new { name = "钻石", threshold = 5000 });
        (await dup.ProblemAsync(HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("金卡");
        var bad = await client.PostAsJsonAsync("/api/loyalty/tiers", new { name = "钻石", threshold = 9000, pointsMultiplier = 0.5m });
        (await bad.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("pointsMultiplier");
        var noThreshold = await client.PostAsJsonAsync("/api/loyalty/tiers", new { name = "钻石" });
        (await noThreshold.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("threshold");

        await ws.OrderAsync(customer, "N-1", 8000m);
        (await Current(client, customer)).ShouldBe(gold);
        (await client.DeleteAsync($"/api/loyalty/tiers/{gold}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await Current(client, customer)).ShouldNotBe(gold);
        (await Current(client, customer)).ShouldNotBe(basic);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task PointsBasis_CountsPointsEarned_LessRefundReversals(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        var ws = server.Workspace;
        var customer = await new CustomerSeed(ws).CustomerAsync("Xin");
        var client = ws.AdminClient();
        await client.SetRulesAsync(new { enabled = true, pointsPerYuan = 1, tierBasis = "points" });
        var star = await client.TierAsync(new { name = "积分达人", threshold = 150 });

        await client.PostAsJsonAsync($"/api/customers/{customer}/points/adjust", new { points = 1000, reason = "Goodwill" }); // not earned: does not count
        await ws.OrderAsync(customer, "P-1", 120m);
        (await Current(client, customer)).ShouldBeNull();
        await ws.OrderAsync(customer, "P-2", 40m);
        (await Current(client, customer)).ShouldBe(star);
        await ws.RefundAsync("P-2", "r", 40m);
        (await Current(client, customer)).ShouldBeNull();
    }

    private static async Task<Guid?> Current(HttpClient client, Guid customer)
    {
        var view = await client.GetAsync<JsonElement>($"/api/customers/{customer}/points");
        var tier = view.GetProperty("tier").GetProperty("tier");
        return tier.ValueKind == JsonValueKind.Null ? null : tier.GetProperty("id").GetGuid();
    }
}
