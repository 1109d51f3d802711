using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Server.Demo;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Demo;

/// <summary>What a newcomer sees after `pond serve --demo`: every page shows the demo brand's data.</summary>
[Collection(BrowserTests.Name)]
public sealed class DemoTourTests(BrowserFixture fixture)
{
    [Fact]
    public async Task DemoBrand_EveryPageShowsItsData_InChineseAndEnglish()
    {
        await using var server = await EmptyServer.StartAsync();
        var brand = ActivatorUtilities.CreateInstance<DemoBrand>(server.Services);
        await brand.LoadAsync(3_000);

        var page = await fixture.NewPageAsync(server.BaseAddress);
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, DemoCatalog.OwnerEmail, DemoCatalog.Password);
        await Expect(page.GetByTestId("stat-customers")).ToHaveTextAsync("3,000");
        (await page.GetByTestId("stat-events").InnerTextAsync()).ShouldNotBe("0");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "demo-home.zh-CN");

        await page.GotoAsync("/customers");
        await Expect(page.GetByTestId("customer-row")).Not.ToHaveCountAsync(0);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "demo-customers.zh-CN");

        // A friend of a staff account: the 360 page shows the relationship and a timeline.
        await page.GotoAsync("/customers?depth=friend");
        await page.GetByTestId("customer-row").First.Locator("a").First.ClickAsync();
        await Expect(page.GetByTestId("relationships")).ToContainTextAsync("企业微信");
        await Expect(page.GetByTestId("timeline").Locator("li")).Not.ToHaveCountAsync(0);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "demo-customer-360.zh-CN");

        await page.GotoAsync("/staff");
        await Expect(page.GetByTestId("staff-row")).ToHaveCountAsync(DemoCatalog.StaffNames.Length);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "demo-staff.zh-CN");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1").First).ToContainTextAsync("Staff");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "demo-staff.en");
        await page.GotoAsync("/");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "demo-home.en");
        await page.GotoAsync("/customers");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "demo-customers.en");
    }
}
