using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Pond.Loyalty;
using Pond.Storage;

namespace Pond.Server.Demo;

/// <summary>
/// The demo brand's points and member tiers: Lumi Lane's rules (1 point per yuan, 会员日 on the 18th at ×2, points
/// expire at the end of the year after they were earned), four tiers by 12-month spend (set so that about a fifth of
/// buyers are 银卡 or above and a few percent 黑金, as the demo's spending runs), the points its past orders
/// earned (history from the orders table, refunds reversed, old lots expired), everyone placed in their tier, and a
/// day's worth of check-ins, tasks, coupon and gift redemptions so the ledgers and pages look alive.
/// </summary>
internal static class DemoLoyalty
{
    private const string Actor = "demo";

    public static readonly LoyaltyRules Rules = new()
    {
        Enabled = true,
        PointsPerYuan = 1m,
        CheckIn = new CheckInRule { Points = 5, StreakDays = 7, StreakBonus = 50 },
        Tasks =
        [
            new PointsTask { Code = "review", Name = "晒单评价", Points = 20, Limit = 50 },
            new PointsTask { Code = "share", Name = "分享商品", Points = 5, Limit = 100 },
            new PointsTask { Code = "complete_profile", Name = "完善资料", Points = 100, Limit = 1 },
        ],
        ReferralPoints = 200,
        Expiry = new ExpiryPolicy { Mode = ExpiryModes.EndOfNextYear },
        MemberDay = new MemberDayRule { DayOfMonth = 18, Multiplier = 2m },
        TierBasis = TierBases.Spend,
    };

    public static readonly TierInput[] Tiers =
    [
        new() { Name = "普通会员", Threshold = 0, PointsMultiplier = 1m, Color = "#8a94a6" },
        new() { Name = "银卡", Threshold = 800, PointsMultiplier = 1.2m, BirthdayPoints = 100, Color = "#7f8fa6" },
        new() { Name = "金卡", Threshold = 2_000, PointsMultiplier = 1.5m, BirthdayPoints = 300, Color = "#c9a227" },
        new() { Name = "黑金", Threshold = 3_500, PointsMultiplier = 2m, BirthdayPoints = 888, Color = "#2b2b2b" },
    ];

    private static readonly (string Gift, long Points)[] Gifts = [("帆布托特包", 800), ("香氛蜡烛", 1_200), ("丝巾", 2_000)];

    public static async Task SetUpAsync(IServiceProvider services, Guid workspaceId)
    {
        await services.GetRequiredService<LoyaltySettingsStore>().SaveAsync(workspaceId, Rules, Actor);
        var tiers = services.GetRequiredService<TierBook>();
        if ((await tiers.ListAsync(workspaceId)).Count == 0)
        {
            foreach (var tier in Tiers)
                await tiers.CreateAsync(workspaceId, tier, Actor);
        }

        var points = services.GetRequiredService<PointsBook>();
        await points.BackfillOrdersAsync(workspaceId);
        await points.ExpireDueAsync();
        await tiers.EvaluateAllAsync(workspaceId);

        // Today's activity: check-ins and tasks from recent buyers, redemptions from those with points to spend.
        List<Guid> recent, rich;
        await using (var connection = await services.GetRequiredService<Database>().OpenAsync())
        {
            recent = (await connection.QueryAsync<Guid>(
                "SELECT customer_id FROM points_balances WHERE workspace_id = @workspaceId AND balance > 0 ORDER BY updated_at DESC, customer_id LIMIT 400",
                new { workspaceId })).AsList();
            rich = (await connection.QueryAsync<Guid>(
                "SELECT customer_id FROM points_balances WHERE workspace_id = @workspaceId AND balance >= 2500 ORDER BY customer_id LIMIT 150",
                new { workspaceId })).AsList();
        }

        var random = new Random(20261118);
        foreach (var customer in recent)
        {
            try
            {
                await points.CheckInAsync(workspaceId, customer);
            }
            catch (ConflictException)
            {
                // Already checked in today (the demo ran before today).
            }

            if (random.NextDouble() < 0.4)
                await points.CompleteTaskAsync(workspaceId, customer, random.NextDouble() < 0.5 ? "share" : "review", $"demo-task:{customer:N}");
        }

        for (var i = 0; i < rich.Count; i++)
        {
            var customer = rich[i];
            if (i % 3 == 0)
            {
                var (gift, cost) = Gifts[i % Gifts.Length];
                await points.RedeemGiftAsync(workspaceId, customer, gift, cost, $"demo-gift:{customer:N}", Actor);
            }
            else
            {
                await points.SpendAsync(workspaceId, customer, 1_000, "兑换 满200减20 券", "coupon:满200减20", $"demo-coupon:{customer:N}", Actor);
            }
        }
    }
}
