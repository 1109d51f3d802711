using System.Net;
using System.Net.Http.Json;
using Pond.Channels;
using Pond.Customers;
using Pond.Fission;
using Pond.Server.Channels;
using Pond.Server.Demo;
using Pond.Staff;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;

namespace Pond.Tests.Fission;

public sealed class DemoReferralsTests
{
    /// <summary>A small brand: two shopping guides on a staff live code, and customers (90) who are WeCom friends.</summary>
    internal static async Task SmallBrandAsync(TestWorkspace workspace, int customers = 90)
    {
        var server = workspace.Server;
        var admin = workspace.AdminClient();
        var accounts = new List<Guid>();
        foreach (var (name, userId) in new[] { ("小美", "xiaomei"), ("阿杰", "ajie") })
        {
            var member = await (await admin.PostAsJsonAsync("/api/staff", new { name, wecomUserId = userId })).ReadAsync<StaffMember>(HttpStatusCode.Created);
            accounts.Add((await (await admin.PostAsJsonAsync("/api/carriers", new { kind = CarrierKinds.WecomAccount, name, externalId = userId, ownerStaffId = member.Id }))
                .ReadAsync<CarrierAccount>(HttpStatusCode.Created)).Id);
        }

        var channel = await (await admin.PostAsJsonAsync("/api/channels", new { name = "门店海报", kind = ChannelKinds.StorePoster })).ReadAsync<Channel>(HttpStatusCode.Created);
        await (await admin.PostAsJsonAsync("/api/live-codes", new
        {
            channelId = channel.Id, kind = LiveCodeKinds.Staff, name = "门店海报码", strategy = RoutingStrategies.RoundRobin, members = accounts.Select(a => new { carrierId = a }).ToArray(),
        })).ReadAsync<LiveCodeView>(HttpStatusCode.Created);
        using (var tracking = workspace.TrackingClient())
        {
            await tracking.SendOkAsync("/v1/batch", new
            {
                batch = Enumerable.Range(0, customers).Select(i => new
                {
                    type = "identify", anonymousId = $"shopper-{i}", messageId = $"shopper-{i}", timestamp = IngestionKit.Iso(DateTimeOffset.UtcNow.AddDays(-90)),
                    traits = new Dictionary<string, string> { ["name"] = $"会员{i:000}", ["wecom_external_userid"] = $"wmShopper{i:000}" },
                }).ToArray(),
            });
        }

        await server.ProcessAsync();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task DemoStep_OnASmallBrand_MakesCampaignsWithGenerationsRevocationsAndAReviewQueue(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var admin = server.Workspace.AdminClient();
        await SmallBrandAsync(server.Workspace);

        // As `pond demo` runs it: the CLI's services (no web host, no event processor of their own) on the same database.
        DemoReferrals.Result result;
        await using (var cli = Pond.Server.Hosting.PondCli.CoreServices(new Pond.Server.Hosting.PondOptions
        {
            DataDirectory = server.DataDirectory, Db = server.Service<Database>().ConnectionString,
        }))
            result = await DemoReferrals.SetUpAsync(cli, server.Workspace.Id);

        var figures = await admin.GetAsync<ReferralCampaignAnalytics>($"/api/referrals/campaigns/{result.RunningCampaignId}/analytics");
        figures.SeedParticipants.ShouldBe(30);
        figures.Participants.ShouldBeGreaterThan(figures.SeedParticipants);
        figures.Depth.ShouldBeGreaterThanOrEqualTo(3);
        figures.PosterViews.ShouldBeGreaterThan(figures.InvitationsRecorded);
        figures.Successful.ShouldBeGreaterThan(40);
        figures.NewCustomers.ShouldBe(figures.Successful);
        figures.KFactor!.Value.ShouldBeGreaterThan(0.5);
        figures.Revoked.ShouldBeGreaterThan(0);
        figures.HeldForReview.ShouldBeGreaterThanOrEqualTo(3);
        figures.RejectedByReason[InvitationReasons.SelfInvite].ShouldBe(1);
        figures.RejectedByReason[InvitationReasons.AlreadyInPool].ShouldBeGreaterThan(0);
        figures.Ladder[0].Rewarded.ShouldBeGreaterThan(0);
        figures.RewardCost.ShouldBeGreaterThan(0m);
        figures.Daily.Count(d => d.Invitations > 0).ShouldBeGreaterThan(5);
        // Every invitation came through the event processor, credited to the campaign's live code like any add.
        (await server.CountAsync("SELECT COUNT(*) FROM referral_invitations WHERE campaign_id = @id", new { id = result.RunningCampaignId }))
            .ShouldBe(figures.InvitationsRecorded);
        (await server.CountAsync(
            "SELECT COUNT(*) FROM referral_invitations i WHERE i.campaign_id = @id AND NOT EXISTS (SELECT 1 FROM acquisitions a WHERE a.message_id = i.message_id AND a.code_id IS NOT NULL)",
            new { id = result.RunningCampaignId })).ShouldBe(0);
        (await admin.GetAsync<List<ReviewQueueItem>>("/api/referrals/review-queue")).Count.ShouldBe(figures.HeldForReview);

        var ended = await admin.GetAsync<ReferralCampaignAnalytics>($"/api/referrals/campaigns/{result.EndedCampaignId}/analytics");
        ended.Status.ShouldBe(ReferralStatuses.Ended);
        ended.EndsAt.ShouldBeLessThan(DateTimeOffset.UtcNow.AddDays(-30));
        ended.Successful.ShouldBeGreaterThan(0);
        ended.Participants.ShouldBe(15);
    }
}
