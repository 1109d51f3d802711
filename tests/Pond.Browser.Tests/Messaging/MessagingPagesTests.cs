using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Messaging;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Messaging;

/// <summary>
/// Four messages meet the respect rules: one is sent, one is over the daily cap, one goes to a customer who opted out,
/// and an order update (transactional) goes through regardless. The operator sees each on the outbox with its reason,
/// handles an inbox message, and raises the daily cap. Every messaging page is photographed in Chinese and English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class MessagingPagesTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Outbox_ShowsEachMessageWithItsReason_InboxIsHandled_AndTheCapIsRaised()
    {
        // 10:00 in Shanghai, the workspace's zone: outside quiet hours.
        var clock = new ManualClock(new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddHours(2));
        await using var server = await ScoreKit.StartAsync(DbEngine.Sqlite, clock);
        var seed = new CustomerSeed(server.Workspace);
        var lin = await seed.CustomerAsync("林晓");
        var wang = await seed.CustomerAsync("王芳", optedOut: true);
        using var admin = server.Workspace.AdminClient();
        (await admin.PutAsJsonAsync("/api/messaging/settings", new { dailyCap = 1, weeklyCap = 3 })).EnsureSuccessStatusCode();
        async Task SendAsync(Guid customer, string purpose, string text) =>
            (await admin.PostAsJsonAsync("/api/messages", new { customerId = customer, channel = "inbox", purpose, text })).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await SendAsync(lin, "marketing", "{name}，新品到店，本周会员85折");
        await SendAsync(lin, "marketing", "{name}，周末特惠最后一天");
        await SendAsync(wang, "marketing", "{name}，新品到店");
        await SendAsync(wang, "transactional", "{name}，你的订单已发货");
        (await server.Service<OutboxDispatcher>().DispatchDueAsync()).ShouldBe(4);

        var page = await fixture.NewPageAsync(server.BaseAddress);
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, server.Workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GotoAsync("/outbox");
        await Expect(page.Locator("h1")).ToHaveTextAsync("发件箱");
        var rows = page.GetByTestId("outbox-row");
        await Expect(rows).ToHaveCountAsync(4);
        await Expect(page.Locator("[data-testid=outbox-row][data-state=suppressed]")).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-testid=outbox-row][data-state=sent]")).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("outbox-reason").Filter(new() { HasText = "每日" })).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("outbox-reason").Filter(new() { HasText = "退订" })).ToHaveCountAsync(1);
        // A suppressed message still shows the words it would have said, not its template.
        await Expect(page.Locator("[data-testid=outbox-row][data-state=suppressed]").Filter(new() { HasText = "林晓，周末特惠最后一天" })).ToHaveCountAsync(1);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "outbox.zh-CN");

        // The two sent messages wait in the console inbox; the operator handles the order update.
        await page.GotoAsync("/inbox");
        var inbox = page.GetByTestId("inbox-row");
        await Expect(inbox).ToHaveCountAsync(2);
        await inbox.Filter(new() { HasText = "王芳，你的订单已发货" }).GetByTestId("mark-handled").ClickAsync();
        await Expect(page.GetByTestId("inbox-row")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("inbox-row")).ToContainTextAsync("林晓，新品到店，本周会员85折");
        await page.GotoAsync("/inbox?show=all");
        await Expect(page.GetByTestId("inbox-row")).ToHaveCountAsync(2);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "inbox.zh-CN");

        await page.GotoAsync("/messaging/settings");
        await page.GetByTestId("daily-cap").FillAsync("2");
        await page.GetByTestId("messaging-settings").Locator("button[type=submit]").Last.ClickAsync();
        await Expect(page.GetByTestId("settings-saved")).ToBeVisibleAsync();
        var settings = await admin.GetFromJsonAsync<JsonElement>("/api/messaging/settings");
        (settings.GetProperty("dailyCap").GetInt32(), settings.GetProperty("weeklyCap").GetInt32()).ShouldBe((2, 3));
        await ConsoleSteps.ScreenshotAsync(fixture, page, "messaging-settings.zh-CN");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Messaging settings");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "messaging-settings.en");
        await page.GotoAsync("/outbox");
        await Expect(page.GetByTestId("outbox-reason").Filter(new() { HasText = "daily frequency cap" })).ToHaveCountAsync(1);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "outbox.en");
        await page.GotoAsync("/inbox?show=all");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Inbox");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "inbox.en");
    }
}
