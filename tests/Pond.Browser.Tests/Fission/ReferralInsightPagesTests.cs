using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Tests.Fission;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Fission;

/// <summary>
/// An operator reads the hand-computed referral fixture (<see cref="ReferralFixture"/>) on the campaign dashboard, walks a
/// seed's fission tree, and approves the invitation anti-fraud held: it leaves the review queue and the campaign's
/// successes rise. In Chinese and in English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class ReferralInsightPagesTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Dashboard_ShowsTheFixturesFigures_Tree_AndReviewQueueApproval_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("referral-insight");
        var referral = await ReferralFixture.BuildAsync(workspace);
        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, Pond.Tests.Infrastructure.PondServer.OwnerPassword);

        // The dashboard: the numbers worked out by hand in ReferralAnalyticsTests.
        await page.GotoAsync($"/fission/referrals/{referral.CampaignId}/dashboard");
        await Expect(page.GetByTestId("dashboard-title")).ToHaveTextAsync("冬季老带新");
        await Expect(page.GetByTestId("stat-participants")).ToHaveTextAsync("7");
        await Expect(page.GetByTestId("stat-k-factor")).ToHaveTextAsync("0.86");
        await Expect(page.GetByTestId("stat-fission-rate")).ToHaveTextAsync("120%");
        await Expect(page.GetByTestId("stat-cost-per-new")).ToHaveTextAsync("¥12.50");
        await Expect(page.GetByTestId("stat-depth")).ToHaveTextAsync("3");
        await Expect(page.GetByTestId("stat-revoked")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("funnel-views")).ToHaveTextAsync("16");
        await Expect(page.GetByTestId("funnel-invitations")).ToHaveTextAsync("10");
        await Expect(page.GetByTestId("funnel-successful")).ToHaveTextAsync("6");
        await Expect(page.GetByTestId("funnel-new")).ToHaveTextAsync("6");
        var generations = page.GetByTestId("generation-row");
        await Expect(generations).ToHaveCountAsync(3);
        foreach (var (generation, participants, invitations, successful) in new[] { (1, "5", "7", "3"), (2, "1", "2", "2"), (3, "1", "1", "1") })
        {
            var generationRow = page.Locator($"[data-testid=generation-row][data-generation='{generation}']");
            await Expect(generationRow.Locator("[data-metric=participants]")).ToHaveTextAsync(participants);
            await Expect(generationRow.Locator("[data-metric=invitations]")).ToHaveTextAsync(invitations);
            await Expect(generationRow.Locator("[data-metric=successful]")).ToHaveTextAsync(successful);
        }

        await Expect(page.Locator("[data-testid=ladder-row][data-threshold='2'] [data-metric=reached]")).ToHaveTextAsync("2");
        await Expect(page.Locator("[data-testid=rejected-reasons] [data-reason=self_invite]")).ToContainTextAsync("自己邀请自己");
        await Expect(page.GetByTestId("daily-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await Expect(page.GetByTestId("generations-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-dashboard.zh-CN");

        // A seed's tree: 安琪 → 林小溪 (generation 2) → 赵雪 (generation 3) → 孙悦.
        await page.Locator($"[data-testid=top-inviter][data-participant='{referral.Participants["A"].Id}'] [data-testid=tree-link]").ClickAsync();
        await Expect(page.GetByTestId("tree-title")).ToContainTextAsync("安琪");
        await Expect(page.GetByTestId("tree-shown")).ToHaveTextAsync("8");
        await Expect(page.GetByTestId("tree-depth")).ToHaveTextAsync("3");
        await Expect(page.Locator($"[data-testid=tree-invitee][data-customer='{referral.Customers["a3"]}']")).ToContainTextAsync("已撤销");
        await Expect(page.Locator($"[data-testid=tree-participant][data-customer='{referral.Customers["a1x"]}']")).ToContainTextAsync("第 3 代");
        await Expect(page.Locator($"[data-testid=tree-invitee][data-customer='{referral.Customers["a1x1"]}']")).ToContainTextAsync("孙悦");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-tree.zh-CN");

        // The review queue, from the navigation: approve 郑好, A's fourth invitation within the hour.
        await page.GetByRole(AriaRole.Link, new() { Name = "审核队列", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("审核队列");
        var row = page.Locator($"[data-testid=review-row][data-invitation='{referral.HeldInvitationId}']");
        await Expect(row).ToContainTextAsync("郑好");
        await Expect(row).ToContainTextAsync("邀请过快");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-review.zh-CN");
        await row.GetByTestId("review-approve").ClickAsync();
        await Expect(page.GetByTestId("review-notice")).ToContainTextAsync("郑好");
        await Expect(page.GetByTestId("review-row")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("review-empty")).ToBeVisibleAsync();

        // Back on the dashboard: seven successes now, K = 7 / 7.
        await page.GotoAsync($"/fission/referrals/{referral.CampaignId}/dashboard");
        await Expect(page.GetByTestId("funnel-successful")).ToHaveTextAsync("7");
        await Expect(page.GetByTestId("stat-k-factor")).ToHaveTextAsync("1.00");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.GetByTestId("referral-stats")).ToContainTextAsync("K-factor");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-dashboard.en");
        await page.GotoAsync($"/fission/referrals/{referral.CampaignId}/tree/{referral.Participants["A"].Id}");
        await Expect(page.GetByTestId("tree-title")).ToContainTextAsync("Fission tree of");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-tree.en");
        await page.GotoAsync("/fission/review");
        await Expect(page.GetByTestId("review-empty")).ToHaveTextAsync("Nothing waits for review.");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-review.en");
    }

    [Fact]
    public async Task DemoCampaign_LooksAlive_OnTheDashboardAndInTheReviewQueue()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("referral-demo");
        await DemoReferralsTests.SmallBrandAsync(workspace, customers: 450);
        var demo = await Pond.Server.Demo.DemoReferrals.SetUpAsync(fixture.Server.App.Services, workspace.Id);
        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, Pond.Tests.Infrastructure.PondServer.OwnerPassword);

        await page.GotoAsync($"/fission/referrals/{demo.RunningCampaignId}/dashboard");
        await Expect(page.GetByTestId("dashboard-title")).ToHaveTextAsync("冬季焕新 · 老带新");
        await Expect(page.GetByTestId("generation-row")).ToHaveCountAsync(3);
        await Expect(page.GetByTestId("daily-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-dashboard-demo.zh-CN");
        await page.GetByTestId("tree-link").First.ClickAsync();
        await Expect(page.GetByTestId("tree-invitee").First).ToBeVisibleAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-tree-demo.zh-CN");
        await page.GotoAsync("/fission/review");
        await Expect(page.GetByTestId("review-row").First).ToBeVisibleAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-review-demo.zh-CN");
        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.GetByTestId("review-table")).ToContainTextAsync("Too many invitations too fast");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "fission-review-demo.en");
    }
}
