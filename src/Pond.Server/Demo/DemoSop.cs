using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Pond.Sop;
using Pond.Storage;

namespace Pond.Server.Demo;

/// <summary>
/// The demo brand's SOP: a daily group SOP (08:00 greeting, 12:00 product, 20:00 activity) for its member groups, a
/// moments plan across three staff accounts with per-account wording, and a customer SOP (day 0, 1, 3, 7). The plans
/// start three weeks ago and the real engine sweeps those weeks in six-hour steps, so the tasks are what it would have
/// made; then staff answer them with realistic habits (some diligent, some late, some overdue). WeCom message tasks are
/// switched on only after the backfill, so no past message waits in the outbox. Deterministic (a fixed seed).
/// </summary>
internal static class DemoSop
{
    private const string Actor = "demo";
    private static readonly TimeSpan History = TimeSpan.FromDays(21);

    public static async Task SetUpAsync(IServiceProvider services, Guid workspaceId)
    {
        var database = services.GetRequiredService<Database>();
        var plans = services.GetRequiredService<SopPlans>();
        var engine = services.GetRequiredService<SopEngine>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var random = new Random(20261124);

        List<Guid> staff;
        List<Guid> groups;
        List<Guid> content;
        await using (var connection = await database.OpenAsync())
        {
            staff = (await connection.QueryAsync<Guid>(
                "SELECT id FROM staff WHERE workspace_id = @workspaceId AND status = 'active' ORDER BY name, id", new { workspaceId })).AsList();
            // One member group per staff member serves the daily calendar (their owners get the tasks).
            groups = (await connection.QueryAsync<Guid>(
                "SELECT id FROM carriers WHERE workspace_id = @workspaceId AND kind = 'group_chat' AND status = 'active' ORDER BY external_id LIMIT 12", new { workspaceId })).AsList();
            content = (await connection.QueryAsync<Guid>(
                "SELECT id FROM content_items WHERE workspace_id = @workspaceId AND archived = @no ORDER BY created_at LIMIT 3", new { workspaceId, no = false })).AsList();
        }

        if (staff.Count < 3)
            return;
        for (var i = 0; i < groups.Count; i++)
            await plans.SetGroupTagsAsync(workspaceId, groups[i], i % 3 == 0 ? ["会员群", "宝妈群"] : ["会员群"], Actor);
        Guid? Content(int i) => content.Count > i ? content[i] : null;

        await plans.CreateAsync(workspaceId, new SopPlanInput
        {
            Kind = SopKinds.Group, Name = "会员群每日 SOP", GroupTags = ["会员群"], WecomTasks = false,
            Entries =
            [
                new() { Time = "08:00", Title = "早安问候", Text = "早上好呀～今天也要美美的！降温了记得加件外套，有搭配问题随时问{staff}～" },
                new() { Time = "12:00", Title = "午间新品", Text = "今日上新：羊绒混纺针织开衫，群内专享 9 折，点小程序卡片即可下单。", ContentId = Content(0) },
                new() { Time = "20:00", Title = "晚间活动", Text = "今晚 8 点直播间抽奖送围巾，记得准时来哦～", ContentId = Content(1) },
            ],
        }, Actor);
        await plans.CreateAsync(workspaceId, new SopPlanInput
        {
            Kind = SopKinds.Moments, Name = "朋友圈日更", StaffIds = staff.Take(3).ToList(),
            Entries =
            [
                new()
                {
                    Time = "09:30", Title = "早间穿搭", Text = "今日通勤穿搭分享：驼色大衣 + 白色针织，简单又高级。",
                    Variations = new Dictionary<Guid, string> { [staff[1]] = "小个子也能驾驭的长大衣，今天亲测 155 穿 S 码刚刚好～", [staff[2]] = "周末约会这样穿，温柔又显气色 ✨" },
                },
                new() { Time = "19:00", Title = "晚间种草", Text = "会员日倒计时 3 天，收藏夹里的宝贝可以先加购啦～", ContentId = Content(2) },
            ],
        }, Actor);
        await plans.CreateAsync(workspaceId, new SopPlanInput
        {
            Kind = SopKinds.Customer, Name = "新好友 7 天跟进", WecomTasks = false,
            Entries =
            [
                new() { Time = "10:00", DayOffset = 0, Title = "欢迎与新人券", Text = "{name} 你好，我是{staff}～新人券已发到你的账户，有尺码问题随时问我。" },
                new() { Time = "10:00", DayOffset = 1, Title = "新人券提醒", Text = "新人券还有 2 天到期，看中的款可以先下单哦～" },
                new() { Time = "10:00", DayOffset = 3, Title = "使用反馈", Text = "收到衣服了吗？穿着感觉怎么样，有需要帮你搭配的吗？" },
                new() { Time = "10:00", DayOffset = 7, Title = "复购推荐", Text = "本周新品到了，给你挑了几件适合你风格的，看看喜不喜欢～" },
            ],
        }, Actor);

        // The plans began three weeks ago; the engine sweeps those weeks as if it had been running.
        var start = now - History;
        await using (var connection = await database.OpenAsync())
            await connection.ExecuteAsync("UPDATE sop_plans SET starts_at = @start, swept_through = @start WHERE workspace_id = @workspaceId", new { workspaceId, start });
        for (var at = start.AddHours(6); at < now; at = at.AddHours(6))
            await engine.RunDueAsync(at);
        await engine.RunDueAsync(now);

        // Staff answer their tasks with their own habits: most on the day, some the next day, a few skipped, some never.
        var diligence = staff.ToDictionary(id => id, _ => 0.6 + random.NextDouble() * 0.35);
        await using (var connection = await database.OpenAsync())
        {
            var tasks = (await connection.QueryAsync<DemoTask>(
                "SELECT id, staff_id, due_at FROM staff_tasks WHERE workspace_id = @workspaceId AND source LIKE 'sop:%' AND state = 'open' AND due_at <= @now ORDER BY due_at, id",
                new { workspaceId, now })).AsList();
            await using var transaction = await connection.BeginTransactionAsync();
            foreach (var task in tasks)
            {
                var chance = task.StaffId is { } s && diligence.TryGetValue(s, out var d) ? d : 0.5;
                // Today's later tasks are still to do for most people.
                if (now - task.DueAt < TimeSpan.FromHours(3))
                    chance *= 0.4;
                var roll = random.NextDouble();
                if (roll < chance)
                {
                    var late = random.NextDouble() < 0.15 ? TimeSpan.FromHours(16 + random.Next(20)) : TimeSpan.FromMinutes(5 + random.Next(150));
                    var doneAt = task.DueAt + late < now ? task.DueAt + late : now;
                    await connection.ExecuteAsync("UPDATE staff_tasks SET state = 'done', done_at = @doneAt, done_by = @by WHERE id = @Id",
                        new { task.Id, doneAt, by = "staff" }, transaction);
                }
                else if (roll < chance + 0.05)
                {
                    await connection.ExecuteAsync("UPDATE staff_tasks SET state = 'skipped', done_at = @doneAt, done_by = @by WHERE id = @Id",
                        new { task.Id, doneAt = task.DueAt.AddHours(1) < now ? task.DueAt.AddHours(1) : now, by = "staff" }, transaction);
                }
            }

            // From now on the group and customer plans also create WeCom message tasks.
            await connection.ExecuteAsync("UPDATE sop_plans SET wecom_tasks = @yes WHERE workspace_id = @workspaceId", new { workspaceId, yes = true }, transaction);
            await transaction.CommitAsync();
        }


    }

    private sealed class DemoTask
    {
        public Guid Id { get; init; }
        public Guid? StaffId { get; init; }
        public DateTimeOffset DueAt { get; init; }
    }
}
