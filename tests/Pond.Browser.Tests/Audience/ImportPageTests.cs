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

    private const string OrdersCsv =
        "order_id,phone,placed_at,sku,name,category,price,quantity,discount,coupon,sales_channel\n"
        + "LL-20260301-01,13900000001,2026-03-01 14:05:00,LL-DR-01,法式碎花连衣裙,dress,399,1,50,SPRING50,mini_program\n"
        + "LL-20260301-01,13900000001,2026-03-01 14:05:00,LL-SK-02,棉袜三双装,socks,59.9,2,50,SPRING50,mini_program\n"
        + "LL-20260302-07,13900000002,2026-03-02 20:30:00,LL-TS-03,T恤,tops,129,1,,,tmall\n"
        + "LL-20260302-07,13900000002,2026-03-02 20:30:00,LL-XX,坏价,,abc,1,,,tmall\n";

    [Fact]
    public async Task OrderUpload_RunsToDone_AndOnlyTheGoodOrderIsRecorded_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("orderimporter");
        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GotoAsync("/audience/import");
        await Expect(page.Locator("h1")).ToHaveTextAsync("导入");

        await page.GetByTestId("import-kind").SelectOptionAsync(ImportKinds.Orders);
        await page.GetByTestId("import-file").SetInputFilesAsync(new FilePayload { Name = "三月订单.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(OrdersCsv) });
        await page.GetByTestId("import-submit").ClickAsync();
        await page.WaitForURLAsync(JobUrl());

        var imports = fixture.Server.Service<ImportService>();
        var job = await imports.ClaimNextAsync();
        job.ShouldNotBeNull();
        job.Kind.ShouldBe(ImportKinds.Orders);
        await imports.RunAsync(job);
        await fixture.Server.Service<EventProcessor>().ProcessPendingAsync();

        await Expect(page.GetByTestId("import-state")).ToHaveTextAsync("已完成", new() { Timeout = 10_000 });
        await Expect(page.GetByTestId("import-accepted")).ToHaveTextAsync("2");
        await Expect(page.GetByTestId("import-rejected")).ToHaveTextAsync("2"); // a bad row rejects its whole order
        await Expect(page.GetByTestId("import-row").First).ToContainTextAsync("订单");
        await page.Locator("details.import-help summary").ClickAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, page, "audience-import-orders.zh-CN");

        // The good order is recorded with its two lines (399 + 2 × 59.9 − 50); the one with a bad row is not.
        await page.GotoAsync("/commerce/orders/LL-20260301-01");
        await Expect(page.GetByTestId("order-paid")).ToContainTextAsync("468.80");
        await Expect(page.GetByTestId("order-coupons")).ToHaveTextAsync("SPRING50");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "audience-import-orders-detail.zh-CN");
        await page.GotoAsync("/commerce/orders/LL-20260302-07");
        await Expect(page.GetByTestId("order-detail")).ToHaveCountAsync(0);

        await page.GotoAsync($"/audience/import?job={job.Id}");
        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.GetByTestId("import-state")).ToHaveTextAsync("Import done");
        await Expect(page.GetByTestId("import-row").First).ToContainTextAsync("Orders");
        await page.Locator("details.import-help summary").ClickAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, page, "audience-import-orders.en");
    }

    [GeneratedRegex(@"/audience/import\?job=[0-9a-f-]{36}")]
    private static partial Regex JobUrl();
}
