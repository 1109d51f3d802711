using System.Net;
using System.Net.Http.Json;
using System.Text;
using Pond.Analytics;
using Pond.Customers;
using Pond.Staff;
using Pond.Storage;
using Pond.Tests.Channels;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Analytics;

/// <summary>
/// The standard funnel and the cohorts from the insight rollups, over data written the real way: WeCom callbacks
/// through the live code, landing visits, orders through /api/orders, then the refresher. Three months, local time:
/// M0 (two months ago) on its 10th, M1 (last month) on its last day, M2 (this month) minutes ago.
/// <code>
/// M0 d10  10:00 a1, 10:01 a2, 10:02 a3, 10:03 a4 add a staff account by the code (cohort M0, size 4)
///         14:00 a1 ¥100, 14:01 a2 ¥80 (first orders); d11 a4 deletes (leaves in M0)
/// M1 last 09:00 b1, 09:05 b2 add (cohort M1, size 2); 12:00 a1 ¥50 (repeat), 12:10 a3 ¥30 (first),
///         13:00 b1 ¥200 (first), 15:00 b1 ¥100 (repeat); 16:00 a2 deletes
/// M2 now  −10m c1, −9m c2 add (cohort M2, size 2); −8m c1 and −7m b1 join the group; −6m b2 deletes;
///         −3m a3 ¥20 (repeat), −2m c1 ¥10 (first); five landing visits
/// </code>
/// </summary>
public sealed class FunnelAndCohortTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task StandardFunnel_AndCohorts_MatchTheHandWorkedFixture(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, TestSignIn.Configure, runEngines: false);
        var setup = await AcquisitionKit.SetUpAsync(server, welcome: null);
        var admin = setup.Admin;
        var reader = server.Service<InsightReader>();
        var zone = await reader.ZoneAsync(server.Workspace.Id);
        var now = DateTimeOffset.UtcNow;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var m2 = new DateOnly(today.Year, today.Month, 1);
        var m1Last = m2.AddDays(-1);
        var m0d10 = m2.AddMonths(-2).AddDays(9);
        DateTimeOffset At(DateOnly day, int hour, int minute)
        {
            var local = day.ToDateTime(new TimeOnly(hour, minute));
            return new DateTimeOffset(local, zone.GetUtcOffset(local));
        }

        var state = setup.Code.Code.State;
        async Task Add(string who, DateTimeOffset at) => await setup.CallbackOkAsync(setup.WeCom.AddExternalContact("xiaomei", who, at, state));
        async Task Delete(string who, DateTimeOffset at) => await setup.CallbackOkAsync(setup.WeCom.DelFollowUser("xiaomei", who, at));
        var group = await (await admin.PostAsJsonAsync("/api/carriers", new
        {
            kind = CarrierKinds.GroupChat, name = "莉莉会员群", externalId = "wrFunnel", contactUrl = "https://weixin.qq.com/g/wrFunnel",
        })).ReadAsync<CarrierAccount>(HttpStatusCode.Created);
        group.Kind.ShouldBe("group_chat");

        for (var i = 0; i < 4; i++)
            await Add($"a{i + 1}", At(m0d10, 10, i));
        await Delete("a4", At(m0d10.AddDays(1), 10, 0));
        await Add("b1", At(m1Last, 9, 0));
        await Add("b2", At(m1Last, 9, 5));
        await Delete("a2", At(m1Last, 16, 0));
        await Add("c1", now.AddMinutes(-10));
        await Add("c2", now.AddMinutes(-9));
        await setup.CallbackOkAsync(setup.WeCom.ChatAddMembers("wrFunnel", ["c1"], now.AddMinutes(-8)));
        await setup.CallbackOkAsync(setup.WeCom.ChatAddMembers("wrFunnel", ["b1"], now.AddMinutes(-7)));
        await Delete("b2", now.AddMinutes(-6));
        await setup.ProcessAsync();
        for (var i = 0; i < 5; i++)
        {
            using var visitor = setup.NewVisitor();
            await setup.VisitAsync(visitor);
        }

        var orders = 0;
        async Task Order(string who, decimal paid, DateTimeOffset at)
        {
            var customer = await server.CustomerOfAsync(server.Workspace.Id, IdentityKinds.WecomExternalUserId, who) ?? throw new InvalidOperationException(who);
            using var response = await admin.PostAsJsonAsync("/api/orders", new { orderId = $"F-{++orders}", customerId = customer, paid, placedAt = at, salesChannel = "mini_program" });
            response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        }

        await Order("a1", 100m, At(m0d10, 14, 0));
        await Order("a2", 80m, At(m0d10, 14, 1));
        await Order("a1", 50m, At(m1Last, 12, 0));
        await Order("a3", 30m, At(m1Last, 12, 10));
        await Order("b1", 200m, At(m1Last, 13, 0));
        await Order("b1", 100m, At(m1Last, 15, 0));
        await Order("a3", 20m, now.AddMinutes(-3));
        await Order("c1", 10m, now.AddMinutes(-2));
        await setup.ProcessAsync();
        await reader.FreshenAsync(server.Workspace.Id);

        // ---- the standard funnel: this month so far against the same number of days before it ----
        var funnel = await admin.GetAsync<StandardFunnelReport>($"/api/insight/funnels/standard?from={m2:yyyy-MM-dd}&to={today:yyyy-MM-dd}");
        funnel.PreviousTo.ShouldBe(m1Last);
        funnel.Steps.Select(s => s.Step).ShouldBe(FunnelSteps.All);
        // Reached 5 visits; added c1 c2; joined c1 b1; first order c1; repeat buyer a3.
        funnel.Steps.Select(s => s.Count).ShouldBe([5L, 2L, 2L, 1L, 1L]);
        funnel.Steps.Select(s => s.FromPrevious).ShouldBe([null, 0.4m, 1m, 0.5m, 1m]);
        funnel.Steps.Select(s => s.FromFirst).ShouldBe([null, 0.4m, 0.4m, 0.2m, 0.2m]);
        // The previous period (the last days of M1): b1 b2 added; a3 and b1 first orders; a1 and b1 bought again.
        funnel.PreviousSteps.Select(s => s.Count).ShouldBe([0L, 2L, 0L, 2L, 2L]);
        funnel.PreviousSteps[1].FromPrevious.ShouldBeNull("nothing reached, no rate");
        // Time to first order: c1 the same day; before, b1 the same day and a3 after (m1Last − m0d10) days.
        funnel.TimeToConvert.FirstOrders.ShouldBe(1);
        funnel.TimeToConvert.MedianDays.ShouldBe(0L);
        var a3Lag = m1Last.DayNumber - m0d10.DayNumber;
        funnel.PreviousTimeToConvert.FirstOrders.ShouldBe(2);
        funnel.PreviousTimeToConvert.MedianDays.ShouldBe(0L);
        funnel.PreviousTimeToConvert.P75Days.ShouldBe((long)a3Lag);
        funnel.PreviousTimeToConvert.Buckets.Sum(b => b.Count).ShouldBe(2);

        // By channel: the code's channel brought the visits and the adds; every column adds up to the totals.
        var byChannel = await admin.GetAsync<StandardFunnelReport>($"/api/insight/funnels/standard?from={m2:yyyy-MM-dd}&to={today:yyyy-MM-dd}&by=channel");
        var channel = byChannel.Rows.Single(r => r.Id == setup.Channel.Id.ToString());
        channel.Name.ShouldBe(setup.Channel.Name);
        channel.Reached.ShouldBe(5);
        channel.Added.ShouldBe(2);
        byChannel.Rows.Sum(r => r.JoinedGroup ?? 0).ShouldBe(2);
        byChannel.Rows.Sum(r => r.FirstOrders).ShouldBe(1);
        byChannel.Rows.Sum(r => r.RepeatOrders).ShouldBe(1);
        var byStaff = await admin.GetAsync<StandardFunnelReport>($"/api/insight/funnels/standard?from={m2:yyyy-MM-dd}&to={today:yyyy-MM-dd}&by=staff");
        var mei = byStaff.Rows.Single(r => r.Name == "小美");
        mei.Added.ShouldBe(2);
        mei.Reached.ShouldBeNull();

        using (var csv = await admin.GetAsync($"/api/insight/funnels/standard.csv?from={m2:yyyy-MM-dd}&to={today:yyyy-MM-dd}&by=channel"))
        {
            var bytes = await csv.Content.ReadAsByteArrayAsync();
            bytes.Take(3).ShouldBe(Encoding.UTF8.GetPreamble());
            var lines = Encoding.UTF8.GetString(bytes.AsSpan(3)).Split("\r\n");
            lines.ShouldContain($"current,{m2:yyyy-MM-dd},{today:yyyy-MM-dd},added,2,0.4,0.4");
            lines.ShouldContain(l => l.StartsWith($"{setup.Channel.Name},{setup.Channel.Id},5,2,", StringComparison.Ordinal));
        }

        // ---- cohorts by the month they joined ----
        var from = m2.AddMonths(-2);
        var cohorts = await admin.GetAsync<CohortReport>($"/api/insight/cohorts?from={from:yyyy-MM}&to={today:yyyy-MM}");
        cohorts.Rows.Select(r => r.Cohort).ShouldBe([$"{from:yyyy-MM}", $"{m1Last:yyyy-MM}", $"{m2:yyyy-MM}"]);
        cohorts.Rows.Select(r => r.Size).ShouldBe([4L, 2L, 2L]);
        var m0Row = cohorts.Rows[0].Cells;
        // M0: a4 left in month 0, a2 in month 1; a1 bought again in month 1, a3 in month 2; GMV 180, 260, 280 over 4.
        m0Row.Select(c => c.Retention).ShouldBe([0.75m, 0.5m, 0.5m]);
        m0Row.Select(c => c.Repurchase).ShouldBe([0m, 0.25m, 0.5m]);
        m0Row.Select(c => c.Ltv).ShouldBe([45m, 65m, 70m]);
        m0Row.Select(c => c.FirstOrderRate).ShouldBe([0.5m, 0.75m, 0.75m]);
        m0Row.Select(c => c.Partial).ShouldBe([false, false, true]);
        var m1Row = cohorts.Rows[1].Cells;
        m1Row.Select(c => c.Retention).ShouldBe([1m, 0.5m]);
        m1Row.Select(c => c.Repurchase).ShouldBe([0.5m, 0.5m]);
        m1Row.Select(c => c.Ltv).ShouldBe([150m, 150m]);
        var m2Row = cohorts.Rows[2].Cells;
        m2Row.Select(c => c.Retention).ShouldBe([1m]);
        m2Row.Select(c => c.Ltv).ShouldBe([5m]);
        // All cohorts, weighted: month 0 over 8 customers (1 left, 1 repeater, ¥490); month 1 over M0 and M1 (3 left of 6, 2 repeaters, ¥560).
        cohorts.Average.Select(c => c.Retention).ShouldBe([0.875m, 0.5m, 0.5m]);
        cohorts.Average.Select(c => c.Repurchase).ShouldBe([0.125m, 0.3333m, 0.5m]);
        cohorts.Average.Select(c => c.Ltv).ShouldBe([61.25m, 93.33m, 70m]);

        // ---- cohorts by the month of the first order: a1 a2 in M0; a3 b1 in M1; c1 in M2 ----
        var byFirstOrder = await admin.GetAsync<CohortReport>($"/api/insight/cohorts?from={from:yyyy-MM}&to={today:yyyy-MM}&basis=first_order");
        byFirstOrder.Rows.Select(r => r.Size).ShouldBe([2L, 2L, 1L]);
        byFirstOrder.Rows[0].Cells.Select(c => c.Ltv).ShouldBe([90m, 115m, 115m]);
        byFirstOrder.Rows[0].Cells.Select(c => c.Repurchase).ShouldBe([0m, 0.5m, 0.5m]);
        byFirstOrder.Rows[0].Cells.Select(c => c.Retention).ShouldBe([null, null, null]);
        byFirstOrder.Rows[1].Cells.Select(c => c.Ltv).ShouldBe([165m, 175m]);
        byFirstOrder.Rows[1].Cells.Select(c => c.Repurchase).ShouldBe([0.5m, 1m]);
        byFirstOrder.Rows[2].Cells.Select(c => c.Ltv).ShouldBe([10m]);

        using (var csv = await admin.GetAsync($"/api/insight/cohorts.csv?from={from:yyyy-MM}&to={today:yyyy-MM}&metric=ltv"))
        {
            var bytes = await csv.Content.ReadAsByteArrayAsync();
            bytes.Take(3).ShouldBe(Encoding.UTF8.GetPreamble());
            var lines = Encoding.UTF8.GetString(bytes.AsSpan(3)).Split("\r\n");
            lines[0].ShouldBe("cohort,size,month 0,month 1,month 2");
            lines[1].ShouldBe($"{from:yyyy-MM},4,45,65,70");
            lines[3].ShouldBe($"{m2:yyyy-MM},2,5");
            lines[4].ShouldBe("all cohorts (weighted),8,61.25,93.33,70");
        }

        // The staff role sees only its own customers: workspace-wide funnels and cohorts are not for it.
        using var staffClient = await server.Workspace.MemberClientAsync(Roles.Staff, setup.Staff[0].Id);
        using var analyst = await server.Workspace.MemberClientAsync(Roles.Analyst);
        (await analyst.GetAsync("/api/insight/cohorts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await staffClient.GetAsync("/api/insight/funnels/standard")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await staffClient.GetAsync("/api/insight/cohorts")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}
