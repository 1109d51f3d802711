using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Pond.Loyalty;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Loyalty;

public sealed class PointsTests
{
    private static readonly object Enabled = new
    {
        enabled = true, pointsPerYuan = 1, checkIn = new { points = 5, streakDays = 3, streakBonus = 10 },
        tasks = new[] { new { code = "review", name = "Write a review", points = 20, limit = 2 } },
        referralPoints = 200, expiry = new { mode = "never" }, memberDay = new { dayOfMonth = (int?)null, multiplier = 2 }, tierBasis = "spend",
    };

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Spend_FromParallelRequests_NeverOverdraws(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var ws = server.Workspace;
        var customer = await new CustomerSeed(ws).CustomerAsync("Lin");
        var client = ws.AdminClient();
        (await client.PostAsJsonAsync($"/api/customers/{customer}/points/adjust", new { points = 100, reason = "Opening balance" })).StatusCode.ShouldBe(HttpStatusCode.OK);

        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            ws.AdminClient().PostAsJsonAsync($"/api/customers/{customer}/points/spend", new { points = 10, reason = "Coupon", idempotencyKey = $"spend-{i}" })));

        responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(10);
        responses.Count(r => r.StatusCode == HttpStatusCode.Conflict).ShouldBe(20);
        (await client.BalanceAsync(customer)).ShouldBe(0);
        var books = await server.BooksAsync(customer);
        books.ShouldBe((0L, 0L, 0L, 0L));
        var ledger = await client.GetAsync<JsonElement>($"/api/customers/{customer}/points/ledger?limit=200");
        var entries = ledger.GetProperty("entries").EnumerateArray().ToList();
        entries.Count.ShouldBe(11);
        entries.Count(e => e.GetProperty("kind").GetString() == "spend").ShouldBe(10);
        // Most recent first; each row's balance is the one after it, and no row ever shows a negative balance.
        entries[0].GetProperty("balanceAfter").GetInt64().ShouldBe(0);
        entries.ShouldAllBe(e => e.GetProperty("balanceAfter").GetInt64() >= 0);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Spend_SameKeyInParallel_SpendsOnce(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var ws = server.Workspace;
        var customer = await new CustomerSeed(ws).CustomerAsync("Mei");
        var client = ws.AdminClient();
        await client.PostAsJsonAsync($"/api/customers/{customer}/points/adjust", new { points = 100, reason = "Opening balance" });

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            ws.AdminClient().PostAsJsonAsync($"/api/customers/{customer}/points/spend", new { points = 30, reason = "Coupon", reference = "coupon-1", idempotencyKey = "redeem-1" })));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        var bodies = await Task.WhenAll(responses.Select(r => r.ReadAsync<JsonElement>()));
        bodies.Count(b => !b.GetProperty("replayed").GetBoolean()).ShouldBe(1);
        bodies.Select(b => b.GetProperty("entry").GetProperty("id").GetGuid()).Distinct().Count().ShouldBe(1);
        (await client.BalanceAsync(customer)).ShouldBe(70);

        // The same key for a different amount is a mistake, not a replay.
        var clash = await client.PostAsJsonAsync($"/api/customers/{customer}/points/spend", new { points = 40, reason = "Coupon", idempotencyKey = "redeem-1" });
        (await clash.ProblemAsync(HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("already used");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task CheckIn_OncePerLocalDay_WithStreakBonus(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var ws = server.Workspace;
        var customer = await new CustomerSeed(ws).CustomerAsync("Hui");
        var client = ws.AdminClient();
        await client.SetRulesAsync(Enabled);

        async Task<JsonElement> CheckIn() => await (await client.PostAsync($"/api/customers/{customer}/points/check-in", null)).ReadAsync<JsonElement>();

        (await CheckIn()).GetProperty("points").GetInt64().ShouldBe(5);
        var again = await client.PostAsync($"/api/customers/{customer}/points/check-in", null);
        (await again.ProblemAsync(HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("Already checked in today");
        clock.Advance(TimeSpan.FromDays(1));
        (await CheckIn()).GetProperty("streak").GetInt32().ShouldBe(2);
        clock.Advance(TimeSpan.FromDays(1));
        var third = await CheckIn();
        (third.GetProperty("streak").GetInt32(), third.GetProperty("points").GetInt64(), third.GetProperty("bonus").GetBoolean()).ShouldBe((3, 15L, true));
        clock.Advance(TimeSpan.FromDays(2));
        var broken = await CheckIn();
        (broken.GetProperty("streak").GetInt32(), broken.GetProperty("points").GetInt64()).ShouldBe((1, 5L));
        (await client.BalanceAsync(customer)).ShouldBe(5 + 5 + 15 + 5);

        // The day is the workspace's: 04:00 UTC is noon in Shanghai; 17:00 UTC is already tomorrow there.
        clock.Advance(TimeSpan.FromHours(13));
        (await CheckIn()).GetProperty("streak").GetInt32().ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Tasks_AreLimitedPerCustomer_AndValidated(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var ws = server.Workspace;
        var customer = await new CustomerSeed(ws).CustomerAsync("Yun");
        var client = ws.AdminClient();
        await client.SetRulesAsync(Enabled);

        (await client.PostAsJsonAsync($"/api/customers/{customer}/points/tasks/review", new { idempotencyKey = "review-1" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var repeat = await (await client.PostAsJsonAsync($"/api/customers/{customer}/points/tasks/review", new { idempotencyKey = "review-1" })).ReadAsync<JsonElement>();
        repeat.GetProperty("replayed").GetBoolean().ShouldBeTrue();
        (await client.PostAsJsonAsync($"/api/customers/{customer}/points/tasks/review", new { idempotencyKey = "review-2" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var third = await client.PostAsJsonAsync($"/api/customers/{customer}/points/tasks/review", new { idempotencyKey = "review-3" });
        (await third.ProblemAsync(HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("limit");
        (await client.BalanceAsync(customer)).ShouldBe(40);
        (await client.PostAsJsonAsync($"/api/customers/{customer}/points/tasks/dance", new { })).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var bad = await client.PutAsJsonAsync("/api/loyalty/rules", new { expiry = new { mode = "days" } });
        (await bad.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("expiry.days");
        var noReason = await client.PostAsJsonAsync($"/api/customers/{customer}/points/adjust", new { points = -5 });
        (await noReason.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("reason");
        var noKey = await client.PostAsJsonAsync($"/api/customers/{customer}/points/spend", new { points = 5, reason = "x" });
        (await noKey.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("idempotencyKey");
        var tooMuch = await client.PostAsJsonAsync($"/api/customers/{customer}/points/adjust", new { points = -41, reason = "Correction" });
        (await tooMuch.ProblemAsync(HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("has 40");

        var gift = await (await client.PostAsJsonAsync($"/api/customers/{customer}/points/spend", new { points = 30, gift = "Tote bag", idempotencyKey = "gift-1" }))
            .ReadAsync<JsonElement>();
        gift.GetProperty("entry").GetProperty("source").GetString().ShouldBe("gift");
        await using var connection = await server.Service<Database>().OpenAsync();
        (await connection.ExecuteScalarAsync<string>("SELECT gift FROM points_gifts WHERE customer_id = @customer", new { customer })).ShouldBe("Tote bag");
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'points.adjust'")).ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Expiry_TakesWhatIsLeftOfEachLot_OldestSpentFirst(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var ws = server.Workspace;
        var customer = await new CustomerSeed(ws).CustomerAsync("Qing");
        var client = ws.AdminClient();
        await client.SetRulesAsync(new { enabled = true, expiry = new { mode = "days", days = 30 } });
        var points = server.Service<PointsBook>();

        await client.PostAsJsonAsync($"/api/customers/{customer}/points/adjust", new { points = 50, reason = "Welcome" });
        clock.Advance(TimeSpan.FromDays(10));
        await client.PostAsJsonAsync($"/api/customers/{customer}/points/adjust", new { points = 40, reason = "Apology" });
        // 60 spent: all 50 of the first lot, 10 of the second.
        (await client.PostAsJsonAsync($"/api/customers/{customer}/points/spend", new { points = 60, reason = "Coupon", idempotencyKey = "s1" })).StatusCode.ShouldBe(HttpStatusCode.OK);

        clock.Advance(TimeSpan.FromDays(21));
        (await points.ExpireDueAsync()).ShouldBe(0);
        (await client.BalanceAsync(customer)).ShouldBe(30);
        clock.Advance(TimeSpan.FromDays(10));
        (await points.ExpireDueAsync()).ShouldBe(30);
        (await points.ExpireDueAsync()).ShouldBe(0);
        (await server.BooksAsync(customer)).ShouldBe((0L, 0L, 0L, 0L));
        var ledger = await client.GetAsync<JsonElement>($"/api/customers/{customer}/points/ledger");
        var latest = ledger.GetProperty("entries")[0];
        (latest.GetProperty("kind").GetString(), latest.GetProperty("amount").GetInt64()).ShouldBe(("expire", -30L));
    }

    [Fact]
    public void Expiry_EndOfNextYear_ReadsTheYearInTheWorkspaceZone()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var rules = new LoyaltyRules { Expiry = new ExpiryPolicy { Mode = ExpiryModes.EndOfNextYear } };
        // 2025-12-31 20:00 UTC is already 2026-01-01 in Shanghai: earned in 2026, expires when 2027 ends.
        rules.ExpiresAt(new DateTimeOffset(2025, 12, 31, 20, 0, 0, TimeSpan.Zero), zone)
            .ShouldBe(new DateTimeOffset(2028, 1, 1, 0, 0, 0, TimeSpan.FromHours(8)));
        rules.ExpiresAt(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero), zone)
            .ShouldBe(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.FromHours(8)));
        (new LoyaltyRules { Expiry = new ExpiryPolicy { Mode = ExpiryModes.Never } }).ExpiresAt(DateTimeOffset.UtcNow, zone).ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Refund_ReversesTheOrdersPoints_PartialThenFinal_AndFreesNothingElse(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var ws = server.Workspace;
        var customer = await new CustomerSeed(ws).CustomerAsync("Rui");
        var client = ws.AdminClient();
        await client.SetRulesAsync(Enabled);

        var a = await ws.OrderAsync(customer, "A-1", 300m);
        await ws.OrderAsync(customer, "B-1", 200m);
        (await client.BalanceAsync(customer)).ShouldBe(500);

        await ws.RefundAsync(a, "r1", 99.99m);
        (await client.BalanceAsync(customer)).ShouldBe(500 - 99); // floor(300 × 99.99 / 300)
        await ws.RefundAsync(a, "r2", 100m);
        (await client.BalanceAsync(customer)).ShouldBe(500 - 199);
        await ws.RefundAsync(a, "r3", 100.01m);
        (await client.BalanceAsync(customer)).ShouldBe(200);

        await using var connection = await server.Service<Database>().OpenAsync();
        var reversed = await connection.ExecuteScalarAsync<long>(
            "SELECT CAST(SUM(owed - amount) AS BIGINT) FROM points_ledger WHERE customer_id = @customer AND kind = 'reverse' AND reference = 'A-1'", new { customer });
        reversed.ShouldBe(300);
        // B's points are untouched: its lot still holds all 200.
        (await connection.ExecuteScalarAsync<long>(
            "SELECT l.remaining FROM points_lots l JOIN points_ledger e ON e.id = l.id WHERE e.reference = 'B-1'")).ShouldBe(200);
        (await server.BooksAsync(customer)).ShouldBe((200L, 200L, 200L, 0L));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Refund_AfterThePointsWereSpent_NeverGoesNegative_AndRecordsTheDebt(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var ws = server.Workspace;
        var customer = await new CustomerSeed(ws).CustomerAsync("Jun");
        var client = ws.AdminClient();
        await client.SetRulesAsync(Enabled);

        var order = await ws.OrderAsync(customer, "O-1", 300m);
        (await client.PostAsJsonAsync($"/api/customers/{customer}/points/spend", new { points = 250, reason = "Coupon", idempotencyKey = "k" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await ws.RefundAsync(order, "r1", 300m);
        (await server.BooksAsync(customer)).ShouldBe((0L, 0L, 0L, 250L));

        // The next order's points pay the debt first.
        await ws.OrderAsync(customer, "O-2", 100m);
        (await server.BooksAsync(customer)).ShouldBe((0L, 0L, 0L, 150L));
        await ws.OrderAsync(customer, "O-3", 400m);
        (await server.BooksAsync(customer)).ShouldBe((250L, 250L, 250L, 0L));
        var view = await client.GetAsync<JsonElement>($"/api/customers/{customer}/points");
        view.GetProperty("debt").GetInt64().ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task StaffRole_SeesAndSpendsOnlyForOwnCustomers(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var ws = server.Workspace;
        var seed = new CustomerSeed(ws);
        var staff = await seed.StaffAsync("Xiao Wang");
        var mine = await seed.CustomerAsync("Mine", owner: staff);
        var other = await seed.CustomerAsync("Other");
        var client = await ws.MemberClientAsync(Roles.Staff, staff);

        (await client.GetAsync($"/api/customers/{mine}/points")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync($"/api/customers/{other}/points")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await client.GetAsync($"/api/customers/{other}/points/ledger")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await client.PostAsJsonAsync($"/api/customers/{other}/points/spend", new { points = 1, reason = "x", idempotencyKey = "a" })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await client.PostAsJsonAsync($"/api/customers/{mine}/points/adjust", new { points = 1, reason = "x" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await client.PutAsJsonAsync("/api/loyalty/rules", new { })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var analyst = await ws.MemberClientAsync(Roles.Analyst);
        (await analyst.PostAsync($"/api/customers/{mine}/points/check-in", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}
