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
/// The browser must-show: an operator builds a 4-step journey in the visual editor (Signed Up → wait 1 day →
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
