using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Loyalty;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Loyalty;

/// <summary>
/// The admin API for points (积分) and member tiers (会员等级): the workspace's rules and tiers under /api/loyalty, and
/// a customer's balance, ledger, check-in, tasks, spends, adjustments and tier history under /api/customers/{id}.
/// Reading needs Read; rules and tiers need Operate; check-ins, tasks and spends are customer actions any member
/// except the read-only analyst may record (the staff role for its own customers only); adjustments need Operate.
/// </summary>
internal static class LoyaltyApi
{
    public static IServiceCollection AddLoyaltyApi(this IServiceCollection services, bool runEngines)
    {
        services.AddLoyalty();
        services.AddSingleton<LoyaltyAccess>();
        if (runEngines)
            services.AddLoyaltyWorker();
        return services;
    }

    public static IEndpointRouteBuilder MapLoyaltyApi(this IEndpointRouteBuilder routes)
    {
        var loyalty = routes.MapGroup("/api/loyalty")
            .WithTags("Loyalty")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        loyalty.MapGet("/rules", GetRules).WithName("GetLoyaltyRules")
            .WithSummary("The points rules: earn rate, check-in and streak bonus, tasks, referral points, expiry, member day, tier basis.");
        loyalty.MapPut("/rules", SetRules).WithName("SetLoyaltyRules").RequireAuthorization(Policies.Operate)
            .WithSummary("Replaces the points rules (validated; audited).").ProducesProblem(StatusCodes.Status400BadRequest);
        loyalty.MapGet("/tiers", ListTiers).WithName("ListTiers")
            .WithSummary("The member tiers, lowest first, with member counts (the staff role counts its own customers).");
        loyalty.MapPost("/tiers", CreateTier).WithName("CreateTier").RequireAuthorization(Policies.Operate)
            .WithSummary("Adds a tier; customers move into it on their next order, the nightly run or POST /api/loyalty/tiers/evaluate.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        loyalty.MapGet("/tiers/{id:guid}", GetTier).WithName("GetTier").WithSummary("One tier with its member count.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        loyalty.MapPut("/tiers/{id:guid}", UpdateTier).WithName("UpdateTier").RequireAuthorization(Policies.Operate)
            .WithSummary("Changes a tier's name, threshold or benefits.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        loyalty.MapDelete("/tiers/{id:guid}", DeleteTier).WithName("DeleteTier").RequireAuthorization(Policies.Operate)
            .WithSummary("Deletes a tier; its members are re-evaluated against the remaining tiers at once.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        loyalty.MapGet("/tiers/{id:guid}/members", ListTierMembers).WithName("ListTierMembers")
            .WithSummary("The tier's members, one page at a time.").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        loyalty.MapPost("/tiers/evaluate", EvaluateTiers).WithName("EvaluateTiers").RequireAuthorization(Policies.Operate)
            .WithSummary("Re-evaluates every customer's tier now (as the nightly run does) and answers how many moved up and down.");

        var customers = routes.MapGroup("/api/customers/{id:guid}")
            .WithTags("Loyalty")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        customers.MapGet("/points", GetPoints).WithName("GetCustomerPoints")
            .WithSummary("The customer's points balance, points owed, points expiring within 30 days, tier and progress to the next tier.");
        customers.MapGet("/points/ledger", ListLedger).WithName("ListCustomerPointsLedger")
            .WithSummary("The customer's points ledger, most recent first, one page at a time.").ProducesProblem(StatusCodes.Status400BadRequest);
        customers.MapPost("/points/check-in", CheckIn).WithName("CheckInCustomer").NotForAnalyst()
            .WithSummary("Daily check-in 打卡: once per local day; every N-th day in a row adds the streak bonus. 409 when already checked in today.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        customers.MapPost("/points/tasks/{code}", CompleteTask).WithName("CompletePointsTask").NotForAnalyst()
            .WithSummary("Records a completed task (review, share, complete_profile…) and its points, up to the task's per-customer limit.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        customers.MapPost("/points/spend", Spend).WithName("SpendPoints").NotForAnalyst()
            .WithSummary("Spends points (for a coupon, or a gift when gift is given). Idempotent on idempotencyKey; 409 when the balance is short.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        customers.MapPost("/points/exchange-coupon", ExchangeForCoupon).WithName("ExchangePointsForCoupon").NotForAnalyst()
            .WithSummary("Redeems points for a coupon of a template (积分兑券): the spend and the coupon in one transaction; idempotent on idempotencyKey.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        customers.MapPost("/points/adjust", Adjust).WithName("AdjustPoints").RequireAuthorization(Policies.Operate)
            .WithSummary("Adds or takes points by hand with a required reason; audited with who did it. Never below zero.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        customers.MapGet("/tier/history", GetTierHistory).WithName("GetCustomerTierHistory")
            .WithSummary("The customer's tier changes, newest first, with what caused each.");
        return routes;
    }

    public static async Task<Ok<LoyaltyRules>> GetRules(HttpContext context, LoyaltySettingsStore store) =>
        TypedResults.Ok(await store.GetAsync(context.Caller().WorkspaceId));

    public static async Task<Ok<LoyaltyRules>> SetRules(LoyaltyRules request, HttpContext context, LoyaltySettingsStore store)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await store.SaveAsync(caller.WorkspaceId, request, caller.Actor));
    }

    public static async Task<Ok<IReadOnlyList<Tier>>> ListTiers(HttpContext context, TierBook tiers) =>
        TypedResults.Ok(await tiers.ListAsync(context.Caller().WorkspaceId, context.Caller().OnlyOwnedBy));

    public static async Task<Created<Tier>> CreateTier(TierInput request, HttpContext context, TierBook tiers)
    {
        var caller = context.Caller();
        var tier = await tiers.CreateAsync(caller.WorkspaceId, request, caller.Actor);
        return TypedResults.Created($"/api/loyalty/tiers/{tier.Id}", tier);
    }

    public static async Task<Ok<Tier>> GetTier(Guid id, HttpContext context, TierBook tiers) =>
        TypedResults.Ok(await tiers.GetAsync(context.Caller().WorkspaceId, id));

    public static async Task<Ok<Tier>> UpdateTier(Guid id, TierInput request, HttpContext context, TierBook tiers)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await tiers.UpdateAsync(caller.WorkspaceId, id, request, caller.Actor));
    }

    public static async Task<NoContent> DeleteTier(Guid id, HttpContext context, TierBook tiers)
    {
        var caller = context.Caller();
        await tiers.DeleteAsync(caller.WorkspaceId, id, caller.Actor);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<TierMembersPage>> ListTierMembers(Guid id, string? cursor, string? limit, HttpContext context, TierBook tiers)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await tiers.MembersAsync(caller.WorkspaceId, id, caller.OnlyOwnedBy, cursor, Limit(limit)));
    }

    public static async Task<Ok<NightlyResult>> EvaluateTiers(HttpContext context, TierBook tiers, CancellationToken cancellationToken) =>
        TypedResults.Ok(await tiers.EvaluateAllAsync(context.Caller().WorkspaceId, cancellationToken: cancellationToken));

    public static async Task<Ok<CustomerPointsView>> GetPoints(Guid id, HttpContext context, PointsBook points, TierBook tiers)
    {
        var caller = context.Caller();
        var balance = await points.BalanceAsync(caller.WorkspaceId, id, caller.OnlyOwnedBy);
        var tier = await tiers.CustomerAsync(caller.WorkspaceId, id, caller.OnlyOwnedBy);
        return TypedResults.Ok(new CustomerPointsView(balance.Balance, balance.Debt, balance.EarnedTotal, balance.SpentTotal, balance.ExpiringSoon,
            balance.NextExpiry, tier));
    }

    public static async Task<Ok<PointsPage>> ListLedger(Guid id, string? cursor, string? limit, HttpContext context, PointsBook points)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await points.LedgerAsync(caller.WorkspaceId, id, caller.OnlyOwnedBy, cursor, Limit(limit)));
    }

    public static async Task<Ok<CheckInResult>> CheckIn(Guid id, HttpContext context, PointsBook points, LoyaltyAccess access)
    {
        var caller = context.Caller();
        await access.RequireAsync(caller, id);
        return TypedResults.Ok(await points.CheckInAsync(caller.WorkspaceId, id));
    }

    public static async Task<Ok<PointsResult>> CompleteTask(Guid id, string code, TaskRequest? request, HttpContext context, PointsBook points, LoyaltyAccess access)
    {
        var caller = context.Caller();
        await access.RequireAsync(caller, id);
        return TypedResults.Ok(await points.CompleteTaskAsync(caller.WorkspaceId, id, code, request?.IdempotencyKey));
    }

    public static async Task<Ok<PointsResult>> Spend(Guid id, SpendRequest request, HttpContext context, PointsBook points, LoyaltyAccess access)
    {
        var caller = context.Caller();
        await access.RequireAsync(caller, id);
        var amount = request.Points ?? throw new ValidationFailedException("points is required: how many points to spend.", "points");
        var key = request.IdempotencyKey ?? throw new ValidationFailedException("idempotencyKey is required (1 to 200 characters): the same key never spends twice.", "idempotencyKey");
        if (!string.IsNullOrWhiteSpace(request.Gift))
            return TypedResults.Ok(await points.RedeemGiftAsync(caller.WorkspaceId, id, request.Gift, amount, key, caller.Actor));
        return TypedResults.Ok(await points.SpendAsync(caller.WorkspaceId, id, amount, request.Reason ?? "", request.Reference, key, caller.Actor));
    }

    public static async Task<Ok<Pond.Commerce.Coupons.PointsCouponExchange.Exchange>> ExchangeForCoupon(
        Guid id, ExchangeRequest request, HttpContext context, Pond.Commerce.Coupons.PointsCouponExchange exchange, LoyaltyAccess access)
    {
        var caller = context.Caller();
        await access.RequireAsync(caller, id);
        var template = request.TemplateId ?? throw new ValidationFailedException("templateId is required: the coupon template the points buy.", "templateId");
        var cost = request.Points ?? throw new ValidationFailedException("points is required: what the coupon costs.", "points");
        var key = request.IdempotencyKey ?? throw new ValidationFailedException("idempotencyKey is required (1 to 200 characters): the same key never spends twice.", "idempotencyKey");
        return TypedResults.Ok(await exchange.ExchangeAsync(caller.WorkspaceId, id, template, cost, key, caller.Actor));
    }

    public static async Task<Ok<PointsResult>> Adjust(Guid id, AdjustRequest request, HttpContext context, PointsBook points, LoyaltyAccess access)
    {
        var caller = context.Caller();
        await access.RequireAsync(caller, id);
        var amount = request.Points ?? throw new ValidationFailedException("points is required: positive adds, negative takes away.", "points");
        var key = string.IsNullOrWhiteSpace(request.IdempotencyKey) ? $"adjust:{Guid.CreateVersion7():N}" : request.IdempotencyKey.Trim();
        if ((request.Reason?.Length ?? 0) > PointsBook.MaxReason)
            throw new ValidationFailedException($"reason must be at most {PointsBook.MaxReason} characters.", "reason");
        return TypedResults.Ok(await points.AdjustAsync(caller.WorkspaceId, id, amount, request.Reason?.Trim() ?? "", key, caller.Actor));
    }

    public static async Task<Ok<IReadOnlyList<TierChange>>> GetTierHistory(Guid id, HttpContext context, TierBook tiers)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await tiers.HistoryAsync(caller.WorkspaceId, id, caller.OnlyOwnedBy));
    }

    private static int Limit(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return 50;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit is < 1 or > 200)
            throw new ValidationFailedException("limit must be a whole number from 1 to 200.", "limit");
        return limit;
    }

    /// <summary>Keeps the read-only analyst role out of endpoints that record customer actions.</summary>
    private static RouteHandlerBuilder NotForAnalyst(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter(async (context, next) =>
            context.HttpContext.Caller().Role == Roles.Analyst
                ? TypedResults.Problem("The analyst role is read-only; ask an operator or the customer's staff member.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden")
                : await next(context));
}

internal sealed record CustomerPointsView(long Balance, long Debt, long EarnedTotal, long SpentTotal, long ExpiringSoon, DateTimeOffset? NextExpiry,
    CustomerTierView Tier);

internal sealed class ExchangeRequest
{
    public Guid? TemplateId { get; init; }
    public long? Points { get; init; }
    public string? IdempotencyKey { get; init; }
}

internal sealed class SpendRequest
{
    public long? Points { get; init; }
    /// <summary>Why (e.g. "Redeemed for coupon 满100减20").</summary>
    public string? Reason { get; init; }
    /// <summary>What it paid for (a coupon id, a gift order id).</summary>
    public string? Reference { get; init; }
    /// <summary>A gift name: the spend is recorded as a gift redemption.</summary>
    public string? Gift { get; init; }
    public string? IdempotencyKey { get; init; }
}

internal sealed class AdjustRequest
{
    public long? Points { get; init; }
    public string? Reason { get; init; }
    public string? IdempotencyKey { get; init; }
}

internal sealed class TaskRequest
{
    /// <summary>The completion's own id (a review id), so a repeat is not counted twice.</summary>
    public string? IdempotencyKey { get; init; }
}

/// <summary>The staff role acts only on its own customers; everyone else on any customer of the workspace.</summary>
internal sealed class LoyaltyAccess(Pond.Storage.Database database)
{
    public async Task RequireAsync(Caller caller, Guid customerId)
    {
        await using var connection = await database.OpenAsync();
        await LoyaltyDb.RequireCustomerAsync(connection, caller.WorkspaceId, customerId, caller.OnlyOwnedBy);
    }
}
