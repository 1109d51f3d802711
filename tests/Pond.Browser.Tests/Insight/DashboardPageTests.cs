using Microsoft.Playwright;
using Pond.Analytics;
using Pond.Browser.Tests.Infrastructure;
using Pond.Storage;
using Pond.Tests.Analytics;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Insight;

/// <summary>
/// An operations lead opens the home page on two hand-counted fortnights (InsightSeed): the period's figures against
/// the one before, the daily chart, the GMV equation with each factor's share of the change, then the leaderboards.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class DashboardPageTests(BrowserFixture fixture)
{
    private const string Fortnight = "from=2026-11-16&to=2026-11-30";

    [Fact]
    public async Task Dashboard_ShowsTheGmvEquationAndItsSplit_AndTheLeaderboards_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("insight");
        await new InsightSeed(fixture.Server.Service<Database>(), workspace.Id).SeedAsync();
        await fixture.Server.Service<InsightRefresher>().RebuildAsync(workspace.Id, new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 30));

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GotoAsync($"/?{Fortnight}");
        await Expect(page.GetByTestId("stat-gmv")).ToHaveTextAsync("¥1,800.00");
        await Expect(page.GetByTestId("stat-buyers")).ToHaveTextAsync("10");
        await Expect(page.GetByTestId("stat-repurchase")).ToHaveTextAsync("20.0%");
        await Expect(page.GetByTestId("equation-gmv")).ToHaveTextAsync("¥1,800.00");
        await Expect(page.GetByTestId("equation-change")).ToHaveTextAsync("+¥1,300.00");
        await Expect(page.Locator("[data-factor=inflow_conversion] .factor-value")).ToHaveTextAsync("10.0%");
        await Expect(page.GetByTestId("share-inflow_conversion")).ToHaveTextAsync("¥0.00");
        await Expect(page.GetByTestId("dashboard-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await Expect(page.GetByTestId("equation-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await Expect(page.GetByTestId("top-channels")).ToContainTextAsync("包裹卡");
        await Expect(page.Locator("h1")).ToHaveTextAsync("概览");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "dashboard.zh-CN");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.GetByText("The GMV equation")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("equation-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "dashboard.en");

        await page.GetByRole(AriaRole.Link, new() { Name = "Channel ROI →" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Leaderboards");
        var channel = page.GetByTestId("roi-table").Locator("tbody tr", new() { HasText = "包裹卡" });
        await Expect(channel).ToContainTextAsync("¥300.00");
        await Expect(channel).ToContainTextAsync("4.00×");
        await Expect(page.GetByTestId("staff-table")).ToContainTextAsync("小美");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "leaderboards.en");
        await page.GetByRole(AriaRole.Button, new() { Name = "中文" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("渠道与导购");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "leaderboards.zh-CN");
    }
}
