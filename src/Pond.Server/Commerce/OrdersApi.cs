using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Commerce;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Commerce;

/// <summary>
/// The admin API for orders (/api/orders): record an order (idempotent on its id), refund it, list and read orders
/// with their attribution, and GMV by channel (first or last touch) or by staff member. Recording and refunding
/// need Operate; the staff role reads only its own customers' orders.
/// </summary>
internal static class OrdersApi
{
    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder routes)
    {
        var orders = routes.MapGroup("/api/orders")
            .WithTags("Orders")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        orders.MapPost("/", RecordOrder).WithName("RecordOrder").RequireAuthorization(Policies.Operate)
            .WithSummary("Records an order: 201 when new, 200 with the stored order when its id is already known. Redeems its coupons, earns points, re-evaluates the tier.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        orders.MapGet("/", ListOrders).WithName("ListOrders")
            .WithSummary("Orders, newest first, one page at a time; filter by time, customer, staff, channel, status, sales channel, private domain.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        orders.MapGet("/attribution", GetAttribution).WithName("GetOrderAttribution")
            .WithSummary("GMV, refunds and net by channel (first_touch or last_touch model) or by credited staff member, over a period.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        orders.MapGet("/settings", GetCommerceSettings).WithName("GetCommerceSettings").WithSummary("The attribution window in days.");
        orders.MapPut("/settings", SetCommerceSettings).WithName("SetCommerceSettings").RequireAuthorization(Policies.Operate)
            .WithSummary("Changes the attribution window (1–365 days); orders recorded afterwards use it.").ProducesProblem(StatusCodes.Status400BadRequest);
        orders.MapGet("/{orderId}", GetOrder).WithName("GetOrder")
            .WithSummary("One order with its lines, refunds, credited staff member and first- and last-touch channels.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        orders.MapPost("/{orderId}/refunds", RefundOrder).WithName("RefundOrder").RequireAuthorization(Policies.Operate)
            .WithSummary("Records a full or partial refund (idempotent on refundId); reverses the points it earned and, when the order is wholly refunded, frees its coupons.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    internal sealed class OrderRequest
    {
        public string? OrderId { get; init; }
        public Guid? CustomerId { get; init; }
        public string? UserId { get; init; }
        public DateTimeOffset? PlacedAt { get; init; }
        public string? SalesChannel { get; init; }
        public bool? PrivateDomain { get; init; }
        public string? Currency { get; init; }
        public List<ItemRequest>? Items { get; init; }
        public decimal? Paid { get; init; }
        public decimal? Discount { get; init; }
        public decimal? Shipping { get; init; }
        public List<string>? CouponCodes { get; init; }

        /// <summary>The staff tracking code from the link or mini-program path (?sc=).</summary>
        public string? TrackingCode { get; init; }

        /// <summary>A live-code slug or channel id the order came through.</summary>
        public string? ChannelCode { get; init; }

        public OrderInput ToInput() => new()
        {
            OrderId = OrderId,
            CustomerId = CustomerId,
            UserId = UserId,
            PlacedAt = PlacedAt,
            SalesChannel = SalesChannel,
            PrivateDomain = PrivateDomain,
            Currency = Currency,
            Items = (Items ?? []).Select(i => i is null ? null! : new OrderLineInput(i.Sku ?? "", i.Name, i.Category, i.Price ?? -1, i.Quantity ?? 0)).ToList(),
            Paid = Paid,
            Discount = Discount,
            Shipping = Shipping,
            CouponCodes = CouponCodes ?? [],
            TrackingCode = TrackingCode,
            ChannelCode = ChannelCode,
            Source = OrderSources.Api,
        };
    }

    internal sealed class ItemRequest
    {
        public string? Sku { get; init; }
        public string? Name { get; init; }
        public string? Category { get; init; }
        public decimal? Price { get; init; }
        public int? Quantity { get; init; }
    }

    internal sealed record RecordOrderResponse(OrderDetail Order, bool Created, IReadOnlyList<string> Warnings);

    internal sealed class RefundRequest
    {
        public string? RefundId { get; init; }
        public decimal? Amount { get; init; }
        public List<RefundLineInput>? Items { get; init; }
        public string? Reason { get; init; }
        public DateTimeOffset? RefundedAt { get; init; }
    }

    internal sealed record RefundResponse(OrderDetail Order, RefundView Refund, bool Created);

    public static async Task<Results<Created<RecordOrderResponse>, Ok<RecordOrderResponse>>> RecordOrder(
        OrderRequest request, HttpContext context, OrderBook book, OrderReports reports, AuditLog audit)
    {
        var caller = context.Caller();
        if (request.Items?.Any(i => i is not null && i.Price is null) == true)
            throw new ValidationFailedException("Every item needs a price in yuan.", "items");
        var result = await book.RecordAsync(caller.WorkspaceId, request.ToInput(), caller.Actor, context.RequestAborted);
        var detail = (await reports.DetailAsync(caller.WorkspaceId, result.Order.OrderId))!;
        var response = new RecordOrderResponse(detail, result.Created, result.Warnings);
        if (!result.Created)
            return TypedResults.Ok(response);
        await audit.RecordAsync(caller.WorkspaceId, caller.Actor, "order.record", result.Order.OrderId);
        return TypedResults.Created($"/api/orders/{Uri.EscapeDataString(result.Order.OrderId)}", response);
    }

    public static async Task<Ok<OrderPage>> ListOrders(
        HttpContext context, OrderReports reports, DateTimeOffset? from, DateTimeOffset? to, Guid? customerId, Guid? staffId, Guid? channelId,
        string? status, string? salesChannel, bool? privateDomain, string? cursor, int? limit)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await reports.ListAsync(caller.WorkspaceId, new OrderListQuery
        {
            From = from, To = to, CustomerId = customerId, StaffId = staffId, ChannelId = channelId,
            Status = string.IsNullOrWhiteSpace(status) ? null : status.Trim(),
            SalesChannel = string.IsNullOrWhiteSpace(salesChannel) ? null : salesChannel.Trim(),
            PrivateDomain = privateDomain, OnlyOwnedBy = caller.OnlyOwnedBy, Cursor = cursor, Limit = limit ?? 50,
        }));
    }

    public static async Task<Results<Ok<OrderDetail>, NotFound<string>>> GetOrder(string orderId, HttpContext context, OrderReports reports)
    {
        var caller = context.Caller();
        return await reports.DetailAsync(caller.WorkspaceId, orderId, caller.OnlyOwnedBy) is { } detail
            ? TypedResults.Ok(detail)
            : TypedResults.NotFound($"No order '{orderId}'.");
    }

    public static async Task<Results<Created<RefundResponse>, Ok<RefundResponse>>> RefundOrder(
        string orderId, RefundRequest request, HttpContext context, OrderBook book, OrderReports reports, AuditLog audit)
    {
        var caller = context.Caller();
        var input = new RefundInput
        {
            RefundId = request.RefundId, Amount = request.Amount, Items = request.Items ?? [], Reason = request.Reason, RefundedAt = request.RefundedAt,
        };
        var (order, refund, created) = await book.RefundAsync(caller.WorkspaceId, orderId, input, caller.Actor, context.RequestAborted);
        var detail = (await reports.DetailAsync(caller.WorkspaceId, order.OrderId))!;
        var view = detail.Refunds.First(r => r.RefundId == refund.RefundId);
        var response = new RefundResponse(detail, view, created);
        if (!created)
            return TypedResults.Ok(response);
        await audit.RecordAsync(caller.WorkspaceId, caller.Actor, "order.refund", $"{order.OrderId}/{refund.RefundId}", new { amount = view.Amount });
        return TypedResults.Created($"/api/orders/{Uri.EscapeDataString(order.OrderId)}", response);
    }

    public static async Task<Ok<AttributionReport>> GetAttribution(
        HttpContext context, OrderReports reports, TimeProvider clock, string? model, string? by, DateTimeOffset? from, DateTimeOffset? to)
    {
        var caller = context.Caller();
        var end = to ?? clock.GetUtcNow();
        var start = from ?? end.AddDays(-30);
        return TypedResults.Ok(await reports.AttributionAsync(caller.WorkspaceId, model ?? AttributionModels.LastTouch, by ?? "channel", start, end, caller.OnlyOwnedBy));
    }

    public static async Task<Ok<CommerceSettings>> GetCommerceSettings(HttpContext context, OrderReports reports) =>
        TypedResults.Ok(await reports.SettingsAsync(context.Caller().WorkspaceId));

    public static async Task<Ok<CommerceSettings>> SetCommerceSettings(CommerceSettings request, HttpContext context, OrderReports reports, AuditLog audit)
    {
        var caller = context.Caller();
        var saved = await reports.SaveSettingsAsync(caller.WorkspaceId, request);
        await audit.RecordAsync(caller.WorkspaceId, caller.Actor, "commerce.settings", null, saved);
        return TypedResults.Ok(saved);
    }
}
