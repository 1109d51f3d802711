using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Settings;

[Collection(BrowserTests.Name)]
public sealed class MemberTests(BrowserFixture fixture)
{
    [Fact]
    public async Task AddAnalyst_WhoCannotOpenSettings_ThenChangeRoleAndRemove()
    {
        var owner = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(owner, fixture.Server.Workspace.OwnerEmail, PondServer.OwnerPassword);
        await owner.GotoAsync("/settings/members");

        // A new user without a password is refused with a message that says what to do.
        await owner.GetByLabel("邮箱").FillAsync("ana@lily.test");
        await owner.Locator("#member-role").SelectOptionAsync("analyst");
        await owner.GetByRole(AriaRole.Button, new() { Name = "添加成员" }).ClickAsync();
        await Expect(owner.Locator(".alert-error")).ToContainTextAsync("还没有 Pond 账号");

        await owner.GetByLabel("邮箱").FillAsync("ana@lily.test");
        await owner.Locator("#member-role").SelectOptionAsync("analyst");
        await owner.GetByLabel("密码（仅新用户需要）").FillAsync("analyst-password");
        await owner.GetByRole(AriaRole.Button, new() { Name = "添加成员" }).ClickAsync();
        await Expect(owner.Locator(".alert-ok")).ToHaveTextAsync("已添加 ana@lily.test，角色为分析师。");
        var row = owner.Locator("tr[data-email='ana@lily.test']");
        await Expect(row.Locator("select")).ToHaveValueAsync("analyst");
        await ConsoleSteps.ScreenshotAsync(fixture, owner, "members-with-analyst.zh-CN");

        var analyst = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(analyst, "ana@lily.test", "analyst-password");
        await Expect(analyst.GetByTestId("workspace-switcher")).ToContainTextAsync("分析师");
        await Expect(analyst.Locator(".nav")).Not.ToContainTextAsync("设置");
        await Expect(analyst.Locator(".nav")).Not.ToContainTextAsync("API 密钥");
        foreach (var path in new[] { "/settings/keys", "/settings/members", "/settings/audit" })
        {
            var response = await analyst.GotoAsync(path);
            response!.Status.ShouldBe(403);
            await analyst.WaitForURLAsync("**/forbidden**");
            await Expect(analyst.Locator("h1")).ToHaveTextAsync("无权访问");
        }

        await ConsoleSteps.ScreenshotAsync(fixture, analyst, "forbidden.zh-CN");

        await row.Locator("select").SelectOptionAsync("operator");
        await row.GetByRole(AriaRole.Button, new() { Name = "保存" }).ClickAsync();
        await Expect(owner.Locator(".alert-ok")).ToHaveTextAsync("ana@lily.test 的角色已改为运营。");
        await Expect(owner.Locator("tr[data-email='ana@lily.test'] select")).ToHaveValueAsync("operator");

        // The owner's own row offers no controls: nobody demotes or removes themselves by a slip.
        await Expect(owner.Locator($"tr[data-email='{fixture.Server.Workspace.OwnerEmail}'] select")).ToHaveCountAsync(0);

        row = owner.Locator("tr[data-email='ana@lily.test']");
        await row.GetByRole(AriaRole.Button, new() { Name = "移除", Exact = true }).ClickAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "确认移除" }).ClickAsync();
        await Expect(owner.Locator(".alert-ok")).ToHaveTextAsync("已将 ana@lily.test 移出此工作区。");
        await Expect(owner.Locator("tr[data-email='ana@lily.test']")).ToHaveCountAsync(0);

        await owner.GotoAsync("/settings/audit");
        await Expect(owner.GetByTestId("audit")).ToContainTextAsync("移除成员");
        await Expect(owner.GetByTestId("audit")).ToContainTextAsync("添加成员或变更角色");
    }
}
