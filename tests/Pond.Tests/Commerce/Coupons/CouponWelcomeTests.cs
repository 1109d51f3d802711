using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Pond.Channels;
using Pond.Customers;
using Pond.Storage;
using Pond.Tests.Channels;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;

namespace Pond.Tests.Commerce.Coupons;

/// <summary>A live code whose welcome coupon names a coupon template issues each new friend a real coupon and {coupon} shows its code.</summary>
public sealed partial class CouponWelcomeTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task NewFriend_GetsARealCoupon_WelcomeShowsItsCode_ReplayIssuesOnce(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var template = await setup.Admin.TemplateIdAsync(CouponKit.AmountOff("新人20元券", 20, new { validDays = 7 }));

        // A template of another workspace, or none, is refused.
        var other = await server.CreateWorkspaceAsync("other");
        using var otherAdmin = other.AdminClient();
        var foreign = await otherAdmin.TemplateIdAsync(CouponKit.AmountOff("别家的券", 5));
        var refused = await (await setup.Admin.PostAsJsonAsync("/api/live-codes", new
        {
            channelId = setup.Channel.Id, kind = LiveCodeKinds.Staff, name = "外来券", strategy = RoutingStrategies.RoundRobin,
            welcomeText = "送你{coupon}", welcomeCoupon = foreign.ToString(), members = new[] { new { carrierId = setup.Accounts[0].Id } },
        })).ProblemAsync(HttpStatusCode.BadRequest);
        refused.GetProperty("field").GetString().ShouldBe("welcomeCoupon");

        await server.ExecuteAsync("UPDATE live_codes SET welcome_coupon = @coupon WHERE id = @id", new { coupon = template.ToString(), id = setup.Code.Code.Id });
        var xml = setup.WeCom.AddExternalContact(setup.Accounts[0].ExternalId, "wmWelcome01", DateTimeOffset.UtcNow, setup.Code.Code.State, "WELCOME-A");
        await setup.CallbackOkAsync(xml);
        await setup.CallbackOkAsync(xml);
        await setup.ProcessAsync();

        var customerId = (await server.CustomerOfAsync(setup.WorkspaceId, IdentityKinds.WecomExternalUserId, "wmWelcome01"))!.Value;
        var coupons = await setup.Admin.GetAsync<List<System.Text.Json.JsonElement>>($"/api/customers/{customerId}/coupons");
        var coupon = coupons.ShouldHaveSingleItem();
        coupon.GetProperty("source").GetString().ShouldBe("welcome");
        var code = coupon.GetProperty("code").GetString()!;

        (await setup.DispatchAsync()).ShouldBe(1);
        var welcome = (await setup.OutboxAsync()).Single();
        welcome.Text.ShouldEndWith($"送你一张新人20元券（券码 {code}）");
        CodeInText().IsMatch(welcome.Text).ShouldBeTrue();
    }

    [GeneratedRegex("券码 [A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}）$")]
    private static partial Regex CodeInText();
}
