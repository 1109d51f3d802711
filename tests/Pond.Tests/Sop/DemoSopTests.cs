using System.Text.Json;
using Pond.Customers;
using Pond.Server.Demo;
using Pond.Sop;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Sop;

/// <summary>The demo step on a small brand: three plans, three weeks of tasks made by the engine, answered realistically, no past WeCom message queued.</summary>
public sealed class DemoSopTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task DemoSop_MakesThreePlans_AndWeeksOfTasksWithRealisticCompletion(DbEngine engine)
    {
        await using var scene = await SopScene.StartAsync(engine);
        var staff = new List<Guid>();
        for (var i = 0; i < 4; i++)
            staff.Add(await scene.StaffAsync($"导购{i}", $"guide{i}"));
        for (var i = 0; i < 4; i++)
            await scene.Seed.CarrierAsync(CarrierKinds.GroupChat, $"会员群{i}", $"wrDemo{i}", staff[i]);
        var wecom = await scene.Seed.CarrierAsync(CarrierKinds.WecomAccount, "导购0 企业微信", "guide0", staff[0]);
        await scene.ConnectWeComAsync();
        for (var i = 0; i < 10; i++)
        {
            var customer = await scene.Seed.CustomerAsync($"新客{i}", Depth.Friend, staff[0]);
            await scene.Seed.RelationshipAsync(customer, wecom, scene.Clock.GetUtcNow().AddDays(-2 * i - 1));
        }

        await DemoSop.SetUpAsync(scene.Server.App.Services, scene.WorkspaceId);

        var plans = await scene.Server.Service<SopPlans>().ListAsync(scene.WorkspaceId);
        plans.Select(p => p.Kind).ShouldBe([SopKinds.Group, SopKinds.Moments, SopKinds.Customer], ignoreOrder: true);
        plans.ShouldAllBe(p => p.WecomTasks);
        var tasks = await scene.TasksAsync();
        // 4 groups × 3 entries × 21 days, give or take the edges of the window.
        tasks.Count(t => t.Kind == "group_sop").ShouldBeInRange(4 * 3 * 20, 4 * 3 * 21);
        tasks.Count(t => t.Kind == "moments_sop").ShouldBeInRange(3 * 2 * 20, 3 * 2 * 21);
        tasks.Count(t => t.Kind == "customer_sop").ShouldBeGreaterThan(20);
        tasks.Select(t => t.DedupeKey).Distinct().Count().ShouldBe(tasks.Count);
        tasks.Count(t => t.State == "done").ShouldBeGreaterThan(tasks.Count / 2);
        tasks.Count(t => t.State == "skipped").ShouldBeGreaterThan(0);
        tasks.Count(t => t.State == "open" && t.DueAt < scene.Clock.GetUtcNow().AddDays(-1)).ShouldBeGreaterThan(0, "some are overdue");
        (await scene.OutboxAsync()).ShouldBeEmpty("the backfill queues no past WeCom message");

        var report = await scene.Admin.GetAsync<JsonElement>($"/api/tasks/completion?from={SopScene.Today.AddDays(-20):yyyy-MM-dd}&to={SopScene.Today:yyyy-MM-dd}");
        report.GetProperty("staff").EnumerateArray().Select(r => r.GetProperty("rate").GetDouble()).ShouldAllBe(r => r > 0.3 && r < 1);
    }
}
