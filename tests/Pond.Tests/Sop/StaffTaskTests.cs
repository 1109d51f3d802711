using System.Net;
using System.Text.Json;
using Pond.Staff;
using Pond.Storage;
using Pond.Tests.Activities;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Sop;

/// <summary>The staff task list over HTTP on both engines: filters, one-click done / skip, the staff role's limits, completion rates.</summary>
public sealed class StaffTaskTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task StaffRole_SeesAndClosesOnlyItsOwnTasks_DoneIsIdempotent_AndCountsTheContentOnce(DbEngine engine)
    {
        await using var scene = await SopScene.StartAsync(engine);
        var mei = await scene.StaffAsync("小美");
        var li = await scene.StaffAsync("小李");
        var poster = await scene.ContentAsync("新品海报");
        await scene.PlanAsync(new
        {
            kind = "moments", name = "朋友圈日更", staffIds = new[] { mei, li },
            entries = new object[] { new { time = "13:00", text = "新品上架", contentId = poster }, new { time = "20:00", text = "晚安" } },
        });
        (await scene.RunAtAsync(0, "13:00")).ShouldBe(2);

        using var guide = await scene.Server.Workspace.MemberClientAsync(Roles.Staff, mei);
        var mine = await guide.GetAsync<List<JsonElement>>($"/api/tasks?staff={li}");
        var own = mine.ShouldHaveSingleItem();
        own.GetProperty("staffId").GetGuid().ShouldBe(mei);
        own.GetProperty("contentTitle").GetString().ShouldBe("新品海报");
        var ownId = own.GetProperty("id").GetGuid();
        var othersId = (await scene.TasksAsync()).Single(t => t.StaffId == li).Id;

        (await guide.PostAsync($"/api/tasks/{othersId}/done", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await guide.PostAsync($"/api/tasks/{othersId}/skip", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await guide.GetAsync($"/api/tasks/{othersId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await guide.GetAsync("/api/sop/plans")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var done = await (await guide.PostAsync($"/api/tasks/{ownId}/done", null)).ReadAsync<JsonElement>();
        done.GetProperty("state").GetString().ShouldBe(StaffTaskStates.Done);
        done.GetProperty("doneAt").GetDateTimeOffset().ShouldBe(SopScene.Local(0, "13:00"));
        var again = await (await guide.PostAsync($"/api/tasks/{ownId}/done", null)).ReadAsync<JsonElement>();
        again.GetProperty("doneAt").GetDateTimeOffset().ShouldBe(done.GetProperty("doneAt").GetDateTimeOffset());
        (await (await guide.PostAsync($"/api/tasks/{ownId}/skip", null)).ProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("already done");
        (await scene.Server.ScalarAsync("SELECT usage_count FROM content_items WHERE id = @poster", new { poster })).ShouldBe(1);

        // Two clicks at once from two devices: one closes it, the content counts once.
        using var admin = scene.Server.Workspace.AdminClient();
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => admin.PostAsync($"/api/tasks/{othersId}/done", null)));
        (await scene.Server.ScalarAsync("SELECT usage_count FROM content_items WHERE id = @poster", new { poster })).ShouldBe(2);

        using var analyst = await scene.Server.Workspace.MemberClientAsync(Roles.Analyst);
        (await analyst.GetAsync<List<JsonElement>>("/api/tasks")).Count.ShouldBe(2);
        (await analyst.PostAsync($"/api/tasks/{ownId}/skip", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task List_FiltersByStaffStateKindAndDue(DbEngine engine)
    {
        await using var scene = await SopScene.StartAsync(engine);
        var mei = await scene.StaffAsync("小美");
        var li = await scene.StaffAsync("小李");
        await scene.GroupAsync("宝妈群", "wrM", li, "宝妈群");
        await scene.PlanAsync(new { kind = "moments", name = "日更", staffIds = new[] { mei }, entries = new object[] { new { time = "13:00", text = "日更" } } });
        await scene.PlanAsync(new { kind = "group", name = "群", groupTags = new[] { "宝妈群" }, entries = new object[] { new { time = "13:00", text = "午安" } } });
        await scene.RunAtAsync(0, "13:00");
        await scene.RunAtAsync(1, "13:00");
        scene.MoveTo(SopScene.Local(1, "13:10"));
        var all = await scene.Admin.GetAsync<List<JsonElement>>("/api/tasks");
        all.Count.ShouldBe(4);
        await scene.Admin.PostAsync($"/api/tasks/{all.First(t => t.GetProperty("staffId").GetGuid() == mei).GetProperty("id").GetGuid()}/done", null);

        async Task<int> Count(string query) => (await scene.Admin.GetAsync<List<JsonElement>>($"/api/tasks?{query}")).Count;
        (await Count($"staff={mei}")).ShouldBe(2);
        (await Count("kind=group_sop")).ShouldBe(2);
        (await Count("state=open")).ShouldBe(3);
        (await Count("state=done")).ShouldBe(1);
        (await Count("due=today")).ShouldBe(2);
        (await Count("due=overdue")).ShouldBe(3, "open and due before now, today's included");
        (await Count($"due=overdue&staff={li}&kind=group_sop")).ShouldBe(2);
        var group = (await scene.Admin.GetAsync<List<JsonElement>>("/api/tasks?kind=group_sop"))[0];
        group.GetProperty("groupName").GetString().ShouldBe("宝妈群");
        group.GetProperty("staffName").GetString().ShouldBe("小李");
    }

    /// <summary>
    /// A fixture counted by hand, over local days today−2 … today:
    /// 小美 — 4 due: done on its day ×2, done the next day ×1, open ×1 (and one before the period, not counted) → 3/4 = 75%, on time 2/3.
    /// 小李 — 2 due: skipped, done on its day → 1/2 = 50%, on time 1/1.
    /// 小王 — 1 due: open → 0%.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task CompletionRates_MatchAHandCountedFixture(DbEngine engine)
    {
        await using var scene = await SopScene.StartAsync(engine);
        var mei = await scene.StaffAsync("小美");
        var li = await scene.StaffAsync("小李");
        var wang = await scene.StaffAsync("小王");
        var n = 0;
        async Task AddTask(Guid staff, int day, string state, DateTimeOffset? doneAt = null)
        {
            await scene.ExecAsync(
                """
                INSERT INTO staff_tasks (id, workspace_id, staff_id, kind, title, source, dedupe_key, state, due_at, created_at, done_at)
                VALUES (@id, @ws, @staff, 'follow_up', 'task', 'test', @key, @state, @due, @due, @doneAt)
                """, new { id = Guid.CreateVersion7(), ws = scene.WorkspaceId, staff, key = $"t{++n}", state, due = SopScene.Local(day, "10:00"), doneAt });
        }

        await AddTask(mei, -2, "done", SopScene.Local(-2, "11:00"));
        await AddTask(mei, -1, "done", SopScene.Local(-1, "23:59"));
        await AddTask(mei, -1, "done", SopScene.Local(0, "00:01"));
        await AddTask(mei, 0, "open");
        await AddTask(mei, -3, "done", SopScene.Local(-3, "10:30"));
        await AddTask(li, -2, "skipped", SopScene.Local(-2, "12:00"));
        await AddTask(li, 0, "done", SopScene.Local(0, "10:05"));
        await AddTask(wang, -1, "open");

        var report = await scene.Admin.GetAsync<JsonElement>($"/api/tasks/completion?from={SopScene.Today.AddDays(-2):yyyy-MM-dd}&to={SopScene.Today:yyyy-MM-dd}");
        report.GetProperty("timeZone").GetString().ShouldBe("Asia/Shanghai");
        var rows = report.GetProperty("staff").EnumerateArray().ToDictionary(r => r.GetProperty("staffName").GetString()!);
        rows.Keys.ShouldBe(["小美", "小李", "小王"], ignoreOrder: false);
        (rows["小美"].GetProperty("due").GetInt32(), rows["小美"].GetProperty("done").GetInt32(), rows["小美"].GetProperty("doneOnTime").GetInt32(),
            rows["小美"].GetProperty("open").GetInt32()).ShouldBe((4, 3, 2, 1));
        rows["小美"].GetProperty("rate").GetDouble().ShouldBe(0.75);
        rows["小美"].GetProperty("onTimeShare").GetDouble().ShouldBe(0.6667);
        (rows["小李"].GetProperty("due").GetInt32(), rows["小李"].GetProperty("done").GetInt32(), rows["小李"].GetProperty("skipped").GetInt32()).ShouldBe((2, 1, 1));
        rows["小李"].GetProperty("rate").GetDouble().ShouldBe(0.5);
        rows["小李"].GetProperty("onTimeShare").GetDouble().ShouldBe(1);
        rows["小王"].GetProperty("rate").GetDouble().ShouldBe(0);

        using var guide = await scene.Server.Workspace.MemberClientAsync(Roles.Staff, li);
        var own = await guide.GetAsync<JsonElement>($"/api/tasks/completion?from={SopScene.Today.AddDays(-2):yyyy-MM-dd}&to={SopScene.Today:yyyy-MM-dd}");
        own.GetProperty("staff").EnumerateArray().Select(r => r.GetProperty("staffName").GetString()).ShouldBe(["小李"]);
        (await (await scene.Admin.GetAsync("/api/tasks/completion?from=2026-13-01")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("from");
    }
}
