using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Activities;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Activities;

/// <summary>Group buys over HTTP on both engines: no group exceeds N, completion, expiry with refunds, the share page.</summary>
public sealed class GroupBuyTests
{
    private static async Task<Guid> GroupBuyAsync(HttpClient admin, int size, int? stock = null, int minutes = 1440) =>
        (await (await admin.PostAsJsonAsync("/api/group-buys", new
        {
            name = "三人团 · 羊绒围巾", sku = "SCARF-3", productName = "羊绒围巾", category = "accessories", originalPrice = 399m, groupPrice = 239m,
            groupSize = size, timeLimitMinutes = minutes, stock, startsAt = ScoreKit.Now.AddHours(-1), endsAt = ScoreKit.Now.AddDays(7),
        })).ReadAsync<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetGuid();

    private static async Task<JsonElement> OpenAsync(HttpClient admin, Guid buyId, Guid leader) =>
        await (await admin.PostAsJsonAsync($"/api/group-buys/{buyId}/groups", new { customerId = leader })).ReadAsync<JsonElement>(HttpStatusCode.Created);

    private static Task<HttpResponseMessage> JoinAsync(HttpClient admin, string code, Guid customer) =>
        admin.PostAsJsonAsync($"/api/group-buys/groups/{code}/join", new { customerId = customer });

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TwentyParallelJoins_OnAGroupOfThree_ExactlyTwoJoinBesidesTheLeader_AndTheGroupCompletes(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var people = await server.Workspace.CustomersAsync(21);
        using var admin = server.Workspace.AdminClient();
        var buyId = await GroupBuyAsync(admin, size: 3, stock: 30);
        var group = await OpenAsync(admin, buyId, people[0]);
        var code = group.GetProperty("code").GetString()!;
        group.GetProperty("seatsLeft").GetInt32().ShouldBe(2);
        group.GetProperty("link").GetString().ShouldEndWith($"/g/{code}");

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var joins = Enumerable.Range(1, 20).Select(i => Task.Run(async () =>
        {
            await start.Task;
            using var response = await JoinAsync(admin, code, people[i]);
            return (response.StatusCode, Body: JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
        })).ToList();
        start.SetResult();
        var results = await Task.WhenAll(joins);

        results.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(2);
        results.Where(r => r.StatusCode != HttpStatusCode.OK).ShouldAllBe(r => r.StatusCode == HttpStatusCode.Conflict);
        results.Where(r => r.StatusCode == HttpStatusCode.Conflict).Select(r => r.Body.GetProperty("reason").GetString()).Distinct().ShouldBe([GroupRefusals.Full]);

        var groupId = group.GetProperty("id").GetGuid();
        var done = await admin.GetAsync<JsonElement>($"/api/group-buys/{buyId}/groups/{groupId}");
        done.GetProperty("state").GetString().ShouldBe(GroupStates.Complete);
        done.GetProperty("memberCount").GetInt32().ShouldBe(3);
        var members = done.GetProperty("members").EnumerateArray().ToList();
        members.Count.ShouldBe(3);
        members.Select(m => m.GetProperty("seat").GetInt32()).ShouldBe([1, 2, 3]);
        members.ShouldAllBe(m => m.GetProperty("state").GetString() == MemberStates.Ordered);
        members.Select(m => m.GetProperty("orderId").GetString()).ShouldBe([$"GB-{code}-1", $"GB-{code}-2", $"GB-{code}-3"]);
        (await server.ScalarAsync("SELECT COUNT(*) FROM group_buy_members WHERE group_id = @groupId", new { groupId })).ShouldBe(3);
        (await server.ScalarAsync("SELECT COUNT(*) FROM orders WHERE source = 'group_buy' AND paid = 23900")).ShouldBe(3);
        (await server.ScalarAsync("SELECT COUNT(DISTINCT customer_id) FROM orders WHERE source = 'group_buy'")).ShouldBe(3);

        var counters = await admin.GetAsync<GroupBuyCounters>($"/api/group-buys/{buyId}/counters");
        (counters.Reserved, counters.Sold, counters.Remaining, counters.CompleteGroups, counters.OpenGroups).ShouldBe((0, 3, (int?)27, 1, 0));
        counters.JoinsRefused.ShouldBe(18);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task GroupNotFullInTime_Expires_EveryParticipantRefunded_AndTheStockReleased(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var people = await server.Workspace.CustomersAsync(4);
        using var admin = server.Workspace.AdminClient();
        var buyId = await GroupBuyAsync(admin, size: 3, stock: 2, minutes: 60);
        var group = await OpenAsync(admin, buyId, people[0]);
        var code = group.GetProperty("code").GetString()!;
        (await JoinAsync(admin, code, people[1])).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await JoinAsync(admin, code, people[1])).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await (await JoinAsync(admin, code, people[2])).RefusalAsync()).ShouldBe(GroupRefusals.SoldOut, "two units, both held by this group");

        clock.Advance(TimeSpan.FromMinutes(59));
        (await server.Service<GroupBuys>().ExpireDueAsync()).ShouldBe(0);
        clock.Advance(TimeSpan.FromMinutes(1));
        (await (await JoinAsync(admin, code, people[3])).RefusalAsync()).ShouldBe(GroupRefusals.Expired, "out of time even before the sweep");
        (await server.Service<GroupBuys>().ExpireDueAsync()).ShouldBe(1);
        (await server.Service<GroupBuys>().ExpireDueAsync()).ShouldBe(0, "expired once");

        var groupId = group.GetProperty("id").GetGuid();
        var expired = await admin.GetAsync<JsonElement>($"/api/group-buys/{buyId}/groups/{groupId}");
        expired.GetProperty("state").GetString().ShouldBe(GroupStates.Expired);
        expired.GetProperty("members").EnumerateArray().ShouldAllBe(m => m.GetProperty("state").GetString() == MemberStates.Refunded && m.GetProperty("refundedAt").ValueKind == JsonValueKind.String);
        (await server.ScalarAsync("SELECT COUNT(*) FROM group_buy_refunds WHERE group_id = @groupId", new { groupId })).ShouldBe(2);
        (await server.ScalarAsync("SELECT SUM(amount) FROM group_buy_refunds WHERE group_id = @groupId", new { groupId })).ShouldBe(2 * 23900);
        (await server.ScalarAsync("SELECT COUNT(*) FROM orders")).ShouldBe(0, "an expired group records no order");
        var counters = await admin.GetAsync<GroupBuyCounters>($"/api/group-buys/{buyId}/counters");
        (counters.Reserved, counters.Sold, counters.Remaining, counters.ExpiredGroups, counters.Refunds).ShouldBe((0, 0, (int?)2, 1, 2));

        // The released stock is there for a new group.
        (await OpenAsync(admin, buyId, people[2])).GetProperty("state").GetString().ShouldBe(GroupStates.Open);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task SharePage_ShowsProductMembersSeatsAndTime_InBothLanguages(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var people = await server.Workspace.CustomersAsync(2, "团员");
        using var admin = server.Workspace.AdminClient();
        var buyId = await GroupBuyAsync(admin, size: 3);
        var code = (await OpenAsync(admin, buyId, people[0])).GetProperty("code").GetString()!;
        (await JoinAsync(admin, code, people[1])).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var visitor = server.Client();
        var zh = await visitor.PageAsync($"/g/{code}");
        zh.ShouldContain("羊绒围巾");
        zh.ShouldContain("¥239.00");
        zh.ShouldContain("还差 1 人");
        zh.ShouldContain("团*");
        zh.ShouldNotContain("团员0", Case.Sensitive);
        visitor.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");
        var en = await visitor.PageAsync($"/g/{code}");
        en.ShouldContain("1 more to go");
        (await visitor.GetAsync("/g/NOSUCHCODE")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
