using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Pond.Analytics;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Workspaces;

namespace Pond.Tests.Analytics;

/// <summary>The dashboard, the GMV equation, channel ROI and the staff leaderboard over the hand-counted <see cref="InsightSeed"/>.</summary>
public sealed class InsightTests
{
    private const string Current = "from=2026-11-16&to=2026-11-30";

    private static async Task<(PondServer Server, InsightSeed Seed, HttpClient Admin)> StartAsync(DbEngine engine, Action<PondOptions, IServiceCollection>? configure = null)
    {
        var server = await PondServer.StartAsync(engine, (options, services) =>
        {
            services.AddSingleton<TimeProvider>(new FixedClock(InsightSeed.Now));
            configure?.Invoke(options, services);
        }, runEngines: false);
        var seed = new InsightSeed(server.Service<Database>(), server.Workspace.Id);
        await seed.SeedAsync();
        // Another workspace's activity never shows.
        var other = await server.CreateWorkspaceAsync("other");
        await new InsightSeed(server.Service<Database>(), other.Id).SeedAsync();
        await server.Service<InsightRefresher>().RebuildAsync(other.Id, new DateOnly(2026, 11, 1), new DateOnly(2026, 12, 31));

        var admin = server.Workspace.AdminClient();
        // The seed wrote the tables directly, so nothing marked its days: rebuild them, as an operator would after a bulk load.
        var rebuilt = await (await admin.PostAsync("/api/insight/rebuild", null)).ReadAsync<InsightRebuild>();
        rebuilt.From.ShouldBe(new DateOnly(2026, 11, 2));
        rebuilt.To.ShouldBe(new DateOnly(2026, 12, 31));
        return (server, seed, admin);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Dashboard_CountsThePeriodAgainstTheOneBefore(DbEngine engine)
    {
        var (server, _, admin) = await StartAsync(engine);
        await using var _ = server;

        var report = await admin.GetAsync<OpsDashboardReport>($"/api/insight/dashboard?{Current}");
        report.PreviousPeriod.ShouldBe(new InsightPeriod(new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 15)));
        report.Pool.Friends.ShouldBe(27);
        report.Pool.Total.ShouldBe(27);

        var now = report.Current;
        (now.PoolStart, now.PoolEnd, now.Joined, now.Left).ShouldBe((10, 27, 20, 3));
        (now.Adds, now.Deletions, now.RelationshipsAtStart, now.DeletionRate).ShouldBe((20, 3, 10, 0.3m));
        (now.Visits, now.FissionVisits).ShouldBe((150, 50));
        (now.Gmv, now.Orders, now.Buyers, now.RepeatBuyers, now.FirstOrders).ShouldBe((1800m, 12, 10, 2, 8));
        (now.AverageOrderValue, now.RepurchaseRate).ShouldBe((150m, 0.2m));

        var before = report.Previous;
        (before.PoolStart, before.PoolEnd, before.Joined, before.Left, before.DeletionRate).ShouldBe((0, 10, 10, 0, null));
        (before.Gmv, before.Orders, before.Buyers, before.RepeatBuyers, before.AverageOrderValue, before.RepurchaseRate).ShouldBe((500m, 5, 4, 1, 100m, 0.25m));

        report.Days.Count.ShouldBe(15);
        var twentieth = report.Days.Single(d => d.Day == new DateOnly(2026, 11, 20));
        // 3 of the 30 relationships held at the end of the 19th ended on the 20th.
        (twentieth.Deletions, twentieth.DeletionRate, twentieth.Pool).ShouldBe((3, 0.1m, 27));
        report.Days.Single(d => d.Day == new DateOnly(2026, 11, 17)).Adds.ShouldBe(20);
        report.Days.Sum(d => d.Gmv).ShouldBe(1800m);

        var channel = report.TopChannels.ShouldHaveSingleItem();
        (channel.Name, channel.Adds, channel.Gmv, channel.Orders).ShouldBe(("包裹卡", 20, 1200m, 8));
        var staff = report.TopStaff.ShouldHaveSingleItem();
        (staff.Name, staff.Adds, staff.Gmv).ShouldBe(("小美", 20, 1800m));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task GmvEquation_FactorsMultiplyToTheGmv_AndTheirSharesSumToTheChange(DbEngine engine)
    {
        var (server, _, admin) = await StartAsync(engine);
        await using var _ = server;

        var equation = await admin.GetAsync<InsightEquation>($"/api/insight/gmv-equation?{Current}");
        var (before, after) = (equation.Previous, equation.Current);
        // Worked by hand: 100 × 10% × 40% × 1.25 × ¥100 = ¥500, and 200 × 10% × 50% × 1.2 × ¥150 = ¥1,800.
        before.Values.ShouldBe([100m, 0.1m, 0.4m, 1.25m, 100m]);
        after.Values.ShouldBe([200m, 0.1m, 0.5m, 1.2m, 150m]);
        Math.Round(before.Product!.Value, 2).ShouldBe(before.Gmv);
        Math.Round(after.Product!.Value, 2).ShouldBe(after.Gmv);
        equation.GmvChange.ShouldBe(1300m);

        var contributions = equation.Contributions.ShouldNotBeNull();
        contributions.Sum(c => c.Change).ShouldBe(1300m);
        contributions.Single(c => c.Factor == "inflow_conversion").Change.ShouldBe(0m);
        // Each share is its Shapley value: the factor's marginal effect averaged over all 120 orders of change.
        var expected = ShapleyByPermutations(before.Values, after.Values);
        for (var i = 0; i < contributions.Count; i++)
            contributions[i].Change.ShouldBe(Math.Round(expected[i], 2), 0.011m, contributions[i].Factor);
        // Traffic doubled: half of the ¥1,300 and more is traffic's.
        contributions.Single(c => c.Factor == "traffic").Change.ShouldBe(Math.Round(expected[0], 2), 0.011m);
        expected[0].ShouldBeGreaterThan(650m);

        var csv = await admin.GetAsync($"/api/insight/gmv-equation?{Current}&format=csv");
        csv.StatusCode.ShouldBe(HttpStatusCode.OK);
        var bytes = await csv.Content.ReadAsByteArrayAsync();
        bytes.Take(3).ShouldBe(Encoding.UTF8.GetPreamble());
        var text = Encoding.UTF8.GetString(bytes[3..]);
        text.ShouldStartWith("factor,previous,current,gmv_change_explained_yuan,share_of_change\r\ntraffic,100,200,");
        text.ShouldContain("gmv_yuan,500,1800,1300,1");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ChannelRoi_AndStaffLeaderboard_CreditWhatEachBrought(DbEngine engine)
    {
        var (server, seed, admin) = await StartAsync(engine);
        await using var _ = server;

        var roi = await admin.GetAsync<ChannelRoiReport>($"/api/insight/channels?{Current}");
        var row = roi.Rows.Single(r => r.Id == seed.Channel.ToString());
        (row.Spend, row.Visits, row.Adds, row.AddRate, row.CostPerAdd).ShouldBe((300m, 150, 20, 0.1333m, 15m));
        (row.Orders, row.Gmv, row.Roi, row.Matured30, row.Retained30).ShouldBe((8, 1200m, 4m, 20, 1m));
        // First touch leaves p1's and p2's orders unattributed; the totals still count them.
        roi.Totals.Gmv.ShouldBe(1800m);
        roi.Rows.Single(r => r.Id is null).Gmv.ShouldBe(600m);

        var month = await admin.GetAsync<ChannelRoiReport>("/api/insight/channels?from=2026-11-01&to=2026-11-30&attribution=last_touch");
        // p5..p7 were deleted 18 days after joining: 27 of the month's 30 adds were kept 30 days.
        var monthRow = month.Rows.Single(r => r.Id == seed.Channel.ToString());
        (monthRow.Matured30, monthRow.Retained30, monthRow.Gmv).ShouldBe((30, 0.9m, 0m));

        var leaders = await admin.GetAsync<StaffLeaderboard>($"/api/insight/staff?{Current}");
        var mei = leaders.Rows.ShouldHaveSingleItem();
        (mei.Name, mei.HeldNow, mei.HeldAtStart, mei.Adds, mei.Deletions, mei.DeletionRate).ShouldBe(("小美", 27, 10, 20, 3, 0.3m));
        (mei.Orders, mei.FirstOrders, mei.Gmv, mei.TasksDone).ShouldBe((12, 8, 1800m, 0));

        var csv = Encoding.UTF8.GetString(await (await admin.GetAsync($"/api/insight/staff?{Current}&format=csv")).Content.ReadAsByteArrayAsync());
        csv.ShouldContain("小美,27,10,20,3,0.3,12,8,1800,0");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BadInput_IsA400ThatSaysWhatToSend(DbEngine engine)
    {
        var (server, _, admin) = await StartAsync(engine);
        await using var _ = server;

        (await (await admin.GetAsync("/api/insight/dashboard?from=2026-11-30&to=2026-11-01")).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("after");
        (await (await admin.GetAsync("/api/insight/dashboard?from=2026-13-01")).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("yyyy-MM-dd");
        (await (await admin.GetAsync("/api/insight/dashboard?from=2024-01-01&to=2026-11-30")).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("at most 366");
        (await (await admin.GetAsync("/api/insight/staff?format=xlsx")).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("json or csv");
        (await (await admin.GetAsync("/api/insight/channels?attribution=linear")).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("first_touch");
    }

    /// <summary>The Shapley values the slow way, as a check on the subset formula: average each factor's marginal effect over every order of change.</summary>
    private static decimal[] ShapleyByPermutations(decimal[] before, decimal[] after)
    {
        var n = before.Length;
        var totals = new decimal[n];
        var orders = 0;
        foreach (var order in Permutations(Enumerable.Range(0, n).ToList()))
        {
            orders++;
            var current = before.ToArray();
            foreach (var i in order)
            {
                var was = current.Aggregate(1m, (p, f) => p * f);
                current[i] = after[i];
                totals[i] += current.Aggregate(1m, (p, f) => p * f) - was;
            }
        }

        return totals.Select(t => t / orders).ToArray();
    }

    private static IEnumerable<List<int>> Permutations(List<int> items)
    {
        if (items.Count <= 1)
        {
            yield return items;
            yield break;
        }

        foreach (var first in items)
        {
            foreach (var rest in Permutations(items.Where(i => i != first).ToList()))
                yield return [first, .. rest];
        }
    }

    private sealed record InsightRebuild(DateOnly From, DateOnly To, int Days);

    private sealed record InsightEquation(GmvFactors Current, GmvFactors Previous, decimal GmvChange, List<GmvContribution>? Contributions);

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
