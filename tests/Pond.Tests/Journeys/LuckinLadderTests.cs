using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Pond.Tests.Journeys;

/// <summary>
/// The Luckin coupon ladder as DOMAIN.md tells it, simulated from the shipped template for three customers: one who never
/// buys, one who buys after the second coupon, one who buys at once. Each must get exactly the coupons the story names, in
/// order, at the right times.
/// </summary>
public sealed class LuckinLadderTests
{
    private static readonly DateTimeOffset SignedUp = new(2026, 3, 1, 2, 0, 0, TimeSpan.Zero);

    private const double Day = 24 * 60;

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task LuckinTemplate_SimulatedForThreeTimelines_GivesExactlyTheLadderCoupons(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        var admin = server.Workspace.AdminClient();
        var journey = await (await admin.PostAsJsonAsync("/api/journeys/templates/luckin_ladder", new { })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var id = journey.GetProperty("id").GetGuid();
        journey.GetProperty("problems").GetArrayLength().ShouldBe(0);
        journey.GetProperty("draft").GetProperty("trigger").GetProperty("event").GetString().ShouldBe("Signed Up");

        // Never buys: a month with no purchase → 85折; a week on → 4.3折; another week → 2.8折; then the journey ends.
        var never = await SimulateAsync(admin, id);
        Coupons(never).ShouldBe([("阶梯券 85折", 30.0), ("阶梯券 4.3折", 37.0), ("阶梯券 2.8折", 44.0)]);
        never.GetProperty("end").GetProperty("state").GetString().ShouldBe("exited");
        never.GetProperty("end").GetProperty("reason").GetString().ShouldBe("exit_step");
        Days(never.GetProperty("end").GetProperty("at")).ShouldBe(58.0);
        // Each coupon comes with its message, at the same moment, carrying the coupon's code.
        var messages = never.GetProperty("messages").EnumerateArray().ToList();
        messages.Select(m => Days(m.GetProperty("at"))).ShouldBe([30.0, 37.0, 44.0]);
        messages.ShouldAllBe(m => m.GetProperty("text").GetString()!.Contains("SIM", StringComparison.Ordinal));

        // Buys two days after the 4.3折 coupon, then again at day 50 and day 70: the coupons step back up 4.3 → 5.8 → 9.5.
        var later = await SimulateAsync(admin, id, 39 * Day, 50 * Day, 70 * Day);
        Coupons(later).ShouldBe([("阶梯券 85折", 30.0), ("阶梯券 4.3折", 37.0), ("阶梯券 4.3折", 39.0), ("阶梯券 5.8折", 50.0), ("阶梯券 9.5折", 70.0)]);
        later.GetProperty("end").GetProperty("state").GetString().ShouldBe("completed");
        later.GetProperty("steps").EnumerateArray().ShouldNotContain(s => s.GetProperty("stepId").GetString() == "coupon_28");

        // Buys an hour after signing up: no discount ladder at all, only the step-up after each purchase.
        var atOnce = await SimulateAsync(admin, id, 60, 10 * Day, 20 * Day);
        Coupons(atOnce).ShouldBe([("阶梯券 4.3折", Math.Round(60 / Day, 4)), ("阶梯券 5.8折", 10.0), ("阶梯券 9.5折", 20.0)]);

        // A buyer who stops after the first purchase lapses 30 days later with nothing more.
        var once = await SimulateAsync(admin, id, 60);
        Coupons(once).ShouldBe([("阶梯券 4.3折", Math.Round(60 / Day, 4))]);
        once.GetProperty("end").GetProperty("reason").GetString().ShouldBe("exit_step");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Simulate_BadTimeline_Is400NamingTheField_AndADraftWithProblemsCannotBeSimulated(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        var admin = server.Workspace.AdminClient();
        var id = (await (await admin.PostAsJsonAsync("/api/journeys/templates/luckin_ladder", new { })).ReadAsync<JsonElement>(HttpStatusCode.Created))
            .GetProperty("id").GetGuid();
        var negative = await admin.PostAsJsonAsync($"/api/journeys/{id}/simulate", new { timeline = new[] { new { afterMinutes = -5, @event = "Order Completed" } } });
        (await negative.ReadAsync<JsonElement>(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("timeline/0/afterMinutes");

        var broken = new
        {
            trigger = new { kind = "manual" }, start = "a",
            steps = new object[] { new { id = "a", kind = "wait", next = "b" }, new { id = "b", kind = "coupon" } },
        };
        var problem = await (await admin.PostAsJsonAsync($"/api/journeys/{id}/simulate", new { definition = broken })).ReadAsync<JsonElement>(HttpStatusCode.BadRequest);
        problem.GetProperty("field").GetString().ShouldBe("definition/steps/0/duration");
    }

    private static async Task<JsonElement> SimulateAsync(HttpClient admin, Guid journeyId, params double[] ordersAfterMinutes) =>
        await (await admin.PostAsJsonAsync($"/api/journeys/{journeyId}/simulate", new
        {
            startAt = SignedUp,
            customer = new { traits = new { name = "小林" } },
            timeline = ordersAfterMinutes.Select(m => new { afterMinutes = m, @event = "Order Completed", properties = new { total = 18 } }),
            horizonDays = 200,
        })).ReadAsync<JsonElement>();

    private static List<(string, double)> Coupons(JsonElement simulation) =>
        simulation.GetProperty("steps").EnumerateArray()
            .Where(s => s.GetProperty("kind").GetString() == "coupon")
            .Select(s => (s.GetProperty("detail").GetString()!, Days(s.GetProperty("at"))))
            .ToList();

    private static double Days(JsonElement at) => Math.Round((at.GetDateTimeOffset() - SignedUp).TotalMinutes / Day, 4);
}
