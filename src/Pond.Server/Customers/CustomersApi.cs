using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Pond.Customers;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Customers;

/// <summary>The admin API's customer pool: list and search, the customer 360, the timeline, and consent.</summary>
internal static class CustomersApi
{
    public static IServiceCollection AddCustomers(this IServiceCollection services) => services.AddSingleton<CustomerDirectory>();

    public static RouteGroupBuilder MapCustomersApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/customers")
            .WithTags("Customers")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapGet("/", ListCustomers)
            .WithName("ListCustomers")
            .WithSummary("Search and filter customers, newest first, one page at a time; phone and email are masked.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/{id:guid}", GetCustomer)
            .WithName("GetCustomer")
            .WithSummary("The customer 360. A merged-away id answers 404 with mergedInto naming the survivor.");
        group.MapGet("/{id:guid}/events", GetTimeline)
            .WithName("GetCustomerTimeline")
            .WithSummary("The customer's events, newest first, one page at a time.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPut("/{id:guid}/consent", SetConsent)
            .WithName("SetCustomerConsent")
            .WithSummary("Opt a customer out of marketing, or back in. Audited.")
            .RequireAuthorization(Policies.Operate)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    /// <summary>Who the caller is, as the customer read side needs it.</summary>
    public static CustomerViewer Viewer(this Caller caller) => new(caller.WorkspaceId, caller.OnlyOwnedBy, caller.CanOperate);

    internal sealed class ListRequest
    {
        /// <summary>Part of a name, a phone number (or its last 4+ digits), or any identity value.</summary>
        [FromQuery(Name = "search")] public string? Search { get; init; }

        /// <summary>none, fan, community or friend.</summary>
        [FromQuery(Name = "depth")] public string? Depth { get; init; }

        /// <summary>A carrier id: customers with a live relationship with it.</summary>
        [FromQuery(Name = "carrier")] public string? Carrier { get; init; }

        /// <summary>A staff id: customers that staff member owns.</summary>
        [FromQuery(Name = "staff")] public string? Staff { get; init; }

        /// <summary>opted_in or opted_out.</summary>
        [FromQuery(Name = "consent")] public string? Consent { get; init; }

        [FromQuery(Name = "cursor")] public string? Cursor { get; init; }

        /// <summary>1 to 200, default 50.</summary>
        [FromQuery(Name = "limit")] public string? Limit { get; init; }
    }

    public static async Task<Ok<CustomerPage>> ListCustomers([AsParameters] ListRequest request, HttpContext context, CustomerDirectory customers,
        CancellationToken cancellationToken)
    {
        var query = CustomerQuery.Parse(request.Search, request.Depth, request.Carrier, request.Staff, request.Consent, request.Cursor, request.Limit);
        return TypedResults.Ok(await customers.ListAsync(context.Caller().Viewer(), query, cancellationToken));
    }

    public static async Task<Results<Ok<CustomerDetail>, ProblemHttpResult>> GetCustomer(Guid id, HttpContext context, CustomerDirectory customers,
        CancellationToken cancellationToken)
    {
        var found = await customers.FindAsync(context.Caller().Viewer(), id, cancellationToken);
        if (found.Customer is { } customer)
            return TypedResults.Ok(customer);
        if (found.MergedInto is { } survivor)
        {
            // A 404 rather than a redirect: the old id is gone for good, and clients should store the survivor's id.
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Customer merged",
                detail: $"Customer {id} was merged into {survivor}; use that id from now on.",
                extensions: new Dictionary<string, object?> { ["mergedInto"] = survivor, ["survivorUrl"] = $"/api/customers/{survivor}" });
        }

        return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No customer {id} in this workspace.");
    }

    public static async Task<Ok<TimelinePage>> GetTimeline(Guid id, string? cursor, string? limit, HttpContext context, CustomerDirectory customers,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await customers.TimelineAsync(context.Caller().Viewer(), id, cursor, limit, cancellationToken));

    internal sealed class ConsentRequest
    {
        /// <summary>true: no marketing messages; false: the customer opted back in.</summary>
        public bool? MarketingOptOut { get; init; }
    }

    public static async Task<Ok<ConsentView>> SetConsent(Guid id, ConsentRequest request, HttpContext context, CustomerDirectory customers,
        CancellationToken cancellationToken)
    {
        if (request.MarketingOptOut is not { } optOut)
            throw new ValidationFailedException("Send {\"marketingOptOut\": true} to opt the customer out, or false to opt them back in.", "marketingOptOut");
        var caller = context.Caller();
        return TypedResults.Ok(await customers.SetConsentAsync(caller.Viewer(), id, optOut, caller.Actor, cancellationToken));
    }
}
