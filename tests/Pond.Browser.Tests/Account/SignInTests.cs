using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Account;

[Collection(BrowserTests.Name)]
public sealed class SignInTests(BrowserFixture fixture)
{
    [Fact]
    public async Task SignIn_WrongPassword_ShowsError_RightPassword_LandsOnHome()
    {
        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAsync(page, fixture.Server.Workspace.OwnerEmail, "not-the-password");
        await Expect(page.Locator(".alert-error")).ToHaveTextAsync("邮箱或密码不正确。");
        page.Url.ShouldEndWith("/signin");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "signin-error.zh-CN");

        // An unknown email gets exactly the same answer.
        await ConsoleSteps.SignInAsync(page, "nobody@lily.test", PondServer.OwnerPassword);
        await Expect(page.Locator(".alert-error")).ToHaveTextAsync("邮箱或密码不正确。");

        await ConsoleSteps.SignInAndLandOnHomeAsync(page, fixture.Server.Workspace.OwnerEmail, PondServer.OwnerPassword);
        await Expect(page.GetByTestId("workspace-switcher")).ToContainTextAsync("lily brand");
    }

    [Fact]
    public async Task SignIn_HonoursLocalReturnUrl_IgnoresForeignOne()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/settings/members");
        await page.WaitForURLAsync("**/signin?ReturnUrl=%2Fsettings%2Fmembers");
        await page.GetByLabel("邮箱").FillAsync(fixture.Server.Workspace.OwnerEmail);
        await page.GetByLabel("密码").FillAsync(PondServer.OwnerPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "登录", Exact = true }).ClickAsync();
        await page.WaitForURLAsync("**/settings/members");
        await Expect(page.Locator("h1")).ToHaveTextAsync("成员");

        var other = await fixture.NewPageAsync();
        await other.GotoAsync("/signin?ReturnUrl=" + Uri.EscapeDataString("//evil.example/phish"));
        await other.GetByLabel("邮箱").FillAsync(fixture.Server.Workspace.OwnerEmail);
        await other.GetByLabel("密码").FillAsync(PondServer.OwnerPassword);
        await other.GetByRole(AriaRole.Button, new() { Name = "登录", Exact = true }).ClickAsync();
        await other.WaitForURLAsync(ConsoleSteps.HomeUrl());
        new Uri(other.Url).Host.ShouldBe(fixture.Server.BaseAddress.Host);
    }

    [Fact]
    public async Task SignOut_FromUserMenu_EndsTheSession()
    {
        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, fixture.Server.Workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GetByTestId("user-menu").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "退出登录" }).ClickAsync();
        await page.WaitForURLAsync("**/signin");

        await page.GotoAsync("/");
        await page.WaitForURLAsync("**/signin?ReturnUrl=%2F");
    }

    [Fact]
    public async Task UnknownPage_ShowsFriendlyNotFound()
    {
        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, fixture.Server.Workspace.OwnerEmail, PondServer.OwnerPassword);
        var response = await page.GotoAsync("/no/such/page");
        response!.Status.ShouldBe(404);
        await Expect(page.Locator("h1")).ToHaveTextAsync("页面不存在");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "返回概览" })).ToBeVisibleAsync();
    }
}
