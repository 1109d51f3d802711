using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Audience;
using Pond.Customers;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Audience;

/// <summary>
/// The admin API for tags: tag groups (/api/tag-groups), the tag catalog with customer counts (/api/tags), a customer's
/// tags, bulk tagging and the tag history. Catalog changes need the operate role and are audited; a customer's tags may be
/// changed by operators, and by staff on the customers they own. Every change to a customer's tags is in the tag history.
/// </summary>
internal static class TagsApi
{
    public const int MaxBulkCustomers = 10_000;

    public static IServiceCollection AddTags(this IServiceCollection services)
    {
        services.AddSingleton<CustomerTags>();
        services.AddSingleton<TagCatalog>();
        services.AddSingleton<ICustomerMergeParticipant, TagMergeParticipant>();
        return services;
    }

    public static IEndpointRouteBuilder MapTagsApi(this IEndpointRouteBuilder routes)
    {
        var groups = Group(routes, "/api/tag-groups", "Tag groups");
        groups.MapGet("/", ListTagGroups).WithName("ListTagGroups").WithSummary("Tag groups by sort order, with how many tags each holds and how many customers carry one of them.");
        groups.MapGet("/{id:guid}", GetTagGroup).WithName("GetTagGroup").ProducesProblem(StatusCodes.Status404NotFound);
        groups.MapPost("/", CreateTagGroup).WithName("CreateTagGroup").RequireAuthorization(Policies.Operate)
            .WithSummary("Creates a tag group (肤质, 兴趣…). Audited.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        groups.MapPut("/{id:guid}", UpdateTagGroup).WithName("UpdateTagGroup").RequireAuthorization(Policies.Operate)
            .WithSummary("Renames a tag group or changes its description and sort order. Audited.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        groups.MapDelete("/{id:guid}", DeleteTagGroup).WithName("DeleteTagGroup").RequireAuthorization(Policies.Operate)
            .WithSummary("Deletes a tag group; its tags stay, ungrouped. Audited.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        var tags = Group(routes, "/api/tags", "Tags");
        tags.MapGet("/", ListTags).WithName("ListTags").WithSummary("Every tag in the catalog with its group and how many customers carry it.");
        tags.MapGet("/{id:guid}", GetTag).WithName("GetTag").ProducesProblem(StatusCodes.Status404NotFound);
        tags.MapPost("/", CreateTag).WithName("CreateTag").RequireAuthorization(Policies.Operate)
            .WithSummary("Adds a tag to the catalog (optionally in a group). Audited.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        tags.MapPut("/{id:guid}", UpdateTag).WithName("UpdateTag").RequireAuthorization(Policies.Operate)
            .WithSummary("Renames a tag (on every customer, recorded in their tag history), moves it to another group, or changes its description. Audited.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        tags.MapDelete("/{id:guid}", DeleteTag).WithName("DeleteTag").RequireAuthorization(Policies.Operate)
            .WithSummary("Deletes a tag from the catalog and from every customer (recorded in their tag history). Audited.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        tags.MapPost("/bulk", BulkTag).WithName("BulkTagCustomers").AddEndpointFilter(ChangesCustomerTags)
            .WithSummary("Adds a tag to, or removes it from, up to 10,000 customers at once; answers how many actually changed.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        tags.MapGet("/history", TagHistory).WithName("ListTagHistory")
            .WithSummary("Tag changes, newest first, one page at a time: of one tag (tag=…) or of the whole workspace.")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        var customers = Group(routes, "/api/customers", "Customer tags");
        customers.MapGet("/{id:guid}/tags", CustomerTagList).WithName("ListCustomerTags").WithSummary("The customer's tags with where each came from.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        customers.MapPost("/{id:guid}/tags", AddCustomerTags).WithName("AddCustomerTags").AddEndpointFilter(ChangesCustomerTags)
            .WithSummary("Adds tags to the customer (body {\"tags\": [...]}); tags the customer has already are left as they are.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        customers.MapDelete("/{id:guid}/tags/{tag}", RemoveCustomerTag).WithName("RemoveCustomerTag").AddEndpointFilter(ChangesCustomerTags)
            .WithSummary("Removes a tag from the customer (URL-encode the tag name).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        customers.MapGet("/{id:guid}/tag-history", CustomerTagHistory).WithName("ListCustomerTagHistory")
            .WithSummary("The customer's tag changes, newest first, one page at a time: what, by whom or what, and when.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    private static RouteGroupBuilder Group(IEndpointRouteBuilder routes, string prefix, string tag) =>
        routes.MapGroup(prefix).WithTags(tag).RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);

    /// <summary>Operators tag anyone; staff tag the customers they own (others are 404s); analysts only read.</summary>
    private static async ValueTask<object?> ChangesCustomerTags(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var caller = context.HttpContext.Caller();
        return caller.CanOperate || caller.OnlyOwnedBy is not null
            ? await next(context)
            : TypedResults.Problem("Your role can read tags but not change them. Ask an operator.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
    }

    /// <summary>A secret key is the API; a signed-in member using the console's cookie is a person at the console.</summary>
    internal static string Source(HttpContext context) =>
        context.User.HasClaim(c => c.Type == PondClaims.KeyKind) ? TagSources.Api : TagSources.Manual;

    public static async Task<Ok<IReadOnlyList<TagGroup>>> ListTagGroups(HttpContext context, TagCatalog catalog) =>
        TypedResults.Ok(await catalog.ListGroupsAsync(context.Caller().WorkspaceId, context.Caller().OnlyOwnedBy));

    public static async Task<Ok<TagGroup>> GetTagGroup(Guid id, HttpContext context, TagCatalog catalog) =>
        TypedResults.Ok(await catalog.GetGroupAsync(context.Caller().WorkspaceId, id, context.Caller().OnlyOwnedBy));

    public static async Task<Created<TagGroup>> CreateTagGroup(TagGroupInput input, HttpContext context, TagCatalog catalog)
    {
        var caller = context.Caller();
        var created = await catalog.CreateGroupAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/tag-groups/{created.Id}", created);
    }

    public static async Task<Ok<TagGroup>> UpdateTagGroup(Guid id, TagGroupInput input, HttpContext context, TagCatalog catalog)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await catalog.UpdateGroupAsync(caller.WorkspaceId, id, input, caller.Actor));
    }

    public static async Task<NoContent> DeleteTagGroup(Guid id, HttpContext context, TagCatalog catalog)
    {
        var caller = context.Caller();
        await catalog.DeleteGroupAsync(caller.WorkspaceId, id, caller.Actor);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<IReadOnlyList<CatalogTag>>> ListTags(HttpContext context, TagCatalog catalog)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await catalog.ListTagsAsync(caller.WorkspaceId, caller.OnlyOwnedBy));
    }

    public static async Task<Ok<CatalogTag>> GetTag(Guid id, HttpContext context, TagCatalog catalog)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await catalog.GetTagAsync(caller.WorkspaceId, id, caller.OnlyOwnedBy));
    }

    public static async Task<Created<CatalogTag>> CreateTag(TagInput input, HttpContext context, TagCatalog catalog)
    {
        var caller = context.Caller();
        var created = await catalog.CreateTagAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/tags/{created.Id}", created);
    }

    public static async Task<Ok<CatalogTag>> UpdateTag(Guid id, TagInput input, HttpContext context, TagCatalog catalog)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await catalog.UpdateTagAsync(caller.WorkspaceId, id, input, Source(context), caller.Actor));
    }

    public static async Task<NoContent> DeleteTag(Guid id, HttpContext context, TagCatalog catalog)
    {
        var caller = context.Caller();
        await catalog.DeleteTagAsync(caller.WorkspaceId, id, Source(context), caller.Actor);
        return TypedResults.NoContent();
    }

    internal sealed class BulkRequest
    {
        /// <summary>The tag name.</summary>
        public string? Tag { get; init; }

        /// <summary>add or remove.</summary>
        public string? Action { get; init; }

        /// <summary>1 to 10,000 customer ids of this workspace.</summary>
        public List<Guid>? CustomerIds { get; init; }
    }

    public static async Task<Ok<TagChange>> BulkTag(BulkRequest request, HttpContext context, CustomerTags customerTags)
    {
        var add = request.Action switch
        {
            "add" => true,
            "remove" => false,
            _ => throw new ValidationFailedException($"action must be \"add\" or \"remove\"; got {(request.Action is null ? "nothing" : $"'{request.Action}'")}.", "action"),
        };
        var tag = TagNames.Clean(request.Tag);
        var ids = request.CustomerIds ?? [];
        if (ids.Count == 0)
            throw new ValidationFailedException("customerIds is empty; list the ids of the customers to tag (at most 10,000 per call).", "customerIds");
        if (ids.Count > MaxBulkCustomers)
            throw new ValidationFailedException($"customerIds lists {ids.Count:N0} ids; send at most 10,000 per call and split the rest into more calls.", "customerIds");
        var caller = context.Caller();
        var changed = add
            ? await customerTags.AddAsync(caller.WorkspaceId, ids, tag, TagSources.Bulk, caller.Actor, caller.OnlyOwnedBy)
            : await customerTags.RemoveAsync(caller.WorkspaceId, ids, tag, TagSources.Bulk, caller.Actor, caller.OnlyOwnedBy);
        return TypedResults.Ok(new TagChange { Tag = tag, Action = add ? TagActions.Added : TagActions.Removed, Requested = ids.Distinct().Count(), Changed = changed });
    }

    public static async Task<Ok<TagHistoryPage>> TagHistory(string? tag, string? cursor, string? limit, HttpContext context, TagCatalog catalog)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await catalog.HistoryAsync(caller.WorkspaceId, null, string.IsNullOrWhiteSpace(tag) ? null : tag, caller.OnlyOwnedBy, cursor, limit));
    }

    public static async Task<Ok<IReadOnlyList<TagView>>> CustomerTagList(Guid id, HttpContext context, TagCatalog catalog)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await catalog.CustomerTagsAsync(caller.WorkspaceId, id, caller.OnlyOwnedBy));
    }

    internal sealed class CustomerTagsRequest
    {
        /// <summary>Tag names to add (1–50 characters each, no '|' or ','); at most 50 per call.</summary>
        public List<string>? Tags { get; init; }
    }

    public static async Task<Ok<IReadOnlyList<TagView>>> AddCustomerTags(Guid id, CustomerTagsRequest request, HttpContext context, CustomerTags customerTags,
        TagCatalog catalog)
    {
        var names = request.Tags ?? [];
        if (names.Count == 0)
            throw new ValidationFailedException("Send {\"tags\": [\"…\"]} with at least one tag name.", "tags");
        if (names.Count > 50)
            throw new ValidationFailedException($"tags lists {names.Count} names; add at most 50 per call.", "tags");
        // All names are checked before any is applied, so a bad one changes nothing.
        var clean = names.Select(n => TagNames.Clean(n, "tags")).Distinct(StringComparer.Ordinal).ToList();
        var caller = context.Caller();
        foreach (var tag in clean)
            await customerTags.AddAsync(caller.WorkspaceId, [id], tag, Source(context), caller.Actor, caller.OnlyOwnedBy);
        return TypedResults.Ok(await catalog.CustomerTagsAsync(caller.WorkspaceId, id, caller.OnlyOwnedBy));
    }

    public static async Task<Ok<IReadOnlyList<TagView>>> RemoveCustomerTag(Guid id, string tag, HttpContext context, CustomerTags customerTags, TagCatalog catalog)
    {
        var caller = context.Caller();
        await customerTags.RemoveAsync(caller.WorkspaceId, [id], tag, Source(context), caller.Actor, caller.OnlyOwnedBy);
        return TypedResults.Ok(await catalog.CustomerTagsAsync(caller.WorkspaceId, id, caller.OnlyOwnedBy));
    }

    public static async Task<Ok<TagHistoryPage>> CustomerTagHistory(Guid id, string? cursor, string? limit, HttpContext context, TagCatalog catalog)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await catalog.HistoryAsync(caller.WorkspaceId, id, null, caller.OnlyOwnedBy, cursor, limit));
    }
}
