using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Pond.Channels;
using Pond.Ingestion;
using Pond.Storage;
using Pond.WeCom;

namespace Pond.Server.Demo;

/// <summary>
/// Plays N days of acquisition for a workspace through Pond's real paths: scans go through the live-code landing
/// service (routing, caps, visits), and every add, group join, deletion and departure is a WeCom callback,
/// encrypted and signed with the workspace's connection and posted to /hooks/wecom over HTTP. First orders of new
/// friends are written to the event log as Order Completed events. Deterministic for a given seed.
/// </summary>
internal sealed class AcquisitionSimulator(ChannelCatalog catalog, LiveCodeLanding landing, WeComConnections connections, EventLogWriter log, TimeProvider clock)
{
    internal sealed record Result(int Scans, int Adds, int GroupJoins, int Deletions, int Orders, int Callbacks);

    /// <summary>Scans per day by channel kind, and the share of scans that become an add.</summary>
    private static readonly Dictionary<string, (double Scans, double AddRate)> Traffic = new()
    {
        [ChannelKinds.PackageCard] = (26, 0.46),
        [ChannelKinds.Kol] = (18, 0.31),
        [ChannelKinds.StorePoster] = (9, 0.58),
        [ChannelKinds.Sms] = (14, 0.22),
        [ChannelKinds.Livestream] = (16, 0.64),
        [ChannelKinds.Ad] = (20, 0.18),
    };

    private static readonly string[] Regions = ["上海", "浙江", "江苏", "北京", "广东", "四川"];

    public async Task<Result> RunAsync(Guid workspaceId, int days, HttpClient pond, int seed = 20261123, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        if (days is < 1 or > 365)
            throw new ValidationFailedException("Simulate between 1 and 365 days.", "days");
        var connection = await connections.GetAsync(workspaceId)
            ?? throw new ValidationFailedException("Connect WeCom for this workspace first (Settings → Connections): the simulator signs callbacks with its Token and key.");
        var wecom = new WeComCallbackBuilder(connection.CorpId, connection.Token, connection.EncodingAesKey);
        var codes = (await catalog.ListCodesAsync(workspaceId)).Where(c => c.Status == LiveCodeStatuses.Active).ToList();
        var channels = (await catalog.ListChannelsAsync(workspaceId)).ToDictionary(c => c.Id);
        if (codes.Count == 0)
            throw new ValidationFailedException("The workspace has no active live codes to simulate.");

        var random = new Random(seed);
        var now = clock.GetUtcNow();
        var scans = new List<(DateTimeOffset At, LiveCode Code, string Visitor, string Region)>();
        for (var day = days; day >= 0; day--)
        {
            var date = now.AddDays(-day);
            var weekend = date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 1.4 : 1.0;
            foreach (var code in codes)
            {
                var (perDay, _) = Traffic.GetValueOrDefault(channels[code.ChannelId].Kind, (10, 0.3));
                var count = (int)Math.Round(perDay * weekend * (0.6 + (random.NextDouble() * 0.8)));
                for (var i = 0; i < count; i++)
                {
                    // Daytime-heavy: most scans between 09:00 and 23:00 Beijing time.
                    var at = date.Date.AddHours(1 + (random.NextDouble() * 15)).AddMinutes(random.Next(60));
                    var stamp = new DateTimeOffset(at, TimeSpan.Zero);
                    if (stamp < now)
                        scans.Add((stamp, code, $"sim{seed}{random.NextInt64():x}", Regions[random.Next(Regions.Length)]));
                }
            }
        }

        scans.Sort((a, b) => a.At.CompareTo(b.At));
        var result = new Counter();
        var later = new List<(DateTimeOffset At, string Xml)>();
        var orders = new List<EventRecord>();
        var done = 0;
        foreach (var (at, code, visitor, region) in scans)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await FlushDueAsync(later, at, pond, workspaceId, wecom, result, cancellationToken);
            var landed = await landing.ScanAsync(code.Slug, visitor, region, at);
            result.Scans++;
            if (landed?.Target is not { } target || target.ExternalId is null)
                continue;
            var (_, addRate) = Traffic.GetValueOrDefault(channels[code.ChannelId].Kind, (10, 0.3));
            if (random.NextDouble() >= addRate)
                continue;
            var addedAt = at.AddMinutes(1 + random.Next(20));
            if (addedAt >= now)
                continue;
            var external = "wmSim" + Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64()));
            if (code.Kind == LiveCodeKinds.Group)
            {
                later.Add((addedAt, wecom.ChatAddMembers(target.ExternalId, [external], addedAt)));
                result.GroupJoins++;
                if (random.NextDouble() < 0.07)
                    AddIfPast(later, addedAt.AddHours(2 + (random.NextDouble() * 24 * 20)), now, t => wecom.ChatRemoveMembers(target.ExternalId, [external], t));
                continue;
            }

            later.Add((addedAt, wecom.AddExternalContact(target.ExternalId, external, addedAt, code.State, "sim" + random.Next(1_000_000, 9_999_999))));
            result.Adds++;
            var roll = random.NextDouble();
            if (roll < 0.09)
                AddIfPast(later, addedAt.AddHours(1 + (random.NextDouble() * 24 * 25)), now, t => wecom.DelFollowUser(target.ExternalId, external, t));
            else if (roll < 0.11)
                AddIfPast(later, addedAt.AddHours(1 + (random.NextDouble() * 24 * 10)), now, t => wecom.DelExternalContact(target.ExternalId, external, t));
            // New friends who buy: most first orders come within three days of adding (新客首单).
            if (random.NextDouble() < 0.2)
            {
                var orderAt = addedAt.AddHours(random.NextDouble() < 0.7 ? random.NextDouble() * 72 : 72 + (random.NextDouble() * 24 * 20));
                if (orderAt < now)
                    orders.Add(Order(workspaceId, external, orderAt, random, now));
            }

            progress?.Report(++done / (double)scans.Count);
        }

        await FlushDueAsync(later, DateTimeOffset.MaxValue, pond, workspaceId, wecom, result, cancellationToken);
        // Orders go in after the adds they follow, so each lands on a customer the processor already knows.
        await log.AppendAsync(orders, cancellationToken);
        return new Result(result.Scans, result.Adds, result.GroupJoins, result.Deletions, orders.Count, result.Callbacks);
    }

    private static void AddIfPast(List<(DateTimeOffset, string)> later, DateTimeOffset at, DateTimeOffset now, Func<DateTimeOffset, string> xml)
    {
        if (at < now)
            later.Add((at, xml(at)));
    }

    /// <summary>Posts, in time order, every callback due before <paramref name="until"/>.</summary>
    private static async Task FlushDueAsync(
        List<(DateTimeOffset At, string Xml)> later, DateTimeOffset until, HttpClient pond, Guid workspaceId, WeComCallbackBuilder wecom, Counter result,
        CancellationToken cancellationToken)
    {
        var due = later.Where(l => l.At <= until).OrderBy(l => l.At).ToList();
        if (due.Count == 0)
            return;
        later.RemoveAll(l => l.At <= until);
        foreach (var (at, xml) in due)
        {
            var signed = wecom.Sign(xml, at);
            using var response = await pond.PostAsync($"/hooks/wecom/{workspaceId}?{signed.Query}", new StringContent(signed.Body, Encoding.UTF8, "text/xml"), cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"Pond refused a simulated callback ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync(cancellationToken)}");
            result.Callbacks++;
            if (xml.Contains("del_follow_user", StringComparison.Ordinal) || xml.Contains("del_external_contact", StringComparison.Ordinal)
                || xml.Contains("del_member", StringComparison.Ordinal))
                result.Deletions++;
        }
    }

    private static EventRecord Order(Guid workspaceId, string externalUserId, DateTimeOffset at, Random random, DateTimeOffset now)
    {
        var product = DemoCatalog.Products[random.Next(DemoCatalog.Products.Length)];
        var quantity = random.NextDouble() < 0.8 ? 1 : 2;
        var revenue = product.Price * quantity;
        var id = $"sim-order-{externalUserId}";
        var message = new JsonObject
        {
            ["type"] = "track",
            ["event"] = TrackedEvents.OrderCompleted,
            ["messageId"] = id,
            ["timestamp"] = at.ToString("O", CultureInfo.InvariantCulture),
            ["context"] = new JsonObject { ["traits"] = new JsonObject { ["wecom_external_userid"] = externalUserId } },
            ["properties"] = new JsonObject
            {
                ["order_id"] = id, ["revenue"] = revenue, ["currency"] = "CNY", ["channel"] = "mini_program",
                ["products"] = new JsonArray(new JsonObject { ["sku"] = product.Sku, ["name"] = product.Name, ["category"] = product.Category, ["price"] = product.Price, ["quantity"] = quantity }),
            },
        };
        return new EventRecord(workspaceId, id, "track", now, at, message.ToJsonString());
    }

    private sealed class Counter
    {
        public int Scans { get; set; }
        public int Adds { get; set; }
        public int GroupJoins { get; set; }
        public int Deletions { get; set; }
        public int Callbacks { get; set; }
    }
}

/// <summary>
/// The demo brand's acquisition set-up: WeCom connected (callbacks only: there is no real WeCom here), channels
/// with hooks, tags and spend, channel live codes over the shopping guides with each routing strategy, and a group
/// live code over the livestream groups.
/// </summary>
internal sealed class DemoAcquisition(Database database, ChannelCatalog catalog, WeComConnections connections, TimeProvider clock)
{
    public const string CorpId = "wwLilyFashion2026";
    public const string Token = "LilyPondToken";
    public const string EncodingAesKey = "LilyFashionPondDemoKey0123456789abcdefghijk";

    public async Task SetUpAsync(Guid workspaceId)
    {
        const string actor = "demo";
        await connections.SaveAsync(workspaceId, new WeComConnectionInput { CorpId = CorpId, Token = Token, EncodingAesKey = EncodingAesKey }, actor);
        await using var db = await database.OpenAsync();
        var guides = (await db.QueryAsync<DemoCarrier>(
            "SELECT id, external_id FROM carriers WHERE workspace_id = @workspaceId AND kind = 'wecom_account' ORDER BY external_id", new { workspaceId })).AsList();
        foreach (var guide in guides)
        {
            await db.ExecuteAsync("UPDATE carriers SET contact_url = @url WHERE id = @id",
                new { id = guide.Id, url = $"https://work.weixin.qq.com/ca/cawcde{guide.ExternalId.ToLowerInvariant()}" });
        }

        var now = clock.GetUtcNow();
        var livestreamGroups = new List<Guid>();
        for (var i = 1; i <= 3; i++)
        {
            var id = Guid.CreateVersion7();
            await db.ExecuteAsync(
                """
                INSERT INTO carriers (id, workspace_id, kind, name, external_id, contact_url, owner_staff_id, status, created_at, updated_at)
                SELECT @id, @workspaceId, 'group_chat', @name, @chat, @url, owner_staff_id, 'active', @now, @now FROM carriers WHERE id = @owner
                """,
                new { id, workspaceId, name = $"莉莉直播福利群{i:00}", chat = $"wrLilyLive{i:00}", url = $"https://weixin.qq.com/g/lilylive{i:00}", now, owner = guides[i].Id });
            livestreamGroups.Add(id);
        }

        const string welcome = "{nickname}你好呀～我是莉莉女装的{staff}，送你一张{coupon}，有穿搭问题随时问我！";
        var plans = new (string Name, string Kind, string Hook, string[] Tags, decimal Spend, string Code, string Strategy, int[] Guides)[]
        {
            ("双11包裹卡", ChannelKinds.PackageCard, "扫码领 20 元无门槛券", ["包裹卡", "双11"], 3_000m, "包裹卡-11月", RoutingStrategies.RoundRobin, [0, 1, 2, 3]),
            ("小红书 KOL 种草", ChannelKinds.Kol, "私信领取同款穿搭手册", ["小红书", "种草"], 12_000m, "KOL-秋冬穿搭", RoutingStrategies.Weighted, [4, 5, 6]),
            ("门店海报·华东", ChannelKinds.StorePoster, "到店扫码送袜子一双", ["门店"], 800m, "门店海报", RoutingStrategies.Region, [7, 8, 9]),
            ("会员短信召回", ChannelKinds.Sms, "回复加导购，领 8 折券", ["短信召回"], 1_500m, "短信-11月", RoutingStrategies.WorkingHours, [10, 11, 0]),
        };
        foreach (var plan in plans)
        {
            var channel = await catalog.CreateChannelAsync(workspaceId, new ChannelInput { Name = plan.Name, Kind = plan.Kind, Hook = plan.Hook, Tags = [.. plan.Tags] }, actor);
            var members = plan.Guides.Where(g => g < guides.Count).Select((g, i) => new LiveCodeMemberInput
            {
                CarrierId = guides[g].Id,
                Weight = plan.Strategy == RoutingStrategies.Weighted ? 3 - i : 1,
                DailyCap = 60,
                Regions = plan.Strategy == RoutingStrategies.Region ? [Regions[i % 3]] : [],
                Hours = plan.Strategy == RoutingStrategies.WorkingHours ? new WorkingHoursInput { From = i == 2 ? "18:00" : "09:00", To = i == 2 ? "23:30" : "18:00" } : null,
            }).ToList();
            var code = await catalog.CreateCodeAsync(workspaceId, new LiveCodeInput
            {
                ChannelId = channel.Id, Kind = LiveCodeKinds.Staff, Name = plan.Code, Strategy = plan.Strategy, Members = members,
                WelcomeText = welcome, WelcomeCoupon = plan.Kind == ChannelKinds.Sms ? "8 折券" : "20 元无门槛券",
            }, actor);
            // Spend booked weekly on the code, as operations teams reconcile it.
            foreach (var weeksAgo in new[] { 4, 3, 2, 1 })
            {
                await catalog.AddSpendAsync(workspaceId, channel.Id, new SpendInput
                {
                    SpentOn = DateOnly.FromDateTime(now.AddDays(-7 * weeksAgo + 1).UtcDateTime), Amount = plan.Spend / 4, CodeId = code.Id, Note = "投放费用",
                }, actor);
            }
        }

        var live = await catalog.CreateChannelAsync(workspaceId, new ChannelInput
        {
            Name = "直播间引流", Kind = ChannelKinds.Livestream, Hook = "进群抢 9.9 元秒杀", Tags = ["直播"],
        }, actor);
        await catalog.CreateCodeAsync(workspaceId, new LiveCodeInput
        {
            ChannelId = live.Id, Kind = LiveCodeKinds.Group, Name = "直播福利群码",
            Members = livestreamGroups.Select(g => new LiveCodeMemberInput { CarrierId = g, Capacity = 200 }).ToList(),
        }, actor);
        await catalog.AddSpendAsync(workspaceId, live.Id, new SpendInput { SpentOn = DateOnly.FromDateTime(now.AddDays(-20).UtcDateTime), Amount = 5_000m, Note = "直播投流" }, actor);
    }

    private static readonly string[] Regions = ["上海", "浙江", "江苏"];

    private sealed class DemoCarrier
    {
        public Guid Id { get; init; }
        public string ExternalId { get; init; } = "";
    }
}
