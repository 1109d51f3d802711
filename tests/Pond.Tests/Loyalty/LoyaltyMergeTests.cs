using System.Net.Http.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Pond.Customers;
using Pond.Loyalty;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Loyalty;

public sealed class LoyaltyMergeTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Merge_MovesPointsDebtAndHistoryToTheSurvivor_AndTheBooksStillAddUp(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var ws = server.Workspace;
        var seed = new CustomerSeed(ws);
        var survivor = await seed.CustomerAsync("Survivor");
        var merged = await seed.CustomerAsync("Merged");
        var client = ws.AdminClient();
        await client.SetRulesAsync(new { enabled = true });
        await ws.OrderAsync(survivor, "S-1", 100m);
        await ws.OrderAsync(merged, "M-1", 300m);
        await client.PostAsJsonAsync($"/api/customers/{merged}/points/spend", new { points = 250, reason = "Coupon", idempotencyKey = "m-spend" });
        await ws.RefundAsync("M-1", "r", 300m); // 50 taken back, 250 owed
        await client.PostAsync($"/api/customers/{survivor}/points/check-in", null);
        await client.PostAsync($"/api/customers/{merged}/points/check-in", null);

        var database = server.Service<Database>();
        await using (var connection = await database.OpenAsync())
        {
            await using var transaction = await LoyaltyDb.BeginAsync(database, connection);
            foreach (var participant in server.App.Services.GetServices<ICustomerMergeParticipant>())
                await participant.MoveAsync(connection, transaction, ws.Id, survivor, merged);
            await connection.ExecuteAsync("DELETE FROM customers WHERE id = @merged", new { merged }, transaction);
            await transaction.CommitAsync();
        }

        var books = await server.BooksAsync(survivor);
        // Survivor: 100 + 5 (check-in). Merged: 300 − 250 spent − 50 reversed (250 owed), then its 5-point check-in paid 5 of the debt.
        books.ShouldBe((105L, 105L, 105L, 245L));
        (await server.BooksAsync(merged)).ShouldBe((0L, 0L, 0L, 0L));
    }
}
