using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.Workspaces;
using Pond.Workspaces;
using Xunit.Abstractions;

namespace Pond.Tests.Audience;

public sealed class ScoresTests(ITestOutputHelper output)
{
    private static readonly object FixedSettings = new
    {
        windowDays = 365, scoring = "fixed", highScore = 3,
        recencyDays = new[] { 30, 90, 180, 365 }, frequency = new[] { 2, 3, 5, 8 }, monetary = new[] { 200, 500, 1000, 3000 },
    };

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task FixedScoring_PlacesBuyersInCells_AndCountsStages(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var ws = server.Workspace;
        var seed = new CustomerSeed(ws);
        var a = await ws.BuyerAsync(seed, "A", (5, 1000), (20, 1000), (40, 1000), (70, 500), (100, 500));
        var b = await ws.BuyerAsync(seed, "B", (10, 1500));
        var c = await ws.BuyerAsync(seed, "C", (200, 400), (250, 400), (300, 400));
        var d = await ws.BuyerAsync(seed, "D", (400, 100));
        var e = await ws.BuyerAsync(seed, "E", (70, 50), (80, 50.5m));
        await seed.CustomerAsync("F, no orders");
        var client = ws.AdminClient();
        (await client.PutAsync("/api/rfm/settings", FixedSettings)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var run = await client.RecomputeAsync();
        run.GetProperty("customersScored").GetInt32().ShouldBe(5);
        run.GetProperty("baseline").GetBoolean().ShouldBeTrue();

        var sa = (await server.ScoreAsync(a))!;
        (sa.R, sa.F, sa.M, sa.RfmCell, sa.Stage, sa.Monetary, sa.Frequency, sa.RecencyDays).ShouldBe((5, 4, 5, "important_value", "loyal", 400_000L, 5L, 5L));
        var sb = (await server.ScoreAsync(b))!;
        (sb.R, sb.F, sb.M, sb.RfmCell, sb.Stage).ShouldBe((5, 1, 4, "important_develop", "first_order"));
        var sc = (await server.ScoreAsync(c))!;
        (sc.R, sc.F, sc.M, sc.RfmCell, sc.Stage).ShouldBe((2, 3, 4, "important_keep", "lost"));
        var sd = (await server.ScoreAsync(d))!;
        (sd.R, sd.RfmCell, sd.Stage, sd.RecencyDays).ShouldBe((null, null, "lost", 400L));
        var se = (await server.ScoreAsync(e))!;
        (se.R, se.F, se.M, se.RfmCell, se.Stage, se.Monetary).ShouldBe((4, 2, 1, "general_develop", "at_risk", 10_050L));

        var cells = await client.GetAsync<JsonElement>("/api/rfm/cells");
        cells.GetProperty("pool").GetInt64().ShouldBe(6);
        cells.GetProperty("scored").GetInt64().ShouldBe(4);
        var byCode = cells.GetProperty("cells").EnumerateArray().ToDictionary(x => x.GetProperty("code").GetString()!);
        byCode.Count.ShouldBe(8);
        byCode["important_value"].GetProperty("customers").GetInt64().ShouldBe(1);
        byCode["important_value"].GetProperty("monetary").GetDecimal().ShouldBe(4000m);
        byCode["important_value"].GetProperty("averageOrderValue").GetDecimal().ShouldBe(800m);
        byCode["important_value"].GetProperty("nameZh").GetString().ShouldBe("重要价值");
        byCode["important_value"].GetProperty("share").GetDouble().ShouldBe(1 / 6.0, 1e-9);
        byCode["general_develop"].GetProperty("averageOrderValue").GetDecimal().ShouldBe(50.25m);
        byCode["general_retain"].GetProperty("customers").GetInt64().ShouldBe(0);
        cells.GetProperty("engine").GetProperty("customersScored").GetInt32().ShouldBe(5);

        var grid = await client.GetAsync<JsonElement>("/api/rfm/grid");
        var gridCells = grid.GetProperty("cells").EnumerateArray().ToList();
        gridCells.Count.ShouldBe(25);
        var r5f4 = gridCells.Single(x => x.GetProperty("r").GetInt32() == 5 && x.GetProperty("f").GetInt32() == 4);
        r5f4.GetProperty("customers").GetInt64().ShouldBe(1);
        r5f4.GetProperty("averageMonetary").GetDecimal().ShouldBe(4000m);
        gridCells.Sum(x => x.GetProperty("customers").GetInt64()).ShouldBe(4);

        var overview = await client.GetAsync<JsonElement>("/api/lifecycle/overview");
        overview.GetProperty("pool").GetInt64().ShouldBe(6);
        var stages = overview.GetProperty("stages").EnumerateArray().ToDictionary(x => x.GetProperty("code").GetString()!, x => x.GetProperty("customers").GetInt64());
        stages.ShouldBe(new Dictionary<string, long> { ["new"] = 1, ["first_order"] = 1, ["repeat"] = 0, ["loyal"] = 1, ["at_risk"] = 1, ["lost"] = 2 }, ignoreOrder: true);
        // The workspace's first run describes history: it records no stage changes.
        overview.GetProperty("transitions").GetArrayLength().ShouldBe(0);
        (await server.CountAsync("SELECT COUNT(*) FROM audience_events")).ShouldBe(0);

        // A second run with nothing new writes nothing.
        var again = await client.RecomputeAsync();
        again.GetProperty("rowsChanged").GetInt32().ShouldBe(0);
        again.GetProperty("baseline").GetBoolean().ShouldBeFalse();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task QuintileScoring_SpreadsBuyersOverScores(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var ws = server.Workspace;
        var seed = new CustomerSeed(ws);
        var buyers = new List<Guid>();
        for (var i = 0; i < 10; i++)
            buyers.Add(await ws.BuyerAsync(seed, $"Q{i}", Enumerable.Range(0, i + 1).Select(k => (DaysAgo: 10 * i + k, Revenue: 100m * (i + 1))).ToArray()));
        var run = await ws.AdminClient().RecomputeAsync();
        run.GetProperty("customersScored").GetInt32().ShouldBe(10);

        var scores = new List<ScoreKit.ScoreRowView>();
        foreach (var id in buyers)
            scores.Add((await server.ScoreAsync(id))!);
        // Buyer i: last order 10·i days ago, i+1 orders, (i+1)² × 100 yuan: two buyers per quintile.
        scores.Select(s => s.R!.Value).ShouldBe([5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
        scores.Select(s => s.F!.Value).ShouldBe([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        scores.Select(s => s.M!.Value).ShouldBe([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        scores[0].RfmCell.ShouldBe("general_develop");
        scores[5].RfmCell.ShouldBe("important_value");
        scores[9].RfmCell.ShouldBe("important_keep");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Stages_MoveAsTimePasses_WithoutNewEvents_AndANewOrderBringsThemBack(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock, runEngines: true);
        var ws = server.Workspace;
        var seed = new CustomerSeed(ws);
        var buyer = await ws.BuyerAsync(seed, "Time", (10, 300), (5, 200));
        await WaitForAsync(server, buyer, "repeat");
        // Whether the buyer was scored by the workspace's first run or, arriving after it, by the order feed
        // (new → first_order → repeat) depends on timing; what follows does not.
        var before = await server.CountAsync("SELECT COUNT(*) FROM audience_events WHERE customer_id = @buyer", new { buyer });

        clock.Advance(TimeSpan.FromDays(56)); // the last order is now 61 days old
        await WaitForAsync(server, buyer, "at_risk");
        clock.Advance(TimeSpan.FromDays(120)); // 181 days
        await WaitForAsync(server, buyer, "lost");

        await ws.OrderAsync(buyer, clock.GetUtcNow(), 150);
        await WaitForAsync(server, buyer, "repeat");

        // Every change is one audience event and one timeline row, and recomputing again adds none.
        await ws.AdminClient().RecomputeAsync();
        await ws.AdminClient().RecomputeAsync();
        var events = await server.QueryAsync<AudienceEventRow>(
            "SELECT subject AS Subject, detail AS Detail, occurred_at AS OccurredAt FROM audience_events WHERE customer_id = @buyer AND kind = 'lifecycle.changed' ORDER BY seq",
            new { buyer });
        events.Skip((int)before).Select(e => (e.Subject, JsonDocument.Parse(e.Detail!).RootElement.GetProperty("from").GetString())).ShouldBe(
            [("at_risk", "repeat"), ("lost", "at_risk"), ("repeat", "lost")]);
        var timeline = await server.QueryAsync<string>(
            "SELECT properties FROM customer_events WHERE customer_id = @buyer AND name = 'Lifecycle Stage Changed' ORDER BY id", new { buyer });
        timeline.Skip((int)before).Select(p => JsonDocument.Parse(p).RootElement.GetProperty("to").GetString()).ShouldBe(["at_risk", "lost", "repeat"]);

        var overview = await ws.AdminClient().GetAsync<JsonElement>("/api/lifecycle/overview");
        overview.GetProperty("transitions").EnumerateArray().Select(t => $"{t.GetProperty("from").GetString()}>{t.GetProperty("to").GetString()}")
            .ShouldBe(["at_risk>lost", "lost>repeat"]); // repeat → at_risk happened 120 days ago
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OrderThroughTrackingApi_IsScoredWithinASecond_WithAStageChangeEvent(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var ws = server.Workspace;
        await WaitUntilAsync(async () => await server.CountAsync("SELECT COUNT(*) FROM score_runs WHERE workspace_id = @id", new { id = ws.Id }) > 0);

        var watch = Stopwatch.StartNew();
        await ws.TrackingClient().SendOkAsync("/v1/track", new
        {
            userId = "u-rfm-1", @event = "Order Completed", messageId = "order-msg-1",
            properties = new { order_id = "SO-1", revenue = 268.5 },
        });
        Guid? customer = null;
        long applied = 0;
        await WaitUntilAsync(async () =>
        {
            if (customer is null && (customer = await server.CustomerOfAsync(ws.Id, "user_id", "u-rfm-1")) is not null)
                applied = watch.ElapsedMilliseconds;
            return customer is not null && await server.ScoreAsync(customer.Value) is not null;
        }, TimeSpan.FromSeconds(5));
        watch.Stop();
        output.WriteLine($"{engine}: order applied by the processor after {applied} ms, scored {watch.ElapsedMilliseconds} ms after /v1/track answered");
        // The score engine polls for new orders every 500 ms: its share of the delay stays near that. (The event
        // processor's own delay, up to its 1 s idle poll on SQLite, comes on top.)
        (watch.ElapsedMilliseconds - applied).ShouldBeLessThan(1_200);
        watch.ElapsedMilliseconds.ShouldBeLessThan(5_000);

        var score = (await server.ScoreAsync(customer!.Value))!;
        (score.Stage, score.Frequency, score.Monetary).ShouldBe(("first_order", 1L, 26_850L));
        var events = await server.QueryAsync<AudienceEventRow>(
            "SELECT subject AS Subject, detail AS Detail, occurred_at AS OccurredAt FROM audience_events WHERE customer_id = @customer", new { customer });
        events.Single().Subject.ShouldBe("first_order");
        events.Single().Detail.ShouldBe("{\"from\":\"new\"}");
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE customer_id = @customer AND name = 'Lifecycle Stage Changed'", new { customer })).ShouldBe(1);

        // A settings change is picked up without asking: fixed breakpoints put 268.5 yuan at M = 2.
        (await ws.AdminClient().PutAsync("/api/rfm/settings", FixedSettings)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await WaitUntilAsync(async () => (await server.ScoreAsync(customer.Value))!.M == 2, TimeSpan.FromSeconds(5));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Settings_AreValidated_WithMessagesThatSayWhatToFix(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        var client = server.Workspace.AdminClient();

        async Task Bad(string url, object body, string field, string fragment)
        {
            var problem = await (await client.PutAsync(url, body)).ProblemAsync(HttpStatusCode.BadRequest);
            problem.GetProperty("field").GetString().ShouldBe(field);
            problem.Detail().ShouldContain(fragment);
        }

        await Bad("/api/rfm/settings", new { windowDays = 3, scoring = "quintile", highScore = 3 }, "windowDays", "between 7 and 1095");
        await Bad("/api/rfm/settings", new { windowDays = 365, scoring = "ntile", highScore = 3 }, "scoring", "'quintile' or 'fixed'");
        await Bad("/api/rfm/settings", new { windowDays = 365, scoring = "quintile", highScore = 6 }, "highScore", "between 2 and 5");
        await Bad("/api/rfm/settings", new
        {
            windowDays = 365, scoring = "fixed", highScore = 3, recencyDays = new[] { 30, 20, 180, 365 }, frequency = new[] { 2, 3, 5, 8 }, monetary = new[] { 200, 500, 1000, 3000 },
        }, "recencyDays", "strictly ascending");
        await Bad("/api/rfm/settings", new
        {
            windowDays = 365, scoring = "fixed", highScore = 3, recencyDays = new[] { 30, 90, 180, 365 }, frequency = new[] { 2, 3, 5 }, monetary = new[] { 200, 500, 1000, 3000 },
        }, "frequency", "exactly four");
        await Bad("/api/lifecycle/settings", new { atRiskDays = 200, lostDays = 100, loyalMinOrders = 4, loyalWindowDays = 365, loyalRule = "any" }, "atRiskDays", "less than lostDays");
        await Bad("/api/lifecycle/settings", new { atRiskDays = 60, lostDays = 180, loyalMinOrders = (int?)null, loyalWindowDays = 365, loyalRule = "any" }, "loyalMinOrders", "at least one rule");
        await Bad("/api/lifecycle/settings", new { atRiskDays = 60, lostDays = 180, loyalMinOrders = 4, loyalWindowDays = 365, loyalRule = "both" }, "loyalRule", "'any'");

        // Nothing bad was stored; a good change is, and the audit log says who made it.
        (await client.GetAsync<JsonElement>("/api/rfm/settings")).GetProperty("windowDays").GetInt32().ShouldBe(365);
        var saved = await (await client.PutAsync("/api/lifecycle/settings", new { atRiskDays = 45, lostDays = 120, loyalMinOrders = 3, loyalMinSpend = 2000, loyalWindowDays = 180, loyalRule = "all" }))
            .ReadAsync<JsonElement>();
        saved.GetProperty("loyalMinSpend").GetDecimal().ShouldBe(2000m);
        (await client.GetAsync<JsonElement>("/api/lifecycle/settings")).GetProperty("atRiskDays").GetInt32().ShouldBe(45);
        (await server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE action = 'lifecycle.settings_changed'")).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Roles_AndWorkspaces_AreKeptApart(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var ws = server.Workspace;
        var other = await server.CreateWorkspaceAsync("other");
        var seed = new CustomerSeed(ws);
        var buyer = await ws.BuyerAsync(seed, "Mine", (3, 999));
        await ws.AdminClient().RecomputeAsync();
        await other.AdminClient().RecomputeAsync();

        var otherCells = await other.AdminClient().GetAsync<JsonElement>("/api/rfm/cells");
        otherCells.GetProperty("pool").GetInt64().ShouldBe(0);
        otherCells.GetProperty("cells").EnumerateArray().Sum(c => c.GetProperty("customers").GetInt64()).ShouldBe(0);
        (await other.AdminClient().PutAsync("/api/rfm/settings", FixedSettings)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ws.AdminClient().GetAsync<JsonElement>("/api/rfm/settings")).GetProperty("scoring").GetString().ShouldBe("quintile");
        (await server.ScoreAsync(buyer))!.Stage.ShouldBe("first_order");

        var analyst = await ws.MemberClientAsync(Roles.Analyst);
        (await analyst.GetAsync("/api/rfm/cells")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await analyst.GetAsync("/api/lifecycle/overview")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await analyst.PutAsync("/api/rfm/settings", FixedSettings)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await analyst.PostAsync("/api/rfm/recompute", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var staffId = await seed.StaffAsync("Guide");
        var staff = await ws.MemberClientAsync(Roles.Staff, staffId);
        (await staff.PostAsync("/api/rfm/recompute", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        // The staff role sees only its own customers: this buyer has no owner.
        (await staff.GetAsync<JsonElement>("/api/rfm/cells")).GetProperty("scored").GetInt64().ShouldBe(0);
        var operatorClient = await ws.MemberClientAsync(Roles.Operator);
        (await operatorClient.PutAsync("/api/lifecycle/settings", new { atRiskDays = 30, lostDays = 90, loyalMinOrders = 4, loyalWindowDays = 365, loyalRule = "any" }))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        (await server.Client().GetAsync("/api/rfm/cells")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Replay_RecordsPastStageChangesOnTheirDays(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var ws = server.Workspace;
        var seed = new CustomerSeed(ws);
        var buyer = await ws.BuyerAsync(seed, "History", (10, 300), (5, 200));
        var old = await ws.BuyerAsync(seed, "Old", (95, 100));

        var run = await server.Service<Pond.Audience.Scores.ScoreEngine>().ReplayAsync(ws.Id, 30);
        run.StageChanges.ShouldBe(2);
        var events = await server.QueryAsync<AudienceEventRow>(
            "SELECT subject AS Subject, detail AS Detail, occurred_at AS OccurredAt FROM audience_events WHERE customer_id = @buyer ORDER BY seq", new { buyer });
        events.Select(e => e.Subject).ShouldBe(["first_order", "repeat"]);
        // Each on the first daily step after the order (the steps fall at the same time of day as now).
        events.Select(e => (ScoreKit.Now - DateTimeOffset.FromUnixTimeMilliseconds(e.OccurredAt)).TotalDays).ShouldBe([10.0, 5.0]);
        (await server.ScoreAsync(buyer))!.Stage.ShouldBe("repeat");
        // 95 days since the order: at_risk 30 days ago already (the first run, silent), lost… not yet; nothing recorded.
        (await server.ScoreAsync(old))!.Stage.ShouldBe("at_risk");
        var oldEvents = await server.CountAsync("SELECT COUNT(*) FROM audience_events WHERE customer_id = @old", new { old });
        oldEvents.ShouldBe(0);
        (await ws.AdminClient().GetAsync<JsonElement>("/api/lifecycle/overview")).GetProperty("transitions").EnumerateArray()
            .Sum(t => t.GetProperty("count").GetInt64()).ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Refunds_LowerTheMonetaryValue_AndAWhollyRefundedOrderIsNoOrder_AfterARecompute(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var ws = server.Workspace;
        var seed = new CustomerSeed(ws);
        var buyer = await seed.CustomerAsync("Refunder");
        var first = await ws.OrderAsync(buyer, ScoreKit.Now.AddDays(-10), 300);
        var second = await ws.OrderAsync(buyer, ScoreKit.Now.AddDays(-5), 200);
        var client = ws.AdminClient();
        await client.RecomputeAsync();
        var before = (await server.ScoreAsync(buyer))!;
        (before.Frequency, before.Monetary, before.Stage).ShouldBe((2L, 50_000L, "repeat"));

        // A partial refund keeps the order but counts only what was kept.
        (await client.PostAsJsonAsync($"/api/orders/{first}/refunds", new { amount = 120.5m })).StatusCode.ShouldBe(HttpStatusCode.Created);
        await client.RecomputeAsync();
        var partly = (await server.ScoreAsync(buyer))!;
        (partly.Frequency, partly.Monetary, partly.RecencyDays).ShouldBe((2L, 37_950L, 5L));

        // A wholly refunded order is no order: one order left, bought 10 days ago.
        (await client.PostAsJsonAsync($"/api/orders/{second}/refunds", new { reason = "退货" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        await client.RecomputeAsync();
        var after = (await server.ScoreAsync(buyer))!;
        (after.Frequency, after.Monetary, after.RecencyDays, after.Stage).ShouldBe((1L, 17_950L, 10L, "first_order"));

        // Refund the rest too: not a buyer any more, so not scored.
        (await client.PostAsJsonAsync($"/api/orders/{first}/refunds", new { })).StatusCode.ShouldBe(HttpStatusCode.Created);
        await client.RecomputeAsync();
        (await server.ScoreAsync(buyer)).ShouldBeNull();
    }

    private static async Task WaitForAsync(PondServer server, Guid customerId, string stage) =>
        await WaitUntilAsync(async () => (await server.ScoreAsync(customerId))?.Stage == stage, TimeSpan.FromSeconds(10),
            $"customer {customerId} never reached stage {stage}");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException(because ?? "The condition never held.");
            await Task.Delay(50);
        }
    }

    private sealed class AudienceEventRow
    {
        public string Subject { get; init; } = "";
        public string? Detail { get; init; }
        public long OccurredAt { get; init; }
    }
}
