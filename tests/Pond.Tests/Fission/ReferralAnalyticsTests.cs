using System.Net;
using System.Net.Http.Json;
using Pond.Fission;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Fission;

public sealed class ReferralAnalyticsTests
{
    private const double Tolerance = 1e-9;

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Analytics_MatchTheHandComputedFixture_KFactorGenerationsCostAndLadder(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var fixture = await ReferralFixture.BuildAsync(server.Workspace);
        var figures = await fixture.Admin.GetAsync<ReferralCampaignAnalytics>($"/api/referrals/campaigns/{fixture.CampaignId}/analytics");

        // Participants: seeds A B C D E (5) + a1 (generation 2) + a1x (generation 3) = 7.
        figures.Participants.ShouldBe(7);
        figures.SeedParticipants.ShouldBe(5);
        // Poster views: A 6 + B 3 + C 2 + D 1 + a1 3 + a1x 1 = 16 (A's repeat visitor the same day is not counted again).
        figures.PosterViews.ShouldBe(16);
        // Invitations recorded: A 5 (a1 a2 a3, self, a4) + B 1 + C 1 (D) + a1 2 + a1x 1 = 10.
        figures.InvitationsRecorded.ShouldBe(10);
        // Succeeded: a1 a2 b1 a1x a1y a1x1 = 6 (a3 revoked, a4 held, self and D rejected); all six were new to the pool.
        figures.Successful.ShouldBe(6);
        figures.NewCustomers.ShouldBe(6);
        (figures.Revoked, figures.HeldForReview, figures.Rejected, figures.Pending, figures.Expired).ShouldBe((1, 1, 2, 0, 0));
        figures.RejectedByReason.ShouldBe(new Dictionary<string, int> { [InvitationReasons.SelfInvite] = 1, [InvitationReasons.AlreadyInPool] = 1 }, ignoreOrder: true);
        // Active inviters (a success that still counts): A, B, a1, a1x = 4.
        figures.ActiveInviters.ShouldBe(4);

        // Invitations per participant = 16 / 7; conversion = 6 / 16; K = 16/7 × 6/16 = 6/7 ≈ 0.857.
        figures.InvitationsPerParticipant!.Value.ShouldBe(16.0 / 7, Tolerance);
        figures.Conversion!.Value.ShouldBe(6.0 / 16, Tolerance);
        figures.KFactor!.Value.ShouldBe(6.0 / 7, Tolerance);
        // Fission rate = new customers / seeds = 6 / 5 = 1.2.
        figures.FissionRate!.Value.ShouldBe(1.2, Tolerance);
        figures.ViewToInvitationRate!.Value.ShouldBe(10.0 / 16, Tolerance);
        figures.SuccessRate!.Value.ShouldBe(6.0 / 10, Tolerance);

        // Generations: 1 = A B C D E inviting 7 (3 succeed: a1 a2 b1); 2 = a1 inviting 2 (both succeed); 3 = a1x inviting 1 (succeeds).
        figures.Depth.ShouldBe(3);
        figures.Generations.ShouldBe([new ReferralGeneration(1, 5, 7, 3, 3), new ReferralGeneration(2, 1, 2, 2, 2), new ReferralGeneration(3, 1, 1, 1, 1)]);

        // Cost (instant rewards; an issued reward stays issued after a revocation):
        //   invitee credit ¥5 × 7 issued (a1 a2 a3 b1 a1x a1y a1x1) = ¥35
        //   ladder: A reached 2 (gift ¥15) and 3 (credit ¥10) before a3 left; a1 reached 2 (gift ¥15) = ¥40
        //   total ¥75; per new customer 75 / 6 = ¥12.50.
        figures.RewardCost.ShouldBe(75m);
        figures.CostPerNewCustomer.ShouldBe(12.5m);
        // Ladder: step 2 is reached now by A (2) and a1 (2), rewarded twice; step 3 is reached by nobody now (A fell back to 2) but rewarded once.
        figures.Ladder.Select(s => (s.Threshold, s.Reached, s.Rewarded, s.OutOfStock, s.Withheld)).ShouldBe([(2, 2, 2, 0, 0), (3, 0, 1, 0, 0)]);

        // The daily series adds up to the totals (all of it happened in the last few hours).
        figures.Daily.Sum(d => d.Views).ShouldBe(16);
        figures.Daily.Sum(d => d.Invitations).ShouldBe(10);
        figures.Daily.Sum(d => d.Successes).ShouldBe(6);
        figures.Daily[^1].Day.ShouldBe(DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).DateTime));

        // Approving the held invitation (a4) makes it a success: K = 7/7 = 1, cost 75 + 5 = ¥80 over 7 new customers.
        var approved = await fixture.Admin.PostAsJsonAsync($"/api/referrals/invitations/{fixture.HeldInvitationId}/review", new { decision = "approve" });
        (await approved.ReadAsync<ReferralInvitation>()).State.ShouldBe(InvitationStates.Succeeded);
        var after = await fixture.Admin.GetAsync<ReferralCampaignAnalytics>($"/api/referrals/campaigns/{fixture.CampaignId}/analytics");
        (after.Successful, after.NewCustomers, after.HeldForReview).ShouldBe((7, 7, 0));
        after.KFactor!.Value.ShouldBe(1.0, Tolerance);
        after.RewardCost.ShouldBe(80m);
        // A is back at 3: step 3 is reached again; its reward had been issued, so it is not issued twice.
        after.Ladder.Select(s => (s.Threshold, s.Reached, s.Rewarded)).ShouldBe([(2, 2, 2), (3, 1, 1)]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Tree_OfASeed_ShowsInviteesWithStates_AndTheGenerationsBelow(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var fixture = await ReferralFixture.BuildAsync(server.Workspace);
        var tree = await fixture.Admin.GetAsync<ReferralTree>($"/api/referrals/participants/{fixture.Participants["A"].Id}/tree");

        tree.CampaignId.ShouldBe(fixture.CampaignId);
        (tree.Root.CustomerId, tree.Root.CustomerName).ShouldBe((fixture.Customers["A"], "安琪"));
        (tree.Root.Generation, tree.Root.Successes, tree.Root.Invitations, tree.Root.PosterViews).ShouldBe((1, 2, 5, 6));
        // A's five invitations in the order they came: a1 a2 a3 (revoked) A (self) a4 (held).
        tree.Root.Invitees.Select(i => (i.CustomerId, i.State)).ShouldBe([
            (fixture.Customers["a1"], InvitationStates.Succeeded), (fixture.Customers["a2"], InvitationStates.Succeeded),
            (fixture.Customers["a3"], InvitationStates.Revoked), (fixture.Customers["A"], InvitationStates.Rejected), (fixture.Customers["a4"], InvitationStates.Review),
        ]);
        tree.Root.Invitees[3].Reason.ShouldBe(InvitationReasons.SelfInvite);
        tree.Root.Invitees[2].Reason.ShouldBe(InvitationReasons.Left);
        var a1 = tree.Root.Invitees[0].Participant.ShouldNotBeNull();
        a1.Generation.ShouldBe(2);
        a1.Invitees.Select(i => i.CustomerId).ShouldBe([fixture.Customers["a1x"], fixture.Customers["a1y"]]);
        var a1x = a1.Invitees[0].Participant.ShouldNotBeNull();
        a1x.Generation.ShouldBe(3);
        a1x.Invitees.Single().CustomerId.ShouldBe(fixture.Customers["a1x1"]);
        a1x.Invitees.Single().Participant.ShouldBeNull();
        tree.Root.Invitees.Skip(1).ShouldAllBe(i => i.Participant == null);
        // Shown: A's 5 + a1's 2 + a1x's 1 = 8.
        (tree.Shown, tree.Truncated).ShouldBe((8, false));

        // A generation-2 participant's tree starts at them; an unknown participant is a 404.
        var sub = await fixture.Admin.GetAsync<ReferralTree>($"/api/referrals/participants/{fixture.Participants["a1"].Id}/tree");
        (sub.Root.Generation, sub.Shown).ShouldBe((2, 3));
        (await fixture.Admin.GetAsync($"/api/referrals/participants/{Guid.NewGuid()}/tree")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var other = await server.CreateWorkspaceAsync("other-brand");
        (await other.AdminClient().GetAsync($"/api/referrals/campaigns/{fixture.CampaignId}/analytics")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.AdminClient().GetAsync($"/api/referrals/participants/{fixture.Participants["A"].Id}/tree")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Tree_DeeperThanTheBound_StopsSixGenerationsBelow_AndCountsWhatItLeftOut(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        // C0 → C1 → … → C8: eight invitations, each invitee but the last joining to invite the next (generations 1 to 8).
        var (root, customers) = await ReferralFixture.ChainAsync(server.Workspace, 8);
        var tree = await server.Workspace.AdminClient().GetAsync<ReferralTree>($"/api/referrals/participants/{root}/tree");

        // Shown: C1 … C6 (six generations below C0); C6's invitee C7 is cut and counted on C6's node.
        (tree.Shown, tree.Truncated).ShouldBe((ReferralTree.MaxDepth, true));
        var node = tree.Root;
        for (var depth = 1; depth <= ReferralTree.MaxDepth; depth++)
        {
            node.Omitted.ShouldBe(0);
            var invitee = node.Invitees.ShouldHaveSingleItem();
            invitee.CustomerId.ShouldBe(customers[depth]);
            node = invitee.Participant.ShouldNotBeNull();
        }

        (node.Generation, node.Invitees.Count, node.Omitted).ShouldBe((ReferralTree.MaxDepth + 1, 0, 1));
        var figures = await server.Workspace.AdminClient().GetAsync<ReferralCampaignAnalytics>($"/api/referrals/campaigns/{tree.CampaignId}/analytics");
        (figures.Depth, figures.Participants, figures.SeedParticipants, figures.Successful).ShouldBe((8, 8, 1, 8));
        figures.Generations.ShouldAllBe(g => g.Participants == 1 && g.Successful == 1);
        // K = 8 successes / 8 participants; fission rate = 8 new customers / 1 seed.
        (figures.KFactor, figures.FissionRate, figures.Conversion).ShouldBe((1.0, 8.0, null));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ReviewQueue_ListsHeldInvitationsAcrossCampaigns_AndEmptiesAsTheyAreDecided(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var fixture = await ReferralFixture.BuildAsync(server.Workspace);
        var queue = await fixture.Admin.GetAsync<List<ReviewQueueItem>>("/api/referrals/review-queue");
        var item = queue.ShouldHaveSingleItem();
        (item.Id, item.CampaignId, item.CampaignName, item.InviterCustomerId, item.InviteeCustomerId, item.Reason)
            .ShouldBe((fixture.HeldInvitationId, fixture.CampaignId, "冬季老带新", fixture.Customers["A"], fixture.Customers["a4"], InvitationReasons.Velocity));
        // a1, a2, a3 came within the hour before a4 (the rejected self-invite does not count, as for the velocity limit).
        item.InviterLastHour.ShouldBe(3);
        (await fixture.Admin.GetAsync("/api/referrals/review-queue?limit=0")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        (await fixture.Admin.PostAsJsonAsync($"/api/referrals/invitations/{fixture.HeldInvitationId}/review", new { decision = "reject" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await fixture.Admin.GetAsync<List<ReviewQueueItem>>("/api/referrals/review-queue")).ShouldBeEmpty();
        var figures = await fixture.Admin.GetAsync<ReferralCampaignAnalytics>($"/api/referrals/campaigns/{fixture.CampaignId}/analytics");
        figures.RejectedByReason[InvitationReasons.Reviewer].ShouldBe(1);
        figures.Successful.ShouldBe(6);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Roles_StaffAreKeptOut_AnalystsReadWithoutDeciding_OperatorsDecide(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, TestSignIn.Configure, runEngines: false);
        var fixture = await ReferralFixture.BuildAsync(server.Workspace);
        var staffId = (await fixture.Admin.GetAsync<List<Pond.Staff.StaffMember>>("/api/staff"))[0].Id;

        var guide = await server.Workspace.MemberClientAsync(Roles.Staff, staffId);
        foreach (var path in new[] { $"/api/referrals/campaigns/{fixture.CampaignId}/analytics", $"/api/referrals/participants/{fixture.Participants["A"].Id}/tree", "/api/referrals/review-queue" })
            (await guide.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.Forbidden, path);
        var notice = await guide.PageAsync($"/fission/referrals/{fixture.CampaignId}/dashboard");
        notice.ShouldContain("data-testid=\"staff-role-notice\"");
        notice.ShouldNotContain("data-testid=\"stat-k-factor\"");

        var analyst = await server.Workspace.MemberClientAsync(Roles.Analyst);
        (await analyst.PageAsync($"/fission/referrals/{fixture.CampaignId}/dashboard")).ShouldContain("data-testid=\"stat-k-factor\">0.86<");
        var queue = await analyst.PageAsync("/fission/review");
        queue.ShouldContain("data-testid=\"review-row\"");
        queue.ShouldNotContain("data-testid=\"review-approve\"");
        (await analyst.PostAsJsonAsync($"/api/referrals/invitations/{fixture.HeldInvitationId}/review", new { decision = "approve" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var operatorClient = await server.Workspace.MemberClientAsync(Roles.Operator);
        (await operatorClient.PageAsync("/fission/review")).ShouldContain("data-testid=\"review-approve\"");
    }
}
