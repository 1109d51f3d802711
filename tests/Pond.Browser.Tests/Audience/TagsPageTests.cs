using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Ingestion;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Audience;

/// <summary>
/// 标签管理 from the console: an operator makes a group and a tag on /audience/tags (a bad name is refused inside the
/// form), puts the tag on a customer from the 360 page without leaving it, takes an event's tag off, and reads who did
/// what in the tag history — in Chinese and in English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class TagsPageTests(BrowserFixture fixture)
{
    [Fact]
    public async Task CreateGroupAndTag_TagACustomerOn360_SeeTheHistory_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("tagging");
        using var tracking = workspace.TrackingClient();
        (await tracking.PostAsJsonAsync("/v1/identify", new { userId = "mp-1", traits = new { name = "苏小鹿" } })).EnsureSuccessStatusCode();
        (await tracking.PostAsJsonAsync("/v1/track", new { userId = "mp-1", @event = "Tag Added", properties = new { tags = new[] { "通勤", "度假" } } })).EnsureSuccessStatusCode();
        await fixture.Server.Service<EventProcessor>().ProcessPendingAsync();
        using var admin = workspace.AdminClient();
        var customerId = (await admin.GetFromJsonAsync<JsonElement>("/api/customers")).GetProperty("items")[0].GetProperty("id").GetGuid();

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "标签", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("标签");
        // Tags the event brought in are in the catalog already, ungrouped.
        var ungrouped = page.Locator("[data-testid=tag-group][data-group-name='']");
        await Expect(ungrouped).ToContainTextAsync("未分组");
        await Expect(ungrouped.GetByTestId("tag-row")).ToHaveCountAsync(2);

        var groupForm = page.GetByTestId("group-create");
        await groupForm.GetByLabel("分组名称").FillAsync("肤质");
        await groupForm.GetByLabel("描述").FillAsync("会员问卷里的皮肤类型");
        await groupForm.GetByRole(AriaRole.Button, new() { Name = "创建分组" }).ClickAsync();
        var skin = page.Locator("[data-testid=tag-group][data-group-name='肤质']");
        await Expect(skin).ToBeVisibleAsync();

        // A name with a comma is refused inside the form, which keeps what was typed.
        var tagForm = page.GetByTestId("tag-create");
        await tagForm.GetByLabel("标签名称").FillAsync("油皮,干皮");
        await tagForm.GetByLabel("分组").SelectOptionAsync(new SelectOptionValue { Label = "肤质" });
        await tagForm.GetByRole(AriaRole.Button, new() { Name = "创建标签" }).ClickAsync();
        await Expect(page.GetByTestId("tag-create").GetByTestId("form-error")).ToContainTextAsync("'|' or ','");
        await Expect(page.GetByTestId("tag-create").GetByLabel("标签名称")).ToHaveValueAsync("油皮,干皮");

        tagForm = page.GetByTestId("tag-create");
        await tagForm.GetByLabel("标签名称").FillAsync("油皮");
        await tagForm.GetByLabel("分组").SelectOptionAsync(new SelectOptionValue { Label = "肤质" });
        await tagForm.GetByRole(AriaRole.Button, new() { Name = "创建标签" }).ClickAsync();
        await Expect(skin.GetByTestId("tag-row")).ToHaveCountAsync(1);
        await Expect(skin.Locator("[data-tag='油皮'] [data-testid=tag-customers]")).ToHaveTextAsync("0");

        // Move 通勤 into a new group 兴趣.
        await page.GetByTestId("group-create").GetByLabel("分组名称").FillAsync("兴趣");
        await page.GetByTestId("group-create").GetByRole(AriaRole.Button, new() { Name = "创建分组" }).ClickAsync();
        var commute = page.Locator("[data-testid=tag-row][data-tag='通勤']");
        await commute.GetByTestId("tag-move-group").SelectOptionAsync(new SelectOptionValue { Label = "兴趣" });
        await commute.GetByTestId("tag-move").ClickAsync();
        await Expect(page.Locator("[data-testid=tag-group][data-group-name='兴趣'] [data-tag='通勤']")).ToBeVisibleAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, page, "tags.zh-CN");

        // On the customer's 360: add the new tag from the catalog; htmx swaps the section in place.
        await page.GotoAsync($"/customers/{customerId}");
        var section = page.GetByTestId("tags-section");
        await Expect(section.GetByTestId("customer-tags")).ToContainTextAsync("通勤");
        (await page.Locator("#tag-catalog-options option").EvaluateAllAsync<string[]>("options => options.map(o => o.value)")).ShouldBe(["油皮"]);
        await page.EvaluateAsync("() => window.__stayed = true");
        await section.GetByLabel("添加标签").FillAsync("油皮");
        await section.GetByRole(AriaRole.Button, new() { Name = "添加", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("customer-tags").Locator("[data-tag='油皮']")).ToBeVisibleAsync();
        var history = page.GetByTestId("tag-history-row");
        await Expect(history.First).ToContainTextAsync("油皮");
        await Expect(history.First).ToContainTextAsync("手动");
        await Expect(history.First).ToContainTextAsync(workspace.OwnerEmail);
        (await page.EvaluateAsync<bool>("() => window.__stayed === true")).ShouldBeTrue("the section was swapped, the page not reloaded");

        // A bad name: the message shows in the section, nothing is added.
        await page.GetByTestId("tags-section").GetByLabel("添加标签").FillAsync("坏|标签");
        await page.GetByTestId("tags-section").GetByRole(AriaRole.Button, new() { Name = "添加", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("tag-error")).ToContainTextAsync("'|' or ','");
        await Expect(page.GetByTestId("tag-history-row")).ToHaveCountAsync(3);

        // Take the event's 度假 off.
        await page.GetByTestId("customer-tags").Locator("[data-tag='度假']").GetByTestId("tag-remove").ClickAsync();
        await Expect(page.GetByTestId("customer-tags").Locator("[data-tag='度假']")).ToHaveCountAsync(0);
        history = page.GetByTestId("tag-history-row");
        await Expect(history).ToHaveCountAsync(4);
        await Expect(history.First).ToContainTextAsync("移除");
        await Expect(page.GetByTestId("tag-history")).ToContainTextAsync("事件");
        await Expect(page.GetByTestId("tag-history")).ToContainTextAsync("系统");
        await page.GetByTestId("tags-section").ScrollIntoViewIfNeededAsync();
        await page.GetByTestId("tags-section").ScreenshotAsync(new() { Path = Path.Combine(fixture.ScreenshotDirectory, "customer-360-tags.zh-CN.png") });

        // The tags page counts the customer and lists the change.
        await page.GotoAsync("/audience/tags");
        await Expect(page.Locator("[data-tag='油皮'] [data-testid=tag-customers]")).ToHaveTextAsync("1");
        await Expect(page.Locator("[data-tag='度假'] [data-testid=tag-customers]")).ToHaveTextAsync("0");
        await Expect(page.GetByTestId("tag-history")).ToContainTextAsync("苏小鹿");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Tags");
        await Expect(page.Locator("[data-testid=tag-group][data-group-name='']")).ToContainTextAsync("Ungrouped");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "tags.en");
        await page.GotoAsync($"/customers/{customerId}");
        await Expect(page.GetByTestId("tag-history")).ToContainTextAsync("by hand");
        await page.GetByTestId("tags-section").ScreenshotAsync(new() { Path = Path.Combine(fixture.ScreenshotDirectory, "customer-360-tags.en.png") });
        await ConsoleSteps.ScreenshotAsync(fixture, page, "customer-360-with-tags.en");
    }
}
