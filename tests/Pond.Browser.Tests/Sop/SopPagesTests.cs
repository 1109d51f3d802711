using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Customers;
using Pond.Sop;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Workspaces;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Sop;

/// <summary>
/// An operator builds a customer SOP (day 0/1/3/7) in the editor; a customer adds the guide's WeCom account, the clock
/// moves and the engine runs; the task appears in the list, the guide clicks done and the completion rate moves.
/// Every SOP page is photographed in Chinese and English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class SopPagesTests(BrowserFixture fixture)
{
    [Fact]
    public async Task CustomerSop_BuiltInTheEditor_MakesATask_DoneInOneClick_MovesTheCompletionRate()
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(DbEngine.Sqlite, clock);
        var seed = new CustomerSeed(server.Workspace);
        var mei = await seed.StaffAsync("小美");
        var wecom = await seed.CarrierAsync(CarrierKinds.WecomAccount, "小美的企业微信", "xiaomei", mei);
        var group = await seed.CarrierAsync(CarrierKinds.GroupChat, "Lumi 宝妈 1 群", "wrMOMS1", mei);
        using (var admin = server.Workspace.AdminClient())
            (await admin.PutAsync($"/api/sop/groups/{group}/tags", System.Net.Http.Json.JsonContent.Create(new { tags = new[] { "宝妈群" } }))).EnsureSuccessStatusCode();
        await server.Service<WorkspaceService>().AddMemberAsync(server.Workspace.Id, "mei@lily.test", PondServer.OwnerPassword, Roles.Staff, "小美", mei, "test");

        var page = await fixture.NewPageAsync(server.BaseAddress);
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, server.Workspace.OwnerEmail, PondServer.OwnerPassword);
        await Expect(page.Locator(".nav-section", new() { HasText = "自动化" })).ToBeVisibleAsync();
        await page.GetByTestId("nav-sop").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("SOP 计划");
        await page.GetByTestId("new-customer-sop").ClickAsync();
        await Expect(page.GetByTestId("sop-entry")).ToHaveCountAsync(7, new() { Timeout = 5_000 });
        await page.GetByTestId("sop-name").FillAsync("新好友 7 天跟进");
        var texts = new[] { "{name} 你好，我是小美，有问题随时找我", "新人券明天到期哦", "用得怎么样？", "本周新品推荐" };
        for (var i = 0; i < texts.Length; i++)
            await page.GetByTestId("entry-text").Nth(i).FillAsync(texts[i]);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "sop-editor.zh-CN");
        await page.GetByTestId("sop-save").ClickAsync();
        await Expect(page.GetByTestId("sop-saved")).ToBeVisibleAsync();
        var plan = (await server.Service<SopPlans>().ListAsync(server.Workspace.Id)).ShouldHaveSingleItem();
        plan.Entries.Select(e => (e.DayOffset, e.Time)).ShouldBe([(0, "10:00"), (1, "10:00"), (3, "10:00"), (7, "10:00")]);

        // A group SOP too, so the calendar shows both kinds.
        await server.Service<SopPlans>().CreateAsync(server.Workspace.Id, new SopPlanInput
        {
            Kind = SopKinds.Group, Name = "宝妈群每日 SOP", GroupTags = ["宝妈群"],
            Entries = [new() { Time = "08:00", Title = "早安问候", Text = "早上好" }, new() { Time = "12:00", Title = "午间新品", Text = "今日新品" }, new() { Time = "20:00", Title = "晚间活动", Text = "今晚直播" }],
        }, "test");

        // Amy adds 小美 a minute later; the clock moves another minute and the engine runs.
        clock.Advance(TimeSpan.FromMinutes(1));
        var amy = await seed.CustomerAsync("Amy 王", Depth.Friend, mei);
        await seed.RelationshipAsync(amy, wecom, clock.GetUtcNow());
        clock.Advance(TimeSpan.FromMinutes(1));
        (await server.Service<SopEngine>().RunDueAsync()).ShouldBe(1);

        await page.GotoAsync("/automation/tasks/completion");
        await Expect(page.GetByTestId("completion-rate")).ToHaveTextAsync("0%");

        // The guide signs in and lands on her tasks.
        var guide = await fixture.NewPageAsync(server.BaseAddress);
        await ConsoleSteps.SignInAsync(guide, "mei@lily.test", PondServer.OwnerPassword);
        await guide.WaitForURLAsync("**/tasks");
        await Expect(guide.Locator("h1")).ToHaveTextAsync("我的任务");
        var row = guide.GetByTestId("task-row");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row.GetByTestId("task-body")).ToHaveTextAsync("Amy 王 你好，我是小美，有问题随时找我");
        await ConsoleSteps.ScreenshotAsync(fixture, guide, "sop-tasks.zh-CN");
        await row.GetByTestId("task-done").ClickAsync();
        await Expect(guide.GetByTestId("task-state")).ToHaveTextAsync("已完成");
        await Expect(guide.GetByTestId("task-done")).ToHaveCountAsync(0);
        await guide.GetByTestId("tasks-view-open").ClickAsync();
        await Expect(guide.GetByTestId("tasks-empty")).ToBeVisibleAsync();
        await guide.GetByTestId("tasks-view-done").ClickAsync();
        await Expect(guide.GetByTestId("task-state")).ToHaveTextAsync("已完成");
        await Expect(guide.GetByTestId("stat-rate")).ToHaveTextAsync("100%");

        await page.ReloadAsync();
        await Expect(page.GetByTestId("completion-rate")).ToHaveTextAsync("100%");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "sop-completion.zh-CN");
        await page.GotoAsync("/automation/sop");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "sop-plans.zh-CN");
        await page.GotoAsync("/automation/sop/calendar");
        await Expect(page.GetByTestId("sop-slot").First).ToBeVisibleAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, page, "sop-calendar.zh-CN");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("SOP calendar");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "sop-calendar.en");
        await page.GotoAsync("/automation/sop");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "sop-plans.en");
        await page.GotoAsync($"/automation/sop/{plan.Id}");
        await Expect(page.Locator("h1")).ToHaveTextAsync("新好友 7 天跟进");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "sop-editor.en");
        await page.GotoAsync("/automation/tasks/completion");
        await Expect(page.GetByTestId("completion-rate")).ToHaveTextAsync("100%");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "sop-completion.en");
        await page.GotoAsync("/tasks?view=all");
        await Expect(page.GetByTestId("task-state")).ToHaveTextAsync("Done");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "sop-tasks.en");
    }
}
