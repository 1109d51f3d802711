using System.Net.Http.Json;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Audience;

/// <summary>
/// An operator opens RFM 分层 and 生命周期 from the Audience navigation on seeded buyers, reads the cells, the heatmap
/// and the stage counts, sees a bad setting refused with what to fix, and finds the scores on a customer's 360 page —
/// in Chinese and in English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class RfmPagesTests(BrowserFixture fixture)
{
    [Fact]
    public async Task RfmAndLifecyclePages_ShowCellsHeatmapAndStages_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("rfm-pages");
        var seed = new CustomerSeed(workspace);
        var a = await workspace.BuyerAsync(seed, "王丽", (5, 1000), (20, 1000), (40, 1000), (70, 500), (100, 500));
        await workspace.BuyerAsync(seed, "B", (10, 1500));
        await workspace.BuyerAsync(seed, "C", (200, 400), (250, 400), (300, 400));
        await workspace.BuyerAsync(seed, "D", (400, 100));
        await workspace.BuyerAsync(seed, "E", (70, 50), (80, 50.5m));
        await seed.CustomerAsync("F");
        var admin = workspace.AdminClient();
        (await admin.PutAsJsonAsync("/api/rfm/settings", new
        {
            windowDays = 365, scoring = "fixed", highScore = 3,
            recencyDays = new[] { 30, 90, 180, 365 }, frequency = new[] { 2, 3, 5, 8 }, monetary = new[] { 200, 500, 1000, 3000 },
        })).EnsureSuccessStatusCode();
        (await admin.PostAsync("/api/rfm/recompute", null)).EnsureSuccessStatusCode();

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await Expect(page.Locator(".nav-section", new() { HasText = "人群" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "RFM 分层", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("RFM 分层");

        await Expect(page.GetByTestId("rfm-pool")).ToHaveTextAsync("6");
        await Expect(page.GetByTestId("rfm-scored")).ToHaveTextAsync("4");
        await Expect(page.GetByTestId("rfm-cell")).ToHaveCountAsync(8);
        var value = page.Locator("[data-cell=important_value]");
        await Expect(value.Locator("h2")).ToHaveTextAsync("重要价值");
        await Expect(value).ToContainTextAsync("Important value");
        await Expect(value.Locator("[data-metric=customers]")).ToHaveTextAsync("1");
        await Expect(value.Locator("[data-metric=share]")).ToHaveTextAsync("16.7%");
        await Expect(value.Locator("[data-metric=monetary]")).ToHaveTextAsync("¥4,000.00");
        await Expect(value.Locator("[data-metric=aov]")).ToHaveTextAsync("¥800.00");
        await Expect(page.Locator("[data-cell=general_develop] [data-metric=aov]")).ToHaveTextAsync("¥50.25");
        await Expect(page.Locator("[data-cell=general_retain] [data-metric=customers]")).ToHaveTextAsync("0");
        var heatmap = page.GetByTestId("rfm-heatmap");
        await Expect(heatmap).ToHaveAttributeAsync("data-rendered", "true");
        await Expect(heatmap.Locator("canvas")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("rfm-engine")).ToContainTextAsync("5 位购买客户");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "audience-rfm.zh-CN");

        // A bad window is refused with what to fix, and the form keeps what was typed.
        await page.Locator("#rfm-window").FillAsync("3");
        await page.GetByTestId("rfm-save").ClickAsync();
        await Expect(page.GetByTestId("form-error")).ToContainTextAsync("windowDays must be between 7 and 1095");
        await Expect(page.Locator("#rfm-window")).ToHaveValueAsync("3");

        await page.GetByRole(AriaRole.Link, new() { Name = "生命周期", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("生命周期");
        async Task Stage(string code, string count) =>
            await Expect(page.Locator($"[data-testid=lifecycle-stage][data-stage={code}] [data-metric=customers]")).ToHaveTextAsync(count);
        await Stage("new", "1");
        await Stage("first_order", "1");
        await Stage("repeat", "0");
        await Stage("loyal", "1");
        await Stage("at_risk", "1");
        await Stage("lost", "2");
        await Expect(page.Locator("[data-stage=lost]")).ToContainTextAsync("已流失");
        await Expect(page.GetByTestId("lifecycle-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "audience-lifecycle.zh-CN");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Lifecycle stages");
        await Expect(page.Locator("[data-stage=at_risk]")).ToContainTextAsync("At risk");
        await Expect(page.GetByTestId("lifecycle-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "audience-lifecycle.en");

        await page.GetByRole(AriaRole.Link, new() { Name = "RFM segmentation", Exact = true }).ClickAsync();
        await Expect(page.Locator("[data-cell=important_keep] h2")).ToHaveTextAsync("Important keep");
        await Expect(page.Locator("[data-cell=important_keep]")).ToContainTextAsync("重要保持");
        await Expect(page.GetByTestId("rfm-heatmap")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "audience-rfm.en");

        await page.GotoAsync($"/customers/{a}");
        await Expect(page.GetByTestId("customer-stage")).ToHaveAttributeAsync("data-stage", "loyal");
        await Expect(page.GetByTestId("customer-stage")).ToContainTextAsync("Loyal");
        await Expect(page.GetByTestId("customer-rfm")).ToContainTextAsync("Important value");
        await Expect(page.GetByTestId("customer-rfm-scores")).ToHaveTextAsync("R 5 · F 4 · M 5");
    }
}
