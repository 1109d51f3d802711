using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Pond.Audience.Import;
using Pond.Browser.Tests.Infrastructure;
using Pond.Ingestion;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Audience;

/// <summary>导入 from the console: upload a CSV, watch it run to done, download the rejected rows.</summary>
[Collection(BrowserTests.Name)]
public sealed partial class ImportPageTests(BrowserFixture fixture)
{
    private const string Csv =
        "phone,email,name,tags,age:number,vip:bool,birthday:date,city\n"
        + "13800000001,amy@example.com,苏小鹿,高净值|复购,28,true,1990-05-01,上海\n"
        + "13800000002,,林一一,,abc,false,,北京\n"
        + "13800000003,bea@example.com,周末,新客,31,no,1992-02-03,深圳\n"
        + ",,无身份,,,,,\n";

    [Fact]
    public async Task Upload_ShowsProgressToDone_AndTheRejectedRowsDownload_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("importer");
        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "导入" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("导入");

        await page.GetByTestId("import-kind").SelectOptionAsync(ImportKinds.Customers);
        await page.GetByTestId("import-file").SetInputFilesAsync(new FilePayload { Name = "会员名单.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(Csv) });
        await page.GetByTestId("import-submit").ClickAsync();
        await page.WaitForURLAsync(JobUrl());
        await Expect(page.GetByTestId("import-state")).ToHaveTextAsync("排队中");

        // This server's background engines are off: the test plays the worker, and the page polls its way to done.
        var imports = fixture.Server.Service<ImportService>();
        var job = await imports.ClaimNextAsync();
        job.ShouldNotBeNull();
        await imports.RunAsync(job);
        await fixture.Server.Service<EventProcessor>().ProcessPendingAsync();

        await Expect(page.GetByTestId("import-state")).ToHaveTextAsync("已完成", new() { Timeout = 10_000 });
        await Expect(page.GetByTestId("import-accepted")).ToHaveTextAsync("2");
        await Expect(page.GetByTestId("import-rejected")).ToHaveTextAsync("2");
        await Expect(page.GetByTestId("import-row")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("import-row").First).ToContainTextAsync("已完成");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "audience-import.zh-CN");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("import-rejects").ClickAsync());
        download.SuggestedFilename.ShouldBe("会员名单-rejects.csv");
        var rejects = await File.ReadAllTextAsync((await download.PathAsync())!, Encoding.UTF8);
        var lines = rejects.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        lines[0].TrimStart('\uFEFF').ShouldBe("line,reason,row");
        lines[1].ShouldStartWith("3,age: 'abc' is not a number,");
        lines[2].ShouldStartWith("5,\"no identity");

        // The imported customers are in the customer list.
        await page.GotoAsync("/customers?search=13800000001");
        await Expect(page.Locator("#customer-results")).ToContainTextAsync("苏小鹿");

        await page.GotoAsync($"/audience/import?job={job.Id}");
        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Import");
        await Expect(page.GetByTestId("import-state")).ToHaveTextAsync("Import done");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "audience-import.en");
    }

    [GeneratedRegex(@"/audience/import\?job=[0-9a-f-]{36}")]
    private static partial Regex JobUrl();
}
