using System.Data.Common;
using Dapper;
using Pond.Audience;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Commerce.Coupons;

/// <summary>
/// Checks and redeems coupons. Redemption is one conditional UPDATE (status 'unused' → 'redeemed' for this order
/// while the window is open): of any number of concurrent attempts the database lets exactly one change the row;
/// the others see zero rows changed and are refused, unless they are the same order again (idempotent).
/// </summary>
internal sealed class CouponRedeemer(Database database, AuditLog audit, TimeProvider clock, AudienceChanges changes)
{
    public const int MaxOrderIdLength = 128;

    public async Task<Coupon> GetAsync(Guid workspaceId, string code)
    {
        var normal = CouponCodes.Normalize(code);
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<Coupon>(
            "SELECT c.*, t.name AS template_name FROM coupons c JOIN coupon_templates t ON t.id = c.template_id WHERE c.workspace_id = @workspaceId AND c.code = @normal",
            new { workspaceId, normal })
            ?? throw new NotFoundException($"No coupon with code {code} in this workspace.");
    }

    public async Task<IReadOnlyList<Coupon>> ListForTemplateAsync(Guid workspaceId, Guid templateId, string? status, int limit)
    {
        if (status is not null && Array.IndexOf(CouponStatuses.All, status) < 0)
            throw new ValidationFailedException($"status must be one of {string.Join(", ", CouponStatuses.All)}.", "status");
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<Coupon>(
            "SELECT c.*, t.name AS template_name FROM coupons c JOIN coupon_templates t ON t.id = c.template_id WHERE c.workspace_id = @workspaceId AND c.template_id = @templateId"
            + (status is null ? "" : " AND c.status = @status") + " ORDER BY c.updated_at DESC, c.id DESC LIMIT @limit",
            new { workspaceId, templateId, status, limit = Math.Clamp(limit, 1, 500) })).AsList();
    }

    public async Task<IReadOnlyList<Coupon>> ListForCustomerAsync(Guid workspaceId, Guid customerId)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<Coupon>(
            "SELECT c.*, t.name AS template_name FROM coupons c JOIN coupon_templates t ON t.id = c.template_id WHERE c.workspace_id = @workspaceId AND c.customer_id = @customerId ORDER BY c.issued_at DESC LIMIT 200",
            new { workspaceId, customerId })).AsList();
    }

    /// <summary>Checks every rule and computes the discount, without redeeming.</summary>
    public async Task<CouponQuote> QuoteAsync(Guid workspaceId, string code, CouponCart cart)
    {
        await using var connection = await database.OpenAsync();
        var (coupon, template) = await LoadAsync(connection, null, workspaceId, code);
        return await CheckAsync(connection, null, workspaceId, coupon, template, cart, clock.GetUtcNow());
    }

    /// <summary>Redeems a coupon against an order in its own transaction.</summary>
    public async Task<CouponRedemption> RedeemAsync(Guid workspaceId, string code, CouponCart cart, string actor)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await CouponIssuer.BeginAsync(connection, CancellationToken.None);
        var redemption = await RedeemInAsync(connection, transaction, clock.GetUtcNow(), workspaceId, code, cart);
        if (!redemption.Repeated)
            await audit.RecordAsync(workspaceId, actor, "coupon.redeemed", $"coupon:{redemption.CouponId}",
                new { code = redemption.Code, order = redemption.OrderId, discount = redemption.Discount }, connection, transaction);
        await transaction.CommitAsync();
        if (!redemption.Repeated)
            changes.Touch(workspaceId, [redemption.CustomerId]);
        return redemption;
    }

    /// <summary>
    /// Redeems inside the caller's transaction (an order being recorded). Refusals throw before anything is written
    /// (ValidationFailed: the cart does not qualify; Conflict: the coupon is used, expired or revoked), and no
    /// statement fails on purpose, so the caller's transaction stays usable.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Part of the service other features get from DI, next to the methods that use its state.")]
    public async Task<CouponRedemption> RedeemInAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset now, Guid workspaceId, string code, CouponCart cart)
    {
        // Stored in milliseconds: answer with what a repeat will read back.
        now = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
        var orderId = cart.OrderId?.Trim();
        if (string.IsNullOrEmpty(orderId))
            throw new ValidationFailedException("orderId is required: the order the coupon is used on (redeeming again for the same order is safe).", "orderId");
        if (orderId.Length > MaxOrderIdLength)
            throw new ValidationFailedException($"orderId must be at most {MaxOrderIdLength} characters.", "orderId");
        var (coupon, template) = await LoadAsync(connection, transaction, workspaceId, code);
        if (coupon.Status == CouponStatuses.Redeemed && coupon.OrderId == orderId)
            return await RepeatAsync(connection, transaction, coupon);
        var quote = await CheckAsync(connection, transaction, workspaceId, coupon, template, cart, now);

        var changed = await connection.ExecuteAsync(
            """
            UPDATE coupons SET status = 'redeemed', order_id = @orderId, redeemed_at = @now, updated_at = @now
            WHERE id = @id AND status = 'unused' AND valid_from <= @now AND valid_to > @now
            """, new { id = coupon.Id, orderId, now }, transaction);
        if (changed == 0)
        {
            // Someone else changed it between our read and our write: tell them apart by reading again.
            var latest = await connection.QuerySingleAsync<Coupon>("SELECT * FROM coupons WHERE id = @id", new { id = coupon.Id }, transaction);
            if (latest.Status == CouponStatuses.Redeemed && latest.OrderId == orderId)
                return await RepeatAsync(connection, transaction, latest);
            throw Refusal(latest, now);
        }

        var paid = cart.Paid ?? Math.Max(0, cart.Lines.Sum(l => l.Amount) + cart.Shipping - quote.Discount);
        // The coupon row is ours now (we changed it under its lock), so nobody else writes this coupon's redemption rows.
        var released = await connection.ExecuteAsync(
            """
            UPDATE coupon_redemptions SET discount = @discount, order_amount = @paid, gift_sku = @gift, redeemed_at = @now, released_at = NULL
            WHERE coupon_id = @id AND order_id = @orderId
            """, new { id = coupon.Id, orderId, discount = quote.Discount, paid, gift = quote.GiftSku, now }, transaction);
        if (released == 0)
            await connection.ExecuteAsync(
                """
                INSERT INTO coupon_redemptions (id, workspace_id, coupon_id, template_id, customer_id, order_id, discount, order_amount, gift_sku, redeemed_at)
                VALUES (@rid, @workspaceId, @id, @templateId, @customerId, @orderId, @discount, @paid, @gift, @now)
                """,
                new
                {
                    rid = Guid.CreateVersion7(now), workspaceId, id = coupon.Id, templateId = template.Id, customerId = coupon.CustomerId, orderId,
                    discount = quote.Discount, paid, gift = quote.GiftSku, now,
                }, transaction);
        return new CouponRedemption(coupon.Id, coupon.Code, template.Id, coupon.CustomerId, orderId, quote.Discount, paid, quote.GiftSku, now, false);
    }

    /// <summary>
    /// A fully refunded order gives its coupons back: unused again while still within their window, else expired.
    /// The redemption rows stay, marked released, so the history shows what happened. Returns the customers touched.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Part of the service other features get from DI, next to the methods that use its state.")]
    public async Task<IReadOnlyList<Guid>> ReleaseInAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset now, Guid workspaceId, string orderId)
    {
        var held = (await connection.QueryAsync<Coupon>(
            "SELECT * FROM coupons WHERE workspace_id = @workspaceId AND order_id = @orderId AND status = 'redeemed'", new { workspaceId, orderId }, transaction)).AsList();
        foreach (var coupon in held)
        {
            var back = coupon.ValidTo > now ? CouponStatuses.Unused : CouponStatuses.Expired;
            await connection.ExecuteAsync(
                """
                UPDATE coupons SET status = @back, order_id = NULL, redeemed_at = NULL, updated_at = @now,
                    expired_at = CASE WHEN @back = 'expired' THEN @now ELSE expired_at END
                WHERE id = @id AND status = 'redeemed' AND order_id = @orderId
                """, new { id = coupon.Id, back, orderId, now }, transaction);
            await connection.ExecuteAsync(
                "UPDATE coupon_redemptions SET released_at = @now WHERE coupon_id = @id AND order_id = @orderId AND released_at IS NULL",
                new { id = coupon.Id, orderId, now }, transaction);
        }

        return held.Select(c => c.CustomerId).Distinct().ToList();
    }

    /// <summary>Withdraws an unused coupon (issued by mistake, fraud). A redeemed coupon cannot be revoked.</summary>
    public async Task<Coupon> RevokeAsync(Guid workspaceId, string code, string actor)
    {
        var coupon = await GetAsync(workspaceId, code);
        var now = clock.GetUtcNow();
        await using (var connection = await database.OpenAsync())
        {
            var changed = await connection.ExecuteAsync(
                "UPDATE coupons SET status = 'revoked', revoked_at = @now, updated_at = @now WHERE id = @id AND status = 'unused'", new { id = coupon.Id, now });
            if (changed == 0)
                throw new ConflictException($"Coupon {coupon.Code} is {(await GetAsync(workspaceId, code)).Status}; only unused coupons can be revoked.");
        }

        await audit.RecordAsync(workspaceId, actor, "coupon.revoked", $"coupon:{coupon.Id}", new { code = coupon.Code });
        changes.Touch(workspaceId, [coupon.CustomerId]);
        return await GetAsync(workspaceId, code);
    }

    private static async Task<(Coupon Coupon, CouponTemplate Template)> LoadAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, string code)
    {
        var normal = CouponCodes.Normalize(code);
        if (normal.Length == 0)
            throw new ValidationFailedException("code is required.", "code");
        var coupon = await connection.QuerySingleOrDefaultAsync<Coupon>(
            "SELECT * FROM coupons WHERE workspace_id = @workspaceId AND code = @normal", new { workspaceId, normal }, transaction)
            ?? throw new NotFoundException($"No coupon with code {code} in this workspace.");
        var template = await connection.QuerySingleAsync<CouponTemplate>(
            "SELECT * FROM coupon_templates WHERE id = @id", new { id = coupon.TemplateId }, transaction);
        return (coupon, template);
    }

    private static async Task<CouponQuote> CheckAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Coupon coupon, CouponTemplate template,
        CouponCart cart, DateTimeOffset now)
    {
        if (coupon.CustomerId != cart.CustomerId)
            throw new ConflictException($"Coupon {coupon.Code} belongs to another customer; a coupon can only be used by the customer it was issued to.");
        if (coupon.Status != CouponStatuses.Unused && !(coupon.Status == CouponStatuses.Redeemed && coupon.OrderId == cart.OrderId?.Trim()))
            throw Refusal(coupon, now);
        if (now < coupon.ValidFrom)
            throw new ConflictException($"Coupon {coupon.Code} is not valid yet: it can be used from {coupon.ValidFrom:yyyy-MM-dd HH:mm} UTC.");
        if (now >= coupon.ValidTo)
            throw new ConflictException($"Coupon {coupon.Code} expired on {coupon.ValidTo:yyyy-MM-dd HH:mm} UTC.");

        var otherCodes = cart.OtherCodes.Select(CouponCodes.Normalize).Where(c => c.Length > 0 && c != coupon.Code).Distinct().ToList();
        var others = new List<(string Code, string Stacking)>();
        foreach (var other in otherCodes)
        {
            var stacking = await connection.ExecuteScalarAsync<string?>(
                "SELECT t.stacking FROM coupons c JOIN coupon_templates t ON t.id = c.template_id WHERE c.workspace_id = @workspaceId AND c.code = @other",
                new { workspaceId, other }, transaction)
                ?? throw new ValidationFailedException($"The order's other coupon {other} does not exist in this workspace.", "otherCodes");
            others.Add((other, stacking));
        }

        CouponRules.CheckStacking(coupon.Code, template, others);
        return CouponRules.Quote(template, coupon.Code, cart);
    }

    private static ConflictException Refusal(Coupon coupon, DateTimeOffset now) => coupon.Status switch
    {
        CouponStatuses.Redeemed => new ConflictException($"Coupon {coupon.Code} has already been redeemed (order {coupon.OrderId})."),
        CouponStatuses.Expired => new ConflictException($"Coupon {coupon.Code} has expired."),
        CouponStatuses.Revoked => new ConflictException($"Coupon {coupon.Code} has been revoked."),
        _ when now >= coupon.ValidTo => new ConflictException($"Coupon {coupon.Code} expired on {coupon.ValidTo:yyyy-MM-dd HH:mm} UTC."),
        _ => new ConflictException($"Coupon {coupon.Code} is not valid yet: it can be used from {coupon.ValidFrom:yyyy-MM-dd HH:mm} UTC."),
    };

    private static async Task<CouponRedemption> RepeatAsync(DbConnection connection, DbTransaction? transaction, Coupon coupon)
    {
        var row = await connection.QuerySingleAsync<RedemptionRow>(
            "SELECT * FROM coupon_redemptions WHERE coupon_id = @id AND order_id = @orderId", new { id = coupon.Id, orderId = coupon.OrderId }, transaction);
        return new CouponRedemption(coupon.Id, coupon.Code, row.TemplateId, row.CustomerId, row.OrderId, row.Discount, row.OrderAmount, row.GiftSku, row.RedeemedAt, true);
    }

    private sealed class RedemptionRow
    {
        public Guid TemplateId { get; init; }
        public Guid CustomerId { get; init; }
        public string OrderId { get; init; } = "";
        public long Discount { get; init; }
        public long OrderAmount { get; init; }
        public string? GiftSku { get; init; }
        public DateTimeOffset RedeemedAt { get; init; }
    }
}
