using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Pond.Storage;
using Pond.Tests.Channels;
using Pond.Tests.Commerce.Coupons;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;

namespace Pond.Tests.Fission;

/// <summary>
/// A referral scene on top of <see cref="AcquisitionKit"/>: WeCom connected, three staff accounts behind a channel live
/// code, coupon templates for rewards, and helpers to create campaigns, join participants and send the add / delete
/// callbacks WeCom would send for friends scanning a participant's poster.
/// </summary>
internal static class ReferralKit
{
    public static async Task<(Guid Inviter, Guid Invitee)> TemplatesAsync(AcquisitionSetup setup) =>
        (await setup.Admin.TemplateIdAsync(CouponKit.AmountOff("老带新-邀请人30元", 30)),
         await setup.Admin.TemplateIdAsync(CouponKit.AmountOff("老带新-新人20元", 20)));

    public static async Task<JsonElement> CreateCampaignAsync(this AcquisitionSetup setup, object body) =>
        await (await setup.Admin.PostAsJsonAsync("/api/referrals/campaigns", body)).ReadAsync<JsonElement>(HttpStatusCode.Created);

    /// <summary>A running friend campaign on the setup's code, merged with <paramref name="extra"/>.</summary>
    public static object Campaign(AcquisitionSetup setup, object? extra = null) => CouponKit.Merge(new
    {
        name = "老带新 · 邀3得券", kind = "friend", status = "active",
        startsAt = DateTimeOffset.UtcNow.AddHours(-1), endsAt = DateTimeOffset.UtcNow.AddDays(14),
        liveCodeId = setup.Code.Code.Id, successWithinDays = 7, revokeWithinDays = 7,
    }, extra);

    public static async Task<JsonElement> JoinAsync(this AcquisitionSetup setup, Guid campaignId, Guid customerId, HttpStatusCode expected = HttpStatusCode.Created) =>
        await (await setup.Admin.PostAsJsonAsync($"/api/referrals/campaigns/{campaignId}/participants", new { customerId })).ReadAsync<JsonElement>(expected);

    /// <summary>An existing friend of the brand (added through the plain live code), who becomes an inviter.</summary>
    public static async Task<Guid> FriendAsync(this AcquisitionSetup setup, string externalUserId, string account = "lily", DateTimeOffset? at = null)
    {
        await setup.CallbackOkAsync(setup.WeCom.AddExternalContact(account, externalUserId, at ?? DateTimeOffset.UtcNow.AddDays(-30), setup.Code.Code.State));
        await setup.ProcessAsync();
        return await setup.CustomerAsync(externalUserId);
    }

    /// <summary>A friend scanning the participant's poster: WeCom's add callback carries the participant's state.</summary>
    public static Task AddThroughPosterAsync(this AcquisitionSetup setup, string state, string externalUserId, string account = "xiaomei", DateTimeOffset? at = null) =>
        setup.CallbackOkAsync(setup.WeCom.AddExternalContact(account, externalUserId, at ?? DateTimeOffset.UtcNow, state, "WELCOME-" + externalUserId));

    public static async Task<Guid> CustomerAsync(this AcquisitionSetup setup, string externalUserId)
    {
        await using var connection = await setup.Server.Service<Database>().OpenAsync();
        return await connection.QuerySingleAsync<Guid>(
            "SELECT customer_id FROM identities WHERE workspace_id = @workspaceId AND kind = 'wecom_external_userid' AND value = @externalUserId",
            new { workspaceId = setup.WorkspaceId, externalUserId });
    }

    public static async Task<JsonElement> ParticipantAsync(this AcquisitionSetup setup, Guid participantId) =>
        await setup.Admin.GetAsync<JsonElement>($"/api/referrals/participants/{participantId}");

    public static async Task<List<JsonElement>> InvitationsAsync(this AcquisitionSetup setup, Guid campaignId, string? state = null) =>
        (await setup.Admin.GetAsync<JsonElement>($"/api/referrals/invitations?campaignId={campaignId}" + (state is null ? "" : $"&state={state}")))
        .EnumerateArray().ToList();

    public static async Task<List<JsonElement>> RewardsAsync(this AcquisitionSetup setup, Guid campaignId, Guid? customerId = null) =>
        (await setup.Admin.GetAsync<JsonElement>($"/api/referrals/rewards?campaignId={campaignId}" + (customerId is null ? "" : $"&customerId={customerId}")))
        .EnumerateArray().ToList();

    /// <summary>The customer's coupons of a template, by status.</summary>
    public static async Task<List<string>> CouponStatusesAsync(this AcquisitionSetup setup, Guid customerId, Guid templateId)
    {
        await using var connection = await setup.Server.Service<Database>().OpenAsync();
        return (await connection.QueryAsync<string>("SELECT status FROM coupons WHERE customer_id = @customerId AND template_id = @templateId",
            new { customerId, templateId })).AsList();
    }
}
