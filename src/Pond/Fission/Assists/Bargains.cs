using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Pond.Activities;
using Pond.Commerce;
using Pond.Loyalty;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Fission.Assists;

/// <summary>
/// Bargains (砍价): a participant opens a session on an item; each distinct friend's help cuts the price by the amount
/// <see cref="BargainCuts"/> computes, so the floor is reached on the N-th help at the latest; reaching it unlocks buying
/// at the floor price until the session expires, recorded through the order book (source bargain). A session's row is
/// locked (SELECT ... FOR UPDATE / BEGIN IMMEDIATE) while a cut is computed and applied; a friend cuts once (UNIQUE).
/// </summary>
internal sealed class Bargains(Database database, AuditLog audit, TimeProvider clock, OrderBook orders)
{
    public const int DefaultFirstCutPercent = 50;

    public async Task<IReadOnlyList<BargainItem>> ListAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<BargainItem>(
            "SELECT * FROM bargain_items WHERE workspace_id = @workspaceId ORDER BY starts_at DESC, id DESC", new { workspaceId })).AsList();
    }

    public async Task<BargainItem> GetAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await GetAsync(connection, null, workspaceId, id);
    }

    private static async Task<BargainItem> GetAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid id) =>
        await connection.QuerySingleOrDefaultAsync<BargainItem>(
            "SELECT * FROM bargain_items WHERE id = @id AND workspace_id = @workspaceId", new { id, workspaceId }, transaction)
        ?? throw new NotFoundException($"No bargain {id} in this workspace.");

    public async Task<BargainItem> CreateAsync(Guid workspaceId, BargainItemInput input, string actor)
    {
        var now = clock.GetUtcNow();
        var name = ActivityInput.Text(input.Name, "name", 100, required: true)!;
        var status = Status(input.Status ?? GameStatuses.Active);
        var sku = ActivityInput.Text(input.Sku, "sku", 64, required: true)!;
        var productName = ActivityInput.Text(input.ProductName, "productName", 200, required: false) ?? name;
        var category = ActivityInput.Text(input.Category, "category", 64, required: false);
        var original = ActivityInput.Price(input.OriginalPrice, "originalPrice", required: true)!.Value;
        var floor = ActivityInput.Price(input.FloorPrice, "floorPrice", required: true)!.Value;
        var helps = MaxHelps(input.MaxHelps ?? throw new ValidationFailedException("maxHelps is required: the floor is reached on this many helps at the latest (1 to 100).", "maxHelps"));
        Prices(original, floor, helps);
        var first = FirstCut(input.FirstCutPercent ?? DefaultFirstCutPercent);
        var minutes = TimeLimit(input.TimeLimitMinutes ?? 1440);
        var stock = Stock(input.Stock);
        var cap = Cap(input.HelperDailyCap);
        var startsAt = input.StartsAt ?? throw new ValidationFailedException("startsAt is required (ISO 8601 with offset).", "startsAt");
        var endsAt = input.EndsAt ?? throw new ValidationFailedException("endsAt is required (ISO 8601 with offset).", "endsAt");
        ActivityInput.Window(startsAt, endsAt);
        var id = Guid.CreateVersion7(now);
        await using (var connection = await database.OpenAsync())
        {
            var segmentId = await ActivityInput.SegmentAsync(connection, workspaceId, input.SegmentId);
            await connection.ExecuteAsync(
                """
                INSERT INTO bargain_items (id, workspace_id, name, status, sku, product_name, category, original_price, floor_price, max_helps, first_cut_percent,
                    time_limit_minutes, stock, starts_at, ends_at, segment_id, new_helpers_only, helper_daily_cap, created_by, created_at, updated_at)
                VALUES (@id, @workspaceId, @name, @status, @sku, @productName, @category, @original, @floor, @helps, @first, @minutes, @stock, @startsAt, @endsAt,
                    @segmentId, @newOnly, @cap, @actor, @now, @now)
                """,
                new
                {
                    id, workspaceId, name, status, sku, productName, category, original, floor, helps, first, minutes, stock, startsAt, endsAt, segmentId,
                    newOnly = input.NewHelpersOnly ?? false, cap, actor, now,
                });
        }
        await audit.RecordAsync(workspaceId, actor, "bargain.created", $"bargain:{id}", new { name, sku, original, floor, helps });
        return await GetAsync(workspaceId, id);
    }

    /// <summary>Changes a bargain. Sessions already open keep the prices and N they were opened with.</summary>
    public async Task<BargainItem> UpdateAsync(Guid workspaceId, Guid id, BargainItemInput input, string actor)
    {
        await using var connection = await database.OpenAsync();
        var current = await GetAsync(connection, null, workspaceId, id);
        var name = input.Name is null ? current.Name : ActivityInput.Text(input.Name, "name", 100, required: true)!;
        var status = input.Status is null ? current.Status : Status(input.Status);
        var sku = input.Sku is null ? current.Sku : ActivityInput.Text(input.Sku, "sku", 64, required: true)!;
        var productName = input.ProductName is null ? current.ProductName : ActivityInput.Text(input.ProductName, "productName", 200, required: true)!;
        var category = input.Category is null ? current.Category : ActivityInput.Text(input.Category, "category", 64, required: false);
        var original = ActivityInput.Price(input.OriginalPrice, "originalPrice", required: false) ?? current.OriginalPrice;
        var floor = ActivityInput.Price(input.FloorPrice, "floorPrice", required: false) ?? current.FloorPrice;
        var helps = input.MaxHelps is { } h ? MaxHelps(h) : current.MaxHelps;
        Prices(original, floor, helps);
        var first = input.FirstCutPercent is { } f ? FirstCut(f) : current.FirstCutPercent;
        var minutes = input.TimeLimitMinutes is { } m ? TimeLimit(m) : current.TimeLimitMinutes;
        var stock = input.Stock is null ? current.Stock : input.Stock == 0 ? null : Stock(input.Stock);
        var cap = input.HelperDailyCap is null ? current.HelperDailyCap : input.HelperDailyCap == 0 ? null : Cap(input.HelperDailyCap);
        var startsAt = input.StartsAt ?? current.StartsAt;
        var endsAt = input.EndsAt ?? current.EndsAt;
        ActivityInput.Window(startsAt, endsAt);
        var segmentId = input.SegmentId is null ? current.SegmentId : await ActivityInput.SegmentAsync(connection, workspaceId, input.SegmentId);
        var changed = await connection.ExecuteAsync(
            """
            UPDATE bargain_items SET name = @name, status = @status, sku = @sku, product_name = @productName, category = @category, original_price = @original,
                floor_price = @floor, max_helps = @helps, first_cut_percent = @first, time_limit_minutes = @minutes, stock = @stock, starts_at = @startsAt,
                ends_at = @endsAt, segment_id = @segmentId, new_helpers_only = @newOnly, helper_daily_cap = @cap, updated_at = @now
            WHERE id = @id AND workspace_id = @workspaceId AND (@stock IS NULL OR sold <= @stock)
            """,
            new
            {
                id, workspaceId, name, status, sku, productName, category, original, floor, helps, first, minutes, stock, startsAt, endsAt, segmentId,
                newOnly = input.NewHelpersOnly ?? current.NewHelpersOnly, cap, now = clock.GetUtcNow(),
            });
        if (changed == 0)
            throw new ConflictException($"stock cannot go below the {(await GetAsync(connection, null, workspaceId, id)).Sold} units already sold.");
        await audit.RecordAsync(workspaceId, actor, "bargain.updated", $"bargain:{id}", new { name, status, floor, helps, stock });
        return await GetAsync(connection, null, workspaceId, id);
    }

    private static string Status(string status) =>
        GameStatuses.All.Contains(status.Trim().ToLowerInvariant()) ? status.Trim().ToLowerInvariant()
            : throw new ValidationFailedException("status is active or paused.", "status");

    private static int MaxHelps(int helps) =>
        helps is >= 1 and <= 100 ? helps : throw new ValidationFailedException("maxHelps must be between 1 and 100.", "maxHelps");

    private static void Prices(long original, long floor, int helps)
    {
        if (floor >= original)
            throw new ValidationFailedException("floorPrice must be below originalPrice.", "floorPrice");
        if (original - floor < helps)
            throw new ValidationFailedException($"originalPrice − floorPrice must be at least maxHelps fen (¥{helps / 100m:0.00}) so that every help cuts at least ¥0.01.", "floorPrice");
    }

    private static int FirstCut(int percent) =>
        percent is >= 1 and <= 90 ? percent : throw new ValidationFailedException("firstCutPercent must be between 1 and 90.", "firstCutPercent");

    private static int TimeLimit(int minutes) =>
        minutes is >= 1 and <= 43200 ? minutes : throw new ValidationFailedException("timeLimitMinutes must be between 1 and 43200 (30 days).", "timeLimitMinutes");

    private static int? Stock(int? stock) => stock switch
    {
        null => null,
        >= 1 and <= 1_000_000 => stock,
        _ => throw new ValidationFailedException("stock must be between 1 and 1,000,000 (or left out for no limit).", "stock"),
    };

    private static int? Cap(int? cap) => cap switch
    {
        null => null,
        >= 1 and <= 1000 => cap,
        _ => throw new ValidationFailedException("helperDailyCap must be between 1 and 1000 helps a day (or left out for no cap).", "helperDailyCap"),
    };

    /// <summary>Opens a session at the original price; a participant holds at most one live (open or reached) session per item.</summary>
    public async Task<BargainOpenOutcome> OpenAsync(Guid workspaceId, Guid itemId, Guid? customerId, string? userId)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        var item = await GetAsync(connection, null, workspaceId, itemId);
        var customer = await ActivityCustomers.ResolveAsync(connection, workspaceId, customerId, userId);
        if (item.Status == GameStatuses.Paused)
            return new(null, false, GameRefusals.Paused, "The bargain is paused.");
        if (now < item.StartsAt)
            return new(null, false, GameRefusals.NotStarted, $"The bargain starts at {item.StartsAt:u}.");
        if (now >= item.EndsAt)
            return new(null, false, GameRefusals.Ended, $"The bargain ended at {item.EndsAt:u}.");
        if (item.Remaining is <= 0)
            return new(null, false, GameRefusals.SoldOut, "Sold out: every unit was bought.");
        if (item.SegmentId is { } segmentId && !await GameRules.InSegmentAsync(connection, segmentId, customer))
            return new(null, false, GameRefusals.NotInAudience, "This customer is not in the bargain's audience segment.");

        await connection.ExecuteAsync(
            "UPDATE bargain_sessions SET state = 'expired' WHERE item_id = @itemId AND customer_id = @customer AND state IN ('open', 'reached') AND expires_at <= @now",
            new { itemId, customer, now });
        if (await LiveSessionAsync(connection, itemId, customer) is { } live)
            return new(await SessionAsync(connection, workspaceId, live), false, null, null);
        var id = Guid.CreateVersion7(now);
        var expires = now.AddMinutes(item.TimeLimitMinutes);
        try
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO bargain_sessions (id, workspace_id, item_id, customer_id, code, state, original_price, floor_price, max_helps, current_price, helps, opened_at, expires_at)
                VALUES (@id, @workspaceId, @itemId, @customer, @code, 'open', @OriginalPrice, @FloorPrice, @MaxHelps, @OriginalPrice, 0, @now, @expires)
                """,
                new { id, workspaceId, itemId, customer, code = GameRules.NewCode(), item.OriginalPrice, item.FloorPrice, item.MaxHelps, now, expires = expires < item.EndsAt ? expires : item.EndsAt });
        }
        catch (DbException e) when (Database.IsUniqueViolation(e))
        {
            var raced = await LiveSessionAsync(connection, itemId, customer) ?? throw new ConflictException("The request clashed with a concurrent one; try again.");
            return new(await SessionAsync(connection, workspaceId, raced), false, null, null);
        }
        return new(await SessionAsync(connection, workspaceId, id), true, null, null);
    }

    private static Task<Guid?> LiveSessionAsync(DbConnection connection, Guid itemId, Guid customer) =>
        connection.QuerySingleOrDefaultAsync<Guid?>(
            "SELECT id FROM bargain_sessions WHERE item_id = @itemId AND customer_id = @customer AND state IN ('open', 'reached')", new { itemId, customer });

    /// <summary>
    /// A friend cuts the price through the session's share code. The session is locked, the cut computed from what is
    /// left and applied with the help row (UNIQUE per friend) and the helper's daily cap, all in one transaction.
    /// </summary>
    public async Task<BargainCutOutcome> CutAsync(Guid? workspaceId, string code, Guid? helperId, string? userId)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        var session = await ByCodeAsync(connection, null, code, forUpdate: false);
        if (session is null || (workspaceId is { } ws && session.WorkspaceId != ws))
            throw new NotFoundException($"No bargain session with code '{code}'.");
        var item = await GetAsync(connection, null, session.WorkspaceId, session.ItemId);
        var helper = await ActivityCustomers.ResolveAsync(connection, session.WorkspaceId, helperId, userId);
        if (helper == session.CustomerId)
            return BargainCutOutcome.Refused(GameRefusals.SelfHelp, "The participant cannot cut their own price; share the bargain with friends.");
        if (await CutOfAsync(connection, session.Id, helper) is { } earlier)
            return new(await SessionAsync(connection, session.WorkspaceId, session.Id), earlier, false, GameRefusals.AlreadyHelped, "This friend already cut; a friend counts once.");
        if (Refusal(session, now) is { } refused)
            return refused;
        if (item.Status == GameStatuses.Paused)
            return BargainCutOutcome.Refused(GameRefusals.Paused, "The bargain is paused.");
        if (item.NewHelpersOnly && !await GameRules.IsNewAsync(connection, helper, session.OpenedAt))
            return BargainCutOutcome.Refused(GameRefusals.NotNewCustomer, "Only new customers may help in this bargain, and this friend was already a customer.");
        var zone = await LoyaltyDb.ZoneAsync(connection, null, session.WorkspaceId);
        var day = LoyaltyDb.DayNumber(LoyaltyDb.LocalDay(now, zone));

        BargainCut cut;
        await using (var transaction = await LoyaltyDb.BeginAsync(database, connection))
        {
            var locked = (await ByCodeAsync(connection, transaction, code, forUpdate: !database.IsSqlite))!;
            if (Refusal(locked, now) is { } late)
            {
                await transaction.RollbackAsync();
                return late;
            }
            var amount = BargainCuts.Next(locked.CurrentPrice - locked.FloorPrice, locked.MaxHelps - locked.Helps, locked.Helps == 0, item.FirstCutPercent,
                n => RandomNumberGenerator.GetInt32((int)Math.Min(n, int.MaxValue)));
            var price = locked.CurrentPrice - amount;
            var reached = price == locked.FloorPrice;
            // The WHERE repeats what the lock guarantees, so a cut computed from a stale read could never apply.
            var applied = await connection.ExecuteAsync(
                """
                UPDATE bargain_sessions SET current_price = @price, helps = helps + 1,
                    state = CASE WHEN @reached THEN 'reached' ELSE state END, reached_at = CASE WHEN @reached THEN @now ELSE reached_at END
                WHERE id = @id AND state = 'open' AND helps = @seen AND current_price = @before AND @price >= floor_price
                """, new { id = locked.Id, price, reached, now, seen = locked.Helps, before = locked.CurrentPrice }, transaction);
            if (applied != 1)
            {
                await transaction.RollbackAsync();
                throw new ConflictException("The bargain changed while this cut was computed; try again.");
            }
            cut = new BargainCut
            {
                Id = Guid.CreateVersion7(now), SessionId = locked.Id, HelperCustomerId = helper, Seq = locked.Helps + 1, Amount = amount, PriceAfter = price, CutAt = now,
            };
            try
            {
                await connection.ExecuteAsync(
                    """
                    INSERT INTO bargain_cuts (id, workspace_id, item_id, session_id, helper_customer_id, seq, amount, price_after, day, cut_at)
                    VALUES (@Id, @workspaceId, @itemId, @SessionId, @HelperCustomerId, @Seq, @Amount, @PriceAfter, @day, @CutAt)
                    """, new { cut.Id, workspaceId = locked.WorkspaceId, itemId = item.Id, cut.SessionId, cut.HelperCustomerId, cut.Seq, cut.Amount, cut.PriceAfter, day, cut.CutAt },
                    transaction);
            }
            catch (DbException e) when (Database.IsUniqueViolation(e))
            {
                await transaction.RollbackAsync();
                return new(await SessionAsync(connection, session.WorkspaceId, session.Id), await CutOfAsync(connection, session.Id, helper), false,
                    GameRefusals.AlreadyHelped, "This friend already cut; a friend counts once.");
            }
            if (item.HelperDailyCap is { } cap && !await GameRules.TakeDailyHelpAsync(connection, transaction, item.Id, helper, day, cap))
            {
                await transaction.RollbackAsync();
                return BargainCutOutcome.Refused(GameRefusals.DailyCap, $"This friend already gave {cap} help(s) on this bargain today; come back tomorrow.");
            }
            await transaction.CommitAsync();
        }
        return new(await SessionAsync(connection, session.WorkspaceId, session.Id), cut, true, null, null);
    }

    private static BargainCutOutcome? Refusal(BargainSession session, DateTimeOffset now) => session.StateAt(now) switch
    {
        BargainStates.Reached => BargainCutOutcome.Refused(GameRefusals.FloorReached, $"The price already reached the floor of ¥{session.FloorPrice / 100m:0.00}."),
        BargainStates.Purchased => BargainCutOutcome.Refused(GameRefusals.Purchased, "The participant already bought at the bargained price."),
        BargainStates.Expired => BargainCutOutcome.Refused(GameRefusals.Expired, "The bargain session ran out of time."),
        _ => null,
    };

    /// <summary>
    /// Buys at the floor price: only a session that reached it and has not expired; one unit of stock is taken by a
    /// conditional UPDATE and the order recorded through the order book (source bargain) in the same transaction.
    /// </summary>
    public async Task<BargainPurchaseOutcome> PurchaseAsync(Guid workspaceId, Guid itemId, Guid sessionId)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        var item = await GetAsync(connection, null, workspaceId, itemId);
        var session = await SessionAsync(connection, workspaceId, sessionId);
        if (session.ItemId != itemId)
            throw new NotFoundException($"No session {sessionId} in bargain {itemId}.");
        var orderId = $"BG-{session.Code}";
        Func<Task> after;
        await using (var transaction = await LoyaltyDb.BeginAsync(database, connection))
        {
            var taken = await connection.ExecuteAsync(
                "UPDATE bargain_sessions SET state = 'purchased', purchased_at = @now, order_id = @orderId WHERE id = @sessionId AND state = 'reached' AND expires_at > @now",
                new { sessionId, now, orderId }, transaction);
            if (taken == 0)
            {
                await transaction.RollbackAsync();
                return session.StateAt(now) switch
                {
                    BargainStates.Open => new(null, GameRefusals.NotReached, $"The price is ¥{session.CurrentPrice / 100m:0.00}; friends must cut it to the floor of ¥{session.FloorPrice / 100m:0.00} first."),
                    BargainStates.Purchased => new(null, GameRefusals.Purchased, $"Already bought (order {session.OrderId})."),
                    _ => new(null, GameRefusals.Expired, "The bargain session ran out of time."),
                };
            }
            if (await connection.ExecuteAsync("UPDATE bargain_items SET sold = sold + 1 WHERE id = @itemId AND (stock IS NULL OR sold < stock)", new { itemId }, transaction) == 0)
            {
                await transaction.RollbackAsync();
                return new(null, GameRefusals.SoldOut, "Sold out: every unit was bought.");
            }
            var context = new OrderEffectContext(database, connection, transaction, now);
            await orders.RecordInAsync(context, workspaceId, session.CustomerId, new OrderInput
            {
                OrderId = orderId, CustomerId = session.CustomerId, PlacedAt = now, SalesChannel = SalesChannels.MiniProgram, PrivateDomain = true,
                Items = [new OrderLineInput(item.Sku, item.ProductName, item.Category, Money.FromFen(session.FloorPrice), 1)],
                Paid = Money.FromFen(session.FloorPrice), Source = OrderSources.Bargain,
            });
            await transaction.CommitAsync();
            after = () => orders.AfterCommitAsync(context, workspaceId);
        }
        await after();
        return new(await SessionAsync(connection, workspaceId, sessionId), null, null);
    }

    private static async Task<BargainCut?> CutOfAsync(DbConnection connection, Guid sessionId, Guid helper) =>
        await connection.QuerySingleOrDefaultAsync<BargainCut>(
            $"{CutSelect} WHERE b.session_id = @sessionId AND b.helper_customer_id = @helper", new { sessionId, helper });

    private const string CutSelect =
        """
        SELECT b.id AS Id, b.session_id AS SessionId, b.helper_customer_id AS HelperCustomerId, c.display_name AS DisplayName, b.seq AS Seq, b.amount AS Amount,
               b.price_after AS PriceAfter, b.cut_at AS CutAt
        FROM bargain_cuts b LEFT JOIN customers c ON c.id = b.helper_customer_id
        """;

    private static Task<BargainSession?> ByCodeAsync(DbConnection connection, DbTransaction? transaction, string code, bool forUpdate) =>
        connection.QuerySingleOrDefaultAsync<BargainSession>(
            $"SELECT * FROM bargain_sessions WHERE code = @code{(forUpdate ? " FOR UPDATE" : "")}", new { code = GameRules.NormalizeCode(code) }, transaction);

    private const string SessionSelect =
        "SELECT s.*, c.display_name AS DisplayName FROM bargain_sessions s LEFT JOIN customers c ON c.id = s.customer_id";

    private static async Task<BargainSession> SessionAsync(DbConnection connection, Guid workspaceId, Guid sessionId)
    {
        var session = await connection.QuerySingleOrDefaultAsync<BargainSession>(
            $"{SessionSelect} WHERE s.id = @sessionId AND s.workspace_id = @workspaceId", new { sessionId, workspaceId })
            ?? throw new NotFoundException($"No bargain session {sessionId} in this workspace.");
        session.Cuts = (await connection.QueryAsync<BargainCut>($"{CutSelect} WHERE b.session_id = @sessionId ORDER BY b.seq", new { sessionId })).AsList();
        return session;
    }

    public async Task<BargainSession> GetSessionAsync(Guid workspaceId, Guid sessionId)
    {
        await using var connection = await database.OpenAsync();
        return await SessionAsync(connection, workspaceId, sessionId);
    }

    /// <summary>A session by its share code, for a share page (the code is the key; no workspace needed).</summary>
    public async Task<(BargainSession Session, BargainItem Item)?> FindAsync(string code)
    {
        if (code.Length is 0 or > 32)
            return null;
        await using var connection = await database.OpenAsync();
        if (await ByCodeAsync(connection, null, code, forUpdate: false) is not { } found)
            return null;
        return (await SessionAsync(connection, found.WorkspaceId, found.Id), await GetAsync(connection, null, found.WorkspaceId, found.ItemId));
    }

    public async Task<IReadOnlyList<BargainSession>> ListSessionsAsync(Guid workspaceId, Guid itemId, string? state, int limit)
    {
        if (state is not null && !BargainStates.All.Contains(state))
            throw new ValidationFailedException("state is open, reached, purchased or expired.", "state");
        await using var connection = await database.OpenAsync();
        await GetAsync(connection, null, workspaceId, itemId);
        var filter = state switch
        {
            null => "",
            BargainStates.Open or BargainStates.Reached => "AND s.state = @state AND s.expires_at > @now",
            BargainStates.Expired => "AND (s.state = 'expired' OR (s.state IN ('open', 'reached') AND s.expires_at <= @now))",
            _ => "AND s.state = @state",
        };
        return (await connection.QueryAsync<BargainSession>(
            $"{SessionSelect} WHERE s.item_id = @itemId AND s.workspace_id = @workspaceId {filter} ORDER BY s.opened_at DESC, s.id DESC LIMIT @limit",
            new { itemId, workspaceId, state, now = clock.GetUtcNow(), limit = Math.Clamp(limit, 1, 500) })).AsList();
    }

    public async Task<BargainCounters> CountersAsync(Guid workspaceId, Guid itemId)
    {
        await using var connection = await database.OpenAsync();
        var item = await GetAsync(connection, null, workspaceId, itemId);
        var now = clock.GetUtcNow();
        var rows = await connection.QuerySingleAsync<SessionCounts>(
            """
            SELECT COUNT(*) AS Sessions,
                   COALESCE(SUM(CASE WHEN state = 'open' AND expires_at > @now THEN 1 ELSE 0 END), 0) AS Open,
                   COALESCE(SUM(CASE WHEN state = 'reached' AND expires_at > @now THEN 1 ELSE 0 END), 0) AS Reached,
                   COALESCE(SUM(CASE WHEN state = 'purchased' THEN 1 ELSE 0 END), 0) AS Purchased,
                   COALESCE(SUM(CASE WHEN state = 'expired' OR (state IN ('open', 'reached') AND expires_at <= @now) THEN 1 ELSE 0 END), 0) AS Expired,
                   COALESCE(SUM(helps), 0) AS Cuts,
                   COALESCE(SUM(original_price - current_price), 0) AS CutTotal
            FROM bargain_sessions WHERE item_id = @itemId
            """, new { itemId, now });
        return new BargainCounters(item.Id, item.StateAt(now), (int)rows.Sessions, (int)rows.Open, (int)rows.Reached, (int)rows.Purchased, (int)rows.Expired,
            (int)rows.Cuts, rows.CutTotal, item.Stock, item.Sold, item.Remaining);
    }

    /// <summary>Marks open or reached sessions whose time ran out as expired (all workspaces); returns how many.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE bargain_sessions SET state = 'expired' WHERE state IN ('open', 'reached') AND expires_at <= @now", new { now = clock.GetUtcNow() });
    }

    private sealed class SessionCounts
    {
        public long Sessions { get; init; }
        public long Open { get; init; }
        public long Reached { get; init; }
        public long Purchased { get; init; }
        public long Expired { get; init; }
        public long Cuts { get; init; }
        public long CutTotal { get; init; }
    }
}
