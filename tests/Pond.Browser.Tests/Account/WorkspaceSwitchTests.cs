using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Tests.Infrastructure;
using Pond.Workspaces;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Account;

[Collection(BrowserTests.Name)]
public sealed class WorkspaceSwitchTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Switcher_MovesBetweenWorkspaces_AndSignInReturnsToTheLastOne()
    {
        var email = "multi@lily.test";
        var workspaces = fixture.Server.Service<WorkspaceService>();
        var orchid = await fixture.Server.CreateWorkspaceAsync("orchid");
        await workspaces.AddMemberAsync(fixture.Server.Workspace.Id, email, "multi-password", Roles.Operator);
        await workspaces.AddMemberAsync(orchid.Id, email, null, Roles.Admin);

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, email, "multi-password");
        var switcher = page.GetByTestId("workspace-switcher");
        await Expect(switcher).ToContainTextAsync("lily brand");
        await Expect(switcher).ToContainTextAsync("运营");
        await Expect(page.Locator(".nav")).Not.ToContainTextAsync("设置");

        await switcher.ClickAsync();
        await Expect(page.GetByText("切换工作区").Last).ToBeVisibleAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, page, "workspace-switcher.zh-CN");
        await page.GetByRole(AriaRole.Button, new() { Name = "orchid brand" }).ClickAsync();
        await page.WaitForURLAsync(ConsoleSteps.HomeUrl());
        await Expect(switcher).ToContainTextAsync("orchid brand");
        await Expect(switcher).ToContainTextAsync("管理员");
        await Expect(page.Locator(".page-head")).ToContainTextAsync("orchid brand");
        // Admin in orchid: the settings appear.
        await Expect(page.Locator(".nav")).ToContainTextAsync("设置");

        // Signing out and in again lands in the workspace used last.
        await page.GetByTestId("user-menu").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "退出登录" }).ClickAsync();
        await page.WaitForURLAsync("**/signin");
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, email, "multi-password");
        await Expect(switcher).ToContainTextAsync("orchid brand");

        await switcher.ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "lily brand" }).ClickAsync();
        await Expect(switcher).ToContainTextAsync("lily brand");
    }
}
