using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Pond.Audience;
using Pond.Customers;
using Pond.Ingestion;
using Pond.Storage;

namespace Pond.Commerce;

/// <summary>
/// Records orders and refunds, once each: the shop's order id (and refund id within an order) is the key, so a
/// resend changes nothing. Recording credits the order to a staff member and to first- and last-touch channels,
/// then runs every <see cref="IOrderEffect"/> (coupons, points, tiers) in the same transaction. Orders recorded
/// here (not from an event) also go on the event log as Order Completed / Order Refunded, so the customer's
/// timeline, segments and scores see them like any tracked order; the processor finds them already recorded.
/// </summary>
public sealed class OrderBook(
    Database database, IEnumerable<IOrderEffect> effects, AudienceChanges audience, TimeProvider clock, EventLogWriter? log = null)
{
    public const int DefaultAttributionWindowDays = 30;
    public const int MaxAttributionWindowDays = 365;

    private readonly IOrderEffect[] _effects = effects.OrderBy(e => e.Stage).ToArray();

    /// <summary>Records an order in a transaction of its own. The customer is named by the input's CustomerId or UserId.</summary>
    public async Task<OrderRecordResult> RecordAsync(Guid workspaceId, OrderInput input, string actor, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var valid = OrderValidation.Validate(input, now);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection);
        var customerId = await CustomerOfAsync(connection, transaction, workspaceId, input);
        var context = new OrderEffectContext(database, connection, transaction, now);
        var result = await RecordCoreAsync(context, workspaceId, customerId, null, valid, logEvent: true);
        if (!result.Created && result.Order.Paid != valid.Paid)
            throw new ConflictException(
                $"Order {valid.OrderId} was already recorded with ¥{Money.FromFen(result.Order.Paid)} paid, not ¥{Money.FromFen(valid.Paid)}. Record changes as refunds.");
        await transaction.CommitAsync(cancellationToken);
        await AfterCommitAsync(context, workspaceId);
        return result;
    }

    /// <summary>Records an order inside the caller's transaction (a flash-sale payment, a completed group buy, the event processor).</summary>
    public Task<OrderRecordResult> RecordInAsync(OrderEffectContext context, Guid workspaceId, Guid customerId, OrderInput input) =>
        RecordCoreAsync(context, workspaceId, customerId, null, OrderValidation.Validate(input, context.Now), logEvent: input.Source != OrderSources.Event);

    /// <summary>The event processor's way in: the customer (and their owner) come from the batch it is applying.</summary>
    internal Task<OrderRecordResult> RecordFromEventAsync(OrderEffectContext context, CustomerRecord customer, OrderInput input) =>
        RecordCoreAsync(context, customer.WorkspaceId, customer.Id, new OwnerHint(customer.OwnerStaffId), OrderValidation.Validate(input, context.Now), logEvent: false);

    /// <summary>Records a refund of a known order in a transaction of its own.</summary>
    public async Task<RefundRecordResult> RefundAsync(
        Guid workspaceId, string orderId, RefundInput input, string actor, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection);
        var context = new OrderEffectContext(database, connection, transaction, clock.GetUtcNow());
        var (order, refund, created) = await RefundInAsync(context, workspaceId, orderId, input, logEvent: true);
        await transaction.CommitAsync(cancellationToken);
        await AfterCommitAsync(context, workspaceId);
        return new RefundRecordResult(order, refund, created, context.Warnings.ToList());
    }

    /// <summary>Records a refund inside the caller's transaction.</summary>
    public async Task<(RecordedOrder Order, RecordedRefund Refund, bool Created)> RefundInAsync(
        OrderEffectContext context, Guid workspaceId, string orderId, RefundInput input, bool logEvent)
    {
        var (connection, transaction) = (context.Connection, context.Transaction);
        var order = await FindAsync(connection, transaction, workspaceId, orderId)
            ?? throw new NotFoundException($"No order '{orderId}' in this workspace.");
        var refundId = string.IsNullOrWhiteSpace(input.RefundId) ? null : input.RefundId.Trim();
        if (refundId is { Length: > 64 })
            throw new ValidationFailedException("refundId is longer than 64 characters.", "refundId");
        if (input.Reason is { Length: > 500 })
            throw new ValidationFailedException("reason is longer than 500 characters.", "reason");
        if (refundId is not null && await FindRefundAsync(connection, transaction, order.Id, refundId) is { } existing)
            return (order, existing, false);

        var remaining = order.Paid - order.Refunded;
        if (remaining <= 0)
            throw new ConflictException($"Order {orderId} is already fully refunded.");

        // Lines returned, checked against what is left of each.
        var returned = new List<(int Line, int Quantity)>();
        foreach (var (item, i) in input.Items.Select((item, i) => (item, i)))
        {
            var field = $"items/{i}";
            var line = item.Line is { } number
                ? order.Lines.FirstOrDefault(l => l.Line == number)
                : order.Lines.FirstOrDefault(l => string.Equals(l.Sku, item.Sku?.Trim(), StringComparison.Ordinal) && l.Quantity - l.RefundedQuantity - returned.Where(r => r.Line == l.Line).Sum(r => r.Quantity) > 0)
                  ?? order.Lines.FirstOrDefault(l => string.Equals(l.Sku, item.Sku?.Trim(), StringComparison.Ordinal));
            if (line is null)
                throw new ValidationFailedException($"Order {orderId} has no line {(item.Line?.ToString(CultureInfo.InvariantCulture) ?? $"with sku '{item.Sku}'")}.", field);
            var left = line.Quantity - line.RefundedQuantity - returned.Where(r => r.Line == line.Line).Sum(r => r.Quantity);
            if (item.Quantity < 1 || item.Quantity > left)
                throw new ValidationFailedException($"Line {line.Line} ({line.Sku}) has {left} left to return; quantity {item.Quantity} is not possible.", field + "/quantity");
            returned.Add((line.Line, item.Quantity));
        }

        long amount;
        if (input.Amount is { } yuan)
        {
            if (yuan <= 0 || decimal.Round(yuan, 2) != yuan)
                throw new ValidationFailedException($"amount must be a positive number of yuan with at most two decimals; it is {yuan}.", "amount");
            amount = Money.ToFen(yuan);
            if (amount > remaining)
                throw new ValidationFailedException($"amount ¥{yuan} is more than the ¥{Money.FromFen(remaining)} not yet refunded on order {orderId}.", "amount");
        }
        else if (returned.Count > 0)
        {
            // The returned lines' share of what was paid (discounts spread over the items pro rata).
            var goods = returned.Sum(r => order.Lines.First(l => l.Line == r.Line).Price * r.Quantity);
            amount = order.Subtotal > 0 ? Math.Min(remaining, (long)Math.Round((decimal)goods * (order.Paid - order.Shipping) / order.Subtotal)) : remaining;
            if (amount <= 0)
                throw new ValidationFailedException("The returned items paid nothing; send the amount to refund.", "amount");
        }
        else
        {
            amount = remaining;
        }

        var refundedAt = input.RefundedAt ?? context.Now;
        refundId ??= $"refund-{order.Refunded + amount}";
        var refund = new RecordedRefund
        {
            Id = Guid.CreateVersion7(),
            RefundId = refundId,
            Amount = amount,
            Lines = returned,
            RefundedAt = refundedAt,
            RefundedTotal = order.Refunded + amount,
            Full = order.Refunded + amount == order.Paid,
            Reason = input.Reason?.Trim(),
        };
        // The order row is the lock: a concurrent refund of the same order waits here and then sees the new total.
        var updated = await connection.ExecuteAsync(
            """
            UPDATE orders SET refunded = refunded + @amount, updated_at = @now,
                status = CASE WHEN refunded + @amount >= paid THEN 'refunded' ELSE 'partially_refunded' END
            WHERE id = @id AND refunded + @amount <= paid
            """, new { id = order.Id, amount, now = context.Now }, transaction);
        if (updated == 0)
            throw new ConflictException($"Order {orderId} changed while refunding; ¥{Money.FromFen(amount)} is more than is left. Try again.");
        try
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO order_refunds (id, workspace_id, order_pk, refund_id, amount, items, reason, refunded_at, source, created_at)
                VALUES (@Id, @workspaceId, @orderPk, @RefundId, @Amount, @items, @Reason, @RefundedAt, @source, @now)
                """,
                new
                {
                    refund.Id, workspaceId, orderPk = order.Id, refund.RefundId, refund.Amount, refund.Reason, refund.RefundedAt,
                    items = returned.Count == 0 ? null : JsonSerializer.Serialize(returned.Select(r => new { line = r.Line, quantity = r.Quantity })),
                    source = input.Source, now = context.Now,
                }, transaction);
        }
        catch (DbException e) when (Database.IsUniqueViolation(e))
        {
            throw new ConflictException($"Refund {refundId} of order {orderId} is being recorded by another request.");
        }

        foreach (var (line, quantity) in returned)
        {
            await connection.ExecuteAsync("UPDATE order_items SET refunded_quantity = refunded_quantity + @quantity WHERE order_pk = @orderPk AND line = @line",
                new { quantity, orderPk = order.Id, line }, transaction);
        }

        var after = await FindAsync(connection, transaction, workspaceId, orderId) ?? order;
        // GMV is paid less refunded on the day the order was placed: that day's rollups change.
        await Analytics.InsightDirty.MarkAsync(connection, transaction, workspaceId, order.PlacedAt, context.Now);
        foreach (var effect in _effects)
            await effect.OrderRefundedAsync(context, after, refund);
        context.Touched.Add(order.CustomerId);
        if (logEvent && refund.Id != Guid.Empty)
            await LogAsync(context, workspaceId, order.CustomerId, $"refund:{order.OrderId}:{refund.RefundId}", TrackedEvents.OrderRefunded, refundedAt, new JsonObject
            {
                ["order_id"] = order.OrderId,
                ["refund_id"] = refund.RefundId,
                ["total"] = Money.FromFen(amount),
                ["currency"] = "CNY",
                ["reason"] = refund.Reason,
                ["products"] = new JsonArray(returned.Select(r =>
                {
                    var line = order.Lines.First(l => l.Line == r.Line);
                    return (JsonNode)new JsonObject { ["sku"] = line.Sku, ["name"] = line.Name, ["price"] = Money.FromFen(line.Price), ["quantity"] = r.Quantity };
                }).ToArray()),
            });
        return (after, refund, true);
    }

    /// <summary>One order with its lines, or null.</summary>
    public async Task<RecordedOrder?> FindAsync(Guid workspaceId, string orderId)
    {
        await using var connection = await database.OpenAsync();
        return await FindAsync(connection, null, workspaceId, orderId);
    }

    internal static async Task<RecordedOrder?> FindAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, string orderId)
    {
        var row = await connection.QuerySingleOrDefaultAsync<OrderRow>(
            "SELECT * FROM orders WHERE workspace_id = @workspaceId AND order_id = @orderId", new { workspaceId, orderId }, transaction);
        if (row is null)
            return null;
        return row.ToRecorded(await LinesAsync(connection, transaction, row.Id));
    }

    /// <summary>An order's lines in order, money in fen.</summary>
    internal static async Task<List<OrderLine>> LinesAsync(DbConnection connection, DbTransaction? transaction, Guid orderPk) =>
        (await connection.QueryAsync<LineRow>(
            "SELECT line, sku, name, category, price, quantity, amount, refunded_quantity FROM order_items WHERE order_pk = @orderPk ORDER BY line",
            new { orderPk }, transaction)).Select(l => new OrderLine(l.Line, l.Sku, l.Name, l.Category, l.Price, l.Quantity, l.Amount, l.RefundedQuantity)).ToList();

    private async Task<OrderRecordResult> RecordCoreAsync(
        OrderEffectContext context, Guid workspaceId, Guid customerId, OwnerHint? owner, ValidOrder order, bool logEvent)
    {
        var (connection, transaction) = (context.Connection, context.Transaction);
        if (await FindAsync(connection, transaction, workspaceId, order.OrderId) is { } known)
            return new OrderRecordResult(known, false, []);

        var warnings = new List<string>();
        var (staffId, staffSource) = await CreditStaffAsync(connection, transaction, workspaceId, customerId, owner, order.TrackingCode, warnings);
        var touches = await TouchesAsync(connection, transaction, workspaceId, customerId, order, warnings);
        var first = touches.Count > 0 ? touches[0] : null;
        var last = touches.Count > 0 ? touches[^1] : null;
        var id = Guid.CreateVersion7(order.PlacedAt);
        var now = context.Now;
        var inserted = await connection.ExecuteAsync(
            """
            INSERT INTO orders (id, workspace_id, order_id, customer_id, placed_at, sales_channel, private_domain, currency, subtotal, discount,
                shipping, paid, refunded, status, coupon_codes, tracking_code, staff_id, staff_source, first_channel_id, first_code_id, first_touch_at,
                last_channel_id, last_code_id, last_touch_at, source, message_id, created_at, updated_at)
            VALUES (@id, @workspaceId, @OrderId, @customerId, @PlacedAt, @SalesChannel, @PrivateDomain, @Currency, @Subtotal, @Discount,
                @Shipping, @Paid, 0, 'completed', @coupons, @TrackingCode, @staffId, @staffSource, @firstChannel, @firstCode, @firstAt,
                @lastChannel, @lastCode, @lastAt, @Source, @messageId, @now, @now)
            ON CONFLICT (workspace_id, order_id) DO NOTHING
            """,
            new
            {
                id, workspaceId, order.OrderId, customerId, order.PlacedAt, order.SalesChannel, order.PrivateDomain, order.Currency, order.Subtotal,
                order.Discount, order.Shipping, order.Paid, coupons = order.CouponCodes.Count == 0 ? null : JsonSerializer.Serialize(order.CouponCodes),
                order.TrackingCode, staffId, staffSource, firstChannel = first?.ChannelId, firstCode = first?.CodeId, firstAt = first?.At,
                lastChannel = last?.ChannelId, lastCode = last?.CodeId, lastAt = last?.At, order.Source, messageId = logEvent ? $"order:{order.OrderId}" : null, now,
            }, transaction);
        if (inserted == 0)
        {
            // Another request recorded the same order id between our look and our insert (PostgreSQL waits for it to commit).
            var raced = await FindAsync(connection, transaction, workspaceId, order.OrderId)
                ?? throw new ConflictException($"Order {order.OrderId} is being recorded by another request; try again.");
            return new OrderRecordResult(raced, false, []);
        }

        await Analytics.InsightDirty.MarkAsync(connection, transaction, workspaceId, order.PlacedAt, now);
        foreach (var line in order.Lines)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO order_items (order_pk, line, sku, name, category, price, quantity, amount, refunded_quantity)
                VALUES (@orderPk, @Line, @Sku, @Name, @Category, @Price, @Quantity, @Amount, 0)
                """, new { orderPk = id, line.Line, line.Sku, line.Name, line.Category, line.Price, line.Quantity, line.Amount }, transaction);
        }

        var recorded = new RecordedOrder
        {
            Id = id,
            WorkspaceId = workspaceId,
            OrderId = order.OrderId,
            CustomerId = customerId,
            PlacedAt = order.PlacedAt,
            SalesChannel = order.SalesChannel,
            PrivateDomain = order.PrivateDomain,
            Subtotal = order.Subtotal,
            Discount = order.Discount,
            Shipping = order.Shipping,
            Paid = order.Paid,
            Lines = order.Lines,
            CouponCodes = order.CouponCodes,
            StaffId = staffId,
            Source = order.Source,
        };
        var before = context.Warnings.Count;
        foreach (var effect in _effects)
            await effect.OrderRecordedAsync(context, recorded);
        warnings.AddRange(context.Warnings.Skip(before));
        context.Touched.Add(customerId);

        if (logEvent)
        {
            await LogAsync(context, workspaceId, customerId, $"order:{order.OrderId}", TrackedEvents.OrderCompleted, order.PlacedAt, new JsonObject
            {
                ["order_id"] = order.OrderId,
                ["total"] = Money.FromFen(order.Paid),
                ["revenue"] = Money.FromFen(order.Paid - order.Shipping),
                ["discount"] = Money.FromFen(order.Discount),
                ["shipping"] = Money.FromFen(order.Shipping),
                ["currency"] = order.Currency,
                ["channel"] = order.SalesChannel,
                ["private_domain"] = order.PrivateDomain,
                ["coupons"] = new JsonArray(order.CouponCodes.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
                ["source"] = order.Source,
                ["products"] = new JsonArray(order.Lines.Select(l => (JsonNode)new JsonObject
                {
                    ["sku"] = l.Sku, ["name"] = l.Name, ["category"] = l.Category, ["price"] = Money.FromFen(l.Price), ["quantity"] = l.Quantity,
                }).ToArray()),
            });
        }

        return new OrderRecordResult(recorded, true, warnings);
    }

    /// <summary>The staff member credited: the tracking code on the link, else the customer's owner.</summary>
    private static async Task<(Guid? StaffId, string? Source)> CreditStaffAsync(
        DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid customerId, OwnerHint? owner, string? trackingCode, List<string> warnings)
    {
        if (trackingCode is not null)
        {
            var staff = await connection.QueryFirstOrDefaultAsync<Guid?>(
                "SELECT id FROM staff WHERE workspace_id = @workspaceId AND (tracking_code = @trackingCode OR wecom_user_id = @trackingCode OR CAST(id AS TEXT) = @lower)",
                new { workspaceId, trackingCode, lower = trackingCode.ToLowerInvariant() }, transaction);
            if (staff is { } found)
                return (found, StaffCredit.TrackingCode);
            warnings.Add($"Tracking code '{trackingCode}' matches no staff member; the order is credited to the customer's owner.");
        }

        var ownerId = owner is { } hint
            ? hint.StaffId
            : (await connection.QuerySingleOrDefaultAsync<OwnerRow>("SELECT owner_staff_id FROM customers WHERE id = @customerId", new { customerId }, transaction))?.OwnerStaffId;
        return ownerId is { } id ? (id, StaffCredit.Owner) : (null, null);
    }

    /// <summary>
    /// The customer's channel touches in the attribution window before the order, oldest first: relationship
    /// starts credited to a channel (acquisitions) and the channel code the order itself came through.
    /// </summary>
    private static async Task<List<Touch>> TouchesAsync(
        DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid customerId, ValidOrder order, List<string> warnings)
    {
        var window = await connection.QuerySingleOrDefaultAsync<int?>(
            "SELECT attribution_window_days FROM commerce_settings WHERE workspace_id = @workspaceId", new { workspaceId }, transaction) ?? DefaultAttributionWindowDays;
        var touches = (await connection.QueryAsync<Touch>(
            """
            SELECT channel_id AS ChannelId, code_id AS CodeId, acquired_at AS At FROM acquisitions
            WHERE customer_id = @customerId AND workspace_id = @workspaceId AND channel_id IS NOT NULL AND acquired_at >= @from AND acquired_at <= @placedAt
            ORDER BY acquired_at
            """, new { customerId, workspaceId, from = order.PlacedAt.AddDays(-window), placedAt = order.PlacedAt }, transaction)).AsList();
        if (order.ChannelCode is { } code)
        {
            var coded = await connection.QueryFirstOrDefaultAsync<Touch>(
                "SELECT channel_id AS ChannelId, id AS CodeId FROM live_codes WHERE workspace_id = @workspaceId AND (slug = @code OR state = @code)",
                new { workspaceId, code }, transaction)
                ?? await connection.QueryFirstOrDefaultAsync<Touch>(
                    "SELECT id AS ChannelId FROM channels WHERE workspace_id = @workspaceId AND CAST(id AS TEXT) = @lower",
                    new { workspaceId, lower = code.ToLowerInvariant() }, transaction);
            if (coded is null)
                warnings.Add($"Channel code '{code}' matches no live code or channel; the order is attributed by the customer's earlier touches.");
            else
                touches.Add(new Touch { ChannelId = coded.ChannelId, CodeId = coded.CodeId, At = order.PlacedAt });
        }

        return touches;
    }

    /// <summary>Puts the order or refund on the event log, so the processor adds it to the customer's timeline like a tracked one.</summary>
    private static async Task LogAsync(OrderEffectContext context, Guid workspaceId, Guid customerId, string messageId, string name, DateTimeOffset at, JsonObject properties)
    {
        var (connection, transaction) = (context.Connection, context.Transaction);
        var identity = await connection.QueryFirstOrDefaultAsync<IdentityRow>(
            "SELECT kind, scope, value FROM identities WHERE customer_id = @customerId ORDER BY CASE kind WHEN 'user_id' THEN 0 WHEN 'phone' THEN 1 ELSE 2 END, created_at LIMIT 1",
            new { customerId }, transaction);
        if (identity is null)
            return; // A customer with no identity cannot be named in an event; the order itself is recorded.
        var message = new JsonObject
        {
            ["type"] = "track",
            ["event"] = name,
            ["messageId"] = messageId,
            ["timestamp"] = at.ToString("O", CultureInfo.InvariantCulture),
            ["properties"] = properties,
        };
        if (identity.Kind == IdentityKinds.UserId)
            message["userId"] = identity.Value;
        else
            message["context"] = new JsonObject
            {
                ["externalIds"] = new JsonArray(new JsonObject
                {
                    ["id"] = identity.Value,
                    ["type"] = identity.Kind == MessageIdentities.OtherExternalKind ? identity.Scope : identity.Kind,
                    ["collection"] = identity.Kind == IdentityKinds.WechatOpenId ? identity.Scope : "users",
                }),
            };
        await connection.ExecuteAsync(
            """
            INSERT INTO event_log (workspace_id, message_id, type, received_at, occurred_at, payload)
            VALUES (@workspaceId, @messageId, 'track', @now, @at, @payload) ON CONFLICT DO NOTHING
            """, new { workspaceId, messageId, now = context.Now, at, payload = message.ToJsonString() }, transaction);
        context.LoggedEvents = true;
    }

    /// <summary>
    /// What follows a commit of orders recorded with <see cref="RecordInAsync"/>: the audience engine hears of the
    /// customers touched, effects' after-commit work runs, and the processor wakes for the events logged.
    /// </summary>
    public async Task AfterCommitAsync(OrderEffectContext context, Guid workspaceId)
    {
        if (context.Touched.Count > 0)
            audience.Touch(workspaceId, context.Touched);
        foreach (var action in context.AfterCommit)
            await action();
        if (context.LoggedEvents)
            log?.NotifyAppended();
    }

    private static async Task<RecordedRefund?> FindRefundAsync(DbConnection connection, DbTransaction transaction, Guid orderPk, string refundId)
    {
        var row = await connection.QuerySingleOrDefaultAsync<RefundRow>(
            "SELECT id, refund_id, amount, items, reason, refunded_at FROM order_refunds WHERE order_pk = @orderPk AND refund_id = @refundId",
            new { orderPk, refundId }, transaction);
        return row?.ToRecorded();
    }

    /// <summary>A write transaction; on SQLite it takes the write lock at once (reads come first, then writes).</summary>
    internal static async Task<DbTransaction> BeginWriteAsync(DbConnection connection) =>
        connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : await connection.BeginTransactionAsync();

    private static async Task<Guid> CustomerOfAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, OrderInput input)
    {
        if (input.CustomerId is { } id)
        {
            var exists = await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM customers WHERE id = @id AND workspace_id = @workspaceId", new { id, workspaceId }, transaction);
            return exists > 0 ? id : throw new ValidationFailedException($"No customer {id} in this workspace.", "customerId");
        }

        if (!string.IsNullOrWhiteSpace(input.UserId))
        {
            var found = await connection.QuerySingleOrDefaultAsync<Guid?>(
                "SELECT customer_id FROM identities WHERE workspace_id = @workspaceId AND kind = 'user_id' AND scope = '' AND value = @value",
                new { workspaceId, value = input.UserId.Trim() }, transaction);
            return found ?? throw new ValidationFailedException(
                $"No customer with userId '{input.UserId}'. Identify them first (/v1/identify), or send the order as an Order Completed event through /v1/track, which creates the customer.",
                "userId");
        }

        throw new ValidationFailedException("Name the customer: customerId or userId.", "customerId");
    }

    private sealed record OwnerHint(Guid? StaffId);

    // A class, not Guid?: Dapper's Guid handler cannot read a NULL into a bare Guid?.
    private sealed class OwnerRow
    {
        public Guid? OwnerStaffId { get; init; }
    }

    private sealed class Touch
    {
        public Guid ChannelId { get; init; }
        public Guid? CodeId { get; init; }
        public DateTimeOffset At { get; init; }
    }

    private sealed class IdentityRow
    {
        public string Kind { get; init; } = "";
        public string Scope { get; init; } = "";
        public string Value { get; init; } = "";
    }

    private sealed class LineRow
    {
        public int Line { get; init; }
        public string Sku { get; init; } = "";
        public string? Name { get; init; }
        public string? Category { get; init; }
        public long Price { get; init; }
        public int Quantity { get; init; }
        public long Amount { get; init; }
        public int RefundedQuantity { get; init; }
    }

    private sealed class RefundRow
    {
        public Guid Id { get; init; }
        public string RefundId { get; init; } = "";
        public long Amount { get; init; }
        public string? Items { get; init; }
        public string? Reason { get; init; }
        public DateTimeOffset RefundedAt { get; init; }

        public RecordedRefund ToRecorded() => new()
        {
            Id = Id,
            RefundId = RefundId,
            Amount = Amount,
            Lines = Items is null ? [] : JsonSerializer.Deserialize<List<RefundLineJson>>(Items)!.Select(l => (l.line, l.quantity)).ToList(),
            RefundedAt = RefundedAt,
            RefundedTotal = 0,
            Full = false,
            Reason = Reason,
        };
    }

#pragma warning disable IDE1006, CA1812 // the stored JSON's names; created by the deserializer
    private sealed record RefundLineJson(int line, int quantity);
#pragma warning restore IDE1006, CA1812
}

/// <summary>Why an order is credited to its staff member.</summary>
public static class StaffCredit
{
    public const string TrackingCode = "tracking_code";
    public const string Owner = "owner";
}

/// <summary>An orders row (Dapper maps snake_case columns).</summary>
internal sealed class OrderRow
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public string OrderId { get; init; } = "";
    public Guid CustomerId { get; init; }
    public DateTimeOffset PlacedAt { get; init; }
    public string SalesChannel { get; init; } = "";
    public bool PrivateDomain { get; init; }
    public string Currency { get; init; } = "";
    public long Subtotal { get; init; }
    public long Discount { get; init; }
    public long Shipping { get; init; }
    public long Paid { get; init; }
    public long Refunded { get; init; }
    public string Status { get; init; } = "";
    public string? CouponCodes { get; init; }
    public string? TrackingCode { get; init; }
    public Guid? StaffId { get; init; }
    public string? StaffSource { get; init; }
    public Guid? FirstChannelId { get; init; }
    public Guid? FirstCodeId { get; init; }
    public DateTimeOffset? FirstTouchAt { get; init; }
    public Guid? LastChannelId { get; init; }
    public Guid? LastCodeId { get; init; }
    public DateTimeOffset? LastTouchAt { get; init; }
    public string Source { get; init; } = "";
    public string? MessageId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public RecordedOrder ToRecorded(IReadOnlyList<OrderLine> lines) => new()
    {
        Id = Id,
        WorkspaceId = WorkspaceId,
        OrderId = OrderId,
        CustomerId = CustomerId,
        PlacedAt = PlacedAt,
        SalesChannel = SalesChannel,
        PrivateDomain = PrivateDomain,
        Subtotal = Subtotal,
        Discount = Discount,
        Shipping = Shipping,
        Paid = Paid,
        Refunded = Refunded,
        Lines = lines,
        CouponCodes = CouponCodes is null ? [] : JsonSerializer.Deserialize<List<string>>(CouponCodes)!,
        StaffId = StaffId,
        Source = Source,
    };
}

/// <summary>A merged customer's orders become the survivor's.</summary>
internal sealed class OrderMergeParticipant : Customers.ICustomerMergeParticipant
{
    public Task MoveAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid survivorId, Guid mergedId) =>
        connection.ExecuteAsync("UPDATE orders SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId",
            new { workspaceId, survivorId, mergedId }, transaction);
}
