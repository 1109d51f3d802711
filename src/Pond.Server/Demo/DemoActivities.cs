using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Pond.Activities;
using Pond.Storage;

namespace Pond.Server.Demo;

/// <summary>
/// The demo brand's activities: a flash sale running now with realistic partial sales (paid, awaiting payment and
/// refused attempts), last week's flash sale that sold out, and a three-person group buy with groups forming, complete
/// and expired. Everything goes through the same services the API uses; only the passing of time is simulated by
/// moving timestamps back. Deterministic (a fixed seed).
/// </summary>
internal static class DemoActivities
{
    private const string Actor = "demo";

    public static async Task SetUpAsync(IServiceProvider services, Guid workspaceId)
    {
        var database = services.GetRequiredService<Database>();
        var sales = services.GetRequiredService<FlashSales>();
        var buys = services.GetRequiredService<GroupBuys>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var random = new Random(20261125);
        List<Guid> customers;
        await using (var connection = await database.OpenAsync())
            customers = (await connection.QueryAsync<Guid>(
                "SELECT id FROM customers WHERE workspace_id = @workspaceId ORDER BY id LIMIT 5000", new { workspaceId })).AsList();
        if (customers.Count < 100)
            return;
        Guid Pick() => customers[random.Next(customers.Count)];

        // Last week's sale: 60 cashmere coats at ¥699, gone in minutes, every unit paid.
        var past = await sales.CreateAsync(workspaceId, new FlashSaleInput
        {
            Name = "会员日秒杀 · 羊绒大衣", Sku = "LL-COAT-CASH-01", ProductName = "双面羊绒大衣（燕麦色）", Category = "外套",
            OriginalPrice = 1599m, FlashPrice = 699m, Stock = 60, PerCustomerLimit = 1,
            StartsAt = now.AddMinutes(-5), EndsAt = now.AddHours(1), PaymentTimeoutMinutes = 15,
        }, Actor);
        for (var i = 0; i < 240; i++)
        {
            var outcome = await sales.AttemptAsync(workspaceId, past.Id, Pick(), null);
            if (outcome.Reservation is { } r)
                await sales.PayAsync(workspaceId, past.Id, r.Id, Actor);
        }
        var lastWeek = now.AddDays(-6).Date.AddHours(12);
        await sales.UpdateAsync(workspaceId, past.Id, new FlashSaleInput
        {
            StartsAt = new DateTimeOffset(lastWeek, TimeSpan.Zero), EndsAt = new DateTimeOffset(lastWeek.AddHours(2), TimeSpan.Zero),
        }, Actor);
        await ShiftAsync(database, "flash_reservations", "sale_id", past.Id, now - new DateTimeOffset(lastWeek.AddMinutes(3), TimeSpan.Zero),
            "created_at", "expires_at", "paid_at", "released_at");

        // Running now: 300 silk shirts at ¥199, started 40 minutes ago; about half gone, some still awaiting payment.
        var running = await sales.CreateAsync(workspaceId, new FlashSaleInput
        {
            Name = "周年庆秒杀 · 真丝衬衫", Sku = "LL-SILK-SHIRT-02", ProductName = "22 姆米真丝衬衫（象牙白）", Category = "上衣",
            OriginalPrice = 599m, FlashPrice = 199m, Stock = 300, PerCustomerLimit = 1,
            StartsAt = now.AddMinutes(-40), EndsAt = now.AddHours(3), PaymentTimeoutMinutes = 15,
        }, Actor);
        for (var i = 0; i < 230; i++)
        {
            var outcome = await sales.AttemptAsync(workspaceId, running.Id, Pick(), null);
            if (outcome.Reservation is not { } r)
                continue;
            var draw = random.NextDouble();
            if (draw < 0.72)
                await sales.PayAsync(workspaceId, running.Id, r.Id, Actor);
            else if (draw < 0.8)
                await sales.CancelAsync(workspaceId, running.Id, r.Id);
        }

        // Coming up tonight, for members of the VIP segment when the demo has one.
        Guid? vip;
        await using (var connection = await database.OpenAsync())
            vip = await connection.QueryFirstOrDefaultAsync<Guid?>(
                "SELECT id FROM segments WHERE workspace_id = @workspaceId ORDER BY member_count DESC LIMIT 1", new { workspaceId });
        await sales.CreateAsync(workspaceId, new FlashSaleInput
        {
            Name = "20:00 会员专享秒杀 · 真丝眼罩", Sku = "LL-SILK-MASK-03", ProductName = "真丝眼罩", Category = "配饰",
            OriginalPrice = 129m, FlashPrice = 19.9m, Stock = 500, PerCustomerLimit = 2, SegmentId = vip,
            StartsAt = now.AddHours(4), EndsAt = now.AddHours(6), PaymentTimeoutMinutes = 10,
        }, Actor);

        // A three-person group buy of cashmere scarves: groups complete, expired and forming.
        var buy = await buys.CreateAsync(workspaceId, new GroupBuyInput
        {
            Name = "三人团 · 羊绒围巾", Sku = "LL-SCARF-CASH-04", ProductName = "羊绒围巾（驼色）", Category = "配饰",
            OriginalPrice = 399m, GroupPrice = 239m, GroupSize = 3, TimeLimitMinutes = 1440, Stock = 500,
            StartsAt = now.AddDays(-3), EndsAt = now.AddDays(4),
        }, Actor);
        for (var g = 0; g < 18; g++)
        {
            var opened = await buys.OpenAsync(workspaceId, buy.Id, Pick(), null);
            if (opened.Group is not { } group)
                continue;
            var kind = g % 3; // 0: complete, 1: forming, 2: expires
            var joiners = kind == 0 ? 2 : random.Next(0, 2);
            for (var j = 0; j < joiners; j++)
                await buys.JoinAsync(workspaceId, group.Code, Pick(), null);
            var age = kind switch
            {
                0 => TimeSpan.FromHours(random.Next(5, 60)),
                1 => TimeSpan.FromMinutes(random.Next(20, 1300)),
                _ => TimeSpan.FromHours(25 + random.Next(0, 40)),
            };
            await using var connection = await database.OpenAsync();
            await connection.ExecuteAsync(
                """
                UPDATE group_buy_groups SET opened_at = opened_at - @ms, expires_at = expires_at - @ms,
                    closed_at = CASE WHEN closed_at IS NULL THEN NULL ELSE closed_at - @ms + @fill END
                WHERE id = @id
                """, new { id = group.Id, ms = (long)age.TotalMilliseconds, fill = (long)TimeSpan.FromMinutes(random.Next(10, 300)).TotalMilliseconds });
            await connection.ExecuteAsync("UPDATE group_buy_members SET joined_at = joined_at - @ms WHERE group_id = @id",
                new { id = group.Id, ms = (long)age.TotalMilliseconds - (long)TimeSpan.FromMinutes(random.Next(1, 120)).TotalMilliseconds });
        }
        await buys.ExpireDueAsync();
    }

    /// <summary>Moves a sale's reservation times back, as if it had run at that time.</summary>
    private static async Task ShiftAsync(Database database, string table, string key, Guid id, TimeSpan by, params string[] columns)
    {
        var ms = (long)by.TotalMilliseconds;
        await using var connection = await database.OpenAsync();
        foreach (var column in columns)
            await connection.ExecuteAsync($"UPDATE {table} SET {column} = {column} - @ms WHERE {key} = @id AND {column} IS NOT NULL", new { id, ms });
    }
}
