using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pond.Alerts;
using Pond.Goals;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.Workspaces;

namespace Pond.Tests.Goals;

/// <summary>
/// Goals over the admin API on both engines, against a small history written the real way (tracking events for the
/// adds and deletions, /api/orders for the GMV) and rolled up by the InsightRefresher. "Now" is fixed at 20 April 2026,
/// noon in Shanghai: 65% of April has gone (19.5 of 30 days).
/// </summary>
public sealed class GoalsApiTests
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);
    private static readonly DateTimeOffset Now = new(2026, 4, 20, 12, 0, 0, Shanghai);

    // The history, by hand:
    //   2025-12-10  c1–c10 added                      pool at the end of 2025: 10
    //   2026-01-05  c11–c15 added; 01-20 c1 deleted   Jan: in 5, out 1, pool 14, GMV ¥100 (c11)
    //   2026-02-10  c16–c19 added; 02-15 c2, c3 gone  Feb: in 4, out 2, pool 16, GMV ¥250 (c12)
    //   2026-03-03  c20–c25 added; 03-25 c4 deleted   Mar: in 6, out 1, pool 21, GMV ¥300 (2 × ¥150 on 03-02)
    //   2026-04-02  c26, c27 added                    Apr to date: in 2, out 0, pool 23, GMV ¥80 (04-05)
    // Observed deletion rate over Jan–Mar: (1 + 2 + 1) ÷ (10 + 14 + 16) = 0.1.
    private static async Task<PondServer> StartAsync(DbEngine engine, Action<Pond.Server.Hosting.PondOptions, IServiceCollection>? configure = null)
    {
        var server = await PondServer.StartAsync(engine, (options, services) =>
        {
            services.AddSingleton<TimeProvider>(new FixedClock(Now));
            configure?.Invoke(options, services);
        }, runEngines: false);
        var batch = new List<object>();
        void Add(int from, int to, string day)
        {
            for (var i = from; i <= to; i++)
            {
                batch.Add(new { type = "identify", userId = $"c{i}", messageId = $"c{i}-identify", timestamp = $"{day}T09:00:00+08:00", traits = new { name = $"客户 {i}" } });
                batch.Add(new
                {
                    type = "track", userId = $"c{i}", messageId = $"c{i}-add", timestamp = $"{day}T10:00:00+08:00", @event = "Relationship Started",
                    properties = new { carrier_kind = "wecom_account", carrier_id = "amy" },
                });
            }
        }

        void Delete(int i, string day) => batch.Add(new
        {
            type = "track", userId = $"c{i}", messageId = $"c{i}-delete", timestamp = $"{day}T15:00:00+08:00", @event = "Relationship Ended",
            properties = new { carrier_kind = "wecom_account", carrier_id = "amy" },
        });

        Add(1, 10, "2025-12-10");
        Add(11, 15, "2026-01-05");
        Delete(1, "2026-01-20");
        Add(16, 19, "2026-02-10");
        Delete(2, "2026-02-15");
        Delete(3, "2026-02-15");
        Add(20, 25, "2026-03-03");
        Delete(4, "2026-03-25");
        Add(26, 27, "2026-04-02");
        await server.Workspace.TrackingClient().SendOkAsync("/v1/batch", new { batch });
        await server.ProcessAsync();

        using var admin = server.Workspace.AdminClient();
        foreach (var (id, user, day, price) in new[]
                 {
                     ("J-1", "c11", "2026-01-08", 100m), ("F-1", "c12", "2026-02-12", 250m), ("M-1", "c13", "2026-03-02", 150m),
                     ("M-2", "c14", "2026-03-02", 150m), ("A-1", "c15", "2026-04-05", 80m),
                 })
        {
            var response = await admin.PostAsJsonAsync("/api/orders", new
            {
                orderId = id, userId = user, placedAt = $"{day}T11:00:00+08:00", salesChannel = "mini_program",
                items = new[] { new { sku = "SERUM-30", name = "精华", price, quantity = 1 } },
            });
            response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync());
        }

        return server;
    }

    private static object Goal(long pool = 100, decimal gmv = 12_000m, string method = "even", decimal[]? weights = null, decimal? rate = null,
        long? startPool = null, decimal? threshold = null, int year = 2026) =>
        new { year, poolTarget = pool, gmvTarget = gmv, method, weights, monthlyDeletionRate = rate, startPool, alertThreshold = threshold };

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Goal_ProgressPaceAndForecast_ComeFromTheRollups(DbEngine engine)
    {
        await using var server = await StartAsync(engine);
        using var admin = server.Workspace.AdminClient();

        var created = await (await admin.PostAsJsonAsync("/api/goals", Goal())).ReadAsync<GoalReport>(HttpStatusCode.Created);
        var report = await admin.GetAsync<GoalReport>("/api/goals/2026");
        report.ShouldBeEquivalentTo(created);

        report.Today.ShouldBe(new DateOnly(2026, 4, 20));
        report.StartPool.ShouldBe(10);
        report.StartPoolSource.ShouldBe(GoalSources.Measured);
        report.ObservedDeletionRate.ShouldBe(0.1m);
        report.DeletionRate.ShouldBe(0.1m);
        report.DeletionRateSource.ShouldBe(GoalSources.Observed);

        // Plan: 90 more people, 7.5 a month (cumulative rounding); losses round(start × 10%); GMV ¥1,000 a month.
        var m = report.Months;
        m.Select(x => x.PoolTarget).ShouldBe([18, 25, 33, 40, 48, 55, 63, 70, 78, 85, 93, 100]);
        m.Take(4).Select(x => x.ExpectedLosses).ShouldBe([1, 2, 3, 3]);
        m.Take(4).Select(x => x.GrossAddsTarget).ShouldBe([9, 9, 11, 10]);
        m.ShouldAllBe(x => x.GmvTarget == 1_000m);

        // Actuals.
        m.Select(x => x.State).ShouldBe(["past", "past", "past", "current", "future", "future", "future", "future", "future", "future", "future", "future"]);
        m.Take(4).Select(x => x.GrossAdds).ShouldBe([5, 4, 6, 2]);
        m.Take(4).Select(x => x.Losses).ShouldBe([1, 2, 1, 0]);
        m.Take(4).Select(x => x.Pool).ShouldBe([14, 16, 21, 23]);
        m.Take(4).Select(x => x.Gmv).ShouldBe([100m, 250m, 300m, 80m]);
        m.Take(4).Select(x => x.Orders).ShouldBe([1, 1, 2, 1]);
        m.Take(3).Select(x => x.PoolMet).ShouldBe([false, false, false]);
        m[3].PoolMet.ShouldBeNull();
        m.Skip(4).ShouldAllBe(x => x.GrossAdds == null && x.Pool == null && x.Gmv == null);

        // Year to date: targets through now take 65% of April's (10 adds → 6.5 → 7; ¥650; pool 33 + 65% of 7 → 38).
        report.YearToDate.ShouldBe(new GoalYearToDate(17, 36, 4, 730m, 3_650m, 23, 38));

        // Pace: 6.5 adds and ¥650 expected by now, 2 and ¥80 made: both more than 10% behind.
        var pace = report.Pace!;
        pace.Month.ShouldBe(4);
        pace.Elapsed.ShouldBe(0.65m);
        pace.Judged.ShouldBeTrue();
        pace.ExpectedGrossAdds.ShouldBe(6.5m);
        pace.ExpectedGmv.ShouldBe(650m);
        (pace.AddsBehind, pace.GmvBehind).ShouldBe((true, true));

        // Forecast: the 30 full days before today (21 March–19 April) brought 2 people and ¥80; 10% lost a month.
        var forecast = report.Forecast;
        forecast.GrossAddsPerDay.ShouldBe(0.07m);
        forecast.GmvPerDay.ShouldBe(2.67m);
        forecast.DeletionRate.ShouldBe(0.1m);
        decimal pool = 23 * (1 - (0.1m * 10 / 30)) + (2m / 30 * 10);
        m[3].ForecastPool.ShouldBe((long)Math.Round(pool, MidpointRounding.AwayFromZero));
        foreach (var month in m.Skip(4))
        {
            pool = pool * 0.9m + (2m / 30 * month.To.Day);
            month.ForecastPool.ShouldBe((long)Math.Round(pool, MidpointRounding.AwayFromZero));
        }

        forecast.Pool.ShouldBe(m[11].ForecastPool);
        // Even plan: a month's GMV per day over the window's (March's and April's) per day; April: ¥80 made + 10 days more.
        m.Take(3).Select(x => x.ForecastGmv).ShouldBe([100m, 250m, 300m]);
        var windowIntensity = ((11 * (100_000m / 31)) + (19 * (100_000m / 30))) / 30;
        m[3].ForecastGmv.ShouldBe(Math.Round(8_000m + (8_000m / 30 * 10 * (100_000m / 30 / windowIntensity))) / 100m);
        m[4].ForecastGmv.ShouldBe(Math.Round(8_000m / 30 * 31 * (100_000m / 31 / windowIntensity)) / 100m);
        forecast.Gmv.ShouldBe(m.Sum(x => x.ForecastGmv));
        (forecast.PoolMet, forecast.GmvMet).ShouldBe((false, false));
        report.Status.ShouldBe(GoalStatuses.AtRisk);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BehindThePace_RaisesAnAlert_BackOnPace_ResolvesIt(DbEngine engine)
    {
        await using var server = await StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        var watch = server.Service<GoalWatch>();

        (await admin.PostAsJsonAsync("/api/goals", Goal())).StatusCode.ShouldBe(HttpStatusCode.Created);
        var alerts = await admin.GetAsync<List<Alert>>("/api/alerts");
        var alert = alerts.ShouldHaveSingleItem();
        alert.Kind.ShouldBe(GoalAlerts.Behind);
        alert.Message.ShouldBe("2026: gross adds and GMV are behind this month's pace");
        (await watch.CheckAllAsync()).ShouldBe(1);
        (await admin.GetAsync<List<Alert>>("/api/alerts")).ShouldHaveSingleItem().Id.ShouldBe(alert.Id);

        // GMV on pace (¥100 a month: ¥65 expected, ¥80 made), adds still behind (4 a month: 2.6 expected, 2 made).
        (await admin.PutJsonAsync("/api/goals/2026", Goal(pool: 40, gmv: 1_200m))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await admin.GetAsync<List<Alert>>("/api/alerts")).ShouldHaveSingleItem().Message.ShouldBe("2026: gross adds are behind this month's pace");

        // Half behind is tolerated: back on track, resolved by the background pass as well as by a read.
        await server.ExecuteAsync("UPDATE goals SET alert_threshold_ppm = 500000");
        (await watch.CheckAllAsync()).ShouldBe(0);
        (await admin.GetAsync<List<Alert>>("/api/alerts")).ShouldBeEmpty();

        // Below the pace again, then the goal is deleted: its alert goes with it.
        (await admin.PutJsonAsync("/api/goals/2026", Goal())).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await admin.GetAsync<List<Alert>>("/api/alerts")).Count.ShouldBe(1);
        (await admin.DeleteAsync("/api/goals/2026")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await admin.GetAsync<List<Alert>>("/api/alerts")).ShouldBeEmpty();
        (await admin.GetAsync("/api/goals/2026")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // Another year's goal has no pace and raises nothing.
        (await admin.PostAsJsonAsync("/api/goals", Goal(year: 2027))).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await admin.GetAsync<GoalReport>("/api/goals/2027")).Pace.ShouldBeNull();
        (await watch.CheckAllAsync()).ShouldBe(0);
        (await admin.GetAsync<List<Alert>>("/api/alerts")).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OperatorValues_Seasonal_AndAYearToCome(DbEngine engine)
    {
        await using var server = await StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        decimal[] peaks = [6, 5, 6, 7, 8, 14, 7, 7, 8, 9, 17, 12];

        var report = await (await admin.PostAsJsonAsync("/api/goals", Goal(pool: 300_000, gmv: 5_000_000m, method: "seasonal", weights: peaks, rate: 0.03m, startPool: 120_000)))
            .ReadAsync<GoalReport>(HttpStatusCode.Created);
        report.StartPool.ShouldBe(120_000);
        report.StartPoolSource.ShouldBe(GoalSources.Operator);
        report.DeletionRate.ShouldBe(0.03m);
        report.DeletionRateSource.ShouldBe(GoalSources.Operator);
        report.ObservedDeletionRate.ShouldBe(0.1m);
        report.Shares!.Count.ShouldBe(12);
        report.Months.Sum(x => x.GmvTarget).ShouldBe(5_000_000m);
        report.Months[^1].PoolTarget.ShouldBe(300_000);
        report.Months[10].GmvTarget.ShouldBe(801_886.79m);
        var pool = 120_000L;
        foreach (var month in report.Months)
            pool = pool - (long)Math.Round(pool * 0.03m, MidpointRounding.AwayFromZero) + month.GrossAddsTarget;
        pool.ShouldBe(300_000);
        // The forecast projects with the rate observed, not the operator's.
        report.Forecast.DeletionRate.ShouldBe(0.1m);

        // A year yet to start: measured from today's pool, nothing actual, no pace.
        var next = await (await admin.PostAsJsonAsync("/api/goals", Goal(year: 2027, method: "growth"))).ReadAsync<GoalReport>(HttpStatusCode.Created);
        next.StartPool.ShouldBe(23);
        next.Status.ShouldBe(GoalStatuses.NotStarted);
        next.YearToDate.ShouldBeNull();
        next.Pace.ShouldBeNull();
        next.MonthlyGrowthRate.ShouldBe(Math.Round((decimal)(Math.Pow(100 / 23d, 1 / 12d) - 1), 6));
        next.Months.ShouldAllBe(x => x.State == MonthStates.Future);

        var list = await admin.GetAsync<List<GoalView>>("/api/goals");
        list.Select(g => g.Year).ShouldBe([2027, 2026]);
        list[1].Weights.ShouldBe(peaks);
        list[1].MonthlyDeletionRate.ShouldBe(0.03m);

        // PUT replaces: the rate left out goes back to observed.
        var updated = await (await admin.PutJsonAsync("/api/goals/2026", Goal(pool: 300_000, gmv: 5_000_000m))).ReadAsync<GoalReport>();
        updated.DeletionRateSource.ShouldBe(GoalSources.Observed);
        updated.Goal.Method.ShouldBe(GoalMethods.Even);
        updated.StartPool.ShouldBe(10);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BadInput_Is400NamingTheField_DuplicateYearIs409(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        using var admin = server.Workspace.AdminClient();

        async Task Bad(object body, string field, string? put = null)
        {
            var response = put is null ? await admin.PostAsJsonAsync("/api/goals", body) : await admin.PutJsonAsync(put, body);
            var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
            problem.GetProperty("field").GetString().ShouldBe(field, problem.Detail());
        }

        await Bad(Goal(pool: -1), "poolTarget");
        await Bad(Goal(gmv: -5m), "gmvTarget");
        await Bad(Goal(rate: 1m), "monthlyDeletionRate");
        await Bad(Goal(rate: 1.5m), "monthlyDeletionRate");
        await Bad(Goal(method: "seasonal", weights: [1, 2, 3]), "weights");
        await Bad(Goal(method: "seasonal"), "weights");
        await Bad(Goal(method: "sideways"), "method");
        await Bad(Goal(year: 1999), "year");
        await Bad(Goal(year: 2101), "year");
        await Bad(Goal(startPool: -3), "startPool");
        await Bad(Goal(threshold: 1m), "alertThreshold");
        await Bad(new { poolTarget = 1, gmvTarget = 1 }, "year");
        await Bad(Goal(year: 2027), "year", "/api/goals/2026");
        (await (await admin.GetAsync("/api/goals/1999")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("year");
        (await admin.GetAsync<List<GoalView>>("/api/goals")).ShouldBeEmpty();

        (await admin.PostAsJsonAsync("/api/goals", Goal())).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await (await admin.PostAsJsonAsync("/api/goals", Goal(pool: 5))).ProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("PUT /api/goals/2026");
        (await admin.PutJsonAsync("/api/goals/2025", Goal(year: 2025))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await admin.GetAsync<List<GoalView>>("/api/goals")).ShouldHaveSingleItem().PoolTarget.ShouldBe(100);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task CreatingTheSameYearConcurrently_KeepsOneGoal(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        using var admin = server.Workspace.AdminClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => admin.PostAsJsonAsync("/api/goals", Goal(pool: 100 + i))));

        responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(1);
        responses.Count(r => r.StatusCode == HttpStatusCode.Conflict).ShouldBe(5);
        (await server.CountAsync("SELECT COUNT(*) FROM goals")).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task MonthsCsv_IsTheTable_WithAYearRow(DbEngine engine)
    {
        await using var server = await StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        (await admin.PostAsJsonAsync("/api/goals", Goal())).StatusCode.ShouldBe(HttpStatusCode.Created);

        using var response = await admin.GetAsync("/api/goals/2026/months.csv");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        bytes.Take(3).ShouldBe(Encoding.UTF8.GetPreamble());
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(14);
        lines[0].ShouldStartWith("month,from,to,state,pool_start_target,pool_target,expected_losses,gross_adds_target,gmv_target_yuan,gross_adds,losses,pool,gmv_yuan");
        lines[1].ShouldStartWith("1,2026-01-01,2026-01-31,past,10,18,1,9,1000.00,5,1,14,100.00,1,14,100.00,no,no");
        lines[4].ShouldStartWith("4,2026-04-01,2026-04-30,current,33,40,3,10,1000.00,2,0,23,80.00,1,");
        lines[5].ShouldStartWith("5,2026-05-01,2026-05-31,future,40,48,4,");
        lines[13].ShouldStartWith("year,2026-01-01,2026-12-31,at_risk,10,100,");
        lines[13].Split(',')[9..13].ShouldBe(["17", "4", "23", "730.00"]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task StaffRole_HasNoGoals_AnalystReadsButCannotWrite(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, TestSignIn.Configure, runEngines: false);
        using var admin = server.Workspace.AdminClient();
        (await admin.PostAsJsonAsync("/api/goals", Goal())).StatusCode.ShouldBe(HttpStatusCode.Created);
        var staffId = (await (await admin.PostAsJsonAsync("/api/staff", new { name = "小美" })).ReadAsync<Pond.Staff.StaffMember>(HttpStatusCode.Created)).Id;

        using var staff = await server.Workspace.MemberClientAsync(Pond.Workspaces.Roles.Staff, staffId);
        (await staff.GetAsync("/api/goals/2026")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        using var analyst = await server.Workspace.MemberClientAsync(Pond.Workspaces.Roles.Analyst);
        (await analyst.GetAsync("/api/goals/2026")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await analyst.PutJsonAsync("/api/goals/2026", Goal(pool: 5))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
