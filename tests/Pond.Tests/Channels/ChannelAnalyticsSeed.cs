using Dapper;
using Pond.Storage;

namespace Pond.Tests.Channels;

/// <summary>
/// A month of acquisition for channel analytics, written straight into the tables (either engine): two paid channels
/// and an idle one, three live codes, two staff members, visits, adds that stay, are deleted by the customer or staff
/// or moved by a handover, adds before and after the range, spend and Order Completed events.
/// Day 1 is the first day of the range, day 30 its last; <see cref="Now"/> is day 33 at noon, Asia/Shanghai.
/// The expected numbers are worked out by hand in ChannelAnalyticsTests.
/// </summary>
internal sealed class ChannelAnalyticsSeed(Database database, Guid workspaceId, DateOnly firstDay)
{
    public static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    public Guid Package { get; } = Guid.CreateVersion7();
    public Guid Kol { get; } = Guid.CreateVersion7();
    public Guid Poster { get; } = Guid.CreateVersion7();
    public Guid CodeA { get; } = Guid.CreateVersion7();
    public Guid CodeB { get; } = Guid.CreateVersion7();
    public Guid CodeKol { get; } = Guid.CreateVersion7();
    public Guid Mei { get; } = Guid.CreateVersion7();
    public Guid Jie { get; } = Guid.CreateVersion7();
    public Guid MeiAccount { get; } = Guid.CreateVersion7();
    public Guid JieAccount { get; } = Guid.CreateVersion7();
    public Guid Group { get; } = Guid.CreateVersion7();

    public DateOnly FirstDay => firstDay;
    public DateOnly LastDay => firstDay.AddDays(29);
    public DateTimeOffset Now => At(33, 12);

    /// <summary>Local time on day <paramref name="day"/> of the range (0 is the day before it, 31 the day after it).</summary>
    public DateTimeOffset At(int day, int hour, int minute = 0) =>
        new(firstDay.AddDays(day - 1).ToDateTime(new TimeOnly(hour, minute)), Shanghai);

    public int DayNumber(int day)
    {
        var d = firstDay.AddDays(day - 1);
        return d.Year * 10000 + d.Month * 100 + d.Day;
    }

    private readonly Dictionary<string, Guid> _customers = [];

    public Guid Customer(string name)
    {
        if (!_customers.TryGetValue(name, out var id))
            _customers[name] = id = Guid.CreateVersion7();
        return id;
    }

    public async Task SeedAsync()
    {
        await using var connection = await database.OpenAsync();
        var now = At(-40, 9);
        async Task Run(string sql, object args) => await connection.ExecuteAsync(sql, args);

        foreach (var (id, name) in new[] { (Mei, "小美"), (Jie, "阿杰") })
            await Run("INSERT INTO staff (id, workspace_id, name, status, created_at, updated_at) VALUES (@id, @workspaceId, @name, 'active', @now, @now)",
                new { id, workspaceId, name, now });
        foreach (var (id, kind, name, owner) in new[]
                 {
                     (MeiAccount, "wecom_account", "小美的企业微信", (Guid?)Mei),
                     (JieAccount, "wecom_account", "阿杰的企业微信", Jie),
                     (Group, "group_chat", "会员福利群", null),
                 })
            await Run(
                "INSERT INTO carriers (id, workspace_id, kind, name, external_id, owner_staff_id, status, created_at, updated_at) VALUES (@id, @workspaceId, @kind, @name, @external, @owner, 'active', @now, @now)",
                new { id, workspaceId, kind, name, external = id.ToString("N"), owner, now });
        foreach (var (id, name, kind) in new[] { (Package, "包裹卡", "package_card"), (Kol, "小红书 KOL", "kol"), (Poster, "门店海报", "poster") })
            await Run("INSERT INTO channels (id, workspace_id, name, kind, created_at, updated_at) VALUES (@id, @workspaceId, @name, @kind, @now, @now)",
                new { id, workspaceId, name, kind, now });
        foreach (var (id, channel, name) in new[] { (CodeA, Package, "包裹卡-A"), (CodeB, Package, "包裹卡-B"), (CodeKol, Kol, "KOL 活码") })
            await Run(
                """
                INSERT INTO live_codes (id, workspace_id, channel_id, kind, name, slug, state, strategy, created_at, updated_at)
                VALUES (@id, @workspaceId, @channel, 'staff', @name, @slug, @state, 'round_robin', @now, @now)
                """,
                new { id, workspaceId, channel, name, slug = id.ToString("N"), state = "s" + id.ToString("N"), now });

        // Visits: code A 10 in range (+3 outside), code B 5, the KOL code 4.
        var visits = new List<(Guid Code, int Day, int Count, Guid? Carrier)>
        {
            (CodeA, 0, 2, MeiAccount), (CodeA, 2, 4, MeiAccount), (CodeA, 20, 3, MeiAccount), (CodeA, 29, 3, JieAccount), (CodeA, 31, 1, MeiAccount),
            (CodeB, 10, 5, JieAccount),
            (CodeKol, 15, 2, JieAccount), (CodeKol, 15, 2, null),
        };
        var visitor = 0;
        foreach (var (code, day, count, carrier) in visits)
        {
            for (var i = 0; i < count; i++)
                await Run(
                    "INSERT INTO live_code_visits (id, workspace_id, code_id, visitor, day, carrier_id, visited_at) VALUES (@id, @workspaceId, @code, @visitor, @dayNumber, @carrier, @at)",
                    new { id = Guid.CreateVersion7(), workspaceId, code, visitor = $"v{++visitor}", dayNumber = DayNumber(day), carrier, at = At(day, 9, i) });
        }

        // Adds: (customer, code, channel, staff, carrier, acquired, ended, ended by).
        var adds = new List<(string Customer, Guid? Code, Guid? Channel, Guid? Staff, Guid Carrier, DateTimeOffset At, DateTimeOffset? Ended, string? EndedBy)>
        {
            ("c1", CodeA, Package, Mei, MeiAccount, At(2, 10), null, null),
            ("c2", CodeA, Package, Mei, MeiAccount, At(2, 11), At(5, 10), "customer"),
            ("c3", CodeA, Package, Mei, MeiAccount, At(1, 9), At(20, 9), "staff"),
            ("c4", CodeA, Package, Jie, JieAccount, At(1, 12), At(4, 12), "system"),
            ("c5", CodeA, Package, Mei, MeiAccount, At(20, 15), null, null),
            ("c6", CodeA, Package, Jie, JieAccount, At(29, 10), null, null),
            ("c7", CodeB, Package, Jie, JieAccount, At(10, 10), At(30, 23, 30), "customer"),
            ("c8", CodeB, Package, Jie, JieAccount, At(10, 11), At(31, 0, 30), "customer"),
            ("c9", CodeKol, Kol, Jie, JieAccount, At(15, 10), null, null),
            ("c10", CodeKol, Kol, null, Group, At(15, 11), null, null),
            ("c11", null, null, Mei, MeiAccount, At(16, 10), null, null),
            ("c1", CodeKol, Kol, null, Group, At(3, 10), null, null),
            ("c26", CodeKol, Kol, Jie, JieAccount, At(1, 0, 30), null, null),
            // Before the range: held at its start (c20, c21, c23, c25) or already gone (c22); after it (c24).
            ("c20", CodeA, Package, Mei, MeiAccount, At(-11, 10), null, null),
            ("c21", CodeA, Package, Mei, MeiAccount, At(-6, 10), At(8, 10), "customer"),
            ("c22", CodeB, Package, Jie, JieAccount, At(-21, 10), At(-3, 10), "customer"),
            ("c23", CodeKol, Kol, Jie, JieAccount, At(-26, 10), At(12, 10), "system"),
            ("c25", CodeKol, Kol, Jie, JieAccount, At(0, 23, 30), null, null),
            ("c24", CodeA, Package, Mei, MeiAccount, At(31, 10), null, null),
        };
        foreach (var (customer, code, channel, staff, carrier, at, ended, endedBy) in adds)
            await Run(
                """
                INSERT INTO acquisitions (id, workspace_id, customer_id, carrier_id, carrier_kind, code_id, channel_id, staff_id, message_id, acquired_at, ended_at, ended_by)
                VALUES (@id, @workspaceId, @customerId, @carrier, @kind, @code, @channel, @staff, @message, @at, @ended, @endedBy)
                """,
                new
                {
                    id = Guid.CreateVersion7(), workspaceId, customerId = Customer(customer), carrier, kind = carrier == Group ? "group_chat" : "wecom_account",
                    code, channel, staff, message = Guid.NewGuid().ToString("N"), at, ended, endedBy,
                });

        // Spend in fen: ¥100 on the package card as a whole, ¥300 on code A (¥999 before the range), ¥50.50 on code B,
        // ¥200 on the KOL code (¥777 after the range).
        foreach (var (channel, code, day, fen) in new[]
                 {
                     (Package, (Guid?)null, 1, 10000L), (Package, CodeA, 2, 30000L), (Package, CodeA, 0, 99900L), (Package, CodeB, 10, 5050L),
                     (Kol, CodeKol, 15, 20000L), (Kol, CodeKol, 31, 77700L),
                 })
            await Run(
                """
                INSERT INTO channel_spend (id, workspace_id, channel_id, code_id, spent_on, amount_fen, created_by, created_at)
                VALUES (@id, @workspaceId, @channel, @code, @spentOn, @fen, 'tests', @now)
                """,
                new { id = Guid.CreateVersion7(), workspaceId, channel, code, spentOn = DayNumber(day), fen, now });

        foreach (var (customer, name, at, properties) in new[]
                 {
                     ("c1", "Order Completed", At(5, 12), """{"order_id":"1","revenue":199}"""),
                     ("c1", "Order Completed", At(20, 12), """{"order_id":"2","total":99.5}"""),
                     ("c1", "Order Completed", At(32, 12), """{"order_id":"3","revenue":50}"""),
                     ("c3", "Order Completed", At(-16, 12), """{"order_id":"4","revenue":88}"""),
                     ("c3", "Order Completed", At(3, 12), """{"order_id":"5","revenue":120}"""),
                     ("c5", "Order Completed", At(21, 12), """{"order_id":"6","revenue":"59.9"}"""),
                     ("c7", "Order Completed", At(12, 12), """{"order_id":"7","revenue":300,"total":320}"""),
                     ("c7", "Order Refunded", At(13, 12), """{"order_id":"7","revenue":300}"""),
                     ("c9", "Order Completed", At(15, 9), """{"order_id":"8","revenue":10}"""),
                     ("c11", "Order Completed", At(17, 12), """{"order_id":"9","revenue":25}"""),
                     ("c20", "Order Completed", At(10, 12), """{"order_id":"10","revenue":1000}"""),
                     ("c26", "Order Completed", At(31, 0), """{"order_id":"11","revenue":70}"""),
                     ("c26", "Order Completed", At(32, 12), """{"order_id":"12","revenue":5}"""),
                 })
            await Run(
                """
                INSERT INTO customer_events (workspace_id, customer_id, message_id, type, name, occurred_at, properties)
                VALUES (@workspaceId, @customerId, @message, 'track', @name, @at, @properties)
                """,
                new { workspaceId, customerId = Customer(customer), message = Guid.NewGuid().ToString("N"), name, at, properties });
    }
}
