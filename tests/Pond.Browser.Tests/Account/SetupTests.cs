using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Account;

[Collection(BrowserTests.Name)]
public sealed class SetupTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Setup_OnEmptyServer_CreatesOwnerAndLandsOnHome_ThenIsClosed()
    {
        await using var server = await EmptyServer.StartAsync();
        var page = await fixture.NewPageAsync(server.BaseAddress);

        await page.GotoAsync("/");
        await page.WaitForURLAsync("**/setup");
        await Expect(page.Locator("h1")).ToHaveTextAsync("初始化 Pond");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "setup.zh-CN");

        await page.GetByLabel("工作区名称").FillAsync("莉莉服饰");
        await page.GetByLabel("简称（slug）").FillAsync("lily-fashion");
        await page.GetByLabel("邮箱").FillAsync("boss@lily.test");
        await page.GetByLabel("密码").FillAsync("short");
        await page.GetByRole(AriaRole.Button, new() { Name = "创建工作区" }).ClickAsync();
        // The browser's own minlength check stops a short password before the server sees it.
        page.Url.ShouldEndWith("/setup");

        await page.GetByLabel("密码").FillAsync("a-long-enough-secret");
        await page.GetByRole(AriaRole.Button, new() { Name = "创建工作区" }).ClickAsync();
        await page.WaitForURLAsync(ConsoleSteps.HomeUrl());
        await Expect(page.Locator("h1")).ToHaveTextAsync("概览");
        await Expect(page.GetByTestId("workspace-switcher")).ToContainTextAsync("莉莉服饰");
        await Expect(page.GetByTestId("workspace-switcher")).ToContainTextAsync("所有者");
        await Expect(page.GetByTestId("stat-customers")).ToHaveTextAsync("0");

        // Once someone exists, setup is closed for everyone, signed in or not.
        await page.GotoAsync("/setup");
        await page.WaitForURLAsync("**/signin");
        var stranger = await fixture.NewPageAsync(server.BaseAddress);
        await stranger.GotoAsync("/setup");
        await stranger.WaitForURLAsync("**/signin");
        await ConsoleSteps.SignInAndLandOnHomeAsync(stranger, "boss@lily.test", "a-long-enough-secret");
    }

    [Fact]
    public async Task Setup_InEnglish_ReadsWell()
    {
        await using var server = await EmptyServer.StartAsync();
        var page = await fixture.NewPageAsync(server.BaseAddress);
        await page.GotoAsync("/setup");
        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Set up Pond");
        page.Url.ShouldEndWith("/setup");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "setup.en");

        await page.GetByLabel("Workspace name").FillAsync("Lily");
        await page.GetByLabel("Short name (slug)").FillAsync("Not A Slug!");
        await page.GetByLabel("Email").FillAsync("boss@lily.test");
        await page.GetByLabel("Password").FillAsync("a-long-enough-secret");
        // Skip the browser's pattern check to see the server's own answer.
        await page.Locator("form.form-stack").EvaluateAsync("f => f.noValidate = true");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create workspace" }).ClickAsync();
        await Expect(page.Locator(".alert-error")).ToContainTextAsync("slug");
        page.Url.ShouldEndWith("/setup");
    }
}
