using System.Text.Json;
using Dapper;
using Pond.Server.Demo;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Loyalty;

public sealed class DemoLoyaltyTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task DemoLoyalty_EarnsForPastOrders_PlacesTiers_AndKeepsTheBooksBalanced(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var ws = server.Workspace;
        var seed = new CustomerSeed(ws);
        var now = DateTimeOffset.UtcNow;
        var big = await seed.CustomerAsync("Big");
        await ws.OrderAsync(big, "D-1", 12_000m, now.AddDays(-30));
        await ws.OrderAsync(big, "D-2", 9_000m, now.AddDays(-60));
        var refunded = await seed.CustomerAsync("Refunded");
        var order = await ws.OrderAsync(refunded, "D-3", 2_000m, now.AddDays(-10));
        await ws.RefundAsync(order, "r", 500m);
        var old = await seed.CustomerAsync("Old");
        await ws.OrderAsync(old, "D-4", 800m, now.AddYears(-3));

        await DemoLoyalty.SetUpAsync(server.App.Services, ws.Id);
        await DemoLoyalty.SetUpAsync(server.App.Services, ws.Id); // a second run changes nothing it should not

        var client = ws.AdminClient();
        var tiers = await client.GetAsync<JsonElement>("/api/loyalty/tiers");
        tiers.EnumerateArray().Select(t => (t.GetProperty("name").GetString(), t.GetProperty("members").GetInt64()))
            .ShouldBe([("普通会员", 0L), ("银卡", 1L), ("金卡", 0L), ("黑金", 1L)]);
        // 21,000 earned at least (more if an order fell on member day, the 18th).
        var bigView = await client.GetAsync<JsonElement>($"/api/customers/{big}/points");
        bigView.GetProperty("earnedTotal").GetInt64().ShouldBeGreaterThanOrEqualTo(21_000);
        (await client.BalanceAsync(old)).ShouldBe(0); // earned three years ago: expired at the end of the next year
        foreach (var customer in new[] { big, refunded, old })
        {
            var books = await server.BooksAsync(customer);
            books.LedgerSum.ShouldBe(books.Balance);
            books.Lots.ShouldBe(books.Balance);
        }

        await using var connection = await server.Service<Database>().OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM points_checkins WHERE workspace_id = @id", new { id = ws.Id })).ShouldBe(2);
        (await connection.ExecuteScalarAsync<long>(
            "SELECT CAST(SUM(owed - amount) AS BIGINT) FROM points_ledger WHERE customer_id = @refunded AND kind = 'reverse'", new { refunded }))
            .ShouldBe(await connection.ExecuteScalarAsync<long>("SELECT amount FROM points_ledger WHERE customer_id = @refunded AND kind = 'earn' AND source = 'order'", new { refunded }) / 4);
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM points_ledger WHERE customer_id = @big AND kind = 'spend'", new { big })).ShouldBe(1);
    }
}
