using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Activities;

/// <summary>
/// Flash sales (秒杀): the sales themselves, purchase attempts that reserve a unit, payment, cancellation and the
/// release of reservations not paid in time. docs/activities.md explains why it never oversells: a unit is taken by
/// a conditional UPDATE (reserved + sold &lt; stock) and a customer's units are rows under a unique
/// (sale, customer, slot) index, both inside one transaction.
/// </summary>
internal sealed class FlashSales(Database database, AuditLog audit, TimeProvider clock, AttemptTally tally, ActivityOrders orders)
{
    public const int MaxStock = 1_000_000;
    public const int MaxLimit = 100;


    public async Task<IReadOnlyList<FlashSale>> ListAsync(Guid workspaceId)
    {
        // The attempt counts this node has not added to the rows yet.
        await tally.FlushAsync();
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<FlashSale>(
            $"SELECT * FROM flash_sales WHERE workspace_id = @workspaceId ORDER BY starts_at DESC, id DESC", new { workspaceId })).AsList();
    }

    public async Task<FlashSale> GetAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await GetAsync(connection, null, workspaceId, id);
    }

    private static async Task<FlashSale> GetAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid id) =>
        await connection.QuerySingleOrDefaultAsync<FlashSale>(
            $"SELECT * FROM flash_sales WHERE id = @id AND workspace_id = @workspaceId", new { id, workspaceId }, transaction)
        ?? throw new NotFoundException($"No flash sale {id} in this workspace.");

    public async Task<FlashSale> CreateAsync(Guid workspaceId, FlashSaleInput input, string actor)
    {
        var now = clock.GetUtcNow();
        var name = ActivityInput.Text(input.Name, "name", 100, required: true)!;
        var sku = ActivityInput.Text(input.Sku, "sku", 64, required: true)!;
        var productName = ActivityInput.Text(input.ProductName, "productName", 200, required: false) ?? name;
        var category = ActivityInput.Text(input.Category, "category", 64, required: false);
        var original = ActivityInput.Price(input.OriginalPrice, "originalPrice", required: true)!.Value;
        var flash = ActivityInput.Price(input.FlashPrice, "flashPrice", required: true)!.Value;
        if (flash > original)
            throw new ValidationFailedException("flashPrice must not be above originalPrice.", "flashPrice");
        var stock = input.Stock ?? throw new ValidationFailedException("stock is required: the number of units on sale (1 to 1,000,000).", "stock");
        if (stock is < 1 or > MaxStock)
            throw new ValidationFailedException("stock must be between 1 and 1,000,000.", "stock");
        var limit = input.PerCustomerLimit ?? 1;
        if (limit is < 1 or > MaxLimit)
            throw new ValidationFailedException($"perCustomerLimit must be between 1 and {MaxLimit}.", "perCustomerLimit");
        var startsAt = input.StartsAt ?? throw new ValidationFailedException("startsAt is required (ISO 8601 with offset).", "startsAt");
        var endsAt = input.EndsAt ?? throw new ValidationFailedException("endsAt is required (ISO 8601 with offset).", "endsAt");
        ActivityInput.Window(startsAt, endsAt);
        var timeout = Timeout(input.PaymentTimeoutMinutes ?? 15);
        var id = Guid.CreateVersion7(now);
        await using (var connection = await database.OpenAsync())
        {
            var segmentId = await ActivityInput.SegmentAsync(connection, workspaceId, input.SegmentId);
            await connection.ExecuteAsync(
                """
                INSERT INTO flash_sales (id, workspace_id, name, sku, product_name, category, original_price, flash_price, stock, per_customer_limit,
                    segment_id, starts_at, ends_at, payment_timeout_seconds, created_by, created_at, updated_at)
                VALUES (@id, @workspaceId, @name, @sku, @productName, @category, @original, @flash, @stock, @limit,
                    @segmentId, @startsAt, @endsAt, @timeout, @actor, @now, @now)
                """,
                new { id, workspaceId, name, sku, productName, category, original, flash, stock, limit, segmentId, startsAt, endsAt, timeout, actor, now });
        }

        await audit.RecordAsync(workspaceId, actor, "flash_sale.created", $"flash_sale:{id}", new { name, sku, stock });
        return await GetAsync(workspaceId, id);
    }

    /// <summary>Changes a sale. Stock can shrink only down to what is already reserved or sold.</summary>
    public async Task<FlashSale> UpdateAsync(Guid workspaceId, Guid id, FlashSaleInput input, string actor)
    {
        var current = await GetAsync(workspaceId, id);
        var name = input.Name is null ? current.Name : ActivityInput.Text(input.Name, "name", 100, required: true)!;
        var sku = input.Sku is null ? current.Sku : ActivityInput.Text(input.Sku, "sku", 64, required: true)!;
        var productName = input.ProductName is null ? current.ProductName : ActivityInput.Text(input.ProductName, "productName", 200, required: true)!;
        var category = input.Category is null ? current.Category : ActivityInput.Text(input.Category, "category", 64, required: false);
        var original = ActivityInput.Price(input.OriginalPrice, "originalPrice", required: false) ?? current.OriginalPrice;
        var flash = ActivityInput.Price(input.FlashPrice, "flashPrice", required: false) ?? current.FlashPrice;
        if (flash > original)
            throw new ValidationFailedException("flashPrice must not be above originalPrice.", "flashPrice");
        var stock = input.Stock ?? current.Stock;
        if (stock is < 1 or > MaxStock)
            throw new ValidationFailedException("stock must be between 1 and 1,000,000.", "stock");
        var limit = input.PerCustomerLimit ?? current.PerCustomerLimit;
        if (limit is < 1 or > MaxLimit)
            throw new ValidationFailedException($"perCustomerLimit must be between 1 and {MaxLimit}.", "perCustomerLimit");
        var startsAt = input.StartsAt ?? current.StartsAt;
        var endsAt = input.EndsAt ?? current.EndsAt;
        ActivityInput.Window(startsAt, endsAt);
        var timeout = input.PaymentTimeoutMinutes is { } minutes ? Timeout(minutes) : current.PaymentTimeoutSeconds;
        await using (var connection = await database.OpenAsync())
        {
            var segmentId = input.SegmentId is null ? current.SegmentId : await ActivityInput.SegmentAsync(connection, workspaceId, input.SegmentId);
            // The stock condition is checked by the same statement that changes it: a purchase racing this update
            // cannot leave reserved + sold above the new stock.
            var changed = await connection.ExecuteAsync(
                """
                UPDATE flash_sales SET name = @name, sku = @sku, product_name = @productName, category = @category, original_price = @original,
                    flash_price = @flash, stock = @stock, per_customer_limit = @limit, segment_id = @segmentId, starts_at = @startsAt, ends_at = @endsAt,
                    payment_timeout_seconds = @timeout, updated_at = @now
                WHERE id = @id AND workspace_id = @workspaceId AND reserved + sold <= @stock
                """,
                new { id, workspaceId, name, sku, productName, category, original, flash, stock, limit, segmentId, startsAt, endsAt, timeout, now = clock.GetUtcNow() });
            if (changed == 0)
            {
                var latest = await GetAsync(connection, null, workspaceId, id);
                throw new ConflictException($"stock cannot go below the {latest.Reserved + latest.Sold} units already reserved or sold.");
            }
        }

        await audit.RecordAsync(workspaceId, actor, "flash_sale.updated", $"flash_sale:{id}", new { name, stock, startsAt, endsAt });
        return await GetAsync(workspaceId, id);
    }

    private static int Timeout(int minutes) =>
        minutes is >= 1 and <= 1440 ? minutes * 60 : throw new ValidationFailedException("paymentTimeoutMinutes must be between 1 and 1440.", "paymentTimeoutMinutes");

    /// <summary>
    /// One purchase attempt. Cheap refusals (window, audience, a sale already sold out, a customer at their limit) are
    /// decided by reads; a unit is then taken in one transaction: the reservation row (unique per sale, customer and
    /// slot) and the conditional stock update commit together or not at all.
    /// </summary>
    public async Task<AttemptOutcome> AttemptAsync(Guid workspaceId, Guid saleId, Guid? customerId, string? userId)
    {
        AttemptOutcome outcome;
        await using (var connection = await database.OpenAsync())
            outcome = await AttemptOnAsync(connection, workspaceId, saleId, customerId, userId);
        // After the connection went back to the pool: a flush needs one of its own.
        if (tally.Count(saleId, outcome.Refusal))
            await tally.FlushAsync(saleId, onlyIfIdle: true);
        return outcome;
    }

    private async Task<AttemptOutcome> AttemptOnAsync(DbConnection connection, Guid workspaceId, Guid saleId, Guid? customerId, string? userId)
    {
        var sale = await connection.QuerySingleOrDefaultAsync<SaleHead>(
            """
            SELECT stock AS Stock, reserved AS Reserved, sold AS Sold, per_customer_limit AS PerCustomerLimit, segment_id AS SegmentId,
                   starts_at AS StartsAt, ends_at AS EndsAt, flash_price AS FlashPrice, payment_timeout_seconds AS PaymentTimeoutSeconds
            FROM flash_sales WHERE id = @saleId AND workspace_id = @workspaceId
            """, new { saleId, workspaceId })
            ?? throw new NotFoundException($"No flash sale {saleId} in this workspace.");
        var customer = await ActivityCustomers.ResolveAsync(connection, workspaceId, customerId, userId);
        return await DecideAsync(connection, workspaceId, saleId, sale, customer);
    }

    private async Task<AttemptOutcome> DecideAsync(DbConnection connection, Guid workspaceId, Guid saleId, SaleHead sale, Guid customer)
    {
        var now = clock.GetUtcNow();
        if (now < sale.StartsAt)
            return AttemptOutcome.Refused(RefusalReasons.NotStarted, $"The sale starts at {sale.StartsAt:u}.");
        if (now >= sale.EndsAt)
            return AttemptOutcome.Refused(RefusalReasons.Ended, $"The sale ended at {sale.EndsAt:u}.");
        if (sale.SegmentId is { } segmentId
            && await connection.ExecuteScalarAsync<int>(
                "SELECT COUNT(*) FROM segment_members WHERE segment_id = @segmentId AND customer_id = @customer", new { segmentId, customer }) == 0)
            return AttemptOutcome.Refused(RefusalReasons.NotInAudience, "This sale is for members of its audience only.");
        if (sale.Reserved + sale.Sold >= sale.Stock)
            return SoldOut();

        var held = await HeldSlotsAsync(connection, null, saleId, customer);
        for (var tries = 0; tries < sale.PerCustomerLimit + 1; tries++)
        {
            if (held.Count >= sale.PerCustomerLimit)
                return LimitReached(sale.PerCustomerLimit);
            var slot = Enumerable.Range(1, sale.PerCustomerLimit).First(s => !held.Contains(s));
            var reservation = new FlashReservation
            {
                Id = Guid.CreateVersion7(now), WorkspaceId = workspaceId, SaleId = saleId, CustomerId = customer, Slot = slot,
                State = ReservationStates.Reserved, Price = sale.FlashPrice, CreatedAt = now, ExpiresAt = now.AddSeconds(sale.PaymentTimeoutSeconds),
            };
            await using var transaction = await BeginAsync(connection);
            try
            {
                // The row first: a racing attempt by the same customer for the same slot waits here (PostgreSQL) and then
                // fails on the unique index, so the sale's row lock below is held only from the update to the commit.
                await connection.ExecuteAsync(
                    """
                    INSERT INTO flash_reservations (id, workspace_id, sale_id, customer_id, slot, state, price, created_at, expires_at)
                    VALUES (@Id, @WorkspaceId, @SaleId, @CustomerId, @Slot, @State, @Price, @CreatedAt, @ExpiresAt)
                    """, reservation, transaction);
                var taken = await connection.ExecuteAsync(
                    "UPDATE flash_sales SET reserved = reserved + 1 WHERE id = @saleId AND reserved + sold < stock", new { saleId }, transaction);
                if (taken == 0)
                {
                    await transaction.RollbackAsync();
                    return SoldOut();
                }
                await transaction.CommitAsync();
                return new AttemptOutcome(reservation, null, null);
            }
            catch (DbException e) when (Database.IsUniqueViolation(e))
            {
                // The same customer won this slot in a concurrent attempt; look again (a limit above 1 may have another).
                await transaction.RollbackAsync();
                held = await HeldSlotsAsync(connection, null, saleId, customer);
            }
        }
        return LimitReached(sale.PerCustomerLimit);

        static AttemptOutcome SoldOut() => AttemptOutcome.Refused(RefusalReasons.SoldOut, "Sold out: every unit is reserved or sold.");

        static AttemptOutcome LimitReached(int limit) =>
            AttemptOutcome.Refused(RefusalReasons.LimitReached, $"This customer already holds {limit} unit{(limit == 1 ? "" : "s")}, the most one customer may buy.");
    }

    private static async Task<HashSet<int>> HeldSlotsAsync(DbConnection connection, DbTransaction? transaction, Guid saleId, Guid customer) =>
        (await connection.QueryAsync<int>(
            "SELECT slot FROM flash_reservations WHERE sale_id = @saleId AND customer_id = @customer AND state IN ('reserved', 'paid')",
            new { saleId, customer }, transaction)).ToHashSet();

    /// <summary>SQLite: take the write lock at BEGIN (a deferred transaction that reads and then writes can fail to upgrade).</summary>
    internal static async Task<DbTransaction> BeginAsync(DbConnection connection) =>
        connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : await connection.BeginTransactionAsync();

    public async Task<FlashReservation> GetReservationAsync(Guid workspaceId, Guid saleId, Guid reservationId)
    {
        await using var connection = await database.OpenAsync();
        return await ReservationAsync(connection, null, workspaceId, saleId, reservationId);
    }

    private static async Task<FlashReservation> ReservationAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid saleId, Guid reservationId) =>
        await connection.QuerySingleOrDefaultAsync<FlashReservation>(
            "SELECT * FROM flash_reservations WHERE id = @reservationId AND sale_id = @saleId AND workspace_id = @workspaceId",
            new { reservationId, saleId, workspaceId }, transaction)
        ?? throw new NotFoundException($"No reservation {reservationId} on flash sale {saleId}.");

    public async Task<IReadOnlyList<FlashReservation>> ListReservationsAsync(Guid workspaceId, Guid saleId, string? state, int limit)
    {
        await GetAsync(workspaceId, saleId);
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<FlashReservation>(
            $"""
            SELECT r.*, c.display_name AS CustomerName
            FROM flash_reservations r LEFT JOIN customers c ON c.id = r.customer_id
            WHERE r.sale_id = @saleId AND r.workspace_id = @workspaceId {(state is null ? "" : "AND r.state = @state")}
            ORDER BY r.created_at DESC, r.id DESC LIMIT @limit
            """, new { saleId, workspaceId, state, limit = Math.Clamp(limit, 1, 500) })).AsList();
    }

    /// <summary>
    /// Pays a reservation: it becomes sold and the order is recorded, in one transaction. A reservation that expired,
    /// was released or cancelled is refused (409 with the reason); paying a paid one again answers it unchanged.
    /// </summary>
    public async Task<PayOutcome> PayAsync(Guid workspaceId, Guid saleId, Guid reservationId, string actor)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        await using var transaction = await BeginAsync(connection);
        var reservation = await ReservationAsync(connection, transaction, workspaceId, saleId, reservationId);
        var orderId = $"FS-{reservationId:N}";
        var paid = await connection.ExecuteAsync(
            """
            UPDATE flash_reservations SET state = 'paid', paid_at = @now, order_id = @orderId
            WHERE id = @reservationId AND state = 'reserved' AND expires_at > @now
            """, new { reservationId, now, orderId }, transaction);
        if (paid == 0)
        {
            await transaction.RollbackAsync();
            var latest = await ReservationAsync(connection, null, workspaceId, saleId, reservationId);
            return latest.State switch
            {
                ReservationStates.Paid => new PayOutcome(latest, null, null, false),
                ReservationStates.Cancelled => new PayOutcome(null, "cancelled", "This reservation was cancelled; its unit went back on sale.", false),
                ReservationStates.Released => new PayOutcome(null, "expired", "This reservation was not paid in time; its unit went back on sale.", false),
                _ => new PayOutcome(null, "expired", $"This reservation expired at {latest.ExpiresAt:u}; its unit goes back on sale.", false),
            };
        }

        await connection.ExecuteAsync(
            "UPDATE flash_sales SET reserved = reserved - 1, sold = sold + 1, updated_at = @now WHERE id = @saleId", new { saleId, now }, transaction);
        var sale = await GetAsync(connection, transaction, workspaceId, saleId);
        var after = await orders.FlashSaleAsync(connection, transaction, now, sale, reservation, orderId);
        await transaction.CommitAsync();
        await after();
        return new PayOutcome(await ReservationAsync(connection, null, workspaceId, saleId, reservationId), null, null, true);
    }

    /// <summary>Cancels an unpaid reservation: its unit goes back on sale at once.</summary>
    public async Task<FlashReservation> CancelAsync(Guid workspaceId, Guid saleId, Guid reservationId)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        await using (var transaction = await BeginAsync(connection))
        {
            var current = await ReservationAsync(connection, transaction, workspaceId, saleId, reservationId);
            var cancelled = await connection.ExecuteAsync(
                "UPDATE flash_reservations SET state = 'cancelled', released_at = @now WHERE id = @reservationId AND state = 'reserved'",
                new { reservationId, now }, transaction);
            if (cancelled == 0)
            {
                if (current.State == ReservationStates.Paid)
                    throw new ConflictException("This reservation is paid; refund the order instead.");
                await transaction.RollbackAsync();
                return current;
            }
            await connection.ExecuteAsync("UPDATE flash_sales SET reserved = reserved - 1 WHERE id = @saleId", new { saleId }, transaction);
            await transaction.CommitAsync();
        }
        return await ReservationAsync(connection, null, workspaceId, saleId, reservationId);
    }

    /// <summary>
    /// Releases every reservation whose payment time ran out (all workspaces): the rows become released and their
    /// sales' reserved counts drop in the same transaction. Returns how many units went back on sale.
    /// </summary>
    public async Task<int> ReleaseExpiredAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var total = 0;
        await using var connection = await database.OpenAsync(cancellationToken);
        while (true)
        {
            await using var transaction = await BeginAsync(connection);
            // A batch at a time keeps each transaction short; the state condition makes a release racing a payment lose.
            var released = (await connection.QueryAsync<Guid>(
                database.IsSqlite
                    ? """
                      UPDATE flash_reservations SET state = 'released', released_at = @now
                      WHERE id IN (SELECT id FROM flash_reservations WHERE state = 'reserved' AND expires_at <= @now LIMIT 500)
                      RETURNING sale_id
                      """
                    : """
                      UPDATE flash_reservations SET state = 'released', released_at = @now
                      WHERE id IN (SELECT id FROM flash_reservations WHERE state = 'reserved' AND expires_at <= @now LIMIT 500 FOR UPDATE SKIP LOCKED)
                        AND state = 'reserved'
                      RETURNING sale_id
                      """, new { now }, transaction)).AsList();
            foreach (var group in released.GroupBy(s => s))
                await connection.ExecuteAsync("UPDATE flash_sales SET reserved = reserved - @n WHERE id = @saleId",
                    new { saleId = group.Key, n = group.Count() }, transaction);
            await transaction.CommitAsync(cancellationToken);
            total += released.Count;
            if (released.Count < 500)
                return total;
        }
    }

    public async Task<FlashSaleCounters> CountersAsync(Guid workspaceId, Guid saleId)
    {
        await tally.FlushAsync(saleId);
        var sale = await GetAsync(workspaceId, saleId);
        await using var connection = await database.OpenAsync();
        var rows = await connection.QuerySingleAsync<RowCounts>(
            """
            SELECT COUNT(*) AS Total,
                   COALESCE(SUM(CASE WHEN state IN ('reserved', 'paid') THEN 1 ELSE 0 END), 0) AS Live,
                   COUNT(DISTINCT CASE WHEN state IN ('reserved', 'paid') THEN customer_id END) AS Customers
            FROM flash_reservations WHERE sale_id = @saleId
            """, new { saleId });
        var refusals = new Dictionary<string, long>
        {
            [RefusalReasons.SoldOut] = sale.RefusedSoldOut,
            [RefusalReasons.LimitReached] = sale.RefusedLimitReached,
            [RefusalReasons.NotStarted] = sale.RefusedNotStarted,
            [RefusalReasons.Ended] = sale.RefusedEnded,
            [RefusalReasons.NotInAudience] = sale.RefusedNotInAudience,
        };
        return new FlashSaleCounters(sale.Id, sale.StateAt(clock.GetUtcNow()), sale.Stock, sale.Reserved, sale.Sold, sale.Remaining, sale.Attempts,
            rows.Total, refusals, tally.Rate(saleId), (int)rows.Live, (int)rows.Customers);
    }

    private sealed class SaleHead
    {
        public int Stock { get; init; }
        public int Reserved { get; init; }
        public int Sold { get; init; }
        public int PerCustomerLimit { get; init; }
        public Guid? SegmentId { get; init; }
        public DateTimeOffset StartsAt { get; init; }
        public DateTimeOffset EndsAt { get; init; }
        public long FlashPrice { get; init; }
        public int PaymentTimeoutSeconds { get; init; }
    }

    private sealed class RowCounts
    {
        public long Total { get; init; }
        public long Live { get; init; }
        public long Customers { get; init; }
    }
}

/// <summary>Paying a reservation: the paid reservation (Changed false when it already was), or a refusal with its reason.</summary>
public sealed record PayOutcome(FlashReservation? Reservation, string? Refusal, string? Message, bool Changed);
