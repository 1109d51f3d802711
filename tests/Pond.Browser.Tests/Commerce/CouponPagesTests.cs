using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Commerce;

/// <summary>
/// The issue's coupon walk-through: create a template in the console, issue it to a segment, redeem one coupon
/// by recording an order that carries its code (POST /api/orders), reload the template and see the redemption rate (核销率) move; in Chinese and English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed partial class CouponPagesTests(BrowserFixture fixture)
{
    [Fact]
    public async Task CreateTemplate_IssueToSegment_RedeemOne_RedemptionRateMoves()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("coupons");
        var seed = new CustomerSeed(workspace);
        var customers = new List<Guid>();
        foreach (var name in new[] { "林小姐", "陈女士", "周先生", "吴小姐" })
            customers.Add(await seed.CustomerAsync(name, traits: new { city = "上海" }));
        await seed.CustomerAsync("赵先生", traits: new { city = "北京" });
        using var admin = workspace.AdminClient();
        (await admin.PostAsJsonAsync("/api/segments", new { name = "上海客户", rule = new { all = new object[] { new { trait = "city", op = "eq", value = "上海" } } } }))
            .EnsureSuccessStatusCode();

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "券", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("券");
        await Expect(page.GetByTestId("coupons-empty")).ToBeVisibleAsync();
        await page.GetByTestId("new-coupon-template").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("新建券模板");

        // A 满减 template: the threshold field appears once the type is chosen.
        await page.GetByTestId("ct-name").FillAsync("新客满200减30");
        await page.GetByTestId("ct-kind").SelectOptionAsync("threshold");
        await Expect(page.GetByTestId("ct-threshold")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("ct-percent")).ToBeHiddenAsync();
        await page.GetByTestId("ct-threshold").FillAsync("200");
        await page.GetByTestId("ct-amount").FillAsync("10");
        await page.GetByTestId("ct-valid-days").FillAsync("7");
        await page.GetByTestId("ct-stock").FillAsync("100");
        await page.GetByTestId("ct-limit").FillAsync("1");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "coupon-template-new.zh-CN");

        // A mistake is refused with what to fix; the form keeps what was typed.
        await page.GetByTestId("ct-amount").FillAsync("300");
        await page.GetByTestId("ct-save").ClickAsync();
        await Expect(page.GetByTestId("form-error")).ToContainTextAsync("amount must be less than threshold");
        await Expect(page.GetByTestId("ct-name")).ToHaveValueAsync("新客满200减30");
        await page.GetByTestId("ct-amount").FillAsync("30");
        await page.GetByTestId("ct-save").ClickAsync();

        await Expect(page.GetByTestId("coupon-template-name")).ToContainTextAsync("新客满200减30");
        await Expect(page.GetByTestId("coupon-template-rules")).ToContainTextAsync("满200减30");
        var templateId = Guid.Parse(TemplateUrl().Match(page.Url).Groups[1].Value);

        await page.GetByTestId("issue-segment-select").SelectOptionAsync(new SelectOptionValue { Label = "上海客户 (4)" });
        await page.GetByTestId("issue-segment-submit").ClickAsync();
        await Expect(page.GetByTestId("form-notice")).ToContainTextAsync("已向 4 名成员发放 4 张券");
        await Expect(page.Locator("[data-metric=issued]")).ToHaveTextAsync("4");
        await Expect(page.Locator("[data-metric=rate]")).ToHaveTextAsync("0.0%");
        await Expect(page.GetByTestId("coupon-row")).ToHaveCountAsync(4);

        // The shop records an order that used one of the coupons: the order redeems it.
        var coupons = await admin.GetFromJsonAsync<JsonElement>($"/api/coupon-templates/{templateId}/coupons");
        var first = coupons.EnumerateArray().First(c => c.GetProperty("customerId").GetGuid() == customers[0]).GetProperty("code").GetString();
        var order = await admin.PostAsJsonAsync("/api/orders", new
        {
            orderId = "LL-20261124-001", customerId = customers[0], salesChannel = "mini_program", discount = 30m, couponCodes = new[] { first },
            items = new[] { new { sku = "SERUM-30", name = "精华 30ml", category = "护肤", price = 268m, quantity = 1 } },
        });
        var recorded = JsonDocument.Parse(await order.Content.ReadAsStringAsync()).RootElement;
        ((int)order.StatusCode).ShouldBeInRange(200, 201, recorded.ToString());
        recorded.GetProperty("warnings").GetArrayLength().ShouldBe(0, recorded.ToString());

        await page.ReloadAsync();
        await Expect(page.Locator("[data-metric=redeemed]")).ToHaveTextAsync("1");
        await Expect(page.Locator("[data-metric=rate]")).ToHaveTextAsync("25.0%");
        await Expect(page.Locator("[data-metric=gmv]")).ToHaveTextAsync("¥238.00");
        await Expect(page.Locator("[data-metric=discount]")).ToHaveTextAsync("¥30.00");
        await Expect(page.GetByTestId("coupon-daily")).ToHaveAttributeAsync("data-rendered", "true");
        await Expect(page.Locator("[data-testid=coupon-row][data-status=redeemed]")).ToHaveCountAsync(1);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "coupon-template.zh-CN");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.GetByTestId("coupon-metrics")).ToContainTextAsync("Redemption rate");
        await Expect(page.GetByTestId("coupon-daily")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "coupon-template.en");

        await page.GetByRole(AriaRole.Link, new() { Name = "Coupons", Exact = true }).ClickAsync();
        var row = page.GetByTestId("coupon-template-row");
        await Expect(row.Locator("[data-metric=rate]")).ToHaveTextAsync("25.0%");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "coupons.en");

        await page.GotoAsync($"/customers/{customers[0]}");
        await Expect(page.GetByTestId("customer-coupons")).ToContainTextAsync(first!);
        await Expect(page.GetByTestId("customer-coupons")).ToContainTextAsync("Redeemed");
        await page.GetByTestId("customer-coupons").ScreenshotAsync(new() { Path = Path.Combine(fixture.ScreenshotDirectory, "customer-coupons.en.png") });
    }

    [GeneratedRegex("/commerce/coupons/([0-9a-f-]{36})$")]
    private static partial Regex TemplateUrl();
}
