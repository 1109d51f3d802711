using Dapper;
using Pond.Storage;

namespace Pond.Tests.Analytics;

/// <summary>
/// Two fortnights of a small pool, written straight into the source tables, with every figure worked out by hand
/// (InsightTests). Previous period 1–15 November 2026, current 16–30 November, "now" 31 December at noon, Shanghai.
/// - Previous: 100 landing visits, p1..p10 join on 2 Nov; p1..p4 buy (p1 twice): 5 orders of ¥100, ¥500 GMV.
///   T 100 × 10% × 40% × 1.25 × ¥100 = ¥500.
/// - Current: 150 landing visits and 50 referral visits, q1..q20 join on 17 Nov; p5..p7 delete on 20 Nov; q1..q8
///   buy once, p1 and p2 twice: 12 orders of ¥150, ¥1,800 GMV. T 200 × 10% × 50% × 1.2 × ¥150 = ¥1,800.
/// - A ¥300 spend on the channel on 16 Nov; the q orders are credited first touch to the channel, all orders to 小美.
/// </summary>
internal sealed class InsightSeed(Database database, Guid workspaceId)
{
    public static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);
    public static readonly DateTimeOffset Now = new(2026, 12, 31, 12, 0, 0, Shanghai);

    public Guid Channel { get; } = Guid.CreateVersion7();
    public Guid Code { get; } = Guid.CreateVersion7();
    public Guid Mei { get; } = Guid.CreateVersion7();
    public Guid Account { get; } = Guid.CreateVersion7();
    public Guid Campaign { get; } = Guid.CreateVersion7();

    private readonly Dictionary<string, Guid> _customers = [];

    public Guid Customer(string name)
    {
        if (!_customers.TryGetValue(name, out var id))
            _customers[name] = id = Guid.CreateVersion7();
        return id;
    }

    public static DateTimeOffset At(int day, int hour = 10) => new(2026, 11, day, hour, 0, 0, Shanghai);

    public async Task SeedAsync()
    {
        await using var connection = await database.OpenAsync();
        var now = At(1, 8);
        async Task Run(string sql, object args) => await connection.ExecuteAsync(sql, args);

        await Run("INSERT INTO staff (id, workspace_id, name, status, created_at, updated_at) VALUES (@Mei, @workspaceId, '小美', 'active', @now, @now)", new { Mei, workspaceId, now });
        await Run(
            "INSERT INTO carriers (id, workspace_id, kind, name, external_id, owner_staff_id, status, created_at, updated_at) VALUES (@Account, @workspaceId, 'wecom_account', '小美的企业微信', @external, @Mei, 'active', @now, @now)",
            new { Account, workspaceId, external = Account.ToString("N"), Mei, now });
        await Run("INSERT INTO channels (id, workspace_id, name, kind, created_at, updated_at) VALUES (@Channel, @workspaceId, '包裹卡', 'package_card', @now, @now)", new { Channel, workspaceId, now });
        await Run(
            """
            INSERT INTO live_codes (id, workspace_id, channel_id, kind, name, slug, state, strategy, created_at, updated_at)
            VALUES (@Code, @workspaceId, @Channel, 'staff', '包裹卡-A', @slug, @state, 'round_robin', @now, @now)
            """, new { Code, workspaceId, Channel, slug = Code.ToString("N"), state = "s" + Code.ToString("N"), now });
        await Run(
            """
            INSERT INTO referral_campaigns (id, workspace_id, name, kind, status, starts_at, ends_at, live_code_id, success_requires, success_within_days,
                revoke_within_days, reward_mode, created_at, updated_at)
            VALUES (@Campaign, @workspaceId, '老带新', 'friend', 'active', @now, @end, @Code, '["add"]', 7, 7, 'instant', @now, @now)
            """, new { Campaign, workspaceId, Code, now, end = At(30, 23) });

        var visitor = 0;
        foreach (var (day, count) in new[] { (3, 100), (18, 150) })
        {
            for (var i = 0; i < count; i++)
                await Run(
                    "INSERT INTO live_code_visits (id, workspace_id, code_id, visitor, day, visited_at) VALUES (@id, @workspaceId, @Code, @visitor, @dayNumber, @at)",
                    new { id = Guid.CreateVersion7(), workspaceId, Code, visitor = $"v{++visitor}", dayNumber = 20261100 + day, at = At(day).AddSeconds(i) });
        }

        for (var i = 0; i < 50; i++)
            await Run(
                "INSERT INTO referral_visits (id, workspace_id, campaign_id, participant_id, visitor, day, visited_at) VALUES (@id, @workspaceId, @Campaign, @participant, @visitor, 20261118, @at)",
                new { id = Guid.CreateVersion7(), workspaceId, Campaign, participant = Guid.CreateVersion7(), visitor = $"r{i}", at = At(18).AddSeconds(i) });

        var joins = Enumerable.Range(1, 10).Select(i => ($"p{i}", At(2))).Concat(Enumerable.Range(1, 20).Select(i => ($"q{i}", At(17))));
        foreach (var (name, at) in joins)
        {
            var deleted = name is "p5" or "p6" or "p7";
            await Run(
                """
                INSERT INTO customers (id, workspace_id, display_name, depth, first_seen_at, last_seen_at, created_at, updated_at)
                VALUES (@id, @workspaceId, @name, @depth, @at, @at, @at, @at)
                """, new { id = Customer(name), workspaceId, name, depth = deleted ? 0 : 3, at });
            await Run(
                """
                INSERT INTO acquisitions (id, workspace_id, customer_id, carrier_id, carrier_kind, code_id, channel_id, staff_id, message_id, acquired_at, ended_at, ended_by)
                VALUES (@id, @workspaceId, @customerId, @Account, 'wecom_account', @Code, @Channel, @Mei, @message, @at, @ended, @endedBy)
                """,
                new
                {
                    id = Guid.CreateVersion7(), workspaceId, customerId = Customer(name), Account, Code, Channel, Mei, message = $"add-{name}", at,
                    ended = deleted ? At(20) : (DateTimeOffset?)null, endedBy = deleted ? "customer" : null,
                });
        }

        await Run(
            "INSERT INTO channel_spend (id, workspace_id, channel_id, spent_on, amount_fen, created_by, created_at) VALUES (@id, @workspaceId, @Channel, 20261116, 30000, 'tests', @now)",
            new { id = Guid.CreateVersion7(), workspaceId, Channel, now });

        var orders = new List<(string Customer, DateTimeOffset At, long Fen, bool Credited)>
        {
            ("p1", At(5), 10000, false), ("p1", At(9), 10000, false), ("p2", At(6), 10000, false), ("p3", At(7), 10000, false), ("p4", At(8), 10000, false),
            ("p1", At(21), 15000, false), ("p1", At(22), 15000, false), ("p2", At(21, 11), 15000, false), ("p2", At(23), 15000, false),
        };
        orders.AddRange(Enumerable.Range(1, 8).Select(i => ($"q{i}", At(19 + (i % 5)), 15000L, true)));
        var number = 0;
        foreach (var (customer, at, fen, credited) in orders)
            await Run(
                """
                INSERT INTO orders (id, workspace_id, order_id, customer_id, placed_at, sales_channel, private_domain, currency, subtotal, discount, shipping, paid,
                    status, staff_id, first_channel_id, source, created_at, updated_at)
                VALUES (@id, @workspaceId, @orderId, @customerId, @at, 'mini_program', @yes, 'CNY', @fen, 0, 0, @fen, 'completed', @Mei, @channel, 'api', @at, @at)
                """,
                new
                {
                    id = Guid.CreateVersion7(at), workspaceId, orderId = $"o{++number}", customerId = Customer(customer), at, yes = true, fen, Mei,
                    channel = credited ? Channel : (Guid?)null,
                });

        // An order outside the private domain never counts.
        await Run(
            """
            INSERT INTO orders (id, workspace_id, order_id, customer_id, placed_at, sales_channel, private_domain, currency, subtotal, discount, shipping, paid,
                status, source, created_at, updated_at)
            VALUES (@id, @workspaceId, 'tmall-1', @customerId, @at, 'tmall', @no, 'CNY', 99900, 0, 0, 99900, 'completed', 'import', @at, @at)
            """, new { id = Guid.CreateVersion7(), workspaceId, customerId = Customer("q9"), at = At(25), no = false });
    }
}
