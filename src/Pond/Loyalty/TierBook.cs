using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Pond.Audience;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Loyalty;

/// <summary>A member tier 会员等级 and its benefits.</summary>
public sealed class Tier
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    /// <summary>Whole yuan of net spend in the last 12 months, or points earned in the last 12 months (the rules' tierBasis).</summary>
    public long Threshold { get; init; }
    public decimal PointsMultiplier { get; init; } = 1m;
    public Guid? DiscountCouponTemplateId { get; init; }
    public long BirthdayPoints { get; init; }
    public Guid? BirthdayCouponTemplateId { get; init; }
    public string? Color { get; init; }
    public long Members { get; init; }
}

/// <summary>A tier as a caller sends it.</summary>
public sealed class TierInput
{
    public string? Name { get; init; }
    public long? Threshold { get; init; }
    public decimal? PointsMultiplier { get; init; }
    public Guid? DiscountCouponTemplateId { get; init; }
    public long? BirthdayPoints { get; init; }
    public Guid? BirthdayCouponTemplateId { get; init; }
    public string? Color { get; init; }
}

public sealed class TierChange
{
    public Guid Id { get; init; }
    public Guid CustomerId { get; init; }
    public Guid? FromTierId { get; init; }
    public string? FromName { get; init; }
    public Guid? ToTierId { get; init; }
    public string? ToName { get; init; }
    /// <summary>up or down.</summary>
    public string Direction { get; init; } = "";
    /// <summary>The figure the change was decided on: fen of net spend, or points (as the basis was then).</summary>
    public long Metric { get; init; }
    /// <summary>order, refund, nightly, evaluate, tier_deleted.</summary>
    public string Cause { get; init; } = "";
    public DateTimeOffset At { get; init; }
}

public sealed class TierMember
{
    public Guid CustomerId { get; init; }
    public string? DisplayName { get; init; }
    public DateTimeOffset Since { get; init; }
    public long Metric { get; init; }
}

public sealed record TierMembersPage(IReadOnlyList<TierMember> Members, string? NextCursor);

/// <summary>A customer's standing: tier, the figure now, and how far the next tier is.</summary>
public sealed record CustomerTierView(
    string Basis, long Metric, Tier? Tier, DateTimeOffset? Since, Tier? Next, long? ToNext, decimal Progress);

public sealed record NightlyResult(int Evaluated, int Upgrades, int Downgrades, int BirthdayGifts);

/// <summary>
/// Gives a coupon from a template as a tier benefit (the discount coupon on reaching a tier, the birthday coupon). The
/// coupons feature implements it; until one is registered the grant is recorded in loyalty_grants with issued = false.
/// Runs inside the caller's transaction; returns false when it could not issue (out of stock).
/// </summary>
public interface ITierBenefitIssuer
{
    Task<bool> IssueCouponAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid customerId, Guid couponTemplateId,
        string reason, string idempotencyKey, DateTimeOffset now);
}

/// <summary>
/// Member tiers: a customer is in the highest tier whose threshold their rolling 12-month figure reaches — net spend
/// (paid − refunded, from the orders table) or points earned (earnings less refund reversals), as the workspace's rules
/// choose. Evaluated inside each order's and refund's transaction (stage 300) and nightly at the workspace's local
/// midnight, which also downgrades those whose window rolled past old orders and gives birthday gifts. Each change
/// writes the current row, a history row, a tier.changed audience event and a timeline row, in one transaction.
/// </summary>
public sealed class TierBook(
    Database database, PointsBook points, AudienceChanges changes, AuditLog audit, TimeProvider clock, IEnumerable<ITierBenefitIssuer> issuers)
{
    public const string AudienceEventKind = "tier.changed";
    public const string TimelineEvent = "Member Tier Changed";
    public const int MaxTiers = 20;
    private const int Batch = 500;

    // Tier names are Chinese more often than not: keep them readable in the stored JSON (the timeline shows it).
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All) };

    private readonly ITierBenefitIssuer? _issuer = issuers.LastOrDefault();

    public async Task<IReadOnlyList<Tier>> ListAsync(Guid workspaceId, Guid? onlyOwnedBy = null)
    {
        await using var connection = await database.OpenAsync();
        var tiers = await TiersAsync(connection, null, workspaceId);
        var owner = onlyOwnedBy is null ? "" : " AND c.owner_staff_id = @onlyOwnedBy";
        var counts = (await connection.QueryAsync<CountRow>(
            $"SELECT ct.tier_id AS TierId, COUNT(*) AS Members FROM customer_tiers ct JOIN customers c ON c.id = ct.customer_id WHERE ct.workspace_id = @workspaceId{owner} GROUP BY ct.tier_id",
            new { workspaceId, onlyOwnedBy })).ToDictionary(r => r.TierId, r => r.Members);
        return tiers.Select(t => With(t, counts.GetValueOrDefault(t.Id))).ToList();
    }

    public async Task<Tier> GetAsync(Guid workspaceId, Guid id)
    {
        var tier = (await ListAsync(workspaceId)).FirstOrDefault(t => t.Id == id);
        return tier ?? throw new NotFoundException($"No tier {id} in this workspace.");
    }

    public async Task<Tier> CreateAsync(Guid workspaceId, TierInput? input, string actor)
    {
        var clean = Validate(input);
        await using var connection = await database.OpenAsync();
        await using var transaction = await LoyaltyDb.BeginAsync(database, connection);
        var count = await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM tiers WHERE workspace_id = @workspaceId", new { workspaceId }, transaction);
        if (count >= MaxTiers)
            throw new ValidationFailedException($"A workspace has at most {MaxTiers} tiers.");
        await CheckUniqueAsync(connection, transaction, workspaceId, clean, null);
        var id = Guid.CreateVersion7();
        var now = clock.GetUtcNow();
        await connection.ExecuteAsync(
            """
            INSERT INTO tiers (id, workspace_id, name, threshold, multiplier_pct, discount_coupon_template_id, birthday_points, birthday_coupon_template_id, color, created_at, updated_at)
            VALUES (@id, @workspaceId, @Name, @Threshold, @pct, @DiscountCouponTemplateId, @BirthdayPoints, @BirthdayCouponTemplateId, @Color, @now, @now)
            """,
            new { id, workspaceId, clean.Name, clean.Threshold, pct = Pct(clean.PointsMultiplier), clean.DiscountCouponTemplateId, clean.BirthdayPoints,
                clean.BirthdayCouponTemplateId, clean.Color, now }, transaction);
        await audit.RecordAsync(workspaceId, actor, "tier.create", id.ToString(), clean, connection, transaction);
        await transaction.CommitAsync();
        return With(clean, 0, id);
    }

    public async Task<Tier> UpdateAsync(Guid workspaceId, Guid id, TierInput? input, string actor)
    {
        var clean = Validate(input);
        await using var connection = await database.OpenAsync();
        await using var transaction = await LoyaltyDb.BeginAsync(database, connection);
        await CheckUniqueAsync(connection, transaction, workspaceId, clean, id);
        var updated = await connection.ExecuteAsync(
            """
            UPDATE tiers SET name = @Name, threshold = @Threshold, multiplier_pct = @pct, discount_coupon_template_id = @DiscountCouponTemplateId,
                birthday_points = @BirthdayPoints, birthday_coupon_template_id = @BirthdayCouponTemplateId, color = @Color, updated_at = @now
            WHERE id = @id AND workspace_id = @workspaceId
            """,
            new { id, workspaceId, clean.Name, clean.Threshold, pct = Pct(clean.PointsMultiplier), clean.DiscountCouponTemplateId, clean.BirthdayPoints,
                clean.BirthdayCouponTemplateId, clean.Color, now = clock.GetUtcNow() }, transaction);
        if (updated == 0)
            throw new NotFoundException($"No tier {id} in this workspace.");
        await audit.RecordAsync(workspaceId, actor, "tier.update", id.ToString(), clean, connection, transaction);
        await transaction.CommitAsync();
        return await GetAsync(workspaceId, id);
    }

    /// <summary>Deletes a tier; its members are re-evaluated at once against the tiers that remain.</summary>
    public async Task DeleteAsync(Guid workspaceId, Guid id, string actor)
    {
        List<Guid> members;
        await using (var connection = await database.OpenAsync())
        {
            await using var transaction = await LoyaltyDb.BeginAsync(database, connection);
            var deleted = await connection.ExecuteAsync("DELETE FROM tiers WHERE id = @id AND workspace_id = @workspaceId", new { id, workspaceId }, transaction);
            if (deleted == 0)
                throw new NotFoundException($"No tier {id} in this workspace.");
            members = (await connection.QueryAsync<Guid>(
                "SELECT customer_id FROM customer_tiers WHERE workspace_id = @workspaceId AND tier_id = @id", new { workspaceId, id }, transaction)).AsList();
            await audit.RecordAsync(workspaceId, actor, "tier.delete", id.ToString(), new { members = members.Count }, connection, transaction);
            await transaction.CommitAsync();
        }

        await EvaluateManyAsync(workspaceId, members, "tier_deleted", CancellationToken.None);
    }

    /// <summary>Re-evaluates every customer with a tier or a figure in the window now (the nightly run without birthdays).</summary>
    public async Task<NightlyResult> EvaluateAllAsync(Guid workspaceId, string cause = "evaluate", CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var tiers = await TiersAsync(connection, null, workspaceId);
        if (tiers.Count == 0)
            return new NightlyResult(0, 0, 0, 0);
        var rules = await LoyaltySettingsStore.GetAsync(connection, null, workspaceId);
        var metrics = (await connection.QueryAsync<MetricRow>(MetricSql(rules.TierBasis, perCustomer: false), new { workspaceId, since = WindowStart(now) }))
            .ToDictionary(r => r.CustomerId, r => r.Metric);
        var current = (await connection.QueryAsync<CurrentRow>(
            "SELECT customer_id AS CustomerId, tier_id AS TierId FROM customer_tiers WHERE workspace_id = @workspaceId", new { workspaceId }))
            .ToDictionary(r => r.CustomerId, r => r.TierId);
        var candidates = metrics.Keys.Union(current.Keys)
            .Where(c => TierFor(tiers, rules.TierBasis, metrics.GetValueOrDefault(c))?.Id != (current.TryGetValue(c, out var t) ? t : null))
            .ToList();
        await connection.CloseAsync();
        return await EvaluateManyAsync(workspaceId, candidates, cause, cancellationToken) with { Evaluated = metrics.Keys.Union(current.Keys).Count() };
    }

    /// <summary>
    /// The nightly job for one workspace: re-evaluates tiers (downgrading those whose 12-month window rolled past their
    /// spend) and gives today's birthday gifts, once per customer per year.
    /// </summary>
    public async Task<NightlyResult> RunNightlyAsync(Guid workspaceId, CancellationToken cancellationToken = default)
    {
        var evaluated = await EvaluateAllAsync(workspaceId, "nightly", cancellationToken);
        var gifts = await BirthdaysAsync(workspaceId, cancellationToken);
        return evaluated with { BirthdayGifts = gifts };
    }

    /// <summary>Runs the nightly job for every workspace with tiers whose local day has turned since its last run (claimed in the database, so one node runs it).</summary>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken = default)
    {
        var ran = 0;
        List<Guid> workspaces;
        await using (var connection = await database.OpenAsync(cancellationToken))
            workspaces = (await connection.QueryAsync<Guid>("SELECT DISTINCT workspace_id FROM tiers")).AsList();
        foreach (var workspaceId in workspaces)
        {
            bool claimed;
            await using (var connection = await database.OpenAsync(cancellationToken))
            {
                var zone = await LoyaltyDb.ZoneAsync(connection, null, workspaceId);
                var now = clock.GetUtcNow();
                var today = LoyaltyDb.DayNumber(LoyaltyDb.LocalDay(now, zone));
                await connection.ExecuteAsync(
                    "INSERT INTO loyalty_runs (workspace_id, last_day, ran_at) VALUES (@workspaceId, 0, @now) ON CONFLICT (workspace_id) DO NOTHING",
                    new { workspaceId, now });
                claimed = await connection.ExecuteAsync(
                    "UPDATE loyalty_runs SET last_day = @today, ran_at = @now WHERE workspace_id = @workspaceId AND last_day < @today",
                    new { workspaceId, today, now }) == 1;
            }

            if (claimed)
            {
                await RunNightlyAsync(workspaceId, cancellationToken);
                ran++;
            }
        }

        return ran;
    }

    public async Task<CustomerTierView> CustomerAsync(Guid workspaceId, Guid customerId, Guid? onlyOwnedBy = null)
    {
        await using var connection = await database.OpenAsync();
        await LoyaltyDb.RequireCustomerAsync(connection, workspaceId, customerId, onlyOwnedBy);
        var rules = await LoyaltySettingsStore.GetAsync(connection, null, workspaceId);
        var tiers = await TiersAsync(connection, null, workspaceId);
        var metric = await MetricAsync(connection, null, workspaceId, customerId, rules.TierBasis, clock.GetUtcNow());
        var row = await connection.QuerySingleOrDefaultAsync<CurrentRow>(
            "SELECT customer_id AS CustomerId, tier_id AS TierId, since AS Since FROM customer_tiers WHERE customer_id = @customerId AND workspace_id = @workspaceId",
            new { customerId, workspaceId });
        var tier = tiers.FirstOrDefault(t => t.Id == row?.TierId);
        var next = tiers.Where(t => t.Threshold > (tier?.Threshold ?? -1)).OrderBy(t => t.Threshold).FirstOrDefault();
        var scale = rules.TierBasis == TierBases.Spend ? 100 : 1;
        long? toNext = next is null ? null : Math.Max(0, (next.Threshold * scale) - metric);
        var progress = next is null ? 1m : next.Threshold == 0 ? 1m : Math.Clamp(Math.Round((decimal)metric / (next.Threshold * scale), 4), 0m, 1m);
        return new CustomerTierView(rules.TierBasis, metric, tier, row?.Since, next, toNext, progress);
    }

    public async Task<IReadOnlyList<TierChange>> HistoryAsync(Guid workspaceId, Guid customerId, Guid? onlyOwnedBy = null)
    {
        await using var connection = await database.OpenAsync();
        await LoyaltyDb.RequireCustomerAsync(connection, workspaceId, customerId, onlyOwnedBy);
        return (await connection.QueryAsync<TierChange>(
            """
            SELECT id AS Id, customer_id AS CustomerId, from_tier_id AS FromTierId, from_name AS FromName, to_tier_id AS ToTierId, to_name AS ToName,
                   direction AS Direction, metric AS Metric, cause AS Cause, at AS At
            FROM tier_changes WHERE customer_id = @customerId AND workspace_id = @workspaceId ORDER BY at DESC, id DESC LIMIT 200
            """, new { customerId, workspaceId })).AsList();
    }

    public async Task<TierMembersPage> MembersAsync(Guid workspaceId, Guid tierId, Guid? onlyOwnedBy, string? cursor, int limit)
    {
        Guid? after = null;
        if (!string.IsNullOrEmpty(cursor))
            after = Guid.TryParse(cursor, out var parsed) ? parsed : throw new ValidationFailedException("cursor is not one this endpoint gave out; pass nextCursor from the previous page.", "cursor");
        await using var connection = await database.OpenAsync();
        if (await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM tiers WHERE id = @tierId AND workspace_id = @workspaceId", new { tierId, workspaceId }) == 0)
            throw new NotFoundException($"No tier {tierId} in this workspace.");
        var owner = onlyOwnedBy is null ? "" : " AND c.owner_staff_id = @onlyOwnedBy";
        var rows = (await connection.QueryAsync<TierMember>(
            $"""
            SELECT ct.customer_id AS CustomerId, c.display_name AS DisplayName, ct.since AS Since, ct.metric AS Metric
            FROM customer_tiers ct JOIN customers c ON c.id = ct.customer_id
            WHERE ct.workspace_id = @workspaceId AND ct.tier_id = @tierId{owner}{(after is null ? "" : " AND ct.customer_id > @after")}
            ORDER BY ct.customer_id LIMIT @take
            """, new { workspaceId, tierId, onlyOwnedBy, after, take = limit + 1 })).AsList();
        string? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(limit);
            next = rows[^1].CustomerId.ToString();
        }

        return new TierMembersPage(rows, next);
    }

    // ---- Inside the order's transaction -------------------------------------------------------------------------------

    /// <summary>The points multiplier of the customer's current tier (1 without one).</summary>
    internal static async Task<(decimal Multiplier, string? Tier)> MultiplierAsync(DbConnection connection, DbTransaction transaction, Guid customerId)
    {
        var row = await connection.QuerySingleOrDefaultAsync<MultiplierRow>(
            "SELECT t.multiplier_pct AS Pct, t.name AS Name FROM customer_tiers ct JOIN tiers t ON t.id = ct.tier_id WHERE ct.customer_id = @customerId",
            new { customerId }, transaction);
        return row is null ? (1m, null) : (row.Pct / 100m, row.Name);
    }

    /// <summary>
    /// Re-evaluates one customer inside the caller's transaction (holding the customer's points row lock, so evaluations
    /// of the same customer apply one at a time) and records the change, if any.
    /// </summary>
    internal async Task<TierChange?> EvaluateAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid customerId, string cause, DateTimeOffset now)
    {
        var tiers = await TiersAsync(connection, transaction, workspaceId);
        var currentRow = await connection.QuerySingleOrDefaultAsync<CurrentRow>(
            "SELECT customer_id AS CustomerId, tier_id AS TierId FROM customer_tiers WHERE customer_id = @customerId", new { customerId }, transaction);
        if (tiers.Count == 0 && currentRow is null)
            return null;
        await points.LockAsync(connection, transaction, workspaceId, customerId, now);
        currentRow = await connection.QuerySingleOrDefaultAsync<CurrentRow>(
            "SELECT customer_id AS CustomerId, tier_id AS TierId FROM customer_tiers WHERE customer_id = @customerId", new { customerId }, transaction);
        var rules = await LoyaltySettingsStore.GetAsync(connection, transaction, workspaceId);
        var metric = await MetricAsync(connection, transaction, workspaceId, customerId, rules.TierBasis, now);
        var target = TierFor(tiers, rules.TierBasis, metric);
        var current = tiers.FirstOrDefault(t => t.Id == currentRow?.TierId);
        if (target?.Id == currentRow?.TierId)
        {
            if (target is not null)
                await connection.ExecuteAsync("UPDATE customer_tiers SET metric = @metric, evaluated_at = @now WHERE customer_id = @customerId",
                    new { metric, now, customerId }, transaction);
            return null;
        }

        var up = (target?.Threshold ?? -1) > (current?.Threshold ?? -1);
        if (target is null)
        {
            await connection.ExecuteAsync("DELETE FROM customer_tiers WHERE customer_id = @customerId", new { customerId }, transaction);
        }
        else
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO customer_tiers (customer_id, workspace_id, tier_id, metric, since, evaluated_at) VALUES (@customerId, @workspaceId, @tierId, @metric, @now, @now)
                ON CONFLICT (customer_id) DO UPDATE SET tier_id = excluded.tier_id, metric = excluded.metric, since = excluded.since, evaluated_at = excluded.evaluated_at
                """, new { customerId, workspaceId, tierId = target.Id, metric, now }, transaction);
        }

        var change = new TierChange
        {
            Id = Guid.CreateVersion7(), CustomerId = customerId, FromTierId = current?.Id, FromName = current?.Name, ToTierId = target?.Id, ToName = target?.Name,
            Direction = up ? "up" : "down", Metric = metric, Cause = cause, At = now,
        };
        await connection.ExecuteAsync(
            """
            INSERT INTO tier_changes (id, workspace_id, customer_id, from_tier_id, from_name, to_tier_id, to_name, direction, metric, cause, at)
            VALUES (@Id, @workspaceId, @CustomerId, @FromTierId, @FromName, @ToTierId, @ToName, @Direction, @Metric, @Cause, @At)
            """, new { change.Id, workspaceId, change.CustomerId, change.FromTierId, change.FromName, change.ToTierId, change.ToName, change.Direction, change.Metric, change.Cause, change.At },
            transaction);
        await connection.ExecuteAsync(
            "INSERT INTO audience_events (workspace_id, customer_id, kind, subject, detail, occurred_at) VALUES (@workspaceId, @customerId, @kind, @subject, @detail, @at)",
            new
            {
                workspaceId, customerId, kind = AudienceEventKind, subject = target?.Id.ToString() ?? "none", at = now,
                detail = JsonSerializer.Serialize(new { from = current?.Id, fromName = current?.Name, toName = target?.Name, direction = change.Direction, cause }, Json),
            }, transaction);
        await connection.ExecuteAsync(
            """
            INSERT INTO customer_events (workspace_id, customer_id, message_id, type, name, occurred_at, properties)
            VALUES (@workspaceId, @customerId, @messageId, 'track', @name, @at, @properties) ON CONFLICT DO NOTHING
            """,
            new
            {
                workspaceId, customerId, messageId = $"tier-{change.Id:N}", name = TimelineEvent, at = now,
                properties = JsonSerializer.Serialize(new { from = current?.Name, to = target?.Name, direction = change.Direction, cause }, Json),
            }, transaction);

        if (up && target?.DiscountCouponTemplateId is { } template)
        {
            var zone = await LoyaltyDb.ZoneAsync(connection, transaction, workspaceId);
            var year = TimeZoneInfo.ConvertTime(now, zone).Year;
            await GrantAsync(connection, transaction, workspaceId, customerId, $"tier-coupon:{target.Id:N}:{year}", 0, template,
                $"Tier discount coupon for reaching {target.Name}", now);
        }

        return change;
    }

    // ---- The machinery -----------------------------------------------------------------------------------------------

    private async Task<NightlyResult> EvaluateManyAsync(Guid workspaceId, List<Guid> customers, string cause, CancellationToken cancellationToken)
    {
        int up = 0, down = 0;
        foreach (var chunk in customers.Chunk(Batch))
        {
            var touched = new List<Guid>();
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var transaction = await LoyaltyDb.BeginAsync(database, connection);
            var now = clock.GetUtcNow();
            foreach (var customerId in chunk)
            {
                if (await EvaluateAsync(connection, transaction, workspaceId, customerId, cause, now) is not { } change)
                    continue;
                touched.Add(customerId);
                if (change.Direction == "up")
                    up++;
                else
                    down++;
            }

            await transaction.CommitAsync(cancellationToken);
            changes.Touch(workspaceId, touched);
        }

        return new NightlyResult(customers.Count, up, down, 0);
    }

    private async Task<int> BirthdaysAsync(Guid workspaceId, CancellationToken cancellationToken)
    {
        List<BirthdayRow> due;
        DateOnly today;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            var zone = await LoyaltyDb.ZoneAsync(connection, null, workspaceId);
            today = LoyaltyDb.LocalDay(clock.GetUtcNow(), zone);
            var birthday = database.IsSqlite ? "json_extract(c.traits, '$.birthday')" : "(c.traits::jsonb ->> 'birthday')";
            var days = new List<string> { $"%-{today:MM-dd}" };
            if (today is { Month: 2, Day: 28 } && !DateTime.IsLeapYear(today.Year))
                days.Add("%-02-29");
            var match = string.Join(" OR ", days.Select((_, i) => $"{birthday} LIKE @d{i}"));
            var parameters = new DynamicParameters(new { workspaceId });
            for (var i = 0; i < days.Count; i++)
                parameters.Add($"d{i}", days[i]);
            due = (await connection.QueryAsync<BirthdayRow>(
                $"""
                SELECT ct.customer_id AS CustomerId, t.name AS TierName, t.birthday_points AS Points, t.birthday_coupon_template_id AS CouponTemplateId
                FROM customer_tiers ct JOIN tiers t ON t.id = ct.tier_id JOIN customers c ON c.id = ct.customer_id
                WHERE ct.workspace_id = @workspaceId AND (t.birthday_points > 0 OR t.birthday_coupon_template_id IS NOT NULL) AND ({match})
                """, parameters)).AsList();
        }

        var given = 0;
        foreach (var row in due)
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var transaction = await LoyaltyDb.BeginAsync(database, connection);
            var now = clock.GetUtcNow();
            await points.LockAsync(connection, transaction, workspaceId, row.CustomerId, now);
            if (await GrantAsync(connection, transaction, workspaceId, row.CustomerId, $"birthday:{today.Year}", row.Points, row.CouponTemplateId,
                    $"Birthday gift ({row.TierName})", now))
            {
                if (row.Points > 0)
                {
                    var rules = await LoyaltySettingsStore.GetAsync(connection, transaction, workspaceId);
                    var zone = await LoyaltyDb.ZoneAsync(connection, transaction, workspaceId);
                    await points.CreditAsync(connection, transaction, workspaceId, row.CustomerId,
                        new PointsBook.Credit(row.Points, PointsKinds.Earn, $"Birthday gift ({row.TierName})", PointsSources.Birthday,
                            today.Year.ToString(CultureInfo.InvariantCulture), $"birthday:{row.CustomerId:N}:{today.Year}", now, rules.ExpiresAt(now, zone), null), now);
                }

                given++;
            }

            await transaction.CommitAsync(cancellationToken);
            changes.Touch(workspaceId, [row.CustomerId]);
        }

        return given;
    }

    /// <summary>Records a once-only benefit (false when the key was given before) and issues its coupon if a coupon issuer is registered.</summary>
    private async Task<bool> GrantAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid customerId, string key, long pointsGiven,
        Guid? couponTemplateId, string reason, DateTimeOffset now)
    {
        var inserted = await connection.ExecuteAsync(
            """
            INSERT INTO loyalty_grants (workspace_id, customer_id, grant_key, points, coupon_template_id, issued, at)
            VALUES (@workspaceId, @customerId, @key, @pointsGiven, @couponTemplateId, @issued, @now) ON CONFLICT DO NOTHING
            """, new { workspaceId, customerId, key, pointsGiven, couponTemplateId, issued = false, now }, transaction);
        if (inserted == 0)
            return false;
        if (couponTemplateId is { } template && _issuer is not null
            && await _issuer.IssueCouponAsync(connection, transaction, workspaceId, customerId, template, reason, $"{key}:{customerId:N}", now))
        {
            await connection.ExecuteAsync(
                "UPDATE loyalty_grants SET issued = @issued WHERE workspace_id = @workspaceId AND customer_id = @customerId AND grant_key = @key",
                new { issued = true, workspaceId, customerId, key }, transaction);
        }

        return true;
    }

    internal static DateTimeOffset WindowStart(DateTimeOffset now) => now.AddMonths(-12);

    private static string MetricSql(string basis, bool perCustomer)
    {
        var filter = perCustomer ? " AND customer_id = @customerId" : "";
        var group = perCustomer ? "" : " GROUP BY customer_id";
        return basis == TierBases.Points
            ? $"""
              SELECT customer_id AS CustomerId, CAST(COALESCE(SUM(CASE WHEN kind = 'earn' THEN amount WHEN kind = 'reverse' AND source = 'order' THEN amount - owed ELSE 0 END), 0) AS BIGINT) AS Metric
              FROM points_ledger WHERE workspace_id = @workspaceId AND created_at > @since AND kind IN ('earn', 'reverse'){filter}{group}
              """
            : $"""
              SELECT customer_id AS CustomerId, CAST(COALESCE(SUM(paid - refunded), 0) AS BIGINT) AS Metric
              FROM orders WHERE workspace_id = @workspaceId AND placed_at > @since{filter}{group}
              """;
    }

    private static async Task<long> MetricAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid customerId, string basis, DateTimeOffset now)
    {
        var row = await connection.QuerySingleOrDefaultAsync<MetricRow>(
            MetricSql(basis, perCustomer: true).Replace("SELECT customer_id AS CustomerId,", "SELECT @customerId AS CustomerId,", StringComparison.Ordinal),
            new { workspaceId, customerId, since = WindowStart(now) }, transaction);
        return row?.Metric ?? 0;
    }

    private static Tier? TierFor(IReadOnlyList<Tier> tiers, string basis, long metric)
    {
        var scale = basis == TierBases.Spend ? 100 : 1;
        return tiers.Where(t => metric >= t.Threshold * scale).MaxBy(t => t.Threshold);
    }

    private static async Task<IReadOnlyList<Tier>> TiersAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId) =>
        (await connection.QueryAsync<TierRow>(
            """
            SELECT id AS Id, name AS Name, threshold AS Threshold, multiplier_pct AS Pct, discount_coupon_template_id AS DiscountCouponTemplateId,
                   birthday_points AS BirthdayPoints, birthday_coupon_template_id AS BirthdayCouponTemplateId, color AS Color
            FROM tiers WHERE workspace_id = @workspaceId ORDER BY threshold
            """, new { workspaceId }, transaction))
        .Select(r => new Tier
        {
            Id = r.Id, Name = r.Name, Threshold = r.Threshold, PointsMultiplier = r.Pct / 100m, DiscountCouponTemplateId = r.DiscountCouponTemplateId,
            BirthdayPoints = r.BirthdayPoints, BirthdayCouponTemplateId = r.BirthdayCouponTemplateId, Color = r.Color,
        }).ToList();

    private static Tier With(Tier t, long members, Guid? id = null) => new()
    {
        Id = id ?? t.Id, Name = t.Name, Threshold = t.Threshold, PointsMultiplier = t.PointsMultiplier, DiscountCouponTemplateId = t.DiscountCouponTemplateId,
        BirthdayPoints = t.BirthdayPoints, BirthdayCouponTemplateId = t.BirthdayCouponTemplateId, Color = t.Color, Members = members,
    };

    private static int Pct(decimal multiplier) => (int)Math.Round(multiplier * 100m);

    private static Tier Validate(TierInput? input)
    {
        if (input is null)
            throw new ValidationFailedException("A body with the tier is required.");
        var name = input.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 40)
            throw new ValidationFailedException("name is required (1 to 40 characters), e.g. 金卡.", "name");
        if (input.Threshold is not { } threshold || threshold < 0 || threshold > 100_000_000)
            throw new ValidationFailedException("threshold is required: whole yuan of 12-month spend (or points, with tierBasis points), 0 to 100000000.", "threshold");
        var multiplier = input.PointsMultiplier ?? 1m;
        if (multiplier is < 1m or > 10m || decimal.Round(multiplier, 2) != multiplier)
            throw new ValidationFailedException("pointsMultiplier must be between 1 and 10 with at most two decimals (1.5 = ×1.5).", "pointsMultiplier");
        var birthday = input.BirthdayPoints ?? 0;
        if (birthday is < 0 or > 1_000_000)
            throw new ValidationFailedException("birthdayPoints must be between 0 and 1000000.", "birthdayPoints");
        var color = string.IsNullOrWhiteSpace(input.Color) ? null : input.Color.Trim();
        if (color is not null && !System.Text.RegularExpressions.Regex.IsMatch(color, "^#[0-9a-fA-F]{6}$"))
            throw new ValidationFailedException("color must be a hex colour like #c9a227.", "color");
        return new Tier
        {
            Name = name, Threshold = threshold, PointsMultiplier = multiplier, DiscountCouponTemplateId = input.DiscountCouponTemplateId,
            BirthdayPoints = birthday, BirthdayCouponTemplateId = input.BirthdayCouponTemplateId, Color = color,
        };
    }

    private static async Task CheckUniqueAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Tier tier, Guid? id)
    {
        var clash = await connection.QuerySingleOrDefaultAsync<ClashRow>(
            "SELECT name AS Name, threshold AS Threshold FROM tiers WHERE workspace_id = @workspaceId AND (name = @Name OR threshold = @Threshold)" + (id is null ? "" : " AND id <> @id"),
            new { workspaceId, tier.Name, tier.Threshold, id }, transaction);
        if (clash is null)
            return;
        if (clash.Name == tier.Name)
            throw new ConflictException($"A tier named '{tier.Name}' exists already.");
        throw new ConflictException($"Tier '{clash.Name}' already has the threshold {tier.Threshold}; each tier needs its own.");
    }

    private sealed class TierRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
        public long Threshold { get; init; }
        public int Pct { get; init; }
        public Guid? DiscountCouponTemplateId { get; init; }
        public long BirthdayPoints { get; init; }
        public Guid? BirthdayCouponTemplateId { get; init; }
        public string? Color { get; init; }
    }

    private sealed class CountRow
    {
        public Guid TierId { get; init; }
        public long Members { get; init; }
    }

    private sealed class MetricRow
    {
        public Guid CustomerId { get; init; }
        public long Metric { get; init; }
    }

    private sealed class CurrentRow
    {
        public Guid CustomerId { get; init; }
        public Guid? TierId { get; init; }
        public DateTimeOffset? Since { get; init; }
    }

    private sealed class MultiplierRow
    {
        public int Pct { get; init; }
        public string Name { get; init; } = "";
    }

    private sealed class ClashRow
    {
        public string Name { get; init; } = "";
        public long Threshold { get; init; }
    }

    private sealed class BirthdayRow
    {
        public Guid CustomerId { get; init; }
        public string TierName { get; init; } = "";
        public long Points { get; init; }
        public Guid? CouponTemplateId { get; init; }
    }
}
