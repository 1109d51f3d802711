using Dapper;
using Pond.Channels;
using Pond.Storage;
using Pond.WeCom;

namespace Pond.Server.Demo;

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
