using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Activities;

/// <summary>
/// Group buys (拼团): a leader opens a group, others join through its share code; the N-th member completes it and
/// every member's order is recorded; a group not full in time expires and every member is refunded (simulated).
/// member_count grows only by a conditional UPDATE (member_count &lt; group_size), and (group, customer) is unique, so no
/// group exceeds N and nobody joins twice, however many join at once.
/// </summary>
internal sealed class GroupBuys(Database database, AuditLog audit, TimeProvider clock, ActivityOrders orders)
{
    private const string CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

    public async Task<IReadOnlyList<GroupBuy>> ListAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<GroupBuy>(
            "SELECT * FROM group_buys WHERE workspace_id = @workspaceId ORDER BY starts_at DESC, id DESC", new { workspaceId })).AsList();
    }

    public async Task<GroupBuy> GetAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await GetAsync(connection, null, workspaceId, id);
    }

    private static async Task<GroupBuy> GetAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid id) =>
        await connection.QuerySingleOrDefaultAsync<GroupBuy>(
            "SELECT * FROM group_buys WHERE id = @id AND workspace_id = @workspaceId", new { id, workspaceId }, transaction)
        ?? throw new NotFoundException($"No group buy {id} in this workspace.");

    public async Task<GroupBuy> CreateAsync(Guid workspaceId, GroupBuyInput input, string actor)
    {
        var now = clock.GetUtcNow();
        var name = ActivityInput.Text(input.Name, "name", 100, required: true)!;
        var sku = ActivityInput.Text(input.Sku, "sku", 64, required: true)!;
        var productName = ActivityInput.Text(input.ProductName, "productName", 200, required: false) ?? name;
        var category = ActivityInput.Text(input.Category, "category", 64, required: false);
        var original = ActivityInput.Price(input.OriginalPrice, "originalPrice", required: true)!.Value;
        var price = ActivityInput.Price(input.GroupPrice, "groupPrice", required: true)!.Value;
        if (price > original)
            throw new ValidationFailedException("groupPrice must not be above originalPrice.", "groupPrice");
        var size = Size(input.GroupSize ?? throw new ValidationFailedException("groupSize is required: how many people make a group (2 to 50).", "groupSize"));
        var minutes = TimeLimit(input.TimeLimitMinutes ?? 1440);
        var stock = Stock(input.Stock);
        var startsAt = input.StartsAt ?? throw new ValidationFailedException("startsAt is required (ISO 8601 with offset).", "startsAt");
        var endsAt = input.EndsAt ?? throw new ValidationFailedException("endsAt is required (ISO 8601 with offset).", "endsAt");
        ActivityInput.Window(startsAt, endsAt);
        var id = Guid.CreateVersion7(now);
        await using (var connection = await database.OpenAsync())
            await connection.ExecuteAsync(
                """
                INSERT INTO group_buys (id, workspace_id, name, sku, product_name, category, original_price, group_price, group_size, time_limit_minutes,
                    stock, starts_at, ends_at, created_by, created_at, updated_at)
                VALUES (@id, @workspaceId, @name, @sku, @productName, @category, @original, @price, @size, @minutes, @stock, @startsAt, @endsAt, @actor, @now, @now)
                """, new { id, workspaceId, name, sku, productName, category, original, price, size, minutes, stock, startsAt, endsAt, actor, now });
        await audit.RecordAsync(workspaceId, actor, "group_buy.created", $"group_buy:{id}", new { name, sku, size });
        return await GetAsync(workspaceId, id);
    }

    /// <summary>Changes a group buy. Groups already open keep the size they were opened with.</summary>
    public async Task<GroupBuy> UpdateAsync(Guid workspaceId, Guid id, GroupBuyInput input, string actor)
    {
        var current = await GetAsync(workspaceId, id);
        var name = input.Name is null ? current.Name : ActivityInput.Text(input.Name, "name", 100, required: true)!;
        var sku = input.Sku is null ? current.Sku : ActivityInput.Text(input.Sku, "sku", 64, required: true)!;
        var productName = input.ProductName is null ? current.ProductName : ActivityInput.Text(input.ProductName, "productName", 200, required: true)!;
        var category = input.Category is null ? current.Category : ActivityInput.Text(input.Category, "category", 64, required: false);
        var original = ActivityInput.Price(input.OriginalPrice, "originalPrice", required: false) ?? current.OriginalPrice;
        var price = ActivityInput.Price(input.GroupPrice, "groupPrice", required: false) ?? current.GroupPrice;
        if (price > original)
            throw new ValidationFailedException("groupPrice must not be above originalPrice.", "groupPrice");
        var size = input.GroupSize is { } s ? Size(s) : current.GroupSize;
        var minutes = input.TimeLimitMinutes is { } m ? TimeLimit(m) : current.TimeLimitMinutes;
        var stock = input.Stock is null ? current.Stock : input.Stock == 0 ? null : Stock(input.Stock);
        var startsAt = input.StartsAt ?? current.StartsAt;
        var endsAt = input.EndsAt ?? current.EndsAt;
        ActivityInput.Window(startsAt, endsAt);
        await using (var connection = await database.OpenAsync())
        {
            var changed = await connection.ExecuteAsync(
                """
                UPDATE group_buys SET name = @name, sku = @sku, product_name = @productName, category = @category, original_price = @original,
                    group_price = @price, group_size = @size, time_limit_minutes = @minutes, stock = @stock, starts_at = @startsAt, ends_at = @endsAt, updated_at = @now
                WHERE id = @id AND workspace_id = @workspaceId AND (@stock IS NULL OR reserved + sold <= @stock)
                """, new { id, workspaceId, name, sku, productName, category, original, price, size, minutes, stock, startsAt, endsAt, now = clock.GetUtcNow() });
            if (changed == 0)
            {
                var latest = await GetAsync(connection, null, workspaceId, id);
                throw new ConflictException($"stock cannot go below the {latest.Reserved + latest.Sold} units already held by groups or sold.");
            }
        }
        await audit.RecordAsync(workspaceId, actor, "group_buy.updated", $"group_buy:{id}", new { name, size, stock });
        return await GetAsync(workspaceId, id);
    }

    private static int Size(int size) =>
        size is >= 2 and <= 50 ? size : throw new ValidationFailedException("groupSize must be between 2 and 50.", "groupSize");

    private static int TimeLimit(int minutes) =>
        minutes is >= 1 and <= 10080 ? minutes : throw new ValidationFailedException("timeLimitMinutes must be between 1 and 10080 (a week).", "timeLimitMinutes");

    private static int? Stock(int? stock) => stock switch
    {
        null => null,
        >= 1 and <= FlashSales.MaxStock => stock,
        _ => throw new ValidationFailedException("stock must be between 1 and 1,000,000 (or left out for no limit).", "stock"),
    };

    /// <summary>The leader opens a group: one unit of stock is held for them and their payment recorded (simulated).</summary>
    public async Task<JoinOutcome> OpenAsync(Guid workspaceId, Guid groupBuyId, Guid? customerId, string? userId)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        var buy = await GetAsync(connection, null, workspaceId, groupBuyId);
        var leader = await ActivityCustomers.ResolveAsync(connection, workspaceId, customerId, userId);
        if (now < buy.StartsAt)
            return await RefuseAsync(connection, groupBuyId, GroupRefusals.NotStarted, $"The group buy starts at {buy.StartsAt:u}.");
        if (now >= buy.EndsAt)
            return await RefuseAsync(connection, groupBuyId, GroupRefusals.Ended, $"The group buy ended at {buy.EndsAt:u}.");

        var group = new BuyGroup
        {
            Id = Guid.CreateVersion7(now), WorkspaceId = workspaceId, GroupBuyId = groupBuyId, Code = NewCode(), LeaderCustomerId = leader,
            State = GroupStates.Open, GroupSize = buy.GroupSize, MemberCount = 1, OpenedAt = now, ExpiresAt = now.AddMinutes(buy.TimeLimitMinutes),
        };
        await using (var transaction = await FlashSales.BeginAsync(connection))
        {
            if (!await HoldUnitAsync(connection, transaction, groupBuyId, opening: true))
            {
                await transaction.RollbackAsync();
                return await RefuseAsync(connection, groupBuyId, GroupRefusals.SoldOut, "Sold out: every unit is held by a group or sold.");
            }
            await connection.ExecuteAsync(
                """
                INSERT INTO group_buy_groups (id, workspace_id, group_buy_id, code, leader_customer_id, state, group_size, member_count, opened_at, expires_at)
                VALUES (@Id, @WorkspaceId, @GroupBuyId, @Code, @LeaderCustomerId, @State, @GroupSize, @MemberCount, @OpenedAt, @ExpiresAt)
                """, group, transaction);
            await InsertMemberAsync(connection, transaction, group, leader, 1, buy.GroupPrice, now);
            await transaction.CommitAsync();
        }
        var opened = await GroupAsync(connection, workspaceId, group.Id);
        return new JoinOutcome(opened, opened.Members[0], null, null);
    }

    /// <summary>
    /// Joins a group by its code: the seat is taken by a conditional update, the unit held, the payment recorded; the
    /// member who fills the last seat completes the group and every member's order is recorded, all in one transaction.
    /// </summary>
    public async Task<JoinOutcome> JoinAsync(Guid? workspaceId, string code, Guid? customerId, string? userId)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        var found = await FindByCodeAsync(connection, code);
        if (found is null || (workspaceId is { } ws && found.WorkspaceId != ws))
            throw new NotFoundException($"No group with code '{code}'.");
        var buy = await GetAsync(connection, null, found.WorkspaceId, found.GroupBuyId);
        var customer = await ActivityCustomers.ResolveAsync(connection, found.WorkspaceId, customerId, userId);
        if (await connection.ExecuteScalarAsync<int>(
                "SELECT COUNT(*) FROM group_buy_members WHERE group_id = @Id AND customer_id = @customer", new { found.Id, customer }) > 0)
            return await RefuseAsync(connection, buy.Id, GroupRefusals.AlreadyJoined, "This customer is already in the group.");

        GroupMember? member = null;
        await using (var transaction = await FlashSales.BeginAsync(connection))
        {
            var seat = await connection.QuerySingleOrDefaultAsync<int?>(
                """
                UPDATE group_buy_groups SET member_count = member_count + 1
                WHERE id = @Id AND state = 'open' AND member_count < group_size AND expires_at > @now
                RETURNING member_count
                """, new { found.Id, now }, transaction);
            if (seat is not { } taken)
            {
                await transaction.RollbackAsync();
                var latest = (await FindByCodeAsync(connection, code))!;
                return latest.State switch
                {
                    GroupStates.Expired => await RefuseAsync(connection, buy.Id, GroupRefusals.Expired, "This group ran out of time."),
                    _ when latest.State == GroupStates.Open && latest.ExpiresAt <= now =>
                        await RefuseAsync(connection, buy.Id, GroupRefusals.Expired, "This group ran out of time."),
                    _ => await RefuseAsync(connection, buy.Id, GroupRefusals.Full, $"This group is full ({latest.GroupSize} of {latest.GroupSize})."),
                };
            }
            if (!await HoldUnitAsync(connection, transaction, buy.Id, opening: false))
            {
                await transaction.RollbackAsync();
                return await RefuseAsync(connection, buy.Id, GroupRefusals.SoldOut, "Sold out: every unit is held by a group or sold.");
            }
            try
            {
                member = await InsertMemberAsync(connection, transaction, found, customer, taken, buy.GroupPrice, now);
            }
            catch (DbException e) when (Database.IsUniqueViolation(e))
            {
                await transaction.RollbackAsync();
                return await RefuseAsync(connection, buy.Id, GroupRefusals.AlreadyJoined, "This customer is already in the group.");
            }

            Func<Task> after = () => Task.CompletedTask;
            if (taken == found.GroupSize)
                after = await CompleteAsync(connection, transaction, buy, found, now);
            await transaction.CommitAsync();
            await after();
        }
        var group = await GroupAsync(connection, found.WorkspaceId, found.Id);
        return new JoinOutcome(group, group.Members.First(m => m.Id == member!.Id), null, null);
    }

    private async Task<Func<Task>> CompleteAsync(DbConnection connection, DbTransaction transaction, GroupBuy buy, BuyGroup group, DateTimeOffset now)
    {
        await connection.ExecuteAsync("UPDATE group_buy_groups SET state = 'complete', closed_at = @now WHERE id = @Id", new { group.Id, now }, transaction);
        await connection.ExecuteAsync(
            "UPDATE group_buys SET reserved = reserved - @n, sold = sold + @n, groups_completed = groups_completed + 1, updated_at = @now WHERE id = @Id",
            new { buy.Id, n = group.GroupSize, now }, transaction);
        var members = (await connection.QueryAsync<GroupMember>(
            "SELECT * FROM group_buy_members WHERE group_id = @Id ORDER BY seat", new { group.Id }, transaction)).AsList();
        foreach (var member in members)
            await connection.ExecuteAsync("UPDATE group_buy_members SET state = 'ordered', order_id = @orderId WHERE id = @Id",
                new { member.Id, orderId = OrderId(group, member) }, transaction);
        return await orders.GroupAsync(connection, transaction, now, buy, group, members);
    }

    internal static string OrderId(BuyGroup group, GroupMember member) => $"GB-{group.Code}-{member.Seat}";

    private static async Task<bool> HoldUnitAsync(DbConnection connection, DbTransaction transaction, Guid groupBuyId, bool opening) =>
        await connection.ExecuteAsync(
            $"""
            UPDATE group_buys SET reserved = reserved + 1 {(opening ? ", groups_opened = groups_opened + 1" : "")}
            WHERE id = @groupBuyId AND (stock IS NULL OR reserved + sold < stock)
            """, new { groupBuyId }, transaction) == 1;

    private static async Task<GroupMember> InsertMemberAsync(DbConnection connection, DbTransaction transaction, BuyGroup group, Guid customer, int seat, long price, DateTimeOffset now)
    {
        var member = new GroupMember
        {
            Id = Guid.CreateVersion7(now), GroupId = group.Id, CustomerId = customer, Seat = seat, State = MemberStates.Paid, PaidAmount = price,
            PaymentRef = $"SIM-PAY-{group.Code}-{seat}", JoinedAt = now,
        };
        await connection.ExecuteAsync(
            """
            INSERT INTO group_buy_members (id, workspace_id, group_id, customer_id, seat, state, paid_amount, payment_ref, joined_at)
            VALUES (@Id, @workspaceId, @GroupId, @CustomerId, @Seat, @State, @PaidAmount, @PaymentRef, @JoinedAt)
            """, new { member.Id, workspaceId = group.WorkspaceId, member.GroupId, member.CustomerId, member.Seat, member.State, member.PaidAmount, member.PaymentRef, member.JoinedAt },
            transaction);
        return member;
    }

    private static async Task<JoinOutcome> RefuseAsync(DbConnection connection, Guid groupBuyId, string reason, string message)
    {
        await connection.ExecuteAsync("UPDATE group_buys SET joins_refused = joins_refused + 1 WHERE id = @groupBuyId", new { groupBuyId });
        return JoinOutcome.Refused(reason, message);
    }

    private static string NewCode()
    {
        Span<char> code = stackalloc char[10];
        for (var i = 0; i < code.Length; i++)
            code[i] = CodeAlphabet[RandomNumberGenerator.GetInt32(CodeAlphabet.Length)];
        return new string(code);
    }

    private static Task<BuyGroup?> FindByCodeAsync(DbConnection connection, string code) =>
        connection.QuerySingleOrDefaultAsync<BuyGroup>("SELECT * FROM group_buy_groups WHERE code = @code", new { code = code.Trim().ToUpperInvariant() });

    /// <summary>A group with its members (for the share page: no workspace needed, the code is the key).</summary>
    public async Task<(BuyGroup Group, GroupBuy Buy)?> FindAsync(string code)
    {
        if (code.Length is 0 or > 32)
            return null;
        await using var connection = await database.OpenAsync();
        if (await FindByCodeAsync(connection, code) is not { } found)
            return null;
        var group = await GroupAsync(connection, found.WorkspaceId, found.Id);
        return (group, await GetAsync(connection, null, found.WorkspaceId, found.GroupBuyId));
    }

    public async Task<BuyGroup> GetGroupAsync(Guid workspaceId, Guid groupBuyId, Guid groupId)
    {
        await using var connection = await database.OpenAsync();
        var group = await GroupAsync(connection, workspaceId, groupId);
        return group.GroupBuyId == groupBuyId ? group : throw new NotFoundException($"No group {groupId} in group buy {groupBuyId}.");
    }

    private static async Task<BuyGroup> GroupAsync(DbConnection connection, Guid workspaceId, Guid groupId)
    {
        var group = await connection.QuerySingleOrDefaultAsync<BuyGroup>(
            "SELECT * FROM group_buy_groups WHERE id = @groupId AND workspace_id = @workspaceId", new { groupId, workspaceId })
            ?? throw new NotFoundException($"No group {groupId} in this workspace.");
        group.Members = (await MembersAsync(connection, [groupId])).ToList();
        return group;
    }

    private static async Task<IReadOnlyList<GroupMember>> MembersAsync(DbConnection connection, List<Guid> groupIds)
    {
        if (groupIds.Count == 0)
            return [];
        var sqlite = connection is Microsoft.Data.Sqlite.SqliteConnection;
        return (await connection.QueryAsync<GroupMember>(
            $"""
            SELECT m.*, c.display_name AS DisplayName, r.refunded_at AS RefundedAt
            FROM group_buy_members m
            LEFT JOIN customers c ON c.id = m.customer_id
            LEFT JOIN group_buy_refunds r ON r.member_id = m.id
            WHERE m.group_id {(sqlite ? "IN (SELECT value FROM json_each(@ids))" : "= ANY(@ids)")}
            ORDER BY m.group_id, m.seat
            """, new { ids = sqlite ? (object)System.Text.Json.JsonSerializer.Serialize(groupIds.Select(g => g.ToString())) : groupIds.ToArray() })).AsList();
    }

    /// <summary>A group buy's groups in one state (newest first), with their members.</summary>
    public async Task<IReadOnlyList<BuyGroup>> ListGroupsAsync(Guid workspaceId, Guid groupBuyId, string? state, int limit)
    {
        await using var connection = await database.OpenAsync();
        await GetAsync(connection, null, workspaceId, groupBuyId);
        if (state is not null and not (GroupStates.Open or GroupStates.Complete or GroupStates.Expired))
            throw new ValidationFailedException("state is open, complete or expired.", "state");
        var groups = (await connection.QueryAsync<BuyGroup>(
            $"""
            SELECT * FROM group_buy_groups WHERE group_buy_id = @groupBuyId AND workspace_id = @workspaceId {(state is null ? "" : "AND state = @state")}
            ORDER BY opened_at DESC, id DESC LIMIT @limit
            """, new { groupBuyId, workspaceId, state, limit = Math.Clamp(limit, 1, 200) })).AsList();
        var members = (await MembersAsync(connection, groups.Select(g => g.Id).ToList())).ToLookup(m => m.GroupId);
        foreach (var group in groups)
            group.Members = members[group.Id].ToList();
        return groups;
    }

    /// <summary>
    /// Expires every open group whose time ran out (all workspaces): the group closes, each member gets a refund record
    /// (simulated) and the units they held go back. Returns how many groups expired.
    /// </summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var total = 0;
        await using var connection = await database.OpenAsync(cancellationToken);
        while (true)
        {
            await using var transaction = await FlashSales.BeginAsync(connection);
            var expired = (await connection.QueryAsync<ExpiredGroup>(
                $"""
                UPDATE group_buy_groups SET state = 'expired', closed_at = @now
                WHERE id IN (SELECT id FROM group_buy_groups WHERE state = 'open' AND expires_at <= @now LIMIT 200{(database.IsSqlite ? "" : " FOR UPDATE SKIP LOCKED")})
                  AND state = 'open'
                RETURNING id AS Id, workspace_id AS WorkspaceId, group_buy_id AS GroupBuyId, member_count AS MemberCount
                """, new { now }, transaction)).AsList();
            foreach (var group in expired)
            {
                var members = (await connection.QueryAsync<GroupMember>(
                    "SELECT * FROM group_buy_members WHERE group_id = @Id", new { group.Id }, transaction)).AsList();
                foreach (var member in members)
                {
                    await connection.ExecuteAsync(
                        """
                        INSERT INTO group_buy_refunds (id, workspace_id, group_id, member_id, customer_id, amount, payment_ref, reason, refunded_at)
                        VALUES (@id, @WorkspaceId, @groupId, @memberId, @customerId, @amount, @paymentRef, 'group_expired', @now)
                        """,
                        new
                        {
                            id = Guid.CreateVersion7(now), group.WorkspaceId, groupId = group.Id, memberId = member.Id, customerId = member.CustomerId,
                            amount = member.PaidAmount, paymentRef = member.PaymentRef, now,
                        }, transaction);
                }
                await connection.ExecuteAsync("UPDATE group_buy_members SET state = 'refunded' WHERE group_id = @Id", new { group.Id }, transaction);
            }
            foreach (var buy in expired.GroupBy(g => g.GroupBuyId))
                await connection.ExecuteAsync(
                    "UPDATE group_buys SET reserved = reserved - @units, groups_expired = groups_expired + @groups WHERE id = @id",
                    new { id = buy.Key, units = buy.Sum(g => g.MemberCount), groups = buy.Count() }, transaction);
            await transaction.CommitAsync(cancellationToken);
            total += expired.Count;
            if (expired.Count < 200)
                return total;
        }
    }

    public async Task<GroupBuyCounters> CountersAsync(Guid workspaceId, Guid groupBuyId)
    {
        await using var connection = await database.OpenAsync();
        var buy = await GetAsync(connection, null, workspaceId, groupBuyId);
        var rows = await connection.QuerySingleAsync<GroupCounts>(
            """
            SELECT COALESCE(SUM(CASE WHEN state = 'open' THEN 1 ELSE 0 END), 0) AS Open,
                   COALESCE(SUM(CASE WHEN state = 'complete' THEN 1 ELSE 0 END), 0) AS Complete,
                   COALESCE(SUM(CASE WHEN state = 'expired' THEN 1 ELSE 0 END), 0) AS Expired,
                   COALESCE(SUM(member_count), 0) AS Participants,
                   (SELECT COUNT(*) FROM group_buy_refunds r JOIN group_buy_groups g ON g.id = r.group_id WHERE g.group_buy_id = @groupBuyId) AS Refunds
            FROM group_buy_groups WHERE group_buy_id = @groupBuyId
            """, new { groupBuyId });
        return new GroupBuyCounters(buy.Id, buy.StateAt(clock.GetUtcNow()), buy.Stock, buy.Reserved, buy.Sold, buy.Remaining,
            (int)rows.Open, (int)rows.Complete, (int)rows.Expired, (int)rows.Participants, (int)rows.Refunds, buy.JoinsRefused);
    }

    private sealed class ExpiredGroup
    {
        public Guid Id { get; init; }
        public Guid WorkspaceId { get; init; }
        public Guid GroupBuyId { get; init; }
        public int MemberCount { get; init; }
    }

    private sealed class GroupCounts
    {
        public long Open { get; init; }
        public long Complete { get; init; }
        public long Expired { get; init; }
        public long Participants { get; init; }
        public long Refunds { get; init; }
    }
}
