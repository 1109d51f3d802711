using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Storage;
using Pond.Tests.Channels;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Channels;

/// <summary>
/// An operator opens channel analytics from the navigation, picks a month and the per-code view, reads the numbers
/// and sees the daily chart drawn, in Chinese and in English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class ChannelAnalyticsPageTests(BrowserFixture fixture)
{
    [Fact]
    public async Task ChannelAnalytics_PickRangeAndView_TableAndChartShow_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("analytics");
        // The shared server runs on the real clock: the seeded month ends three days ago (in Shanghai).
        var today = DateOnly.FromDateTime(DateTimeOffset.UtcNow.ToOffset(ChannelAnalyticsSeed.Shanghai).DateTime);
        var seed = new ChannelAnalyticsSeed(fixture.Server.Service<Database>(), workspace.Id, today.AddDays(-32));
        await seed.SeedAsync();

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "渠道分析", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("渠道分析");

        await page.GetByTestId("analytics-from").FillAsync(seed.FirstDay.ToString("yyyy-MM-dd"));
        await page.GetByTestId("analytics-to").FillAsync(seed.LastDay.ToString("yyyy-MM-dd"));
        await page.GetByTestId("analytics-by").SelectOptionAsync("code");
        await page.GetByRole(AriaRole.Button, new() { Name = "查询" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("by=code", StringComparison.Ordinal));

        var codeA = page.Locator($"[data-row-id='{seed.CodeA}']");
        await Expect(codeA).ToContainTextAsync("包裹卡-A");
        await Expect(codeA.Locator("[data-metric=visits]")).ToHaveTextAsync("10");
        await Expect(codeA.Locator("[data-metric=adds]")).ToHaveTextAsync("6");
        await Expect(codeA.Locator("[data-metric=add-rate]")).ToHaveTextAsync("60.0%");
        await Expect(codeA.Locator("[data-metric=cost]")).ToHaveTextAsync("¥300.00");
        await Expect(codeA.Locator("[data-metric=cost-per-add]")).ToHaveTextAsync("¥50.00");
        await Expect(codeA.Locator("[data-metric=deletion-rate]")).ToHaveTextAsync("37.5%");
        await Expect(page.GetByTestId("analytics-row")).ToHaveCountAsync(4);
        await Expect(page.Locator("[data-row-id=unattributed]")).ToContainTextAsync("未归因");
        await Expect(page.Locator("[data-row-id=unattributed] [data-metric=add-rate]")).ToHaveTextAsync("—");
        await Expect(page.GetByTestId("analytics-total").Locator("[data-metric=cost]")).ToHaveTextAsync("¥650.50");
        await Expect(page.GetByTestId("analytics-csv")).ToHaveAttributeAsync("href",
            $"/api/channels/analytics.csv?from={seed.FirstDay:yyyy-MM-dd}&to={seed.LastDay:yyyy-MM-dd}&by=code");

        // ECharts drew the daily series on a canvas.
        var chart = page.GetByTestId("analytics-chart");
        await Expect(chart).ToHaveAttributeAsync("data-rendered", "true");
        await Expect(chart.Locator("canvas")).ToBeVisibleAsync();
        var size = await chart.Locator("canvas").EvaluateAsync<int[]>("c => [c.width, c.height]");
        size[0].ShouldBeGreaterThan(300);
        size[1].ShouldBeGreaterThan(200);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "channel-analytics.zh-CN");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Channel analytics");
        await Expect(page.Locator("[data-row-id=unattributed]")).ToContainTextAsync("Unattributed");
        await Expect(page.GetByTestId("analytics-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await Expect(page.Locator($"[data-row-id='{seed.CodeA}'] [data-metric=retention-30]")).ToContainTextAsync("2/4");
        // Every column fits: the table does not need its sideways scroll at this window size.
        (await page.Locator(".table-scroll").EvaluateAsync<int>("e => e.scrollWidth - e.clientWidth")).ShouldBeLessThanOrEqualTo(0);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "channel-analytics.en");
    }
}
