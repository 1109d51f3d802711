using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using SkiaSharp;

namespace Pond.Tests.Content;

/// <summary>The content library over HTTP on both engines: files, variables, folders, tracked links, conversions, isolation.</summary>
public sealed class ContentLibraryTests
{
    internal static byte[] Png(int width = 64, int height = 48)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
            canvas.Clear(new SKColor(0xE8, 0x6A, 0x92));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The start of an ISO base media (MP4) file: an ftyp box with the isom brand, then a little payload.</summary>
    internal static byte[] Mp4(string brand = "isom")
    {
        var bytes = new List<byte> { 0, 0, 0, 0x18 };
        bytes.AddRange(Encoding.ASCII.GetBytes("ftyp" + brand));
        bytes.AddRange(new byte[] { 0, 0, 2, 0 });
        bytes.AddRange(Encoding.ASCII.GetBytes("isommp42"));
        bytes.AddRange(new byte[4096]);
        return bytes.ToArray();
    }

    internal static MultipartFormDataContent Form(byte[] file, string fileName, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
            form.Add(new StringContent(value), name);
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(content, "file", fileName);
        return form;
    }

    private static Guid Id(JsonElement e) => e.GetProperty("id").GetGuid();

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Uploads_AreCheckedByContentAndSize_AndARefusedReplacementKeepsTheOldFile(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        using var admin = server.Workspace.AdminClient();
        var png = Png();

        var created = await (await admin.PostAsync("/api/content/files", Form(png, "新品海报.png", ("kind", "poster"), ("tags", "新品,春季"))))
            .ReadAsync<JsonElement>(HttpStatusCode.Created);
        created.GetProperty("title").GetString().ShouldBe("新品海报");
        created.GetProperty("fileType").GetString().ShouldBe("image/png");
        created.GetProperty("fileSize").GetInt64().ShouldBe(png.Length);
        created.GetProperty("width").GetInt32().ShouldBe(64);
        created.GetProperty("height").GetInt32().ShouldBe(48);
        created.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).ShouldBe(["新品", "春季"]);
        var id = Id(created);
        var fileUrl = created.GetProperty("fileUrl").GetString()!;
        fileUrl.ShouldBe($"/api/content/items/{id}/file");
        (await admin.GetByteArrayAsync(fileUrl)).ShouldBe(png);
        // Served to signed-in callers only.
        using (var anonymous = server.Client())
            (await anonymous.GetAsync(fileUrl)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // A text file named .png is refused by its content, with the reason.
        var text = Encoding.UTF8.GetBytes("this is not an image, just words in a file called poster.png");
        var fake = await (await admin.PostAsync("/api/content/files", Form(text, "poster.png", ("kind", "image")))).ProblemAsync(HttpStatusCode.BadRequest);
        fake.Detail().ShouldContain("poster.png");
        fake.Detail().ShouldContain("content, not its name");
        fake.GetProperty("field").GetString().ShouldBe("file");

        // Over the image limit (10 MB), even with a PNG signature.
        var huge = new byte[(10 * 1024 * 1024) + 1];
        png.AsSpan(0, 8).CopyTo(huge);
        (await (await admin.PostAsync("/api/content/files", Form(huge, "huge.png", ("kind", "image")))).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail().ShouldContain("at most 10 MB");

        // An MP4 is no image, and an image is no video; a real MP4 header makes a video item; QuickTime is refused.
        (await (await admin.PostAsync("/api/content/files", Form(Mp4(), "clip.mp4", ("kind", "image")))).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail().ShouldContain("video/mp4");
        (await (await admin.PostAsync("/api/content/files", Form(png, "clip.png", ("kind", "video")))).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail().ShouldContain("an MP4 video");
        (await (await admin.PostAsync("/api/content/files", Form(Mp4("qt  "), "clip.mov", ("kind", "video")))).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail().ShouldContain("not an image or video");
        var video = await (await admin.PostAsync("/api/content/files", Form(Mp4(), "穿搭视频.mp4", ("kind", "video"), ("title", "春季穿搭")))).ReadAsync<JsonElement>(HttpStatusCode.Created);
        video.GetProperty("fileType").GetString().ShouldBe("video/mp4");
        video.GetProperty("title").GetString().ShouldBe("春季穿搭");

        // A bad replacement is a 400 and the poster still serves the old bytes; a good one replaces them and removes the old file.
        (await (await admin.PutAsync($"/api/content/items/{id}/file", Form(text, "new.png"))).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("new.png");
        (await admin.GetByteArrayAsync(fileUrl)).ShouldBe(png);
        var bigger = Png(120, 90);
        await (await admin.PutAsync($"/api/content/items/{id}/file", Form(bigger, "new.png"))).ReadAsync<JsonElement>();
        (await admin.GetByteArrayAsync(fileUrl)).ShouldBe(bigger);
        Directory.GetFiles(Path.Combine(server.DataDirectory, "content", server.Workspace.Id.ToString("N"))).Length.ShouldBe(2, "the new poster and the video; the old poster file is gone");
        Directory.GetFiles(Path.Combine(server.DataDirectory, "content", ".staging")).ShouldBeEmpty();

        // A text script has no file; the JSON create refuses file kinds.
        (await (await admin.PostAsJsonAsync("/api/content/items", new { kind = "image", title = "x" })).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail().ShouldContain("/api/content/files");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Scripts_WithUnknownVariables_AreRefused_AndThePreviewFillsACustomersValues(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        using var admin = server.Workspace.AdminClient();
        var seed = new CustomerSeed(server.Workspace);
        var guide = await seed.StaffAsync("小美");
        var lin = await seed.CustomerAsync("林小姐", owner: guide, traits: new { city = "杭州", size = "M" });
        await server.ExecuteAsync(
            "INSERT INTO points_balances (customer_id, workspace_id, balance, debt, earned_total, spent_total, updated_at) VALUES (@lin, @ws, 1280, 0, 1280, 0, 0)",
            new { lin, ws = server.Workspace.Id });
        var gold = Guid.CreateVersion7();
        await server.ExecuteAsync(
            "INSERT INTO tiers (id, workspace_id, name, threshold, multiplier_pct, created_at, updated_at) VALUES (@gold, @ws, '金卡', 100000, 150, 0, 0)",
            new { gold, ws = server.Workspace.Id });
        await server.ExecuteAsync("INSERT INTO customer_tiers (customer_id, workspace_id, tier_id, metric, since, evaluated_at) VALUES (@lin, @ws, @gold, 120000, 0, 0)",
            new { lin, ws = server.Workspace.Id, gold });

        var unknown = await (await admin.PostAsJsonAsync("/api/content/items", new { kind = "text", title = "欢迎", body = "{name}您好，{firstname}！" }))
            .ProblemAsync(HttpStatusCode.BadRequest);
        unknown.Detail().ShouldContain("{firstname}");
        unknown.Detail().ShouldContain("Known variables: {name}, {nickname}, {staff}, {coupon}, {points}, {tier}, {unsubscribe}");
        unknown.GetProperty("field").GetString().ShouldBe("body");

        var body = "{name}您好，我是您的专属顾问{staff}。您有{points}积分（{tier}），{trait.city}门店本周上新！退订回复：{unsubscribe}";
        var script = await (await admin.PostAsJsonAsync("/api/content/items", new { kind = "text", title = "新客欢迎", body, tags = new[] { "欢迎" } }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created);
        script.GetProperty("variables").EnumerateArray().Select(v => v.GetString()).ShouldBe(["name", "staff", "points", "tier", "trait.city", "unsubscribe"]);
        // Editing it with an unknown variable is refused too, and the stored body stays.
        (await admin.PutAsJsonAsync($"/api/content/items/{Id(script)}", new { body = "{nam}" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await admin.GetAsync<JsonElement>($"/api/content/items/{Id(script)}")).GetProperty("body").GetString().ShouldBe(body);

        var preview = await (await admin.PostAsJsonAsync("/api/content/preview", new { text = body, customerId = lin })).ReadAsync<JsonElement>();
        preview.GetProperty("text").GetString().ShouldBe("林小姐您好，我是您的专属顾问小美。您有1280积分（金卡），杭州门店本周上新！退订回复：[unsubscribe: made at send time]");
        preview.GetProperty("customerName").GetString().ShouldBe("林小姐");
        preview.GetProperty("values").GetProperty("trait.city").GetString().ShouldBe("杭州");

        var personal = await admin.GetAsync<JsonElement>($"/api/content/items/{Id(script)}/personalized?customerId={lin}");
        personal.GetProperty("text").GetString()!.ShouldStartWith("林小姐您好，我是您的专属顾问小美。");

        // The variables list is what the editor shows.
        var variables = await admin.GetAsync<JsonElement>("/api/content/variables");
        variables.EnumerateArray().Select(v => v.GetProperty("placeholder").GetString()).ShouldContain("{trait.city}");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Folders_Nest_ItemsMove_AndFiltersFindThem(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        using var admin = server.Workspace.AdminClient();
        async Task<Guid> FolderAsync(string name, Guid? parentId = null) =>
            Id(await (await admin.PostAsJsonAsync("/api/content/folders", new { name, parentId })).ReadAsync<JsonElement>(HttpStatusCode.Created));
        var welcome = await FolderAsync("新客欢迎");
        var day1 = await FolderAsync("第1天", welcome);
        var moments = await FolderAsync("朋友圈");
        (await admin.PostAsJsonAsync("/api/content/folders", new { name = "第1天", parentId = welcome })).StatusCode.ShouldBe(HttpStatusCode.Conflict);

        var a = Id(await (await admin.PostAsJsonAsync("/api/content/items", new { kind = "text", title = "首单立减话术", body = "首单立减20元，仅限3天", folderId = day1, tags = new[] { "首单" } }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created));
        var b = Id(await (await admin.PostAsJsonAsync("/api/content/items", new { kind = "link", title = "春季上新", url = "https://shop.lumilane.cn/spring", tags = new[] { "上新" } }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created));
        var mp = await (await admin.PostAsJsonAsync("/api/content/items", new { kind = "mini_program", title = "碎花连衣裙", appId = "wx1234567890abcdef", pagePath = "/pages/product/index?sku=LL-DR-01" }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created);
        mp.GetProperty("pagePath").GetString().ShouldBe("pages/product/index?sku=LL-DR-01");
        (await admin.PostAsJsonAsync("/api/content/items", new { kind = "mini_program", title = "x", appId = "wxNOPE", pagePath = "p" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        // A mini-program cover is a small PNG/JPEG.
        (await admin.PutAsync($"/api/content/items/{Id(mp)}/file", Form(Png(), "cover.png"))).StatusCode.ShouldBe(HttpStatusCode.OK);

        async Task<List<string>> TitlesAsync(string query) =>
            (await admin.GetAsync<JsonElement>("/api/content/items" + query)).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("title").GetString()!).ToList();
        (await TitlesAsync($"?folderId={welcome}")).ShouldBe(["首单立减话术"], "a folder lists its subfolders' items too");
        (await TitlesAsync("?tag=上新")).ShouldBe(["春季上新"]);
        (await TitlesAsync("?q=立减")).ShouldBe(["首单立减话术"]);
        (await TitlesAsync("?q=3天")).ShouldBe(["首单立减话术"], "search covers the body");
        (await TitlesAsync("?kind=mini_program")).ShouldBe(["碎花连衣裙"]);
        (await admin.GetAsync("/api/content/items?kind=poem")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        // Move both into 朋友圈; the old folder is then empty of them.
        var moved = await (await admin.PostAsJsonAsync("/api/content/items/move", new { itemIds = new[] { a, b }, folderId = moments })).ReadAsync<JsonElement>();
        moved.GetProperty("moved").GetInt32().ShouldBe(2);
        (await TitlesAsync($"?folderId={moments}")).OrderBy(t => t).ShouldBe(new[] { "春季上新", "首单立减话术" }.OrderBy(t => t));
        (await TitlesAsync($"?folderId={welcome}")).ShouldBeEmpty();
        // Moving one back through an edit; folderId empty uuid = top level.
        await (await admin.PutAsJsonAsync($"/api/content/items/{b}", new { folderId = Guid.Empty })).ReadAsync<JsonElement>();
        (await admin.GetAsync<JsonElement>($"/api/content/items/{b}")).GetProperty("folderId").ValueKind.ShouldBe(JsonValueKind.Null);

        // A folder cannot go into its own subfolder; it can move under another; a folder with items cannot be deleted.
        (await (await admin.PutAsJsonAsync($"/api/content/folders/{welcome}", new { parentId = day1 })).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("itself");
        (await admin.PutAsJsonAsync($"/api/content/folders/{day1}", new { parentId = moments })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var folders = await admin.GetAsync<JsonElement>("/api/content/folders");
        folders.EnumerateArray().Single(f => f.GetProperty("id").GetGuid() == day1).GetProperty("parentId").GetGuid().ShouldBe(moments);
        (await (await admin.DeleteAsync($"/api/content/folders/{moments}")).ProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("1 item");
        (await admin.DeleteAsync($"/api/content/folders/{welcome}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        // Archived items leave the pickers but can be listed and restored.
        await (await admin.PostAsync($"/api/content/items/{a}/archive", null)).ReadAsync<JsonElement>();
        (await TitlesAsync("?q=立减")).ShouldBeEmpty();
        (await TitlesAsync("?archived=true")).ShouldBe(["首单立减话术"]);
        await (await admin.PostAsync($"/api/content/items/{a}/restore", null)).ReadAsync<JsonElement>();
        (await TitlesAsync("?q=立减")).ShouldBe(["首单立减话术"]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TrackedLinks_CountClicksAndUniqueVisitors_AndOrdersWithinSevenDaysConvert(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now.AddDays(-20));
        await using var server = await ScoreKit.StartAsync(engine, clock);
        using var admin = server.Workspace.AdminClient();
        var seed = new CustomerSeed(server.Workspace);
        var lin = await seed.CustomerAsync("林小姐");
        var wang = await seed.CustomerAsync("王女士");
        var zhao = await seed.CustomerAsync("赵小姐");

        var link = await (await admin.PostAsJsonAsync("/api/content/items", new { kind = "link", title = "春季上新", url = "https://shop.lumilane.cn/spring?from=pond" }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created);
        var itemId = Id(link);
        var code = link.GetProperty("links")[0].GetProperty("code").GetString()!;
        link.GetProperty("links")[0].GetProperty("shortUrl").GetString().ShouldEndWith($"/l/{code}");

        // A script with "track" gets a code per URL; personal links carry the customer's signed token.
        var script = await (await admin.PostAsJsonAsync("/api/content/items", new
        {
            kind = "text", title = "上新提醒", trackLinks = true, body = "{name}，春季新品到了：https://shop.lumilane.cn/spring?from=pond 会员专享 https://shop.lumilane.cn/member。",
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        script.GetProperty("links").GetArrayLength().ShouldBe(2);
        var personal = await admin.GetAsync<JsonElement>($"/api/content/items/{Id(script)}/personalized?customerId={lin}");
        var personalText = personal.GetProperty("text").GetString()!;
        personalText.ShouldStartWith("林小姐，春季新品到了：http");
        personalText.ShouldContain("/l/");
        personalText.ShouldEndWith("。"); // the full stop is not part of the link
        var linUrl = (await admin.GetAsync<JsonElement>($"/api/content/items/{itemId}/personalized?customerId={lin}")).GetProperty("url").GetString()!;
        var wangUrl = (await admin.GetAsync<JsonElement>($"/api/content/items/{itemId}/personalized?customerId={wang}")).GetProperty("url").GetString()!;
        var zhaoUrl = (await admin.GetAsync<JsonElement>($"/api/content/items/{itemId}/personalized?customerId={zhao}")).GetProperty("url").GetString()!;
        linUrl.ShouldContain($"/l/{code}?c=");

        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() }) { BaseAddress = server.BaseAddress };
        async Task FollowAsync(HttpClient client, string url)
        {
            using var response = await client.GetAsync(new Uri(url).PathAndQuery);
            response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
            response.Headers.Location!.ToString().ShouldBe("https://shop.lumilane.cn/spring?from=pond");
        }

        // 林 clicks twice, 王 once, and an anonymous browser twice (one visitor by its cookie); a forged token counts as anonymous.
        await FollowAsync(browser, linUrl);
        await FollowAsync(browser, linUrl);
        await FollowAsync(browser, wangUrl);
        await FollowAsync(browser, $"{server.BaseAddress}l/{code}");
        await FollowAsync(browser, $"{server.BaseAddress}l/{code}");
        var forged = linUrl[..^4] + "AAAA";
        await FollowAsync(browser, forged);
        (await browser.GetAsync("/l/zzzzzzzz")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // The next day 林 clicks again (a new unique visitor for that day) and 赵 clicks; 赵 never buys.
        clock.Advance(TimeSpan.FromDays(1));
        await FollowAsync(browser, linUrl);
        await FollowAsync(browser, zhaoUrl);
        var clickedAt = clock.GetUtcNow();

        // Orders: 林 buys 3 days after her click (converts), 王 buys 8 days after his (too late), 林 again 30 minutes before her
        // first click (before clicking: not a conversion either).
        await server.Workspace.OrderAsync(lin, clickedAt.AddDays(3), 399m);
        await server.Workspace.OrderAsync(wang, clickedAt.AddDays(-1).AddDays(8), 259m);
        await server.Workspace.OrderAsync(lin, clickedAt.AddDays(-1).AddMinutes(-30), 99m);

        var detail = await admin.GetAsync<JsonElement>($"/api/content/items/{itemId}");
        var stats = detail.GetProperty("stats");
        stats.GetProperty("clicks").GetInt64().ShouldBe(8);
        stats.GetProperty("uniqueClickers").GetInt64().ShouldBe(4, "林, 王, 赵 and one anonymous browser");
        stats.GetProperty("conversions").GetInt64().ShouldBe(1);
        stats.GetProperty("conversionGmv").GetDecimal().ShouldBe(399m);

        var clicks = await admin.GetAsync<JsonElement>($"/api/content/items/{itemId}/clicks");
        var days = clicks.GetProperty("days").EnumerateArray().Select(d => (d.GetProperty("clicks").GetInt64(), d.GetProperty("uniqueVisitors").GetInt64())).ToList();
        days.ShouldBe([(6L, 3L), (2L, 2L)]);

        // usage_count is raised by whoever sends the item (plain SQL); the detail shows it.
        await server.ExecuteAsync("UPDATE content_items SET usage_count = usage_count + 3 WHERE id = @itemId", new { itemId });
        (await admin.GetAsync<JsonElement>($"/api/content/items/{itemId}")).GetProperty("stats").GetProperty("usageCount").GetInt64().ShouldBe(3);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Workspaces_SeeOnlyTheirOwnContent(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        using var lily = server.Workspace.AdminClient();
        var other = await server.CreateWorkspaceAsync("rose");
        using var rose = other.AdminClient();
        var folder = Id(await (await lily.PostAsJsonAsync("/api/content/folders", new { name = "新客欢迎" })).ReadAsync<JsonElement>(HttpStatusCode.Created));
        var poster = Id(await (await lily.PostAsync("/api/content/files", Form(Png(), "p.png", ("kind", "poster"), ("folderId", folder.ToString()))))
            .ReadAsync<JsonElement>(HttpStatusCode.Created));
        var lin = await new CustomerSeed(server.Workspace).CustomerAsync("林小姐");

        (await rose.GetAsync($"/api/content/items/{poster}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await rose.GetAsync($"/api/content/items/{poster}/file")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await rose.GetAsync<JsonElement>("/api/content/items")).GetProperty("items").GetArrayLength().ShouldBe(0);
        (await rose.GetAsync<JsonElement>("/api/content/folders")).GetArrayLength().ShouldBe(0);
        (await rose.PutAsJsonAsync($"/api/content/items/{poster}", new { title = "偷改" })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await rose.PutAsync($"/api/content/items/{poster}/file", Form(Png(), "x.png"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await rose.PostAsJsonAsync("/api/content/items/move", new { itemIds = new[] { poster }, folderId = Guid.Empty })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await rose.PostAsJsonAsync("/api/content/items", new { kind = "text", title = "x", body = "hi", folderId = folder })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await rose.DeleteAsync($"/api/content/folders/{folder}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await rose.PostAsJsonAsync("/api/content/preview", new { text = "{name}", customerId = lin })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await lily.GetAsync<JsonElement>($"/api/content/items/{poster}")).GetProperty("folderId").GetGuid().ShouldBe(folder);

        // A customer token of one workspace does not credit a click on another workspace's link.
        var roseLink = await (await rose.PostAsJsonAsync("/api/content/items", new { kind = "link", title = "r", url = "https://rose.example.com/" })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var lilyLink = await (await lily.PostAsJsonAsync("/api/content/items", new { kind = "link", title = "l", url = "https://lily.example.com/" })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var token = new Uri((await lily.GetAsync<JsonElement>($"/api/content/items/{Id(lilyLink)}/personalized?customerId={lin}")).GetProperty("url").GetString()!).Query;
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        (await browser.GetAsync($"/l/{roseLink.GetProperty("links")[0].GetProperty("code").GetString()}{token}")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await server.CountAsync("SELECT COUNT(*) FROM content_link_clicks WHERE customer_id IS NOT NULL")).ShouldBe(0);
    }
}
