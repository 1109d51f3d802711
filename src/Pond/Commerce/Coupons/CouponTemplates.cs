using Dapper;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Commerce.Coupons;

/// <summary>Coupon templates: define, change, list with their numbers.</summary>
internal sealed class CouponTemplates(Database database, AuditLog audit, TimeProvider clock)
{
    public const int MaxNameLength = 80;
    public const int MaxValidDays = 3650;

    public async Task<IReadOnlyList<CouponTemplate>> ListAsync(Guid workspaceId, bool includeArchived = true)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<CouponTemplate>(
            "SELECT * FROM coupon_templates WHERE workspace_id = @workspaceId" + (includeArchived ? "" : " AND status <> 'archived'") + " ORDER BY created_at DESC",
            new { workspaceId })).AsList();
    }

    public async Task<CouponTemplate> GetAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<CouponTemplate>(
            "SELECT * FROM coupon_templates WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id })
            ?? throw new NotFoundException($"No coupon template {id} in this workspace.");
    }

    public async Task<CouponTemplate> CreateAsync(Guid workspaceId, CouponTemplateInput input, string actor)
    {
        var t = Validate(Merge(new CouponTemplate { Kind = input.Kind ?? "", Stacking = CouponStacking.Exclusive, Status = CouponTemplateStatuses.Active }, input), 0);
        var id = Guid.CreateVersion7();
        var now = clock.GetUtcNow();
        await using (var connection = await database.OpenAsync())
        {
            await EnsureUniqueAsync(connection, workspaceId, t.Name, null);
            try
            {
                await connection.ExecuteAsync(
                    """
                    INSERT INTO coupon_templates (id, workspace_id, name, description, kind, percent, amount, threshold, max_discount, gift_sku, min_spend,
                        valid_from, valid_to, valid_days, per_customer_limit, total_stock, issued_count, skus, categories, stacking, status, created_by, created_at, updated_at)
                    VALUES (@id, @workspaceId, @Name, @Description, @Kind, @Percent, @Amount, @Threshold, @MaxDiscount, @GiftSku, @MinSpend,
                        @ValidFrom, @ValidTo, @ValidDays, @PerCustomerLimit, @TotalStock, 0, @Skus, @Categories, @Stacking, @Status, @actor, @now, @now)
                    """,
                    new
                    {
                        id, workspaceId, t.Name, t.Description, t.Kind, t.Percent, t.Amount, t.Threshold, t.MaxDiscount, t.GiftSku, t.MinSpend,
                        t.ValidFrom, t.ValidTo, t.ValidDays, t.PerCustomerLimit, t.TotalStock, t.Skus, t.Categories, t.Stacking, t.Status, actor, now,
                    });
            }
            catch (System.Data.Common.DbException e) when (Database.IsUniqueViolation(e))
            {
                throw Duplicate(t.Name);
            }
        }

        await audit.RecordAsync(workspaceId, actor, "coupon_template.created", $"coupon_template:{id}", new { name = t.Name, kind = t.Kind });
        return await GetAsync(workspaceId, id);
    }

    public async Task<CouponTemplate> UpdateAsync(Guid workspaceId, Guid id, CouponTemplateInput input, string actor)
    {
        var current = await GetAsync(workspaceId, id);
        var t = Validate(Merge(current, input), current.IssuedCount);
        await using (var connection = await database.OpenAsync())
        {
            await EnsureUniqueAsync(connection, workspaceId, t.Name, id);
            int changed;
            try
            {
                // The stock check is repeated in the statement: a concurrent issue may have raised issued_count since we read it.
                changed = await connection.ExecuteAsync(
                    """
                    UPDATE coupon_templates SET name = @Name, description = @Description, kind = @Kind, percent = @Percent, amount = @Amount,
                        threshold = @Threshold, max_discount = @MaxDiscount, gift_sku = @GiftSku, min_spend = @MinSpend, valid_from = @ValidFrom,
                        valid_to = @ValidTo, valid_days = @ValidDays, per_customer_limit = @PerCustomerLimit, total_stock = @TotalStock,
                        skus = @Skus, categories = @Categories, stacking = @Stacking, status = @Status, updated_at = @now
                    WHERE workspace_id = @workspaceId AND id = @id AND (@TotalStock IS NULL OR issued_count <= @TotalStock)
                    """,
                    new
                    {
                        id, workspaceId, t.Name, t.Description, t.Kind, t.Percent, t.Amount, t.Threshold, t.MaxDiscount, t.GiftSku, t.MinSpend,
                        t.ValidFrom, t.ValidTo, t.ValidDays, t.PerCustomerLimit, t.TotalStock, t.Skus, t.Categories, t.Stacking, t.Status, now = clock.GetUtcNow(),
                    });
            }
            catch (System.Data.Common.DbException e) when (Database.IsUniqueViolation(e))
            {
                throw Duplicate(t.Name);
            }

            if (changed == 0)
                throw new ValidationFailedException("totalStock cannot be below the number of coupons already issued.", "totalStock");
        }

        await audit.RecordAsync(workspaceId, actor, "coupon_template.updated", $"coupon_template:{id}", new { name = t.Name, status = t.Status });
        return await GetAsync(workspaceId, id);
    }

    /// <summary>Every template's metrics in one pass (the list page).</summary>
    public async Task<IReadOnlyDictionary<Guid, CouponMetrics>> MetricsAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var counts = (await connection.QueryAsync<StatusCount>(
            "SELECT template_id, status, COUNT(*) AS n FROM coupons WHERE workspace_id = @workspaceId GROUP BY template_id, status", new { workspaceId })).AsList();
        var money = (await connection.QueryAsync<MoneyRow>(
            """
            SELECT template_id, COALESCE(SUM(order_amount), 0) AS gmv, COALESCE(SUM(discount), 0) AS discount
            FROM coupon_redemptions WHERE workspace_id = @workspaceId AND released_at IS NULL GROUP BY template_id
            """, new { workspaceId })).ToDictionary(m => m.TemplateId);
        return counts.GroupBy(c => c.TemplateId).ToDictionary(g => g.Key, g => Metrics(g.Key, g, money.GetValueOrDefault(g.Key)));
    }

    public async Task<CouponMetrics> MetricsAsync(Guid workspaceId, Guid id)
    {
        await GetAsync(workspaceId, id);
        await using var connection = await database.OpenAsync();
        var counts = await connection.QueryAsync<StatusCount>(
            "SELECT template_id, status, COUNT(*) AS n FROM coupons WHERE template_id = @id GROUP BY template_id, status", new { id });
        var money = await connection.QuerySingleAsync<MoneyRow>(
            """
            SELECT @id AS template_id, COALESCE(SUM(order_amount), 0) AS gmv, COALESCE(SUM(discount), 0) AS discount
            FROM coupon_redemptions WHERE template_id = @id AND released_at IS NULL
            """, new { id });
        return Metrics(id, counts, money);
    }

    /// <summary>Coupons issued and redeemed per day (in the workspace's time zone) over the last <paramref name="days"/> days.</summary>
    public async Task<IReadOnlyList<CouponDay>> DailyAsync(Guid workspaceId, Guid id, int days)
    {
        await GetAsync(workspaceId, id);
        days = Math.Clamp(days, 1, 400);
        await using var connection = await database.OpenAsync();
        var zoneId = await connection.ExecuteScalarAsync<string>("SELECT time_zone FROM workspaces WHERE id = @workspaceId", new { workspaceId });
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(zoneId ?? "Asia/Shanghai", out var found) ? found : TimeZoneInfo.Utc;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).DateTime);
        var first = today.AddDays(-days + 1);
        var since = new DateTimeOffset(first.ToDateTime(TimeOnly.MinValue), zone.GetUtcOffset(first.ToDateTime(TimeOnly.MinValue)));
        var issued = await connection.QueryAsync<DateTimeOffset>("SELECT issued_at FROM coupons WHERE template_id = @id AND issued_at >= @since", new { id, since });
        var redeemed = await connection.QueryAsync<RedemptionRow>(
            "SELECT redeemed_at, order_amount, discount FROM coupon_redemptions WHERE template_id = @id AND released_at IS NULL AND redeemed_at >= @since",
            new { id, since });
        DateOnly Day(DateTimeOffset at) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);
        var issuedByDay = issued.GroupBy(Day).ToDictionary(g => g.Key, g => g.Count());
        var redeemedByDay = redeemed.GroupBy(r => Day(r.RedeemedAt)).ToDictionary(g => g.Key, g => g.ToList());
        var result = new List<CouponDay>(days);
        for (var day = first; day <= today; day = day.AddDays(1))
        {
            var rows = redeemedByDay.GetValueOrDefault(day) ?? [];
            result.Add(new CouponDay(day, issuedByDay.GetValueOrDefault(day), rows.Count, rows.Sum(r => r.OrderAmount), rows.Sum(r => r.Discount)));
        }

        return result;
    }

    private static CouponMetrics Metrics(Guid id, IEnumerable<StatusCount> counts, MoneyRow? money)
    {
        var by = counts.ToDictionary(c => c.Status, c => (int)c.N);
        var issued = by.Values.Sum();
        var redeemed = by.GetValueOrDefault(CouponStatuses.Redeemed);
        return new CouponMetrics(id, issued, by.GetValueOrDefault(CouponStatuses.Unused), redeemed, by.GetValueOrDefault(CouponStatuses.Expired),
            by.GetValueOrDefault(CouponStatuses.Revoked), issued == 0 ? 0 : Math.Round((double)redeemed / issued, 4), money?.Gmv ?? 0, money?.Discount ?? 0);
    }

    private static CouponTemplate Merge(CouponTemplate c, CouponTemplateInput i) => new()
    {
        Id = c.Id,
        WorkspaceId = c.WorkspaceId,
        Name = i.Name?.Trim() ?? c.Name,
        Description = i.Description is null ? c.Description : (i.Description.Trim() is { Length: > 0 } d ? d : null),
        Kind = i.Kind?.Trim().ToLowerInvariant() ?? c.Kind,
        Percent = i.Percent ?? c.Percent,
        Amount = i.Amount is { } a ? Money.ToFen(a) : c.Amount,
        Threshold = i.Threshold is { } th ? Money.ToFen(th) : c.Threshold,
        MaxDiscount = i.MaxDiscount is { } m ? (m == 0 ? null : Money.ToFen(m)) : c.MaxDiscount,
        GiftSku = i.GiftSku is null ? c.GiftSku : (i.GiftSku.Trim() is { Length: > 0 } g ? g : null),
        MinSpend = i.MinSpend is { } s ? Money.ToFen(s) : c.MinSpend,
        // Giving one kind of validity replaces the other kind (giving both is refused by Validate).
        ValidFrom = i.ValidFrom ?? (i.ValidDays is not null && i.ValidTo is null ? null : c.ValidFrom),
        ValidTo = i.ValidTo ?? (i.ValidDays is not null && i.ValidFrom is null ? null : c.ValidTo),
        ValidDays = i.ValidDays ?? (i.ValidFrom is not null || i.ValidTo is not null ? null : c.ValidDays),
        PerCustomerLimit = i.PerCustomerLimit is { } l ? (l == 0 ? null : l) : c.PerCustomerLimit,
        TotalStock = i.TotalStock is { } st ? (st == 0 ? null : st) : c.TotalStock,
        Skus = i.Skus is null ? c.Skus : CouponJson.Of(Clean(i.Skus, "skus")),
        Categories = i.Categories is null ? c.Categories : CouponJson.Of(Clean(i.Categories, "categories")),
        Stacking = i.Stacking?.Trim().ToLowerInvariant() ?? c.Stacking,
        Status = i.Status?.Trim().ToLowerInvariant() ?? c.Status,
        IssuedCount = c.IssuedCount,
    };

    private static List<string> Clean(IReadOnlyList<string> values, string field)
    {
        var clean = values.Select(v => v?.Trim() ?? "").Where(v => v.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (clean.Count > 500)
            throw new ValidationFailedException($"{field} holds at most 500 entries.", field);
        if (clean.Any(v => v.Length > 100))
            throw new ValidationFailedException($"Each of {field} must be at most 100 characters.", field);
        return clean;
    }

    /// <summary>Checks a merged template; <paramref name="issued"/> is how many coupons already exist (stock cannot go below it).</summary>
    internal static CouponTemplate Validate(CouponTemplate t, int issued)
    {
        if (t.Name.Length == 0)
            throw new ValidationFailedException("name is required, e.g. \"新客满200减30\".", "name");
        if (t.Name.Length > MaxNameLength)
            throw new ValidationFailedException($"name must be at most {MaxNameLength} characters.", "name");
        if (Array.IndexOf(CouponKinds.All, t.Kind) < 0)
            throw new ValidationFailedException($"kind must be one of {string.Join(", ", CouponKinds.All)}.", "kind");
        switch (t.Kind)
        {
            case CouponKinds.Percent:
                if (t.Percent is not (>= 1 and <= 99))
                    throw new ValidationFailedException("percent must be 1..99: what the customer pays, so 85 means 85折 (15% off).", "percent");
                break;
            case CouponKinds.Amount:
                if (t.Amount is not > 0)
                    throw new ValidationFailedException("amount must be more than 0 yuan for an amount-off (立减) coupon.", "amount");
                break;
            case CouponKinds.Threshold:
                if (t.Threshold is not > 0)
                    throw new ValidationFailedException("threshold must be more than 0 yuan for a 满减 coupon (e.g. 200 in 满200减30).", "threshold");
                if (t.Amount is not > 0)
                    throw new ValidationFailedException("amount must be more than 0 yuan for a 满减 coupon (e.g. 30 in 满200减30).", "amount");
                if (t.Amount >= t.Threshold)
                    throw new ValidationFailedException("amount must be less than threshold: 满200减30 takes 30 off orders of 200 or more.", "amount");
                break;
            case CouponKinds.Gift:
                if (string.IsNullOrWhiteSpace(t.GiftSku))
                    throw new ValidationFailedException("giftSku is required for a gift coupon: the sku the customer receives.", "giftSku");
                break;
        }

        if (t.MaxDiscount is < 0)
            throw new ValidationFailedException("maxDiscount cannot be negative.", "maxDiscount");
        if (t.MinSpend < 0)
            throw new ValidationFailedException("minSpend cannot be negative.", "minSpend");
        var fixedWindow = t.ValidFrom is not null || t.ValidTo is not null;
        if (fixedWindow && t.ValidDays is not null)
            throw new ValidationFailedException("Give either validFrom/validTo (fixed dates) or validDays (days from issue), not both.", "validDays");
        if (!fixedWindow && t.ValidDays is null)
            throw new ValidationFailedException("Validity is required: validFrom and validTo (fixed dates) or validDays (e.g. 30 days from issue).", "validDays");
        if (fixedWindow && (t.ValidFrom is null || t.ValidTo is null))
            throw new ValidationFailedException("Fixed validity needs both validFrom and validTo.", t.ValidFrom is null ? "validFrom" : "validTo");
        if (fixedWindow && t.ValidTo <= t.ValidFrom)
            throw new ValidationFailedException("validTo must be after validFrom.", "validTo");
        if (t.ValidDays is { } days && days is < 1 or > MaxValidDays)
            throw new ValidationFailedException($"validDays must be 1..{MaxValidDays}.", "validDays");
        if (t.PerCustomerLimit is < 0)
            throw new ValidationFailedException("perCustomerLimit must be 1 or more (0 or empty: no limit).", "perCustomerLimit");
        if (t.TotalStock is < 0)
            throw new ValidationFailedException("totalStock must be 1 or more (0 or empty: unlimited).", "totalStock");
        if (t.TotalStock is { } stock && stock < issued)
            throw new ValidationFailedException($"totalStock cannot be below the {issued} coupons already issued.", "totalStock");
        if (t.Stacking is not (CouponStacking.Exclusive or CouponStacking.Stackable))
            throw new ValidationFailedException("stacking must be 'exclusive' (used alone) or 'stackable' (combines with other stackable coupons).", "stacking");
        if (Array.IndexOf(CouponTemplateStatuses.All, t.Status) < 0)
            throw new ValidationFailedException($"status must be one of {string.Join(", ", CouponTemplateStatuses.All)}.", "status");
        return t;
    }

    private static async Task EnsureUniqueAsync(System.Data.Common.DbConnection connection, Guid workspaceId, string name, Guid? except)
    {
        var other = await connection.ExecuteScalarAsync<Guid?>(
            "SELECT id FROM coupon_templates WHERE workspace_id = @workspaceId AND name = @name", new { workspaceId, name });
        if (other is { } id && id != except)
            throw Duplicate(name);
    }

    private static ConflictException Duplicate(string name) => new($"A coupon template named '{name}' already exists; choose another name.");

    private sealed class StatusCount
    {
        public Guid TemplateId { get; init; }
        public string Status { get; init; } = "";
        public long N { get; init; }
    }

    private sealed class MoneyRow
    {
        public Guid TemplateId { get; init; }
        public long Gmv { get; init; }
        public long Discount { get; init; }
    }

    private sealed class RedemptionRow
    {
        public DateTimeOffset RedeemedAt { get; init; }
        public long OrderAmount { get; init; }
        public long Discount { get; init; }
    }
}
