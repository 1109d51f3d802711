using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Commerce.Coupons;
using Pond.Ingestion;
using Pond.Journeys;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Journeys;

/// <summary>
/// The issue's browser must-show: an operator builds a 4-step journey in the visual editor (Signed Up → wait 1 day →
/// coupon → message → exit), simulates it and sees the steps, publishes it; a real Signed Up event through /v1/track
/// enters a real customer, and the dashboard shows the customer waiting, then (a day later on the server's clock)
/// through the coupon and the message. In Chinese and in English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class JourneyConsoleTests(BrowserFixture fixture)
{
    [Fact]
    public async Task BuildFourStepJourney_Simulate_Publish_CustomerMovesThroughIt()
    {
        // A server of its own, on a clock the test moves: the wait is a real day.
        var clock = new ManualClock(DateTimeOffset.UtcNow.AddSeconds(-DateTimeOffset.UtcNow.Second));
        await using var server = await PondServer.StartAsync(DbEngine.Sqlite, (_, services) => services.AddSingleton<TimeProvider>(clock), runEngines: false);
        var workspace = server.Workspace;
        var coupon = await server.Service<CouponTemplates>().CreateAsync(workspace.Id, new CouponTemplateInput
        {
            Name = "新人券 满100减20", Kind = CouponKinds.Threshold, Threshold = 100, Amount = 20, ValidDays = 7, PerCustomerLimit = 1,
        }, "tests");

        var page = await fixture.NewPageAsync(server.BaseAddress);
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);

        // The list, from the navigation; a blank journey opens the editor.
        await page.GetByTestId("nav-journeys").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("旅程");
        await Expect(page.GetByTestId("journeys-empty")).ToBeVisibleAsync();
        await page.GetByTestId("journey-new-name").FillAsync("新人欢迎旅程");
        await page.GetByTestId("journey-new-submit").ClickAsync();
        await Expect(page.GetByTestId("journey-title")).ToHaveTextAsync("新人欢迎旅程");
        var editor = page.GetByTestId("journey-editor");
        await Expect(editor).ToHaveAttributeAsync("data-ready", "true");

        // The trigger: the Signed Up event.
        await page.GetByTestId("trigger-kind").SelectOptionAsync("event");
        await page.GetByTestId("trigger-event").FillAsync("Signed Up");

        // The blank draft's one exit step goes; four steps come, each added after the one selected.
        await Node(page, "start").ClickAsync();
        await page.GetByTestId("delete-step").ClickAsync();
        await Expect(page.GetByTestId("graph-node")).ToHaveCountAsync(0);
        await page.GetByTestId("new-step-kind").SelectOptionAsync("wait");
        await page.GetByTestId("add-step").ClickAsync();
        await page.GetByTestId("step-name").FillAsync("等一天");
        await page.GetByTestId("duration-days").FillAsync("1");
        await page.GetByTestId("new-step-kind").SelectOptionAsync("coupon");
        await page.GetByTestId("add-step").ClickAsync();
        await page.GetByTestId("step-name").FillAsync("发新人券");
        await page.GetByTestId("coupon-template").SelectOptionAsync(coupon.Id.ToString());
        await page.GetByTestId("new-step-kind").SelectOptionAsync("message");
        await page.GetByTestId("add-step").ClickAsync();
        await page.GetByTestId("step-name").FillAsync("提醒用券");
        await page.GetByTestId("message-text").FillAsync("{name}，送你一张新人券：");
        await page.GetByRole(AriaRole.Button, new() { Name = "{coupon}" }).ClickAsync();
        await Expect(page.GetByTestId("message-text")).ToHaveValueAsync("{name}，送你一张新人券：{coupon}");
        await page.GetByTestId("new-step-kind").SelectOptionAsync("exit");
        await page.GetByTestId("add-step").ClickAsync();
        await Expect(page.GetByTestId("graph-node")).ToHaveCountAsync(4);
        await Expect(page.GetByTestId("edge")).ToHaveCountAsync(3);

        // Disconnect the last arrow by clicking it, then connect it again by dragging from the message's port to the exit.
        await page.Locator("[data-testid=edge][data-from='message-1']").ClickAsync(new() { Force = true });
        await page.GetByTestId("disconnect").ClickAsync();
        await Expect(page.GetByTestId("edge")).ToHaveCountAsync(3 - 1);
        await DragAsync(page, Node(page, "message-1").Locator("[data-port=next]"), Node(page, "exit-1"));
        await Expect(page.GetByTestId("edge")).ToHaveCountAsync(3);

        // Move the exit step to the right; the position is stored with the draft.
        var before = await Node(page, "exit-1").BoundingBoxAsync();
        await DragAsync(page, Node(page, "exit-1").Locator(".je-box"), Node(page, "exit-1").Locator(".je-box"), dx: 260, dy: 0);
        var after = await Node(page, "exit-1").BoundingBoxAsync();
        after!.X.ShouldBeGreaterThan(before!.X + 200);

        // A problem points at its step: an empty message text.
        await Node(page, "message-1").ClickAsync();
        await page.GetByTestId("message-text").FillAsync("");
        await page.GetByTestId("save-draft").ClickAsync();
        await Expect(page.GetByTestId("problem")).ToHaveCountAsync(1);
        await Expect(Node(page, "message-1")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("je-problem"));
        await page.GetByTestId("edit-trigger").ClickAsync();
        await page.GetByTestId("problem").ClickAsync();
        await Expect(page.GetByTestId("step-id")).ToHaveTextAsync("message-1");
        await Expect(page.GetByTestId("step-problem")).ToBeVisibleAsync();
        await page.GetByTestId("message-text").FillAsync("{name}，送你一张新人券：{coupon}");
        await page.GetByTestId("save-draft").ClickAsync();
        await Expect(page.GetByTestId("no-problems")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("editor-notice")).ToHaveTextAsync("草稿已保存。");

        var journeyId = Guid.Parse(page.Url.Split('/')[^1]);
        var draft = (await server.Service<JourneyCatalog>().GetAsync(workspace.Id, journeyId)).Draft;
        draft.Trigger.Event.ShouldBe("Signed Up");
        draft.Start.ShouldBe("wait-1");
        draft.Steps.Select(s => s.Kind).ShouldBe(["wait", "coupon", "message", "exit"]);
        draft.Steps[0].Duration!.Days.ShouldBe(1);
        draft.Steps[1].TemplateId.ShouldBe(coupon.Id);
        draft.Steps[2].Next.ShouldBe("exit-1");
        draft.Steps[3].Position![0].ShouldBeGreaterThan(draft.Steps[2].Position![0] + 200);
        await Node(page, "coupon-1").ClickAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, page, "journey-editor.zh-CN");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(editor).ToHaveAttributeAsync("data-ready", "true");
        await Node(page, "message-1").ClickAsync();
        await Expect(page.GetByTestId("step-panel")).ToContainTextAsync("Channel");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "journey-editor.en");
        await page.GetByRole(AriaRole.Button, new() { Name = "中文" }).ClickAsync();
        await Expect(editor).ToHaveAttributeAsync("data-ready", "true");

        // Simulate: a hypothetical customer who signs up; the draft's four steps on the time axis, a day apart from the start.
        await page.GetByTestId("simulate-link").ClickAsync();
        await Expect(page.GetByTestId("simulate-title")).ToContainTextAsync("新人欢迎旅程");
        await page.GetByTestId("sim-traits").FillAsync("name=林小雨");
        await page.GetByTestId("timeline-event").First.FillAsync("Order Completed");
        await page.GetByTestId("simulate-run").ClickAsync();
        var steps = page.GetByTestId("sim-step");
        await Expect(steps).ToHaveCountAsync(4);
        await Expect(steps.Nth(0)).ToHaveAttributeAsync("data-step", "wait-1");
        await Expect(steps.Nth(0)).ToContainTextAsync("+1d");
        await Expect(steps.Nth(1)).ToHaveAttributeAsync("data-step", "coupon-1");
        await Expect(steps.Nth(1)).ToContainTextAsync("已发券");
        await Expect(steps.Nth(2)).ToHaveAttributeAsync("data-step", "message-1");
        await Expect(steps.Nth(3)).ToHaveAttributeAsync("data-step", "exit-1");
        await Expect(page.GetByTestId("sim-message")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("sim-message")).ToContainTextAsync("林小雨，送你一张新人券");
        await Expect(page.GetByTestId("simulation-end")).ToContainTextAsync("已退出");
        await Expect(page.GetByTestId("simulation-graph")).ToHaveAttributeAsync("data-rendered", "true");
        await Expect(page.Locator("[data-testid=simulation-graph] .je-on-path")).ToHaveCountAsync(4);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "journey-simulate.zh-CN");

        // Publish from the editor.
        await page.GotoAsync($"/journeys/{journeyId}");
        await Expect(editor).ToHaveAttributeAsync("data-ready", "true");
        await page.GetByTestId("publish").ClickAsync();
        await Expect(page.GetByTestId("editor-notice")).ToHaveTextAsync("已发布为第 1 版。");
        await Expect(page.GetByTestId("journey-status")).ToHaveTextAsync("进行中");

        // A real customer signs up through the tracking API; the processor enters them, the engine runs the due step.
        using var tracking = workspace.TrackingClient();
        (await tracking.PostAsJsonAsync("/v1/identify", new { userId = "u-lin", traits = new { name = "林小雨" } })).EnsureSuccessStatusCode();
        (await tracking.PostAsJsonAsync("/v1/track", new { userId = "u-lin", @event = "Signed Up" })).EnsureSuccessStatusCode();
        await server.Service<EventProcessor>().ProcessPendingAsync();
        var engine = server.Service<JourneyEngine>();
        await engine.RunDueAsync();

        await page.GetByTestId("dashboard-link").ClickAsync();
        await Expect(page.GetByTestId("dashboard-title")).ToHaveTextAsync("新人欢迎旅程");
        await Expect(page.GetByTestId("stat-entered")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("stat-waiting")).ToHaveTextAsync("1");
        await Expect(page.Locator("[data-testid=step-row][data-step='wait-1'] [data-metric=waiting]")).ToHaveTextAsync("1");
        await Expect(page.Locator("[data-testid=dashboard-graph] [data-step='wait-1'] [data-testid=node-counts]")).ToContainTextAsync("等待中 1");
        var runRow = page.GetByTestId("run-row");
        await Expect(runRow).ToHaveCountAsync(1);
        await Expect(runRow.GetByTestId("run-step")).ToHaveTextAsync("等一天");
        await Expect(runRow).ToContainTextAsync("林小雨");

        // A day later on the server's clock: the wait is over; the live panel shows the coupon issued, the message queued
        // and the customer gone through the exit step.
        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await engine.RunDueAsync();
        await Expect(page.GetByTestId("stat-exited")).ToHaveTextAsync("1", new() { Timeout = 10_000 });
        await Expect(page.GetByTestId("stat-waiting")).ToHaveTextAsync("0");
        await Expect(page.Locator("[data-testid=step-row][data-step='coupon-1'] [data-metric=outcomes]")).ToHaveTextAsync("已发券 1");
        await Expect(page.Locator("[data-testid=step-row][data-step='message-1'] [data-metric=outcomes]")).ToHaveTextAsync("已入发件箱 1");
        await Expect(page.Locator("[data-testid=dashboard-graph] [data-step='coupon-1'] [data-testid=node-counts]")).ToContainTextAsync("已发券 1");
        await page.ReloadAsync();
        await Expect(page.GetByTestId("run-row").GetByTestId("run-state")).ToHaveTextAsync("已退出");
        await Expect(page.GetByTestId("journey-messages")).Not.ToContainTextAsync("暂无消息");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "journey-dashboard.zh-CN");

        // The run: every step it took, in order, on its version's graph.
        await page.GetByTestId("run-link").ClickAsync();
        await Expect(page.GetByTestId("run-state")).ToHaveTextAsync("已退出");
        await Expect(page.GetByTestId("run-step")).ToHaveCountAsync(4);
        await Expect(page.GetByTestId("run-step").Nth(1)).ToContainTextAsync("发新人券");
        await Expect(page.GetByTestId("run-graph")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "journey-run.zh-CN");

        // The list shows the counters.
        await page.GotoAsync("/journeys");
        var row = page.Locator($"[data-testid=journey-row][data-journey='{journeyId}']");
        await Expect(row.Locator("[data-metric=entered]")).ToHaveTextAsync("1");
        await Expect(row.Locator("[data-metric=waiting]")).ToHaveTextAsync("0");
        await Expect(page.GetByTestId("template")).ToHaveCountAsync(JourneyTemplates.List().Count);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "journeys-list.zh-CN");

        // In English.
        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Journeys");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "journeys-list.en");
        await page.GotoAsync($"/journeys/{journeyId}/dashboard");
        await Expect(page.GetByTestId("journey-stats")).ToContainTextAsync("Entered");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "journey-dashboard.en");
        await page.GotoAsync($"/journeys/{journeyId}/simulate");
        await page.GetByTestId("simulate-run").ClickAsync();
        await Expect(page.GetByTestId("sim-step")).ToHaveCountAsync(4);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "journey-simulate.en");
    }

    [Fact]
    public async Task Template_CreatesADraft_TheEditorDrawsIt_AndTheLadderSimulates()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("journey-templates");
        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GotoAsync("/journeys");
        await page.Locator("[data-testid=template][data-template='luckin_ladder'] [data-testid=use-template]").ClickAsync();
        await Expect(page.GetByTestId("journey-editor")).ToHaveAttributeAsync("data-ready", "true");
        await Expect(page.GetByTestId("journey-title")).ToContainTextAsync("瑞幸阶梯券");
        await Expect(page.GetByTestId("no-problems")).ToBeVisibleAsync();
        var nodes = page.GetByTestId("graph-node");
        (await nodes.CountAsync()).ShouldBeGreaterThan(10);
        await Node(page, "coupon_85").ClickAsync();
        await Expect(page.GetByTestId("coupon-template").Locator("option:checked")).ToHaveTextAsync("阶梯券 85折");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "journey-editor-ladder.zh-CN");

        // Never buys: 85折, then 4.3折, then 2.8折.
        await page.GetByTestId("simulate-link").ClickAsync();
        await page.Locator("[data-testid=timeline-row] button").First.ClickAsync();
        await page.GetByTestId("simulate-run").ClickAsync();
        var issued = page.Locator("[data-testid=sim-step]", new() { HasText = "已发券" });
        await Expect(issued).ToHaveCountAsync(3);
        await Expect(issued.Nth(0)).ToContainTextAsync("85折");
        await Expect(issued.Nth(1)).ToContainTextAsync("4.3折");
        await Expect(issued.Nth(2)).ToContainTextAsync("2.8折");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "journey-simulate-ladder.zh-CN");
    }

    [Fact]
    public async Task DemoJourneys_LookAlive_OnTheListAndTheDashboard()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("journey-demo");
        await Pond.Tests.Fission.DemoReferralsTests.SmallBrandAsync(workspace, customers: 300);
        var demo = await Pond.Server.Demo.DemoJourneys.SetUpAsync(fixture.Server.App.Services, workspace.Id);
        demo.Enrolled.ShouldBeGreaterThan(200);
        demo.Steps.ShouldBeGreaterThan(0);
        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);

        await page.GotoAsync("/journeys");
        await Expect(page.GetByTestId("journey-row")).ToHaveCountAsync(5);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "journeys-list-demo.zh-CN");
        await page.GotoAsync($"/journeys/{demo.Journeys["first_order_3_days"]}/dashboard");
        await Expect(page.GetByTestId("stat-waiting")).Not.ToHaveTextAsync("0");
        await Expect(page.GetByTestId("run-row").First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("message-state-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "journey-dashboard-demo.zh-CN");
        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.GetByTestId("journey-stats")).ToContainTextAsync("Waiting in a step");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "journey-dashboard-demo.en");
    }

    private static ILocator Node(IPage page, string stepId) => page.Locator($"[data-testid=graph-node][data-step='{stepId}']");

    private static async Task DragAsync(IPage page, ILocator from, ILocator to, float dx = 0, float dy = 0)
    {
        var a = (await from.BoundingBoxAsync())!;
        var b = (await to.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(a.X + a.Width / 2, a.Y + a.Height / 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(b.X + b.Width / 2 + dx / 2, b.Y + b.Height / 2 + dy / 2, new() { Steps = 5 });
        await page.Mouse.MoveAsync(b.X + b.Width / 2 + dx, b.Y + b.Height / 2 + dy, new() { Steps = 5 });
        await page.Mouse.UpAsync();
    }
}
