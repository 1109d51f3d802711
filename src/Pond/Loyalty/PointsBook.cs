using System.Data.Common;
using Dapper;
using Pond.Audience;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Loyalty;

/// <summary>One ledger row as the API shows it.</summary>
public sealed class PointsEntry
{
    public long Seq { get; init; }
    public Guid Id { get; init; }
    public Guid CustomerId { get; init; }
    public string Kind { get; init; } = "";
    public long Amount { get; init; }
    public long BalanceAfter { get; init; }
    /// <summary>For a reversal: the points it could not take because they were already spent (now owed).</summary>
    public long Owed { get; init; }
    public string Reason { get; init; } = "";
    public string Source { get; init; } = "";
    public string? Reference { get; init; }
    public string IdempotencyKey { get; init; } = "";
    public DateTimeOffset? ExpiresAt { get; init; }
    public string? Actor { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>What a points operation did: the ledger row, and whether it was already done by an earlier request with the same key.</summary>
public sealed record PointsResult(PointsEntry Entry, long Balance, bool Replayed);

public sealed class PointsBalance
{
    public long Balance { get; init; }
    public long Debt { get; init; }
    public long EarnedTotal { get; init; }
    public long SpentTotal { get; init; }
    /// <summary>Points that expire within the next 30 days.</summary>
    public long ExpiringSoon { get; init; }
    public DateTimeOffset? NextExpiry { get; init; }
}

public sealed record PointsPage(IReadOnlyList<PointsEntry> Entries, string? NextCursor);

public sealed record CheckInResult(int Day, int Streak, long Points, bool Bonus, PointsResult Result);

/// <summary>
/// The points ledger. Every change of a customer's balance is one append-only ledger row written in the same
/// transaction as the balance row, and the balance never goes below zero: a debit is a conditional
/// <c>UPDATE … SET balance = balance − n WHERE balance ≥ n</c> (backed by a CHECK constraint), so parallel spends on
/// either engine cannot overdraw, however many nodes share the database. Every operation carries an idempotency key,
/// unique per workspace: a repeated request returns the first answer instead of moving points twice. Credits lock the
/// balance row first (SELECT … FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite), so a customer's operations apply
/// one at a time. Earned points are kept as lots; debits consume the oldest lots first and expiry takes what is left
/// of a lot on its day. A reversal (refund) takes what is there and records the rest as debt that later earnings pay.
/// </summary>
public sealed class PointsBook(Database database, AudienceChanges changes, AuditLog audit, TimeProvider clock)
{
    private const string EntryColumns =
        "seq AS Seq, id AS Id, customer_id AS CustomerId, kind AS Kind, amount AS Amount, balance_after AS BalanceAfter, owed AS Owed, reason AS Reason, " +
        "source AS Source, reference AS Reference, idempotency_key AS IdempotencyKey, expires_at AS ExpiresAt, actor AS Actor, created_at AS CreatedAt";

    public const int MaxReason = 200;

    // ---- Public operations, each in its own transaction --------------------------------------------------------------

    /// <summary>
    /// Spends points (redeem for a coupon, a gift, anything): fails with 409 when the balance is short, and answers the
    /// first result again when the idempotency key was used before.
    /// </summary>
    public Task<PointsResult> SpendAsync(Guid workspaceId, Guid customerId, long points, string reason, string? reference, string idempotencyKey,
        string? actor = null, string source = PointsSources.Redeem) =>
        DebitOnceAsync(workspaceId, customerId, points, PointsKinds.Spend, reason, source, reference, idempotencyKey, actor, null);

    /// <summary>Spends points on a gift and records the gift with the spend, in one transaction.</summary>
    public Task<PointsResult> RedeemGiftAsync(Guid workspaceId, Guid customerId, string gift, long points, string idempotencyKey, string? actor = null)
    {
        if (string.IsNullOrWhiteSpace(gift) || gift.Length > 100)
            throw new ValidationFailedException("gift must name the gift (1 to 100 characters).", "gift");
        gift = gift.Trim();
        return DebitOnceAsync(workspaceId, customerId, points, PointsKinds.Spend, $"Gift: {gift}", PointsSources.Gift, gift, idempotencyKey, actor,
            async (connection, transaction, entry) => await connection.ExecuteAsync(
                "INSERT INTO points_gifts (id, workspace_id, customer_id, ledger_id, gift, points, at) VALUES (@id, @workspaceId, @customerId, @ledgerId, @gift, @points, @at)",
                new { id = Guid.CreateVersion7(), workspaceId, customerId, ledgerId = entry.Id, gift, points, at = entry.CreatedAt }, transaction));
    }

    /// <summary>
    /// Spends points and, in the same transaction, does what they buy (issue a coupon): both happen or neither. A
    /// repeated key answers the first spend without running <paramref name="alongside"/> again.
    /// </summary>
    public Task<PointsResult> SpendAlongsideAsync(Guid workspaceId, Guid customerId, long points, string reason, string? reference, string idempotencyKey,
        string? actor, Func<DbConnection, DbTransaction, PointsEntry, Task> alongside) =>
        DebitOnceAsync(workspaceId, customerId, points, PointsKinds.Spend, reason, PointsSources.Redeem, reference, idempotencyKey, actor, alongside);

    /// <summary>An adjustment by a person, with a required reason, audited with the actor. Negative takes points (never below zero).</summary>
    public async Task<PointsResult> AdjustAsync(Guid workspaceId, Guid customerId, long points, string reason, string idempotencyKey, string actor)
    {
        if (points == 0)
            throw new ValidationFailedException("points must not be 0: positive adds, negative takes away.", "points");
        if (string.IsNullOrWhiteSpace(reason))
            throw new ValidationFailedException("reason is required for an adjustment (it goes into the audit log).", "reason");
        PointsResult result;
        if (points < 0)
        {
            result = await DebitOnceAsync(workspaceId, customerId, -points, PointsKinds.Adjust, reason, PointsSources.Manual, null, idempotencyKey, actor, null);
        }
        else
        {
            result = await CreditOnceAsync(workspaceId, customerId, async (connection, transaction, now) =>
            {
                var zone = await LoyaltyDb.ZoneAsync(connection, transaction, workspaceId);
                var rules = await LoyaltySettingsStore.GetAsync(connection, transaction, workspaceId);
                return new Credit(points, PointsKinds.Adjust, reason, PointsSources.Manual, null, idempotencyKey, now, rules.ExpiresAt(now, zone), actor);
            });
        }

        if (!result.Replayed)
            await audit.RecordAsync(workspaceId, actor, "points.adjust", customerId.ToString(), new { points, reason = reason.Trim(), balance = result.Balance });
        return result;
    }

    /// <summary>Daily check-in 打卡: once per local day in the workspace's zone; the streak bonus on every N-th day in a row.</summary>
    public async Task<CheckInResult> CheckInAsync(Guid workspaceId, Guid customerId)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await LoyaltyDb.BeginAsync(database, connection);
        var now = clock.GetUtcNow();
        var rules = await LoyaltySettingsStore.GetAsync(connection, transaction, workspaceId);
        var zone = await LoyaltyDb.ZoneAsync(connection, transaction, workspaceId);
        await LockAsync(connection, transaction, workspaceId, customerId, now);
        var today = LoyaltyDb.LocalDay(now, zone);
        var day = LoyaltyDb.DayNumber(today);
        var done = await connection.ExecuteScalarAsync<int?>(
            "SELECT streak FROM points_checkins WHERE customer_id = @customerId AND day = @day", new { customerId, day }, transaction);
        if (done is { } streakToday)
            throw new ConflictException($"Already checked in today ({today:yyyy-MM-dd}, day {streakToday} of the streak); check in again tomorrow.");
        var yesterday = await connection.ExecuteScalarAsync<int?>(
            "SELECT streak FROM points_checkins WHERE customer_id = @customerId AND day = @day",
            new { customerId, day = LoyaltyDb.DayNumber(today.AddDays(-1)) }, transaction);
        var streak = (yesterday ?? 0) + 1;
        var bonus = rules.CheckIn.StreakDays > 0 && rules.CheckIn.StreakBonus > 0 && streak % rules.CheckIn.StreakDays == 0;
        var points = rules.CheckIn.Points + (bonus ? rules.CheckIn.StreakBonus : 0);
        await connection.ExecuteAsync(
            "INSERT INTO points_checkins (customer_id, day, workspace_id, streak, points, at) VALUES (@customerId, @day, @workspaceId, @streak, @points, @now)",
            new { customerId, day, workspaceId, streak, points, now }, transaction);
        PointsResult result;
        if (points > 0)
        {
            var reason = bonus ? $"Check-in, day {streak} of the streak (+{rules.CheckIn.StreakBonus} bonus)" : $"Check-in, day {streak} of the streak";
            result = await CreditAsync(connection, transaction, workspaceId, customerId,
                new Credit(points, PointsKinds.Earn, reason, PointsSources.CheckIn, day.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"checkin:{customerId:N}:{day}", now, rules.ExpiresAt(now, zone), null), now);
        }
        else
        {
            result = new PointsResult(new PointsEntry { CustomerId = customerId, Reason = "Check-in (no points configured)", CreatedAt = now }, await BalanceOfAsync(connection, transaction, customerId), false);
        }

        await transaction.CommitAsync();
        changes.Touch(workspaceId, [customerId]);
        return new CheckInResult(day, streak, points, bonus, result);
    }

    /// <summary>A completed task (review, share, complete profile): its points, at most the task's limit per customer.</summary>
    public async Task<PointsResult> CompleteTaskAsync(Guid workspaceId, Guid customerId, string code, string? idempotencyKey)
    {
        return await CreditOnceAsync(workspaceId, customerId, async (connection, transaction, now) =>
        {
            var rules = await LoyaltySettingsStore.GetAsync(connection, transaction, workspaceId);
            var task = rules.Task(code) ?? throw new NotFoundException(
                $"No points task '{code}'. Tasks: {string.Join(", ", rules.Tasks.Select(t => t.Code))}.");
            var done = await connection.ExecuteScalarAsync<int>(
                "SELECT COUNT(*) FROM points_ledger WHERE customer_id = @customerId AND source = 'task' AND reference = @code AND kind = 'earn'",
                new { customerId, code }, transaction);
            var key = string.IsNullOrWhiteSpace(idempotencyKey) ? $"task:{customerId:N}:{code}:{done + 1}" : idempotencyKey.Trim();
            if (done >= task.Limit && await FindAsync(connection, transaction, workspaceId, key) is null)
                throw new ConflictException($"The customer has already completed '{task.Name}' {done} time(s), the limit for this task.");
            var zone = await LoyaltyDb.ZoneAsync(connection, transaction, workspaceId);
            return new Credit(task.Points, PointsKinds.Earn, task.Name, PointsSources.Task, task.Code, key, now, rules.ExpiresAt(now, zone), null);
        });
    }

    /// <summary>
    /// Rewards <paramref name="referrerId"/> for bringing <paramref name="referredId"/>: the workspace's referral points,
    /// once per referred customer. The referral feature calls this.
    /// </summary>
    public Task<PointsResult> ReferralAsync(Guid workspaceId, Guid referrerId, Guid referredId) =>
        CreditOnceAsync(workspaceId, referrerId, async (connection, transaction, now) =>
        {
            var rules = await LoyaltySettingsStore.GetAsync(connection, transaction, workspaceId);
            if (rules.ReferralPoints <= 0)
                throw new ConflictException("The workspace gives no referral points (referralPoints is 0).");
            var zone = await LoyaltyDb.ZoneAsync(connection, transaction, workspaceId);
            return new Credit(rules.ReferralPoints, PointsKinds.Earn, "Referred a new customer", PointsSources.Referral, referredId.ToString(),
                $"referral:{referredId:N}", now, rules.ExpiresAt(now, zone), null);
        });

    /// <summary>Earns points for any reason the caller names (a journey action, a birthday gift): a credit with an idempotency key.</summary>
    public Task<PointsResult> EarnAsync(Guid workspaceId, Guid customerId, long points, string reason, string source, string? reference, string idempotencyKey,
        DateTimeOffset? earnedAt = null)
    {
        if (points <= 0)
            throw new ValidationFailedException("points must be positive.", "points");
        return CreditOnceAsync(workspaceId, customerId, async (connection, transaction, now) =>
        {
            var rules = await LoyaltySettingsStore.GetAsync(connection, transaction, workspaceId);
            var zone = await LoyaltyDb.ZoneAsync(connection, transaction, workspaceId);
            var at = earnedAt ?? now;
            return new Credit(points, PointsKinds.Earn, reason, source, reference, idempotencyKey, at, rules.ExpiresAt(at, zone), null);
        });
    }

    /// <summary>
    /// Expires every lot whose day has come (each lot once: its ledger key is the lot id). The background worker calls
    /// this every minute; tests call it after moving their clock. Returns the points expired.
    /// </summary>
    public async Task<long> ExpireDueAsync(CancellationToken cancellationToken = default)
    {
        long total = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            IReadOnlyList<DueLot> due;
            await using (var connection = await database.OpenAsync(cancellationToken))
            {
                due = (await connection.QueryAsync<DueLot>(
                    "SELECT id AS Id, workspace_id AS WorkspaceId, customer_id AS CustomerId FROM points_lots WHERE remaining > 0 AND expires_at <= @now ORDER BY expires_at LIMIT 500",
                    new { now })).AsList();
            }

            if (due.Count == 0)
                break;
            foreach (var group in due.GroupBy(d => (d.WorkspaceId, d.CustomerId)))
            {
                await using var connection = await database.OpenAsync(cancellationToken);
                await using var transaction = await LoyaltyDb.BeginAsync(database, connection);
                var (balance, _) = await LockAsync(connection, transaction, group.Key.WorkspaceId, group.Key.CustomerId, now);
                foreach (var lot in group)
                {
                    var remaining = await connection.ExecuteScalarAsync<long>(
                        "SELECT remaining FROM points_lots WHERE id = @id", new { id = lot.Id }, transaction);
                    var take = Math.Min(remaining, balance);
                    if (remaining > 0)
                        await connection.ExecuteAsync("UPDATE points_lots SET remaining = 0 WHERE id = @id", new { id = lot.Id }, transaction);
                    if (take <= 0)
                        continue;
                    balance = await connection.ExecuteScalarAsync<long>(
                        "UPDATE points_balances SET balance = balance - @take, updated_at = @now WHERE customer_id = @customerId RETURNING balance",
                        new { take, now, customerId = group.Key.CustomerId }, transaction);
                    await InsertEntryAsync(connection, transaction, group.Key.WorkspaceId, group.Key.CustomerId, PointsKinds.Expire, -take, balance, 0,
                        "Points expired", PointsSources.Expiry, lot.Id.ToString(), $"expire:{lot.Id:N}", null, null, now);
                    total += take;
                }

                await transaction.CommitAsync(cancellationToken);
                changes.Touch(group.Key.WorkspaceId, [group.Key.CustomerId]);
            }
        }

        return total;
    }

    /// <summary>
    /// Earns points for orders recorded before the workspace enabled points (history loaded in bulk), oldest first, as
    /// the order effect would have: paid × points per yuan × the member day multiplier (tiers did not exist then, so no
    /// tier multiplier), lots dated and expiring from the order's time, refunds reversed in proportion. Orders that
    /// already earned are skipped (same idempotency key as the effect). Returns the orders that earned.
    /// </summary>
    public async Task<int> BackfillOrdersAsync(Guid workspaceId, CancellationToken cancellationToken = default)
    {
        const int batch = 1000;
        var earned = 0;
        long afterPlaced = long.MinValue;
        var afterId = Guid.Empty;
        while (true)
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            var rules = await LoyaltySettingsStore.GetAsync(connection, null, workspaceId);
            if (!rules.Enabled || rules.PointsPerYuan <= 0)
                return earned;
            var zone = await LoyaltyDb.ZoneAsync(connection, null, workspaceId);
            var orders = (await connection.QueryAsync<BackfillOrder>(
                """
                SELECT id AS Id, order_id AS OrderId, customer_id AS CustomerId, placed_at AS PlacedAt, paid AS Paid, refunded AS Refunded
                FROM orders WHERE workspace_id = @workspaceId AND paid > 0 AND (placed_at > @afterPlaced OR (placed_at = @afterPlaced AND id > @afterId))
                ORDER BY placed_at, id LIMIT @batch
                """, new { workspaceId, afterPlaced, afterId, batch })).AsList();
            if (orders.Count == 0)
                return earned;
            var touched = new HashSet<Guid>();
            await using (var transaction = await LoyaltyDb.BeginAsync(database, connection))
            {
                var now = clock.GetUtcNow();
                foreach (var order in orders)
                {
                    var placed = DateTimeOffset.FromUnixTimeMilliseconds(order.PlacedAt);
                    var memberDay = rules.MemberDay.DayOfMonth is { } day && TimeZoneInfo.ConvertTime(placed, zone).Day == day ? rules.MemberDay.Multiplier : 1m;
                    var points = (long)Math.Floor(order.Paid / 100m * rules.PointsPerYuan * memberDay);
                    if (points <= 0)
                        continue;
                    var key = $"order:{order.Id:N}:earn";
                    var result = await CreditAsync(connection, transaction, workspaceId, order.CustomerId,
                        new Credit(points, PointsKinds.Earn, $"Order {order.OrderId}: ¥{order.Paid / 100m:0.##} × {rules.PointsPerYuan:0.##}" + (memberDay != 1m ? $" × {memberDay:0.##} (member day)" : ""),
                            PointsSources.Order, order.OrderId, key, placed, rules.ExpiresAt(placed, zone), null), now);
                    if (result.Replayed)
                        continue;
                    earned++;
                    touched.Add(order.CustomerId);
                    if (order.Refunded > 0)
                    {
                        var reverse = order.Refunded >= order.Paid ? points : (long)Math.Floor((decimal)points * order.Refunded / order.Paid);
                        if (reverse > 0)
                            await ReverseAsync(connection, transaction, workspaceId, order.CustomerId, reverse, $"Refunds of order {order.OrderId}",
                                PointsSources.Order, order.OrderId, $"order:{order.Id:N}:backfill-refund", result.Entry.Id, now);
                    }
                }

                await transaction.CommitAsync(cancellationToken);
            }

            changes.Touch(workspaceId, touched);
            afterPlaced = orders[^1].PlacedAt;
            afterId = orders[^1].Id;
        }
    }

    public async Task<PointsBalance> BalanceAsync(Guid workspaceId, Guid customerId, Guid? onlyOwnedBy = null)
    {
        await using var connection = await database.OpenAsync();
        await LoyaltyDb.RequireCustomerAsync(connection, workspaceId, customerId, onlyOwnedBy);
        var now = clock.GetUtcNow();
        var row = await connection.QuerySingleOrDefaultAsync<PointsBalance>(
            """
            SELECT b.balance AS Balance, b.debt AS Debt, b.earned_total AS EarnedTotal, b.spent_total AS SpentTotal,
                   (SELECT CAST(COALESCE(SUM(l.remaining), 0) AS BIGINT) FROM points_lots l WHERE l.customer_id = b.customer_id AND l.remaining > 0 AND l.expires_at <= @soon) AS ExpiringSoon,
                   (SELECT MIN(l.expires_at) FROM points_lots l WHERE l.customer_id = b.customer_id AND l.remaining > 0) AS NextExpiry
            FROM points_balances b WHERE b.customer_id = @customerId AND b.workspace_id = @workspaceId
            """, new { customerId, workspaceId, soon = now.AddDays(30) });
        return row ?? new PointsBalance();
    }

    /// <summary>The customer's ledger, most recent first; the cursor is the last row's sequence number.</summary>
    public async Task<PointsPage> LedgerAsync(Guid workspaceId, Guid customerId, Guid? onlyOwnedBy, string? cursor, int limit)
    {
        long? before = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (!long.TryParse(cursor, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
                throw new ValidationFailedException("cursor is not one this endpoint gave out; pass nextCursor from the previous page.", "cursor");
            before = parsed;
        }

        await using var connection = await database.OpenAsync();
        await LoyaltyDb.RequireCustomerAsync(connection, workspaceId, customerId, onlyOwnedBy);
        var rows = (await connection.QueryAsync<PointsEntry>(
            $"SELECT {EntryColumns} FROM points_ledger WHERE customer_id = @customerId AND workspace_id = @workspaceId" +
            (before is null ? "" : " AND seq < @before") + " ORDER BY seq DESC LIMIT @take",
            new { customerId, workspaceId, before, take = limit + 1 })).AsList();
        var next = rows.Count > limit ? rows[limit - 1].Seq.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        if (rows.Count > limit)
            rows.RemoveAt(limit);
        return new PointsPage(rows, next);
    }

    // ---- Inside a transaction the caller owns (order effects, tiers) --------------------------------------------------

    /// <summary>A credit described once the balance row is locked (the rules are read inside the transaction).</summary>
    internal sealed record Credit(long Points, string Kind, string Reason, string Source, string? Reference, string Key, DateTimeOffset EarnedAt,
        DateTimeOffset? ExpiresAt, string? Actor);

    /// <summary>
    /// Adds points inside the caller's transaction: a ledger row, a lot, the balance; debt from earlier reversals is paid
    /// first (a second row). A key already used answers the first row.
    /// </summary>
    internal async Task<PointsResult> CreditAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid customerId, Credit credit, DateTimeOffset now)
    {
        if (credit.Points <= 0)
            throw new ValidationFailedException("points must be positive.", "points");
        var (balance, debt) = await LockAsync(connection, transaction, workspaceId, customerId, now);
        if (await FindAsync(connection, transaction, workspaceId, credit.Key) is { } existing)
            return Replay(existing, customerId, credit.Points, balance);
        var pay = Math.Min(debt, credit.Points);
        var net = credit.Points - pay;
        var earned = credit.Kind == PointsKinds.Earn ? credit.Points : 0;
        await connection.ExecuteAsync(
            "UPDATE points_balances SET balance = balance + @net, debt = debt - @pay, earned_total = earned_total + @earned, updated_at = @now WHERE customer_id = @customerId",
            new { net, pay, earned, now, customerId }, transaction);
        var entry = await InsertEntryAsync(connection, transaction, workspaceId, customerId, credit.Kind, credit.Points, balance + credit.Points, 0,
            credit.Reason, credit.Source, credit.Reference, credit.Key, credit.ExpiresAt, credit.Actor, credit.Source == PointsSources.Order ? credit.EarnedAt : now);
        if (net > 0)
        {
            await connection.ExecuteAsync(
                "INSERT INTO points_lots (id, workspace_id, customer_id, earned_at, expires_at, remaining) VALUES (@id, @workspaceId, @customerId, @earnedAt, @expiresAt, @net)",
                new { id = entry.Id, workspaceId, customerId, earnedAt = credit.EarnedAt, expiresAt = credit.ExpiresAt, net }, transaction);
        }

        if (pay > 0)
        {
            await InsertEntryAsync(connection, transaction, workspaceId, customerId, PointsKinds.Reverse, -pay, balance + net, 0,
                "Pays back points owed after a refund", PointsSources.Debt, credit.Key, credit.Key + ":debt", null, null, now);
        }

        return new PointsResult(entry, balance + net, false);
    }

    /// <summary>
    /// Takes back up to <paramref name="points"/> inside the caller's transaction (a refund): what the balance holds is
    /// taken, the oldest lots first after <paramref name="preferLot"/>; the rest becomes debt. Never below zero.
    /// </summary>
    internal async Task<PointsResult> ReverseAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid customerId, long points,
        string reason, string source, string? reference, string key, Guid? preferLot, DateTimeOffset now)
    {
        var (balance, _) = await LockAsync(connection, transaction, workspaceId, customerId, now);
        if (await FindAsync(connection, transaction, workspaceId, key) is { } existing)
            return Replay(existing, customerId, -Math.Min(points, balance), balance, checkAmount: false);
        var take = Math.Min(points, balance);
        var owed = points - take;
        await connection.ExecuteAsync(
            "UPDATE points_balances SET balance = balance - @take, debt = debt + @owed, updated_at = @now WHERE customer_id = @customerId",
            new { take, owed, now, customerId }, transaction);
        await ConsumeLotsAsync(connection, transaction, customerId, take, preferLot);
        var entry = await InsertEntryAsync(connection, transaction, workspaceId, customerId, PointsKinds.Reverse, -take, balance - take, owed,
            reason, source, reference, key, null, null, now);
        return new PointsResult(entry, balance - take, false);
    }

    // ---- The machinery -----------------------------------------------------------------------------------------------

    private async Task<PointsResult> CreditOnceAsync(Guid workspaceId, Guid customerId,
        Func<DbConnection, DbTransaction, DateTimeOffset, Task<Credit>> describe)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await LoyaltyDb.BeginAsync(database, connection);
        var now = clock.GetUtcNow();
        await LockAsync(connection, transaction, workspaceId, customerId, now);
        var credit = await describe(connection, transaction, now);
        if (credit.Key.Length > 200)
            throw new ValidationFailedException("idempotencyKey must be at most 200 characters.", "idempotencyKey");
        var result = await CreditAsync(connection, transaction, workspaceId, customerId, credit, now);
        await transaction.CommitAsync();
        if (!result.Replayed)
            changes.Touch(workspaceId, [customerId]);
        return result;
    }

    private async Task<PointsResult> DebitOnceAsync(Guid workspaceId, Guid customerId, long points, string kind, string reason, string source,
        string? reference, string idempotencyKey, string? actor, Func<DbConnection, DbTransaction, PointsEntry, Task>? alongside)
    {
        if (points <= 0)
            throw new ValidationFailedException("points must be a positive whole number.", "points");
        if (string.IsNullOrWhiteSpace(reason) || reason.Trim().Length > MaxReason)
            throw new ValidationFailedException($"reason is required (at most {MaxReason} characters).", "reason");
        if (string.IsNullOrWhiteSpace(idempotencyKey) || idempotencyKey.Length > 200)
            throw new ValidationFailedException("idempotencyKey is required (1 to 200 characters): the same key never spends twice.", "idempotencyKey");
        if (reference is { Length: > 200 })
            throw new ValidationFailedException("reference must be at most 200 characters.", "reference");
        reason = reason.Trim();
        idempotencyKey = idempotencyKey.Trim();
        try
        {
            await using var connection = await database.OpenAsync();
            // A refusal needs no write lock: read first (a key seen before is answered, a short balance refused). The
            // conditional UPDATE below stays the guard for everything that passes.
            if (await FindAsync(connection, null, workspaceId, idempotencyKey) is { } seen)
                return Replay(seen, customerId, -points, await BalanceOfAsync(connection, null, customerId));
            if (await BalanceOfAsync(connection, null, customerId) is var before && before < points)
                throw new ConflictException($"Not enough points: the customer has {before}, this needs {points}.");
            await using var transaction = await LoyaltyDb.BeginAsync(database, connection);
            var now = clock.GetUtcNow();
            if (await FindAsync(connection, transaction, workspaceId, idempotencyKey) is { } existing)
                return Replay(existing, customerId, -points, await BalanceOfAsync(connection, transaction, customerId));

            // The guard: the balance moves only if it covers the debit. Parallel spends on the same row queue on its
            // lock and each re-checks the condition, so the balance can never go below zero.
            var balance = await connection.ExecuteScalarAsync<long?>(
                """
                UPDATE points_balances SET balance = balance - @points, spent_total = spent_total + @spent, updated_at = @now
                WHERE customer_id = @customerId AND workspace_id = @workspaceId AND balance >= @points
                RETURNING balance
                """, new { points, spent = kind == PointsKinds.Spend ? points : 0, now, customerId, workspaceId }, transaction);
            if (balance is null)
            {
                var have = await BalanceOfAsync(connection, transaction, customerId);
                throw new ConflictException($"Not enough points: the customer has {have}, this needs {points}.");
            }

            await ConsumeLotsAsync(connection, transaction, customerId, points, null);
            var entry = await InsertEntryAsync(connection, transaction, workspaceId, customerId, kind, -points, balance.Value, 0, reason, source, reference,
                idempotencyKey, null, actor, now);
            if (alongside is not null)
                await alongside(connection, transaction, entry);
            await transaction.CommitAsync();
            changes.Touch(workspaceId, [customerId]);
            return new PointsResult(entry, balance.Value, false);
        }
        catch (Exception e) when (Database.IsUniqueViolation(e))
        {
            // Another request with the same key won the race (PostgreSQL lets both pass the look-up); answer its result.
            await using var connection = await database.OpenAsync();
            var existing = await FindAsync(connection, null, workspaceId, idempotencyKey)
                ?? throw new ConflictException("The request clashed with a concurrent one; try again.");
            return Replay(existing, customerId, -points, await BalanceOfAsync(connection, null, customerId));
        }
    }

    private static PointsResult Replay(PointsEntry existing, Guid customerId, long amount, long balance, bool checkAmount = true)
    {
        if (existing.CustomerId != customerId || (checkAmount && existing.Amount != amount))
            throw new ConflictException(
                $"The idempotency key '{existing.IdempotencyKey}' was already used for a different request ({existing.Kind} {existing.Amount} for customer {existing.CustomerId}); use a new key.");
        return new PointsResult(existing, balance, true);
    }

    /// <summary>Makes sure the customer's balance row exists and locks it for the rest of the transaction.</summary>
    internal async Task<(long Balance, long Debt)> LockAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid customerId, DateTimeOffset now)
    {
        await connection.ExecuteAsync(
            """
            INSERT INTO points_balances (customer_id, workspace_id, balance, debt, earned_total, spent_total, updated_at)
            VALUES (@customerId, @workspaceId, 0, 0, 0, 0, @now) ON CONFLICT (customer_id) DO NOTHING
            """, new { customerId, workspaceId, now }, transaction);
        var row = await connection.QuerySingleAsync<BalanceRow>(
            "SELECT workspace_id AS WorkspaceId, balance AS Balance, debt AS Debt FROM points_balances WHERE customer_id = @customerId" + (database.IsSqlite ? "" : " FOR UPDATE"),
            new { customerId }, transaction);
        if (row.WorkspaceId != workspaceId)
            throw new NotFoundException($"No customer {customerId} in this workspace.");
        return (row.Balance, row.Debt);
    }

    private static async Task<long> BalanceOfAsync(DbConnection connection, DbTransaction? transaction, Guid customerId) =>
        await connection.ExecuteScalarAsync<long?>("SELECT balance FROM points_balances WHERE customer_id = @customerId", new { customerId }, transaction) ?? 0;

    private static Task<PointsEntry?> FindAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, string key) =>
        connection.QuerySingleOrDefaultAsync<PointsEntry>(
            $"SELECT {EntryColumns} FROM points_ledger WHERE workspace_id = @workspaceId AND idempotency_key = @key", new { workspaceId, key }, transaction);

    /// <summary>Takes <paramref name="points"/> from the customer's lots: <paramref name="preferLot"/> first, then the oldest.</summary>
    private static async Task ConsumeLotsAsync(DbConnection connection, DbTransaction transaction, Guid customerId, long points, Guid? preferLot)
    {
        if (points <= 0)
            return;
        var lots = (await connection.QueryAsync<LotRow>(
            "SELECT id AS Id, remaining AS Remaining FROM points_lots WHERE customer_id = @customerId AND remaining > 0 ORDER BY earned_at, id",
            new { customerId }, transaction)).ToList();
        if (preferLot is { } prefer && lots.FindIndex(l => l.Id == prefer) is var i and > 0)
        {
            var lot = lots[i];
            lots.RemoveAt(i);
            lots.Insert(0, lot);
        }

        foreach (var lot in lots)
        {
            if (points == 0)
                break;
            var take = Math.Min(points, lot.Remaining);
            await connection.ExecuteAsync("UPDATE points_lots SET remaining = remaining - @take WHERE id = @id", new { take, id = lot.Id }, transaction);
            points -= take;
        }
    }

    private static async Task<PointsEntry> InsertEntryAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid customerId,
        string kind, long amount, long balanceAfter, long owed, string reason, string source, string? reference, string key, DateTimeOffset? expiresAt,
        string? actor, DateTimeOffset at)
    {
        var id = Guid.CreateVersion7();
        var seq = await connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO points_ledger (id, workspace_id, customer_id, kind, amount, balance_after, owed, reason, source, reference, idempotency_key, expires_at, actor, created_at)
            VALUES (@id, @workspaceId, @customerId, @kind, @amount, @balanceAfter, @owed, @reason, @source, @reference, @key, @expiresAt, @actor, @at)
            RETURNING seq
            """, new { id, workspaceId, customerId, kind, amount, balanceAfter, owed, reason, source, reference, key, expiresAt, actor, at }, transaction);
        return new PointsEntry
        {
            Seq = seq, Id = id, CustomerId = customerId, Kind = kind, Amount = amount, BalanceAfter = balanceAfter, Owed = owed, Reason = reason, Source = source,
            Reference = reference, IdempotencyKey = key, ExpiresAt = expiresAt, Actor = actor, CreatedAt = at,
        };
    }

    private sealed class BalanceRow
    {
        public Guid WorkspaceId { get; init; }
        public long Balance { get; init; }
        public long Debt { get; init; }
    }

    private sealed class LotRow
    {
        public Guid Id { get; init; }
        public long Remaining { get; init; }
    }

    private sealed class BackfillOrder
    {
        public Guid Id { get; init; }
        public string OrderId { get; init; } = "";
        public Guid CustomerId { get; init; }
        public long PlacedAt { get; init; }
        public long Paid { get; init; }
        public long Refunded { get; init; }
    }

    private sealed class DueLot
    {
        public Guid Id { get; init; }
        public Guid WorkspaceId { get; init; }
        public Guid CustomerId { get; init; }
    }
}
