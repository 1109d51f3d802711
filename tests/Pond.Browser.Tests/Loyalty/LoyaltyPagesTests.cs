using System.Net.Http.Json;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Loyalty;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Loyalty;

/// <summary>
/// An operator opens 积分与会员等级, sees the tiers with their member counts, adds a tier, has a bad rule refused with
/// what to fix, opens a tier's members, and on a customer's 360 page reads the balance, tier progress and ledger and
/// adjusts points by hand — in Chinese and in English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class LoyaltyPagesTests(BrowserFixture fixture)
{
    [Fact]
    public async Task LoyaltyPages_ShowTiersRulesAndTheCustomersPoints_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("loyalty-pages");
        var seed = new CustomerSeed(workspace);
        var admin = workspace.AdminClient();
        (await admin.PutAsJsonAsync("/api/loyalty/rules", new { enabled = true, pointsPerYuan = 1, memberDay = new { dayOfMonth = 18, multiplier = 2 } })).EnsureSuccessStatusCode();
        await admin.TierAsync(new { name = "普通会员", threshold = 0, color = "#8a94a6" });
        await admin.TierAsync(new { name = "银卡", threshold = 1000, pointsMultiplier = 1.2m, color = "#9aa7b8" });
        await admin.TierAsync(new { name = "金卡", threshold = 5000, pointsMultiplier = 1.5m, birthdayPoints = 200, color = "#c9a227" });
        var wang = await seed.CustomerAsync("王丽");
        await workspace.OrderAsync(wang, "LL-1001", 899m);
        await workspace.OrderAsync(wang, "LL-1002", 1299m);
        for (var i = 0; i < 24; i++)
            await admin.PostAsJsonAsync($"/api/customers/{wang}/points/tasks/share", new { idempotencyKey = $"share-{i}" });
        (await admin.PostAsJsonAsync($"/api/customers/{wang}/points/spend", new { points = 500, reason = "兑换 满100减20 券", idempotencyKey = "r-1" })).EnsureSuccessStatusCode();
        for (var i = 0; i < 5; i++)
            await workspace.OrderAsync(await seed.CustomerAsync($"Buyer {i}"), $"B-{i}", 600m + (i * 1500m));

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await Expect(page.Locator(".nav-section", new() { HasText = "会员" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "积分与会员等级", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("积分与会员等级");
        async Task Members(string tier, string count) =>
            await Expect(page.Locator($"[data-testid=tier-row][data-tier='{tier}'] [data-metric=members]")).ToHaveTextAsync(count);
        await Members("普通会员", "1");
        await Members("银卡", "3");
        await Members("金卡", "2");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "loyalty.zh-CN");

        // A tier added from the form; a bad rule refused with what to fix, keeping what was typed.
        await page.GetByText("新增等级").ClickAsync();
        await page.GetByTestId("tier-name").FillAsync("黑金");
        await page.GetByTestId("tier-threshold").FillAsync("20000");
        await page.GetByTestId("tier-create-save").ClickAsync();
        await Members("黑金", "0");
        await page.Locator("#r-expiry").SelectOptionAsync("days");
        await page.Locator("#r-expiry-days").FillAsync("");
        await page.GetByTestId("rules-save").ClickAsync();
        await Expect(page.GetByTestId("form-error")).ToContainTextAsync("expiry.days must be between 1 and 3650");

        await page.Locator("[data-testid=tier-row][data-tier='金卡']").ClickAsync();
        await Expect(page.Locator("h1")).ToContainTextAsync("金卡");
        await Expect(page.GetByTestId("tier-member")).ToHaveCountAsync(2);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "loyalty-tier.zh-CN");

        await page.GotoAsync($"/customers/{wang}");
        var section = page.GetByTestId("customer-loyalty");
        await Expect(section.Locator("h2")).ToHaveTextAsync("积分与等级");
        await Expect(page.GetByTestId("points-balance")).ToHaveTextAsync("1,818"); // 899 + 1,299 (普通会员 ×1 when ordered) + 24 shares × 5 − 500 spent
        await Expect(page.GetByTestId("customer-tier")).ToContainTextAsync("银卡");
        await Expect(page.GetByTestId("tier-progress")).ToContainTextAsync("金卡");
        await Expect(page.GetByTestId("points-entry")).ToHaveCountAsync(20);
        await page.GetByTestId("points-more").ClickAsync();
        await Expect(page.GetByTestId("points-entry")).ToHaveCountAsync(27);
        await page.Locator("[name='Adjust.Points']").FillAsync("-50");
        await page.Locator("[name='Adjust.Reason']").FillAsync("客服补偿更正");
        await page.GetByRole(AriaRole.Button, new() { Name = "调整积分" }).ClickAsync();
        await Expect(page.GetByTestId("points-balance")).ToHaveTextAsync("1,768");
        await Expect(page.GetByTestId("points-entry").First).ToContainTextAsync("客服补偿更正");
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "loyalty-customer.zh-CN");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(section.Locator("h2")).ToHaveTextAsync("Points & tier");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "loyalty-customer.en");
        await page.GetByRole(AriaRole.Link, new() { Name = "Points & tiers", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Points & tiers");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "loyalty.en");
    }
}
