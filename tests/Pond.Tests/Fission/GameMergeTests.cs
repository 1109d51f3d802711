using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pond.Customers;
using Pond.Storage;
using Pond.Tests.Activities;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Fission;

/// <summary>A customer merge moves assists, bargains and draws to the survivor without breaking any "once".</summary>
public sealed class GameMergeTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Merge_MovesGamesToTheSurvivor_KeepingOneOpenRequestAndOneDrawADay(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var people = await server.Workspace.CustomersAsync(4, "合并");
        var (survivor, merged) = (people[0], people[1]);
        using var admin = server.Workspace.AdminClient();
        var campaign = (await admin.CreatedAsync("/api/assists/campaigns", new
        {
            name = "助力", targetHelps = 3, reward = new { kind = "gift", gift = "袋子" }, startsAt = GameKit.Start, endsAt = GameKit.End,
        })).GetProperty("id").GetGuid();
        var lottery = (await admin.CreatedAsync("/api/lotteries", new
        {
            name = "抽奖", startsAt = GameKit.Start, endsAt = GameKit.End, prizes = new[] { new { name = "袋子", probability = 50m, stock = 10, reward = new { kind = "gift", gift = "袋子" } } },
        })).GetProperty("id").GetGuid();
        var codes = new List<string>();
        foreach (var person in new[] { survivor, merged })
        {
            codes.Add((await admin.CreatedAsync($"/api/assists/campaigns/{campaign}/requests", new { customerId = person })).GetProperty("code").GetString()!);
            (await admin.PostAsJsonAsync($"/api/lotteries/{lottery}/draws", new { customerId = person })).StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        // Both identities helped the same friend's request.
        var friend = (await admin.CreatedAsync($"/api/assists/campaigns/{campaign}/requests", new { customerId = people[2] })).GetProperty("code").GetString()!;
        foreach (var person in new[] { survivor, merged })
            (await admin.PostAsJsonAsync($"/api/assists/requests/{friend}/help", new { customerId = person })).StatusCode.ShouldBe(HttpStatusCode.OK);

        var participant = server.Service<IEnumerable<ICustomerMergeParticipant>>().Single(p => p.GetType().Name == "GameMergeParticipant");
        await using (var connection = await server.Service<Database>().OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await participant.MoveAsync(connection, transaction, server.Workspace.Id, survivor, merged);
            await transaction.CommitAsync();
        }

        (await server.ScalarAsync("SELECT COUNT(*) FROM assist_requests WHERE customer_id = @survivor AND state = 'open'", new { survivor })).ShouldBe(1);
        (await server.ScalarAsync("SELECT COUNT(*) FROM assist_requests WHERE customer_id = @survivor", new { survivor })).ShouldBe(2);
        (await server.ScalarAsync("SELECT COUNT(*) FROM lottery_entries WHERE customer_id = @survivor", new { survivor })).ShouldBe(1);
        (await server.ScalarAsync("SELECT COUNT(*) FROM lottery_entries WHERE lottery_id = @lottery", new { lottery })).ShouldBe(2);
        (await server.ScalarAsync("SELECT COUNT(*) FROM assist_helps WHERE helper_customer_id = @survivor", new { survivor })).ShouldBe(1);
        (await (await admin.PostAsJsonAsync($"/api/lotteries/{lottery}/draws", new { customerId = survivor })).ProblemAsync(HttpStatusCode.Conflict))
            .GetProperty("reason").GetString().ShouldBe("already_drawn");
    }
}
