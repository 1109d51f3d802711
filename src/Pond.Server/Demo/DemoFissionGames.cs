using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Pond.Fission.Assists;
using Pond.Fission.Lotteries;
using Pond.Loyalty;
using Pond.Storage;

namespace Pond.Server.Demo;

/// <summary>
/// The demo brand's fission games on its own customers, played through the same services the API uses: a friend-assist
/// campaign with requests complete, in progress and expired; a bargain with sessions bought, at the floor and being cut;
/// a week-long lottery with a week of daily draws, winners and a prize already gone. Only the passing of time is
/// simulated by moving timestamps back. Deterministic (a fixed seed).
/// </summary>
internal static class DemoFissionGames
{
    private const string Actor = "demo";

    public static async Task SetUpAsync(IServiceProvider services, Guid workspaceId)
    {
        var database = services.GetRequiredService<Database>();
        var assists = services.GetRequiredService<Assists>();
        var bargains = services.GetRequiredService<Bargains>();
        var lotteries = services.GetRequiredService<Lotteries>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var random = new Random(20261124);
        List<Guid> customers;
        Guid? coupon;
        List<Guid> withPoints;
        await using (var connection = await database.OpenAsync())
        {
            customers = (await connection.QueryAsync<Guid>(
                "SELECT id FROM customers WHERE workspace_id = @workspaceId ORDER BY id LIMIT 4000", new { workspaceId })).AsList();
            coupon = await connection.QueryFirstOrDefaultAsync<Guid?>(
                "SELECT id FROM coupon_templates WHERE workspace_id = @workspaceId AND status = 'active' AND total_stock IS NULL ORDER BY created_at LIMIT 1", new { workspaceId });
            withPoints = (await connection.QueryAsync<Guid>(
                "SELECT customer_id FROM points_balances WHERE workspace_id = @workspaceId AND balance >= 20 ORDER BY customer_id LIMIT 2000", new { workspaceId })).AsList();
        }
        if (customers.Count < 200)
            return;
        var unused = new Queue<Guid>(customers.OrderBy(_ => random.Next()));

        // Friend assist: five friends within 24 hours unlock a gift coupon (or 200 points when the demo has no coupon).
        var campaign = await assists.CreateAsync(workspaceId, new AssistCampaignInput
        {
            Name = "好友助力 · 五人助力领 30 元券", TargetHelps = 5, TimeLimitMinutes = 1440, RewardStock = 500, HelperDailyCap = 3,
            Reward = coupon is { } c ? new GameRewardInput { Kind = GameRewardKinds.Coupon, TemplateId = c } : new GameRewardInput { Kind = GameRewardKinds.Points, Points = 200 },
            StartsAt = now.AddDays(-3), EndsAt = now.AddDays(11),
        }, Actor);
        var expiredRequests = new List<Guid>();
        for (var r = 0; r < 36; r++)
        {
            var opened = await assists.OpenAsync(workspaceId, campaign.Id, unused.Dequeue(), null);
            if (opened.Request is not { } request)
                continue;
            // A third finish, most of the rest are on their way, a few ran out of time.
            var helps = r % 3 == 0 ? 5 : r % 7 == 1 ? random.Next(0, 3) : random.Next(1, 5);
            for (var h = 0; h < helps; h++)
                await assists.HelpAsync(workspaceId, request.Code, unused.Dequeue(), null);
            if (r % 7 == 1)
                expiredRequests.Add(request.Id);
        }
        await using (var connection = await database.OpenAsync())
        {
            // Opened two days ago with a one-day limit: these ran out of time.
            foreach (var id in expiredRequests)
                await connection.ExecuteAsync(
                    "UPDATE assist_requests SET opened_at = opened_at - @ms, expires_at = expires_at - @ms, state = 'expired' WHERE id = @id AND state = 'open'",
                    new { id, ms = 2 * 86_400_000L });
        }

        // Bargain: a ¥129 candle cut to ¥9.9 by eight friends.
        var item = await bargains.CreateAsync(workspaceId, new BargainItemInput
        {
            Name = "砍价 9.9 元拿 · 香氛蜡烛", Sku = "LL-CANDLE-01", ProductName = "无花果香氛蜡烛 200g", Category = "家居",
            OriginalPrice = 129m, FloorPrice = 9.9m, MaxHelps = 8, FirstCutPercent = 50, TimeLimitMinutes = 2880, Stock = 200,
            StartsAt = now.AddDays(-2), EndsAt = now.AddDays(12),
        }, Actor);
        for (var s = 0; s < 24; s++)
        {
            var opened = await bargains.OpenAsync(workspaceId, item.Id, unused.Dequeue(), null);
            if (opened.Session is not { } session)
                continue;
            var helps = s % 3 == 0 ? 8 : random.Next(1, 8);
            for (var h = 0; h < helps; h++)
                await bargains.CutAsync(workspaceId, session.Code, unused.Dequeue(), null);
            if (helps == 8 && s % 2 == 0)
                await bargains.PurchaseAsync(workspaceId, item.Id, session.Id);
        }

        // Lottery: a week of member-day draws at 10 points; the silk scarf (stock 3) is already gone.
        var lottery = await lotteries.CreateAsync(workspaceId, new LotteryInput
        {
            Name = "会员日幸运抽奖", PointsCost = 10, StartsAt = now.AddDays(-7), EndsAt = now.AddDays(23),
            Prizes =
            [
                new LotteryPrizeInput { Name = "真丝方巾", Probability = 2m, Stock = 3, Reward = new GameRewardInput { Kind = GameRewardKinds.Gift, Gift = "真丝方巾" } },
                new LotteryPrizeInput { Name = "100 积分", Probability = 10m, Stock = 200, Reward = new GameRewardInput { Kind = GameRewardKinds.Points, Points = 100 } },
                coupon is { } lc
                    ? new LotteryPrizeInput { Name = "30 元券", Probability = 15m, Stock = 300, Reward = new GameRewardInput { Kind = GameRewardKinds.Coupon, TemplateId = lc } }
                    : new LotteryPrizeInput { Name = "20 积分", Probability = 15m, Stock = 300, Reward = new GameRewardInput { Kind = GameRewardKinds.Points, Points = 20 } },
            ],
        }, Actor);
        var players = new Queue<Guid>(withPoints.OrderBy(_ => random.Next()));
        TimeZoneInfo zone;
        await using (var connection = await database.OpenAsync())
            zone = await LoyaltyDb.ZoneAsync(connection, null, workspaceId);
        for (var daysAgo = 6; daysAgo >= 0 && players.Count > 0; daysAgo--)
        {
            var drawn = new List<Guid>();
            for (var i = 0; i < 45 && players.Count > 0; i++)
            {
                var outcome = await lotteries.DrawAsync(workspaceId, lottery.Id, players.Dequeue(), null);
                if (outcome.Entry is { } entry)
                    drawn.Add(entry.Id);
            }
            if (daysAgo == 0)
                continue;
            var at = now.AddDays(-daysAgo);
            await using var connection = await database.OpenAsync();
            foreach (var id in drawn)
                await connection.ExecuteAsync("UPDATE lottery_entries SET drawn_at = drawn_at - @ms, day = @day WHERE id = @id",
                    new { id, ms = (long)TimeSpan.FromDays(daysAgo).TotalMilliseconds, day = LoyaltyDb.DayNumber(LoyaltyDb.LocalDay(at, zone)) });
        }
    }
}
