using Dapper;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Customers;
using Pond.Storage;
using Pond.Tests.Infrastructure;
using Pond.Workspaces;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests;

[Collection(BrowserTests.Name)]
public sealed class OverviewTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Home_CountsThePoolByDepthAndRecentEvents_AndEveryPageReadsWellInBothLanguages()
    {
        var peony = await fixture.Server.CreateWorkspaceAsync("peony");
        var now = DateTimeOffset.UtcNow;
        await SeedCustomerAsync(peony.Id, "王小姐", Depth.Friend, now.AddHours(-2));
        await SeedCustomerAsync(peony.Id, "李先生", Depth.Friend, now.AddDays(-3));
        await SeedCustomerAsync(peony.Id, "陈女士", Depth.Community, now.AddDays(-10));
        await SeedCustomerAsync(peony.Id, "张同学", Depth.Fan, now.AddDays(-20));
        await SeedEventAsync(peony.Id, "m-1", now.AddHours(-1));
        await SeedEventAsync(peony.Id, "m-2", now.AddHours(-30));
        // Another workspace's customers never leak into this overview.
        await SeedCustomerAsync(fixture.Server.Workspace.Id, "别家客户", Depth.Friend, now);
        await fixture.Server.Service<WorkspaceService>().CreateKeyAsync(peony.Id, ApiKeyKinds.Secret, "ERP 订单同步", "tests");

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, peony.OwnerEmail, PondServer.OwnerPassword);
        // The stylesheet and Alpine are served: the sidebar is laid out and the menus start closed.
        (await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('.sidebar')).position")).ShouldBe("sticky");
        await Expect(page.Locator(".menu").First).ToBeHiddenAsync();
        await Expect(page.GetByTestId("stat-customers")).ToHaveTextAsync("4");
        await Expect(page.GetByTestId("stat-events")).ToHaveTextAsync("1");
        await Expect(page.Locator(".stat", new() { HasText = "好友" }).Locator(".stat-value")).ToHaveTextAsync("2");
        await Expect(page.Locator(".stat", new() { HasText = "社群" }).Locator(".stat-value")).ToHaveTextAsync("1");
        await Expect(page.Locator(".stat", new() { HasText = "粉丝" }).Locator(".stat-value")).ToHaveTextAsync("1");
        await Expect(page.Locator(".stat").First).ToContainTextAsync("近 7 天新增 2");
        await Expect(page.GetByTestId("newest-customers").Locator("tbody tr").First).ToContainTextAsync("王小姐");
        await Expect(page.GetByTestId("newest-customers")).Not.ToContainTextAsync("别家客户");

        foreach (var (culture, button) in new[] { ("zh-CN", "中文"), ("en", "EN") })
        {
            await page.GotoAsync("/");
            await page.GetByRole(AriaRole.Button, new() { Name = button }).ClickAsync();
            await page.WaitForURLAsync(ConsoleSteps.HomeUrl());
            await ConsoleSteps.ScreenshotAsync(fixture, page, $"home.{culture}");

            await page.GotoAsync("/settings/keys");
            await page.GetByLabel(culture == "en" ? "Name" : "名称").FillAsync(culture == "en" ? "web shop" : "官网商城");
            await page.Locator("form.form-inline button[type=submit]").ClickAsync();
            await Expect(page.GetByTestId("new-key")).ToBeVisibleAsync();
            await ConsoleSteps.ScreenshotAsync(fixture, page, $"keys.{culture}");

            await page.GotoAsync("/settings/members");
            await ConsoleSteps.ScreenshotAsync(fixture, page, $"members.{culture}");
            await page.GotoAsync("/settings/audit");
            await ConsoleSteps.ScreenshotAsync(fixture, page, $"audit.{culture}");
            await page.GotoAsync("/forbidden");
            await ConsoleSteps.ScreenshotAsync(fixture, page, $"forbidden-page.{culture}");
            await page.GotoAsync("/no-such-page");
            await ConsoleSteps.ScreenshotAsync(fixture, page, $"not-found.{culture}");
            await page.GetByTestId("user-menu").ClickAsync();
            await ConsoleSteps.ScreenshotAsync(fixture, page, $"user-menu.{culture}");
        }

        var anonymous = await fixture.NewPageAsync(locale: "en-US");
        await anonymous.GotoAsync("/signin");
        await Expect(anonymous.Locator("h1")).ToHaveTextAsync("Sign in");
        await ConsoleSteps.ScreenshotAsync(fixture, anonymous, "signin.en");
        await anonymous.GetByRole(AriaRole.Button, new() { Name = "中文" }).ClickAsync();
        await Expect(anonymous.Locator("h1")).ToHaveTextAsync("登录");
        await ConsoleSteps.ScreenshotAsync(fixture, anonymous, "signin.zh-CN");
    }

    private async Task SeedCustomerAsync(Guid workspaceId, string name, Depth depth, DateTimeOffset firstSeen)
    {
        await using var connection = await fixture.Server.Service<Database>().OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO customers (id, workspace_id, display_name, depth, first_seen_at, last_seen_at, created_at, updated_at)
            VALUES (@id, @workspaceId, @name, @depth, @firstSeen, @firstSeen, @firstSeen, @firstSeen)
            """,
            new { id = Guid.CreateVersion7(), workspaceId, name, depth = (int)depth, firstSeen });
    }

    private async Task SeedEventAsync(Guid workspaceId, string messageId, DateTimeOffset receivedAt)
    {
        await using var connection = await fixture.Server.Service<Database>().OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO customer_events (workspace_id, customer_id, message_id, type, name, occurred_at, properties)
            VALUES (@workspaceId, @customerId, @messageId, 'track', 'Product Viewed', @receivedAt, '{}')
            """,
            new { workspaceId, customerId = Guid.CreateVersion7(), messageId, receivedAt });
    }
}
