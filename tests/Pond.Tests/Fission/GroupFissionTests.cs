using System.Net;
using Pond.Fission;
using Pond.Storage;
using Pond.Tests.Channels;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.WeCom;

namespace Pond.Tests.Fission;

/// <summary>
/// Exact attribution through WeCom, end to end against a stand-in that answers as WeCom documents: a participant's own
/// contact way (friend campaigns) or join way (group campaigns) carries their state; WeCom echoes it on the add, or lists
/// it on the group member, which Pond reads from groupchat/get because the add_member callback carries none.
/// </summary>
public sealed class GroupFissionTests : IAsyncLifetime
{
    private WeComServerStandIn _wecom = null!;
    private readonly WeComWaysStandIn _ways = new();

    public async Task InitializeAsync() => _wecom = await WeComServerStandIn.StartAsync((app, rejected) => _ways.Map(app, rejected));

    public async Task DisposeAsync() => await _wecom.DisposeAsync();

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task GroupCampaign_AJoinThroughTheParticipantsJoinWay_IsTheirSuccess_AndTheCodeMovesOnAtTheCap(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server, secret: WeComServerStandIn.Secret, apiBaseUrl: _wecom.BaseUrl.ToString());
        var (code, first, second) = await PosterKit.GroupCodeAsync(setup.Admin, setup.Channel.Id, firstCapacity: 2);
        var campaign = await PosterKit.CampaignAsync(setup.Admin, code.Code.Id, ReferralKinds.Group, [ReferralRequirements.Group], "进群领新品试用");
        var participant = await PosterKit.JoinAsync(setup.Admin, campaign.Id, await new CustomerSeed(server.Workspace).CustomerAsync("林小姐"));

        // A friend opens the inviter's link: routed to the first group, through the inviter's own join way.
        using var friend = setup.NewVisitor();
        var html = await friend.Client.PageAsync($"/r/{participant.InviteCode}");
        html.ShouldContain($"data-carrier-id=\"{first.Id}\"");
        html.ShouldContain("data-personal=\"true\"");
        var (configId, way) = _ways.JoinWays.Single();
        way.Chats.ShouldBe(["wrChatOne"]);
        way.State.ShouldBe(participant.State);
        html.ShouldContain($"https://wework.qpic.cn/wwpic/join/{configId}");
        // The same friend again: the stored way, not a new one.
        await friend.Client.PageAsync($"/r/{participant.InviteCode}");
        _ways.JoinWays.Count.ShouldBe(1);

        // They scan it and join; WeCom's callback names only the member, the group's member list has the state.
        _ways.Join("wrChatOne", "wmInvitee1", configId);
        await setup.CallbackOkAsync(setup.WeCom.ChatAddMembers("wrChatOne", ["wmInvitee1"], DateTimeOffset.UtcNow));
        await setup.ProcessAsync();

        var invitation = (await setup.InvitationsAsync(campaign.Id)).Single();
        invitation.GetProperty("state").GetString().ShouldBe(InvitationStates.Succeeded);
        invitation.GetProperty("joinedGroup").GetBoolean().ShouldBeTrue();
        invitation.GetProperty("inviteeCustomerId").GetGuid().ShouldBe(await setup.CustomerAsync("wmInvitee1"));
        (await setup.ParticipantAsync(participant.Id)).GetProperty("successes").GetInt32().ShouldBe(1);
        (await setup.RewardsAsync(campaign.Id)).Single().GetProperty("gift").GetString().ShouldBe("帆布袋");
        // The join is credited to the group live code, like any join through it.
        (await server.CountAsync("SELECT COUNT(*) FROM acquisitions WHERE code_id = @codeId", new { codeId = code.Code.Id })).ShouldBe(1);

        // Someone joins the first group without any way: a plain join, no invitation. The group is now at its cap of 2.
        _ways.Join("wrChatOne", "wmWalkIn");
        await setup.CallbackOkAsync(setup.WeCom.ChatAddMembers("wrChatOne", ["wmWalkIn"], DateTimeOffset.UtcNow));
        await setup.ProcessAsync();
        (await setup.InvitationsAsync(campaign.Id)).Count.ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM referral_participants WHERE id = @id AND successes = 1", new { id = participant.Id })).ShouldBe(1);

        // The next friend is routed to the second group, through a new join way of the inviter for that group.
        using var next = setup.NewVisitor();
        var moved = await next.Client.PageAsync($"/r/{participant.InviteCode}");
        moved.ShouldContain($"data-carrier-id=\"{second.Id}\"");
        var secondWay = _ways.JoinWays.Single(w => w.Key != configId);
        secondWay.Value.Chats.ShouldBe(["wrChatTwo"]);
        secondWay.Value.State.ShouldBe(participant.State);
        moved.ShouldContain($"https://wework.qpic.cn/wwpic/join/{secondWay.Key}");
        (await server.CountAsync("SELECT COUNT(*) FROM referral_invite_ways WHERE participant_id = @id AND kind = 'join'", new { id = participant.Id })).ShouldBe(2);

        _ways.Join("wrChatTwo", "wmInvitee2", secondWay.Key);
        await setup.CallbackOkAsync(setup.WeCom.ChatAddMembers("wrChatTwo", ["wmInvitee2"], DateTimeOffset.UtcNow));
        await setup.ProcessAsync();
        (await setup.ParticipantAsync(participant.Id)).GetProperty("successes").GetInt32().ShouldBe(2);
        _ways.Calls.Count(c => c.Path.EndsWith("groupchat/get", StringComparison.Ordinal)).ShouldBe(3);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task FriendCampaign_TheParticipantsContactWayCarriesTheirState_AndTheAddIsTheirInvitation(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server, secret: WeComServerStandIn.Secret, apiBaseUrl: _wecom.BaseUrl.ToString());
        var campaign = await PosterKit.CampaignAsync(setup.Admin, setup.Code.Code.Id);
        var participant = await PosterKit.JoinAsync(setup.Admin, campaign.Id, await new CustomerSeed(server.Workspace).CustomerAsync("林小姐"));

        using var friend = setup.NewVisitor();
        var html = await friend.Client.PageAsync($"/r/{participant.InviteCode}");
        var account = setup.Accounts.Single(a => html.Contains($"data-carrier-id=\"{a.Id}\"", StringComparison.Ordinal));
        var (configId, way) = _ways.ContactWays.Single(w => w.Value.State == participant.State);
        way.Users.ShouldBe([account.ExternalId!]);
        html.ShouldContain($"https://wework.qpic.cn/wwpic/contact/{configId}");
        html.ShouldContain("data-personal=\"true\"");
        await friend.Client.PageAsync($"/r/{participant.InviteCode}");
        _ways.ContactWays.Count(w => w.Value.State == participant.State).ShouldBe(1);

        // WeCom echoes the contact way's state on the add: the invitation is the participant's.
        await setup.CallbackOkAsync(setup.WeCom.AddExternalContact(account.ExternalId!, "wmFriend1", DateTimeOffset.UtcNow, participant.State));
        await setup.ProcessAsync();
        var invitation = (await setup.InvitationsAsync(campaign.Id)).Single();
        invitation.GetProperty("state").GetString().ShouldBe(InvitationStates.Succeeded);
        invitation.GetProperty("participantId").GetGuid().ShouldBe(participant.Id);
        (await setup.ParticipantAsync(participant.Id)).GetProperty("successes").GetInt32().ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task GroupJoin_WhenWeComCannotListTheMembers_IsStillRecorded_AsAPlainJoin(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server, secret: WeComServerStandIn.Secret, apiBaseUrl: _wecom.BaseUrl.ToString());
        var (code, _, _) = await PosterKit.GroupCodeAsync(setup.Admin, setup.Channel.Id, firstCapacity: 10);
        var campaign = await PosterKit.CampaignAsync(setup.Admin, code.Code.Id, ReferralKinds.Group, [ReferralRequirements.Group]);

        // The stand-in knows no such chat (errcode 40050): the callback is answered and the member still joins.
        await setup.CallbackOkAsync(setup.WeCom.ChatAddMembers("wrChatOne", ["wmUnknownWay"], DateTimeOffset.UtcNow));
        await setup.ProcessAsync();
        (await server.CountAsync(
            "SELECT COUNT(*) FROM relationships r JOIN carriers k ON k.id = r.carrier_id WHERE k.external_id = 'wrChatOne' AND r.state = 'active'")).ShouldBe(1);
        (await setup.InvitationsAsync(campaign.Id)).ShouldBeEmpty();
        (await setup.Admin.GetAsync($"/api/referrals/campaigns/{campaign.Id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
