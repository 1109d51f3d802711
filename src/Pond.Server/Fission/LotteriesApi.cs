using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Fission.Lotteries;
using Pond.Server.Activities;
using Pond.Workspaces;
using Pond.Server.Auth;

namespace Pond.Server.Fission;

/// <summary>
/// The admin API for lotteries (/api/lotteries): the prize pool with probabilities and stock, draws (points spent in
/// the draw's transaction, once a day per customer), draws and winners lists. docs/fission-games.md.
/// </summary>
internal static class LotteriesApi
{
    public static IEndpointRouteBuilder MapLotteriesApi(this IEndpointRouteBuilder routes)
    {
        var api = AssistsApi.Group(routes, "/api/lotteries", "Lotteries");
        api.MapGet("/", ListLotteries).WithName("ListLotteries").WithSummary("Lotteries, latest start first, with their prize pools.");
        api.MapPost("/", CreateLottery).WithName("CreateLottery").RequireAuthorization(Policies.Operate)
            .WithSummary("Creates a lottery: window, points cost per draw, optional audience segment, and 1 to 20 prizes (name, probability in percent totalling at most 100, stock, reward coupon/points/gift).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/{id:guid}", GetLottery).WithName("GetLottery").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{id:guid}", UpdateLottery).WithName("UpdateLottery").RequireAuthorization(Policies.Operate)
            .WithSummary("Changes a lottery (fields left out are kept); prizes with an id change name, probability and stock (not below what was awarded, 409), prizes without one are added.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/{id:guid}/counters", GetLotteryCounters).WithName("GetLotteryCounters")
            .WithSummary("Live figures: draws, entrants, wins, draws that picked a prize out of stock, points spent, and per prize its stock, awarded and left.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id:guid}/draws", DrawLottery).WithName("DrawLottery").RequireAuthorization(Policies.Operate)
            .WithSummary("One draw for a customer: the points cost is spent and the prize (if any) delivered in one transaction. 201 with outcome won, no_prize or out_of_stock (the picked prize had none left); 409 with reason already_drawn, not_enough_points, not_in_audience, paused, not_started or ended.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/{id:guid}/draws", ListLotteryDraws).WithName("ListLotteryDraws")
            .WithSummary("The lottery's draws, newest first, optionally with one outcome (won, no_prize, out_of_stock).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:guid}/winners", ListLotteryWinners).WithName("ListLotteryWinners")
            .WithSummary("Winners, newest first, names masked (王*明) as a customer-facing list shows them.").ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    internal sealed record PrizeView(Guid Id, int Position, string Name, decimal Probability, int Stock, int Awarded, int Left, AssistsApi.RewardView Reward)
    {
        public static PrizeView Of(LotteryPrize p) => new(p.Id, p.Position, p.Name, p.Probability, p.Stock, p.Awarded, p.Left, AssistsApi.RewardView.Of(p.Reward));
    }

    internal sealed record LotteryView(
        Guid Id, string Name, string Status, string State, DateTimeOffset StartsAt, DateTimeOffset EndsAt, Guid? SegmentId, long PointsCost, decimal NoPrizeProbability,
        IReadOnlyList<PrizeView> Prizes, string? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        public static LotteryView Of(Lottery l, DateTimeOffset now) => new(
            l.Id, l.Name, l.Status, l.StateAt(now), l.StartsAt, l.EndsAt, l.SegmentId, l.PointsCost, 100m - l.Prizes.Sum(p => p.Probability),
            l.Prizes.Select(PrizeView.Of).ToList(), l.CreatedBy, l.CreatedAt, l.UpdatedAt);
    }

    internal sealed record DrawView(
        Guid Id, Guid LotteryId, Guid CustomerId, string? DisplayName, string Outcome, Guid? PrizeId, string? Prize, long PointsSpent, Guid? PointsEntryId,
        Guid? CouponId, string? Reason, DateTimeOffset DrawnAt)
    {
        public static DrawView Of(LotteryEntry e) => new(
            e.Id, e.LotteryId, e.CustomerId, e.DisplayName, e.Outcome, e.PrizeId, e.PrizeName, e.PointsSpent, e.PointsEntryId, e.CouponId, e.Reason, e.DrawnAt);
    }

    public static async Task<Ok<List<LotteryView>>> ListLotteries(HttpContext context, Lotteries lotteries, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return TypedResults.Ok((await lotteries.ListAsync(context.Caller().WorkspaceId)).Select(l => LotteryView.Of(l, now)).ToList());
    }

    public static async Task<Created<LotteryView>> CreateLottery(LotteryInput input, HttpContext context, Lotteries lotteries, TimeProvider clock)
    {
        var caller = context.Caller();
        var lottery = await lotteries.CreateAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/lotteries/{lottery.Id}", LotteryView.Of(lottery, clock.GetUtcNow()));
    }

    public static async Task<Ok<LotteryView>> GetLottery(Guid id, HttpContext context, Lotteries lotteries, TimeProvider clock) =>
        TypedResults.Ok(LotteryView.Of(await lotteries.GetAsync(context.Caller().WorkspaceId, id), clock.GetUtcNow()));

    public static async Task<Ok<LotteryView>> UpdateLottery(Guid id, LotteryInput input, HttpContext context, Lotteries lotteries, TimeProvider clock)
    {
        var caller = context.Caller();
        return TypedResults.Ok(LotteryView.Of(await lotteries.UpdateAsync(caller.WorkspaceId, id, input, caller.Actor), clock.GetUtcNow()));
    }

    public static async Task<Ok<LotteryCounters>> GetLotteryCounters(Guid id, HttpContext context, Lotteries lotteries) =>
        TypedResults.Ok(await lotteries.CountersAsync(context.Caller().WorkspaceId, id));

    public static async Task<Results<Created<DrawView>, ProblemHttpResult>> DrawLottery(Guid id, ActivitiesApi.BuyerRequest request, HttpContext context, Lotteries lotteries)
    {
        var outcome = await lotteries.DrawAsync(context.Caller().WorkspaceId, id, request.CustomerId, request.UserId);
        return outcome.Entry is { } entry
            ? TypedResults.Created($"/api/lotteries/{id}/draws/{entry.Id}", DrawView.Of(entry))
            : AssistsApi.Refused(outcome.Refusal!, outcome.Message!);
    }

    /// <param name="outcome">won, no_prize or out_of_stock.</param>
    public static async Task<Ok<List<DrawView>>> ListLotteryDraws(Guid id, string? outcome, int? limit, HttpContext context, Lotteries lotteries) =>
        TypedResults.Ok((await lotteries.ListDrawsAsync(context.Caller().WorkspaceId, id, outcome, limit ?? 100)).Select(DrawView.Of).ToList());

    public static async Task<Ok<IReadOnlyList<LotteryWinner>>> ListLotteryWinners(Guid id, int? limit, HttpContext context, Lotteries lotteries) =>
        TypedResults.Ok(await lotteries.WinnersAsync(context.Caller().WorkspaceId, id, limit ?? 50));
}
