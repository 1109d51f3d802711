using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Commerce;

/// <summary>
/// An operator reads orders recorded through the API: the totals, the list, one order with the guide its tracking
/// code credits and its refund, and GMV by staff member — in Chinese and in English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class OrdersPagesTests(BrowserFixture fixture)
{
    [Fact]
    public async Task OrdersAndAttributionPages_ShowTotalsCreditAndRefunds_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("orders-pages");
        var seed = new CustomerSeed(workspace);
        var lin = await seed.CustomerAsync("林小姐");
        var wang = await seed.CustomerAsync("王先生");
        var admin = workspace.AdminClient();
        (await admin.PostAsJsonAsync("/api/staff", new { name = "小美", trackingCode = "xm01" })).EnsureSuccessStatusCode();
        async Task Order(object body) => (await admin.PostAsJsonAsync("/api/orders", body)).EnsureSuccessStatusCode();
        await Order(new
        {
            orderId = "LL-1001", customerId = lin, salesChannel = "mini_program", trackingCode = "xm01", discount = 50m,
            items = new object[]
            {
                new { sku = "LL-DR-01", name = "法式碎花连衣裙", category = "连衣裙", price = 399m, quantity = 1 },
                new { sku = "LL-SK-02", name = "棉袜三双装", category = "袜子", price = 59.9m, quantity = 2 },
            },
        });
        await Order(new { orderId = "TM-2001", customerId = wang, salesChannel = "tmall", items = new[] { new { sku = "LL-TS-09", name = "基础款T恤", price = 129m, quantity = 1 } } });
        (await admin.PostAsJsonAsync("/api/orders/LL-1001/refunds", new { refundId = "RF-1", items = new[] { new { sku = "LL-SK-02", quantity = 2 } }, reason = "尺码不合适" }))
            .EnsureSuccessStatusCode();

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await Expect(page.Locator(".nav-section", new() { HasText = "成交" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "订单", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("订单");
        var totals = page.GetByTestId("order-totals");
        await Expect(totals.Locator("[data-metric=orders]")).ToHaveTextAsync("2");
        await Expect(totals.Locator("[data-metric=gmv]")).ToHaveTextAsync("¥597.80");
        await Expect(totals.Locator("[data-metric=private-gmv]")).ToHaveTextAsync("¥468.80");
        await Expect(totals.Locator("[data-metric=refunded]")).ToHaveTextAsync("¥108.25");
        await Expect(page.GetByTestId("order-row")).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-order-id=LL-1001]")).ToContainTextAsync("部分退款");
        await Expect(page.Locator("[data-order-id=TM-2001]")).ToContainTextAsync("天猫");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "commerce-orders.zh-CN");

        // Filtering to refunds leaves the one order.
        await page.GetByTestId("order-status").SelectOptionAsync("partially_refunded");
        await page.GetByTestId("order-filters").GetByRole(AriaRole.Button).ClickAsync();
        await Expect(page.GetByTestId("order-row")).ToHaveCountAsync(1);

        await page.GetByRole(AriaRole.Link, new() { Name = "LL-1001" }).ClickAsync();
        await Expect(page.GetByTestId("order-detail")).ToContainTextAsync("订单 LL-1001");
        await Expect(page.GetByTestId("order-staff")).ToContainTextAsync("小美");
        await Expect(page.GetByTestId("order-staff")).ToContainTextAsync("推广码 xm01");
        await Expect(page.GetByTestId("order-paid")).ToHaveTextAsync("¥468.80");
        await Expect(page.GetByTestId("order-refunds")).ToContainTextAsync("尺码不合适");
        await Expect(page.GetByTestId("order-lines").Locator("tbody tr")).ToHaveCountAsync(2);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "commerce-order.zh-CN");

        await page.GetByRole(AriaRole.Link, new() { Name = "GMV 归因", Exact = true }).ClickAsync();
        await page.GetByTestId("attribution-by").SelectOptionAsync("staff");
        await page.GetByTestId("attribution-filters").GetByRole(AriaRole.Button).ClickAsync();
        await Expect(page.Locator("h2", new() { HasText = "按导购的 GMV" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("attribution-row")).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("attribution-row").First).ToContainTextAsync("小美");
        await Expect(page.GetByTestId("attribution-row").First.Locator("[data-metric=gmv]")).ToHaveTextAsync("¥468.80");
        await Expect(page.Locator("[data-row-id=unattributed]")).ToContainTextAsync("无归属导购");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "commerce-attribution.zh-CN");

        // The window is set on the page; a bad one is refused with what to fix.
        await page.GetByTestId("attribution-window-input").FillAsync("400");
        await page.GetByTestId("attribution-window-input").PressAsync("Enter");
        await Expect(page.GetByTestId("form-error")).ToContainTextAsync("between 1 and 365");
        await page.GetByTestId("attribution-window-input").FillAsync("45");
        await page.GetByTestId("attribution-window-input").PressAsync("Enter");
        await Expect(page.GetByTestId("attribution-window")).ToHaveTextAsync("45 天");
        (await admin.GetFromJsonAsync<JsonElement>("/api/orders/settings")).GetProperty("attributionWindowDays").GetInt32().ShouldBe(45);

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("GMV attribution");
        await Expect(page.Locator("[data-row-id=unattributed]")).ToContainTextAsync("No staff member");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "commerce-attribution.en");
        await page.GotoAsync("/commerce/orders/LL-1001");
        await Expect(page.GetByTestId("order-staff")).ToContainTextAsync("tracking code xm01");
        await Expect(page.GetByTestId("order-status")).ToHaveTextAsync("Partly refunded");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "commerce-order.en");
        await page.GotoAsync("/commerce/orders");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Orders");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "commerce-orders.en");
        (await page.GotoAsync("/commerce/orders/NOPE"))!.Status.ShouldBe(404);
    }
}
