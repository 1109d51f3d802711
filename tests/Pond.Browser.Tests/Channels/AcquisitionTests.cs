using System.Net.Http.Json;
using System.Text;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Customers;
using Pond.Ingestion;
using Pond.Server.Channels;
using Pond.Staff;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.WeCom;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Channels;

/// <summary>
/// The acquisition issue's "must show": an operator builds a channel and a round-robin live code over three staff
/// accounts in the console; a visitor opens its short link; WeCom reports the add; the add is credited to that channel
/// and staff member on the customer 360. Then accounts are disabled: scans skip them, and with none left the landing
/// page falls back and the console raises an alert.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class AcquisitionTests(BrowserFixture fixture)
{
    private const string CorpId = "wwAcquisitionTest";
    private const string Token = "BrowserToken1";
    private const string AesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

    [Fact]
    public async Task BuildAChannelCode_VisitTheShortLink_WeComAdd_IsCreditedOnThe360_AndBrokenCodesFallBack()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("acquire");
        using var admin = workspace.AdminClient();
        (await admin.PutAsJsonAsync("/api/connections/wecom", new { corpId = CorpId, token = Token, encodingAesKey = AesKey })).EnsureSuccessStatusCode();
        var accounts = new List<CarrierAccount>();
        foreach (var (name, userId) in new[] { ("小美", "xiaomei"), ("阿杰", "ajie"), ("婷婷", "tingting") })
        {
            var staff = await (await admin.PostAsJsonAsync("/api/staff", new { name, wecomUserId = userId })).ReadAsync<StaffMember>(System.Net.HttpStatusCode.Created);
            accounts.Add(await (await admin.PostAsJsonAsync("/api/carriers", new
            {
                kind = CarrierKinds.WecomAccount, name = $"{name}的企业微信", externalId = userId, ownerStaffId = staff.Id,
                contactUrl = $"https://work.weixin.qq.com/ca/{userId}",
            })).ReadAsync<CarrierAccount>(System.Net.HttpStatusCode.Created));
        }

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "渠道活码", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("渠道活码");

        // The brand logo for QR images.
        var logo = Path.Combine(Path.GetTempPath(), $"logo-{Guid.NewGuid():N}.svg");
        await File.WriteAllTextAsync(logo, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><circle cx=\"5\" cy=\"5\" r=\"5\" fill=\"#e11d48\"/></svg>");
        await page.GetByTestId("logo-file").SetInputFilesAsync(logo);
        await page.GetByRole(AriaRole.Button, new() { Name = "上传 Logo" }).ClickAsync();
        await Expect(page.GetByTestId("brand-logo").Locator("img")).ToBeVisibleAsync();

        // The channel: a package card with a hook and tags.
        await page.GetByTestId("channel-name").FillAsync("双11包裹卡");
        await page.GetByTestId("channel-kind").SelectOptionAsync("package_card");
        await page.GetByTestId("channel-hook").FillAsync("扫码领 20 元无门槛券");
        await page.GetByTestId("channel-tags").FillAsync("包裹卡, 双11");
        await page.GetByTestId("channel-create-submit").ClickAsync();
        await Expect(page.GetByTestId("channel-title")).ToHaveTextAsync("双11包裹卡");

        // The code: round robin over the three accounts, with a welcome message.
        await page.GetByTestId("new-code").ClickAsync();
        await page.GetByTestId("code-name").FillAsync("包裹卡-11月");
        await page.GetByTestId("code-strategy").SelectOptionAsync("round_robin");
        foreach (var box in await page.GetByTestId("member-use").AllAsync())
            await box.CheckAsync();
        await page.GetByTestId("code-welcome").FillAsync("{nickname}你好，我是{staff}，送你一张{coupon}");
        await page.GetByTestId("code-save").ClickAsync();
        var shortLink = page.GetByTestId("code-short-link");
        await Expect(shortLink).ToContainTextAsync("/c/");
        await Expect(page.GetByTestId("qr-preview")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "带 Logo 的 SVG" })).ToBeVisibleAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, page, "live-code.zh-CN");
        var link = new Uri(await shortLink.InnerTextAsync());
        var code = (await admin.GetAsync<List<LiveCodeView>>("/api/live-codes")).Single().Code;

        // A visitor on a phone opens the short link.
        var phone = await NewPhoneAsync();
        await phone.GotoAsync(link.PathAndQuery);
        await Expect(phone.GetByTestId("landing-hook")).ToHaveTextAsync("扫码领 20 元无门槛券");
        await Expect(phone.GetByTestId("landing-qr").Locator("svg")).ToBeVisibleAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, phone, "landing.zh-CN");
        var assignedId = Guid.Parse((await phone.GetByTestId("landing-target").GetAttributeAsync("data-carrier-id"))!);
        var assigned = accounts.Single(a => a.Id == assignedId);

        // WeCom reports the add through the callback, with the code's state.
        var wecom = new WeComCallbackBuilder(CorpId, Token, AesKey);
        var signed = wecom.Sign(wecom.AddExternalContact(assigned.ExternalId, "wmBrowser01", DateTimeOffset.UtcNow, code.State, "WELCOME-1"), DateTimeOffset.UtcNow);
        using (var hooks = fixture.Server.Client())
            (await hooks.PostAsync($"/hooks/wecom/{workspace.Id}?{signed.Query}", new StringContent(signed.Body, Encoding.UTF8, "text/xml"))).EnsureSuccessStatusCode();
        await fixture.Server.Service<EventProcessor>().ProcessPendingAsync();

        // The 360 credits the channel, the code and the staff member.
        await page.GetByRole(AriaRole.Link, new() { Name = "客户", Exact = true }).ClickAsync();
        await page.GetByTestId("customer-row").First.Locator("a").First.ClickAsync();
        var arrived = page.GetByTestId("acquisitions");
        await Expect(arrived.GetByTestId("acquisition-channel")).ToHaveTextAsync("双11包裹卡");
        await Expect(arrived.GetByTestId("acquisition-staff")).ToHaveTextAsync(assigned.OwnerStaffName!);
        await Expect(arrived).ToContainTextAsync("包裹卡-11月");
        await Expect(page.GetByTestId("customer-tags")).ToContainTextAsync("双11");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "customer-360-acquisition.zh-CN");

        // Channel analytics credit the add to the channel and to the staff member (one visit, one add).
        await page.GotoAsync("/channels/analytics");
        var channelRow = page.GetByTestId("analytics-row").Filter(new() { HasText = "双11包裹卡" });
        await Expect(channelRow.Locator("td").Nth(1)).ToHaveTextAsync("1");
        await Expect(channelRow.Locator("td").Nth(2)).ToHaveTextAsync("1");
        await page.GotoAsync("/channels/analytics?by=staff");
        var staffRow = page.GetByTestId("analytics-row").Filter(new() { HasText = assigned.OwnerStaffName! });
        await Expect(staffRow.Locator("td").Nth(2)).ToHaveTextAsync("1");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "channel-analytics-by-staff.zh-CN");

        // One account disabled mid-campaign: the next scans go only to the others.
        await SetStatusAsync(admin, accounts[0], CarrierStatuses.Disabled);
        for (var i = 0; i < 4; i++)
        {
            var visitor = await NewPhoneAsync();
            await visitor.GotoAsync(link.PathAndQuery);
            (await visitor.GetByTestId("landing-target").GetAttributeAsync("data-carrier-id")).ShouldNotBe(accounts[0].Id.ToString());
            await visitor.Context.CloseAsync();
        }

        // All disabled: the landing page falls back and the console raises an alert.
        await SetStatusAsync(admin, accounts[1], CarrierStatuses.Banned);
        await SetStatusAsync(admin, accounts[2], CarrierStatuses.Disabled);
        var late = await NewPhoneAsync();
        await late.GotoAsync(link.PathAndQuery);
        await Expect(late.GetByTestId("landing-fallback")).ToBeVisibleAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, late, "landing-fallback.zh-CN");

        await page.GetByRole(AriaRole.Link, new() { Name = "渠道活码", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("alert")).ToContainTextAsync("活码无人可分配");
        await Expect(page.GetByTestId("alert")).ToContainTextAsync("此活码的所有导购账号都已停用或被封");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "channels.zh-CN");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Channels & live codes");
        await Expect(page.GetByTestId("alert")).ToContainTextAsync("Every staff account of the code is disabled or banned.");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "channels.en");
        await page.GotoAsync($"/live-codes/{code.Id}");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "live-code.en");
    }

    private async Task<IPage> NewPhoneAsync()
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fixture.Server.BaseAddress.ToString().TrimEnd('/'),
            Locale = "zh-CN",
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            IsMobile = true,
        });
        context.SetDefaultTimeout(10_000);
        return await context.NewPageAsync();
    }

    private static async Task SetStatusAsync(HttpClient admin, CarrierAccount account, string status) =>
        (await admin.PutAsJsonAsync($"/api/carriers/{account.Id}", new
        {
            kind = account.Kind, name = account.Name, externalId = account.ExternalId, ownerStaffId = account.OwnerStaffId, contactUrl = account.ContactUrl, status,
        })).EnsureSuccessStatusCode();
}
