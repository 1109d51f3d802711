using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Account;

[Collection(BrowserTests.Name)]
public sealed class LanguageTests(BrowserFixture fixture)
{
    [Fact]
    public async Task LanguageSwitch_TurnsOverviewIntoEnglishAndBack_OnTheSamePage()
    {
        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, fixture.Server.Workspace.OwnerEmail, PondServer.OwnerPassword);
        await Expect(page.Locator(".nav")).ToContainTextAsync("客户");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        await Expect(page.Locator(".nav")).ToContainTextAsync("Staff & accounts");
        (await page.Locator("html").GetAttributeAsync("lang")).ShouldBe("en");
        var cookies = await page.Context.CookiesAsync();
        cookies.ShouldContain(c => c.Name == ".AspNetCore.Culture" && c.Value == "c%3Den%7Cuic%3Den");

        await page.GotoAsync("/settings/audit");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Audit log");
        await page.GetByRole(AriaRole.Button, new() { Name = "中文" }).ClickAsync();
        await page.WaitForURLAsync("**/settings/audit");
        await Expect(page.Locator("h1")).ToHaveTextAsync("审计日志");

        await page.GotoAsync("/");
        await Expect(page.Locator("h1")).ToHaveTextAsync("概览");
    }
}
