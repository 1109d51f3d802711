using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Pond.Activities;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Activities;

internal static class ActivityKit
{
    /// <summary>n customers in one transaction (the concurrency tests need hundreds).</summary>
    public static async Task<List<Guid>> CustomersAsync(this TestWorkspace workspace, int n, string prefix = "买家")
    {
        var ids = Enumerable.Range(0, n).Select(_ => Guid.CreateVersion7()).ToList();
        await using var connection = await workspace.Server.Service<Database>().OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var at = ScoreKit.Now.AddDays(-30);
        for (var i = 0; i < n; i++)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO customers (id, workspace_id, display_name, traits, depth, marketing_opt_out, first_seen_at, last_seen_at, created_at, updated_at)
                VALUES (@id, @workspaceId, @name, '{}', 0, @no, @at, @at, @at, @at)
                """, new { id = ids[i], workspaceId = workspace.Id, name = $"{prefix}{i}", no = false, at }, transaction);
            await connection.ExecuteAsync(
                "INSERT INTO identities (id, workspace_id, customer_id, kind, scope, value, created_at) VALUES (@id, @workspaceId, @customerId, 'user_id', '', @value, @at)",
                new { id = Guid.CreateVersion7(), workspaceId = workspace.Id, customerId = ids[i], value = $"{prefix}-{i}", at }, transaction);
        }
        await transaction.CommitAsync();
        return ids;
    }

    public static async Task<Guid> SaleAsync(this HttpClient admin, int stock, int limit = 1, Guid? segmentId = null, int timeoutMinutes = 15,
        DateTimeOffset? startsAt = null, DateTimeOffset? endsAt = null)
    {
        var created = await (await admin.PostAsJsonAsync("/api/flash-sales", new
        {
            name = "双11 秒杀 · 真丝衬衫", sku = "SILK-001", productName = "真丝衬衫", category = "tops", originalPrice = 599m, flashPrice = 199m,
            stock, perCustomerLimit = limit, segmentId, paymentTimeoutMinutes = timeoutMinutes,
            startsAt = startsAt ?? ScoreKit.Now.AddHours(-1), endsAt = endsAt ?? ScoreKit.Now.AddHours(2),
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        return created.GetProperty("id").GetGuid();
    }

    public static Task<HttpResponseMessage> AttemptAsync(this HttpClient admin, Guid saleId, Guid customerId) =>
        admin.PostAsJsonAsync($"/api/flash-sales/{saleId}/attempts", new { customerId });

    public static async Task<Guid> ReservedAsync(this HttpClient admin, Guid saleId, Guid customerId) =>
        (await (await admin.AttemptAsync(saleId, customerId)).ReadAsync<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetGuid();

    public static async Task<string> RefusalAsync(this HttpResponseMessage response) =>
        (await response.ProblemAsync(HttpStatusCode.Conflict)).GetProperty("reason").GetString()!;

    public static Task<FlashSaleCounters> CountersAsync(this HttpClient admin, Guid saleId) =>
        admin.GetAsync<FlashSaleCounters>($"/api/flash-sales/{saleId}/counters");

    public static async Task<long> ScalarAsync(this PondServer server, string sql, object? args = null)
    {
        await using var connection = await server.Service<Database>().OpenAsync();
        return await connection.ExecuteScalarAsync<long>(sql, args);
    }

    /// <summary>A segment whose members are written directly (the audience engine is not what these tests are about).</summary>
    public static async Task<Guid> SegmentAsync(this TestWorkspace workspace, string name, IEnumerable<Guid> members)
    {
        var id = Guid.CreateVersion7();
        await using var connection = await workspace.Server.Service<Database>().OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO segments (id, workspace_id, name, rule, status, member_count, created_at, updated_at)
            VALUES (@id, @workspaceId, @name, '{"all":[]}', 'paused', 0, @now, @now)
            """, new { id, workspaceId = workspace.Id, name, now = ScoreKit.Now });
        foreach (var customer in members)
            await connection.ExecuteAsync("INSERT INTO segment_members (segment_id, customer_id, entered_at) VALUES (@id, @customer, @now)",
                new { id, customer, now = ScoreKit.Now });
        return id;
    }
}
