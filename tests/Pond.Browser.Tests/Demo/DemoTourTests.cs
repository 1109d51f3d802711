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
        var loaded = await brand.LoadAsync(3_000);
        // The demo's tags and acquisition, as `pond demo` plays them: the tag catalog and survey tags, channels and codes,
        // then days of signed WeCom callbacks over HTTP.
        await ActivatorUtilities.CreateInstance<DemoTags>(server.Services).SetUpAsync(loaded.Workspace.Id);
        await ActivatorUtilities.CreateInstance<DemoAcquisition>(server.Services).SetUpAsync(loaded.Workspace.Id);
        using (var http = new HttpClient { BaseAddress = server.BaseAddress })
            await ActivatorUtilities.CreateInstance<AcquisitionSimulator>(server.Services).RunAsync(loaded.Workspace.Id, 10, http);
        await server.Services.GetRequiredService<Pond.Ingestion.EventProcessor>().ProcessPendingAsync();
        await server.Services.GetRequiredService<Pond.Messaging.OutboxDispatcher>().DispatchDueAsync();

        var page = await fixture.NewPageAsync(server.BaseAddress);
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, DemoCatalog.OwnerEmail, DemoCatalog.Password);
        // The loaded customers plus the ones the simulated channels brought in.
        long customers;
        await using (var connection = await server.Services.GetRequiredService<Pond.Storage.Database>().OpenAsync())
            customers = await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT COUNT(*) FROM customers");
        customers.ShouldBeGreaterThan(3_000);
        await Expect(page.GetByTestId("stat-customers")).ToHaveTextAsync(customers.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
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

        await page.GotoAsync("/channels");
        await Expect(page.GetByTestId("channel-row")).ToHaveCountAsync(5);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "demo-channels.zh-CN");
        await page.GetByTestId("channel-row").Filter(new() { HasText = "双11包裹卡" }).Locator("a").ClickAsync();
        (await page.GetByTestId("code-row").Locator("td").Nth(5).InnerTextAsync()).ShouldNotBe("0");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "demo-channel.zh-CN");

        await page.GotoAsync("/channels/analytics");
        await Expect(page.GetByTestId("analytics-row")).ToHaveCountAsync(5);
        (await page.GetByTestId("analytics-total").Locator("td").Nth(1).InnerTextAsync()).ShouldNotBe("0");
        await Expect(page.GetByTestId("analytics-chart").Locator("canvas")).ToBeVisibleAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, page, "demo-channel-analytics.zh-CN");

        await page.GotoAsync("/outbox");
        await Expect(page.GetByTestId("outbox-row").First).ToContainTextAsync("莉莉女装");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "demo-outbox.zh-CN");

        // Tags: the survey's skin types and occasions on most customers, the channels' tags ungrouped.
        await page.GotoAsync("/audience/tags");
        var skin = page.Locator("[data-testid=tag-group][data-group-name='肤质']");
        await Expect(skin.GetByTestId("tag-row")).ToHaveCountAsync(4);
        (await skin.Locator("[data-tag='混合皮'] [data-testid=tag-customers]").InnerTextAsync()).ShouldNotBe("0");
        await Expect(page.Locator("[data-testid=tag-group][data-group-name=''] [data-tag='双11']")).ToBeVisibleAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, page, "demo-tags.zh-CN");

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
        await page.GotoAsync("/channels/analytics?by=code");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Channel analytics");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "demo-channel-analytics.en");
    }
}
