using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Tests.Content;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Content;

/// <summary>素材库 from the console: a folder, an image upload (and a refused fake), a script with a variable and its preview.</summary>
[Collection(BrowserTests.Name)]
public sealed partial class ContentLibraryPageTests(BrowserFixture fixture)
{
    [Fact]
    public async Task UploadAnImage_WriteAScriptWithAVariable_AndSeeThePreview_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("contentlib");
        var seed = new CustomerSeed(workspace);
        var guide = await seed.StaffAsync("小美");
        await seed.CustomerAsync("林小姐", owner: guide, traits: new { city = "杭州" });

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "素材库" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("素材库");
        await Expect(page.GetByTestId("content-empty")).ToBeVisibleAsync();

        // A folder, then into it.
        await page.GetByLabel("新建文件夹").FillAsync("新客欢迎");
        await page.GetByRole(AriaRole.Button, new() { Name = "新建文件夹" }).ClickAsync();
        await Expect(page.GetByTestId("folder").Filter(new() { HasText = "新客欢迎" })).ToHaveClassAsync(new Regex("active"));

        // A text file named .png is refused with the reason, and nothing is created.
        await page.GetByTestId("upload-kind").SelectOptionAsync("image");
        await page.GetByTestId("upload-file").SetInputFilesAsync(new FilePayload { Name = "假海报.png", MimeType = "image/png", Buffer = Encoding.UTF8.GetBytes("not an image at all") });
        await page.GetByTestId("upload-submit").ClickAsync();
        await Expect(page.GetByTestId("upload-error")).ToContainTextAsync("假海报.png");
        await Expect(page.GetByTestId("upload-error")).ToContainTextAsync("content, not its name");

        // A real PNG makes an image item; its page shows it.
        await page.GetByTestId("upload-title").FillAsync("春季新品海报");
        await page.GetByTestId("upload-tags").FillAsync("上新, 海报");
        await page.GetByTestId("upload-file").SetInputFilesAsync(new FilePayload { Name = "spring.png", MimeType = "image/png", Buffer = ContentLibraryTests.Png(300, 400) });
        await page.GetByTestId("upload-submit").ClickAsync();
        await page.WaitForURLAsync(new Regex("/content/[0-9a-f-]{36}$"));
        await Expect(page.GetByTestId("content-title")).ToContainTextAsync("春季新品海报");
        await Expect(page.GetByTestId("content-image")).ToBeVisibleAsync();
        var natural = await page.GetByTestId("content-image").EvaluateAsync<int>("img => img.naturalWidth");
        natural.ShouldBe(300);
        var imageUrl = page.Url;
        await ConsoleSteps.ScreenshotAsync(fixture, page, "content-detail-image.zh-CN");

        // A script with a variable: insert {name} and {staff} from the chips, pick a customer, see the preview.
        await page.GotoAsync("/content");
        await Expect(page.GetByTestId("content-card")).ToHaveCountAsync(1);
        await page.GetByTestId("new-script").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("新建话术");
        await Expect(page.GetByTestId("preview-text")).ToBeAttachedAsync();
        await page.GetByTestId("ce-title").FillAsync("新客欢迎语");
        await page.GetByTestId("ce-body").FillAsync("");
        await page.GetByTestId("ce-variables").Locator("[data-variable='{name}']").ClickAsync();
        await page.GetByTestId("ce-body").PressSequentiallyAsync("您好，我是您的顾问");
        await page.GetByTestId("ce-variables").Locator("[data-variable='{staff}']").ClickAsync();
        await page.GetByTestId("ce-body").PressSequentiallyAsync("。杭州门店上新了！");
        await page.GetByTestId("ce-customer").PressSequentiallyAsync("林");
        await Expect(page.GetByTestId("preview-text")).ToHaveTextAsync("林小姐您好，我是您的顾问小美。杭州门店上新了！", new() { Timeout = 10_000 });
        await Expect(page.GetByTestId("preview-customer")).ToContainTextAsync("林小姐");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "content-editor.zh-CN");

        // An unknown variable is flagged in the preview and refused on save.
        await page.GetByTestId("ce-body").PressSequentiallyAsync("{firstname}");
        await Expect(page.GetByTestId("preview-unknown")).ToContainTextAsync("{firstname}");
        await page.GetByTestId("ce-save").ClickAsync();
        await Expect(page.GetByTestId("form-error")).ToContainTextAsync("Known variables");
        await page.GetByTestId("ce-body").FillAsync("{name}您好，我是您的顾问{staff}。杭州门店上新了！https://shop.lumilane.cn/new");
        await page.GetByTestId("ce-save").ClickAsync();
        await page.WaitForURLAsync(new Regex("/content/[0-9a-f-]{36}$"));
        await Expect(page.GetByTestId("content-body")).ToContainTextAsync("{name}您好");
        await Expect(page.GetByTestId("link-row")).ToHaveCountAsync(1);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "content-detail-script.zh-CN");

        await page.GotoAsync("/content");
        await Expect(page.GetByTestId("content-card")).ToHaveCountAsync(2);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "content-library.zh-CN");

        // The same pages in English.
        await page.GetByRole(AriaRole.Button, new() { Name = "EN", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Content library");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "content-library.en");
        await page.GetByTestId("content-card").Filter(new() { HasText = "新客欢迎语" }).ClickAsync();
        await Expect(page.GetByTestId("content-stats")).ToContainTextAsync("Unique clickers");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "content-detail-script.en");
        await page.GetByTestId("content-edit").ClickAsync();
        // The first preview (no customer yet) shows the script unfilled; then pick the customer.
        await Expect(page.GetByTestId("preview-text")).ToContainTextAsync("{name}");
        await page.GetByTestId("ce-customer").PressSequentiallyAsync("林");
        await Expect(page.GetByTestId("preview-text")).ToContainTextAsync("林小姐您好，我是您的顾问小美。", new() { Timeout = 10_000 });
        await ConsoleSteps.ScreenshotAsync(fixture, page, "content-editor.en");
        await page.GotoAsync(imageUrl);
        await ConsoleSteps.ScreenshotAsync(fixture, page, "content-detail-image.en");
    }
}
