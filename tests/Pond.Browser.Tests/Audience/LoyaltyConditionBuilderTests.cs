using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Audience;

/// <summary>
/// An operator builds a segment from what commerce and loyalty know — an unused coupon of a template, a member tier,
/// a points balance — in the visual builder, and the live count follows.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class LoyaltyConditionBuilderTests(BrowserFixture fixture)
{
    [Fact]
    public async Task CouponTierAndPointsConditions_AreBuiltByClicking_AndCountTheRightCustomers()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("segment-loyalty");
        var seed = new CustomerSeed(workspace);
        var fang = await seed.CustomerAsync("阿芳");
        var bai = await seed.CustomerAsync("小白");
        await seed.CustomerAsync("陈先生");
        var admin = workspace.AdminClient();
        (await admin.PutAsJsonAsync("/api/loyalty/rules", new { enabled = true, pointsPerYuan = 1 })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/loyalty/tiers", new { name = "银卡", threshold = 100 })).EnsureSuccessStatusCode();
        var template = await (await admin.PostAsJsonAsync("/api/coupon-templates", new { name = "新客立减券", kind = "amount", amount = 10m, validDays = 30 }))
            .Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        (await admin.PostAsJsonAsync($"/api/coupon-templates/{template.GetProperty("id").GetGuid()}/issue", new { customerId = fang })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/orders", new { orderId = "B-1", customerId = bai, paid = 200m, salesChannel = "mini_program" })).EnsureSuccessStatusCode();

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GotoAsync("/audience/segments/new");
        await Expect(page.GetByTestId("live-count-value")).ToHaveTextAsync("3");
        var c = page.GetByTestId("condition");

        await page.GetByTestId("add-condition").Last.ClickAsync();
        await c.Nth(0).GetByTestId("condition-kind").SelectOptionAsync("coupon");
        await c.Nth(0).GetByTestId("coupon-state").SelectOptionAsync("unused");
        await c.Nth(0).GetByTestId("coupon-template").SelectOptionAsync("新客立减券");
        await Expect(page.GetByTestId("live-count-value")).ToHaveTextAsync("1");

        await page.GetByTestId("add-condition").Last.ClickAsync();
        await c.Nth(1).GetByTestId("condition-kind").SelectOptionAsync("tier");
        await c.Nth(1).GetByTestId("tier-values").Locator("input[value=银卡]").CheckAsync();
        await Expect(page.GetByTestId("live-count-value")).ToHaveTextAsync("0");
        await page.GetByTestId("group-mode").First.SelectOptionAsync("any");
        await Expect(page.GetByTestId("live-count-value")).ToHaveTextAsync("2");

        await page.GetByTestId("add-condition").Last.ClickAsync();
        await c.Nth(2).GetByTestId("condition-kind").SelectOptionAsync("points");
        await c.Nth(2).GetByTestId("points-op").SelectOptionAsync("gte");
        await c.Nth(2).GetByTestId("points-value").FillAsync("150");
        await Expect(page.GetByTestId("live-count")).ToHaveAttributeAsync("data-state", "ok");
        await Expect(page.GetByTestId("live-count-value")).ToHaveTextAsync("2");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "segment-loyalty-conditions.zh-CN");

        var written = JsonNode.Parse(await page.GetByTestId("rule-json").TextContentAsync() ?? "");
        var expected = JsonNode.Parse("""
            { "any": [
              { "coupon": "unused", "template": "新客立减券" },
              { "tier": "银卡" },
              { "points": "gte", "value": 150 }
            ] }
            """);
        JsonNode.DeepEquals(written, expected).ShouldBeTrue(written?.ToJsonString());

        // Saved and opened again (in English), the builder shows the same conditions and writes the same JSON.
        await page.GetByTestId("segment-name").FillAsync("券、等级或积分");
        await page.GetByTestId("save-segment").ClickAsync();
        await Expect(page.GetByTestId("form-ok")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "EN", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("condition")).ToHaveCountAsync(3);
        await Expect(page.GetByTestId("coupon-state").First).ToContainTextAsync("holds an unused coupon");
        await Expect(page.GetByTestId("live-count-value")).ToHaveTextAsync("2");
        var loaded = JsonNode.Parse(await page.GetByTestId("rule-json").TextContentAsync() ?? "");
        JsonNode.DeepEquals(loaded, expected).ShouldBeTrue(loaded?.ToJsonString());
        await ConsoleSteps.ScreenshotAsync(fixture, page, "segment-loyalty-conditions.en");
    }
}
