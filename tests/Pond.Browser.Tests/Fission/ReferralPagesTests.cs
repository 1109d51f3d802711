using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Fission;

/// <summary>
/// An operator opens 裂变 → 老带新, creates a campaign in the editor (live code, ladder row, poster words with the live
/// preview), a customer joins through the API, and the detail page lists them with their poster, which opens as a PNG.
/// A friend opens the invitation link on a phone and adds the staff account through it; the campaign dashboard's funnel
/// shows the views, the invitation and the new customer. In Chinese and in English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class ReferralPagesTests(BrowserFixture fixture)
{
    [Fact]
    public async Task CreateCampaign_JoinAParticipant_AndOpenTheirPoster_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("referral-pages");
        var admin = workspace.AdminClient();
        var staff = await (await admin.PostAsJsonAsync("/api/staff", new { name = "小美", wecomUserId = "xiaomei" })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var account = await (await admin.PostAsJsonAsync("/api/carriers", new
        {
            kind = "wecom_account", name = "小美的企业微信", externalId = "xiaomei", ownerStaffId = staff.GetProperty("id").GetGuid(),
            contactUrl = "https://work.weixin.qq.com/ca/xiaomei",
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var channel = await (await admin.PostAsJsonAsync("/api/channels", new { name = "老带新", kind = "referral", hook = "新人添加顾问领 ¥20 券" }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created);
        var code = await (await admin.PostAsJsonAsync("/api/live-codes", new
        {
            channelId = channel.GetProperty("id").GetGuid(), kind = "staff", name = "老带新顾问码", strategy = "round_robin",
            members = new[] { new { carrierId = account.GetProperty("id").GetGuid() } },
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var codeId = code.GetProperty("code").GetProperty("id").GetGuid();
        var inviter = await new CustomerSeed(workspace).CustomerAsync("林小姐");

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await Expect(page.Locator(".nav-section", new() { HasText = "裂变" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "老带新", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("老带新");
        await page.GetByTestId("referral-new").ClickAsync();

        // The editor: the live preview follows the words as they are typed.
        var preview = page.GetByTestId("poster-preview");
        await Expect(preview).ToHaveJSPropertyAsync("naturalWidth", 750);
        await page.GetByTestId("rc-name").FillAsync("老带新 · 冬季");
        await page.GetByTestId("rc-status").SelectOptionAsync("active");
        await page.GetByTestId("rc-code").SelectOptionAsync(codeId.ToString());
        await page.GetByTestId("ladder-add").ClickAsync();
        await Expect(page.GetByTestId("ladder-row")).ToHaveCountAsync(2);
        await page.GetByTestId("ladder-remove").Nth(1).ClickAsync();
        await Expect(page.GetByTestId("ladder-row")).ToHaveCountAsync(1);
        await page.GetByTestId("ladder-threshold").FillAsync("1");
        await page.GetByTestId("ladder-gift").FillAsync("帆布袋");
        await page.GetByTestId("rc-title").FillAsync("邀好友 得帆布袋");
        await page.GetByTestId("rc-text").FillAsync("好友添加顾问即送新人券");
        // The preview asks for the typed words ("得帆布袋", "顾问" URL-encoded) once typing pauses.
        await Expect(preview).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("title=[^&]*%E5%BE%97%E5%B8%86%E5%B8%83%E8%A2%8B.*text=[^&]*%E9%A1%BE%E9%97%AE"));
        await Expect(preview).ToHaveJSPropertyAsync("naturalWidth", 750);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-referral-editor.zh-CN");
        await page.GetByTestId("rc-save").ClickAsync();

        await Expect(page.GetByTestId("referral-name")).ToHaveTextAsync("老带新 · 冬季");
        var campaignId = Guid.Parse(page.Url.Split('/')[^1]);
        await Expect(page.GetByTestId("referral-settings")).ToContainTextAsync("帆布袋");

        // A customer joins through the API (what the mini-program does) and appears with their poster.
        var joined = await (await admin.PostAsJsonAsync($"/api/referrals/campaigns/{campaignId}/participants", new { customerId = inviter }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created);
        var inviteCode = joined.GetProperty("inviteCode").GetString()!;
        await page.ReloadAsync();
        await Expect(page.GetByTestId("participant-row")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("participant-row")).ToContainTextAsync("林小姐");
        await Expect(page.GetByTestId("stat-participants")).ToHaveTextAsync("1");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-referral-detail.zh-CN");

        var posterHref = await page.GetByTestId("participant-poster").GetAttributeAsync("href");
        var poster = await page.Context.NewPageAsync();
        var response = await poster.GotoAsync(posterHref!);
        response!.Status.ShouldBe(200);
        (await response.HeaderValueAsync("content-type")).ShouldBe("image/png");
        (await poster.EvaluateAsync<int[]>("() => [document.images[0].naturalWidth, document.images[0].naturalHeight]")).ShouldBe([750, 1334]);
        await poster.CloseAsync();

        // The list counts the participant; the same pages in English.
        await page.GotoAsync("/fission/referrals");
        await Expect(page.GetByTestId("row-participants")).ToHaveTextAsync("1");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-referrals.zh-CN");
        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Referral campaigns");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-referrals.en");
        await page.GotoAsync($"/fission/referrals/{campaignId}");
        await Expect(page.GetByTestId("participant-table")).ToContainTextAsync("Poster image");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-referral-detail.en");
        await page.GotoAsync($"/fission/referrals/{campaignId}/edit");
        await Expect(page.GetByTestId("rc-upload")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("poster-preview")).ToHaveJSPropertyAsync("naturalWidth", 750);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-referral-editor.en");

        // A background uploaded in the editor shows on the preview; a file that is no image is refused and the background stays.
        var photo = Pond.Tests.Fission.PosterKit.Background(750, 1334);
        await page.GetByTestId("rc-background").SetInputFilesAsync(new FilePayload { Name = "winter.jpg", MimeType = "image/jpeg", Buffer = photo });
        await page.GetByTestId("rc-upload").ClickAsync();
        await Expect(page.GetByTestId("rc-remove-background")).ToBeVisibleAsync();
        (await admin.GetByteArrayAsync($"/api/referrals/campaigns/{campaignId}/poster-background")).ShouldBe(photo);
        await page.GetByTestId("rc-background").SetInputFilesAsync(new FilePayload { Name = "notes.png", MimeType = "image/png", Buffer = "not an image"u8.ToArray() });
        await page.GetByTestId("rc-upload").ClickAsync();
        await Expect(page.GetByTestId("form-error")).ToContainTextAsync("PNG or JPEG");
        (await admin.GetByteArrayAsync($"/api/referrals/campaigns/{campaignId}/poster-background")).ShouldBe(photo);
        await page.GotoAsync($"/fission/referrals/{campaignId}");
        await Expect(page.GetByTestId("referral-settings")).ToContainTextAsync("Uploaded image");
        await Expect(page.GetByTestId("poster-preview")).ToHaveJSPropertyAsync("naturalWidth", 750);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-referral-detail-background.en");

        // The friend's phone: the invitation landing, no sign-in.
        foreach (var locale in new[] { "zh-CN", "en" })
        {
            var phone = await fixture.NewPageAsync(locale: locale);
            await phone.SetViewportSizeAsync(390, 844);
            await phone.GotoAsync($"/r/{inviteCode}");
            await Expect(phone.GetByTestId("invite-inviter")).ToHaveTextAsync("林小姐");
            await Expect(phone.GetByTestId("landing-qr")).ToBeVisibleAsync();
            await ConsoleSteps.ScreenshotAsync(fixture, phone, $"fission-invite-landing.{locale}");
            await phone.Context.CloseAsync();
        }

        (await admin.GetFromJsonAsync<JsonElement>($"/api/referrals/participants/{joined.GetProperty("id").GetGuid()}")).GetProperty("posterViews").GetInt32().ShouldBe(2);

        // A friend adds 小美 through the poster (the add carries the participant's state) and the funnel moves on the dashboard.
        using (var tracking = workspace.TrackingClient())
        {
            await Pond.Tests.Ingestion.IngestionKit.SendOkAsync(tracking, "/v1/track", new
            {
                anonymousId = "wm-friend-browser", @event = "Relationship Started",
                context = new { traits = new { wecom_external_userid = "wm-friend-browser" } },
                properties = new { carrier_kind = "wecom_account", carrier_id = "xiaomei", state = joined.GetProperty("state").GetString() },
            });
        }

        await Pond.Tests.Ingestion.IngestionKit.ProcessAsync(fixture.Server);
        await page.GotoAsync($"/fission/referrals/{campaignId}");
        await page.GetByTestId("referral-dashboard").ClickAsync();
        await Expect(page.GetByTestId("funnel-views")).ToHaveTextAsync("2");
        await Expect(page.GetByTestId("funnel-invitations")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("funnel-successful")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("funnel-new")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("stat-k-factor")).ToHaveTextAsync("1.00");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-referral-funnel.en");
    }
}
