using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Commerce.Coupons;
using Pond.Customers;
using Pond.Server.Auth;
using Pond.Server.Customers;
using Pond.Workspaces;

namespace Pond.Server.Commerce;

/// <summary>The admin API for coupons: templates (/api/coupon-templates), issued coupons and redemption (/api/coupons).</summary>
internal static class CouponsApi
{
    /// <summary>The coupon services are part of the core (AddCommerce); the server adds the expiry worker when it runs engines.</summary>
    public static IServiceCollection AddCouponsApi(this IServiceCollection services, bool runEngines) =>
        runEngines ? services.AddCouponExpiry() : services;

    public static IEndpointRouteBuilder MapCouponsApi(this IEndpointRouteBuilder routes)
    {
        var templates = routes.MapGroup("/api/coupon-templates")
            .WithTags("Coupons")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .NotForStaffRole("Coupon templates range over every customer");
        templates.MapGet("/", ListTemplates).WithName("ListCouponTemplates").WithSummary("Every coupon template with its metrics (issued, redeemed, 核销率, GMV, discount cost).");
        templates.MapPost("/", CreateTemplate).WithName("CreateCouponTemplate").RequireAuthorization(Policies.Operate)
            .WithSummary("Defines a coupon template: kind, validity, limits, stock, applicable items, minimum spend, stacking.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        templates.MapGet("/{id:guid}", GetTemplate).WithName("GetCouponTemplate").WithSummary("One template with its metrics.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        templates.MapPut("/{id:guid}", UpdateTemplate).WithName("UpdateCouponTemplate").RequireAuthorization(Policies.Operate)
            .WithSummary("Changes a template (fields left out stay); validity changes apply to coupons issued afterwards.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        templates.MapGet("/{id:guid}/daily", GetDaily).WithName("GetCouponTemplateDaily")
            .WithSummary("Coupons issued and redeemed, GMV and discount cost per day (default: the last 30 days).").ProducesProblem(StatusCodes.Status404NotFound);
        templates.MapGet("/{id:guid}/coupons", ListCoupons).WithName("ListTemplateCoupons")
            .WithSummary("The template's coupons, most recently changed first (optionally one status).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        templates.MapPost("/{id:guid}/issue", Issue).WithName("IssueCoupon").RequireAuthorization(Policies.Operate)
            .WithSummary("Issues one coupon to a customer. An idempotency key (body or Idempotency-Key header) issues at most once.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        templates.MapPost("/{id:guid}/issue-segment", IssueToSegment).WithName("IssueCouponsToSegment").RequireAuthorization(Policies.Operate)
            .WithSummary("Issues one coupon to every member of a segment, within stock and the per-customer limit; retrying with the same issueKey issues nothing twice.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        var coupons = routes.MapGroup("/api/coupons")
            .WithTags("Coupons")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .NotForStaffRole("Coupons are redeemed by the shop, not by staff accounts");
        coupons.MapGet("/{code}", GetCoupon).WithName("GetCoupon").WithSummary("One coupon by its code.").ProducesProblem(StatusCodes.Status404NotFound);
        coupons.MapPost("/{code}/validate", Validate).WithName("ValidateCoupon").RequireAuthorization(Policies.Operate)
            .WithSummary("Checks every rule against a cart and quotes the discount, without redeeming.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        coupons.MapPost("/{code}/redeem", Redeem).WithName("RedeemCoupon").RequireAuthorization(Policies.Operate)
            .WithSummary("Redeems a coupon against an order atomically; the same order again returns the same result.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        coupons.MapPost("/{code}/revoke", Revoke).WithName("RevokeCoupon").RequireAuthorization(Policies.Operate)
            .WithSummary("Withdraws an unused coupon.").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        routes.MapGroup("/api/customers").WithTags("Coupons").RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .MapGet("/{id:guid}/coupons", CustomerCoupons).WithName("ListCustomerCoupons")
            .WithSummary("A customer's coupons, newest first.").ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    internal sealed class TemplateRequest
    {
        public string? Name { get; init; }
        public string? Description { get; init; }
        /// <summary>percent, amount, threshold, free_shipping or gift.</summary>
        public string? Kind { get; init; }
        /// <summary>percent coupons: what the customer pays, 1..99 (85 = 85折).</summary>
        public int? Percent { get; init; }
        public decimal? Amount { get; init; }
        public decimal? Threshold { get; init; }
        public decimal? MaxDiscount { get; init; }
        public string? GiftSku { get; init; }
        public decimal? MinSpend { get; init; }
        public DateTimeOffset? ValidFrom { get; init; }
        public DateTimeOffset? ValidTo { get; init; }
        public int? ValidDays { get; init; }
        public int? PerCustomerLimit { get; init; }
        public int? TotalStock { get; init; }
        public List<string>? Skus { get; init; }
        public List<string>? Categories { get; init; }
        /// <summary>exclusive or stackable.</summary>
        public string? Stacking { get; init; }
        /// <summary>active, paused or archived.</summary>
        public string? Status { get; init; }

        public CouponTemplateInput ToInput() => new()
        {
            Name = Name, Description = Description, Kind = Kind, Percent = Percent, Amount = Amount, Threshold = Threshold, MaxDiscount = MaxDiscount,
            GiftSku = GiftSku, MinSpend = MinSpend, ValidFrom = ValidFrom, ValidTo = ValidTo, ValidDays = ValidDays, PerCustomerLimit = PerCustomerLimit,
            TotalStock = TotalStock, Skus = Skus, Categories = Categories, Stacking = Stacking, Status = Status,
        };
    }

    internal sealed record MetricsView(int Issued, int Unused, int Redeemed, int Expired, int Revoked, double RedemptionRate, decimal Gmv, decimal DiscountCost)
    {
        public static MetricsView Of(CouponMetrics? m) => m is null
            ? new MetricsView(0, 0, 0, 0, 0, 0, 0, 0)
            : new MetricsView(m.Issued, m.Unused, m.Redeemed, m.Expired, m.Revoked, m.RedemptionRate, Money.FromFen(m.Gmv), Money.FromFen(m.DiscountCost));
    }

    internal sealed record TemplateView(
        Guid Id, string Name, string? Description, string Kind, string Benefit, int? Percent, decimal? Amount, decimal? Threshold, decimal? MaxDiscount,
        string? GiftSku, decimal MinSpend, DateTimeOffset? ValidFrom, DateTimeOffset? ValidTo, int? ValidDays, int? PerCustomerLimit, int? TotalStock,
        int IssuedCount, IReadOnlyList<string> Skus, IReadOnlyList<string> Categories, string Stacking, string Status, string? CreatedBy,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, MetricsView Metrics)
    {
        public static TemplateView Of(CouponTemplate t, CouponMetrics? m) => new(
            t.Id, t.Name, t.Description, t.Kind, t.Benefit, t.Percent, Yuan(t.Amount), Yuan(t.Threshold), Yuan(t.MaxDiscount), t.GiftSku, Money.FromFen(t.MinSpend),
            t.ValidFrom, t.ValidTo, t.ValidDays, t.PerCustomerLimit, t.TotalStock, t.IssuedCount, t.SkuList, t.CategoryList, t.Stacking, t.Status, t.CreatedBy,
            t.CreatedAt, t.UpdatedAt, MetricsView.Of(m));
    }

    internal sealed record CouponView(
        Guid Id, string Code, Guid TemplateId, string? TemplateName, Guid CustomerId, string Status, string Source, DateTimeOffset IssuedAt,
        DateTimeOffset ValidFrom, DateTimeOffset ValidTo, DateTimeOffset? RedeemedAt, string? OrderId)
    {
        public static CouponView Of(Coupon c) => new(c.Id, c.Code, c.TemplateId, c.TemplateName, c.CustomerId, c.Status, c.Source, c.IssuedAt,
            c.ValidFrom, c.ValidTo, c.RedeemedAt, c.OrderId);
    }

    internal sealed record IssueView(bool Created, CouponView Coupon);

    internal sealed class IssueRequest
    {
        public Guid? CustomerId { get; init; }
        public string? IdempotencyKey { get; init; }
        /// <summary>Where the coupon comes from (manual, api, journey, referral, welcome); default api.</summary>
        public string? Source { get; init; }
    }

    internal sealed class IssueSegmentRequest
    {
        public Guid? SegmentId { get; init; }
        /// <summary>Names this issue: repeating it (a retry) skips members who already got their coupon.</summary>
        public string? IssueKey { get; init; }
    }

    internal sealed record CartItem(string? Sku, string? Category, decimal? Price, int? Quantity);

    internal sealed class CartRequest
    {
        public Guid? CustomerId { get; init; }
        public string? OrderId { get; init; }
        public List<CartItem>? Items { get; init; }
        public decimal? Shipping { get; init; }
        /// <summary>The order's paid amount in yuan (its GMV); default: items + shipping − discount.</summary>
        public decimal? Paid { get; init; }
        /// <summary>Other coupon codes used on the same order (checked for stacking).</summary>
        public List<string>? OtherCodes { get; init; }

        public CouponCart ToCart(bool needOrder)
        {
            var customer = CustomerId ?? throw new ValidationFailedException("customerId is required: the customer using the coupon.", "customerId");
            if (needOrder && string.IsNullOrWhiteSpace(OrderId))
                throw new ValidationFailedException("orderId is required: the order the coupon is used on (redeeming again for the same order is safe).", "orderId");
            if (Items is not { Count: > 0 })
                throw new ValidationFailedException("items is required: the cart lines with sku, category, price (yuan) and quantity.", "items");
            if (Items.Count > 1000)
                throw new ValidationFailedException("items holds at most 1000 lines.", "items");
            var lines = new List<CartLine>(Items.Count);
            for (var i = 0; i < Items.Count; i++)
            {
                var item = Items[i];
                if (string.IsNullOrWhiteSpace(item.Sku))
                    throw new ValidationFailedException($"items[{i}].sku is required.", $"items[{i}].sku");
                if (item.Price is not { } price || price < 0)
                    throw new ValidationFailedException($"items[{i}].price is required and cannot be negative (yuan).", $"items[{i}].price");
                if (item.Quantity is not { } quantity || quantity < 1)
                    throw new ValidationFailedException($"items[{i}].quantity must be 1 or more.", $"items[{i}].quantity");
                lines.Add(new CartLine(item.Sku.Trim(), string.IsNullOrWhiteSpace(item.Category) ? null : item.Category.Trim(), Money.ToFen(price), quantity));
            }

            if (Shipping is < 0)
                throw new ValidationFailedException("shipping cannot be negative.", "shipping");
            if (Paid is < 0)
                throw new ValidationFailedException("paid cannot be negative.", "paid");
            return new CouponCart
            {
                CustomerId = customer, OrderId = OrderId?.Trim(), Lines = lines, Shipping = Money.ToFen(Shipping ?? 0),
                Paid = Paid is { } paid ? Money.ToFen(paid) : null, OtherCodes = OtherCodes ?? [],
            };
        }
    }

    internal sealed record QuoteView(bool Valid, string Code, decimal Discount, decimal ApplicableAmount, string? GiftSku, string? Message);

    internal sealed record RedemptionView(Guid CouponId, string Code, Guid TemplateId, Guid CustomerId, string OrderId, decimal Discount, decimal OrderAmount,
        string? GiftSku, DateTimeOffset RedeemedAt, bool Repeated)
    {
        public static RedemptionView Of(CouponRedemption r) => new(r.CouponId, r.Code, r.TemplateId, r.CustomerId, r.OrderId, Money.FromFen(r.Discount),
            Money.FromFen(r.OrderAmount), r.GiftSku, r.RedeemedAt, r.Repeated);
    }

    internal sealed record DayView(DateOnly Day, int Issued, int Redeemed, decimal Gmv, decimal DiscountCost);

    public static async Task<Ok<List<TemplateView>>> ListTemplates(HttpContext context, CouponTemplates templates)
    {
        var ws = context.Caller().WorkspaceId;
        var metrics = await templates.MetricsAsync(ws);
        return TypedResults.Ok((await templates.ListAsync(ws)).Select(t => TemplateView.Of(t, metrics.GetValueOrDefault(t.Id))).ToList());
    }

    public static async Task<Ok<TemplateView>> GetTemplate(Guid id, HttpContext context, CouponTemplates templates)
    {
        var ws = context.Caller().WorkspaceId;
        return TypedResults.Ok(TemplateView.Of(await templates.GetAsync(ws, id), await templates.MetricsAsync(ws, id)));
    }

    public static async Task<Created<TemplateView>> CreateTemplate(TemplateRequest request, HttpContext context, CouponTemplates templates)
    {
        var caller = context.Caller();
        var template = await templates.CreateAsync(caller.WorkspaceId, request.ToInput(), caller.Actor);
        return TypedResults.Created($"/api/coupon-templates/{template.Id}", TemplateView.Of(template, null));
    }

    public static async Task<Ok<TemplateView>> UpdateTemplate(Guid id, TemplateRequest request, HttpContext context, CouponTemplates templates)
    {
        var caller = context.Caller();
        var template = await templates.UpdateAsync(caller.WorkspaceId, id, request.ToInput(), caller.Actor);
        return TypedResults.Ok(TemplateView.Of(template, await templates.MetricsAsync(caller.WorkspaceId, id)));
    }

    public static async Task<Ok<List<DayView>>> GetDaily(Guid id, int? days, HttpContext context, CouponTemplates templates) =>
        TypedResults.Ok((await templates.DailyAsync(context.Caller().WorkspaceId, id, days ?? 30))
            .Select(d => new DayView(d.Day, d.Issued, d.Redeemed, Money.FromFen(d.Gmv), Money.FromFen(d.DiscountCost))).ToList());

    public static async Task<Ok<List<CouponView>>> ListCoupons(Guid id, string? status, int? limit, HttpContext context, CouponTemplates templates, CouponRedeemer redeemer)
    {
        var ws = context.Caller().WorkspaceId;
        await templates.GetAsync(ws, id);
        return TypedResults.Ok((await redeemer.ListForTemplateAsync(ws, id, string.IsNullOrWhiteSpace(status) ? null : status.Trim(), limit ?? 100))
            .Select(CouponView.Of).ToList());
    }

    public static async Task<Results<Created<IssueView>, Ok<IssueView>>> Issue(Guid id, IssueRequest request, HttpContext context, CouponIssuer issuer)
    {
        var caller = context.Caller();
        var customer = request.CustomerId ?? throw new ValidationFailedException("customerId is required: the customer who receives the coupon.", "customerId");
        var key = string.IsNullOrWhiteSpace(request.IdempotencyKey) ? context.Request.Headers["Idempotency-Key"].FirstOrDefault() : request.IdempotencyKey;
        var source = request.Source?.Trim().ToLowerInvariant() ?? CouponSources.Api;
        if (source is not (CouponSources.Api or CouponSources.Manual or CouponSources.Journey or CouponSources.Referral or CouponSources.Welcome))
            throw new ValidationFailedException("source must be api, manual, journey, referral or welcome.", "source");
        var issue = await issuer.IssueAsync(caller.WorkspaceId, id, customer, source, string.IsNullOrWhiteSpace(key) ? null : key.Trim(), caller.Actor);
        var view = new IssueView(issue.Created, CouponView.Of(issue.Coupon));
        return issue.Created ? TypedResults.Created($"/api/coupons/{issue.Coupon.Code}", view) : TypedResults.Ok(view);
    }

    public static async Task<Ok<BulkIssueResult>> IssueToSegment(Guid id, IssueSegmentRequest request, HttpContext context, CouponIssuer issuer)
    {
        var caller = context.Caller();
        var segment = request.SegmentId ?? throw new ValidationFailedException("segmentId is required: the segment whose members receive a coupon.", "segmentId");
        return TypedResults.Ok(await issuer.IssueToSegmentAsync(caller.WorkspaceId, id, segment, request.IssueKey, caller.Actor, context.RequestAborted));
    }

    public static async Task<Ok<CouponView>> GetCoupon(string code, HttpContext context, CouponRedeemer redeemer) =>
        TypedResults.Ok(CouponView.Of(await redeemer.GetAsync(context.Caller().WorkspaceId, code)));

    public static async Task<Ok<QuoteView>> Validate(string code, CartRequest request, HttpContext context, CouponRedeemer redeemer)
    {
        var cart = request.ToCart(needOrder: false);
        try
        {
            var quote = await redeemer.QuoteAsync(context.Caller().WorkspaceId, code, cart);
            return TypedResults.Ok(new QuoteView(true, quote.Code, Money.FromFen(quote.Discount), Money.FromFen(quote.ApplicableAmount), quote.GiftSku, null));
        }
        catch (Exception e) when (e is ConflictException || (e is ValidationFailedException v && v.Field is "items" or "codes" or "otherCodes"))
        {
            // A coupon that does not apply is an answer here, not an error.
            return TypedResults.Ok(new QuoteView(false, CouponCodes.Normalize(code), 0, 0, null, e.Message));
        }
    }

    public static async Task<Ok<RedemptionView>> Redeem(string code, CartRequest request, HttpContext context, CouponRedeemer redeemer)
    {
        var caller = context.Caller();
        return TypedResults.Ok(RedemptionView.Of(await redeemer.RedeemAsync(caller.WorkspaceId, code, request.ToCart(needOrder: true), caller.Actor)));
    }

    public static async Task<Ok<CouponView>> Revoke(string code, HttpContext context, CouponRedeemer redeemer)
    {
        var caller = context.Caller();
        return TypedResults.Ok(CouponView.Of(await redeemer.RevokeAsync(caller.WorkspaceId, code, caller.Actor)));
    }

    public static async Task<Ok<List<CouponView>>> CustomerCoupons(Guid id, HttpContext context, CustomerDirectory customers, CouponRedeemer redeemer)
    {
        var caller = context.Caller();
        if ((await customers.FindAsync(caller.Viewer(), id)).Customer is null)
            throw new NotFoundException($"No customer {id} in this workspace.");
        return TypedResults.Ok((await redeemer.ListForCustomerAsync(caller.WorkspaceId, id)).Select(CouponView.Of).ToList());
    }

    private static decimal? Yuan(long? fen) => fen is { } f ? Money.FromFen(f) : null;
}
