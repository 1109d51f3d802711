using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Infrastructure;

/// <summary>The steps many tests share, written the way a person does them.</summary>
internal static partial class ConsoleSteps
{
    public static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/signin");
        await page.GetByLabel("邮箱").FillAsync(email);
        await page.GetByLabel("密码").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "登录", Exact = true }).ClickAsync();
    }

    public static async Task SignInAndLandOnHomeAsync(IPage page, string email, string password)
    {
        await SignInAsync(page, email, password);
        await page.WaitForURLAsync(HomeUrl());
        await Expect(page.Locator("h1")).ToHaveTextAsync("概览");
    }

    public static Regex HomeUrl() => HomeUrlPattern();

    /// <summary>A full-page screenshot, after checking the page does not scroll sideways (nothing overflows).</summary>
    public static async Task ScreenshotAsync(BrowserFixture fixture, IPage page, string name)
    {
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        overflow.ShouldBeLessThanOrEqualTo(0, $"{name} is wider than the window");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(fixture.ScreenshotDirectory, name + ".png"), FullPage = true });
    }

    [GeneratedRegex(@"^https?://[^/]+/$")]
    private static partial Regex HomeUrlPattern();
}
