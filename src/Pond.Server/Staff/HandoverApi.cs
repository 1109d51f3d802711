using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pond.Customers;
using Pond.Server.Auth;
using Pond.Workspaces;
using Pond.Staff;
using Pond.WeCom;

namespace Pond.Server.Staff;

/// <summary>The admin API for staff handovers (/api/handovers): 在职转接 and 离职继承.</summary>
internal static class HandoverApi
{
    public static IServiceCollection AddHandover(this IServiceCollection services)
    {
        // The WeCom connection store is shared with the WeCom feature; whichever registers first wins.
        services.TryAddSingleton<WeComConnections>();
        services.AddSingleton<StaffHandover>();
        services.AddSingleton<ICustomerMergeParticipant, HandoverMergeParticipant>();
        return services;
    }

    public static IEndpointRouteBuilder MapHandoverApi(this IEndpointRouteBuilder routes)
    {
        var handovers = routes.MapGroup("/api/handovers")
            .WithTags("Handovers")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .NotForStaffRole("Handovers list other staff members' customers");
        handovers.MapGet("/", ListHandovers).WithName("ListHandovers").WithSummary("Handovers, newest first, with how many customers wait, moved or failed.");
        handovers.MapGet("/{id:guid}", GetHandover).WithName("GetHandover").WithSummary("One handover with every customer's transfer.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        handovers.MapPost("/", StartHandover).WithName("StartHandover").RequireAuthorization(Policies.Operate)
            .WithSummary("Hands a staff member's customers (all, or the ones listed) and group chats to other staff, round robin.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        handovers.MapPost("/{id:guid}/refresh", RefreshHandover).WithName("RefreshHandover").RequireAuthorization(Policies.Operate)
            .WithSummary("Asks WeCom where the waiting transfers stand and applies the completed ones.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    public static async Task<Ok<IReadOnlyList<HandoverSummary>>> ListHandovers(HttpContext context, StaffHandover handover) =>
        TypedResults.Ok(await handover.ListAsync(context.Caller().WorkspaceId));

    public static async Task<Ok<HandoverDetail>> GetHandover(Guid id, HttpContext context, StaffHandover handover) =>
        TypedResults.Ok(await handover.GetAsync(context.Caller().WorkspaceId, id));

    public static async Task<Created<HandoverDetail>> StartHandover(HandoverRequest request, HttpContext context, StaffHandover handover)
    {
        var caller = context.Caller();
        var started = await handover.StartAsync(caller.WorkspaceId, request, caller.Actor);
        return TypedResults.Created($"/api/handovers/{started.Id}", started);
    }

    public static async Task<Ok<HandoverDetail>> RefreshHandover(Guid id, HttpContext context, StaffHandover handover) =>
        TypedResults.Ok(await handover.RefreshAsync(context.Caller().WorkspaceId, id));
}
