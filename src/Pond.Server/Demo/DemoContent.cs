using Dapper;
using Pond.Content;
using Pond.Fission;
using Pond.Server.Components;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Workspaces;
using SkiaSharp;

namespace Pond.Server.Demo;

/// <summary>
/// The demo brand's content library (素材库): folders 新客欢迎 / 复购提醒 / 社群SOP / 朋友圈 with scripts that use variables,
/// posters and a mini-program cover drawn here with SkiaSharp (nothing downloaded), articles and tracked links. The links'
/// last 30 days of clicks come from real demo customers — those who ordered clicked a few hours to three days before
/// their order (conversions), others clicked and did not buy — plus anonymous visitors; usage counts are what the
/// dispatcher and SOP tasks would have raised. Deterministic (a fixed seed).
/// </summary>
internal static class DemoContent
{
    private const string Actor = "demo";

    internal sealed record Result(int Folders, int Items, int Clicks, int ConvertingCustomers);

    private sealed class Buyer
    {
        public Guid CustomerId { get; init; }
        public DateTimeOffset PlacedAt { get; init; }
    }

    public static async Task<Result> SetUpAsync(IServiceProvider services, Guid workspaceId)
    {
        var database = services.GetRequiredService<Database>();
        var clock = services.GetRequiredService<TimeProvider>();
        var now = clock.GetUtcNow();
        // The CLI's demo verb builds the engine services without the web host: make the library over the same data folder.
        var library = services.GetService<ContentLibrary>() ?? CreateLibrary(services, database, clock);
        var random = new Random(20260707);

        var welcome = await library.CreateFolderAsync(workspaceId, "新客欢迎", null, Actor);
        var repeat = await library.CreateFolderAsync(workspaceId, "复购提醒", null, Actor);
        var sop = await library.CreateFolderAsync(workspaceId, "社群SOP", null, Actor);
        var sopDaily = await library.CreateFolderAsync(workspaceId, "每日三段", sop.Id, Actor);
        var moments = await library.CreateFolderAsync(workspaceId, "朋友圈", null, Actor);

        var items = new List<(ContentItem Item, int Usage)>();
        async Task<ContentItem> Add(ContentItemInput input, int usage)
        {
            var item = await library.CreateAsync(workspaceId, input, Actor);
            items.Add((item, usage));
            return item;
        }

        async Task<ContentItem> Upload(string kind, string title, Guid folderId, string[] tags, byte[] png, int usage, string? body = null)
        {
            using var content = new MemoryStream(png);
            var item = await library.UploadAsync(workspaceId, kind, title, folderId, tags, body, content, png.Length, title + ".png", Actor);
            items.Add((item, usage));
            return item;
        }

        // 新客欢迎: the first three days after adding.
        await Add(new ContentItemInput
        {
            Kind = ContentKinds.Text, Title = "新客欢迎语", FolderId = welcome.Id, Tags = ["欢迎语", "新客"],
            Body = "{name}您好呀～我是 Lumi Lane 的专属穿搭顾问{staff}。\n送您一张新人券：{coupon}，3 天内下单立减 30 元。\n有任何尺码、搭配问题随时问我哦！",
        }, 1840);
        await Add(new ContentItemInput
        {
            Kind = ContentKinds.Text, Title = "首单 3 天提醒", FolderId = welcome.Id, Tags = ["新客", "首单"], TrackLinks = true,
            Body = "{name}，新人券还有 1 天就过期啦～本周热卖的法式碎花裙还有{trait.size}码，点这里直接下单：https://shop.lumilane.cn/new-arrivals?utm=welcome",
        }, 960);
        await Upload(ContentKinds.Poster, "新客专享海报", welcome.Id, ["新客", "海报"], Poster("新人专享", "首单立减 30 元", "添加顾问即领 · 3 天有效", new SKColor(0xE8, 0x6A, 0x92)), 720);
        var newcomer = await Add(new ContentItemInput
        {
            Kind = ContentKinds.MiniProgram, Title = "新客专区小程序", FolderId = welcome.Id, Tags = ["新客", "小程序"],
            AppId = "wx5f3c2a1b9d8e7f60", PagePath = "pages/newcomer/index?from=wecom", Body = "新人专区：9.9 元包邮体验装",
        }, 530);
        await library.ReplaceFileAsync(workspaceId, newcomer.Id, new MemoryStream(Poster("新人专区", "9.9 元包邮", "Lumi Lane 小程序", new SKColor(0x1F, 0x7A, 0x6D), 520, 416)), null, "cover.png", Actor);

        // 复购提醒: points, tiers, the season's new arrivals.
        await Add(new ContentItemInput
        {
            Kind = ContentKinds.Text, Title = "积分到账提醒", FolderId = repeat.Id, Tags = ["积分", "复购"],
            Body = "{name}，您的积分余额 {points}，当前等级：{tier}。积分可兑换无门槛券，本月底前兑换再送 50 积分～",
        }, 2210);
        var spring = await Add(new ContentItemInput
        {
            Kind = ContentKinds.Link, Title = "春夏新品上新", FolderId = repeat.Id, Tags = ["上新", "复购"], Url = "https://shop.lumilane.cn/collections/spring-summer",
            Body = "春夏新品上新，会员专享 9 折",
        }, 3420);
        var care = await Add(new ContentItemInput
        {
            Kind = ContentKinds.Article, Title = "真丝衬衫护理指南", FolderId = repeat.Id, Tags = ["护理", "复购"], Url = "https://mp.weixin.qq.com/s/lumilane-silk-care",
            Summary = "手洗水温、晾晒和熨烫，5 分钟读懂真丝护理",
        }, 1280);
        var replenish = await Add(new ContentItemInput
        {
            Kind = ContentKinds.Text, Title = "换季补货提醒", FolderId = repeat.Id, Tags = ["复购", "补货"], TrackLinks = true,
            Body = "{name}，上次买的打底衫穿得还习惯吗？换季补货会员价在这里：https://shop.lumilane.cn/basics?utm=replenish 有问题找{staff}～",
        }, 1490);

        // 社群SOP: the group's daily 08:00 / 12:00 / 20:00 rhythm and the member-day poster.
        await Add(new ContentItemInput { Kind = ContentKinds.Text, Title = "08:00 早安问候", FolderId = sopDaily.Id, Tags = ["社群", "早安"], Body = "早安～今天杭州 22°C，适合一件薄针织开衫。大家今天穿什么？晒图有积分哦！" }, 4380);
        await Add(new ContentItemInput { Kind = ContentKinds.Text, Title = "12:00 午间好物", FolderId = sopDaily.Id, Tags = ["社群", "好物"], Body = "午间好物｜冰丝阔腿裤，通勤不闷热，群内专享价 ¥159（原价 ¥199），今晚 12 点截止。" }, 4290);
        await Add(new ContentItemInput { Kind = ContentKinds.Text, Title = "20:00 晚间活动", FolderId = sopDaily.Id, Tags = ["社群", "活动"], Body = "晚上 8 点群内抽奖开始！回复“想要”参与，抽 3 位送真丝发圈。" }, 4210);
        await Upload(ContentKinds.Poster, "周三会员日海报", sop.Id, ["会员日", "海报", "社群"], Poster("周三会员日", "全场 85 折 · 积分翻倍", "仅限会员 · 每周三", new SKColor(0x6D, 0x4A, 0xC8)), 1660);

        // 朋友圈: posters and copy for the staff accounts' moments.
        await Upload(ContentKinds.Poster, "新品预告海报", moments.Id, ["朋友圈", "上新"], Poster("新品预告", "法式碎花系列", "本周五 10:00 上线", new SKColor(0xE8, 0x5D, 0x3F)), 880);
        await Upload(ContentKinds.Image, "通勤穿搭九宫格", moments.Id, ["朋友圈", "穿搭"], Poster("通勤穿搭", "一周不重样", "Lumi Lane 顾问推荐", new SKColor(0x2F, 0x6F, 0xB3), 800, 800), 640);
        var momentsCopy = await Add(new ContentItemInput
        {
            Kind = ContentKinds.Text, Title = "朋友圈文案：周末穿搭", FolderId = moments.Id, Tags = ["朋友圈", "穿搭"], TrackLinks = true,
            Body = "周末约会穿什么？这条碎花裙配小白鞋，温柔又减龄～同款在这里：https://shop.lumilane.cn/looks/weekend",
        }, 760);

        // Usage counts, as the dispatcher and finished SOP tasks raise them.
        await using var connection = await database.OpenAsync();
        foreach (var (item, usage) in items)
            await connection.ExecuteAsync("UPDATE content_items SET usage_count = @usage WHERE id = @Id", new { usage, item.Id });

        // Clicks on the tracked links over the last 30 days.
        var buyers = (await connection.QueryAsync<Buyer>(
            """
            SELECT customer_id, placed_at FROM orders
            WHERE workspace_id = @workspaceId AND placed_at >= @from AND placed_at < @now AND status <> 'refunded'
            ORDER BY placed_at, id LIMIT 600
            """, new { workspaceId, from = now.AddDays(-28), now })).AsList();
        var browsers = (await connection.QueryAsync<Guid>(
            "SELECT id FROM customers WHERE workspace_id = @workspaceId AND first_order_at IS NULL ORDER BY id LIMIT 800", new { workspaceId })).AsList();
        var zone = Display.Zone(await services.GetRequiredService<WorkspaceService>().FindWorkspaceAsync(workspaceId));
        var links = (await connection.QueryAsync<ContentLink>(
            "SELECT id, workspace_id, item_id, code, target_url, created_at FROM content_links WHERE workspace_id = @workspaceId ORDER BY created_at, code",
            new { workspaceId })).AsList();
        // How much of the traffic each linked item draws (the new-arrivals link is the busiest).
        var weight = new Dictionary<Guid, double> { [spring.Id] = 0.34, [care.Id] = 0.12, [replenish.Id] = 0.2, [momentsCopy.Id] = 0.14 };
        var clicks = new List<object>();
        var converting = new HashSet<Guid>();
        void Click(ContentLink link, Guid? customerId, string visitor, DateTimeOffset at)
        {
            var local = TimeZoneInfo.ConvertTime(at, zone);
            clicks.Add(new
            {
                id = Guid.CreateVersion7(at), workspaceId, linkId = link.Id, itemId = link.ItemId, customerId, visitor,
                day = (local.Year * 10000) + (local.Month * 100) + local.Day, at,
            });
        }

        ContentLink Pick()
        {
            var roll = random.NextDouble();
            foreach (var link in links)
            {
                roll -= weight.GetValueOrDefault(link.ItemId, 0.2 / Math.Max(1, links.Count));
                if (roll <= 0)
                    return link;
            }

            return links[^1];
        }

        if (links.Count > 0)
        {
            // A third of recent buyers clicked first: 2 to 72 hours before the order, sometimes twice.
            foreach (var buyer in buyers.Where((_, i) => i % 3 == 0))
            {
                var link = Pick();
                var at = buyer.PlacedAt.AddMinutes(-random.Next(120, 72 * 60));
                Click(link, buyer.CustomerId, $"c:{buyer.CustomerId:N}", at);
                if (random.NextDouble() < 0.3)
                    Click(link, buyer.CustomerId, $"c:{buyer.CustomerId:N}", at.AddMinutes(random.Next(5, 90)));
                converting.Add(buyer.CustomerId);
            }

            // Customers who clicked and did not buy.
            foreach (var customerId in browsers.Where((_, i) => i % 2 == 0))
                Click(Pick(), customerId, $"c:{customerId:N}", now.AddMinutes(-random.Next(30, 29 * 24 * 60)));
            // Anonymous visitors (the link forwarded beyond the pool), a few returning.
            for (var i = 0; i < 900; i++)
            {
                var visitor = $"v:{random.NextInt64():x16}{random.NextInt64():x16}";
                var at = now.AddMinutes(-random.Next(30, 29 * 24 * 60));
                Click(Pick(), null, visitor, at);
                if (i % 7 == 0)
                    Click(links[random.Next(links.Count)], null, visitor, at.AddHours(random.Next(1, 30)));
            }
        }

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO content_link_clicks (id, workspace_id, link_id, item_id, customer_id, visitor, day, at)
                VALUES (@id, @workspaceId, @linkId, @itemId, @customerId, @visitor, @day, @at)
                """, clicks, transaction);
            await transaction.CommitAsync();
        }

        return new Result(5, items.Count, clicks.Count, converting.Count);
    }

    private static ContentLibrary CreateLibrary(IServiceProvider services, Database database, TimeProvider clock)
    {
        var data = services.GetService<PondOptions>()?.DataDirectory ?? new PondOptions().DataDirectory;
        return new ContentLibrary(database, new ContentFiles(data), new ContentLinks(database, clock), services.GetRequiredService<AuditLog>(), clock);
    }

    /// <summary>A poster: a coloured ground, a headline, an offer and a foot line, in the poster typeface (CJK when installed).</summary>
    internal static byte[] Poster(string headline, string offer, string foot, SKColor color, int width = 750, int height = 1000)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var ground = new SKPaint { Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, height), [color, color.WithAlpha(170)], SKShaderTileMode.Clamp) };
            canvas.DrawRect(0, 0, width, height, ground);
            using var white = new SKPaint { Color = SKColors.White, IsAntialias = true };
            using var card = new SKPaint { Color = SKColors.White.WithAlpha(40), IsAntialias = true };
            canvas.DrawCircle(width * 0.85f, height * 0.12f, width * 0.28f, card);
            canvas.DrawCircle(width * 0.1f, height * 0.9f, width * 0.22f, card);
            var scale = width / 750f;
            using var brand = PosterRenderer.Font(bold: true, 30 * scale);
            using var big = PosterRenderer.Font(bold: true, 92 * scale * Math.Min(1f, height / (float)width));
            using var mid = PosterRenderer.Font(bold: false, 44 * scale * Math.Min(1f, height / (float)width));
            using var small = PosterRenderer.Font(bold: false, 28 * scale);
            canvas.DrawText("LUMI LANE", 48 * scale, 80 * scale, SKTextAlign.Left, brand, white);
            canvas.DrawText(headline, width / 2f, height * 0.42f, SKTextAlign.Center, big, white);
            canvas.DrawText(offer, width / 2f, height * 0.56f, SKTextAlign.Center, mid, white);
            using var line = new SKPaint { Color = SKColors.White.WithAlpha(200), StrokeWidth = 2 * scale, IsAntialias = true };
            canvas.DrawLine(width * 0.3f, height * 0.62f, width * 0.7f, height * 0.62f, line);
            canvas.DrawText(foot, width / 2f, height * 0.9f, SKTextAlign.Center, small, white);
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 90);
        return png.ToArray();
    }
}
