using System.Net;
using System.Net.Http.Headers;
using Pond.Fission;
using Pond.Storage;
using Pond.Tests.Channels;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using SkiaSharp;

namespace Pond.Tests.Fission;

/// <summary>Posters over the admin API and the public invite link: backgrounds, previews, each participant's poster, the /r/{code} landing.</summary>
public sealed class PosterApiTests
{
    private static ByteArrayContent Image(byte[] bytes, string type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ParticipantPoster_CarriesTheirLink_AndABadUploadKeepsTheOldBackground(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var campaign = await PosterKit.CampaignAsync(setup.Admin, setup.Code.Code.Id);
        var customer = await new CustomerSeed(server.Workspace).CustomerAsync("林小姐");
        var participant = await PosterKit.JoinAsync(setup.Admin, campaign.Id, customer);
        participant.Link.ShouldBe(new Uri(server.BaseAddress, $"/r/{participant.InviteCode}").ToString());

        // Pond's own design until a background is uploaded.
        (await setup.Admin.GetAsync($"/api/referrals/campaigns/{campaign.Id}/poster-background")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var plain = await setup.Admin.GetByteArrayAsync($"/api/referrals/participants/{participant.Id}/poster.png");
        using (var bitmap = await PosterKit.ShouldBePosterAsync(plain, participant.Link))
            ((int)bitmap.GetPixel(8, 8).Red).ShouldBeGreaterThan(200);

        var photo = PosterKit.Background(750, 1334);
        (await (await setup.Admin.PutAsync($"/api/referrals/campaigns/{campaign.Id}/poster-background", Image(photo, "image/jpeg")))
            .ReadAsync<PosterBackgroundInfo>()).ShouldBe(new PosterBackgroundInfo("image/jpeg", 750, 1334));

        // Refused uploads (too small, not an image, too large) are 400s naming the field, and the stored background stays.
        var tiny = await (await setup.Admin.PutAsync($"/api/referrals/campaigns/{campaign.Id}/poster-background",
            Image(PosterKit.Background(100, 100, SKEncodedImageFormat.Png), "image/png"))).ProblemAsync(HttpStatusCode.BadRequest);
        tiny.GetProperty("field").GetString().ShouldBe("background");
        tiny.Detail().ShouldContain("100×100");
        (await (await setup.Admin.PutAsync($"/api/referrals/campaigns/{campaign.Id}/poster-background", Image("not an image"u8.ToArray(), "image/png")))
            .ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("PNG or JPEG");
        (await (await setup.Admin.PutAsync($"/api/referrals/campaigns/{campaign.Id}/poster-background",
            Image(new byte[PosterRenderer.MaxBackgroundBytes + 10], "image/png"))).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("3 MB");
        (await setup.Admin.GetByteArrayAsync($"/api/referrals/campaigns/{campaign.Id}/poster-background")).ShouldBe(photo);

        // The poster now shows the photo (blue-green) where the default design was warm red.
        var withPhoto = await setup.Admin.GetByteArrayAsync($"/api/referrals/participants/{participant.Id}/poster.png");
        using (var bitmap = await PosterKit.ShouldBePosterAsync(withPhoto, participant.Link))
        {
            var pixel = bitmap.GetPixel(20, 700);
            ((int)pixel.Blue).ShouldBeGreaterThan(pixel.Red);
        }

        // The public poster behind the code is the same image, without signing in; unknown codes are 404s.
        using var anonymous = server.Client();
        var shared = await anonymous.GetAsync($"/r/{participant.InviteCode}/poster.png");
        shared.StatusCode.ShouldBe(HttpStatusCode.OK);
        shared.Content.Headers.ContentType!.MediaType.ShouldBe("image/png");
        (await shared.Content.ReadAsByteArrayAsync()).SequenceEqual(withPhoto).ShouldBeTrue();
        (await anonymous.GetAsync("/r/nosuchcode2/poster.png")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await anonymous.GetAsync($"/api/referrals/participants/{participant.Id}/poster.png")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // The preview takes unsaved words; deleting the background goes back to Pond's design.
        var preview = await setup.Admin.GetByteArrayAsync($"/api/referrals/campaigns/{campaign.Id}/poster-preview.png?title={Uri.EscapeDataString("双11 邀友专场")}");
        await PosterKit.ShouldBePosterAsync(preview, new Uri(server.BaseAddress, $"/r/{ReferralPosters.SampleCode}").ToString());
        (await setup.Admin.DeleteAsync($"/api/referrals/campaigns/{campaign.Id}/poster-background")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await setup.Admin.GetAsync($"/api/referrals/campaigns/{campaign.Id}/poster-background")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await setup.Admin.GetByteArrayAsync($"/api/referrals/participants/{participant.Id}/poster.png")).SequenceEqual(plain).ShouldBeTrue();

        // Posters are cached by what they show: a renamed inviter gets a new poster at once.
        await server.ExecuteAsync("UPDATE customers SET display_name = '林晓' WHERE id = @customer", new { customer });
        (await setup.Admin.GetByteArrayAsync($"/api/referrals/participants/{participant.Id}/poster.png")).SequenceEqual(plain).ShouldBeFalse();

        // Another workspace sees none of it.
        var other = await server.CreateWorkspaceAsync("other");
        using var otherAdmin = other.AdminClient();
        (await otherAdmin.GetAsync($"/api/referrals/participants/{participant.Id}/poster.png")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await otherAdmin.PutAsync($"/api/referrals/campaigns/{campaign.Id}/poster-background", Image(photo, "image/jpeg"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Landing_CountsOneViewPerVisitorAndDay_ShowsTheInviter_AndRoutesLikeTheCampaignCode(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var campaign = await PosterKit.CampaignAsync(setup.Admin, setup.Code.Code.Id);
        var customer = await new CustomerSeed(server.Workspace).CustomerAsync("林小姐");
        var participant = await PosterKit.JoinAsync(setup.Admin, campaign.Id, customer);
        var scans = setup.Code.Code.Scans;

        using var friend = setup.NewVisitor();
        var html = await friend.Client.PageAsync($"/r/{participant.InviteCode}");
        html.ShouldContain("data-testid=\"invite-landing\"");
        html.ShouldContain("林小姐");
        html.ShouldContain("邀好友 领好礼");
        html.ShouldContain("扫码领取 ¥20 无门槛券");
        // Without WeCom's API the page offers the routed account's own contact link, like the live code's landing.
        var carrier = setup.Accounts.Single(a => html.Contains($"data-carrier-id=\"{a.Id}\"", StringComparison.Ordinal));
        html.ShouldContain($"https://work.weixin.qq.com/ca/{carrier.ExternalId}");
        html.ShouldContain("data-personal=\"false\"");

        // The same friend again today: not a new view, and the same account.
        var again = await friend.Client.PageAsync($"/r/{participant.InviteCode}");
        again.ShouldContain($"data-carrier-id=\"{carrier.Id}\"");
        again.ShouldContain("data-new-view=\"false\"");
        (await PosterKit.ViewsAsync(setup.Admin, participant.Id)).ShouldBe(1);

        using (var second = setup.NewVisitor())
            (await second.Client.PageAsync($"/r/{participant.InviteCode}")).ShouldContain("data-new-view=\"true\"");
        (await PosterKit.ViewsAsync(setup.Admin, participant.Id)).ShouldBe(2);
        (await server.CountAsync("SELECT COUNT(*) FROM referral_visits WHERE participant_id = @id", new { id = participant.Id })).ShouldBe(2);
        // Each new visitor was a scan of the campaign's live code, so its add rate stays right.
        (await setup.Admin.GetAsync<Pond.Server.Channels.LiveCodeView>($"/api/live-codes/{setup.Code.Code.Id}")).Code.Scans.ShouldBe(scans + 2);

        // Many first visits at once: each counted exactly once.
        var visitors = Enumerable.Range(0, 8).Select(_ => setup.NewVisitor()).ToList();
        await Task.WhenAll(visitors.Select(v => v.Client.PageAsync($"/r/{participant.InviteCode}")));
        visitors.ForEach(v => v.Dispose());
        (await PosterKit.ViewsAsync(setup.Admin, participant.Id)).ShouldBe(10);

        using var stranger = setup.NewVisitor();
        (await stranger.Client.PageAsync("/r/nosuchcode2")).ShouldContain("invite-unknown");
        (await PosterKit.ViewsAsync(setup.Admin, participant.Id)).ShouldBe(10);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Landing_OfAnEndedCampaign_SaysSo_AndRoutesNobody(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var campaign = await PosterKit.CampaignAsync(setup.Admin, setup.Code.Code.Id);
        var participant = await PosterKit.JoinAsync(setup.Admin, campaign.Id, await new CustomerSeed(server.Workspace).CustomerAsync(null));
        (await setup.Admin.PutJsonAsync($"/api/referrals/campaigns/{campaign.Id}", new { status = ReferralStatuses.Ended })).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var friend = setup.NewVisitor();
        var html = await friend.Client.PageAsync($"/r/{participant.InviteCode}");
        html.ShouldContain("invite-closed");
        html.ShouldContain(PosterRenderer.AnonymousNickname);
        html.ShouldNotContain("data-testid=\"landing-target\"");
    }
}
