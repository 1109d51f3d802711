using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Audience;
using Pond.Customers;
using Pond.Server.Auth;
using Pond.Server.Customers;
using Pond.Workspaces;

namespace Pond.Server.Audience;

/// <summary>GET /api/customers/export.csv: the customer pool, or the customer list's filtered view of it, as CSV.</summary>
internal static class CustomerExportApi
{
    public static IEndpointRouteBuilder MapCustomerExportApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/customers/export.csv", Export)
            .WithTags("Customers")
            .RequireAuthorization(Policies.Read)
            .WithName("ExportCustomers")
            .WithSummary("Customers as CSV (UTF-8 with BOM), filtered like the customer list; phone and email unmasked for operate roles unless mask=true.")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return routes;
    }

    /// <param name="mask">true: mask phone and email (always masked for roles that do not operate).</param>
    public static async Task<PushStreamHttpResult> Export([AsParameters] CustomersApi.ListRequest request, bool? mask, HttpContext context,
        CustomerDirectory customers, CustomerCsvExport export, AuditLog audit, TimeProvider clock)
    {
        var caller = context.Caller();
        var viewer = caller.Viewer();
        var query = CustomerQuery.Parse(request.Search, request.Depth, request.Carrier, request.Staff, request.Consent, null, null);
        // Bad filters (an unknown staff or carrier) must fail before the 200 and the first bytes go out.
        await customers.ListAsync(viewer, query with { Limit = 1 });
        var masked = mask == true || !caller.CanOperate;
        await audit.RecordAsync(caller.WorkspaceId, caller.Actor, "customers.export", null,
            new { request.Search, request.Depth, request.Carrier, request.Staff, request.Consent, masked });
        var name = $"customers-{clock.GetUtcNow():yyyyMMdd-HHmm}.csv";
        return TypedResults.Stream(
            stream => export.WriteAsync(caller.WorkspaceId, () => Ids(customers, viewer, query, context.RequestAborted), stream,
                new CustomerExportOptions { Mask = masked }, context.RequestAborted),
            "text/csv; charset=utf-8", name);
    }

    /// <summary>The list's ids a thousand at a time, following its cursor.</summary>
    internal static async IAsyncEnumerable<Guid> Ids(CustomerDirectory customers, CustomerViewer viewer, CustomerQuery query,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var page = query with { After = null, Limit = CustomerCsvExport.ChunkSize };
        while (true)
        {
            var result = await customers.ListAsync(viewer, page, cancellationToken);
            foreach (var item in result.Items)
                yield return item.Id;
            if (result.NextCursor is null || result.Items.Count == 0)
                yield break;
            page = page with { After = result.Items[^1].Id };
        }
    }
}
