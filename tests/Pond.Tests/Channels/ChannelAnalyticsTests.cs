using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Pond.Channels;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Server.Hosting;
using Pond.Tests.Infrastructure;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Channels;

/// <summary>
/// Channel analytics over the admin API against the month in <see cref="ChannelAnalyticsSeed"/>, with "now" fixed
/// three days after the range ends. Every number below is worked out by hand from the seed.
/// </summary>
public sealed class ChannelAnalyticsTests
{
    private static readonly DateOnly November = new(2026, 11, 1);
    private const string Range = "from=2026-11-01&to=2026-11-30";

    private static async Task<(PondServer Server, ChannelAnalyticsSeed Seed)> StartAsync(DbEngine engine, Action<PondOptions, IServiceCollection>? configure = null)
    {
        // The seed's "now": day 33 of a range starting 1 November, i.e. 3 December at noon in Shanghai.
        var now = new DateTimeOffset(2026, 12, 3, 12, 0, 0, ChannelAnalyticsSeed.Shanghai);
        var server = await PondServer.StartAsync(engine, (options, services) =>
        {
            services.AddSingleton<TimeProvider>(new FixedClock(now));
            configure?.Invoke(options, services);
        }, runEngines: false);
        var seed = new ChannelAnalyticsSeed(server.Service<Database>(), server.Workspace.Id, November);
        await seed.SeedAsync();
        // Another workspace's activity never shows.
        var other = await server.CreateWorkspaceAsync("other");
        await new ChannelAnalyticsSeed(server.Service<Database>(), other.Id, November).SeedAsync();
        return (server, seed);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ChannelAnalytics_ByChannel_CountsEveryMetric(DbEngine engine)
    {
        var (server, seed) = await StartAsync(engine);
        await using var _ = server;
        var report = await server.Workspace.AdminClient().GetAsync<ChannelAnalyticsReport>($"/api/channels/analytics?{Range}&by=channel");

        report.From.ShouldBe(November);
        report.To.ShouldBe(new DateOnly(2026, 11, 30));
        report.By.ShouldBe("channel");
        report.TimeZone.ShouldBe("Asia/Shanghai");
        report.Rows.Select(r => r.Name).ShouldBe(["包裹卡", "小红书 KOL", "门店海报", "Unattributed"]);
        report.Rows.Select(r => r.Id).ShouldBe([seed.Package, seed.Kol, seed.Poster, null]);

        Check(report.Rows[0], visits: 15, adds: 8, addRate: 0.5333m, cost: 450.50m, costPerAdd: 56.31m,
            r7: (7, 6, 0.8571m), r30: (4, 2, 0.5m), activeAtStart: 2, deletions: 4, deletionRate: 0.4m, firstOrders: 3, gmv: 658.4m);
        Check(report.Rows[1], visits: 4, adds: 4, addRate: 1m, cost: 200m, costPerAdd: 50m,
            r7: (4, 4, 1m), r30: (2, 2, 1m), activeAtStart: 2, deletions: 0, deletionRate: 0m, firstOrders: 2, gmv: 418.5m);
        Check(report.Rows[2], visits: 0, adds: 0, addRate: null, cost: 0m, costPerAdd: null,
            r7: (0, 0, null), r30: (0, 0, null), activeAtStart: 0, deletions: 0, deletionRate: null, firstOrders: 0, gmv: 0m);
        Check(report.Rows[3], visits: 0, adds: 1, addRate: null, cost: null, costPerAdd: null,
            r7: (1, 1, 1m), r30: (0, 0, null), activeAtStart: 0, deletions: 0, deletionRate: 0m, firstOrders: 1, gmv: 25m);
        CheckTotals(report.Totals);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ChannelAnalytics_ByCode_CreditsEachCodeAndItsOwnSpend(DbEngine engine)
    {
        var (server, seed) = await StartAsync(engine);
        await using var _ = server;
        var client = server.Workspace.AdminClient();
        var report = await client.GetAsync<ChannelAnalyticsReport>($"/api/channels/analytics?{Range}&by=code");

        report.Rows.Select(r => r.Id).ShouldBe([seed.CodeA, seed.CodeKol, seed.CodeB, null]);
        report.Rows.Select(r => r.ChannelName).ShouldBe(["包裹卡", "小红书 KOL", "包裹卡", null]);
        Check(report.Rows[0], visits: 10, adds: 6, addRate: 0.6m, cost: 300m, costPerAdd: 50m,
            r7: (5, 4, 0.8m), r30: (4, 2, 0.5m), activeAtStart: 2, deletions: 3, deletionRate: 0.375m, firstOrders: 2, gmv: 358.4m);
        // c1 was added by this code a day after code A added them: the 30-day window starts later and takes in a third order.
        Check(report.Rows[1], visits: 4, adds: 4, addRate: 1m, cost: 200m, costPerAdd: 50m,
            r7: (4, 4, 1m), r30: (2, 2, 1m), activeAtStart: 2, deletions: 0, deletionRate: 0m, firstOrders: 2, gmv: 418.5m);
        Check(report.Rows[2], visits: 5, adds: 2, addRate: 0.4m, cost: 50.50m, costPerAdd: 25.25m,
            r7: (2, 2, 1m), r30: (0, 0, null), activeAtStart: 0, deletions: 1, deletionRate: 0.5m, firstOrders: 1, gmv: 300m);
        Check(report.Rows[3], visits: 0, adds: 1, addRate: null, cost: null, costPerAdd: null,
            r7: (1, 1, 1m), r30: (0, 0, null), activeAtStart: 0, deletions: 0, deletionRate: 0m, firstOrders: 1, gmv: 25m);
        CheckTotals(report.Totals);

        // One channel: only its codes, and totals of that channel.
        var package = await client.GetAsync<ChannelAnalyticsReport>($"/api/channels/analytics?{Range}&by=code&channel={seed.Package}");
        package.Rows.Select(r => r.Id).ShouldBe([seed.CodeA, seed.CodeB]);
        package.Totals.Adds.ShouldBe(8);
        package.Totals.Visits.ShouldBe(15);
        package.Totals.Cost.ShouldBe(450.50m);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ChannelAnalytics_ByStaff_CreditsTheStaffMemberWithoutCost(DbEngine engine)
    {
        var (server, seed) = await StartAsync(engine);
        await using var _ = server;
        var report = await server.Workspace.AdminClient().GetAsync<ChannelAnalyticsReport>($"/api/channels/analytics?{Range}&by=staff");

        report.Rows.Select(r => r.Id).ShouldBe([seed.Jie, seed.Mei, null]);
        report.Rows.Select(r => r.Name).ShouldBe(["阿杰", "小美", "Unattributed"]);
        Check(report.Rows[0], visits: 10, adds: 6, addRate: 0.6m, cost: null, costPerAdd: null,
            r7: (5, 5, 1m), r30: (2, 2, 1m), activeAtStart: 2, deletions: 1, deletionRate: 0.125m, firstOrders: 2, gmv: 370m);
        Check(report.Rows[1], visits: 7, adds: 5, addRate: 0.7143m, cost: null, costPerAdd: null,
            r7: (5, 4, 0.8m), r30: (3, 1, 0.3333m), activeAtStart: 2, deletions: 3, deletionRate: 0.4286m, firstOrders: 3, gmv: 383.4m);
        Check(report.Rows[2], visits: 0, adds: 2, addRate: null, cost: null, costPerAdd: null,
            r7: (2, 2, 1m), r30: (1, 1, 1m), activeAtStart: 0, deletions: 0, deletionRate: 0m, firstOrders: 1, gmv: 348.5m);
        CheckTotals(report.Totals);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ChannelAnalyticsDaily_ZeroFillsEveryDay_ForWorkspaceChannelAndCode(DbEngine engine)
    {
        var (server, seed) = await StartAsync(engine);
        await using var _ = server;
        var client = server.Workspace.AdminClient();

        var all = await client.GetAsync<DailySeries>($"/api/channels/analytics/daily?{Range}");
        all.Days.Select(d => d.Day).ShouldBe(Enumerable.Range(0, 30).Select(November.AddDays));
        Nonzero(all).ShouldBe(new Dictionary<int, (long, long)>
        {
            [1] = (3, 0), [2] = (2, 0), [3] = (1, 0), [5] = (0, 1), [8] = (0, 1), [10] = (2, 0), [15] = (2, 0), [16] = (1, 0),
            [20] = (1, 1), [29] = (1, 0), [30] = (0, 1),
        });

        var kol = await client.GetAsync<DailySeries>($"/api/channels/analytics/daily?{Range}&channel={seed.Kol}");
        kol.Days.Count.ShouldBe(30);
        Nonzero(kol).ShouldBe(new Dictionary<int, (long, long)> { [1] = (1, 0), [3] = (1, 0), [15] = (2, 0) });

        var codeB = await client.GetAsync<DailySeries>($"/api/channels/analytics/daily?{Range}&code={seed.CodeB}");
        Nonzero(codeB).ShouldBe(new Dictionary<int, (long, long)> { [10] = (2, 0), [30] = (0, 1) });

        var week = await client.GetAsync<DailySeries>("/api/channels/analytics/daily?from=2026-11-28&to=2026-12-01");
        week.Days.Select(d => (d.Day.Day, d.Adds, d.Deletions)).ShouldBe([(28, 0L, 0L), (29, 1L, 0L), (30, 0L, 1L), (1, 1L, 1L)]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ChannelAnalyticsCsv_HasBomHeaderAndOneLinePerRow(DbEngine engine)
    {
        var (server, _) = await StartAsync(engine);
        await using var __ = server;
        var response = await server.Workspace.AdminClient().GetAsync($"/api/channels/analytics.csv?{Range}&by=code");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.ToString().ShouldBe("text/csv; charset=utf-8");
        var disposition = response.Content.Headers.ContentDisposition!;
        disposition.DispositionType.ShouldBe("attachment");
        (disposition.FileNameStar ?? disposition.FileName)!.Trim('"').ShouldBe("channel-analytics-by-code-2026-11-01-to-2026-11-30.csv");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        bytes.Take(3).ShouldBe(new byte[] { 0xEF, 0xBB, 0xBF });
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n");
        lines.ShouldBe(
        [
            "code,channel,visits,adds,add_rate,cost_yuan,cost_per_add_yuan,matured_7d,retained_7d,retention_7d,matured_30d,retained_30d,retention_30d,active_at_start,deletions,deletion_rate,first_orders_30d,gmv_30d_yuan",
            "包裹卡-A,包裹卡,10,6,0.6,300.00,50.00,5,4,0.8,4,2,0.5,2,3,0.375,2,358.40",
            "KOL 活码,小红书 KOL,4,4,1,200.00,50.00,4,4,1,2,2,1,2,0,0,2,418.50",
            "包裹卡-B,包裹卡,5,2,0.4,50.50,25.25,2,2,1,0,0,,0,1,0.5,1,300.00",
            "(unattributed),,0,1,,,,1,1,1,0,0,,0,0,0,1,25.00",
            "",
        ]);

        var byChannel = await server.Workspace.AdminClient().GetAsync($"/api/channels/analytics.csv?{Range}");
        var text = Encoding.UTF8.GetString(await byChannel.Content.ReadAsByteArrayAsync());
        text.ShouldStartWith("\uFEFFchannel,visits,adds,");
        text.ShouldContain("\r\n门店海报,0,0,,0.00,,0,0,,0,0,,0,0,,0,0.00\r\n");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ChannelAnalytics_BadQuery_Answers400SayingWhatToFix(DbEngine engine)
    {
        var (server, seed) = await StartAsync(engine);
        await using var _ = server;
        var client = server.Workspace.AdminClient();
        var other = await server.CreateWorkspaceAsync("third");

        async Task<(string Field, string Detail)> Rejected(string url)
        {
            var problem = await (await client.GetAsync(url)).ProblemAsync(HttpStatusCode.BadRequest);
            return (problem.GetProperty("field").GetString()!, problem.Detail());
        }

        var badFrom = await Rejected("/api/channels/analytics?from=2026-13-01&to=2026-11-30");
        badFrom.Field.ShouldBe("from");
        badFrom.Detail.ShouldContain("yyyy-MM-dd");
        var badTo = await Rejected("/api/channels/analytics/daily?from=2026-11-01&to=30/11/2026");
        badTo.Field.ShouldBe("to");
        badTo.Detail.ShouldContain("yyyy-MM-dd");
        (await Rejected("/api/channels/analytics.csv?from=2026-11-01&to=tomorrow")).Field.ShouldBe("to");
        var reversed = await Rejected("/api/channels/analytics?from=2026-12-01&to=2026-11-30");
        reversed.Field.ShouldBe("from");
        reversed.Detail.ShouldContain("on or before to");
        var tooLong = await Rejected("/api/channels/analytics?from=2025-01-01&to=2026-01-02");
        tooLong.Detail.ShouldContain("367 days");
        tooLong.Detail.ShouldContain("at most 366");
        (await client.GetAsync("/api/channels/analytics?from=2025-01-01&to=2026-01-01")).StatusCode.ShouldBe(HttpStatusCode.OK, "366 days are allowed");
        (await Rejected("/api/channels/analytics?by=month")).Field.ShouldBe("by");
        (await Rejected("/api/channels/analytics?channel=package")).Field.ShouldBe("channel");
        (await Rejected($"/api/channels/analytics/daily?code={Guid.CreateVersion7()}")).Field.ShouldBe("code");
        // Another workspace's channel is answered like one that does not exist.
        var foreign = await (await other.AdminClient().GetAsync($"/api/channels/analytics?channel={seed.Package}")).ProblemAsync(HttpStatusCode.BadRequest);
        foreign.GetProperty("field").GetString().ShouldBe("channel");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ChannelAnalytics_DefaultsToTheLast30DaysInTheWorkspaceZone(DbEngine engine)
    {
        var (server, _) = await StartAsync(engine);
        await using var __ = server;
        var report = await server.Workspace.AdminClient().GetAsync<ChannelAnalyticsReport>("/api/channels/analytics");
        // Now is 3 December, noon in Shanghai.
        report.To.ShouldBe(new DateOnly(2026, 12, 3));
        report.From.ShouldBe(new DateOnly(2026, 11, 4));
        report.Totals.Adds.ShouldBe(8); // from the 10th on, plus code A's add on 1 December
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ChannelAnalyticsPage_ShowsFormattedRowsChartDataAndCsvLink(DbEngine engine)
    {
        var (server, seed) = await StartAsync(engine, TestSignIn.Configure);
        await using var _ = server;
        var analyst = await server.Workspace.MemberClientAsync(Roles.Analyst);

        var page = await analyst.PageAsync($"/channels/analytics?{Range}&by=code");
        page.ShouldContain("<h1>渠道分析</h1>");
        page.ShouldContain($"data-row-id=\"{seed.CodeA}\"");
        page.ShouldContain("包裹卡-A");
        page.ShouldContain("60.0%"); // code A's add rate
        page.ShouldContain("¥300.00");
        page.ShouldContain("37.5%"); // code A's deletion rate
        page.ShouldContain("¥358.40");
        page.ShouldContain("¥650.50"); // total cost
        page.ShouldContain("未归因");
        page.ShouldContain("href=\"/api/channels/analytics.csv?from=2026-11-01&to=2026-11-30&by=code\"");
        page.ShouldContain("\"adds\":[3,2,1,0,0,0,0,0,0,2,");
        page.ShouldContain("lib/echarts.min.js");

        var package = await analyst.PageAsync($"/channels/analytics?{Range}&by=code&channel={seed.Package}");
        package.ShouldContain("包裹卡-B");
        package.ShouldNotContain("KOL 活码");
        package.ShouldContain($"<option value=\"{seed.Package}\" selected>");
        package.ShouldContain($"href=\"/api/channels/analytics.csv?from=2026-11-01&to=2026-11-30&by=code&channel={seed.Package}\"");
        package.ShouldContain("\"adds\":[2,2,0,"); // the package card's adds on the 1st, 2nd and 3rd

        var bad = await analyst.GetAsync("/channels/analytics?from=2026-11-31");
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        System.Net.WebUtility.HtmlDecode(await bad.Content.ReadAsStringAsync()).ShouldContain("yyyy-MM-dd");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ChannelAnalytics_StaffRole_SeesOnlyTheAddsCreditedToThem(DbEngine engine)
    {
        var (server, seed) = await StartAsync(engine, TestSignIn.Configure);
        await using var _ = server;
        var mei = await server.Workspace.MemberClientAsync(Roles.Staff, seed.Mei);

        var report = await mei.GetAsync<ChannelAnalyticsReport>($"/api/channels/analytics?{Range}&by=staff");
        report.Rows.Select(r => r.Id).ShouldBe([seed.Mei]);
        Check(report.Totals, visits: 7, adds: 5, addRate: 0.7143m, cost: null, costPerAdd: null,
            r7: (5, 4, 0.8m), r30: (3, 1, 0.3333m), activeAtStart: 2, deletions: 3, deletionRate: 0.4286m, firstOrders: 3, gmv: 383.4m);
        var byChannel = await mei.GetAsync<ChannelAnalyticsReport>($"/api/channels/analytics?{Range}");
        byChannel.Rows.Single(r => r.Id == seed.Package).Adds.ShouldBe(4);
        byChannel.Rows.ShouldAllBe(r => r.Cost == null);
        var daily = await mei.GetAsync<DailySeries>($"/api/channels/analytics/daily?{Range}");
        daily.Days.Sum(d => d.Adds).ShouldBe(5);
    }

    [Fact]
    public void ChannelAnalyticsCsv_QuotesSeparatorsAndDefusesFormulas()
    {
        var empty = new RetentionStat(0, 0, null);
        ChannelAnalyticsRow Row(string name) => new(Guid.NewGuid(), name, null, null, 1, 0, 0m, 1.5m, null, empty, empty, 0, 0, null, 0, 0m);
        var report = new ChannelAnalyticsReport(November, November, "channel", null, "Asia/Shanghai", DateTimeOffset.UnixEpoch,
            [Row("=HYPERLINK(\"x\")"), Row("A, \"B\""), Row("-10% 包裹卡")], Row("Total"));

        var lines = Encoding.UTF8.GetString(ChannelAnalytics.ToCsv(report)).Split("\r\n");
        lines[1].ShouldStartWith("\"'=HYPERLINK(\"\"x\"\")\",1,0,0,1.50,,");
        lines[2].ShouldStartWith("\"A, \"\"B\"\"\",1,");
        lines[3].ShouldStartWith("'-10% 包裹卡,1,");
    }

    private static Dictionary<int, (long, long)> Nonzero(DailySeries series) =>
        series.Days.Where(d => d.Adds != 0 || d.Deletions != 0).ToDictionary(d => d.Day.Day, d => (d.Adds, d.Deletions));

    private static void CheckTotals(ChannelAnalyticsRow totals) =>
        Check(totals, visits: 19, adds: 13, addRate: 0.6842m, cost: 650.50m, costPerAdd: 50.04m,
            r7: (12, 11, 0.9167m), r30: (6, 4, 0.6667m), activeAtStart: 4, deletions: 4, deletionRate: 0.2353m, firstOrders: 5, gmv: 753.4m);

    private static void Check(
        ChannelAnalyticsRow row, long visits, long adds, decimal? addRate, decimal? cost, decimal? costPerAdd,
        (long Matured, long Retained, decimal? Rate) r7, (long Matured, long Retained, decimal? Rate) r30,
        long activeAtStart, long deletions, decimal? deletionRate, long firstOrders, decimal gmv)
    {
        var name = row.Name;
        row.Visits.ShouldBe(visits, $"{name} visits");
        row.Adds.ShouldBe(adds, $"{name} adds");
        row.AddRate.ShouldBe(addRate, $"{name} add rate");
        row.Cost.ShouldBe(cost, $"{name} cost");
        row.CostPerAdd.ShouldBe(costPerAdd, $"{name} cost per add");
        (row.Retained7.Matured, row.Retained7.Retained, row.Retained7.Rate).ShouldBe(r7, $"{name} retained 7 days");
        (row.Retained30.Matured, row.Retained30.Retained, row.Retained30.Rate).ShouldBe(r30, $"{name} retained 30 days");
        row.ActiveAtStart.ShouldBe(activeAtStart, $"{name} active at start");
        row.Deletions.ShouldBe(deletions, $"{name} deletions");
        row.DeletionRate.ShouldBe(deletionRate, $"{name} deletion rate");
        row.FirstOrders.ShouldBe(firstOrders, $"{name} first orders");
        row.Gmv.ShouldBe(gmv, $"{name} GMV");
    }

    /// <summary>"Now", fixed: retention depends on how old each add is.</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
