using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Loyalty;

/// <summary>Orders and refunds through the real order API (POST /api/orders, POST /api/orders/{id}/refunds), which runs every order effect.</summary>
internal static class LoyaltyKit
{
    public static async Task<string> OrderAsync(this TestWorkspace ws, Guid customerId, string orderId, decimal paid, DateTimeOffset? placedAt = null)
    {
        var response = await ws.AdminClient().PostAsJsonAsync("/api/orders", new
        {
            orderId, customerId, placedAt, salesChannel = "mini_program", paid,
            items = new[] { new { sku = "SKU-1", name = "Thing", category = "general", price = paid, quantity = 1 } },
        });
        await response.ReadAsync<JsonElement>(System.Net.HttpStatusCode.Created);
        return orderId;
    }

    /// <summary>Refunds <paramref name="amount"/> yuan of the order.</summary>
    public static async Task RefundAsync(this TestWorkspace ws, string orderId, string refundId, decimal amount)
    {
        var response = await ws.AdminClient().PostAsJsonAsync($"/api/orders/{orderId}/refunds", new { refundId, amount });
        await response.ReadAsync<JsonElement>(System.Net.HttpStatusCode.Created);
    }

    public static async Task SetRulesAsync(this HttpClient client, object rules) =>
        await (await client.PutAsJsonAsync("/api/loyalty/rules", rules)).ReadAsync<JsonElement>();

    public static async Task<long> BalanceAsync(this HttpClient client, Guid customerId) =>
        (await client.GetAsync<JsonElement>($"/api/customers/{customerId}/points")).GetProperty("balance").GetInt64();

    public static async Task<Guid> TierAsync(this HttpClient client, object tier) =>
        (await (await client.PostAsJsonAsync("/api/loyalty/tiers", tier)).ReadAsync<JsonElement>(System.Net.HttpStatusCode.Created)).GetProperty("id").GetGuid();

    /// <summary>Ledger invariants: the amounts add up to the balance, and the unused lots hold exactly the balance.</summary>
    public static async Task<(long Balance, long LedgerSum, long Lots, long Debt)> BooksAsync(this PondServer server, Guid customerId)
    {
        await using var connection = await server.Service<Database>().OpenAsync();
        var row = await connection.QuerySingleAsync<BooksRow>(
            """
            SELECT (SELECT COALESCE(MAX(balance), 0) FROM points_balances WHERE customer_id = @customerId) AS Balance,
                   (SELECT COALESCE(MAX(debt), 0) FROM points_balances WHERE customer_id = @customerId) AS Debt,
                   (SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM points_ledger WHERE customer_id = @customerId) AS LedgerSum,
                   (SELECT CAST(COALESCE(SUM(remaining), 0) AS BIGINT) FROM points_lots WHERE customer_id = @customerId) AS Lots
            """, new { customerId });
        return (row.Balance, row.LedgerSum, row.Lots, row.Debt);
    }

    internal sealed class BooksRow
    {
        public long Balance { get; init; }
        public long LedgerSum { get; init; }
        public long Lots { get; init; }
        public long Debt { get; init; }
    }
}
