using System.Net;
using System.Net.Http.Json;
using System.Text;
using Pond.Channels;
using Pond.Customers;
using Pond.Fission;
using Pond.Server.Channels;
using Pond.Staff;
using Pond.Server.Fission;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.WeCom;

namespace Pond.Tests.Fission;

/// <summary>
/// A small referral campaign built through the real paths, whose figures are worked out by hand in
/// <see cref="ReferralAnalyticsTests"/> and shown on the dashboard in the browser test:
/// <code>
///   seeds (generation 1): A, B, C, D, E        ladder: 2 successes → gift (¥15), 3 → ¥10 credit; invitee: ¥5 credit
///   A  ── a1 ✓ ── a1 joins (generation 2) ── a1x ✓ ── a1x joins (generation 3) ── a1x1 ✓
///      │                                  └─ a1y ✓
///      ├─ a2 ✓
///      ├─ a3 ✓ then deletes the staff account → revoked
///      ├─ A adds through their own code → rejected (self_invite)
///      └─ a4: A's 4th invitation within the hour (limit 3/hour) → held for review (velocity)
///   B  ── b1 ✓
///   C  ── D, already in the pool → rejected (already_in_pool)
///   D, E: invite nobody
///   poster views: A 6 (+1 repeat the same day, not counted), B 3, C 2, D 1, a1 3, a1x 1 = 16
/// </code>
/// Invitees add the staff account 小美 (xiaomei) through WeCom add callbacks carrying State "pr_" + the inviter's code;
/// seeds came in earlier through the plain live code on 阿杰 (ajie).
/// </summary>
internal sealed class ReferralFixture
{
    public const string CorpId = "ww5823bf96d3bd56c7";
    public const string Token = "PondToken2026";
    public const string EncodingAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

    public required TestWorkspace Workspace { get; init; }
    public required HttpClient Admin { get; init; }
    public required Guid CampaignId { get; init; }
    public required Dictionary<string, Guid> Customers { get; init; }
    public required Dictionary<string, ReferralsApi.ParticipantView> Participants { get; init; }
    /// <summary>a4's invitation, held for review.</summary>
    public required Guid HeldInvitationId { get; init; }

    /// <summary>The people of the fixture by their letter, with the names the console shows.</summary>
    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        ["A"] = "安琪", ["B"] = "白露", ["C"] = "陈晨", ["D"] = "丁一", ["E"] = "鄂然", ["a1"] = "林小溪", ["a2"] = "周末", ["a3"] = "吴桐", ["a4"] = "郑好",
        ["b1"] = "王芳", ["a1x"] = "赵雪", ["a1y"] = "钱多多", ["a1x1"] = "孙悦",
    };

    /// <summary>WeCom connected, 小美 and 阿杰 on a staff live code, and the campaign (¥5 for invitees; 2 → gift ¥15, 3 → ¥10 credit).</summary>
    private static async Task<(HttpClient Admin, WeComCallbackBuilder WeCom, LiveCodeView Code, ReferralCampaign Campaign)> SetUpAsync(TestWorkspace workspace, int? velocityPerHour)
    {
        var admin = workspace.AdminClient();
        var wecom = new WeComCallbackBuilder(CorpId, Token, EncodingAesKey);
        (await admin.PutAsJsonAsync("/api/connections/wecom", new { corpId = CorpId, token = Token, encodingAesKey = EncodingAesKey })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var accounts = new List<Guid>();
        foreach (var (name, userId) in new[] { ("小美", "xiaomei"), ("阿杰", "ajie") })
        {
            var member = await (await admin.PostAsJsonAsync("/api/staff", new { name, wecomUserId = userId })).ReadAsync<StaffMember>(HttpStatusCode.Created);
            accounts.Add((await (await admin.PostAsJsonAsync("/api/carriers", new
            {
                kind = CarrierKinds.WecomAccount, name = $"{name}的企业微信", externalId = userId, ownerStaffId = member.Id, contactUrl = $"https://work.weixin.qq.com/ca/{userId}",
            })).ReadAsync<CarrierAccount>(HttpStatusCode.Created)).Id);
        }

        var channel = await (await admin.PostAsJsonAsync("/api/channels", new { name = "老带新", kind = ChannelKinds.Referral, hook = "邀请好友各得 5 元" }))
            .ReadAsync<Channel>(HttpStatusCode.Created);
        var code = await (await admin.PostAsJsonAsync("/api/live-codes", new
        {
            channelId = channel.Id, kind = LiveCodeKinds.Staff, name = "老带新-导购", strategy = RoutingStrategies.RoundRobin,
            members = accounts.Select(a => new { carrierId = a }).ToArray(),
        })).ReadAsync<LiveCodeView>(HttpStatusCode.Created);

        var now = DateTimeOffset.UtcNow;
        var campaign = await (await admin.PostAsJsonAsync("/api/referrals/campaigns", new
        {
            name = "冬季老带新", kind = ReferralKinds.Friend, status = ReferralStatuses.Active, startsAt = now.AddHours(-3), endsAt = now.AddDays(7),
            liveCodeId = code.Code.Id, successRequires = new[] { ReferralRequirements.Add }, successWithinDays = 7, revokeWithinDays = 7,
            rewardMode = RewardModes.Instant, inviteeReward = new { kind = RewardKinds.Credit, credit = 5m },
            ladder = new object[]
            {
                new { threshold = 2, reward = new { kind = RewardKinds.Gift, gift = "帆布托特包", cost = 15m } },
                new { threshold = 3, reward = new { kind = RewardKinds.Credit, credit = 10m } },
            },
            velocityPerHour,
        })).ReadAsync<ReferralCampaign>(HttpStatusCode.Created);

        return (admin, wecom, code, campaign);
    }

    /// <summary>
    /// A chain: seed C0 invites C1, who joins and invites C2, … down to C<paramref name="length"/> (who does not join).
    /// Returns the seed's participant id and the customers C0…Cn.
    /// </summary>
    public static async Task<(Guid Root, List<Guid> Customers)> ChainAsync(TestWorkspace workspace, int length)
    {
        var server = workspace.Server;
        var (admin, wecom, code, campaign) = await SetUpAsync(workspace, velocityPerHour: null);
        var at = DateTimeOffset.UtcNow.AddMinutes(-100);
        async Task CallbackAsync(string xml)
        {
            var signed = wecom.Sign(xml, DateTimeOffset.UtcNow);
            using var client = server.Client();
            using var response = await client.PostAsync($"/hooks/wecom/{workspace.Id}?{signed.Query}", new StringContent(signed.Body, Encoding.UTF8, "text/xml"));
            response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }

        await CallbackAsync(wecom.AddExternalContact("ajie", "wmC0", at, code.Code.State));
        await server.ProcessAsync();
        var customers = new List<Guid>();
        Guid root = default;
        string? state = null;
        for (var i = 0; i <= length; i++)
        {
            if (state is not null)
            {
                at = at.AddMinutes(2);
                await CallbackAsync(wecom.AddExternalContact("xiaomei", $"wmC{i}", at, state));
                await server.ProcessAsync();
            }

            customers.Add((await server.CustomerOfAsync(workspace.Id, IdentityKinds.WecomExternalUserId, $"wmC{i}")).ShouldNotBeNull());
            if (i == length)
                break;
            var joined = await (await admin.PostAsJsonAsync($"/api/referrals/campaigns/{campaign.Id}/participants", new { customerId = customers[^1] }))
                .ReadAsync<ReferralsApi.ParticipantView>(HttpStatusCode.Created);
            joined.Generation.ShouldBe(i + 1);
            root = i == 0 ? joined.Id : root;
            state = joined.State;
        }

        return (root, customers);
    }

    public static async Task<ReferralFixture> BuildAsync(TestWorkspace workspace)
    {
        var server = workspace.Server;
        var (admin, wecom, code, campaign) = await SetUpAsync(workspace, velocityPerHour: 3);
        var now = DateTimeOffset.UtcNow;
        var at = now.AddMinutes(-150);
        async Task CallbackAsync(string xml)
        {
            var signed = wecom.Sign(xml, DateTimeOffset.UtcNow);
            using var client = server.Client();
            using var response = await client.PostAsync($"/hooks/wecom/{workspace.Id}?{signed.Query}", new StringContent(signed.Body, Encoding.UTF8, "text/xml"));
            response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }

        // The seeds: customers already in the pool, friends of 阿杰 through the plain code.
        foreach (var seed in new[] { "A", "B", "C", "D", "E" })
        {
            at = at.AddMinutes(1);
            await CallbackAsync(wecom.AddExternalContact("ajie", "wm" + seed, at, code.Code.State));
        }

        await server.ProcessAsync();
        var customers = new Dictionary<string, Guid>();
        async Task<Guid> CustomerAsync(string name) =>
            customers[name] = (await server.CustomerOfAsync(workspace.Id, IdentityKinds.WecomExternalUserId, "wm" + name)).ShouldNotBeNull();
        var participants = new Dictionary<string, ReferralsApi.ParticipantView>();
        async Task JoinAsync(string name)
        {
            var response = await admin.PostAsJsonAsync($"/api/referrals/campaigns/{campaign.Id}/participants", new { customerId = await CustomerAsync(name) });
            participants[name] = await response.ReadAsync<ReferralsApi.ParticipantView>(HttpStatusCode.Created);
        }

        foreach (var seed in new[] { "A", "B", "C", "D", "E" })
            await JoinAsync(seed);

        async Task InviteAsync(string inviter, string invitee, string account = "xiaomei")
        {
            at = at.AddMinutes(2);
            await CallbackAsync(wecom.AddExternalContact(account, "wm" + invitee, at, participants[inviter].State));
        }

        var visits = server.Service<ReferralVisits>();
        // Views come just before the adds they lead to, a few seconds apart.
        async Task ViewAsync(string name, int count)
        {
            var participant = await server.Service<ReferralParticipants>().GetAsync(workspace.Id, participants[name].Id);
            for (var i = 0; i < count; i++)
                (await visits.RecordAsync(participant, $"visitor-{name}-{i}", at.AddSeconds(10 + i))).ShouldBeTrue();
        }

        await ViewAsync("A", 6);
        (await visits.RecordAsync(await server.Service<ReferralParticipants>().GetAsync(workspace.Id, participants["A"].Id), "visitor-A-0", at.AddSeconds(50)))
            .ShouldBeFalse();
        await ViewAsync("B", 3);
        await ViewAsync("C", 2);
        await ViewAsync("D", 1);

        await InviteAsync("A", "a1");
        await InviteAsync("A", "a2");
        await InviteAsync("A", "a3");
        await InviteAsync("A", "A");
        await InviteAsync("A", "a4");
        await InviteAsync("B", "b1");
        await InviteAsync("C", "D");
        at = at.AddMinutes(5);
        await CallbackAsync(wecom.DelFollowUser("xiaomei", "wma3", at));
        await server.ProcessAsync();

        // Generation 2: a1 shares their own poster; generation 3: a1x does.
        await JoinAsync("a1");
        await ViewAsync("a1", 3);
        await InviteAsync("a1", "a1x");
        await InviteAsync("a1", "a1y");
        await server.ProcessAsync();
        await JoinAsync("a1x");
        await ViewAsync("a1x", 1);
        await InviteAsync("a1x", "a1x1");
        await server.ProcessAsync();
        foreach (var name in new[] { "a2", "a3", "a4", "b1", "a1y", "a1x1" })
            await CustomerAsync(name);

        // Names for the console (the WeCom callbacks carry none): identify calls that resolve by the external user id.
        using (var tracking = workspace.TrackingClient())
        {
            await tracking.SendOkAsync("/v1/batch", new
            {
                batch = Names.Select(n => new
                {
                    type = "identify", anonymousId = "fixture-wm" + n.Key, messageId = "fixture-name-" + n.Key, timestamp = IngestionKit.Iso(DateTimeOffset.UtcNow),
                    traits = new Dictionary<string, string> { ["name"] = n.Value, ["wecom_external_userid"] = "wm" + n.Key },
                }).ToArray(),
            });
        }

        await server.ProcessAsync();

        var held = await admin.GetAsync<List<ReferralInvitation>>($"/api/referrals/invitations?campaignId={campaign.Id}&state=review");
        return new ReferralFixture
        {
            Workspace = workspace, Admin = admin, CampaignId = campaign.Id, Customers = customers, Participants = participants,
            HeldInvitationId = held.ShouldHaveSingleItem().Id,
        };
    }
}
