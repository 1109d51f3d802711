using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pond.Fission;
using Pond.Server.Auth;
using Pond.Server.Channels;
using Pond.Workspaces;

namespace Pond.Server.Fission;

/// <summary>
/// Referral analytics (/api/referrals): a campaign's funnel, K-factor, generations, ladder completion, cost and daily
/// series; a participant's fission tree; the review queue across campaigns. docs/fission.md defines every figure.
/// </summary>
internal static class ReferralAnalyticsApi
{
    public static IServiceCollection AddReferralAnalytics(this IServiceCollection services)
    {
        services.TryAddSingleton<ReferralAnalytics>();
        services.TryAddSingleton<ReferralVisits>();
        return services;
    }

    public static IEndpointRouteBuilder MapReferralAnalyticsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/referrals").WithTags("Referrals").RequireAuthorization(Policies.Read)
            .NotForStaffRole("Referral campaigns range over every customer")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/campaigns/{id:guid}/analytics", GetReferralAnalytics).WithName("GetReferralAnalytics")
            .WithSummary("A campaign's figures: participants (seeds), poster views, invitations, successes, new customers, K-factor, fission rate, generations, ladder completion, reward cost per new customer, revoked, held, rejected by reason, daily series.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/participants/{participantId:guid}/tree", GetReferralTree).WithName("GetReferralTree")
            .WithSummary($"A participant's fission tree: their invitees with each invitation's state, and the invitees of those who joined as participants, at most {ReferralTree.MaxDepth} generations deep and {ReferralTree.MaxInvitees} invitees in all.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/review-queue", ListReferralReviewQueue).WithName("ListReferralReviewQueue")
            .WithSummary("Invitations held for review across campaigns (oldest first), with campaign, inviter, invitee, reason and the inviter's pace.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return routes;
    }

    public static async Task<Ok<ReferralCampaignAnalytics>> GetReferralAnalytics(Guid id, HttpContext context, ReferralAnalytics analytics) =>
        TypedResults.Ok(await analytics.CampaignAsync(context.Caller().WorkspaceId, id));

    public static async Task<Ok<ReferralTree>> GetReferralTree(Guid participantId, HttpContext context, ReferralAnalytics analytics) =>
        TypedResults.Ok(await analytics.TreeAsync(context.Caller().WorkspaceId, participantId));

    public static async Task<Ok<IReadOnlyList<ReviewQueueItem>>> ListReferralReviewQueue(
        HttpContext context, ReferralAnalytics analytics, Guid? campaignId = null, int? limit = null)
    {
        var take = limit is null ? 100 : limit is >= 1 and <= Referrals.MaxPage
            ? limit.Value : throw new ValidationFailedException($"limit must be between 1 and {Referrals.MaxPage}.", "limit");
        return TypedResults.Ok(await analytics.ReviewQueueAsync(context.Caller().WorkspaceId, campaignId, take));
    }
}
