using System.Net;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Channels;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;

namespace Pond.Tests.Fission;

public sealed class ReferralMergeTests
{
    /// <summary>
    /// A "new friend" who later turns out to be the inviter (same phone, found when their identities merge) was a
    /// self-invitation: the invitation is rejected, the count drops and the unclaimed rewards are withheld.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task AMergeThatRevealsTheInviteeIsTheInviter_RejectsTheInvitationAsSelfInvite(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var campaign = await setup.CreateCampaignAsync(ReferralKit.Campaign(setup, new
        {
            rewardMode = "claim",
            inviteeReward = new { kind = "points", points = 30 },
            ladder = new object[] { new { threshold = 1, reward = new { kind = "points", points = 100 } } },
        }));
        var campaignId = campaign.GetProperty("id").GetGuid();
        var inviter = await setup.FriendAsync("wmSelfA");
        using var tracking = server.Workspace.TrackingClient();
        await tracking.SendOkAsync("/v1/identify", new { userId = "shop-user-a", traits = new { wecom_external_userid = "wmSelfA", phone = "13800001111" } });
        await setup.ProcessAsync();
        var participant = await setup.JoinAsync(campaignId, inviter);

        // Their second WeChat account scans the poster: a new friend as far as anyone can tell.
        await setup.AddThroughPosterAsync(participant.GetProperty("state").GetString()!, "wmSelfSecondAccount");
        await setup.ProcessAsync();
        (await setup.InvitationsAsync(campaignId)).ShouldHaveSingleItem().GetProperty("state").GetString().ShouldBe("succeeded");
        (await setup.RewardsAsync(campaignId)).Count(r => r.GetProperty("state").GetString() == "unlocked").ShouldBe(2);

        // Later the second account's phone is learnt: it is the same person, and the two customers merge.
        await tracking.SendOkAsync("/v1/identify", new { anonymousId = "device-2", traits = new { wecom_external_userid = "wmSelfSecondAccount", phone = "13800001111" } });
        await setup.ProcessAsync();
        var invitation = (await setup.InvitationsAsync(campaignId)).ShouldHaveSingleItem();
        invitation.GetProperty("state").GetString().ShouldBe("rejected");
        invitation.GetProperty("reason").GetString().ShouldBe("self_invite");
        (await setup.ParticipantAsync(participant.GetProperty("id").GetGuid())).GetProperty("successes").GetInt32().ShouldBe(0);
        var rewards = await setup.RewardsAsync(campaignId);
        rewards.Count.ShouldBe(2);
        rewards.ShouldAllBe(r => r.GetProperty("state").GetString() == "withheld");
        (await server.CountAsync("SELECT COUNT(*) FROM referral_participants WHERE campaign_id = @campaignId", new { campaignId })).ShouldBe(1);
    }
}
