using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Customers;
using Pond.Messaging;
using Pond.Sop;
using Pond.Staff;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Sop;

/// <summary>The SOP engine on both engines with a manual clock: each plan kind creates the right tasks at the right local times, once.</summary>
public sealed class SopEngineTests
{
    private static int IsoWeekday(DateOnly day) => ((int)day.DayOfWeek + 6) % 7 + 1;

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task GroupPlan_FiresForTaggedGroupsAtLocalTimes_OnChosenWeekdays_WithWeComGroupMessageTasks_AndNeverTwice(DbEngine engine)
    {
        await using var scene = await SopScene.StartAsync(engine);
        await scene.ConnectWeComAsync();
        var mei = await scene.StaffAsync("小美", "xiaomei");
        var li = await scene.StaffAsync("小李", "xiaoli");
        var moms = await scene.GroupAsync("宝妈交流 1 群", "wrMOMS1", mei, "宝妈群");
        await scene.GroupAsync("VIP 群", "wrVIP", li, "VIP群");
        var closed = await scene.GroupAsync("宝妈交流 2 群", "wrMOMS2", li, "宝妈群");
        await scene.ExecAsync("UPDATE carriers SET status = 'disabled' WHERE id = @closed", new { closed });
        var poster = await scene.ContentAsync("新品海报");

        // Created at 12:00 local: today's 08:00 has passed and is not created late.
        var plan = await scene.PlanAsync(new
        {
            kind = "group", name = "宝妈群每日 SOP", groupTags = new[] { "宝妈群" },
            entries = new object[]
            {
                new { time = "08:00", title = "早安问候", text = "早上好 {staff} 在这里~" },
                new { time = "12:30", title = "午间新品", text = "今日新品", contentId = poster },
                new { time = "20:00", title = "晚间活动", text = "今晚 8 点直播", weekdays = new[] { IsoWeekday(SopScene.Today.AddDays(1)) } },
            },
        });
        var entries = plan.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("id").GetGuid()).ToList();
        (await scene.RunAsync()).ShouldBe(0);
        (await scene.RunAtAsync(0, "12:29")).ShouldBe(0);
        (await scene.RunAtAsync(0, "12:30")).ShouldBe(1);
        (await scene.RunAsync()).ShouldBe(0, "a second pass repeats nothing");

        var first = (await scene.TasksAsync()).ShouldHaveSingleItem();
        first.Kind.ShouldBe(StaffTaskKinds.GroupSop);
        first.StaffId.ShouldBe(mei, "the group owner does it");
        first.GroupChatId.ShouldBe("wrMOMS1");
        first.Title.ShouldBe("午间新品");
        first.Body.ShouldBe("今日新品");
        first.ContentId.ShouldBe(poster);
        first.DueAt.ShouldBe(SopScene.Local(0, "12:30"));
        first.Source.ShouldBe($"sop:{plan.GetProperty("id").GetGuid()}");
        first.DedupeKey.ShouldBe($"sop:{entries[1]}:{moms}:{SopScene.Today:yyyy-MM-dd}");
        var message = (await scene.OutboxAsync()).ShouldHaveSingleItem();
        message.Channel.ShouldBe(OutboxChannels.WeComGroupMessage);
        message.Purpose.ShouldBe(MessagePurposes.Marketing);
        message.Source.ShouldBe(first.Source);
        message.CustomerId.ShouldBeNull();
        message.State.ShouldBe(OutboxStates.Scheduled);
        message.NextAttemptAt.ShouldBe(SopScene.Local(0, "12:30"));
        message.Json.GetProperty("text").GetString().ShouldBe("今日新品");
        message.Json.GetProperty("staffId").GetString().ShouldBe(mei.ToString());
        message.Json.GetProperty("contentId").GetString().ShouldBe(poster.ToString());
        message.Json.GetProperty("chatIds").EnumerateArray().Select(c => c.GetString()).ShouldBe(["wrMOMS1"]);

        // The server is down until tomorrow 20:00: the last day's entries are created once each, not once per missed minute.
        (await scene.RunAtAsync(1, "20:00")).ShouldBe(3);
        var tasks = await scene.TasksAsync();
        tasks.Select(t => (t.Title, t.DueAt)).ShouldBe(
        [
            ("午间新品", SopScene.Local(0, "12:30")), ("早安问候", SopScene.Local(1, "08:00")), ("午间新品", SopScene.Local(1, "12:30")), ("晚间活动", SopScene.Local(1, "20:00")),
        ]);
        tasks.ShouldAllBe(t => t.StaffId == mei && t.GroupChatId == "wrMOMS1");
        tasks[1].Body.ShouldBe("早上好 小美 在这里~", "the task shows the text ready to send");
        (await scene.OutboxAsync()).Count.ShouldBe(4);
        (await scene.OutboxAsync())[1].Json.GetProperty("text").GetString().ShouldBe("早上好 {staff} 在这里~", "the dispatcher fills the variables");

        // A restart that lost the watermark (or a second node) creates nothing twice.
        await scene.ExecAsync("UPDATE sop_plans SET swept_through = @back", new { back = SopScene.Local(0, "00:00") });
        (await scene.RunAsync()).ShouldBe(0);
        (await scene.TasksAsync()).Count.ShouldBe(4);
        (await scene.OutboxAsync()).Count.ShouldBe(4);

        // The day after: the 20:00 entry is for one weekday only.
        (await scene.RunAtAsync(2, "21:00")).ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task MomentsPlan_GivesEachStaffAccountItsOwnText_AtTheLocalTime(DbEngine engine)
    {
        await using var scene = await SopScene.StartAsync(engine);
        await scene.ConnectWeComAsync();
        var (a, b, c) = (await scene.StaffAsync("小美", "xm"), await scene.StaffAsync("小李", "xl"), await scene.StaffAsync("小王"));
        await scene.PlanAsync(new
        {
            kind = "moments", name = "朋友圈日更", staffIds = new[] { a, b, c },
            entries = new object[]
            {
                new
                {
                    time = "18:00", title = "晚间穿搭", text = "今日穿搭分享",
                    variations = new Dictionary<Guid, string> { [b] = "小李的穿搭日记", [c] = "  " },
                },
            },
        });
        (await scene.RunAtAsync(0, "17:59")).ShouldBe(0);
        (await scene.RunAtAsync(0, "18:00")).ShouldBe(3);
        var tasks = await scene.TasksAsync();
        tasks.ShouldAllBe(t => t.Kind == StaffTaskKinds.MomentsSop && t.DueAt == SopScene.Local(0, "18:00") && t.CustomerId == null && t.GroupChatId == null);
        tasks.ToDictionary(t => t.StaffId!.Value, t => t.Body).ShouldBe(new Dictionary<Guid, string?>
        {
            [a] = "今日穿搭分享", [b] = "小李的穿搭日记", [c] = "今日穿搭分享",
        }, ignoreOrder: true);
        (await scene.OutboxAsync()).ShouldBeEmpty("WeCom has no moments task in the outbox: staff post by hand");
        (await scene.RunAtAsync(1, "18:00")).ShouldBe(3);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task CustomerPlan_Day0137_FollowsEachCustomerFromTheirAdd_WithWeComMessageTasks(DbEngine engine)
    {
        await using var scene = await SopScene.StartAsync(engine);
        await scene.ConnectWeComAsync();
        var mei = await scene.StaffAsync("小美", "xiaomei");
        var li = await scene.StaffAsync("小李");
        var meiWeCom = await scene.Seed.CarrierAsync(CarrierKinds.WecomAccount, "小美的企业微信", "xiaomei", mei);
        var liWeChat = await scene.Seed.CarrierAsync(CarrierKinds.WechatAccount, "小李的微信", "wxid_li", li);
        var before = await scene.Seed.CustomerAsync("老客", Depth.Friend, mei);
        await scene.Seed.RelationshipAsync(before, meiWeCom, SopScene.Local(-1, "09:00"));

        var plan = await scene.PlanAsync(new
        {
            kind = "customer", name = "新好友 7 天", entries = new object[]
            {
                new { time = "10:00", dayOffset = 0, title = "欢迎", text = "{name} 你好，我是{staff}" },
                new { time = "10:00", dayOffset = 1, title = "新人券提醒", text = "新人券明天到期哦" },
                new { time = "10:00", dayOffset = 3, title = "使用反馈", text = "用得怎么样？" },
                new { time = "10:00", dayOffset = 7, title = "复购推荐", text = "本周新品" },
            },
        });
        var planId = plan.GetProperty("id").GetGuid();

        // Amy adds 小美 (WeCom) at 15:00 today: day 0's 10:00 had passed, so it fires at once.
        var amy = await scene.Seed.CustomerAsync("Amy", Depth.Friend, mei);
        await scene.Seed.RelationshipAsync(amy, meiWeCom, SopScene.Local(0, "15:00"));
        // Bo adds 小李's personal WeChat tomorrow at 09:00: tasks, but no WeCom message (personal WeChat cannot be automated).
        var bo = await scene.Seed.CustomerAsync("Bo", Depth.Friend, li);
        await scene.Seed.RelationshipAsync(bo, liWeChat, SopScene.Local(1, "09:00"));

        (await scene.RunAtAsync(0, "14:59")).ShouldBe(0, "the customer from yesterday was there before the plan");
        (await scene.RunAtAsync(0, "15:00")).ShouldBe(1);
        (await scene.RunAtAsync(1, "09:00")).ShouldBe(0);
        (await scene.RunAtAsync(1, "09:30")).ShouldBe(0, "Bo's day 0 waits for 10:00");
        (await scene.RunAtAsync(1, "10:00")).ShouldBe(2, "Amy's day 1 and Bo's day 0");
        for (var day = 2; day <= 9; day++)
            await scene.RunAtAsync(day, "12:00");
        (await scene.RunAsync()).ShouldBe(0);

        var tasks = await scene.TasksAsync();
        tasks.ShouldAllBe(t => t.Kind == StaffTaskKinds.CustomerSop && t.Source == $"sop:{planId}");
        tasks.Where(t => t.CustomerId == amy).Select(t => (t.Title, t.DueAt, t.StaffId)).ShouldBe(
        [
            ("欢迎", SopScene.Local(0, "15:00"), (Guid?)mei), ("新人券提醒", SopScene.Local(1, "10:00"), mei), ("使用反馈", SopScene.Local(3, "10:00"), mei),
            ("复购推荐", SopScene.Local(7, "10:00"), mei),
        ]);
        tasks.Where(t => t.CustomerId == bo).Select(t => (t.Title, t.DueAt, t.StaffId)).ShouldBe(
        [
            ("欢迎", SopScene.Local(1, "10:00"), (Guid?)li), ("新人券提醒", SopScene.Local(2, "10:00"), li), ("使用反馈", SopScene.Local(4, "10:00"), li),
            ("复购推荐", SopScene.Local(8, "10:00"), li),
        ]);
        tasks.ShouldNotContain(t => t.CustomerId == before);
        tasks.First(t => t.CustomerId == amy).Body.ShouldBe("Amy 你好，我是小美");

        var outbox = await scene.OutboxAsync();
        outbox.Count.ShouldBe(4, "only the WeCom friend gets 1:1 message tasks");
        outbox.ShouldAllBe(m => m.Channel == OutboxChannels.WeComMessage && m.Purpose == MessagePurposes.Marketing && m.CustomerId == amy);
        outbox[0].Json.GetProperty("text").GetString().ShouldBe("{name} 你好，我是{staff}");
        outbox[0].Json.GetProperty("staffId").GetString().ShouldBe(mei.ToString());
        outbox.Select(m => m.NextAttemptAt).ShouldBe(tasks.Where(t => t.CustomerId == amy).Select(t => t.DueAt));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task PausedPlan_CreatesNothing_AndResumingDoesNotCatchUp(DbEngine engine)
    {
        await using var scene = await SopScene.StartAsync(engine);
        var mei = await scene.StaffAsync("小美");
        await scene.GroupAsync("宝妈群", "wrM", mei, "宝妈群");
        var plan = await scene.PlanAsync(new
        {
            kind = "group", name = "暂停测试", status = "paused", groupTags = new[] { "宝妈群" },
            entries = new object[] { new { time = "13:00", text = "午安" }, new { time = "20:00", text = "晚安" } },
        });
        var id = plan.GetProperty("id").GetGuid();
        (await scene.RunAtAsync(0, "13:30")).ShouldBe(0);
        (await scene.Admin.PostAsync($"/api/sop/plans/{id}/resume", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await scene.RunAsync()).ShouldBe(0, "13:00 fell due while paused");
        (await scene.RunAtAsync(0, "20:00")).ShouldBe(1);
        (await (await scene.Admin.PostAsync($"/api/sop/plans/{id}/pause", null)).ReadAsync<JsonElement>()).GetProperty("status").GetString().ShouldBe("paused");
        (await scene.RunAtAsync(1, "21:00")).ShouldBe(0);
        (await scene.TasksAsync()).Count.ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TwoNodesSweepingAtOnce_CreateEachTaskOnce(DbEngine engine)
    {
        await using var scene = await SopScene.StartAsync(engine);
        var staff = new List<Guid>();
        for (var i = 0; i < 5; i++)
            staff.Add(await scene.StaffAsync($"导购{i}"));
        for (var i = 0; i < 20; i++)
            await scene.GroupAsync($"群{i}", $"wr{i}", staff[i % 5], "会员群");
        await scene.PlanAsync(new { kind = "group", name = "会员群", groupTags = new[] { "会员群" }, entries = new object[] { new { time = "13:00", text = "午安" } } });
        await scene.PlanAsync(new { kind = "moments", name = "朋友圈", staffIds = staff, entries = new object[] { new { time = "13:00", text = "日更" } } });
        scene.MoveTo(SopScene.Local(0, "13:05"));
        var second = new SopEngine(scene.Server.Service<Database>(), scene.Clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<SopEngine>.Instance);
        var created = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => i % 2 == 0 ? scene.RunAsync() : second.RunDueAsync()));
        created.Sum().ShouldBe(25);
        (await scene.TasksAsync()).Count.ShouldBe(25);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BadPlans_Get400_NamingTheField(DbEngine engine)
    {
        await using var scene = await SopScene.StartAsync(engine);
        var mei = await scene.StaffAsync("小美");
        async Task<string> Bad(object plan)
        {
            var problem = await (await scene.Admin.PostAsJsonAsync("/api/sop/plans", plan)).ProblemAsync(HttpStatusCode.BadRequest);
            return problem.GetProperty("field").GetString()!;
        }

        (await Bad(new { kind = "weekly", name = "x", entries = new object[] { new { time = "08:00", text = "hi" } } })).ShouldBe("kind");
        (await Bad(new { kind = "group", name = "x", entries = new object[] { new { time = "08:00", text = "hi" } } })).ShouldBe("groupTags");
        (await Bad(new { kind = "moments", name = "x", entries = new object[] { new { time = "08:00", text = "hi" } } })).ShouldBe("staffIds");
        (await Bad(new { kind = "moments", name = "x", staffIds = new[] { Guid.CreateVersion7() }, entries = new object[] { new { time = "08:00", text = "hi" } } }))
            .ShouldBe("staffIds");
        (await Bad(new { kind = "group", name = "x", groupTags = new[] { "a" }, entries = new object[] { new { time = "25:00", text = "hi" } } })).ShouldBe("entries[0].time");
        (await Bad(new { kind = "group", name = "x", groupTags = new[] { "a" }, entries = new object[] { new { time = "08:00" } } })).ShouldBe("entries[0].text");
        (await Bad(new { kind = "group", name = "x", groupTags = new[] { "a" }, entries = new object[] { new { time = "08:00", text = "{coupn}" } } })).ShouldBe("entries[0].text");
        (await Bad(new { kind = "group", name = "x", groupTags = new[] { "a" }, entries = new object[] { new { time = "08:00", weekdays = new[] { 8 }, text = "hi" } } }))
            .ShouldBe("entries[0].weekdays");
        (await Bad(new { kind = "group", name = "x", groupTags = new[] { "a" }, entries = new object[] { new { time = "08:00", contentId = Guid.CreateVersion7() } } }))
            .ShouldBe("entries[0].contentId");
        (await Bad(new { kind = "customer", name = "x", entries = new object[] { new { time = "08:00", dayOffset = -1, text = "hi" } } })).ShouldBe("entries[0].dayOffset");
        (await Bad(new { kind = "group", name = "x", groupTags = new[] { "a" }, entries = Array.Empty<object>() })).ShouldBe("entries");
        (await Bad(new
        {
            kind = "moments", name = "x", staffIds = new[] { mei },
            entries = new object[] { new { time = "08:00", text = "hi", variations = new Dictionary<Guid, string> { [Guid.CreateVersion7()] = "?" } } },
        })).ShouldBe("entries[0].variations");
        (await scene.Admin.GetAsync($"/api/sop/plans/{Guid.CreateVersion7()}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await (await scene.Admin.GetAsync("/api/tasks?due=tomorrow")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("due");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task EditingAPlan_KeepsEntryIds_SoTodaysTasksAreNotCreatedAgain(DbEngine engine)
    {
        await using var scene = await SopScene.StartAsync(engine);
        var mei = await scene.StaffAsync("小美");
        var plan = await scene.PlanAsync(new { kind = "moments", name = "日更", staffIds = new[] { mei }, entries = new object[] { new { time = "13:00", text = "v1" } } });
        var id = plan.GetProperty("id").GetGuid();
        var entry = plan.GetProperty("entries")[0].GetProperty("id").GetGuid();
        (await scene.RunAtAsync(0, "13:00")).ShouldBe(1);
        var updated = await (await scene.Admin.PutAsJsonAsync($"/api/sop/plans/{id}", new
        {
            name = "日更 v2", staffIds = new[] { mei }, entries = new object[] { new { id = entry, time = "13:00", text = "v2" }, new { time = "13:30", text = "new" } },
        })).ReadAsync<JsonElement>();
        updated.GetProperty("entries")[0].GetProperty("id").GetGuid().ShouldBe(entry);
        await scene.ExecAsync("UPDATE sop_plans SET swept_through = @back", new { back = SopScene.Local(0, "12:00") });
        (await scene.RunAtAsync(0, "13:30")).ShouldBe(1, "only the new entry");
    }
}
