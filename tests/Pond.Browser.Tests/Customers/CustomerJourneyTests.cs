using System.Net.Http.Json;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Ingestion;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Customers;

/// <summary>
/// The "must show": events sent through the tracking API become one customer (merging two profiles
/// known by different identities), whom an operator finds by phone and opens, in Chinese and in English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class CustomerJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task SignIn_SearchByPhone_Open360_SeeTheMerge_SwitchLanguage()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("journey");
        using var tracking = workspace.TrackingClient();
        // Two profiles: a mini-program user known by user id, and an official-account visitor known by phone.
        (await tracking.PostAsJsonAsync("/v1/identify", new { userId = "mp-7788", traits = new { name = "苏小鹿", city = "杭州" } })).EnsureSuccessStatusCode();
        (await tracking.PostAsJsonAsync("/v1/identify", new { anonymousId = "anon-oa-1", traits = new { phone = "13912345678" } })).EnsureSuccessStatusCode();
        await fixture.Server.Service<EventProcessor>().ProcessPendingAsync();
        // One event names both: they are the same person.
        (await tracking.PostAsJsonAsync("/v1/track", new { userId = "mp-7788", anonymousId = "anon-oa-1", @event = "Order Completed", properties = new { order_id = "J-1", revenue = 459 } })).EnsureSuccessStatusCode();
        await fixture.Server.Service<EventProcessor>().ProcessPendingAsync();

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "客户", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("客户");

        await page.GetByTestId("customer-search").FillAsync("13912345678");
        await page.GetByTestId("customer-search").PressAsync("Enter");
        var rows = page.GetByTestId("customer-row");
        await Expect(rows).ToHaveCountAsync(1);
        // Lists mask personal data.
        await Expect(rows.First).ToContainTextAsync("139****5678");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "customers-search.zh-CN");

        await rows.First.Locator("a").First.ClickAsync();
        var profile = page.GetByTestId("customer-360");
        await Expect(profile).ToBeVisibleAsync();
        await Expect(page.GetByTestId("customer-name")).ToContainTextAsync("苏小鹿");
        await Expect(page.GetByTestId("identities")).ToContainTextAsync("13912345678");
        await Expect(page.GetByTestId("identities")).ToContainTextAsync("mp-7788");
        await Expect(page.GetByTestId("identities")).ToContainTextAsync("anon-oa-1");
        await Expect(page.GetByTestId("merges")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("merges").Locator("tr, li")).Not.ToHaveCountAsync(0);
        await Expect(page.GetByTestId("timeline")).ToContainTextAsync("Order Completed");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "customer-360.zh-CN");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Identities" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Merge history" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("customer-name")).ToContainTextAsync("苏小鹿");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "customer-360.en");
    }
}
