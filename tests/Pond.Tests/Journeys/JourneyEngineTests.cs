using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Journeys;
using Pond.Storage;
using Pond.Tests.Activities;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Shouldly;
using Xunit;

namespace Pond.Tests.Journeys;

public sealed class JourneyEngineTests
{
    private static object Welcome(Guid couponTemplate) => new
    {
        trigger = new { kind = "event", @event = "Signed Up", where = new[] { new { property = "plan", op = "eq", value = "member" } } },
        goal = new { @event = "Order Completed" },
        start = "wait",
        steps = new object[]
        {
            new { id = "wait", kind = "wait", duration = new { days = 1 }, next = "vip" },
            new { id = "vip", kind = "condition", condition = new { kind = "trait", trait = "vip", op = "eq", value = true }, yes = "coupon", no = "tag" },
            new { id = "coupon", kind = "coupon", templateId = couponTemplate, next = "message" },
            new { id = "message", kind = "message", channel = "inbox", text = "{name}，券码 {coupon}" },
            new { id = "tag", kind = "tag", tag = "普通新客" },
        },
    };

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task EventEntersCustomer_WaitThenSplit_ActionsRunOnce_AndCountersAddUp(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await JourneyKit.StartAsync(engine, clock);
        var admin = server.Workspace.AdminClient();
        var coupon = await admin.CouponTemplateAsync();
        var journey = await admin.PublishedAsync("Welcome", Welcome(coupon));

        await server.TrackAsync("vip-1", "Signed Up", new { plan = "member" });
        await server.TrackAsync("plain-1", "Signed Up", new { plan = "member" });
        await server.TrackAsync("guest-1", "Signed Up", new { plan = "guest" });
        await using (var connection = await server.Service<Database>().OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE customers SET traits = '{\"vip\":true}' WHERE id = @id", new { id = await server.CustomerIdAsync("vip-1") });
        var vip = await server.CustomerIdAsync("vip-1");
        var plain = await server.CustomerIdAsync("plain-1");
        var guest = await server.CustomerIdAsync("guest-1");

        // Both members entered and wait a day; the guest's event does not match the filter.
        (await server.RunDueAsync()).ShouldBe(0);
        (await admin.RunOfAsync(journey, vip)).GetProperty("stepId").GetString().ShouldBe("wait");
        (await admin.GetAsync<JsonElement>($"/api/journeys/{journey}/runs?customerId={guest}")).GetArrayLength().ShouldBe(0);

        clock.Advance(TimeSpan.FromHours(23));
        (await server.RunDueAsync()).ShouldBe(0);
        clock.Advance(TimeSpan.FromHours(1));
        (await server.RunDueAsync()).ShouldBe(7);
        (await server.RunDueAsync()).ShouldBe(0);

        (await admin.StepsAsync(journey, vip)).ShouldBe([("wait", "waited"), ("vip", "yes"), ("coupon", "issued"), ("message", "queued")]);
        (await admin.StepsAsync(journey, plain)).ShouldBe([("wait", "waited"), ("vip", "no"), ("tag", "added")]);
        (await server.ScalarAsync("SELECT COUNT(*) FROM coupons WHERE customer_id = @vip AND source = 'journey'", new { vip })).ShouldBe(1);
        var code = (await admin.GetAsync<JsonElement>($"/api/journeys/runs/{(await admin.RunOfAsync(journey, vip)).GetProperty("id").GetGuid()}"))
            .GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("stepId").GetString() == "coupon").GetProperty("detail").GetString();
        (await server.ScalarAsync("SELECT COUNT(*) FROM outbox WHERE customer_id = @vip AND source = @source AND payload LIKE @code",
            new { vip, source = $"journey:{journey}", code = $"%{code}%" })).ShouldBe(1);
        (await server.ScalarAsync("SELECT COUNT(*) FROM customer_tags WHERE customer_id = @plain AND tag = '普通新客'", new { plain })).ShouldBe(1);

        var stats = await admin.GetAsync<JsonElement>($"/api/journeys/{journey}/stats");
        stats.GetProperty("totals").GetProperty("entered").GetInt64().ShouldBe(2);
        stats.GetProperty("totals").GetProperty("completed").GetInt64().ShouldBe(2);
        var steps = stats.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("stepId").GetString()!, s => s.GetProperty("outcomes"));
        steps["wait"].GetProperty("waited").GetInt64().ShouldBe(2);
        steps["vip"].GetProperty("yes").GetInt64().ShouldBe(1);
        steps["vip"].GetProperty("no").GetInt64().ShouldBe(1);
        stats.GetProperty("messages").GetProperty("byState").GetProperty("scheduled").GetInt64().ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TraitSetByAStep_IsSeenByALaterConditionInTheSameBatch_WhileOthersKeepTheirs(DbEngine engine)
    {
        // The engine reads the batch's traits at once; a trait step must not leave a later condition with the old value.
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await JourneyKit.StartAsync(engine, clock);
        var admin = server.Workspace.AdminClient();
        var journey = await admin.PublishedAsync("Promote", new
        {
            trigger = new { kind = "event", @event = "Signed Up" },
            start = "was_vip",
            steps = new object[]
            {
                new { id = "was_vip", kind = "condition", condition = new { kind = "trait", trait = "vip", op = "eq", value = true }, yes = "done", no = "promote" },
                new { id = "promote", kind = "trait", trait = "vip", value = true, next = "is_vip" },
                new { id = "is_vip", kind = "condition", condition = new { kind = "trait", trait = "vip", op = "eq", value = true }, yes = "welcome", no = "done" },
                new { id = "welcome", kind = "tag", tag = "新晋会员" },
                new { id = "done", kind = "exit" },
            },
        });

        await server.TrackAsync("old-vip", "Signed Up", new { });
        await server.TrackAsync("newcomer", "Signed Up", new { });
        var oldVip = await server.CustomerIdAsync("old-vip");
        var newcomer = await server.CustomerIdAsync("newcomer");
        await using (var connection = await server.Service<Database>().OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE customers SET traits = '{\"vip\":true}' WHERE id = @oldVip", new { oldVip });

        await server.RunDueAsync();

        (await admin.StepsAsync(journey, oldVip)).ShouldBe([("was_vip", "yes"), ("done", "exit")]);
        (await admin.StepsAsync(journey, newcomer)).ShouldBe([("was_vip", "no"), ("promote", "set"), ("is_vip", "yes"), ("welcome", "added")]);
        (await server.ScalarAsync("SELECT COUNT(*) FROM customer_tags WHERE tag = '新晋会员'")).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task CouponPastThePerCustomerLimit_Fails_AndTheNextMessageCarriesNoCode(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await JourneyKit.StartAsync(engine, clock);
        var admin = server.Workspace.AdminClient();
        var template = (await (await admin.PostAsJsonAsync("/api/coupon-templates", new { name = "限领一张", kind = "percent", percent = 85, validDays = 7, perCustomerLimit = 1 }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var journey = await admin.PublishedAsync("Twice", new
        {
            trigger = new { kind = "event", @event = "Signed Up" },
            start = "first",
            steps = new object[]
            {
                new { id = "first", kind = "coupon", templateId = template, next = "second" },
                new { id = "second", kind = "coupon", templateId = template, next = "message" },
                new { id = "message", kind = "message", channel = "inbox", text = "券码 {coupon}" },
            },
        });

        // One customer already holds the coupon; the other gets it at the first step, and the second step (same batch) is refused.
        await server.TrackAsync("holder", "Signed Up");
        await server.TrackAsync("newcomer", "Signed Up");
        var holder = await server.CustomerIdAsync("holder");
        var newcomer = await server.CustomerIdAsync("newcomer");
        await (await admin.PostAsJsonAsync($"/api/coupon-templates/{template}/issue", new { customerId = holder })).ReadAsync<JsonElement>(HttpStatusCode.Created);

        await server.RunDueAsync();

        (await admin.StepsAsync(journey, holder)).ShouldBe([("first", "failed"), ("second", "failed"), ("message", "queued")]);
        (await admin.StepsAsync(journey, newcomer)).ShouldBe([("first", "issued"), ("second", "failed"), ("message", "queued")]);
        (await server.ScalarAsync("SELECT COUNT(*) FROM coupons WHERE template_id = @template", new { template })).ShouldBe(2);
        var newcomerCode = await server.ScalarAsync<string>("SELECT code FROM coupons WHERE template_id = @template AND customer_id = @newcomer", new { template, newcomer });
        (await server.ScalarAsync<string>("SELECT payload FROM outbox WHERE customer_id = @newcomer", new { newcomer }))!.ShouldContain(newcomerCode!);
        var holderPayload = JsonDocument.Parse((await server.ScalarAsync<string>("SELECT payload FROM outbox WHERE customer_id = @holder", new { holder }))!).RootElement;
        holderPayload.GetProperty("coupon").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task GoalEvent_ConvertsAtOnce_ReentryNever_AndEditsPublishANewVersionWhileRunsFinishOnTheirs(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await JourneyKit.StartAsync(engine, clock);
        var admin = server.Workspace.AdminClient();
        var coupon = await admin.CouponTemplateAsync();
        var journey = await admin.PublishedAsync("Welcome", Welcome(coupon));

        await server.TrackAsync("a", "Signed Up", new { plan = "member" });
        await server.TrackAsync("b", "Signed Up", new { plan = "member" });
        var a = await server.CustomerIdAsync("a");
        var b = await server.CustomerIdAsync("b");

        // Version 2 waits two days instead of one; a and b stay on version 1.
        var draft = (await admin.GetAsync<JsonElement>($"/api/journeys/{journey}")).GetProperty("draft");
        var edited = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(draft.GetRawText())!;
        var v2 = JsonSerializer.Serialize(Welcome(coupon)).Replace("\"days\":1", "\"days\":2", StringComparison.Ordinal);
        await (await admin.PutAsJsonAsync($"/api/journeys/{journey}", new { name = "Welcome", definition = JsonDocument.Parse(v2).RootElement })).ReadAsync<JsonElement>();
        var published = await (await admin.PostAsync($"/api/journeys/{journey}/publish", null)).ReadAsync<JsonElement>();
        published.GetProperty("liveVersion").GetInt32().ShouldBe(2);
        edited.ShouldNotBeEmpty();

        // Just published, the draft is the live version, on the journey and in the list; an edit makes it differ again.
        (await admin.GetAsync<JsonElement>($"/api/journeys/{journey}")).GetProperty("draftChanged").GetBoolean().ShouldBeFalse();
        (await admin.GetAsync<JsonElement>("/api/journeys")).EnumerateArray().Single(j => j.GetProperty("id").GetGuid() == journey)
            .GetProperty("draftChanged").GetBoolean().ShouldBeFalse();
        await (await admin.PutAsJsonAsync($"/api/journeys/{journey}", new { name = "Welcome", definition = JsonDocument.Parse(v2.Replace("\"days\":2", "\"days\":3", StringComparison.Ordinal)).RootElement })).ReadAsync<JsonElement>();
        (await admin.GetAsync<JsonElement>("/api/journeys")).EnumerateArray().Single(j => j.GetProperty("id").GetGuid() == journey)
            .GetProperty("draftChanged").GetBoolean().ShouldBeTrue();

        await server.TrackAsync("c", "Signed Up", new { plan = "member" });
        var c = await server.CustomerIdAsync("c");

        clock.Advance(TimeSpan.FromHours(2));
        await server.TrackAsync("a", "Order Completed", new { order_id = "o-1", total = 30 });
        var runA = await admin.RunOfAsync(journey, a);
        runA.GetProperty("state").GetString().ShouldBe("converted");
        runA.GetProperty("endReason").GetString().ShouldBe("goal");

        clock.Advance(TimeSpan.FromDays(1));
        await server.RunDueAsync();
        (await admin.RunOfAsync(journey, b)).GetProperty("state").GetString().ShouldBe("completed");
        var runC = await admin.RunOfAsync(journey, c);
        (runC.GetProperty("version").GetInt32(), runC.GetProperty("state").GetString()).ShouldBe((2, "waiting"));
        clock.Advance(TimeSpan.FromDays(1));
        await server.RunDueAsync();
        (await admin.RunOfAsync(journey, c)).GetProperty("state").GetString().ShouldBe("completed");
        (await admin.StepsAsync(journey, a)).ShouldBeEmpty();

        // Re-entry never: b signing up again enters nobody.
        await server.TrackAsync("b", "Signed Up", new { plan = "member" });
        (await admin.GetAsync<JsonElement>($"/api/journeys/{journey}/runs?customerId={b}")).GetArrayLength().ShouldBe(1);
        var totals = (await admin.GetAsync<JsonElement>($"/api/journeys/{journey}")).GetProperty("totals");
        (totals.GetProperty("entered").GetInt64(), totals.GetProperty("converted").GetInt64(), totals.GetProperty("completed").GetInt64()).ShouldBe((3, 1, 2));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task WaitForEvent_WakesOnTheEvent_OrTimesOut_AndWaitUntilUsesTheCustomersZone(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now); // 04:00 UTC = 12:00 in Shanghai
        await using var server = await JourneyKit.StartAsync(engine, clock);
        var admin = server.Workspace.AdminClient();
        var journey = await admin.PublishedAsync("Cart", new
        {
            trigger = new { kind = "event", @event = "Cart Abandoned" },
            reentry = new { policy = "always" },
            start = "paid",
            steps = new object[]
            {
                new { id = "paid", kind = "wait_for_event", @event = "Checkout Completed", duration = new { hours = 6 }, next = "thanks", timeoutNext = "morning" },
                new { id = "thanks", kind = "tag", tag = "checked-out" },
                new { id = "morning", kind = "wait_until", time = "09:00", next = "nudge" },
                new { id = "nudge", kind = "tag", tag = "nudged" },
            },
        });

        await server.TrackAsync("buyer", "Cart Abandoned");
        await server.TrackAsync("idler", "Cart Abandoned");
        await server.TrackAsync("traveller", "Cart Abandoned");
        var buyer = await server.CustomerIdAsync("buyer");
        var idler = await server.CustomerIdAsync("idler");
        var traveller = await server.CustomerIdAsync("traveller");
        await using (var connection = await server.Service<Database>().OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE customers SET traits = '{\"timezone\":\"Europe/London\"}' WHERE id = @traveller", new { traveller });

        clock.Advance(TimeSpan.FromHours(1));
        await server.TrackAsync("buyer", "Checkout Completed");
        await server.RunDueAsync();
        (await admin.StepsAsync(journey, buyer)).ShouldBe([("paid", "event"), ("thanks", "added")]);

        // The idler times out at 18:00 Shanghai and waits for 09:00 Shanghai (01:00 UTC next day); the traveller for 09:00 London.
        clock.Advance(TimeSpan.FromHours(5));
        await server.RunDueAsync();
        (await admin.RunOfAsync(journey, idler)).GetProperty("dueAt").GetDateTimeOffset().ShouldBe(ScoreKit.Now.Date.AddDays(1).AddHours(1).ToUniversalTimeOffset());
        (await admin.RunOfAsync(journey, traveller)).GetProperty("dueAt").GetDateTimeOffset().ShouldBe(ScoreKit.Now.Date.AddDays(1).AddHours(9).ToUniversalTimeOffset() - London(ScoreKit.Now));
        clock.Advance(TimeSpan.FromHours(16));
        await server.RunDueAsync();
        (await admin.StepsAsync(journey, idler)).ShouldBe([("paid", "timeout"), ("morning", "waited"), ("nudge", "added")]);
        (await admin.RunOfAsync(journey, traveller)).GetProperty("state").GetString().ShouldBe("waiting");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task RandomSplit_IsDeterministicPerCustomer_AndRoughlyByPercentage(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await JourneyKit.StartAsync(engine, clock);
        var admin = server.Workspace.AdminClient();
        var journey = await admin.PublishedAsync("Split", new
        {
            trigger = new { kind = "manual" },
            reentry = new { policy = "always" },
            start = "split",
            steps = new object[]
            {
                new { id = "split", kind = "random", branches = new[] { new { label = "A", percent = 30, next = "a" }, new { label = "B", percent = 70, next = "b" } } },
                new { id = "a", kind = "tag", tag = "A" },
                new { id = "b", kind = "tag", tag = "B" },
            },
        });
        var customers = await server.Workspace.CustomersAsync(1000, "split");
        var enrolled = await (await admin.PostAsJsonAsync($"/api/journeys/{journey}/enroll", new { customerIds = customers })).ReadAsync<JsonElement>();
        enrolled.GetProperty("entered").GetInt32().ShouldBe(1000);
        await server.RunDueAsync();
        var inA = await server.ScalarAsync("SELECT COUNT(*) FROM customer_tags WHERE tag = 'A'");
        inA.ShouldBeInRange(250, 350);
        (await server.ScalarAsync("SELECT COUNT(*) FROM customer_tags WHERE tag = 'B'")).ShouldBe(1000 - inA);

        // Again: every customer takes the same branch.
        await (await admin.PostAsJsonAsync($"/api/journeys/{journey}/enroll", new { customerIds = customers })).ReadAsync<JsonElement>();
        await server.RunDueAsync();
        var branches = await server.ScalarAsync(
            "SELECT COUNT(*) FROM (SELECT r.customer_id FROM journey_run_steps s JOIN journey_runs r ON r.id = s.run_id WHERE s.step_id = 'split' GROUP BY r.customer_id HAVING COUNT(DISTINCT s.outcome) > 1) x");
        branches.ShouldBe(0);
        (await server.ScalarAsync("SELECT COUNT(*) FROM journey_runs WHERE state = 'completed'")).ShouldBe(2000);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Publish_RefusesADraftWithProblems_NamingTheStep_AndEnrolRefusesUnknownCustomers(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        var admin = server.Workspace.AdminClient();
        var created = await (await admin.PostAsJsonAsync("/api/journeys", new
        {
            name = "Loop",
            definition = new
            {
                trigger = new { kind = "manual" }, start = "a",
                steps = new object[]
                {
                    new { id = "a", kind = "wait", duration = new { hours = 1 }, next = "b" },
                    new { id = "b", kind = "coupon", templateId = Guid.NewGuid(), next = "a" },
                },
            },
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var problems = created.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("field").GetString()).ToList();
        problems.ShouldContain("steps");
        problems.ShouldContain("steps/1/templateId");
        var id = created.GetProperty("id").GetGuid();
        var refused = await (await admin.PostAsync($"/api/journeys/{id}/publish", null)).ReadAsync<JsonElement>(HttpStatusCode.BadRequest);
        refused.GetProperty("detail").GetString()!.ShouldContain("cycle");

        var notShape = await admin.PostAsJsonAsync("/api/journeys", new { name = "X", definition = new { steps = "many" } });
        (await notShape.ReadAsync<JsonElement>(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("definition");
        var enrolDraft = await admin.PostAsJsonAsync($"/api/journeys/{id}/enroll", new { customerIds = new[] { Guid.NewGuid() } });
        await enrolDraft.ReadAsync<JsonElement>(HttpStatusCode.Conflict);

        var live = await admin.PublishedAsync("Tag", new { trigger = new { kind = "manual" }, start = "t", steps = new object[] { new { id = "t", kind = "tag", tag = "x" } } });
        var unknown = await admin.PostAsJsonAsync($"/api/journeys/{live}/enroll", new { customerIds = new[] { Guid.NewGuid() } });
        (await unknown.ReadAsync<JsonElement>(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("customerIds");
    }

    private static TimeSpan London(DateTimeOffset at) => TimeZoneInfo.FindSystemTimeZoneById("Europe/London").GetUtcOffset(at.AddDays(1));
}

internal static class JourneyTestExtensions
{
    public static DateTimeOffset ToUniversalTimeOffset(this DateTime utc) => new(utc, TimeSpan.Zero);

    public static async Task<Guid> CouponTemplateAsync(this HttpClient admin, string name = "新客券", int percent = 85) =>
        (await (await admin.PostAsJsonAsync("/api/coupon-templates", new { name, kind = "percent", percent, validDays = 7 }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetGuid();
}
