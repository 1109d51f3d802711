using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Activities;
using Pond.Server.Auth;
using Pond.Server.Components.Pages.Activities;
using Pond.Workspaces;

namespace Pond.Server.Activities;

/// <summary>The console's live fragments for activity pages: htmx fetches them every 2 s and swaps them in.</summary>
internal static class ActivityFragments
{
    public static IEndpointRouteBuilder MapActivityFragments(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/activities").RequireAuthorization(Policies.Read).ExcludeFromDescription()
            .NotForStaffRole("Activities range over every customer");
        group.MapGet("/flash-sales/{id:guid}/counters", FlashSaleCounters);
        group.MapGet("/group-buys/{id:guid}/live", GroupBuyLive);
        return routes;
    }

    private static async Task<RazorComponentResult<FlashSaleCountersPanel>> FlashSaleCounters(Guid id, HttpContext context, FlashSales sales) =>
        new(new Dictionary<string, object?> { [nameof(FlashSaleCountersPanel.Counters)] = await sales.CountersAsync(context.Caller().WorkspaceId, id) });

    private static async Task<RazorComponentResult<GroupBuyLivePanel>> GroupBuyLive(Guid id, HttpContext context, GroupBuys buys, TimeProvider clock)
    {
        var workspaceId = context.Caller().WorkspaceId;
        return new(new Dictionary<string, object?>
        {
            [nameof(GroupBuyLivePanel.Counters)] = await buys.CountersAsync(workspaceId, id),
            [nameof(GroupBuyLivePanel.Open)] = await buys.ListGroupsAsync(workspaceId, id, GroupStates.Open, 60),
            [nameof(GroupBuyLivePanel.Now)] = clock.GetUtcNow(),
        });
    }
}
