using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Ingestion;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Staff;

/// <summary>离职继承 from the console: an operator hands a departed guide's customers and group to two colleagues.</summary>
[Collection(BrowserTests.Name)]
public sealed partial class HandoverPageTests(BrowserFixture fixture)
{
    [Fact]
    public async Task ResignedHandover_FromTheStaffPage_MovesEveryCustomer_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("handover");
        using var admin = workspace.AdminClient();
        var amy = await StaffAsync(admin, "安安", "amy");
        var bea = await StaffAsync(admin, "贝贝", "bea");
        var cat = await StaffAsync(admin, "小猫", "cat");
        await CarrierAsync(admin, "wecom_account", "安安的企业微信", "amy", amy);
        await CarrierAsync(admin, "wecom_account", "贝贝的企业微信", "bea", bea);
        await CarrierAsync(admin, "wecom_account", "小猫的企业微信", "cat", cat);
        await CarrierAsync(admin, "group_chat", "安安的会员群", "wrAmyGroup", amy);
        using var tracking = workspace.TrackingClient();
        foreach (var (userId, name) in new[] { ("c-1", "苏小鹿"), ("c-2", "林一一"), ("c-3", "周末") })
        {
            (await tracking.PostAsJsonAsync("/v1/identify", new { userId, traits = new { name } })).EnsureSuccessStatusCode();
            (await tracking.PostAsJsonAsync("/v1/track", new
            {
                userId, @event = "Relationship Started", properties = new { carrier_kind = "wecom_account", carrier_id = "amy", source_channel = "包裹卡" },
            })).EnsureSuccessStatusCode();
        }

        await fixture.Server.Service<EventProcessor>().ProcessPendingAsync();

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GotoAsync("/staff");
        await page.GetByTestId("handovers-link").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("客户转接与继承");

        // Forgetting the takeover staff is refused with a message, and the form keeps what was chosen.
        await page.Locator("#handover-kind").SelectOptionAsync("resigned");
        await page.Locator("#handover-from").SelectOptionAsync(amy.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "开始转接" }).ClickAsync();
        await Expect(page.GetByTestId("form-error")).ToContainTextAsync("toStaffIds");
        await Expect(page.Locator("#handover-from")).ToHaveValueAsync(amy.ToString());

        await page.Locator("#handover-kind").SelectOptionAsync("resigned");
        await page.GetByTestId("handover-targets").GetByLabel("贝贝").CheckAsync();
        await page.GetByTestId("handover-targets").GetByLabel("小猫").CheckAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, page, "handover-form.zh-CN");
        await page.GetByRole(AriaRole.Button, new() { Name = "开始转接" }).ClickAsync();

        await page.WaitForURLAsync(DetailUrl());
        await Expect(page.Locator("h1")).ToHaveTextAsync("离职继承 · 安安");
        await Expect(page.GetByTestId("handover-transferred")).ToHaveTextAsync("3");
        await Expect(page.GetByTestId("handover-waiting")).ToHaveTextAsync("0");
        await Expect(page.GetByTestId("handover-groups")).ToContainTextAsync("已将 1 个客户群转给第一位接替成员");
        var rows = page.GetByTestId("transfer-row");
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(rows.Filter(new() { HasText = "接替完毕" })).ToHaveCountAsync(3);
        // Targets come in the page's order (小猫 before 贝贝), so 小猫 is first in the round robin.
        await Expect(rows.Filter(new() { HasText = "小猫" })).ToHaveCountAsync(2);
        await Expect(rows.Filter(new() { HasText = "贝贝" })).ToHaveCountAsync(1);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "handover-detail.zh-CN");
        var detailUrl = page.Url;

        // The customer's 360 shows the ended relationship with Amy and the live one with the new guide.
        await rows.Filter(new() { HasText = "苏小鹿" }).Locator("a").ClickAsync();
        await Expect(page.GetByTestId("customer-name")).ToContainTextAsync("苏小鹿");
        await Expect(page.Locator("body")).ToContainTextAsync("安安的企业微信");
        await Expect(page.Locator("body")).ToContainTextAsync("已结束");

        await page.GotoAsync("/staff/handovers");
        var listed = page.GetByTestId("handover-row");
        await Expect(listed).ToHaveCountAsync(1);
        await Expect(listed.First).ToContainTextAsync("离职继承");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "handovers.zh-CN");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Customer handover");
        await Expect(page.GetByTestId("handover-row").First).ToContainTextAsync("Resigned handover");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "handovers.en");
        await page.GotoAsync(detailUrl);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Resigned handover · 安安");
        await Expect(page.GetByTestId("transfer-row").Filter(new() { HasText = "Taken over" })).ToHaveCountAsync(3);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "handover-detail.en");

        var staff = await admin.GetFromJsonAsync<JsonElement>($"/api/staff/{amy}");
        staff.GetProperty("customers").GetInt32().ShouldBe(0);
    }

    private static async Task<Guid> StaffAsync(HttpClient admin, string name, string wecomUserId)
    {
        var response = await admin.PostAsJsonAsync("/api/staff", new { name, wecomUserId });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static async Task CarrierAsync(HttpClient admin, string kind, string name, string externalId, Guid owner) =>
        (await admin.PostAsJsonAsync("/api/carriers", new { kind, name, externalId, ownerStaffId = owner })).EnsureSuccessStatusCode();

    [GeneratedRegex(@"/staff/handovers/[0-9a-f-]{36}")]
    private static partial Regex DetailUrl();
}
