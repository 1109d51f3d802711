using System.Net;
using System.Net.Http.Json;
using Pond.Analytics;
using Pond.Customers;
using Pond.Storage;
using Pond.Tests.Channels;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;

namespace Pond.Tests.Analytics;

/// <summary>The rollups follow the real write paths: each path marks the days it touches and the next read rewrites them.</summary>
public sealed class InsightRefreshTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Dashboard_SeesVisitsAddsOrdersRefundsDeletionsAndSpend_AsTheyAreWritten(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server, welcome: null);
        var admin = setup.Admin;
        var now = DateTimeOffset.UtcNow;

        foreach (var _ in Enumerable.Range(0, 3))
        {
            using var visitor = setup.NewVisitor();
            await setup.VisitAsync(visitor);
        }

        await setup.CallbackOkAsync(setup.WeCom.AddExternalContact("xiaomei", "wmA", now.AddMinutes(-10), setup.Code.Code.State));
        await setup.CallbackOkAsync(setup.WeCom.AddExternalContact("ajie", "wmB", now.AddMinutes(-9), setup.Code.Code.State));
        await setup.ProcessAsync();
        var a = (await server.CustomerOfAsync(setup.WorkspaceId, IdentityKinds.WecomExternalUserId, "wmA"))!.Value;
        var b = (await server.CustomerOfAsync(setup.WorkspaceId, IdentityKinds.WecomExternalUserId, "wmB"))!.Value;

        var first = await admin.GetAsync<OpsDashboardReport>("/api/insight/dashboard");
        (first.Current.Visits, first.Current.Adds, first.Current.Joined, first.Current.Orders).ShouldBe((3, 2, 2, 0));
        first.Pool.Friends.ShouldBe(2);

        (await admin.PostAsJsonAsync("/api/orders", new { orderId = "IR-1", customerId = a, paid = 120m, privateDomain = true, placedAt = now.AddMinutes(-5) }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        (await admin.PostAsJsonAsync("/api/orders", new { orderId = "IR-2", customerId = a, paid = 80m, privateDomain = true, placedAt = now.AddMinutes(-4) }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        (await admin.PostAsJsonAsync("/api/orders", new { orderId = "IR-3", customerId = b, paid = 50m, privateDomain = true, placedAt = now.AddMinutes(-3) }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var second = await admin.GetAsync<OpsDashboardReport>("/api/insight/dashboard");
        (second.Current.Gmv, second.Current.Orders, second.Current.Buyers, second.Current.RepeatBuyers, second.Current.FirstOrders).ShouldBe((250m, 3, 2, 1, 2));

        // A refund lowers the GMV of the day the order was placed; a deletion ends a relationship and takes b out of the pool.
        (await admin.PostAsJsonAsync("/api/orders/IR-1/refunds", new { refundId = "RF-1", amount = 20m })).IsSuccessStatusCode.ShouldBeTrue();
        await setup.CallbackOkAsync(setup.WeCom.DelExternalContact("ajie", "wmB", now.AddMinutes(-1)));
        await setup.ProcessAsync();
        (await admin.PostAsJsonAsync($"/api/channels/{setup.Channel.Id}/spend", new { spentOn = Today(first), amount = 60m })).IsSuccessStatusCode.ShouldBeTrue();

        var third = await admin.GetAsync<OpsDashboardReport>("/api/insight/dashboard");
        (third.Current.Gmv, third.Current.Deletions, third.Current.Left, third.Current.PoolEnd).ShouldBe((230m, 1, 1, 1));
        third.Pool.Friends.ShouldBe(1);
        var roi = await admin.GetAsync<ChannelRoiReport>("/api/insight/channels");
        var channel = roi.Rows.Single(r => r.Id == setup.Channel.Id.ToString());
        (channel.Spend, channel.Visits, channel.Adds, channel.CostPerAdd, channel.Deletions).ShouldBe((60m, 3, 2, 30m, 1));

        // Nothing is left marked, and a rebuild from scratch gives the same rollups.
        (await server.CountAsync("SELECT COUNT(*) FROM insight_dirty")).ShouldBe(0);
        var before = await server.QueryAsync<string>("SELECT metric || '/' || dim || '/' || key || '=' || CAST(value AS TEXT) FROM insight_daily WHERE metric NOT IN ('pool', 'held') ORDER BY 1");
        await server.ExecuteAsync("DELETE FROM insight_daily WHERE metric NOT IN ('pool', 'held')");
        (await admin.PostAsync("/api/insight/rebuild", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await server.QueryAsync<string>("SELECT metric || '/' || dim || '/' || key || '=' || CAST(value AS TEXT) FROM insight_daily WHERE metric NOT IN ('pool', 'held') ORDER BY 1"))
            .ShouldBe(before);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Refresh_KeepsAMarkMadeAgainWhileItWasRewriting(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var database = server.Service<Database>();
        var hour = DateTimeOffset.UtcNow;
        await using (var connection = await database.OpenAsync())
            await InsightDirty.MarkAsync(connection, null, server.Workspace.Id, hour, hour);
        var marked = await server.ScalarAsync<long>("SELECT marked_at FROM insight_dirty");
        // A writer marks the same hour again after the refresher read the mark (a newer marked_at): that mark must survive.
        await server.ExecuteAsync("UPDATE insight_dirty SET marked_at = @later", new { later = marked + 1 });
        await using (var connection = await database.OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(connection,
                "DELETE FROM insight_dirty WHERE workspace_id = @WorkspaceId AND marked_at = @MarkedAt", new { WorkspaceId = server.Workspace.Id, MarkedAt = marked });
        (await server.CountAsync("SELECT COUNT(*) FROM insight_dirty")).ShouldBe(1);
        (await server.Service<InsightRefresher>().RefreshAsync()).ShouldBeGreaterThan(0);
        (await server.CountAsync("SELECT COUNT(*) FROM insight_dirty")).ShouldBe(0);
    }

    private static string Today(OpsDashboardReport report) => report.Period.To.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
