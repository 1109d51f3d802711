using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Channels;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.Loyalty;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Fission;

public sealed class ReferralLadderTests
{
    /// <summary>
    /// The issue's must-show: inviter A brings three friends through their poster (WeCom add callbacks carrying A's
    /// State); reward 1 goes to A and each friend gets theirs; one friend deletes the staff account inside the window
    /// and the count drops back; A scanning their own poster is rejected.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ThreeLevelLadder_ThreeFriendsUnlockStepOne_BothSidesRewarded_ALeaverDropsTheCount_SelfInviteRejected(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, TestSignIn.Configure, runEngines: false);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var (inviterTemplate, inviteeTemplate) = await ReferralKit.TemplatesAsync(setup);
        var campaign = await setup.CreateCampaignAsync(ReferralKit.Campaign(setup, new
        {
            inviteeReward = new { kind = "coupon", templateId = inviteeTemplate },
            ladder = new object[]
            {
                new { threshold = 3, reward = new { kind = "coupon", templateId = inviterTemplate } },
                new { threshold = 5, reward = new { kind = "points", points = 500 } },
                new { threshold = 10, reward = new { kind = "gift", gift = "定制帆布袋", cost = 35 }, stock = 100 },
            },
        }));
        var campaignId = campaign.GetProperty("id").GetGuid();
        campaign.GetProperty("ladder").GetArrayLength().ShouldBe(3);
        campaign.GetProperty("ladder")[0].GetProperty("reward").GetProperty("cost").GetDecimal().ShouldBe(30m, "a coupon reward costs its face value unless told");

        var inviter = await setup.FriendAsync("wmInviterA");
        var participant = await setup.JoinAsync(campaignId, inviter);
        var state = participant.GetProperty("state").GetString()!;
        state.ShouldStartWith("pr_");
        participant.GetProperty("generation").GetInt32().ShouldBe(1);
        participant.GetProperty("link").GetString()!.ShouldEndWith("/r/" + participant.GetProperty("inviteCode").GetString());
        // Joining again answers the same code.
        (await setup.JoinAsync(campaignId, inviter, HttpStatusCode.OK)).GetProperty("inviteCode").GetString()
            .ShouldBe(participant.GetProperty("inviteCode").GetString());
        var participantId = participant.GetProperty("id").GetGuid();

        foreach (var friend in new[] { "wmFriend1", "wmFriend2", "wmFriend3" })
            await setup.AddThroughPosterAsync(state, friend);
        await setup.ProcessAsync();

        (await setup.ParticipantAsync(participantId)).GetProperty("successes").GetInt32().ShouldBe(3);
        var invitations = await setup.InvitationsAsync(campaignId);
        invitations.Count.ShouldBe(3);
        invitations.ShouldAllBe(i => i.GetProperty("state").GetString() == "succeeded" && i.GetProperty("isNew").GetBoolean());
        // Reward 1 is A's; each friend has their own coupon.
        (await setup.CouponStatusesAsync(inviter, inviterTemplate)).ShouldBe(["unused"]);
        var friends = new List<Guid>();
        foreach (var friend in new[] { "wmFriend1", "wmFriend2", "wmFriend3" })
        {
            var id = await setup.CustomerAsync(friend);
            friends.Add(id);
            (await setup.CouponStatusesAsync(id, inviteeTemplate)).ShouldBe(["unused"]);
        }

        var rewards = await setup.RewardsAsync(campaignId);
        rewards.Count(r => r.GetProperty("role").GetString() == "inviter").ShouldBe(1);
        rewards.Single(r => r.GetProperty("role").GetString() == "inviter").GetProperty("state").GetString().ShouldBe("issued");
        rewards.Count(r => r.GetProperty("role").GetString() == "invitee" && r.GetProperty("state").GetString() == "issued").ShouldBe(3);
        // The adds are credited to the campaign's live code like any add through it.
        (await server.CountAsync("SELECT COUNT(*) FROM acquisitions WHERE code_id = @codeId AND message_id LIKE 'wecom:%'", new { codeId = setup.Code.Code.Id }))
            .ShouldBe(4, "A's own add through the code and the three friends");

        // A scans their own poster (adds another account with their own state): rejected, counted nowhere.
        await setup.AddThroughPosterAsync(state, "wmInviterA", account: "ajie");
        await setup.ProcessAsync();
        var self = (await setup.InvitationsAsync(campaignId, "rejected")).ShouldHaveSingleItem();
        self.GetProperty("reason").GetString().ShouldBe("self_invite");
        self.GetProperty("inviteeCustomerId").GetGuid().ShouldBe(inviter);

        // Friend 2 deletes the staff account inside the revoke window: the invitation is revoked and the count drops back.
        await setup.CallbackOkAsync(setup.WeCom.DelFollowUser("xiaomei", "wmFriend2", DateTimeOffset.UtcNow.AddMinutes(1)));
        await setup.ProcessAsync();
        (await setup.ParticipantAsync(participantId)).GetProperty("successes").GetInt32().ShouldBe(2);
        var revoked = (await setup.InvitationsAsync(campaignId, "revoked")).ShouldHaveSingleItem();
        revoked.GetProperty("inviteeCustomerId").GetGuid().ShouldBe(friends[1]);
        revoked.GetProperty("reason").GetString().ShouldBe("left");
        // Instant rewards were already issued: they stay; the campaign's success count follows the participant's.
        (await setup.CouponStatusesAsync(inviter, inviterTemplate)).ShouldBe(["unused"]);
        (await setup.Admin.GetAsync<JsonElement>($"/api/referrals/campaigns/{campaignId}")).GetProperty("successes").GetInt32().ShouldBe(2);

        // Someone already in the pool does not count as new.
        await setup.FriendAsync("wmOldFriend", account: "ajie");
        await setup.AddThroughPosterAsync(state, "wmOldFriend", account: "xiaomei", at: DateTimeOffset.UtcNow.AddMinutes(2));
        await setup.ProcessAsync();
        (await setup.InvitationsAsync(campaignId, "rejected")).Select(i => i.GetProperty("reason").GetString()).Order()
            .ShouldBe(["already_in_pool", "self_invite"]);

        // A fourth new friend brings the count back to 3: step 1 is not granted twice.
        await setup.AddThroughPosterAsync(state, "wmFriend4", at: DateTimeOffset.UtcNow.AddMinutes(3));
        await setup.ProcessAsync();
        (await setup.ParticipantAsync(participantId)).GetProperty("successes").GetInt32().ShouldBe(3);
        (await setup.CouponStatusesAsync(inviter, inviterTemplate)).ShouldBe(["unused"]);
        (await setup.RewardsAsync(campaignId, inviter)).Count.ShouldBe(1);

        // The 360 pages tell the story: the inviter's code and counts, the friend's inviter and reward.
        var owner = await server.Workspace.MemberClientAsync(Roles.Owner);
        var inviterPage = await owner.PageAsync($"/customers/{inviter}");
        inviterPage.ShouldContain("data-testid=\"customer-referrals\"");
        inviterPage.ShouldContain(participant.GetProperty("inviteCode").GetString()!);
        inviterPage.ShouldContain("裂变奖励");
        var friendPage = await owner.PageAsync($"/customers/{friends[0]}");
        friendPage.ShouldContain("data-testid=\"referral-invited-by\"");
        friendPage.ShouldContain($"/customers/{inviter}");
    }

    /// <summary>Claim mode: rewards wait unlocked; an invitee who leaves before the claim has theirs withheld, and so does a step the inviter no longer reaches.</summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ClaimMode_ALeaverBeforeTheClaim_WithholdsTheirRewardAndTheStep_ReachingItAgainUnlocksIt(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var campaign = await setup.CreateCampaignAsync(ReferralKit.Campaign(setup, new
        {
            rewardMode = "claim",
            inviteeReward = new { kind = "points", points = 50 },
            ladder = new object[] { new { threshold = 2, reward = new { kind = "points", points = 100 } } },
        }));
        var campaignId = campaign.GetProperty("id").GetGuid();
        var inviter = await setup.FriendAsync("wmInviterB");
        var state = (await setup.JoinAsync(campaignId, inviter)).GetProperty("state").GetString()!;

        await setup.AddThroughPosterAsync(state, "wmC1");
        await setup.AddThroughPosterAsync(state, "wmC2");
        await setup.ProcessAsync();
        var rewards = await setup.RewardsAsync(campaignId);
        rewards.Count.ShouldBe(3);
        rewards.ShouldAllBe(r => r.GetProperty("state").GetString() == "unlocked");
        (await setup.Admin.BalanceAsync(inviter)).ShouldBe(0);

        await setup.CallbackOkAsync(setup.WeCom.DelExternalContact("xiaomei", "wmC1", DateTimeOffset.UtcNow.AddMinutes(1)));
        await setup.ProcessAsync();
        var c1 = await setup.CustomerAsync("wmC1");
        var afterLeave = await setup.RewardsAsync(campaignId);
        afterLeave.Single(r => r.GetProperty("customerId").GetGuid() == c1).GetProperty("state").GetString().ShouldBe("withheld");
        var step = afterLeave.Single(r => r.GetProperty("role").GetString() == "inviter");
        step.GetProperty("state").GetString().ShouldBe("withheld");
        var claimWithheld = await setup.Admin.PostAsync($"/api/referrals/rewards/{step.GetProperty("id").GetGuid()}/claim", null);
        claimWithheld.StatusCode.ShouldBe(HttpStatusCode.Conflict);

        // The remaining friend claims theirs; a third friend brings the inviter back to the step, which unlocks again and is claimed once.
        var c2 = await setup.CustomerAsync("wmC2");
        var c2Reward = afterLeave.Single(r => r.GetProperty("customerId").GetGuid() == c2);
        (await setup.Admin.PostAsync($"/api/referrals/rewards/{c2Reward.GetProperty("id").GetGuid()}/claim", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await setup.Admin.BalanceAsync(c2)).ShouldBe(50);

        await setup.AddThroughPosterAsync(state, "wmC3", at: DateTimeOffset.UtcNow.AddMinutes(2));
        await setup.ProcessAsync();
        var again = (await setup.RewardsAsync(campaignId, inviter)).ShouldHaveSingleItem();
        again.GetProperty("state").GetString().ShouldBe("unlocked");
        var claim = await setup.Admin.PostAsync($"/api/referrals/rewards/{again.GetProperty("id").GetGuid()}/claim", null);
        claim.StatusCode.ShouldBe(HttpStatusCode.OK, await claim.Content.ReadAsStringAsync());
        (await setup.Admin.BalanceAsync(inviter)).ShouldBe(100);
        (await setup.Admin.PostAsync($"/api/referrals/rewards/{again.GetProperty("id").GetGuid()}/claim", null)).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await setup.Admin.BalanceAsync(inviter)).ShouldBe(100);
    }

    /// <summary>Velocity: past the hourly limit, invitations are held for review; approving one rewards it, rejecting one never counts.</summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Velocity_HoldsInvitationsForReview_ApproveRewards_RejectNeverCounts(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var campaign = await setup.CreateCampaignAsync(ReferralKit.Campaign(setup, new
        {
            velocityPerHour = 2,
            ladder = new object[] { new { threshold = 3, reward = new { kind = "credit", credit = 10 } } },
        }));
        var campaignId = campaign.GetProperty("id").GetGuid();
        var inviter = await setup.FriendAsync("wmFast");
        var participant = await setup.JoinAsync(campaignId, inviter);
        var state = participant.GetProperty("state").GetString()!;
        for (var i = 1; i <= 4; i++)
            await setup.AddThroughPosterAsync(state, $"wmV{i}", at: DateTimeOffset.UtcNow.AddSeconds(i));
        await setup.ProcessAsync();

        var held = await setup.InvitationsAsync(campaignId, "review");
        held.Count.ShouldBe(2);
        held.ShouldAllBe(i => i.GetProperty("reason").GetString() == "velocity");
        (await setup.ParticipantAsync(participant.GetProperty("id").GetGuid())).GetProperty("successes").GetInt32().ShouldBe(2);
        (await setup.RewardsAsync(campaignId)).ShouldBeEmpty();

        var bad = await setup.Admin.PostAsJsonAsync($"/api/referrals/invitations/{held[0].GetProperty("id").GetGuid()}/review", new { decision = "maybe" });
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var approved = await (await setup.Admin.PostAsJsonAsync($"/api/referrals/invitations/{held[0].GetProperty("id").GetGuid()}/review", new { decision = "approve" }))
            .ReadAsync<JsonElement>();
        approved.GetProperty("state").GetString().ShouldBe("succeeded");
        var rejected = await (await setup.Admin.PostAsJsonAsync($"/api/referrals/invitations/{held[1].GetProperty("id").GetGuid()}/review", new { decision = "reject" }))
            .ReadAsync<JsonElement>();
        rejected.GetProperty("state").GetString().ShouldBe("rejected");
        (await setup.Admin.PostAsJsonAsync($"/api/referrals/invitations/{held[1].GetProperty("id").GetGuid()}/review", new { decision = "approve" }))
            .StatusCode.ShouldBe(HttpStatusCode.Conflict);

        (await setup.ParticipantAsync(participant.GetProperty("id").GetGuid())).GetProperty("successes").GetInt32().ShouldBe(3);
        var reward = (await setup.RewardsAsync(campaignId)).ShouldHaveSingleItem();
        reward.GetProperty("kind").GetString().ShouldBe("credit");
        reward.GetProperty("state").GetString().ShouldBe("issued");
        reward.GetProperty("credit").GetDecimal().ShouldBe(10m);
    }

    /// <summary>add + first order: the add alone leaves the invitation pending; the invitee's first order completes it.</summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task FirstOrderRequirement_TheInviteesFirstOrderCompletesThePendingInvitation(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var campaign = await setup.CreateCampaignAsync(ReferralKit.Campaign(setup, new
        {
            successRequires = new[] { "add", "first_order" },
            ladder = new object[] { new { threshold = 1, reward = new { kind = "points", points = 200 } } },
        }));
        var campaignId = campaign.GetProperty("id").GetGuid();
        var inviter = await setup.FriendAsync("wmOrderInviter");
        var state = (await setup.JoinAsync(campaignId, inviter)).GetProperty("state").GetString()!;
        await setup.AddThroughPosterAsync(state, "wmBuyer");
        await setup.ProcessAsync();
        (await setup.InvitationsAsync(campaignId)).ShouldHaveSingleItem().GetProperty("state").GetString().ShouldBe("pending");

        var buyer = await setup.CustomerAsync("wmBuyer");
        await server.Workspace.OrderAsync(buyer, "REF-ORDER-1", 99m);
        var invitation = (await setup.InvitationsAsync(campaignId)).ShouldHaveSingleItem();
        invitation.GetProperty("state").GetString().ShouldBe("succeeded");
        invitation.GetProperty("ordered").GetBoolean().ShouldBeTrue();
        (await setup.Admin.BalanceAsync(inviter)).ShouldBe(200);

        // A second order changes nothing.
        await server.Workspace.OrderAsync(buyer, "REF-ORDER-2", 59m);
        (await setup.Admin.BalanceAsync(inviter)).ShouldBe(200);
    }

    /// <summary>A pending invitation whose success window closes is expired by the sweeper; a first order after that completes nothing.</summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task PendingInvitation_ExpiresWhenItsWindowCloses_ALateFirstOrderCountsForNothing(DbEngine engine)
    {
        var clock = new Audience.ManualClock(DateTimeOffset.UtcNow);
        await using var server = await Audience.ScoreKit.StartAsync(engine, clock);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var campaign = await setup.CreateCampaignAsync(ReferralKit.Campaign(setup, new
        {
            successRequires = new[] { "add", "first_order" }, successWithinDays = 3,
            ladder = new object[] { new { threshold = 1, reward = new { kind = "points", points = 200 } } },
        }));
        var campaignId = campaign.GetProperty("id").GetGuid();
        var inviter = await setup.FriendAsync("wmSlowInviter");
        var state = (await setup.JoinAsync(campaignId, inviter)).GetProperty("state").GetString()!;
        await setup.AddThroughPosterAsync(state, "wmSlowBuyer", at: clock.GetUtcNow());
        await setup.ProcessAsync();

        var referrals = server.Service<Pond.Fission.Referrals>();
        clock.Advance(TimeSpan.FromDays(2));
        (await referrals.ExpireDueAsync()).ShouldBe(0);
        clock.Advance(TimeSpan.FromDays(1.5));
        (await referrals.ExpireDueAsync()).ShouldBe(1);
        (await setup.InvitationsAsync(campaignId)).ShouldHaveSingleItem().GetProperty("state").GetString().ShouldBe("expired");

        await server.Workspace.OrderAsync(await setup.CustomerAsync("wmSlowBuyer"), "LATE-1", 99m, clock.GetUtcNow());
        (await setup.InvitationsAsync(campaignId)).ShouldHaveSingleItem().GetProperty("state").GetString().ShouldBe("expired");
        (await setup.Admin.BalanceAsync(inviter)).ShouldBe(0);
    }

    /// <summary>Stock: past it a reward is recorded out of stock and costs nothing; a reached step keeps its threshold and reward, its stock not below what it granted.</summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task RewardStock_RunsOutCleanly_AndReachedStepsCannotBeRewritten(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var campaign = await setup.CreateCampaignAsync(ReferralKit.Campaign(setup, new
        {
            inviteeReward = new { kind = "gift", gift = "试用装", cost = 8 },
            inviteeRewardStock = 2,
            ladder = new object[] { new { threshold = 1, reward = new { kind = "points", points = 100 }, stock = 1 } },
        }));
        var campaignId = campaign.GetProperty("id").GetGuid();
        var first = (await setup.JoinAsync(campaignId, await setup.FriendAsync("wmStockA"))).GetProperty("state").GetString()!;
        var second = (await setup.JoinAsync(campaignId, await setup.FriendAsync("wmStockB", account: "ajie"))).GetProperty("state").GetString()!;
        await setup.AddThroughPosterAsync(first, "wmS1");
        await setup.AddThroughPosterAsync(second, "wmS2", at: DateTimeOffset.UtcNow.AddSeconds(1));
        await setup.AddThroughPosterAsync(second, "wmS3", at: DateTimeOffset.UtcNow.AddSeconds(2));
        await setup.ProcessAsync();

        var rewards = await setup.RewardsAsync(campaignId);
        rewards.Count(r => r.GetProperty("role").GetString() == "invitee" && r.GetProperty("state").GetString() == "issued").ShouldBe(2);
        rewards.Count(r => r.GetProperty("role").GetString() == "invitee" && r.GetProperty("state").GetString() == "out_of_stock").ShouldBe(1);
        rewards.Count(r => r.GetProperty("role").GetString() == "inviter" && r.GetProperty("state").GetString() == "issued").ShouldBe(1);
        rewards.Count(r => r.GetProperty("role").GetString() == "inviter" && r.GetProperty("state").GetString() == "out_of_stock").ShouldBe(1);
        rewards.Where(r => r.GetProperty("state").GetString() == "out_of_stock").ShouldAllBe(r => r.GetProperty("cost").GetDecimal() == 0m);
        var read = await setup.Admin.GetAsync<JsonElement>($"/api/referrals/campaigns/{campaignId}");
        read.GetProperty("inviteeRewardsGranted").GetInt32().ShouldBe(2);
        read.GetProperty("ladder")[0].GetProperty("granted").GetInt32().ShouldBe(1);

        var rewrite = await setup.Admin.PutAsJsonAsync($"/api/referrals/campaigns/{campaignId}",
            new { ladder = new object[] { new { threshold = 2, reward = new { kind = "points", points = 100 } } } });
        rewrite.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var shrink = await setup.Admin.PutAsJsonAsync($"/api/referrals/campaigns/{campaignId}", new { inviteeRewardStock = 1 });
        shrink.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var more = await (await setup.Admin.PutAsJsonAsync($"/api/referrals/campaigns/{campaignId}", new
        {
            ladder = new object[]
            {
                new { threshold = 1, reward = new { kind = "points", points = 150 }, stock = 5 },
                new { threshold = 4, reward = new { kind = "gift", gift = "保温杯" } },
            },
        })).ReadAsync<JsonElement>();
        more.GetProperty("ladder").GetArrayLength().ShouldBe(2);
        more.GetProperty("ladder")[0].GetProperty("granted").GetInt32().ShouldBe(1, "the reached step kept its id and grants");
        more.GetProperty("ladder")[0].GetProperty("stock").GetInt32().ShouldBe(5);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BadCampaigns_Are400sNamingTheField_AndJoinRespectsWindowAndAudience(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        async Task Bad(object extra, string field)
        {
            var response = await setup.Admin.PostAsJsonAsync("/api/referrals/campaigns", ReferralKit.Campaign(setup, extra));
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, body);
            JsonDocument.Parse(body).RootElement.GetProperty("field").GetString().ShouldBe(field);
        }

        var step = new[] { new { threshold = 3, reward = new { kind = "points", points = 10 } } };
        await Bad(new { ladder = Array.Empty<object>() }, "ladder");
        await Bad(new { ladder = step, kind = "viral" }, "kind");
        await Bad(new { ladder = step, kind = "group" }, "liveCodeId");
        await Bad(new { ladder = step, liveCodeId = Guid.NewGuid() }, "liveCodeId");
        await Bad(new { ladder = step, successRequires = new[] { "add", "dance" } }, "successRequires");
        await Bad(new { ladder = step, endsAt = DateTimeOffset.UtcNow.AddDays(-2) }, "endsAt");
        await Bad(new { ladder = new object[] { new { threshold = 5, reward = new { kind = "points", points = 10 } }, new { threshold = 3, reward = new { kind = "points", points = 10 } } } },
            "ladder/1/threshold");
        await Bad(new { ladder = new object[] { new { threshold = 3, reward = new { kind = "coupon" } } } }, "ladder/0/reward/templateId");
        await Bad(new { ladder = step, inviteeReward = new { kind = "credit", credit = -1 } }, "inviteeReward/credit");
        (await setup.Admin.GetAsync<JsonElement>("/api/referrals/campaigns")).GetArrayLength().ShouldBe(0, "nothing half-made was kept");

        var draft = await setup.CreateCampaignAsync(ReferralKit.Campaign(setup, new { status = "draft", ladder = step }));
        var customer = await setup.FriendAsync("wmEarly");
        var refused = await setup.Admin.PostAsJsonAsync($"/api/referrals/campaigns/{draft.GetProperty("id").GetGuid()}/participants", new { customerId = customer });
        refused.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await setup.Admin.PostAsJsonAsync($"/api/referrals/campaigns/{draft.GetProperty("id").GetGuid()}/participants", new { customerId = Guid.NewGuid() }))
            .StatusCode.ShouldBe(HttpStatusCode.Conflict, "a draft refuses before looking the customer up");
        var updated = await (await setup.Admin.PutAsJsonAsync($"/api/referrals/campaigns/{draft.GetProperty("id").GetGuid()}", new { status = "active" }))
            .ReadAsync<JsonElement>();
        updated.GetProperty("status").GetString().ShouldBe("active");
        updated.GetProperty("ladder").GetArrayLength().ShouldBe(1, "fields left out are kept");
        (await setup.Admin.PostAsJsonAsync($"/api/referrals/campaigns/{draft.GetProperty("id").GetGuid()}/participants", new { customerId = Guid.NewGuid() }))
            .StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // Twenty parallel joins of one customer: one participant, one code.
        var id = draft.GetProperty("id").GetGuid();
        var joins = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => setup.Admin.PostAsJsonAsync($"/api/referrals/campaigns/{id}/participants", new { customerId = customer })));
        joins.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(1);
        joins.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(19);
        (await server.CountAsync("SELECT COUNT(*) FROM referral_participants WHERE campaign_id = @id", new { id })).ShouldBe(1);
    }
}
