using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Fission.Assists;
using Pond.Fission.Lotteries;
using Pond.Server.Auth;
using Pond.Server.Components;
using Pond.Server.Components.Pages.Fission;
using Pond.Workspaces;

namespace Pond.Server.Fission;

/// <summary>The console's live fragments for the assist, bargain and lottery pages: htmx fetches them every 2 s and swaps them in.</summary>
internal static class GameFragments
{
    public static IEndpointRouteBuilder MapGameFragments(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/fission").RequireAuthorization(Policies.Read).ExcludeFromDescription()
            .NotForStaffRole("Fission games range over every customer");
        group.MapGet("/assists/{id:guid}/live", AssistLive);
        group.MapGet("/bargains/{id:guid}/live", BargainLive);
        group.MapGet("/lotteries/{id:guid}/live", LotteryLive);
        return routes;
    }

    private static async Task<RazorComponentResult<AssistLivePanel>> AssistLive(Guid id, HttpContext context, Assists assists, TimeProvider clock)
    {
        var workspaceId = context.Caller().WorkspaceId;
        return new(new Dictionary<string, object?>
        {
            [nameof(AssistLivePanel.Counters)] = await assists.CountersAsync(workspaceId, id),
            [nameof(AssistLivePanel.Open)] = await assists.ListRequestsAsync(workspaceId, id, AssistRequestStates.Open, 60),
            [nameof(AssistLivePanel.Now)] = clock.GetUtcNow(),
        });
    }

    private static async Task<RazorComponentResult<BargainLivePanel>> BargainLive(Guid id, HttpContext context, Bargains bargains, TimeProvider clock)
    {
        var workspaceId = context.Caller().WorkspaceId;
        return new(new Dictionary<string, object?>
        {
            [nameof(BargainLivePanel.Counters)] = await bargains.CountersAsync(workspaceId, id),
            [nameof(BargainLivePanel.Live)] = await BargainDetail.LiveAsync(bargains, workspaceId, id),
            [nameof(BargainLivePanel.Now)] = clock.GetUtcNow(),
        });
    }

    private static async Task<RazorComponentResult<LotteryLivePanel>> LotteryLive(Guid id, HttpContext context, Lotteries lotteries, WorkspaceService workspaces)
    {
        var workspaceId = context.Caller().WorkspaceId;
        return new(new Dictionary<string, object?>
        {
            [nameof(LotteryLivePanel.Counters)] = await lotteries.CountersAsync(workspaceId, id),
            [nameof(LotteryLivePanel.Winners)] = await lotteries.WinnersAsync(workspaceId, id, 20),
            [nameof(LotteryLivePanel.Draws)] = await lotteries.ListDrawsAsync(workspaceId, id, null, 20),
            [nameof(LotteryLivePanel.Zone)] = Display.Zone(await workspaces.FindWorkspaceAsync(workspaceId)),
        });
    }
}
