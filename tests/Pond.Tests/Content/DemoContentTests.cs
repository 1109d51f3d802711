using System.Net;
using System.Text.Json;
using Pond.Server.Demo;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;

namespace Pond.Tests.Content;

public sealed class DemoContentTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task DemoStep_FillsTheLibrary_WithPostersScriptsAndLinksWhoseClicksConvert(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        using var admin = server.Workspace.AdminClient();
        var seed = new CustomerSeed(server.Workspace);
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 60; i++)
        {
            var customer = await seed.CustomerAsync($"会员{i:00}");
            if (i % 2 == 0)
                await server.Workspace.OrderAsync(customer, now.AddDays(-(i % 20) - 1), 199m + i);
        }

        var result = await DemoContent.SetUpAsync(server.App.Services, server.Workspace.Id);
        result.Folders.ShouldBe(5);
        result.ConvertingCustomers.ShouldBeGreaterThan(0);

        var folders = await admin.GetAsync<JsonElement>("/api/content/folders");
        folders.EnumerateArray().Select(f => f.GetProperty("name").GetString()).ShouldBe(["新客欢迎", "复购提醒", "社群SOP", "每日三段", "朋友圈"], ignoreOrder: true);
        var items = (await admin.GetAsync<JsonElement>("/api/content/items")).GetProperty("items").EnumerateArray().ToList();
        items.Count.ShouldBe(result.Items);
        items.Select(i => i.GetProperty("kind").GetString()).Distinct().ShouldBe(["text", "poster", "mini_program", "link", "article", "image"], ignoreOrder: true);

        // Posters are real PNGs served at their URL; the mini-program card has its cover.
        foreach (var file in items.Where(i => i.GetProperty("fileUrl").ValueKind == JsonValueKind.String))
        {
            using var response = await admin.GetAsync(file.GetProperty("fileUrl").GetString());
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await response.Content.ReadAsByteArrayAsync()).AsSpan(1, 3).ToArray().ShouldBe("PNG"u8.ToArray());
        }

        items.Single(i => i.GetProperty("kind").GetString() == "mini_program").GetProperty("fileUrl").GetString().ShouldNotBeNull();

        var conversions = 0L;
        foreach (var item in items)
        {
            var stats = (await admin.GetAsync<JsonElement>($"/api/content/items/{item.GetProperty("id").GetGuid()}")).GetProperty("stats");
            conversions += stats.GetProperty("conversions").GetInt64();
            stats.GetProperty("usageCount").GetInt64().ShouldBeGreaterThan(0);
        }

        conversions.ShouldBeGreaterThanOrEqualTo(result.ConvertingCustomers);
        (await server.CountAsync("SELECT COUNT(*) FROM content_link_clicks")).ShouldBe(result.Clicks);
    }
}
