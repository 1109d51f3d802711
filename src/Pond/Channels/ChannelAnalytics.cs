using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Pond.Storage;

namespace Pond.Channels;

/// <summary>
/// Channel analytics (渠道分析): visits, adds, cost, retention, deletions and first orders per channel, live code or
/// staff member over a range of days in the workspace's zone. The database does the filtering and counting it can do
/// on both engines alike; the per-add arithmetic (retention windows, first orders) runs here over the range's rows.
/// Definitions: docs/channel-analytics.md.
/// </summary>
internal sealed class ChannelAnalytics(Database database, TimeProvider clock)
{
    public const int MaxDays = 366;
    public const int DefaultDays = 30;
    public const string OrderEvent = "Order Completed";

    private const long DayMs = 24L * 60 * 60 * 1000;
    private const long OrderWindowMs = 30 * DayMs;
    private const string UnattributedName = "Unattributed";

    public async Task<ChannelAnalyticsReport> ReportAsync(Guid workspaceId, AnalyticsQuery query)
    {
        await using var connection = await database.OpenAsync();
        var zoneId = await TimeZoneOfAsync(connection, workspaceId);
        var zone = FindZone(zoneId);
        var (from, to) = ResolveRange(query.From, query.To, zone);
        await RequireInWorkspaceAsync(connection, workspaceId, query.Channel, query.Code);
        var generatedAt = clock.GetUtcNow();
        var now = generatedAt.ToUnixTimeMilliseconds();
        var start = StartOfDay(from, zone);
        var end = StartOfDay(to.AddDays(1), zone);
        var scope = Scope(query);
        var args = new { workspaceId, channel = query.Channel, code = query.Code, staff = query.Staff, start, end, fromDay = DayNumber(from), toDay = DayNumber(to) };

        var visits = await connection.QueryAsync<VisitCount>(
            $"""
            SELECT v.code_id AS code_id, c.channel_id AS channel_id, k.owner_staff_id AS staff_id, COUNT(*) AS visits
            FROM live_code_visits v
            JOIN live_codes c ON c.id = v.code_id
            LEFT JOIN carriers k ON k.id = v.carrier_id
            WHERE v.workspace_id = @workspaceId AND v.day >= @fromDay AND v.day <= @toDay{Scope(query, "c.channel_id", "v.code_id", "k.owner_staff_id")}
            GROUP BY v.code_id, c.channel_id, k.owner_staff_id
            """, args);
        // Spend is per channel or code, never per staff member: a view of one staff member's adds has no cost.
        var spend = query.Staff is not null ? [] : await connection.QueryAsync<SpendTotal>(
            $"""
            SELECT a.channel_id AS channel_id, a.code_id AS code_id, CAST(SUM(a.amount_fen) AS BIGINT) AS fen
            FROM channel_spend a
            WHERE a.workspace_id = @workspaceId AND a.spent_on >= @fromDay AND a.spent_on <= @toDay{scope}
            GROUP BY a.channel_id, a.code_id
            """, args);
        var activeAtStart = await connection.QueryAsync<ActiveCount>(
            $"""
            SELECT a.channel_id AS channel_id, a.code_id AS code_id, a.staff_id AS staff_id, COUNT(*) AS active
            FROM acquisitions a
            WHERE a.workspace_id = @workspaceId AND a.acquired_at < @start AND (a.ended_at IS NULL OR a.ended_at >= @start){scope}
            GROUP BY a.channel_id, a.code_id, a.staff_id
            """, args);
        var acquisitions = (await QueryAcquisitionsAsync(connection, scope, args)).AsList();
        var customers = acquisitions.Where(a => a.AcquiredAt >= start && a.AcquiredAt < end).Select(a => a.CustomerId).ToHashSet();
        var orders = await QueryOrdersAsync(connection, workspaceId, customers, start, end + OrderWindowMs);

        var rows = await NamedRowsAsync(connection, workspaceId, query);
        var unattributed = new Tally(null, UnattributedName, null, null);
        var totals = new Tally(null, "Total", null, null);
        Tally RowOf(Guid? channelId, Guid? codeId, Guid? staffId)
        {
            var key = query.By switch
            {
                AnalyticsDimensions.Code => codeId,
                AnalyticsDimensions.Staff => staffId,
                _ => channelId,
            };
            if (key is not { } id)
                return unattributed;
            if (!rows.TryGetValue(id, out var row))
                rows[id] = row = new Tally(id, id.ToString(), null, null);
            return row;
        }

        foreach (var v in visits)
        {
            // A staff member's visits are those the code routed to an account they hold; the rest have no staff row.
            if (query.By != AnalyticsDimensions.Staff || v.StaffId is not null)
                RowOf(v.ChannelId, v.CodeId, v.StaffId).Visits += v.Visits;
            totals.Visits += v.Visits;
        }

        foreach (var s in spend)
        {
            if (query.By == AnalyticsDimensions.Channel)
                RowOf(s.ChannelId, null, null).AddCost(s.Fen);
            else if (query.By == AnalyticsDimensions.Code && s.CodeId is not null)
                RowOf(null, s.CodeId, null).AddCost(s.Fen);
            totals.AddCost(s.Fen);
        }

        foreach (var a in activeAtStart)
        {
            RowOf(a.ChannelId, a.CodeId, a.StaffId).ActiveAtStart += a.Active;
            totals.ActiveAtStart += a.Active;
        }

        foreach (var a in acquisitions)
        {
            var row = RowOf(a.ChannelId, a.CodeId, a.StaffId);
            if (a.AcquiredAt >= start && a.AcquiredAt < end)
            {
                row.Add(a, now);
                totals.Add(a, now);
            }

            if (a.IsLoss && a.EndedAt >= start && a.EndedAt < end)
            {
                row.Deletions++;
                totals.Deletions++;
            }
        }

        var result = rows.Values
            .Where(r => query.By != AnalyticsDimensions.Staff || r.HasActivity)
            .Select(r => r.ToRow(orders, hasCost: query.By != AnalyticsDimensions.Staff && query.Staff is null))
            .OrderByDescending(r => r.Adds).ThenByDescending(r => r.Visits).ThenBy(r => r.ChannelName, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
        if (unattributed.HasActivity)
            result.Add(unattributed.ToRow(orders, hasCost: false));
        return new ChannelAnalyticsReport(from, to, query.By, query.Channel, zoneId, generatedAt, result, totals.ToRow(orders, hasCost: query.Staff is null));
    }

    /// <summary>Adds and deletions per day of the range (every day present, zero when nothing happened).</summary>
    public async Task<DailySeries> DailyAsync(Guid workspaceId, AnalyticsQuery query)
    {
        await using var connection = await database.OpenAsync();
        var zoneId = await TimeZoneOfAsync(connection, workspaceId);
        var zone = FindZone(zoneId);
        var (from, to) = ResolveRange(query.From, query.To, zone);
        await RequireInWorkspaceAsync(connection, workspaceId, query.Channel, query.Code);
        var start = StartOfDay(from, zone);
        var end = StartOfDay(to.AddDays(1), zone);
        var acquisitions = await QueryAcquisitionsAsync(connection, Scope(query),
            new { workspaceId, channel = query.Channel, code = query.Code, staff = query.Staff, start, end });

        var days = new Dictionary<DateOnly, (long Adds, long Deletions)>();
        for (var day = from; day <= to; day = day.AddDays(1))
            days[day] = (0, 0);
        foreach (var a in acquisitions)
        {
            if (a.AcquiredAt >= start && a.AcquiredAt < end)
            {
                var day = DayOf(a.AcquiredAt, zone);
                days[day] = (days[day].Adds + 1, days[day].Deletions);
            }

            if (a.IsLoss && a.EndedAt is { } ended && ended >= start && ended < end)
            {
                var day = DayOf(ended, zone);
                days[day] = (days[day].Adds, days[day].Deletions + 1);
            }
        }

        return new DailySeries(from, to, query.Channel, query.Code, zoneId,
            days.OrderBy(d => d.Key).Select(d => new DailyPoint(d.Key, d.Value.Adds, d.Value.Deletions)).ToList());
    }

    /// <summary>
    /// The table as CSV for Excel: UTF-8 with a byte-order mark (without it Excel in China reads the file as GBK),
    /// a header row and one line per row. Rates are fractions, money is yuan.
    /// </summary>
    public static byte[] ToCsv(ChannelAnalyticsReport report)
    {
        var text = new StringBuilder();
        var byCode = report.By == AnalyticsDimensions.Code;
        text.Append(report.By);
        if (byCode)
            text.Append(",channel");
        text.Append(",visits,adds,add_rate,cost_yuan,cost_per_add_yuan,matured_7d,retained_7d,retention_7d,matured_30d,retained_30d,retention_30d,active_at_start,deletions,deletion_rate,first_orders_30d,gmv_30d_yuan\r\n");
        foreach (var row in report.Rows)
        {
            text.Append(CsvField(row.Id is null ? "(unattributed)" : row.Name));
            if (byCode)
                text.Append(',').Append(CsvField(row.ChannelName ?? ""));
            foreach (var value in new[]
                     {
                         Count(row.Visits), Count(row.Adds), Rate(row.AddRate), Money(row.Cost), Money(row.CostPerAdd),
                         Count(row.Retained7.Matured), Count(row.Retained7.Retained), Rate(row.Retained7.Rate),
                         Count(row.Retained30.Matured), Count(row.Retained30.Retained), Rate(row.Retained30.Rate),
                         Count(row.ActiveAtStart), Count(row.Deletions), Rate(row.DeletionRate), Count(row.FirstOrders), Money(row.Gmv),
                     })
                text.Append(',').Append(value);
            text.Append("\r\n");
        }

        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text.ToString())];
    }

    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Rate(decimal? value) => value?.ToString("0.####", CultureInfo.InvariantCulture) ?? "";

    private static string Money(decimal? value) => value?.ToString("0.00", CultureInfo.InvariantCulture) ?? "";

    /// <summary>Names come from operators: quoted when they hold separators, and kept from being read as a formula.</summary>
    private static string CsvField(string value)
    {
        if (value.Length > 0 && "=+-@\t\r".Contains(value[0], StringComparison.Ordinal))
            value = "'" + value;
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    // ---- the range ---------------------------------------------------------------------------

    /// <summary>Fills in the defaults (the last 30 days, ending today in the workspace's zone) and checks the range.</summary>
    public (DateOnly From, DateOnly To) ResolveRange(DateOnly? from, DateOnly? to, TimeZoneInfo zone)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).DateTime);
        var last = to ?? (from is { } f && f.AddDays(DefaultDays - 1) < today ? f.AddDays(DefaultDays - 1) : today);
        var first = from ?? last.AddDays(-(DefaultDays - 1));
        if (first > last)
            throw new ValidationFailedException(
                $"from ({first:yyyy-MM-dd}) is after to ({last:yyyy-MM-dd}); choose a from on or before to.", "from");
        var days = last.DayNumber - first.DayNumber + 1;
        if (days > MaxDays)
            throw new ValidationFailedException(
                $"The range from {first:yyyy-MM-dd} to {last:yyyy-MM-dd} covers {days} days; choose at most {MaxDays} days.", "to");
        return (first, last);
    }

    /// <summary>The workspace's channels by name, for the page's channel filter.</summary>
    public async Task<IReadOnlyList<KeyValuePair<Guid, string>>> ChannelNamesAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<NamedRow>("SELECT id, name FROM channels WHERE workspace_id = @workspaceId ORDER BY name, id", new { workspaceId });
        return rows.Select(r => KeyValuePair.Create(r.Id, r.Name)).ToList();
    }

    private static async Task<string> TimeZoneOfAsync(DbConnection connection, Guid workspaceId) =>
        await connection.QuerySingleOrDefaultAsync<string>("SELECT time_zone FROM workspaces WHERE id = @workspaceId", new { workspaceId })
        ?? throw new NotFoundException($"No workspace {workspaceId}.");

    private static TimeZoneInfo FindZone(string id) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>Midnight at the start of <paramref name="day"/> in the zone, as Unix ms (the first valid minute where a clock change skips midnight).</summary>
    private static long StartOfDay(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
            local = local.AddMinutes(30);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, zone)).ToUnixTimeMilliseconds();
    }

    private static DateOnly DayOf(long unixMs, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(unixMs), zone).DateTime);

    private static int DayNumber(DateOnly day) => day.Year * 10000 + day.Month * 100 + day.Day;

    // ---- queries -----------------------------------------------------------------------------

    /// <summary>Optional filters are SQL text: PostgreSQL cannot type a null parameter in "@x IS NULL".</summary>
    private static string Scope(AnalyticsQuery query, string channelColumn = "a.channel_id", string codeColumn = "a.code_id", string staffColumn = "a.staff_id") =>
        (query.Channel is null ? "" : $" AND {channelColumn} = @channel")
        + (query.Code is null ? "" : $" AND {codeColumn} = @code")
        + (query.Staff is null ? "" : $" AND {staffColumn} = @staff");

    private static async Task RequireInWorkspaceAsync(DbConnection connection, Guid workspaceId, Guid? channel, Guid? code)
    {
        if (channel is not null && await connection.ExecuteScalarAsync<int>(
                "SELECT COUNT(*) FROM channels WHERE workspace_id = @workspaceId AND id = @channel", new { workspaceId, channel }) == 0)
            throw new ValidationFailedException($"No channel {channel} in this workspace; channel takes the id of one of your channels.", "channel");
        if (code is not null && await connection.ExecuteScalarAsync<int>(
                "SELECT COUNT(*) FROM live_codes WHERE workspace_id = @workspaceId AND id = @code", new { workspaceId, code }) == 0)
            throw new ValidationFailedException($"No live code {code} in this workspace; code takes the id of one of your live codes.", "code");
    }

    /// <summary>The adds of the range, and the earlier relationships the customer or staff ended within it.</summary>
    private static Task<IEnumerable<Acquisition>> QueryAcquisitionsAsync(DbConnection connection, string scope, object args) =>
        connection.QueryAsync<Acquisition>(
            $"""
            SELECT a.customer_id, a.channel_id, a.code_id, a.staff_id, a.acquired_at, a.ended_at, a.ended_by
            FROM acquisitions a
            WHERE a.workspace_id = @workspaceId
              AND ((a.acquired_at >= @start AND a.acquired_at < @end)
                   OR (a.ended_at >= @start AND a.ended_at < @end AND a.ended_by IN ('customer', 'staff'))){scope}
            """, args);

    /// <summary>
    /// Every order of the customers added in the range, up to 30 days after its last day: the earlier ones only to
    /// tell whether a later order was the customer's first, so their properties are not read.
    /// The customers are passed as a list rather than a subquery: a semi-join's plan depends on fresh statistics, and
    /// right after a bulk load PostgreSQL would loop over every order for every add; a list walks the customer index.
    /// </summary>
    private async Task<Dictionary<Guid, List<Order>>> QueryOrdersAsync(
        DbConnection connection, Guid workspaceId, HashSet<Guid> customers, long start, long ordersEnd)
    {
        if (customers.Count == 0)
            return [];
        var customerFilter = database.IsSqlite
            ? "e.customer_id IN (SELECT value FROM json_each(@customers))"
            : "e.customer_id = ANY(@customers)";
        object ids = database.IsSqlite ? JsonSerializer.Serialize(customers) : customers.ToArray();
        var rows = await connection.QueryAsync<OrderRow>(
            $"""
            SELECT e.customer_id, e.occurred_at, CASE WHEN e.occurred_at >= @start THEN e.properties END AS properties
            FROM customer_events e
            WHERE {customerFilter} AND e.workspace_id = @workspaceId AND e.name = '{OrderEvent}' AND e.occurred_at < @ordersEnd
            """, new { customers = ids, workspaceId, start, ordersEnd });
        var orders = new Dictionary<Guid, List<Order>>();
        foreach (var row in rows)
        {
            if (!orders.TryGetValue(row.CustomerId, out var list))
                orders[row.CustomerId] = list = [];
            list.Add(new Order(row.OccurredAt, row.Properties is null ? 0m : OrderAmount(row.Properties)));
        }

        foreach (var list in orders.Values)
            list.Sort((x, y) => x.At.CompareTo(y.At));
        return orders;
    }

    private static readonly string[] AmountProperties = ["revenue", "total"];

    /// <summary>Segment's Order Completed: revenue, else total, in yuan (a JSON number or a numeric string).</summary>
    internal static decimal OrderAmount(string properties)
    {
        try
        {
            using var document = JsonDocument.Parse(properties);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return 0m;
            foreach (var name in AmountProperties)
            {
                if (!document.RootElement.TryGetProperty(name, out var value))
                    continue;
                if (value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number))
                    return number;
                if (value.ValueKind == JsonValueKind.String
                    && decimal.TryParse(value.GetString(), NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed))
                    return parsed;
            }
        }
        catch (JsonException)
        {
            // The event log keeps what senders sent; an order without readable properties counts with no amount.
        }

        return 0m;
    }

    private static async Task<Dictionary<Guid, Tally>> NamedRowsAsync(DbConnection connection, Guid workspaceId, AnalyticsQuery query)
    {
        var args = new { workspaceId, channel = query.Channel, code = query.Code, staff = query.Staff };
        IEnumerable<NamedRow> named = query.By switch
        {
            AnalyticsDimensions.Code => await connection.QueryAsync<NamedRow>(
                "SELECT a.id, a.name, a.channel_id, c.name AS channel_name FROM live_codes a JOIN channels c ON c.id = a.channel_id WHERE a.workspace_id = @workspaceId"
                + (query.Channel is null ? "" : " AND a.channel_id = @channel") + (query.Code is null ? "" : " AND a.id = @code"), args),
            AnalyticsDimensions.Staff => await connection.QueryAsync<NamedRow>(
                "SELECT id, name FROM staff WHERE workspace_id = @workspaceId" + (query.Staff is null ? "" : " AND id = @staff"), args),
            _ => await connection.QueryAsync<NamedRow>(
                "SELECT id, name FROM channels WHERE workspace_id = @workspaceId" + (query.Channel is null ? "" : " AND id = @channel"), args),
        };
        return named.ToDictionary(n => n.Id, n => new Tally(n.Id, n.Name, n.ChannelId, n.ChannelName));
    }

    // ---- arithmetic --------------------------------------------------------------------------

    private static decimal? Ratio(long part, long whole) => whole == 0 ? null : Math.Round((decimal)part / whole, 4, MidpointRounding.AwayFromZero);

    /// <summary>One row's counts while they are gathered.</summary>
    private sealed class Tally(Guid? id, string name, Guid? channelId, string? channelName)
    {
        private readonly Dictionary<Guid, long> _firstAddOf = [];
        private long? _costFen;

        public long Visits { get; set; }
        public long Adds { get; private set; }
        public long ActiveAtStart { get; set; }
        public long Deletions { get; set; }
        private long Matured7 { get; set; }
        private long Retained7 { get; set; }
        private long Matured30 { get; set; }
        private long Retained30 { get; set; }

        public bool HasActivity => Visits > 0 || Adds > 0 || ActiveAtStart > 0 || Deletions > 0;

        public void AddCost(long fen) => _costFen = (_costFen ?? 0) + fen;

        public void Add(Acquisition a, long now)
        {
            Adds++;
            // Relationships moved by a handover (ended_by 'system') were not lost: only the customer or staff ends one.
            var lostAfter = a.IsLoss ? a.EndedAt - a.AcquiredAt : null;
            if (now - a.AcquiredAt >= 7 * DayMs)
            {
                Matured7++;
                if (lostAfter is not < 7 * DayMs)
                    Retained7++;
            }

            if (now - a.AcquiredAt >= 30 * DayMs)
            {
                Matured30++;
                if (lostAfter is not < 30 * DayMs)
                    Retained30++;
            }

            // A customer added twice (two accounts, a group and an account) is one customer; the earliest add opens the window.
            if (!_firstAddOf.TryGetValue(a.CustomerId, out var first) || a.AcquiredAt < first)
                _firstAddOf[a.CustomerId] = a.AcquiredAt;
        }

        public ChannelAnalyticsRow ToRow(Dictionary<Guid, List<Order>> orders, bool hasCost)
        {
            long firstOrders = 0;
            var gmv = 0m;
            foreach (var (customer, addedAt) in _firstAddOf)
            {
                if (!orders.TryGetValue(customer, out var list) || list[0].At < addedAt || list[0].At >= addedAt + OrderWindowMs)
                    continue;
                firstOrders++;
                foreach (var order in list)
                {
                    if (order.At >= addedAt && order.At < addedAt + OrderWindowMs)
                        gmv += order.Amount;
                }
            }

            decimal? cost = hasCost ? (_costFen ?? 0) / 100m : null;
            return new ChannelAnalyticsRow(
                id, name, channelId, channelName,
                Visits, Adds, Ratio(Adds, Visits),
                cost, cost is > 0 && Adds > 0 ? Math.Round(cost.Value / Adds, 2, MidpointRounding.AwayFromZero) : null,
                new RetentionStat(Matured7, Retained7, Ratio(Retained7, Matured7)),
                new RetentionStat(Matured30, Retained30, Ratio(Retained30, Matured30)),
                ActiveAtStart, Deletions, Ratio(Deletions, ActiveAtStart + Adds),
                firstOrders, gmv);
        }
    }

    private sealed class Acquisition
    {
        public Guid CustomerId { get; init; }
        public Guid? ChannelId { get; init; }
        public Guid? CodeId { get; init; }
        public Guid? StaffId { get; init; }
        public long AcquiredAt { get; init; }
        public long? EndedAt { get; init; }
        public string? EndedBy { get; init; }

        public bool IsLoss => EndedAt is not null && EndedBy is "customer" or "staff";
    }

    private sealed record Order(long At, decimal Amount);

    private sealed class OrderRow
    {
        public Guid CustomerId { get; init; }
        public long OccurredAt { get; init; }
        public string? Properties { get; init; }
    }

    private sealed class VisitCount
    {
        public Guid CodeId { get; init; }
        public Guid? ChannelId { get; init; }
        public Guid? StaffId { get; init; }
        public long Visits { get; init; }
    }

    private sealed class SpendTotal
    {
        public Guid ChannelId { get; init; }
        public Guid? CodeId { get; init; }
        public long Fen { get; init; }
    }

    private sealed class ActiveCount
    {
        public Guid? ChannelId { get; init; }
        public Guid? CodeId { get; init; }
        public Guid? StaffId { get; init; }
        public long Active { get; init; }
    }

    private sealed class NamedRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
        public Guid? ChannelId { get; init; }
        public string? ChannelName { get; init; }
    }
}
