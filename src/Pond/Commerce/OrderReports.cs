using System.Buffers.Text;
using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Pond.Storage;

namespace Pond.Commerce;

/// <summary>Which touch a channel report credits: the first touch in the window or the last.</summary>
public static class AttributionModels
{
    public const string FirstTouch = "first_touch";
    public const string LastTouch = "last_touch";

    public static bool IsValid(string model) => model is FirstTouch or LastTouch;
}

public sealed record OrderListQuery
{
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public Guid? CustomerId { get; init; }
    public Guid? StaffId { get; init; }
    public Guid? ChannelId { get; init; }
    public string? Status { get; init; }
    public string? SalesChannel { get; init; }
    public bool? PrivateDomain { get; init; }
    /// <summary>The staff role's own customers only.</summary>
    public Guid? OnlyOwnedBy { get; init; }
    public string? Cursor { get; init; }
    public int Limit { get; init; } = 50;
}

public sealed class OrderSummary
{
    public string OrderId { get; init; } = "";
    public Guid CustomerId { get; init; }
    public string? CustomerName { get; init; }
    public DateTimeOffset PlacedAt { get; init; }
    public string SalesChannel { get; init; } = "";
    public bool PrivateDomain { get; init; }
    public decimal Paid { get; init; }
    public decimal Discount { get; init; }
    public decimal Refunded { get; init; }
    public string Status { get; init; } = "";
    public Guid? StaffId { get; init; }
    public string? StaffName { get; init; }
    public string? FirstChannelName { get; init; }
    public string? LastChannelName { get; init; }
    public IReadOnlyList<string> CouponCodes { get; init; } = [];
    public string Source { get; init; } = "";
}

public sealed record OrderPage(IReadOnlyList<OrderSummary> Orders, string? NextCursor);

public sealed record OrderLineView(int Line, string Sku, string? Name, string? Category, decimal Price, int Quantity, decimal Amount, int RefundedQuantity);

public sealed record RefundView(string RefundId, decimal Amount, string? Reason, DateTimeOffset RefundedAt, string Source);

public sealed record TouchView(Guid ChannelId, string? ChannelName, Guid? CodeId, string? CodeName, DateTimeOffset? At);

public sealed class OrderDetail
{
    public required OrderSummary Order { get; init; }
    public decimal Subtotal { get; init; }
    public decimal Shipping { get; init; }
    public string Currency { get; init; } = "CNY";
    public string? TrackingCode { get; init; }
    public string? StaffSource { get; init; }
    public TouchView? FirstTouch { get; init; }
    public TouchView? LastTouch { get; init; }
    public int AttributionWindowDays { get; init; }
    public IReadOnlyList<OrderLineView> Lines { get; init; } = [];
    public IReadOnlyList<RefundView> Refunds { get; init; } = [];
}

public sealed record AttributionRow(Guid? Id, string Name, long Orders, long Customers, decimal Gmv, decimal Refunded, decimal Net, double Share);

public sealed record AttributionReport(
    string Model, string By, DateTimeOffset From, DateTimeOffset To, long Orders, long Customers, decimal Gmv, decimal Refunded, decimal Net,
    decimal PrivateDomainGmv, IReadOnlyList<AttributionRow> Rows);

public sealed record CommerceSettings(int AttributionWindowDays);

public sealed class CustomerOrderTotals
{
    public long Orders { get; init; }
    public long PaidFen { get; init; }
    public long RefundedFen { get; init; }
    public long? FirstAt { get; init; }
    public long? LastAt { get; init; }

    public decimal Paid => Money.FromFen(PaidFen);
    public decimal Net => Money.FromFen(PaidFen - RefundedFen);
}

/// <summary>Reads orders for the API and console: lists, one order with its attribution, GMV by channel or staff.</summary>
public sealed class OrderReports(Database database, TimeProvider clock)
{
    public const int MaxLimit = 200;

    public async Task<OrderPage> ListAsync(Guid workspaceId, OrderListQuery query)
    {
        if (query.Limit is < 1 or > MaxLimit)
            throw new ValidationFailedException($"limit must be between 1 and {MaxLimit}.", "limit");
        if (query.Status is { } status && status is not (OrderStatuses.Completed or OrderStatuses.PartiallyRefunded or OrderStatuses.Refunded))
            throw new ValidationFailedException("status must be completed, partially_refunded or refunded.", "status");
        if (query.SalesChannel is { } channel && !SalesChannels.IsValid(channel))
            throw new ValidationFailedException($"salesChannel must be one of {string.Join(", ", SalesChannels.All)}.", "salesChannel");
        var (afterAt, afterId) = query.Cursor is { } cursor ? DecodeCursor(cursor) : (long.MaxValue, (Guid?)null);

        var where = new StringBuilder("o.workspace_id = @workspaceId AND (o.placed_at < @afterAt OR (o.placed_at = @afterAt AND o.id < @afterId))");
        if (query.From is not null)
            where.Append(" AND o.placed_at >= @From");
        if (query.To is not null)
            where.Append(" AND o.placed_at < @To");
        if (query.CustomerId is not null)
            where.Append(" AND o.customer_id = @CustomerId");
        if (query.StaffId is not null)
            where.Append(" AND o.staff_id = @StaffId");
        if (query.ChannelId is not null)
            where.Append(" AND (o.first_channel_id = @ChannelId OR o.last_channel_id = @ChannelId)");
        if (query.Status is not null)
            where.Append(" AND o.status = @Status");
        if (query.SalesChannel is not null)
            where.Append(" AND o.sales_channel = @SalesChannel");
        if (query.PrivateDomain is not null)
            where.Append(" AND o.private_domain = @PrivateDomain");
        if (query.OnlyOwnedBy is not null)
            where.Append(" AND c.owner_staff_id = @OnlyOwnedBy");

        await using var connection = await database.OpenAsync();
        var rows = (await connection.QueryAsync<SummaryRow>(
            $"""
            SELECT o.id, o.order_id, o.customer_id, c.display_name AS customer_name, o.placed_at, o.sales_channel, o.private_domain, o.paid, o.discount,
                   o.refunded, o.status, o.staff_id, s.name AS staff_name, fc.name AS first_channel_name, lc.name AS last_channel_name, o.coupon_codes, o.source
            FROM orders o
            LEFT JOIN customers c ON c.id = o.customer_id
            LEFT JOIN staff s ON s.id = o.staff_id
            LEFT JOIN channels fc ON fc.id = o.first_channel_id
            LEFT JOIN channels lc ON lc.id = o.last_channel_id
            WHERE {where}
            ORDER BY o.placed_at DESC, o.id DESC
            LIMIT @take
            """,
            new
            {
                workspaceId, afterAt, afterId = afterId ?? MaxGuid(database), query.From, query.To, query.CustomerId, query.StaffId, query.ChannelId,
                query.Status, query.SalesChannel, query.PrivateDomain, query.OnlyOwnedBy, take = query.Limit + 1,
            })).AsList();
        var next = rows.Count > query.Limit ? EncodeCursor(rows[query.Limit - 1]) : null;
        return new OrderPage(rows.Take(query.Limit).Select(r => r.ToSummary()).ToList(), next);
    }

    public async Task<OrderDetail?> DetailAsync(Guid workspaceId, string orderId, Guid? onlyOwnedBy = null)
    {
        await using var connection = await database.OpenAsync();
        var order = await connection.QuerySingleOrDefaultAsync<DetailRow>(
            """
            SELECT o.id, o.order_id, o.customer_id, c.display_name AS customer_name, c.owner_staff_id AS customer_owner, o.placed_at, o.sales_channel,
                   o.private_domain, o.paid, o.discount, o.refunded, o.status, o.staff_id, s.name AS staff_name, fc.name AS first_channel_name,
                   lc.name AS last_channel_name, o.coupon_codes, o.source, o.subtotal, o.shipping, o.currency, o.tracking_code, o.staff_source,
                   o.first_channel_id, o.first_code_id, fk.name AS first_code_name, o.first_touch_at,
                   o.last_channel_id, o.last_code_id, lk.name AS last_code_name, o.last_touch_at
            FROM orders o
            LEFT JOIN customers c ON c.id = o.customer_id
            LEFT JOIN staff s ON s.id = o.staff_id
            LEFT JOIN channels fc ON fc.id = o.first_channel_id
            LEFT JOIN channels lc ON lc.id = o.last_channel_id
            LEFT JOIN live_codes fk ON fk.id = o.first_code_id
            LEFT JOIN live_codes lk ON lk.id = o.last_code_id
            WHERE o.workspace_id = @workspaceId AND o.order_id = @orderId
            """, new { workspaceId, orderId });
        if (order is null || (onlyOwnedBy is { } staff && order.CustomerOwner != staff))
            return null;
        var lines = await OrderBook.LinesAsync(connection, null, order.Id);
        var refunds = await connection.QueryAsync<RefundRow>(
            "SELECT refund_id, amount, reason, refunded_at, source FROM order_refunds WHERE order_pk = @id ORDER BY refunded_at, created_at", new { id = order.Id });
        return new OrderDetail
        {
            Order = order.ToSummary(),
            Subtotal = Money.FromFen(order.Subtotal),
            Shipping = Money.FromFen(order.Shipping),
            Currency = order.Currency,
            TrackingCode = order.TrackingCode,
            StaffSource = order.StaffSource,
            FirstTouch = order.FirstChannelId is { } first ? new TouchView(first, order.FirstChannelName, order.FirstCodeId, order.FirstCodeName, order.FirstTouchAt) : null,
            LastTouch = order.LastChannelId is { } last ? new TouchView(last, order.LastChannelName, order.LastCodeId, order.LastCodeName, order.LastTouchAt) : null,
            AttributionWindowDays = (await SettingsAsync(connection, workspaceId)).AttributionWindowDays,
            Lines = lines.Select(l => new OrderLineView(l.Line, l.Sku, l.Name, l.Category, Money.FromFen(l.Price), l.Quantity, Money.FromFen(l.Amount), l.RefundedQuantity)).ToList(),
            Refunds = refunds.Select(r => new RefundView(r.RefundId, Money.FromFen(r.Amount), r.Reason, r.RefundedAt, r.Source)).ToList(),
        };
    }

    /// <summary>
    /// GMV (paid), refunds and net by channel (first- or last-touch) or by credited staff member, over orders placed in
    /// [from, to). Orders with no touch in the window, or no staff member, form the "unattributed" row (Id null).
    /// </summary>
    public async Task<AttributionReport> AttributionAsync(Guid workspaceId, string model, string by, DateTimeOffset from, DateTimeOffset to, Guid? onlyOwnedBy = null)
    {
        if (!AttributionModels.IsValid(model))
            throw new ValidationFailedException("model must be first_touch or last_touch.", "model");
        if (by is not ("channel" or "staff"))
            throw new ValidationFailedException("by must be channel or staff.", "by");
        if (to <= from)
            throw new ValidationFailedException("to must be after from.", "to");
        var key = by == "staff" ? "o.staff_id" : model == AttributionModels.FirstTouch ? "o.first_channel_id" : "o.last_channel_id";
        var names = by == "staff" ? "LEFT JOIN staff n ON n.id = g.key" : "LEFT JOIN channels n ON n.id = g.key";
        var owned = onlyOwnedBy is null ? "" : " AND o.customer_id IN (SELECT id FROM customers WHERE owner_staff_id = @onlyOwnedBy)";
        await using var connection = await database.OpenAsync();
        var rows = (await connection.QueryAsync<AttributionSql>(
            $"""
            SELECT g.key AS id, n.name, g.orders, g.customers, g.gmv, g.refunded, g.private_gmv
            FROM (
                SELECT {key} AS key, COUNT(*) AS orders, COUNT(DISTINCT o.customer_id) AS customers, SUM(o.paid) AS gmv, SUM(o.refunded) AS refunded,
                       SUM(CASE WHEN o.private_domain THEN o.paid ELSE 0 END) AS private_gmv
                FROM orders o
                WHERE o.workspace_id = @workspaceId AND o.placed_at >= @from AND o.placed_at < @to{owned}
                GROUP BY {key}
            ) g
            {names}
            ORDER BY g.gmv DESC
            """, new { workspaceId, from, to, onlyOwnedBy })).AsList();
        var totals = await connection.QuerySingleAsync<TotalsSql>(
            $"""
            SELECT COUNT(*) AS orders, COUNT(DISTINCT o.customer_id) AS customers, COALESCE(SUM(o.paid), 0) AS gmv, COALESCE(SUM(o.refunded), 0) AS refunded
            FROM orders o WHERE o.workspace_id = @workspaceId AND o.placed_at >= @from AND o.placed_at < @to{owned}
            """, new { workspaceId, from, to, onlyOwnedBy });
        var gmv = Math.Max(1, totals.Gmv);
        return new AttributionReport(
            model, by, from, to, totals.Orders, totals.Customers, Money.FromFen(totals.Gmv), Money.FromFen(totals.Refunded), Money.FromFen(totals.Gmv - totals.Refunded),
            Money.FromFen(rows.Sum(r => r.PrivateGmv)),
            rows.Select(r => new AttributionRow(r.Id, r.Id is null ? "" : r.Name ?? r.Id.ToString()!, r.Orders, r.Customers, Money.FromFen(r.Gmv),
                Money.FromFen(r.Refunded), Money.FromFen(r.Gmv - r.Refunded), Math.Round((double)r.Gmv / gmv, 4))).ToList());
    }

    /// <summary>A customer's orders in all: how many, paid, refunded, first and last.</summary>
    public async Task<CustomerOrderTotals> CustomerTotalsAsync(Guid workspaceId, Guid customerId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleAsync<CustomerOrderTotals>(
            """
            SELECT COUNT(*) AS orders, COALESCE(SUM(paid), 0) AS paid_fen, COALESCE(SUM(refunded), 0) AS refunded_fen,
                   MIN(placed_at) AS first_at, MAX(placed_at) AS last_at
            FROM orders WHERE workspace_id = @workspaceId AND customer_id = @customerId
            """, new { workspaceId, customerId });
    }

    public async Task<CommerceSettings> SettingsAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return await SettingsAsync(connection, workspaceId);
    }

    public async Task<CommerceSettings> SaveSettingsAsync(Guid workspaceId, CommerceSettings settings)
    {
        if (settings.AttributionWindowDays is < 1 or > OrderBook.MaxAttributionWindowDays)
            throw new ValidationFailedException($"attributionWindowDays must be between 1 and {OrderBook.MaxAttributionWindowDays}.", "attributionWindowDays");
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO commerce_settings (workspace_id, attribution_window_days, updated_at) VALUES (@workspaceId, @days, @now)
            ON CONFLICT (workspace_id) DO UPDATE SET attribution_window_days = @days, updated_at = @now
            """, new { workspaceId, days = settings.AttributionWindowDays, now = clock.GetUtcNow() });
        return settings;
    }

    private static async Task<CommerceSettings> SettingsAsync(DbConnection connection, Guid workspaceId) =>
        new(await connection.QuerySingleOrDefaultAsync<int?>("SELECT attribution_window_days FROM commerce_settings WHERE workspace_id = @workspaceId", new { workspaceId })
            ?? OrderBook.DefaultAttributionWindowDays);

    // SQLite compares the TEXT ids; PostgreSQL compares uuids. Both order v7 ids by time.
    private static object MaxGuid(Database database) => database.IsSqlite ? "ffffffff-ffff-ffff-ffff-ffffffffffff" : Guid.AllBitsSet;

    private static string EncodeCursor(SummaryRow row) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"o1:{row.PlacedAt.ToUnixTimeMilliseconds()}:{row.Id:D}")));

    private static (long, Guid?) DecodeCursor(string cursor)
    {
        string? text;
        try
        {
            text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor.Trim()));
        }
        catch (FormatException)
        {
            text = null;
        }

        if (text?.Split(':') is ["o1", var at, var id]
            && long.TryParse(at, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) && Guid.TryParse(id, out var guid))
            return (ms, guid);
        throw new ValidationFailedException("The cursor is not one this API issued; pass nextCursor from the previous page unchanged.", "cursor");
    }

    private class SummaryRow
    {
        public Guid Id { get; init; }
        public string OrderId { get; init; } = "";
        public Guid CustomerId { get; init; }
        public string? CustomerName { get; init; }
        public DateTimeOffset PlacedAt { get; init; }
        public string SalesChannel { get; init; } = "";
        public bool PrivateDomain { get; init; }
        public long Paid { get; init; }
        public long Discount { get; init; }
        public long Refunded { get; init; }
        public string Status { get; init; } = "";
        public Guid? StaffId { get; init; }
        public string? StaffName { get; init; }
        public string? FirstChannelName { get; init; }
        public string? LastChannelName { get; init; }
        public string? CouponCodes { get; init; }
        public string Source { get; init; } = "";

        public OrderSummary ToSummary() => new()
        {
            OrderId = OrderId,
            CustomerId = CustomerId,
            CustomerName = CustomerName,
            PlacedAt = PlacedAt,
            SalesChannel = SalesChannel,
            PrivateDomain = PrivateDomain,
            Paid = Money.FromFen(Paid),
            Discount = Money.FromFen(Discount),
            Refunded = Money.FromFen(Refunded),
            Status = Status,
            StaffId = StaffId,
            StaffName = StaffName,
            FirstChannelName = FirstChannelName,
            LastChannelName = LastChannelName,
            CouponCodes = CouponCodes is null ? [] : JsonSerializer.Deserialize<List<string>>(CouponCodes)!,
            Source = Source,
        };
    }

    private sealed class DetailRow : SummaryRow
    {
        public Guid? CustomerOwner { get; init; }
        public long Subtotal { get; init; }
        public long Shipping { get; init; }
        public string Currency { get; init; } = "";
        public string? TrackingCode { get; init; }
        public string? StaffSource { get; init; }
        public Guid? FirstChannelId { get; init; }
        public Guid? FirstCodeId { get; init; }
        public string? FirstCodeName { get; init; }
        public DateTimeOffset? FirstTouchAt { get; init; }
        public Guid? LastChannelId { get; init; }
        public Guid? LastCodeId { get; init; }
        public string? LastCodeName { get; init; }
        public DateTimeOffset? LastTouchAt { get; init; }
    }

    private sealed class RefundRow
    {
        public string RefundId { get; init; } = "";
        public long Amount { get; init; }
        public string? Reason { get; init; }
        public DateTimeOffset RefundedAt { get; init; }
        public string Source { get; init; } = "";
    }

    private sealed class AttributionSql
    {
        public Guid? Id { get; init; }
        public string? Name { get; init; }
        public long Orders { get; init; }
        public long Customers { get; init; }
        public long Gmv { get; init; }
        public long Refunded { get; init; }
        public long PrivateGmv { get; init; }
    }

    private sealed class TotalsSql
    {
        public long Orders { get; init; }
        public long Customers { get; init; }
        public long Gmv { get; init; }
        public long Refunded { get; init; }
    }
}
