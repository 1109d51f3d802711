using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Pond.Audience;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Commerce.Coupons;

/// <summary>
/// Issues coupons: to one customer (by hand, by API, and for other features — journeys, referrals, welcome
/// messages — in their own transaction or inside one they already hold), and in bulk to a segment.
/// Stock and the per-customer limit are kept by the database: issuing first raises the template's issued_count
/// with a conditional UPDATE (which also locks the template row on PostgreSQL until commit, so issues of one template
/// queue up), then counts the customer's coupons and writes the coupon. An idempotency key issues at most once per template.
/// </summary>
internal sealed class CouponIssuer(Database database, CouponTemplates templates, AuditLog audit, TimeProvider clock, AudienceChanges changes)
{
    public const int BatchSize = 500;
    public const int MaxKeyLength = 200;

    /// <summary>Issues one coupon in its own transaction. A repeated idempotency key returns the coupon it issued (Created false).</summary>
    public async Task<CouponIssue> IssueAsync(Guid workspaceId, Guid templateId, Guid customerId, string source, string? idempotencyKey, string? actor = null,
        CancellationToken cancellationToken = default)
    {
        CheckKey(idempotencyKey);
        await using var connection = await database.OpenAsync(cancellationToken);
        await EnsureCustomerAsync(connection, null, workspaceId, customerId);
        await using var transaction = await BeginAsync(connection, cancellationToken);
        var issue = await IssueInAsync(connection, transaction, clock.GetUtcNow(), workspaceId, templateId, customerId, source, idempotencyKey);
        if (issue.Created && actor is not null)
            await audit.RecordAsync(workspaceId, actor, "coupon.issued", $"coupon:{issue.Coupon.Id}",
                new { template = templateId, customer = customerId, source }, connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        if (issue.Created)
            changes.Touch(workspaceId, [customerId]);
        return issue;
    }

    /// <summary>Issues one coupon inside an order's transaction (a gift for the order, a tier benefit).</summary>
    public async Task<CouponIssue> IssueAsync(OrderEffectContext context, Guid workspaceId, Guid templateId, Guid customerId, string source, string? idempotencyKey)
    {
        var issue = await IssueInAsync(context.Connection, context.Transaction, context.Now, workspaceId, templateId, customerId, source, idempotencyKey);
        if (issue.Created)
            context.Touched.Add(customerId);
        return issue;
    }

    /// <summary>
    /// Issues one coupon inside the caller's transaction (on SQLite the caller holds the write lock: BEGIN IMMEDIATE).
    /// Refusals (paused template, out of stock, limit reached) throw before anything is written, and no statement here
    /// fails on purpose, so the caller's transaction stays usable. The caller tells the audience engine after commit.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Part of the service other features get from DI, next to the methods that use its state.")]
    public Task<CouponIssue> IssueInAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset now, Guid workspaceId, Guid templateId,
        Guid customerId, string source, string? idempotencyKey) =>
        IssueInCoreAsync(connection, transaction, now, workspaceId, templateId, customerId, source, idempotencyKey);

    /// <summary>The body of <see cref="IssueInAsync"/>, for engine code that runs without DI (the event processor's welcome messages).</summary>
    internal static async Task<CouponIssue> IssueInCoreAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset now, Guid workspaceId, Guid templateId,
        Guid customerId, string source, string? idempotencyKey)
    {
        CheckKey(idempotencyKey);
        var template = await connection.QuerySingleOrDefaultAsync<CouponTemplate>(
            "SELECT * FROM coupon_templates WHERE workspace_id = @workspaceId AND id = @templateId", new { workspaceId, templateId }, transaction)
            ?? throw new NotFoundException($"No coupon template {templateId} in this workspace.");
        if (idempotencyKey is not null && await ByKeyAsync(connection, transaction, templateId, idempotencyKey) is { } earlier)
            return new CouponIssue(earlier, false);
        CheckIssuable(template, now);

        // Raising the count first takes the template's row lock (PostgreSQL), so the checks below see every issue committed before ours.
        var raised = await connection.ExecuteAsync(
            "UPDATE coupon_templates SET issued_count = issued_count + 1 WHERE id = @templateId AND (total_stock IS NULL OR issued_count < total_stock)",
            new { templateId }, transaction);
        if (raised == 0)
            throw new ConflictException($"Coupon template '{template.Name}' is out of stock: all {template.TotalStock} coupons have been issued.");
        if (idempotencyKey is not null && await ByKeyAsync(connection, transaction, templateId, idempotencyKey) is { } raced)
        {
            await UndoAsync(connection, transaction, templateId, 1);
            return new CouponIssue(raced, false);
        }

        if (template.PerCustomerLimit is { } limit)
        {
            var held = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM coupons WHERE template_id = @templateId AND customer_id = @customerId", new { templateId, customerId }, transaction);
            if (held >= limit)
            {
                await UndoAsync(connection, transaction, templateId, 1);
                throw new ConflictException($"This customer already has {held} coupon(s) of '{template.Name}'; the limit is {limit} per customer.");
            }
        }

        var coupon = NewCoupon(template, workspaceId, customerId, source, idempotencyKey, now);
        await InsertAsync(connection, transaction, [coupon]);
        return new CouponIssue(coupon, true);
    }

    /// <summary>
    /// Issues one coupon to every member of a segment, a batch at a time, respecting stock and the per-customer limit.
    /// The issue key makes it safe to retry: members who got their coupon under the same key are counted as Already.
    /// </summary>
    public async Task<BulkIssueResult> IssueToSegmentAsync(Guid workspaceId, Guid templateId, Guid segmentId, string? issueKey, string actor,
        CancellationToken cancellationToken = default)
    {
        var key = string.IsNullOrWhiteSpace(issueKey) ? $"segment:{segmentId:N}:{Guid.CreateVersion7():N}" : issueKey.Trim();
        if (key.Length > MaxKeyLength - 33)
            throw new ValidationFailedException($"issueKey must be at most {MaxKeyLength - 33} characters.", "issueKey");
        var template = await templates.GetAsync(workspaceId, templateId);
        CheckIssuable(template, clock.GetUtcNow());
        await using var connection = await database.OpenAsync(cancellationToken);
        // Read directly (not through SegmentBook) so hosts without the audience engine (CLI verbs, journeys) can issue too.
        var segmentName = await connection.ExecuteScalarAsync<string?>(
            "SELECT name FROM segments WHERE workspace_id = @workspaceId AND id = @segmentId", new { workspaceId, segmentId })
            ?? throw new NotFoundException($"No segment {segmentId} in this workspace.");
        var members = (await connection.QueryAsync<Guid>(
            "SELECT customer_id FROM segment_members WHERE segment_id = @segmentId ORDER BY customer_id", new { segmentId })).AsList();

        int issued = 0, already = 0, skippedLimit = 0, skippedStock = 0;
        var touched = new List<Guid>();
        foreach (var batch in members.Chunk(BatchSize))
        {
            await using var transaction = await BeginAsync(connection, cancellationToken);
            var now = clock.GetUtcNow();
            var stock = await connection.QuerySingleAsync<StockRow>(
                "SELECT issued_count, total_stock FROM coupon_templates WHERE id = @templateId" + (database.IsSqlite ? "" : " FOR UPDATE"),
                new { templateId }, transaction);
            var keys = batch.Select(c => MemberKey(key, c)).ToArray();
            var done = (await connection.QueryAsync<string>(
                database.IsSqlite
                    ? "SELECT issue_key FROM coupons WHERE template_id = @templateId AND issue_key IN (SELECT value FROM json_each(@keys))"
                    : "SELECT issue_key FROM coupons WHERE template_id = @templateId AND issue_key = ANY(@keys)",
                new { templateId, keys = database.IsSqlite ? (object)System.Text.Json.JsonSerializer.Serialize(keys) : keys }, transaction)).ToHashSet();
            var held = template.PerCustomerLimit is null
                ? new Dictionary<Guid, long>()
                : (await connection.QueryAsync<HeldRow>(
                    database.IsSqlite
                        ? "SELECT customer_id, COUNT(*) AS n FROM coupons WHERE template_id = @templateId AND customer_id IN (SELECT value FROM json_each(@ids)) GROUP BY customer_id"
                        : "SELECT customer_id, COUNT(*) AS n FROM coupons WHERE template_id = @templateId AND customer_id = ANY(@ids) GROUP BY customer_id",
                    new { templateId, ids = database.IsSqlite ? (object)System.Text.Json.JsonSerializer.Serialize(batch) : batch }, transaction))
                    .ToDictionary(h => h.CustomerId, h => h.N);
            var room = stock.TotalStock is { } total ? Math.Max(0, total - stock.IssuedCount) : int.MaxValue;
            var fresh = new List<Coupon>();
            foreach (var customerId in batch)
            {
                if (done.Contains(MemberKey(key, customerId)))
                    already++;
                else if (template.PerCustomerLimit is { } limit && held.GetValueOrDefault(customerId) >= limit)
                    skippedLimit++;
                else if (fresh.Count >= room)
                    skippedStock++;
                else
                    fresh.Add(NewCoupon(template, workspaceId, customerId, CouponSources.Segment, MemberKey(key, customerId), now));
            }

            if (fresh.Count > 0)
            {
                var raised = await connection.ExecuteAsync(
                    "UPDATE coupon_templates SET issued_count = issued_count + @n WHERE id = @templateId AND (total_stock IS NULL OR issued_count + @n <= total_stock)",
                    new { templateId, n = fresh.Count }, transaction);
                if (raised == 0)
                    throw new InvalidOperationException("The template's stock changed while it was locked.");
                await InsertAsync(connection, transaction, fresh);
            }

            await transaction.CommitAsync(cancellationToken);
            issued += fresh.Count;
            touched.AddRange(fresh.Select(c => c.CustomerId));
        }

        await audit.RecordAsync(workspaceId, actor, "coupon.issued_to_segment", $"coupon_template:{templateId}",
            new { segment = segmentName, issueKey = key, issued, already, skippedLimit, skippedStock });
        changes.Touch(workspaceId, touched);
        return new BulkIssueResult(key, members.Count, issued, already, skippedLimit, skippedStock);
    }

    internal static async Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // SQLite: take the write lock up front; a deferred transaction that reads first and writes later can fail to upgrade.
        connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : await connection.BeginTransactionAsync(cancellationToken);

    internal static void CheckIssuable(CouponTemplate template, DateTimeOffset now)
    {
        if (template.Status != CouponTemplateStatuses.Active)
            throw new ConflictException($"Coupon template '{template.Name}' is {template.Status}; set it active to issue coupons.");
        if (template.ValidTo is { } end && end <= now)
            throw new ConflictException($"Coupon template '{template.Name}' ended on {end:yyyy-MM-dd}; its coupons could not be used. Extend validTo first.");
    }

    private static void CheckKey(string? key)
    {
        if (key is { Length: > MaxKeyLength })
            throw new ValidationFailedException($"idempotencyKey must be at most {MaxKeyLength} characters.", "idempotencyKey");
    }

    private static string MemberKey(string key, Guid customerId) => $"{key}:{customerId:N}";

    internal static Coupon NewCoupon(CouponTemplate template, Guid workspaceId, Guid customerId, string source, string? key, DateTimeOffset now)
    {
        var from = template.ValidFrom ?? now;
        var to = template.ValidTo ?? now.AddDays(template.ValidDays ?? 30);
        return new Coupon
        {
            Id = Guid.CreateVersion7(now), WorkspaceId = workspaceId, TemplateId = template.Id, CustomerId = customerId, Code = CouponCodes.New(),
            Status = CouponStatuses.Unused, Source = source, IssueKey = key, IssuedAt = now, ValidFrom = from, ValidTo = to, UpdatedAt = now,
            TemplateName = template.Name,
        };
    }

    private static Task<int> InsertAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<Coupon> coupons) =>
        connection.ExecuteAsync(
            """
            INSERT INTO coupons (id, workspace_id, template_id, customer_id, code, status, source, issue_key, issued_at, valid_from, valid_to, updated_at)
            VALUES (@Id, @WorkspaceId, @TemplateId, @CustomerId, @Code, @Status, @Source, @IssueKey, @IssuedAt, @ValidFrom, @ValidTo, @UpdatedAt)
            """, coupons, transaction);

    /// <summary>
    /// Many coupons in one statement (a journey batch issuing to thousands): a JSON array on SQLite, arrays on
    /// PostgreSQL. A coupon whose issue key was used before is skipped; the caller raises the template's count.
    /// </summary>
    internal static Task<int> InsertManyAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<Coupon> coupons)
    {
        if (connection is SqliteConnection)
        {
            var json = System.Text.Json.JsonSerializer.Serialize(coupons.Select(c => new
            {
                i = c.Id, w = c.WorkspaceId, t = c.TemplateId, c = c.CustomerId, k = c.Code, s = c.Status, o = c.Source, e = c.IssueKey,
                a = c.IssuedAt.ToUnixTimeMilliseconds(), f = c.ValidFrom.ToUnixTimeMilliseconds(), v = c.ValidTo.ToUnixTimeMilliseconds(), u = c.UpdatedAt.ToUnixTimeMilliseconds(),
            }));
            return connection.ExecuteAsync(
                """
                INSERT INTO coupons (id, workspace_id, template_id, customer_id, code, status, source, issue_key, issued_at, valid_from, valid_to, updated_at)
                SELECT value ->> 'i', value ->> 'w', value ->> 't', value ->> 'c', value ->> 'k', value ->> 's', value ->> 'o', value ->> 'e',
                       value ->> 'a', value ->> 'f', value ->> 'v', value ->> 'u'
                FROM json_each(@json) WHERE true ON CONFLICT DO NOTHING
                """, new { json }, transaction);
        }

        return connection.ExecuteAsync(
            """
            INSERT INTO coupons (id, workspace_id, template_id, customer_id, code, status, source, issue_key, issued_at, valid_from, valid_to, updated_at)
            SELECT * FROM unnest(@ids, @workspaces, @templates, @customers, @codes, @statuses, @sources, @keys, @issued, @froms, @tos, @updated)
            ON CONFLICT DO NOTHING
            """,
            new
            {
                ids = coupons.Select(c => c.Id).ToArray(), workspaces = coupons.Select(c => c.WorkspaceId).ToArray(),
                templates = coupons.Select(c => c.TemplateId).ToArray(), customers = coupons.Select(c => c.CustomerId).ToArray(),
                codes = coupons.Select(c => c.Code).ToArray(), statuses = coupons.Select(c => c.Status).ToArray(), sources = coupons.Select(c => c.Source).ToArray(),
                keys = coupons.Select(c => c.IssueKey).ToArray(), issued = coupons.Select(c => c.IssuedAt.ToUnixTimeMilliseconds()).ToArray(),
                froms = coupons.Select(c => c.ValidFrom.ToUnixTimeMilliseconds()).ToArray(), tos = coupons.Select(c => c.ValidTo.ToUnixTimeMilliseconds()).ToArray(),
                updated = coupons.Select(c => c.UpdatedAt.ToUnixTimeMilliseconds()).ToArray(),
            }, transaction);
    }

    private static Task<int> UndoAsync(DbConnection connection, DbTransaction transaction, Guid templateId, int n) =>
        connection.ExecuteAsync("UPDATE coupon_templates SET issued_count = issued_count - @n WHERE id = @templateId", new { templateId, n }, transaction);

    internal static Task<Coupon?> ByKeyAsync(DbConnection connection, DbTransaction? transaction, Guid templateId, string key) =>
        connection.QuerySingleOrDefaultAsync<Coupon>("SELECT * FROM coupons WHERE template_id = @templateId AND issue_key = @key", new { templateId, key }, transaction);

    private static async Task EnsureCustomerAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid customerId)
    {
        var found = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM customers WHERE workspace_id = @workspaceId AND id = @customerId", new { workspaceId, customerId }, transaction);
        if (found == 0)
            throw new NotFoundException($"No customer {customerId} in this workspace.");
    }

    private sealed class StockRow
    {
        public int IssuedCount { get; init; }
        public int? TotalStock { get; init; }
    }

    private sealed class HeldRow
    {
        public Guid CustomerId { get; init; }
        public long N { get; init; }
    }
}
