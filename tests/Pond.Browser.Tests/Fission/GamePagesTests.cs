using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Tests.Activities;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Fission;

/// <summary>
/// An operator creates a lottery with its prize pool in the console (裂变 → 抽奖), the shop draws through the API, and the
/// detail page shows the draws, the winners and the prize stock moving by themselves; then the assist and bargain pages
/// with requests and sessions in progress. In Chinese and in English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class GamePagesTests(BrowserFixture fixture)
{
    [Fact]
    public async Task LotteryCreatedInTheConsole_DrawsMoveWinnersAndStock_AndAssistAndBargainPagesShowProgress()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("fission-games");
        var customers = await workspace.CustomersAsync(60, "林");
        var admin = workspace.AdminClient();
        var now = DateTimeOffset.UtcNow;

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await Expect(page.Locator(".nav-section", new() { HasText = "裂变" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "抽奖", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("抽奖");
        await page.GetByTestId("lt-name").FillAsync("周末幸运抽奖");
        await page.GetByTestId("lt-cost").FillAsync("0");
        var rows = page.GetByTestId("lt-prize-row");
        await rows.Nth(0).GetByTestId("lt-prize-name").FillAsync("真丝方巾");
        await rows.Nth(0).GetByTestId("lt-prize-chance").FillAsync("60");
        await rows.Nth(0).GetByTestId("lt-prize-stock").FillAsync("3");
        await rows.Nth(0).GetByTestId("lt-prize-reward").Locator("select").First.SelectOptionAsync("gift");
        await rows.Nth(0).GetByTestId("lt-prize-reward").GetByPlaceholder("赠品名称").FillAsync("真丝方巾");
        await rows.Nth(1).GetByTestId("lt-prize-name").FillAsync("50 积分");
        await rows.Nth(1).GetByTestId("lt-prize-chance").FillAsync("40");
        await rows.Nth(1).GetByTestId("lt-prize-stock").FillAsync("100");
        await rows.Nth(1).GetByTestId("lt-prize-reward").Locator("select").First.SelectOptionAsync("points");
        await rows.Nth(1).GetByTestId("lt-prize-reward").GetByPlaceholder("积分").FillAsync("50");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-lottery-new.zh-CN");
        await page.GetByTestId("lt-submit").ClickAsync();
        await Expect(page.GetByTestId("lottery-name")).ToContainTextAsync("周末幸运抽奖");
        await Expect(page.GetByTestId("counter-draws")).ToHaveTextAsync("0");
        var lotteryId = Guid.Parse(page.Url.Split('/')[^1]);

        // The shop draws for eight customers: the page follows without a reload (htmx polls every 2 s).
        var won = 0;
        for (var i = 0; i < 8; i++)
        {
            var draw = await (await admin.PostAsJsonAsync($"/api/lotteries/{lotteryId}/draws", new { customerId = customers[i] })).ReadAsync<JsonElement>(HttpStatusCode.Created);
            if (draw.GetProperty("outcome").GetString() == "won")
                won++;
        }
        await Expect(page.GetByTestId("counter-draws")).ToHaveTextAsync("8", new() { Timeout = 8_000 });
        await Expect(page.GetByTestId("counter-wins")).ToHaveTextAsync(won.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.GetByTestId("winner")).ToHaveCountAsync(won);
        await Expect(page.GetByTestId("winner").First).ToContainTextAsync("林*");
        var counters = await admin.GetAsync<JsonElement>($"/api/lotteries/{lotteryId}/counters");
        var scarf = counters.GetProperty("prizes")[0];
        scarf.GetProperty("awarded").GetInt32().ShouldBeLessThanOrEqualTo(3);
        await Expect(page.Locator("[data-prize='真丝方巾'] [data-testid=prize-left]"))
            .ToHaveTextAsync($"{scarf.GetProperty("left").GetInt32()} / 3");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-lottery.zh-CN");
        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.GetByTestId("lottery-live")).ToContainTextAsync("Prizes left");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-lottery.en");
        await page.GotoAsync("/fission/lotteries");
        await Expect(page.GetByTestId("lottery-row")).ToHaveCountAsync(1);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-lotteries.en");

        // Friend assist and bargain, with requests and sessions in progress.
        var campaign = await (await admin.PostAsJsonAsync("/api/assists/campaigns", new
        {
            name = "好友助力 · 五人助力领 30 元券", targetHelps = 5, reward = new { kind = "points", points = 300 }, rewardStock = 100,
            startsAt = now.AddHours(-2), endsAt = now.AddDays(7),
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var campaignId = campaign.GetProperty("id").GetGuid();
        var helper = 20;
        for (var r = 0; r < 4; r++)
        {
            var code = (await (await admin.PostAsJsonAsync($"/api/assists/campaigns/{campaignId}/requests", new { customerId = customers[10 + r] }))
                .ReadAsync<JsonElement>(HttpStatusCode.Created)).GetProperty("code").GetString()!;
            for (var h = 0; h < (r == 0 ? 5 : r + 1); h++)
                (await admin.PostAsJsonAsync($"/api/assists/requests/{code}/help", new { customerId = customers[helper++] })).EnsureSuccessStatusCode();
        }
        var item = await (await admin.PostAsJsonAsync("/api/bargains", new
        {
            name = "砍价 9.9 元拿 · 香氛蜡烛", sku = "CANDLE", productName = "无花果香氛蜡烛", originalPrice = 129m, floorPrice = 9.9m, maxHelps = 4, stock = 50,
            startsAt = now.AddHours(-2), endsAt = now.AddDays(7),
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var itemId = item.GetProperty("id").GetGuid();
        for (var s = 0; s < 3; s++)
        {
            var session = await (await admin.PostAsJsonAsync($"/api/bargains/{itemId}/sessions", new { customerId = customers[14 + s] })).ReadAsync<JsonElement>(HttpStatusCode.Created);
            for (var h = 0; h < (s == 0 ? 4 : s); h++)
                (await admin.PostAsJsonAsync($"/api/bargains/sessions/{session.GetProperty("code").GetString()}/cut", new { customerId = customers[helper++] })).EnsureSuccessStatusCode();
            if (s == 0)
                (await admin.PostAsync($"/api/bargains/{itemId}/sessions/{session.GetProperty("id").GetGuid()}/purchase", null)).EnsureSuccessStatusCode();
        }

        await page.GotoAsync("/fission/assists");
        await Expect(page.GetByTestId("assist-row")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("bargain-row")).ToHaveCountAsync(1);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-assists.en");
        await page.GetByTestId("assist-row").GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.GetByTestId("open-request")).ToHaveCountAsync(3);
        await Expect(page.GetByTestId("counter-complete")).ToHaveTextAsync("1");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-assist.en");
        await page.GetByRole(AriaRole.Button, new() { Name = "中文" }).ClickAsync();
        await Expect(page.GetByTestId("done-requests")).ToContainTextAsync("奖励已发放");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-assist.zh-CN");
        await page.GotoAsync("/fission/assists");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-assists.zh-CN");
        await page.GetByTestId("bargain-row").GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.GetByTestId("live-session")).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("counter-purchased")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("done-sessions")).ToContainTextAsync("BG-");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-bargain.zh-CN");
        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.GetByTestId("bargain-live")).ToContainTextAsync("Sessions in progress");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-bargain.en");
        await page.GotoAsync("/fission/lotteries");
        await page.GetByRole(AriaRole.Button, new() { Name = "中文" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("抽奖");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-lotteries.zh-CN");
    }
}
