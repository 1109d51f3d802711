using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Fission.Assists;
using Pond.Server.Activities;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Fission;

/// <summary>
/// The admin API for friend assist (/api/assists) and bargains (/api/bargains). The shop or mini-program backend opens
/// requests and sessions and sends friends' helps with the workspace's secret key; refusals are 409 problems with a
/// reason code. docs/fission-games.md explains the rules.
/// </summary>
internal static class AssistsApi
{
    public static IEndpointRouteBuilder MapAssistsApi(this IEndpointRouteBuilder routes)
    {
        var assists = Group(routes, "/api/assists", "Friend assist");
        assists.MapGet("/campaigns", ListAssistCampaigns).WithName("ListAssistCampaigns").WithSummary("Friend-assist campaigns, latest start first.");
        assists.MapPost("/campaigns", CreateAssistCampaign).WithName("CreateAssistCampaign").RequireAuthorization(Policies.Operate)
            .WithSummary("Creates an assist campaign: window, optional audience segment, target helps, time limit per request, reward (coupon, points or gift) and its stock, anti-abuse rules.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        assists.MapGet("/campaigns/{id:guid}", GetAssistCampaign).WithName("GetAssistCampaign").ProducesProblem(StatusCodes.Status404NotFound);
        assists.MapPut("/campaigns/{id:guid}", UpdateAssistCampaign).WithName("UpdateAssistCampaign").RequireAuthorization(Policies.Operate)
            .WithSummary("Changes a campaign (fields left out are kept); reward stock cannot go below what was issued (409).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        assists.MapGet("/campaigns/{id:guid}/counters", GetAssistCounters).WithName("GetAssistCounters")
            .WithSummary("Live figures: requests open, complete and expired, helps, distinct helpers, rewards issued and left.").ProducesProblem(StatusCodes.Status404NotFound);
        assists.MapGet("/campaigns/{id:guid}/requests", ListAssistRequests).WithName("ListAssistRequests")
            .WithSummary("The campaign's requests, newest first, optionally in one state (open, complete, expired).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        assists.MapPost("/campaigns/{id:guid}/requests", OpenAssistRequest).WithName("OpenAssistRequest").RequireAuthorization(Policies.Operate)
            .WithSummary("A participant opens a request: 201 with its share code, or 200 with the request they already have open; 409 with reason paused, not_started, ended or not_in_audience.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        assists.MapGet("/requests/{requestId:guid}", GetAssistRequest).WithName("GetAssistRequest").ProducesProblem(StatusCodes.Status404NotFound);
        assists.MapPost("/requests/{code}/help", HelpAssistRequest).WithName("HelpAssistRequest").RequireAuthorization(Policies.Operate)
            .WithSummary("A friend helps by the request's share code: 200 with counted true (the help that reaches the target completes the request and issues the reward), or counted false with reason already_helped for a friend who helped before; 409 with reason self_help, not_new_customer, daily_cap, complete, expired or paused.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        var bargains = Group(routes, "/api/bargains", "Bargains");
        bargains.MapGet("/", ListBargains).WithName("ListBargains").WithSummary("Bargains, latest start first.");
        bargains.MapPost("/", CreateBargain).WithName("CreateBargain").RequireAuthorization(Policies.Operate)
            .WithSummary("Creates a bargain: product, original and floor price, maximum helps N (the floor is reached on the N-th help at the latest), first cut share, time limit, optional stock, window, audience, anti-abuse rules.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        bargains.MapGet("/{id:guid}", GetBargain).WithName("GetBargain").ProducesProblem(StatusCodes.Status404NotFound);
        bargains.MapPut("/{id:guid}", UpdateBargain).WithName("UpdateBargain").RequireAuthorization(Policies.Operate)
            .WithSummary("Changes a bargain (fields left out are kept); sessions already open keep their prices; stock cannot go below what was sold (409).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        bargains.MapGet("/{id:guid}/counters", GetBargainCounters).WithName("GetBargainCounters")
            .WithSummary("Live figures: sessions open, at the floor, bought and expired, cuts, the total cut, stock sold and left.").ProducesProblem(StatusCodes.Status404NotFound);
        bargains.MapGet("/{id:guid}/sessions", ListBargainSessions).WithName("ListBargainSessions")
            .WithSummary("The bargain's sessions, newest first, optionally in one state (open, reached, purchased, expired).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        bargains.MapPost("/{id:guid}/sessions", OpenBargainSession).WithName("OpenBargainSession").RequireAuthorization(Policies.Operate)
            .WithSummary("A participant opens a session at the original price: 201 with its share code, or 200 with the live one they have; 409 with reason paused, not_started, ended, sold_out or not_in_audience.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        bargains.MapGet("/sessions/{sessionId:guid}", GetBargainSession).WithName("GetBargainSession").ProducesProblem(StatusCodes.Status404NotFound);
        bargains.MapPost("/sessions/{code}/cut", CutBargain).WithName("CutBargain").RequireAuthorization(Policies.Operate)
            .WithSummary("A friend cuts the price by the session's share code: 200 with counted true and the cut, or counted false with reason already_helped (and their earlier cut); 409 with reason self_help, not_new_customer, daily_cap, floor_reached, purchased, expired or paused.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        bargains.MapPost("/{id:guid}/sessions/{sessionId:guid}/purchase", PurchaseBargain).WithName("PurchaseBargain").RequireAuthorization(Policies.Operate)
            .WithSummary("Buys at the floor price once it is reached and before the session expires: the order is recorded (source bargain). 409 with reason not_reached, purchased, expired or sold_out.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    internal static RouteGroupBuilder Group(IEndpointRouteBuilder routes, string prefix, string tag) =>
        routes.MapGroup(prefix).WithTags(tag).RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .NotForStaffRole("Fission games range over every customer");

    internal static ProblemHttpResult Refused(string reason, string message) =>
        TypedResults.Problem(message, statusCode: StatusCodes.Status409Conflict, title: "Refused", extensions: new Dictionary<string, object?> { ["reason"] = reason });

    internal sealed record RewardView(string Kind, Guid? TemplateId, long? Points, string? Gift)
    {
        public static RewardView Of(GameReward r) => new(r.Kind, r.TemplateId, r.Points, r.Gift);
    }

    internal sealed record AssistCampaignView(
        Guid Id, string Name, string Status, string State, DateTimeOffset StartsAt, DateTimeOffset EndsAt, Guid? SegmentId, int TargetHelps, int TimeLimitMinutes,
        RewardView Reward, int? RewardStock, int RewardsIssued, int? RewardsLeft, bool NewHelpersOnly, int? HelperDailyCap, string? CreatedBy,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        public static AssistCampaignView Of(AssistCampaign c, DateTimeOffset now) => new(
            c.Id, c.Name, c.Status, c.StateAt(now), c.StartsAt, c.EndsAt, c.SegmentId, c.TargetHelps, c.TimeLimitMinutes, RewardView.Of(c.Reward), c.RewardStock,
            c.RewardsIssued, c.RewardsLeft, c.NewHelpersOnly, c.HelperDailyCap, c.CreatedBy, c.CreatedAt, c.UpdatedAt);
    }

    internal sealed record HelpView(Guid HelperCustomerId, string? DisplayName, int Seq, DateTimeOffset HelpedAt);

    internal sealed record AssistRequestView(
        Guid Id, Guid CampaignId, Guid CustomerId, string? DisplayName, string Code, string State, int Target, int Helps, int HelpsLeft, DateTimeOffset OpenedAt,
        DateTimeOffset ExpiresAt, DateTimeOffset? CompletedAt, string? RewardState, string? RewardRef, string? RewardReason, IReadOnlyList<HelpView> HelpList)
    {
        public static AssistRequestView Of(AssistRequest r, DateTimeOffset now) => new(
            r.Id, r.CampaignId, r.CustomerId, r.DisplayName, r.Code, r.StateAt(now), r.Target, r.Helps, r.Target - r.Helps, r.OpenedAt, r.ExpiresAt, r.CompletedAt,
            r.RewardState, r.RewardRef, r.RewardReason, r.HelpList.Select(h => new HelpView(h.HelperCustomerId, h.DisplayName, h.Seq, h.HelpedAt)).ToList());
    }

    internal sealed record HelpResultView(bool Counted, bool Completed, string? Reason, string? Message, AssistRequestView Request);

    internal sealed record BargainView(
        Guid Id, string Name, string Status, string State, string Sku, string ProductName, string? Category, decimal OriginalPrice, decimal FloorPrice, int MaxHelps,
        int FirstCutPercent, int TimeLimitMinutes, int? Stock, int Sold, int? Remaining, DateTimeOffset StartsAt, DateTimeOffset EndsAt, Guid? SegmentId,
        bool NewHelpersOnly, int? HelperDailyCap, string? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        public static BargainView Of(BargainItem b, DateTimeOffset now) => new(
            b.Id, b.Name, b.Status, b.StateAt(now), b.Sku, b.ProductName, b.Category, Money.FromFen(b.OriginalPrice), Money.FromFen(b.FloorPrice), b.MaxHelps,
            b.FirstCutPercent, b.TimeLimitMinutes, b.Stock, b.Sold, b.Remaining, b.StartsAt, b.EndsAt, b.SegmentId, b.NewHelpersOnly, b.HelperDailyCap, b.CreatedBy,
            b.CreatedAt, b.UpdatedAt);
    }

    internal sealed record CutView(Guid HelperCustomerId, string? DisplayName, int Seq, decimal Amount, decimal PriceAfter, DateTimeOffset CutAt)
    {
        public static CutView Of(BargainCut c) => new(c.HelperCustomerId, c.DisplayName, c.Seq, Money.FromFen(c.Amount), Money.FromFen(c.PriceAfter), c.CutAt);
    }

    internal sealed record SessionView(
        Guid Id, Guid BargainId, Guid CustomerId, string? DisplayName, string Code, string State, decimal OriginalPrice, decimal FloorPrice, decimal CurrentPrice,
        decimal LeftToCut, int MaxHelps, int Helps, DateTimeOffset OpenedAt, DateTimeOffset ExpiresAt, DateTimeOffset? ReachedAt, DateTimeOffset? PurchasedAt,
        string? OrderId, IReadOnlyList<CutView> Cuts)
    {
        public static SessionView Of(BargainSession s, DateTimeOffset now) => new(
            s.Id, s.ItemId, s.CustomerId, s.DisplayName, s.Code, s.StateAt(now), Money.FromFen(s.OriginalPrice), Money.FromFen(s.FloorPrice),
            Money.FromFen(s.CurrentPrice), Money.FromFen(s.CurrentPrice - s.FloorPrice), s.MaxHelps, s.Helps, s.OpenedAt, s.ExpiresAt, s.ReachedAt, s.PurchasedAt,
            s.OrderId, s.Cuts.Select(CutView.Of).ToList());
    }

    internal sealed record CutResultView(bool Counted, string? Reason, string? Message, CutView? Cut, SessionView Session);

    public static async Task<Ok<List<AssistCampaignView>>> ListAssistCampaigns(HttpContext context, Assists assists, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return TypedResults.Ok((await assists.ListAsync(context.Caller().WorkspaceId)).Select(c => AssistCampaignView.Of(c, now)).ToList());
    }

    public static async Task<Created<AssistCampaignView>> CreateAssistCampaign(AssistCampaignInput input, HttpContext context, Assists assists, TimeProvider clock)
    {
        var caller = context.Caller();
        var campaign = await assists.CreateAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/assists/campaigns/{campaign.Id}", AssistCampaignView.Of(campaign, clock.GetUtcNow()));
    }

    public static async Task<Ok<AssistCampaignView>> GetAssistCampaign(Guid id, HttpContext context, Assists assists, TimeProvider clock) =>
        TypedResults.Ok(AssistCampaignView.Of(await assists.GetAsync(context.Caller().WorkspaceId, id), clock.GetUtcNow()));

    public static async Task<Ok<AssistCampaignView>> UpdateAssistCampaign(Guid id, AssistCampaignInput input, HttpContext context, Assists assists, TimeProvider clock)
    {
        var caller = context.Caller();
        return TypedResults.Ok(AssistCampaignView.Of(await assists.UpdateAsync(caller.WorkspaceId, id, input, caller.Actor), clock.GetUtcNow()));
    }

    public static async Task<Ok<AssistCounters>> GetAssistCounters(Guid id, HttpContext context, Assists assists) =>
        TypedResults.Ok(await assists.CountersAsync(context.Caller().WorkspaceId, id));

    /// <param name="state">open, complete or expired.</param>
    public static async Task<Ok<List<AssistRequestView>>> ListAssistRequests(Guid id, string? state, int? limit, HttpContext context, Assists assists, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return TypedResults.Ok((await assists.ListRequestsAsync(context.Caller().WorkspaceId, id, state, limit ?? 100)).Select(r => AssistRequestView.Of(r, now)).ToList());
    }

    public static async Task<Results<Created<AssistRequestView>, Ok<AssistRequestView>, ProblemHttpResult>> OpenAssistRequest(
        Guid id, ActivitiesApi.BuyerRequest request, HttpContext context, Assists assists, TimeProvider clock)
    {
        var outcome = await assists.OpenAsync(context.Caller().WorkspaceId, id, request.CustomerId, request.UserId);
        if (outcome.Request is not { } opened)
            return Refused(outcome.Refusal!, outcome.Message!);
        var view = AssistRequestView.Of(opened, clock.GetUtcNow());
        return outcome.Created ? TypedResults.Created($"/api/assists/requests/{opened.Id}", view) : TypedResults.Ok(view);
    }

    public static async Task<Ok<AssistRequestView>> GetAssistRequest(Guid requestId, HttpContext context, Assists assists, TimeProvider clock) =>
        TypedResults.Ok(AssistRequestView.Of(await assists.GetRequestAsync(context.Caller().WorkspaceId, requestId), clock.GetUtcNow()));

    public static async Task<Results<Ok<HelpResultView>, ProblemHttpResult>> HelpAssistRequest(
        string code, ActivitiesApi.BuyerRequest request, HttpContext context, Assists assists, TimeProvider clock)
    {
        var outcome = await assists.HelpAsync(context.Caller().WorkspaceId, code, request.CustomerId, request.UserId);
        if (outcome.Request is not { } helped)
            return Refused(outcome.Refusal!, outcome.Message!);
        return TypedResults.Ok(new HelpResultView(outcome.Counted, outcome.Completed, outcome.Refusal, outcome.Message, AssistRequestView.Of(helped, clock.GetUtcNow())));
    }

    public static async Task<Ok<List<BargainView>>> ListBargains(HttpContext context, Bargains bargains, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return TypedResults.Ok((await bargains.ListAsync(context.Caller().WorkspaceId)).Select(b => BargainView.Of(b, now)).ToList());
    }

    public static async Task<Created<BargainView>> CreateBargain(BargainItemInput input, HttpContext context, Bargains bargains, TimeProvider clock)
    {
        var caller = context.Caller();
        var item = await bargains.CreateAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/bargains/{item.Id}", BargainView.Of(item, clock.GetUtcNow()));
    }

    public static async Task<Ok<BargainView>> GetBargain(Guid id, HttpContext context, Bargains bargains, TimeProvider clock) =>
        TypedResults.Ok(BargainView.Of(await bargains.GetAsync(context.Caller().WorkspaceId, id), clock.GetUtcNow()));

    public static async Task<Ok<BargainView>> UpdateBargain(Guid id, BargainItemInput input, HttpContext context, Bargains bargains, TimeProvider clock)
    {
        var caller = context.Caller();
        return TypedResults.Ok(BargainView.Of(await bargains.UpdateAsync(caller.WorkspaceId, id, input, caller.Actor), clock.GetUtcNow()));
    }

    public static async Task<Ok<BargainCounters>> GetBargainCounters(Guid id, HttpContext context, Bargains bargains) =>
        TypedResults.Ok(await bargains.CountersAsync(context.Caller().WorkspaceId, id));

    /// <param name="state">open, reached, purchased or expired.</param>
    public static async Task<Ok<List<SessionView>>> ListBargainSessions(Guid id, string? state, int? limit, HttpContext context, Bargains bargains, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return TypedResults.Ok((await bargains.ListSessionsAsync(context.Caller().WorkspaceId, id, state, limit ?? 100)).Select(s => SessionView.Of(s, now)).ToList());
    }

    public static async Task<Results<Created<SessionView>, Ok<SessionView>, ProblemHttpResult>> OpenBargainSession(
        Guid id, ActivitiesApi.BuyerRequest request, HttpContext context, Bargains bargains, TimeProvider clock)
    {
        var outcome = await bargains.OpenAsync(context.Caller().WorkspaceId, id, request.CustomerId, request.UserId);
        if (outcome.Session is not { } opened)
            return Refused(outcome.Refusal!, outcome.Message!);
        var view = SessionView.Of(opened, clock.GetUtcNow());
        return outcome.Created ? TypedResults.Created($"/api/bargains/sessions/{opened.Id}", view) : TypedResults.Ok(view);
    }

    public static async Task<Ok<SessionView>> GetBargainSession(Guid sessionId, HttpContext context, Bargains bargains, TimeProvider clock) =>
        TypedResults.Ok(SessionView.Of(await bargains.GetSessionAsync(context.Caller().WorkspaceId, sessionId), clock.GetUtcNow()));

    public static async Task<Results<Ok<CutResultView>, ProblemHttpResult>> CutBargain(
        string code, ActivitiesApi.BuyerRequest request, HttpContext context, Bargains bargains, TimeProvider clock)
    {
        var outcome = await bargains.CutAsync(context.Caller().WorkspaceId, code, request.CustomerId, request.UserId);
        if (outcome.Session is not { } session)
            return Refused(outcome.Refusal!, outcome.Message!);
        return TypedResults.Ok(new CutResultView(outcome.Counted, outcome.Refusal, outcome.Message, outcome.Cut is { } cut ? CutView.Of(cut) : null,
            SessionView.Of(session, clock.GetUtcNow())));
    }

    public static async Task<Results<Ok<SessionView>, ProblemHttpResult>> PurchaseBargain(Guid id, Guid sessionId, HttpContext context, Bargains bargains, TimeProvider clock)
    {
        var outcome = await bargains.PurchaseAsync(context.Caller().WorkspaceId, id, sessionId);
        return outcome.Session is { } bought ? TypedResults.Ok(SessionView.Of(bought, clock.GetUtcNow())) : Refused(outcome.Refusal!, outcome.Message!);
    }
}
