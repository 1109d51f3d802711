using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Tests.Activities;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Activities;

/// <summary>
/// An operator opens 秒杀 from the Activities navigation, watches a running sale's counters move by themselves while
/// the shop sends attempts, then reads a group buy's forming and closed groups; a friend opens the share page on a phone.
/// In Chinese and in English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class ActivityPagesTests(BrowserFixture fixture)
{
    [Fact]
    public async Task FlashSaleCounters_MoveLive_AndGroupBuyPages_ShowGroups_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("activity-pages");
        var customers = await workspace.CustomersAsync(120, "会员");
        var admin = workspace.AdminClient();
        var now = DateTimeOffset.UtcNow;
        var saleId = await admin.SaleAsync(stock: 80, startsAt: now.AddMinutes(-30), endsAt: now.AddHours(2));
        for (var i = 0; i < 50; i++)
        {
            var response = await admin.AttemptAsync(saleId, customers[i % 45]);
            if (response.StatusCode == HttpStatusCode.Created && i % 3 != 0)
            {
                var id = (await response.ReadAsync<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetGuid();
                (await admin.PostAsync($"/api/flash-sales/{saleId}/reservations/{id}/pay", null)).EnsureSuccessStatusCode();
            }
        }

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await Expect(page.Locator(".nav-section", new() { HasText = "营销活动" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "秒杀", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("秒杀");
        await Expect(page.GetByTestId("flash-sale-row")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("row-attempts")).ToHaveTextAsync("50");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "activities-flash-sales.zh-CN");
        await page.GetByTestId("flash-sale-row").GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.GetByTestId("counter-attempts")).ToHaveTextAsync("50");
        await Expect(page.GetByTestId("counter-remaining")).ToHaveTextAsync("35");

        // The shop keeps selling: the page follows without a reload (htmx polls the counters every 2 s).
        for (var i = 45; i < 75; i++)
            await admin.AttemptAsync(saleId, customers[i]);
        await Expect(page.GetByTestId("counter-attempts")).ToHaveTextAsync("80", new() { Timeout = 8_000 });
        await Expect(page.GetByTestId("counter-remaining")).ToHaveTextAsync("5");
        await Expect(page.Locator("[data-reason=limit_reached]")).ToContainTextAsync("已达限购");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "activities-flash-sale.zh-CN");
        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.GetByTestId("flash-counters")).ToContainTextAsync("Reserved, awaiting payment");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "activities-flash-sale.en");

        // A group buy with one group forming, one complete, and its list page.
        var buy = await (await admin.PostAsJsonAsync("/api/group-buys", new
        {
            name = "三人团 · 羊绒围巾", sku = "SCARF-3", productName = "羊绒围巾（驼色）", originalPrice = 399m, groupPrice = 239m, groupSize = 3, stock = 100,
            startsAt = now.AddHours(-2), endsAt = now.AddDays(3),
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var buyId = buy.GetProperty("id").GetGuid();
        async Task<string> OpenAsync(Guid leader) =>
            (await (await admin.PostAsJsonAsync($"/api/group-buys/{buyId}/groups", new { customerId = leader })).ReadAsync<JsonElement>(HttpStatusCode.Created))
            .GetProperty("code").GetString()!;
        var forming = await OpenAsync(customers[100]);
        (await admin.PostAsJsonAsync($"/api/group-buys/groups/{forming}/join", new { customerId = customers[101] })).EnsureSuccessStatusCode();
        var complete = await OpenAsync(customers[102]);
        foreach (var joiner in new[] { customers[103], customers[104] })
            (await admin.PostAsJsonAsync($"/api/group-buys/groups/{complete}/join", new { customerId = joiner })).EnsureSuccessStatusCode();
        await OpenAsync(customers[105]);

        await page.GotoAsync("/activities/group-buys");
        await Expect(page.GetByTestId("group-buy-row")).ToHaveCountAsync(1);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "activities-group-buys.en");
        await page.GetByTestId("group-buy-row").GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.GetByTestId("open-group")).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("counter-complete")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("closed-groups")).ToContainTextAsync($"GB-{complete}-3");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "activities-group-buy.en");
        await page.GetByRole(AriaRole.Button, new() { Name = "中文" }).ClickAsync();
        await Expect(page.GetByTestId("open-group").First).ToContainTextAsync("还差");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "activities-group-buy.zh-CN");

        // The friend's phone: the share page, no sign-in.
        foreach (var locale in new[] { "zh-CN", "en" })
        {
            var phone = await fixture.NewPageAsync(locale: locale);
            await phone.SetViewportSizeAsync(390, 844);
            await phone.GotoAsync($"/g/{forming}");
            await Expect(phone.GetByTestId("group-product")).ToHaveTextAsync("羊绒围巾（驼色）");
            await Expect(phone.GetByTestId("group-left")).ToHaveTextAsync(locale == "en" ? "1 more to go" : "还差 1 人");
            await ConsoleSteps.ScreenshotAsync(fixture, phone, $"activities-group-share.{locale}");
            await phone.Context.CloseAsync();
        }
    }
}
