using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.Logging;
using Pond.Activities;
using Pond.Audience;
using Pond.Fission.Assists;
using Pond.Loyalty;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Fission.Lotteries;

/// <summary>
/// Lotteries (抽奖): a prize pool with stated probabilities and stock, entry rules (points cost, once per local day per
/// customer, optional segment). A draw rolls, picks with <see cref="LotteryPicker"/>, takes one unit of the picked
/// prize by UPDATE ... WHERE awarded &lt; stock (none left → no prize), delivers the reward and writes the entry — in the
/// same transaction as the points spend (PointsBook.SpendAlongsideAsync, keyed per customer and day). The entry's
/// UNIQUE (lottery, customer, day) and the spend's idempotency key make "once a day" hold under any race.
/// </summary>
internal sealed class Lotteries(Database database, AuditLog audit, TimeProvider clock, PointsBook points, GameRewards rewards, AudienceChanges changes,
    ILogger<Lotteries> logger)
{
    public const int MaxPrizes = 20;

    public async Task<IReadOnlyList<Lottery>> ListAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var lotteries = (await connection.QueryAsync<Lottery>(
            "SELECT * FROM lotteries WHERE workspace_id = @workspaceId ORDER BY starts_at DESC, id DESC", new { workspaceId })).AsList();
        var prizes = (await connection.QueryAsync<LotteryPrize>(
            "SELECT * FROM lottery_prizes WHERE workspace_id = @workspaceId ORDER BY position", new { workspaceId })).ToLookup(p => p.LotteryId);
        foreach (var lottery in lotteries)
            lottery.Prizes = prizes[lottery.Id].ToList();
        return lotteries;
    }

    public async Task<Lottery> GetAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await GetAsync(connection, null, workspaceId, id);
    }

    private static async Task<Lottery> GetAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid id)
    {
        var lottery = await connection.QuerySingleOrDefaultAsync<Lottery>(
            "SELECT * FROM lotteries WHERE id = @id AND workspace_id = @workspaceId", new { id, workspaceId }, transaction)
            ?? throw new NotFoundException($"No lottery {id} in this workspace.");
        lottery.Prizes = (await connection.QueryAsync<LotteryPrize>(
            "SELECT * FROM lottery_prizes WHERE lottery_id = @id ORDER BY position", new { id }, transaction)).AsList();
        return lottery;
    }

    public async Task<Lottery> CreateAsync(Guid workspaceId, LotteryInput input, string actor)
    {
        var now = clock.GetUtcNow();
        var name = ActivityInput.Text(input.Name, "name", 100, required: true)!;
        var status = Status(input.Status ?? GameStatuses.Active);
        var startsAt = input.StartsAt ?? throw new ValidationFailedException("startsAt is required (ISO 8601 with offset).", "startsAt");
        var endsAt = input.EndsAt ?? throw new ValidationFailedException("endsAt is required (ISO 8601 with offset).", "endsAt");
        ActivityInput.Window(startsAt, endsAt);
        var cost = Cost(input.PointsCost ?? 0);
        if (input.Prizes is not { Count: > 0 } prizeInputs)
            throw new ValidationFailedException($"prizes is required: 1 to {MaxPrizes} prizes, each with name, probability (percent), stock and reward.", "prizes");
        if (prizeInputs.Count > MaxPrizes)
            throw new ValidationFailedException($"A lottery has at most {MaxPrizes} prizes.", "prizes");
        var id = Guid.CreateVersion7(now);
        await using var connection = await database.OpenAsync();
        var segmentId = await ActivityInput.SegmentAsync(connection, workspaceId, input.SegmentId);
        var prizes = new List<LotteryPrize>();
        for (var i = 0; i < prizeInputs.Count; i++)
            prizes.Add(await PrizeAsync(connection, workspaceId, id, i, prizeInputs[i], null));
        CheckTotal(prizes);
        await using (var transaction = await LoyaltyDb.BeginAsync(database, connection))
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO lotteries (id, workspace_id, name, status, starts_at, ends_at, segment_id, points_cost, created_by, created_at, updated_at)
                VALUES (@id, @workspaceId, @name, @status, @startsAt, @endsAt, @segmentId, @cost, @actor, @now, @now)
                """, new { id, workspaceId, name, status, startsAt, endsAt, segmentId, cost, actor, now }, transaction);
            foreach (var prize in prizes)
                await InsertPrizeAsync(connection, transaction, workspaceId, prize);
            await transaction.CommitAsync();
        }
        await audit.RecordAsync(workspaceId, actor, "lottery.created", $"lottery:{id}", new { name, cost, prizes = prizes.Count });
        return await GetAsync(connection, null, workspaceId, id);
    }

    /// <summary>
    /// Changes a lottery. Prizes named by id change name, probability and stock (never below what was awarded); prizes
    /// without an id are added; a prize's reward stays what it was when the lottery was created (winners got that).
    /// </summary>
    public async Task<Lottery> UpdateAsync(Guid workspaceId, Guid id, LotteryInput input, string actor)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        var current = await GetAsync(connection, null, workspaceId, id);
        var name = input.Name is null ? current.Name : ActivityInput.Text(input.Name, "name", 100, required: true)!;
        var status = input.Status is null ? current.Status : Status(input.Status);
        var startsAt = input.StartsAt ?? current.StartsAt;
        var endsAt = input.EndsAt ?? current.EndsAt;
        ActivityInput.Window(startsAt, endsAt);
        var cost = input.PointsCost is { } c ? Cost(c) : current.PointsCost;
        var segmentId = input.SegmentId is null ? current.SegmentId : await ActivityInput.SegmentAsync(connection, workspaceId, input.SegmentId);
        var merged = current.Prizes.ToDictionary(p => p.Id);
        var added = new List<LotteryPrize>();
        var inputs = input.Prizes ?? [];
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Id is { } prizeId && prizeId != Guid.Empty)
            {
                var existing = merged.GetValueOrDefault(prizeId) ?? throw new ValidationFailedException($"prizes[{i}].id: no prize {prizeId} in this lottery.", $"prizes[{i}].id");
                merged[prizeId] = await PrizeAsync(connection, workspaceId, id, existing.Position, inputs[i], existing);
            }
            else
            {
                added.Add(await PrizeAsync(connection, workspaceId, id, current.Prizes.Count + added.Count, inputs[i], null));
            }
        }
        var all = merged.Values.Concat(added).ToList();
        if (all.Count > MaxPrizes)
            throw new ValidationFailedException($"A lottery has at most {MaxPrizes} prizes.", "prizes");
        CheckTotal(all);
        await using (var transaction = await LoyaltyDb.BeginAsync(database, connection))
        {
            await connection.ExecuteAsync(
                """
                UPDATE lotteries SET name = @name, status = @status, starts_at = @startsAt, ends_at = @endsAt, segment_id = @segmentId, points_cost = @cost, updated_at = @now
                WHERE id = @id
                """, new { id, name, status, startsAt, endsAt, segmentId, cost, now }, transaction);
            foreach (var prize in merged.Values)
            {
                var changed = await connection.ExecuteAsync(
                    "UPDATE lottery_prizes SET name = @Name, probability_ppm = @ProbabilityPpm, stock = @Stock WHERE id = @Id AND awarded <= @Stock",
                    prize, transaction);
                if (changed == 0)
                {
                    await transaction.RollbackAsync();
                    throw new ConflictException($"Prize '{prize.Name}': stock cannot go below the units already awarded.");
                }
            }
            foreach (var prize in added)
                await InsertPrizeAsync(connection, transaction, workspaceId, prize);
            await transaction.CommitAsync();
        }
        await audit.RecordAsync(workspaceId, actor, "lottery.updated", $"lottery:{id}", new { name, status, cost, prizes = all.Count });
        return await GetAsync(connection, null, workspaceId, id);
    }

    private static async Task<LotteryPrize> PrizeAsync(DbConnection connection, Guid workspaceId, Guid lotteryId, int position, LotteryPrizeInput input, LotteryPrize? existing)
    {
        var field = $"prizes[{position}]";
        var name = input.Name is null && existing is not null ? existing.Name : ActivityInput.Text(input.Name, $"{field}.name", 100, required: true)!;
        var ppm = existing?.ProbabilityPpm ?? 0;
        if (input.Probability is { } percent)
        {
            if (percent is <= 0 or > 100 || decimal.Round(percent, 4) != percent)
                throw new ValidationFailedException($"{field}.probability must be above 0 and at most 100 percent, with at most 4 decimals.", $"{field}.probability");
            ppm = (int)(percent * 10_000m);
        }
        else if (existing is null)
        {
            throw new ValidationFailedException($"{field}.probability is required: the chance per draw in percent (e.g. 2.5).", $"{field}.probability");
        }
        var stock = input.Stock ?? existing?.Stock ?? throw new ValidationFailedException($"{field}.stock is required: how many of this prize can be won.", $"{field}.stock");
        if (stock is < 0 or > 1_000_000)
            throw new ValidationFailedException($"{field}.stock must be between 0 and 1,000,000.", $"{field}.stock");
        var reward = existing?.Reward ?? await GameRewards.CheckAsync(connection, workspaceId, input.Reward, $"{field}.reward");
        return new LotteryPrize
        {
            Id = existing?.Id ?? Guid.CreateVersion7(), LotteryId = lotteryId, Position = position, Name = name, Kind = reward.Kind, TemplateId = reward.TemplateId,
            Points = reward.Points, Gift = reward.Gift, ProbabilityPpm = ppm, Stock = stock, Awarded = existing?.Awarded ?? 0,
        };
    }

    private static void CheckTotal(IReadOnlyList<LotteryPrize> prizes)
    {
        var total = prizes.Sum(p => (long)p.ProbabilityPpm);
        if (total > LotteryPicker.Scale)
            throw new ValidationFailedException($"The prizes' probabilities add up to {total / 10_000m:0.####}%; they must total at most 100% (the rest is no prize).", "prizes");
    }

    private static async Task InsertPrizeAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, LotteryPrize prize) =>
        await connection.ExecuteAsync(
            """
            INSERT INTO lottery_prizes (id, workspace_id, lottery_id, position, name, kind, template_id, points, gift, probability_ppm, stock, awarded)
            VALUES (@Id, @workspaceId, @LotteryId, @Position, @Name, @Kind, @TemplateId, @Points, @Gift, @ProbabilityPpm, @Stock, 0)
            """, new { prize.Id, workspaceId, prize.LotteryId, prize.Position, prize.Name, prize.Kind, prize.TemplateId, prize.Points, prize.Gift, prize.ProbabilityPpm, prize.Stock },
            transaction);

    private static string Status(string status) =>
        GameStatuses.All.Contains(status.Trim().ToLowerInvariant()) ? status.Trim().ToLowerInvariant()
            : throw new ValidationFailedException("status is active or paused.", "status");

    private static long Cost(long cost) =>
        cost is >= 0 and <= 1_000_000 ? cost : throw new ValidationFailedException("pointsCost must be between 0 (free) and 1,000,000 points.", "pointsCost");

    /// <summary>
    /// One draw for a customer; see the class summary for what makes it safe. At most one pooled connection is held at a
    /// time: the points spend opens its own, so the checks' connection is given back first (otherwise parallel draws
    /// could each hold one connection while waiting for a second and exhaust the pool).
    /// </summary>
    public async Task<DrawOutcome> DrawAsync(Guid workspaceId, Guid lotteryId, Guid? customerId, string? userId)
    {
        var now = clock.GetUtcNow();
        Lottery lottery;
        Guid customer;
        DateOnly localDay;
        await using (var connection = await database.OpenAsync())
        {
            lottery = await GetAsync(connection, null, workspaceId, lotteryId);
            customer = await ActivityCustomers.ResolveAsync(connection, workspaceId, customerId, userId);
            if (lottery.Status == GameStatuses.Paused)
                return DrawOutcome.Refused(GameRefusals.Paused, "The lottery is paused.");
            if (now < lottery.StartsAt)
                return DrawOutcome.Refused(GameRefusals.NotStarted, $"The lottery starts at {lottery.StartsAt:u}.");
            if (now >= lottery.EndsAt)
                return DrawOutcome.Refused(GameRefusals.Ended, $"The lottery ended at {lottery.EndsAt:u}.");
            if (lottery.SegmentId is { } segmentId && !await GameRules.InSegmentAsync(connection, segmentId, customer))
                return DrawOutcome.Refused(GameRefusals.NotInAudience, "This customer is not in the lottery's audience segment.");
            localDay = LoyaltyDb.LocalDay(now, await LoyaltyDb.ZoneAsync(connection, null, workspaceId));
            if (await DrawnTodayAsync(connection, lotteryId, customer, LoyaltyDb.DayNumber(localDay)))
                return AlreadyDrawn(localDay);
        }
        var day = LoyaltyDb.DayNumber(localDay);

        var roll = RandomNumberGenerator.GetInt32(LotteryPicker.Scale);
        var entryId = Guid.CreateVersion7(now);
        var ppm = lottery.Prizes.Select(p => p.ProbabilityPpm).ToList();
        var touched = false;

        async Task DrawInAsync(DbConnection c, DbTransaction t, PointsEntry? spend)
        {
            var (index, outcome) = await LotteryPicker.DecideAsync(ppm, roll, async i => await c.ExecuteAsync(
                "UPDATE lottery_prizes SET awarded = awarded + 1 WHERE id = @id AND awarded < stock", new { id = lottery.Prizes[i].Id }, t) == 1);
            var prize = index >= 0 ? lottery.Prizes[index] : null;
            string? reason = outcome == DrawOutcomes.OutOfStock ? $"Picked '{prize!.Name}', whose stock of {prize.Stock} is used up." : null;
            GameRewardIssued? issued = null;
            if (outcome == DrawOutcomes.Won)
            {
                try
                {
                    issued = await rewards.IssueAsync(c, t, now, workspaceId, customer, prize!.Reward, $"lottery:{entryId:N}", $"Lottery prize: {prize.Name}");
                    touched = prize.Kind != GameRewardKinds.Gift;
                }
                catch (Exception e) when (e is ConflictException or NotFoundException or ValidationFailedException)
                {
                    // The prize cannot be delivered (its coupon template ran out or was paused): its unit goes back and the draw gives no prize.
                    logger.LogWarning("Lottery {LotteryId} prize {PrizeId} could not be issued: {Reason}", lotteryId, prize!.Id, e.Message);
                    await c.ExecuteAsync("UPDATE lottery_prizes SET awarded = awarded - 1 WHERE id = @Id", new { prize.Id }, t);
                    (outcome, reason) = (DrawOutcomes.NoPrize, $"'{prize.Name}' could not be delivered: {e.Message}");
                }
            }
            await c.ExecuteAsync(
                """
                INSERT INTO lottery_entries (id, workspace_id, lottery_id, customer_id, day, roll, outcome, prize_id, points_spent, points_entry_id, coupon_id, reason, drawn_at)
                VALUES (@entryId, @workspaceId, @lotteryId, @customer, @day, @roll, @outcome, @prizeId, @cost, @spendId, @couponId, @reason, @now)
                """,
                new
                {
                    entryId, workspaceId, lotteryId, customer, day, roll, outcome, prizeId = prize?.Id, cost = spend is null ? 0 : lottery.PointsCost, spendId = spend?.Id,
                    couponId = issued?.CouponId, reason, now,
                }, t);
        }

        if (lottery.PointsCost > 0)
        {
            try
            {
                var spent = await points.SpendAlongsideAsync(workspaceId, customer, lottery.PointsCost, $"Lottery draw: {lottery.Name}", lotteryId.ToString(),
                    $"lottery:{lotteryId:N}:{customer:N}:{day}", null, (c, t, spend) => DrawInAsync(c, t, spend));
                if (spent.Replayed)
                    return AlreadyDrawn(localDay);
            }
            catch (ConflictException e)
            {
                await using var connection = await database.OpenAsync();
                return await DrawnTodayAsync(connection, lotteryId, customer, day) ? AlreadyDrawn(localDay) : DrawOutcome.Refused(GameRefusals.NotEnoughPoints, e.Message);
            }
        }
        else
        {
            try
            {
                await using var connection = await database.OpenAsync();
                await using var transaction = await LoyaltyDb.BeginAsync(database, connection);
                await DrawInAsync(connection, transaction, null);
                await transaction.CommitAsync();
            }
            catch (DbException e) when (Database.IsUniqueViolation(e))
            {
                return AlreadyDrawn(localDay);
            }
        }
        if (touched)
            changes.Touch(workspaceId, [customer]);
        await using (var connection = await database.OpenAsync())
            return new DrawOutcome(await EntryAsync(connection, workspaceId, entryId), null, null);
    }

    private static DrawOutcome AlreadyDrawn(DateOnly day) =>
        DrawOutcome.Refused(GameRefusals.AlreadyDrawn, $"This customer already drew today ({day:yyyy-MM-dd}); one draw a day.");

    private static async Task<bool> DrawnTodayAsync(DbConnection connection, Guid lotteryId, Guid customer, int day) =>
        await connection.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM lottery_entries WHERE lottery_id = @lotteryId AND customer_id = @customer AND day = @day", new { lotteryId, customer, day }) > 0;

    private const string EntrySelect =
        """
        SELECT e.id AS Id, e.lottery_id AS LotteryId, e.customer_id AS CustomerId, c.display_name AS DisplayName, e.day AS Day, e.roll AS Roll, e.outcome AS Outcome,
               e.prize_id AS PrizeId, p.name AS PrizeName, e.points_spent AS PointsSpent, e.points_entry_id AS PointsEntryId, e.coupon_id AS CouponId,
               e.reason AS Reason, e.drawn_at AS DrawnAt
        FROM lottery_entries e LEFT JOIN customers c ON c.id = e.customer_id LEFT JOIN lottery_prizes p ON p.id = e.prize_id
        """;

    private static async Task<LotteryEntry> EntryAsync(DbConnection connection, Guid workspaceId, Guid entryId) =>
        await connection.QuerySingleOrDefaultAsync<LotteryEntry>($"{EntrySelect} WHERE e.id = @entryId AND e.workspace_id = @workspaceId", new { entryId, workspaceId })
        ?? throw new NotFoundException($"No draw {entryId} in this workspace.");

    /// <summary>The lottery's draws, newest first, optionally with one outcome.</summary>
    public async Task<IReadOnlyList<LotteryEntry>> ListDrawsAsync(Guid workspaceId, Guid lotteryId, string? outcome, int limit)
    {
        if (outcome is not null && !DrawOutcomes.All.Contains(outcome))
            throw new ValidationFailedException("outcome is won, no_prize or out_of_stock.", "outcome");
        await using var connection = await database.OpenAsync();
        await GetAsync(connection, null, workspaceId, lotteryId);
        return (await connection.QueryAsync<LotteryEntry>(
            $"{EntrySelect} WHERE e.lottery_id = @lotteryId {(outcome is null ? "" : "AND e.outcome = @outcome")} ORDER BY e.drawn_at DESC, e.id DESC LIMIT @limit",
            new { lotteryId, outcome, limit = Math.Clamp(limit, 1, 1000) })).AsList();
    }

    /// <summary>Winners, newest first, with names masked as a customer-facing list shows them.</summary>
    public async Task<IReadOnlyList<LotteryWinner>> WinnersAsync(Guid workspaceId, Guid lotteryId, int limit) =>
        (await ListDrawsAsync(workspaceId, lotteryId, DrawOutcomes.Won, limit)).Select(e => new LotteryWinner(GameRules.Mask(e.DisplayName), e.PrizeName ?? "", e.DrawnAt)).ToList();

    public async Task<LotteryCounters> CountersAsync(Guid workspaceId, Guid lotteryId)
    {
        await using var connection = await database.OpenAsync();
        var lottery = await GetAsync(connection, null, workspaceId, lotteryId);
        var rows = await connection.QuerySingleAsync<EntryCounts>(
            """
            SELECT COUNT(*) AS Draws, COUNT(DISTINCT customer_id) AS Entrants,
                   COALESCE(SUM(CASE WHEN outcome = 'won' THEN 1 ELSE 0 END), 0) AS Wins,
                   COALESCE(SUM(CASE WHEN outcome = 'out_of_stock' THEN 1 ELSE 0 END), 0) AS OutOfStock,
                   COALESCE(SUM(points_spent), 0) AS PointsSpent
            FROM lottery_entries WHERE lottery_id = @lotteryId
            """, new { lotteryId });
        return new LotteryCounters(lottery.Id, lottery.StateAt(clock.GetUtcNow()), (int)rows.Draws, (int)rows.Entrants, (int)rows.Wins, (int)rows.OutOfStock,
            rows.PointsSpent, lottery.Prizes.Select(p => new PrizeCount(p.Id, p.Name, p.Probability, p.Stock, p.Awarded, p.Left)).ToList());
    }

    private sealed class EntryCounts
    {
        public long Draws { get; init; }
        public long Entrants { get; init; }
        public long Wins { get; init; }
        public long OutOfStock { get; init; }
        public long PointsSpent { get; init; }
    }
}
