using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Fission;
using Pond.Server.Auth;
using Pond.Server.Channels;
using Pond.Workspaces;

namespace Pond.Server.Fission;

/// <summary>
/// The admin API for referral campaigns (/api/referrals): campaigns with their ladders, participants and their invite
/// codes, invitations (with the review queue) and rewards. docs/fission.md explains the rules.
/// </summary>
internal static class ReferralsApi
{
    public static IServiceCollection AddReferralsApi(this IServiceCollection services, bool runEngines) =>
        runEngines ? services.AddFissionEngines() : services;

    public static IEndpointRouteBuilder MapReferralsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/referrals").WithTags("Referrals").RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .NotForStaffRole("Referral campaigns range over every customer");
        api.MapGet("/campaigns", ListReferralCampaigns).WithName("ListReferralCampaigns").WithSummary("Referral campaigns, latest start first, with participants and successes.");
        api.MapPost("/campaigns", CreateReferralCampaign).WithName("CreateReferralCampaign").RequireAuthorization(Policies.Operate)
            .WithSummary("Creates a campaign: window, live code, audience, success rule, rewards for inviter (ladder) and invitee, stock, anti-fraud limits.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/campaigns/{id:guid}", GetReferralCampaign).WithName("GetReferralCampaign").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/campaigns/{id:guid}", UpdateReferralCampaign).WithName("UpdateReferralCampaign").RequireAuthorization(Policies.Operate)
            .WithSummary("Changes a campaign (fields left out are kept). Steps already reached keep their threshold and reward (409).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/campaigns/{id:guid}/participants", JoinReferralCampaign).WithName("JoinReferralCampaign").RequireAuthorization(Policies.Operate)
            .WithSummary("A customer joins as an inviter and gets their invite code, state and link (200 when they had joined already, 201 when new). 409 outside the window or the audience.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/campaigns/{id:guid}/participants", ListReferralParticipants).WithName("ListReferralParticipants")
            .WithSummary("The campaign's participants, most successful first.").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/participants/{participantId:guid}", GetReferralParticipant).WithName("GetReferralParticipant").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/invitations", ListReferralInvitations).WithName("ListReferralInvitations")
            .WithSummary("Invitations, newest first; filter by campaignId, participantId and state (review is the queue of flagged ones).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/invitations/{invitationId:guid}/review", ReviewReferralInvitation).WithName("ReviewReferralInvitation").RequireAuthorization(Policies.Operate)
            .WithSummary("Approves (it goes on to succeed and be rewarded) or rejects an invitation held for review.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/rewards", ListReferralRewards).WithName("ListReferralRewards")
            .WithSummary("Rewards unlocked by campaigns, newest first; filter by campaignId, customerId and state.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapPost("/rewards/{rewardId:guid}/claim", ClaimReferralReward).WithName("ClaimReferralReward").RequireAuthorization(Policies.Operate)
            .WithSummary("Claims an unlocked reward (campaigns in claim mode): it is issued now. 409 when it was issued, withheld or out of stock.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    /// <summary>A participant with their personal short link (/r/{code}) and the WeCom state their adds carry.</summary>
    internal sealed record ParticipantView(
        Guid Id, Guid CampaignId, Guid CustomerId, string? CustomerName, string InviteCode, string State, string Link, Guid? ParentParticipantId,
        int Generation, int Successes, int Invitations, int PosterViews, DateTimeOffset JoinedAt)
    {
        public static ParticipantView Of(ReferralParticipant p, HttpContext context) => new(
            p.Id, p.CampaignId, p.CustomerId, p.CustomerName, p.InviteCode, p.State, ShortLinks.Absolute(context, $"/r/{p.InviteCode}"), p.ParentParticipantId,
            p.Generation, p.Successes, p.Invitations, p.PosterViews, p.JoinedAt);
    }

    public static async Task<Ok<IReadOnlyList<ReferralCampaign>>> ListReferralCampaigns(HttpContext context, ReferralCampaigns campaigns) =>
        TypedResults.Ok(await campaigns.ListAsync(context.Caller().WorkspaceId));

    public static async Task<Ok<ReferralCampaign>> GetReferralCampaign(Guid id, HttpContext context, ReferralCampaigns campaigns) =>
        TypedResults.Ok(await campaigns.GetAsync(context.Caller().WorkspaceId, id));

    public static async Task<Created<ReferralCampaign>> CreateReferralCampaign(ReferralCampaignInput input, HttpContext context, ReferralCampaigns campaigns)
    {
        var caller = context.Caller();
        var campaign = await campaigns.CreateAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/referrals/campaigns/{campaign.Id}", campaign);
    }

    public static async Task<Ok<ReferralCampaign>> UpdateReferralCampaign(Guid id, ReferralCampaignInput input, HttpContext context, ReferralCampaigns campaigns)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await campaigns.UpdateAsync(caller.WorkspaceId, id, input, caller.Actor));
    }

    public static async Task<Results<Created<ParticipantView>, Ok<ParticipantView>>> JoinReferralCampaign(
        Guid id, JoinInput input, HttpContext context, ReferralParticipants participants)
    {
        var customerId = input.CustomerId is { } c && c != Guid.Empty ? c : throw new ValidationFailedException("customerId is required: the customer who invites.", "customerId");
        var (participant, created) = await participants.JoinAsync(context.Caller().WorkspaceId, id, customerId);
        var view = ParticipantView.Of(participant, context);
        return created ? TypedResults.Created($"/api/referrals/participants/{participant.Id}", view) : TypedResults.Ok(view);
    }

    public static async Task<Ok<List<ParticipantView>>> ListReferralParticipants(
        Guid id, HttpContext context, ReferralParticipants participants, int? offset = null, int? limit = null) =>
        TypedResults.Ok((await participants.ListAsync(context.Caller().WorkspaceId, id, Offset(offset), Limit(limit)))
            .Select(p => ParticipantView.Of(p, context)).ToList());

    public static async Task<Ok<ParticipantView>> GetReferralParticipant(Guid participantId, HttpContext context, ReferralParticipants participants) =>
        TypedResults.Ok(ParticipantView.Of(await participants.GetAsync(context.Caller().WorkspaceId, participantId), context));

    public static async Task<Ok<IReadOnlyList<ReferralInvitation>>> ListReferralInvitations(
        HttpContext context, Referrals referrals, Guid? campaignId = null, Guid? participantId = null, string? state = null, int? offset = null, int? limit = null) =>
        TypedResults.Ok(await referrals.InvitationsAsync(context.Caller().WorkspaceId, campaignId, state, participantId, Offset(offset), Limit(limit)));

    public static async Task<Ok<ReferralInvitation>> ReviewReferralInvitation(Guid invitationId, ReviewInput input, HttpContext context, Referrals referrals)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await referrals.ReviewAsync(caller.WorkspaceId, invitationId, input, caller.Actor));
    }

    public static async Task<Ok<IReadOnlyList<ReferralReward>>> ListReferralRewards(
        HttpContext context, Referrals referrals, Guid? campaignId = null, Guid? customerId = null, string? state = null, int? offset = null, int? limit = null) =>
        TypedResults.Ok(await referrals.RewardsAsync(context.Caller().WorkspaceId, campaignId, customerId, state, Offset(offset), Limit(limit)));

    public static async Task<Ok<ReferralReward>> ClaimReferralReward(Guid rewardId, HttpContext context, Referrals referrals) =>
        TypedResults.Ok(await referrals.ClaimAsync(context.Caller().WorkspaceId, rewardId));

    private static int Offset(int? offset) =>
        offset is null or 0 ? 0 : offset > 0 ? offset.Value : throw new ValidationFailedException("offset must be 0 or more.", "offset");

    private static int Limit(int? limit) => limit is null ? 100 : limit is >= 1 and <= Referrals.MaxPage
        ? limit.Value : throw new ValidationFailedException($"limit must be between 1 and {Referrals.MaxPage}.", "limit");
}
