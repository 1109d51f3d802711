using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Activities;
using Pond.Server.Auth;
using Pond.Server.Channels;
using Pond.Workspaces;

namespace Pond.Server.Activities;

/// <summary>
/// The admin API for flash sales (/api/flash-sales) and group buys (/api/group-buys). The shop or mini-program backend
/// calls attempts, payments and joins with the workspace's secret key; refusals are 409 problems with a reason code.
/// </summary>
internal static class ActivitiesApi
{
    public static IServiceCollection AddActivitiesApi(this IServiceCollection services, bool runEngines) => services.AddActivities(runEngines);

    public static IEndpointRouteBuilder MapActivitiesApi(this IEndpointRouteBuilder routes)
    {
        var sales = Group(routes, "/api/flash-sales", "Flash sales");
        sales.MapGet("/", ListFlashSales).WithName("ListFlashSales").WithSummary("Flash sales, latest start first, with their stock split.");
        sales.MapPost("/", CreateFlashSale).WithName("CreateFlashSale").RequireAuthorization(Policies.Operate)
            .WithSummary("Creates a flash sale: product, flash price, stock, window, per-customer limit, optional audience segment, payment timeout.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        sales.MapGet("/{id:guid}", GetFlashSale).WithName("GetFlashSale").ProducesProblem(StatusCodes.Status404NotFound);
        sales.MapPut("/{id:guid}", UpdateFlashSale).WithName("UpdateFlashSale").RequireAuthorization(Policies.Operate)
            .WithSummary("Changes a flash sale; stock cannot go below what is reserved or sold (409).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        sales.MapGet("/{id:guid}/counters", GetFlashSaleCounters).WithName("GetFlashSaleCounters")
            .WithSummary("Live figures: stock, reserved, sold, remaining, attempts, refusals by reason, attempts per second.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        sales.MapPost("/{id:guid}/attempts", AttemptFlashSale).WithName("AttemptFlashSale").RequireAuthorization(Policies.Operate)
            .WithSummary("A purchase attempt: 201 with a reservation that holds one unit until expiresAt, or 409 with reason sold_out, limit_reached, not_started, ended or not_in_audience.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        sales.MapGet("/{id:guid}/reservations", ListFlashReservations).WithName("ListFlashReservations")
            .WithSummary("The sale's reservations, newest first, optionally in one state (reserved, paid, released, cancelled).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        sales.MapGet("/{id:guid}/reservations/{reservationId:guid}", GetFlashReservation).WithName("GetFlashReservation")
            .ProducesProblem(StatusCodes.Status404NotFound);
        sales.MapPost("/{id:guid}/reservations/{reservationId:guid}/pay", PayFlashReservation).WithName("PayFlashReservation").RequireAuthorization(Policies.Operate)
            .WithSummary("Pays a reservation: the unit is sold and the order recorded (source flash_sale). 409 with reason expired or cancelled when its time ran out or it was given up.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        sales.MapPost("/{id:guid}/reservations/{reservationId:guid}/cancel", CancelFlashReservation).WithName("CancelFlashReservation").RequireAuthorization(Policies.Operate)
            .WithSummary("Gives up an unpaid reservation; its unit goes back on sale at once.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        var buys = Group(routes, "/api/group-buys", "Group buys");
        buys.MapGet("/", ListGroupBuys).WithName("ListGroupBuys").WithSummary("Group buys, latest start first.");
        buys.MapPost("/", CreateGroupBuy).WithName("CreateGroupBuy").RequireAuthorization(Policies.Operate)
            .WithSummary("Creates a group buy: product, group price, group size, time limit, optional stock, window.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        buys.MapGet("/{id:guid}", GetGroupBuy).WithName("GetGroupBuy").ProducesProblem(StatusCodes.Status404NotFound);
        buys.MapPut("/{id:guid}", UpdateGroupBuy).WithName("UpdateGroupBuy").RequireAuthorization(Policies.Operate)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        buys.MapGet("/{id:guid}/counters", GetGroupBuyCounters).WithName("GetGroupBuyCounters")
            .WithSummary("Live figures: groups open, complete and expired, participants, refunds, stock held and sold.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        buys.MapGet("/{id:guid}/groups", ListBuyGroups).WithName("ListBuyGroups")
            .WithSummary("The group buy's groups with their members, newest first, optionally in one state (open, complete, expired).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        buys.MapPost("/{id:guid}/groups", OpenBuyGroup).WithName("OpenBuyGroup").RequireAuthorization(Policies.Operate)
            .WithSummary("A leader opens a group (their payment recorded, simulated): 201 with its share code and link, or 409 with reason sold_out, not_started or ended.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        buys.MapGet("/{id:guid}/groups/{groupId:guid}", GetBuyGroup).WithName("GetBuyGroup").ProducesProblem(StatusCodes.Status404NotFound);
        buys.MapPost("/groups/{code}/join", JoinBuyGroup).WithName("JoinBuyGroup").RequireAuthorization(Policies.Operate)
            .WithSummary("Joins a group by its share code (payment recorded, simulated); the last seat completes it and records every member's order. 409 with reason full, expired, already_joined or sold_out.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    private static RouteGroupBuilder Group(IEndpointRouteBuilder routes, string prefix, string tag) =>
        routes.MapGroup(prefix).WithTags(tag).RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .NotForStaffRole("Activities range over every customer");

    /// <summary>The buyer: a Pond customer id, or the shop's user id (the user_id identity).</summary>
    internal sealed class BuyerRequest
    {
        public Guid? CustomerId { get; init; }
        public string? UserId { get; init; }
    }

    internal sealed record FlashSaleView(
        Guid Id, string Name, string Sku, string ProductName, string? Category, decimal OriginalPrice, decimal FlashPrice,
        int Stock, int Reserved, int Sold, int Remaining, int PerCustomerLimit, Guid? SegmentId, DateTimeOffset StartsAt, DateTimeOffset EndsAt,
        int PaymentTimeoutMinutes, string State, string? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        public static FlashSaleView Of(FlashSale s, DateTimeOffset now) => new(
            s.Id, s.Name, s.Sku, s.ProductName, s.Category, Money.FromFen(s.OriginalPrice), Money.FromFen(s.FlashPrice), s.Stock, s.Reserved, s.Sold,
            s.Remaining, s.PerCustomerLimit, s.SegmentId, s.StartsAt, s.EndsAt, s.PaymentTimeoutSeconds / 60, s.StateAt(now), s.CreatedBy, s.CreatedAt, s.UpdatedAt);
    }

    internal sealed record ReservationView(
        Guid Id, Guid SaleId, Guid CustomerId, int Slot, string State, decimal Price, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt,
        DateTimeOffset? PaidAt, DateTimeOffset? ReleasedAt, string? OrderId)
    {
        public static ReservationView Of(FlashReservation r) =>
            new(r.Id, r.SaleId, r.CustomerId, r.Slot, r.State, Money.FromFen(r.Price), r.CreatedAt, r.ExpiresAt, r.PaidAt, r.ReleasedAt, r.OrderId);
    }

    internal sealed record GroupBuyView(
        Guid Id, string Name, string Sku, string ProductName, string? Category, decimal OriginalPrice, decimal GroupPrice, int GroupSize,
        int TimeLimitMinutes, int? Stock, int Reserved, int Sold, int? Remaining, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string State,
        int GroupsOpened, int GroupsCompleted, int GroupsExpired, string? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        public static GroupBuyView Of(GroupBuy b, DateTimeOffset now) => new(
            b.Id, b.Name, b.Sku, b.ProductName, b.Category, Money.FromFen(b.OriginalPrice), Money.FromFen(b.GroupPrice), b.GroupSize, b.TimeLimitMinutes,
            b.Stock, b.Reserved, b.Sold, b.Remaining, b.StartsAt, b.EndsAt, b.StateAt(now), b.GroupsOpened, b.GroupsCompleted, b.GroupsExpired,
            b.CreatedBy, b.CreatedAt, b.UpdatedAt);
    }

    internal sealed record MemberView(Guid Id, Guid CustomerId, int Seat, bool Leader, string State, decimal PaidAmount, string PaymentRef,
        DateTimeOffset JoinedAt, string? OrderId, DateTimeOffset? RefundedAt);

    internal sealed record GroupView(Guid Id, Guid GroupBuyId, string Code, string Link, string State, int GroupSize, int MemberCount, int SeatsLeft,
        DateTimeOffset OpenedAt, DateTimeOffset ExpiresAt, DateTimeOffset? ClosedAt, IReadOnlyList<MemberView> Members)
    {
        public static GroupView Of(BuyGroup g, HttpContext context) => new(
            g.Id, g.GroupBuyId, g.Code, ShortLinks.Absolute(context, $"/g/{g.Code}"), g.State, g.GroupSize, g.MemberCount, g.GroupSize - g.MemberCount,
            g.OpenedAt, g.ExpiresAt, g.ClosedAt,
            g.Members.Select(m => new MemberView(m.Id, m.CustomerId, m.Seat, m.CustomerId == g.LeaderCustomerId, m.State, Money.FromFen(m.PaidAmount),
                m.PaymentRef, m.JoinedAt, m.OrderId, m.RefundedAt)).ToList());
    }

    public static async Task<Ok<List<FlashSaleView>>> ListFlashSales(HttpContext context, FlashSales sales, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return TypedResults.Ok((await sales.ListAsync(context.Caller().WorkspaceId)).Select(s => FlashSaleView.Of(s, now)).ToList());
    }

    public static async Task<Ok<FlashSaleView>> GetFlashSale(Guid id, HttpContext context, FlashSales sales, TimeProvider clock) =>
        TypedResults.Ok(FlashSaleView.Of(await sales.GetAsync(context.Caller().WorkspaceId, id), clock.GetUtcNow()));

    public static async Task<Created<FlashSaleView>> CreateFlashSale(FlashSaleInput input, HttpContext context, FlashSales sales, TimeProvider clock)
    {
        var caller = context.Caller();
        var sale = await sales.CreateAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/flash-sales/{sale.Id}", FlashSaleView.Of(sale, clock.GetUtcNow()));
    }

    public static async Task<Ok<FlashSaleView>> UpdateFlashSale(Guid id, FlashSaleInput input, HttpContext context, FlashSales sales, TimeProvider clock)
    {
        var caller = context.Caller();
        return TypedResults.Ok(FlashSaleView.Of(await sales.UpdateAsync(caller.WorkspaceId, id, input, caller.Actor), clock.GetUtcNow()));
    }

    public static async Task<Ok<FlashSaleCounters>> GetFlashSaleCounters(Guid id, HttpContext context, FlashSales sales) =>
        TypedResults.Ok(await sales.CountersAsync(context.Caller().WorkspaceId, id));

    public static async Task<Results<Created<ReservationView>, ProblemHttpResult>> AttemptFlashSale(Guid id, BuyerRequest request, HttpContext context, FlashSales sales)
    {
        var outcome = await sales.AttemptAsync(context.Caller().WorkspaceId, id, request.CustomerId, request.UserId);
        return outcome.Reservation is { } reservation
            ? TypedResults.Created($"/api/flash-sales/{id}/reservations/{reservation.Id}", ReservationView.Of(reservation))
            : Refused(outcome.Refusal!, outcome.Message!);
    }

    /// <param name="state">reserved, paid, released or cancelled.</param>
    public static async Task<Ok<List<ReservationView>>> ListFlashReservations(Guid id, string? state, int? limit, HttpContext context, FlashSales sales)
    {
        if (state is not null and not (ReservationStates.Reserved or ReservationStates.Paid or ReservationStates.Released or ReservationStates.Cancelled))
            throw new ValidationFailedException("state is reserved, paid, released or cancelled.", "state");
        return TypedResults.Ok((await sales.ListReservationsAsync(context.Caller().WorkspaceId, id, state, limit ?? 100)).Select(ReservationView.Of).ToList());
    }

    public static async Task<Ok<ReservationView>> GetFlashReservation(Guid id, Guid reservationId, HttpContext context, FlashSales sales) =>
        TypedResults.Ok(ReservationView.Of(await sales.GetReservationAsync(context.Caller().WorkspaceId, id, reservationId)));

    public static async Task<Results<Ok<ReservationView>, ProblemHttpResult>> PayFlashReservation(Guid id, Guid reservationId, HttpContext context, FlashSales sales)
    {
        var caller = context.Caller();
        var outcome = await sales.PayAsync(caller.WorkspaceId, id, reservationId, caller.Actor);
        return outcome.Reservation is { } paid ? TypedResults.Ok(ReservationView.Of(paid)) : Refused(outcome.Refusal!, outcome.Message!);
    }

    public static async Task<Ok<ReservationView>> CancelFlashReservation(Guid id, Guid reservationId, HttpContext context, FlashSales sales) =>
        TypedResults.Ok(ReservationView.Of(await sales.CancelAsync(context.Caller().WorkspaceId, id, reservationId)));

    public static async Task<Ok<List<GroupBuyView>>> ListGroupBuys(HttpContext context, GroupBuys buys, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return TypedResults.Ok((await buys.ListAsync(context.Caller().WorkspaceId)).Select(b => GroupBuyView.Of(b, now)).ToList());
    }

    public static async Task<Ok<GroupBuyView>> GetGroupBuy(Guid id, HttpContext context, GroupBuys buys, TimeProvider clock) =>
        TypedResults.Ok(GroupBuyView.Of(await buys.GetAsync(context.Caller().WorkspaceId, id), clock.GetUtcNow()));

    public static async Task<Created<GroupBuyView>> CreateGroupBuy(GroupBuyInput input, HttpContext context, GroupBuys buys, TimeProvider clock)
    {
        var caller = context.Caller();
        var buy = await buys.CreateAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/group-buys/{buy.Id}", GroupBuyView.Of(buy, clock.GetUtcNow()));
    }

    public static async Task<Ok<GroupBuyView>> UpdateGroupBuy(Guid id, GroupBuyInput input, HttpContext context, GroupBuys buys, TimeProvider clock)
    {
        var caller = context.Caller();
        return TypedResults.Ok(GroupBuyView.Of(await buys.UpdateAsync(caller.WorkspaceId, id, input, caller.Actor), clock.GetUtcNow()));
    }

    public static async Task<Ok<GroupBuyCounters>> GetGroupBuyCounters(Guid id, HttpContext context, GroupBuys buys) =>
        TypedResults.Ok(await buys.CountersAsync(context.Caller().WorkspaceId, id));

    /// <param name="state">open, complete or expired.</param>
    public static async Task<Ok<List<GroupView>>> ListBuyGroups(Guid id, string? state, int? limit, HttpContext context, GroupBuys buys) =>
        TypedResults.Ok((await buys.ListGroupsAsync(context.Caller().WorkspaceId, id, state, limit ?? 50)).Select(g => GroupView.Of(g, context)).ToList());

    public static async Task<Ok<GroupView>> GetBuyGroup(Guid id, Guid groupId, HttpContext context, GroupBuys buys) =>
        TypedResults.Ok(GroupView.Of(await buys.GetGroupAsync(context.Caller().WorkspaceId, id, groupId), context));

    public static async Task<Results<Created<GroupView>, ProblemHttpResult>> OpenBuyGroup(Guid id, BuyerRequest request, HttpContext context, GroupBuys buys)
    {
        var outcome = await buys.OpenAsync(context.Caller().WorkspaceId, id, request.CustomerId, request.UserId);
        return outcome.Group is { } group
            ? TypedResults.Created($"/api/group-buys/{id}/groups/{group.Id}", GroupView.Of(group, context))
            : Refused(outcome.Refusal!, outcome.Message!);
    }

    public static async Task<Results<Ok<GroupView>, ProblemHttpResult>> JoinBuyGroup(string code, BuyerRequest request, HttpContext context, GroupBuys buys)
    {
        var outcome = await buys.JoinAsync(context.Caller().WorkspaceId, code, request.CustomerId, request.UserId);
        return outcome.Group is { } group ? TypedResults.Ok(GroupView.Of(group, context)) : Refused(outcome.Refusal!, outcome.Message!);
    }

    private static ProblemHttpResult Refused(string reason, string message) =>
        TypedResults.Problem(message, statusCode: StatusCodes.Status409Conflict, title: "Refused", extensions: new Dictionary<string, object?> { ["reason"] = reason });
}
