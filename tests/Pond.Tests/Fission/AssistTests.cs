using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Fission.Assists;
using Pond.Storage;
using Pond.Tests.Activities;
using Pond.Tests.Audience;
using Pond.Tests.Commerce.Coupons;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Fission;

/// <summary>Friend assist over HTTP on both engines: each friend counts once, the target is never passed, the reward issued once.</summary>
public sealed class AssistTests
{
    private static async Task<Guid> CampaignAsync(HttpClient admin, int target, object reward, int? stock = null, bool newOnly = false, int? cap = null, int minutes = 1440) =>
        (await admin.CreatedAsync("/api/assists/campaigns", new
        {
            name = "好友助力领好礼", targetHelps = target, timeLimitMinutes = minutes, reward, rewardStock = stock, newHelpersOnly = newOnly, helperDailyCap = cap,
            startsAt = GameKit.Start, endsAt = GameKit.End,
        })).GetProperty("id").GetGuid();

    private static async Task<JsonElement> OpenAsync(HttpClient admin, Guid campaignId, Guid customer, HttpStatusCode expected = HttpStatusCode.Created) =>
        await (await admin.PostAsJsonAsync($"/api/assists/campaigns/{campaignId}/requests", new { customerId = customer })).ReadAsync<JsonElement>(expected);

    private static Task<HttpResponseMessage> HelpAsync(HttpClient admin, string code, Guid helper) =>
        admin.PostAsJsonAsync($"/api/assists/requests/{code}/help", new { customerId = helper });

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ThirtyParallelHelps_OnATargetOfFive_CountExactlyFive_AndIssueTheRewardOnce(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var people = await server.Workspace.CustomersAsync(31, "好友");
        using var admin = server.Workspace.AdminClient();
        var campaignId = await CampaignAsync(admin, 5, new { kind = "points", points = 200 });
        var request = await OpenAsync(admin, campaignId, people[0]);
        var code = request.GetProperty("code").GetString()!;
        request.GetProperty("helpsLeft").GetInt32().ShouldBe(5);

        var results = await GameKit.AllAtOnceAsync(people.Skip(1).Select(p => (Func<Task<HttpResponseMessage>>)(() => HelpAsync(admin, code, p))));

        var counted = results.Where(r => r.Status == HttpStatusCode.OK).ToList();
        counted.Count.ShouldBe(5);
        counted.ShouldAllBe(r => r.Body.GetProperty("counted").GetBoolean());
        counted.Count(r => r.Body.GetProperty("completed").GetBoolean()).ShouldBe(1);
        results.Where(r => r.Status != HttpStatusCode.OK).ShouldAllBe(r => r.Status == HttpStatusCode.Conflict && r.Body.GetProperty("reason").GetString() == GameRefusals.Complete);

        var done = await admin.GetAsync<JsonElement>($"/api/assists/requests/{request.GetProperty("id").GetGuid()}");
        done.GetProperty("state").GetString().ShouldBe(AssistRequestStates.Complete);
        done.GetProperty("helps").GetInt32().ShouldBe(5);
        done.GetProperty("rewardState").GetString().ShouldBe(GameRewardStates.Issued);
        done.GetProperty("helpList").EnumerateArray().Select(h => h.GetProperty("seq").GetInt32()).ShouldBe([1, 2, 3, 4, 5]);
        (await server.ScalarAsync("SELECT COUNT(*) FROM assist_helps WHERE campaign_id = @campaignId", new { campaignId })).ShouldBe(5);
        (await server.ScalarAsync("SELECT COUNT(*) FROM points_ledger WHERE customer_id = @c AND kind = 'earn'", new { c = people[0] })).ShouldBe(1);
        (await server.BalanceAsync(people[0])).ShouldBe(200);
        var counters = await admin.GetAsync<AssistCounters>($"/api/assists/campaigns/{campaignId}/counters");
        (counters.Complete, counters.Helps, counters.Helpers, counters.RewardsIssued).ShouldBe((1, 5, 5, 1));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task AFriendCountsOnce_TheParticipantCannotHelpThemself_AndRacingRepeatsCountOnce(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var people = await server.Workspace.CustomersAsync(3, "朋友");
        using var admin = server.Workspace.AdminClient();
        var campaignId = await CampaignAsync(admin, 3, new { kind = "gift", gift = "定制帆布袋" });
        var request = await OpenAsync(admin, campaignId, people[0]);
        var code = request.GetProperty("code").GetString()!;
        (await OpenAsync(admin, campaignId, people[0], HttpStatusCode.OK)).GetProperty("code").GetString().ShouldBe(code);

        (await (await HelpAsync(admin, code, people[0])).ReasonAsync()).ShouldBe(GameRefusals.SelfHelp);
        var results = await GameKit.AllAtOnceAsync(Enumerable.Range(0, 10).Select(_ => (Func<Task<HttpResponseMessage>>)(() => HelpAsync(admin, code.ToLowerInvariant(), people[1]))));
        results.ShouldAllBe(r => r.Status == HttpStatusCode.OK);
        results.Count(r => r.Body.GetProperty("counted").GetBoolean()).ShouldBe(1);
        results.Where(r => !r.Body.GetProperty("counted").GetBoolean()).ShouldAllBe(r => r.Body.GetProperty("reason").GetString() == GameRefusals.AlreadyHelped);
        var after = await admin.GetAsync<JsonElement>($"/api/assists/requests/{request.GetProperty("id").GetGuid()}");
        after.GetProperty("helps").GetInt32().ShouldBe(1);
        after.GetProperty("state").GetString().ShouldBe(AssistRequestStates.Open);
        (await (await HelpAsync(admin, "NOSUCHCODE", people[2])).ProblemAsync(HttpStatusCode.NotFound)).Detail().ShouldContain("NOSUCHCODE");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task NewHelpersOnly_DailyCap_Expiry_AndRewardStock(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var old = await server.Workspace.CustomersAsync(4, "老客");
        using var admin = server.Workspace.AdminClient();
        var template = await admin.TemplateIdAsync(CouponKit.AmountOff("助力券 15 元", 15));
        var campaignId = await CampaignAsync(admin, 1, new { kind = "coupon", templateId = template }, stock: 1, newOnly: true, cap: 1, minutes: 60);
        var a = (await OpenAsync(admin, campaignId, old[0])).GetProperty("code").GetString()!;
        var b = (await OpenAsync(admin, campaignId, old[1])).GetProperty("code").GetString()!;

        (await (await HelpAsync(admin, a, old[2])).ReasonAsync()).ShouldBe(GameRefusals.NotNewCustomer);
        clock.Advance(TimeSpan.FromMinutes(1));
        var fresh = await server.Workspace.CustomersAtAsync(2, clock.GetUtcNow(), "新客");
        var first = await (await HelpAsync(admin, a, fresh[0])).ReadAsync<JsonElement>();
        first.GetProperty("completed").GetBoolean().ShouldBeTrue();
        first.GetProperty("request").GetProperty("rewardState").GetString().ShouldBe(GameRewardStates.Issued);
        (await server.ScalarAsync("SELECT COUNT(*) FROM coupons WHERE customer_id = @c AND template_id = @template AND source = 'referral'", new { c = old[0], template })).ShouldBe(1);

        // The same friend on another request the same day: over the cap of one help a day.
        (await (await HelpAsync(admin, b, fresh[0])).ReasonAsync()).ShouldBe(GameRefusals.DailyCap);
        var second = await (await HelpAsync(admin, b, fresh[1])).ReadAsync<JsonElement>();
        second.GetProperty("completed").GetBoolean().ShouldBeTrue();
        second.GetProperty("request").GetProperty("rewardState").GetString().ShouldBe(GameRewardStates.OutOfStock);
        (await server.ScalarAsync("SELECT COUNT(*) FROM coupons WHERE customer_id = @c", new { c = old[1] })).ShouldBe(0);

        var c = (await OpenAsync(admin, campaignId, old[3])).GetProperty("code").GetString()!;
        clock.Advance(TimeSpan.FromMinutes(61));
        var late = await server.Workspace.CustomersAtAsync(1, clock.GetUtcNow(), "迟到");
        (await (await HelpAsync(admin, c, late[0])).ReasonAsync()).ShouldBe(GameRefusals.Expired);
        (await admin.GetAsync<List<JsonElement>>($"/api/assists/campaigns/{campaignId}/requests?state=expired")).Count.ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BadCampaigns_AreRefused_NamingTheField(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        using var admin = server.Workspace.AdminClient();
        async Task<string?> FieldAsync(object body) =>
            (await (await admin.PostAsJsonAsync("/api/assists/campaigns", body)).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString();
        var gift = new { kind = "gift", gift = "帆布袋" };
        (await FieldAsync(new { name = "x", targetHelps = 0, reward = gift, startsAt = GameKit.Start, endsAt = GameKit.End })).ShouldBe("targetHelps");
        (await FieldAsync(new { name = "x", targetHelps = 3, startsAt = GameKit.Start, endsAt = GameKit.End })).ShouldBe("reward");
        (await FieldAsync(new { name = "x", targetHelps = 3, reward = new { kind = "points", points = 0 }, startsAt = GameKit.Start, endsAt = GameKit.End })).ShouldBe("reward.points");
        (await FieldAsync(new { name = "x", targetHelps = 3, reward = new { kind = "coupon", templateId = Guid.NewGuid() }, startsAt = GameKit.Start, endsAt = GameKit.End })).ShouldBe("reward.templateId");
        (await FieldAsync(new { name = "x", targetHelps = 3, reward = gift, helperDailyCap = -1, startsAt = GameKit.Start, endsAt = GameKit.End })).ShouldBe("helperDailyCap");
        (await FieldAsync(new { name = "x", targetHelps = 3, reward = gift, startsAt = GameKit.End, endsAt = GameKit.Start })).ShouldBe("endsAt");
    }
}
