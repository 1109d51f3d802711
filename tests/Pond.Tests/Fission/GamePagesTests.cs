using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pond.Fission.Lotteries;
using Pond.Storage;
using Pond.Tests.Activities;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Fission;

/// <summary>The console's assist, bargain and lottery pages: forms, live fragments, the staff role kept out; and the demo step.</summary>
public sealed class GamePagesTests
{
    private static string Local(DateTimeOffset at) => at.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task LotteryForm_CreatesThePool_AndTheLiveFragmentShowsWinnersAndStockLeft(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var people = await server.Workspace.CustomersAsync(3, "林");
        using var owner = await server.Workspace.SignedInClientAsync(server.Workspace.OwnerEmail);
        var form = await CustomerPagesTests.FormAsync(owner, "/fission/lotteries", "lottery-create", new()
        {
            ["NewLottery.Name"] = "周末幸运抽奖", ["NewLottery.PointsCost"] = "0",
            ["NewLottery.StartsAt"] = Local(ScoreKit.Now.AddHours(-1)), ["NewLottery.EndsAt"] = Local(ScoreKit.Now.AddDays(7)),
            ["NewLottery.Prizes[0].Name"] = "香氛蜡烛", ["NewLottery.Prizes[0].Probability"] = "100", ["NewLottery.Prizes[0].Stock"] = "2",
            ["NewLottery.Prizes[0].RewardKind"] = "gift", ["NewLottery.Prizes[0].RewardGift"] = "香氛蜡烛",
        });
        var created = await owner.PostAsync("/fission/lotteries", form);
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());
        var location = created.Headers.Location!.ToString();
        var lotteryId = Guid.Parse(location.Split('/')[^1]);

        using var admin = server.Workspace.AdminClient();
        foreach (var person in people)
            (await admin.PostAsJsonAsync($"/api/lotteries/{lotteryId}/draws", new { customerId = person })).StatusCode.ShouldBe(HttpStatusCode.Created);

        var page = await owner.PageAsync(location);
        page.ShouldContain("周末幸运抽奖");
        page.ShouldContain("hx-trigger=\"every 2s\"");
        var fragment = await owner.PageAsync($"/fission/lotteries/{lotteryId}/live");
        fragment.ShouldNotContain("<html");
        fragment.ShouldContain("林*");
        fragment.ShouldContain("0 / 2");
        fragment.ShouldContain("奖品已发完");
        (await owner.PageAsync("/fission/lotteries")).ShouldContain("周末幸运抽奖");

        var bad = await owner.PostAsync("/fission/lotteries", await CustomerPagesTests.FormAsync(owner, "/fission/lotteries", "lottery-create", new()
        {
            ["NewLottery.Name"] = "x", ["NewLottery.StartsAt"] = Local(ScoreKit.Now), ["NewLottery.EndsAt"] = Local(ScoreKit.Now.AddDays(1)),
            ["NewLottery.Prizes[0].Name"] = "a", ["NewLottery.Prizes[0].Probability"] = "80", ["NewLottery.Prizes[0].Stock"] = "1",
            ["NewLottery.Prizes[0].RewardKind"] = "gift", ["NewLottery.Prizes[0].RewardGift"] = "a",
            ["NewLottery.Prizes[1].Name"] = "b", ["NewLottery.Prizes[1].Probability"] = "30", ["NewLottery.Prizes[1].Stock"] = "1",
            ["NewLottery.Prizes[1].RewardKind"] = "gift", ["NewLottery.Prizes[1].RewardGift"] = "b",
        }));
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).ShouldContain("must total at most 100%");

        using var staff = await server.Workspace.MemberClientAsync(Roles.Staff, await new CustomerSeed(server.Workspace).StaffAsync("导购"));
        (await staff.GetAsync($"/fission/lotteries/{lotteryId}/live")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await staff.PageAsync(location)).ShouldNotContain("周末幸运抽奖");
        (await staff.PageAsync("/tasks")).ShouldNotContain("/fission/lotteries"); // the staff role's home: "/" redirects there
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task AssistAndBargainForms_CreateThem_AndTheLivePanelsFollowTheHelps(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var people = await server.Workspace.CustomersAsync(4, "周");
        using var owner = await server.Workspace.SignedInClientAsync(server.Workspace.OwnerEmail);
        var assist = await owner.PostAsync("/fission/assists", await CustomerPagesTests.FormAsync(owner, "/fission/assists", "assist-create", new()
        {
            ["NewAssist.Name"] = "三人助力领积分", ["NewAssist.TargetHelps"] = "3", ["NewAssist.TimeLimitHours"] = "24",
            ["NewAssist.RewardKind"] = "points", ["NewAssist.RewardPoints"] = "88",
            ["NewAssist.StartsAt"] = Local(ScoreKit.Now.AddHours(-1)), ["NewAssist.EndsAt"] = Local(ScoreKit.Now.AddDays(7)),
        }));
        assist.StatusCode.ShouldBe(HttpStatusCode.Redirect, await assist.Content.ReadAsStringAsync());
        var campaignId = Guid.Parse(assist.Headers.Location!.ToString().Split('/')[^1]);
        var bargain = await owner.PostAsync("/fission/assists", await CustomerPagesTests.FormAsync(owner, "/fission/assists", "bargain-create", new()
        {
            ["NewBargain.Name"] = "砍价拿丝巾", ["NewBargain.Sku"] = "SCARF", ["NewBargain.OriginalPrice"] = "199", ["NewBargain.FloorPrice"] = "19.9",
            ["NewBargain.MaxHelps"] = "3", ["NewBargain.FirstCutPercent"] = "60", ["NewBargain.TimeLimitHours"] = "24",
            ["NewBargain.StartsAt"] = Local(ScoreKit.Now.AddHours(-1)), ["NewBargain.EndsAt"] = Local(ScoreKit.Now.AddDays(7)),
        }));
        bargain.StatusCode.ShouldBe(HttpStatusCode.Redirect, await bargain.Content.ReadAsStringAsync());
        var itemId = Guid.Parse(bargain.Headers.Location!.ToString().Split('/')[^1]);

        using var admin = server.Workspace.AdminClient();
        var code = (await (await admin.PostAsJsonAsync($"/api/assists/campaigns/{campaignId}/requests", new { customerId = people[0] })).ReadAsync<JsonElement>(HttpStatusCode.Created))
            .GetProperty("code").GetString()!;
        await (await admin.PostAsJsonAsync($"/api/assists/requests/{code}/help", new { customerId = people[1] })).ReadAsync<JsonElement>();
        var live = await owner.PageAsync($"/fission/assists/{campaignId}/live");
        live.ShouldContain("已助力 1 / 3");
        live.ShouldContain(code);

        var session = (await (await admin.PostAsJsonAsync($"/api/bargains/{itemId}/sessions", new { customerId = people[0] })).ReadAsync<JsonElement>(HttpStatusCode.Created))
            .GetProperty("code").GetString()!;
        var cut = await (await admin.PostAsJsonAsync($"/api/bargains/sessions/{session}/cut", new { customerId = people[1] })).ReadAsync<JsonElement>();
        cut.GetProperty("cut").GetProperty("amount").GetDecimal().ShouldBe(107.46m, "the first cut is 60% of the ¥179.10 gap");
        var bargainLive = await owner.PageAsync($"/fission/bargains/{itemId}/live");
        bargainLive.ShouldContain("¥91.54");
        bargainLive.ShouldContain("已助力 1 / 3");
        (await owner.PageAsync("/fission/assists")).ShouldContain("砍价拿丝巾");
        (await owner.PageAsync($"/fission/assists/{campaignId}")).ShouldContain("三人助力领积分");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task DemoStep_LeavesRequestsInEveryState_SessionsBought_AndAWeekOfDraws(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var people = await server.Workspace.CustomersAsync(900, "演示");
        foreach (var person in people.Take(400))
            await server.GivePointsAsync(person, 100);
        await Pond.Server.Demo.DemoFissionGames.SetUpAsync(server.App.Services, server.Workspace.Id);

        using var admin = server.Workspace.AdminClient();
        var campaign = (await admin.GetAsync<List<JsonElement>>("/api/assists/campaigns")).Single().GetProperty("id").GetGuid();
        var assist = await admin.GetAsync<JsonElement>($"/api/assists/campaigns/{campaign}/counters");
        assist.GetProperty("complete").GetInt32().ShouldBeGreaterThan(5);
        assist.GetProperty("open").GetInt32().ShouldBeGreaterThan(5);
        assist.GetProperty("expired").GetInt32().ShouldBeGreaterThan(0);
        assist.GetProperty("rewardsIssued").GetInt32().ShouldBe(assist.GetProperty("complete").GetInt32());
        var item = (await admin.GetAsync<List<JsonElement>>("/api/bargains")).Single().GetProperty("id").GetGuid();
        var bargain = await admin.GetAsync<JsonElement>($"/api/bargains/{item}/counters");
        bargain.GetProperty("purchased").GetInt32().ShouldBeGreaterThan(0);
        bargain.GetProperty("reached").GetInt32().ShouldBeGreaterThan(0);
        bargain.GetProperty("open").GetInt32().ShouldBeGreaterThan(0);
        var lottery = (await admin.GetAsync<List<JsonElement>>("/api/lotteries")).Single().GetProperty("id").GetGuid();
        var counters = await admin.GetAsync<LotteryCounters>($"/api/lotteries/{lottery}/counters");
        counters.Draws.ShouldBe(315);
        counters.Wins.ShouldBeGreaterThan(20);
        counters.Prizes.ShouldAllBe(p => p.Awarded <= p.Stock);
        (await server.ScalarAsync("SELECT COUNT(DISTINCT day) FROM lottery_entries WHERE lottery_id = @lottery", new { lottery })).ShouldBe(7);
        (await admin.GetAsync<List<LotteryWinner>>($"/api/lotteries/{lottery}/winners")).ShouldNotBeEmpty();
    }
}
