using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Audience;
using Pond.Customers;
using Pond.Server.Auth;
using Pond.Server.Customers;
using Pond.Staff;
using Pond.Workspaces;

namespace Pond.Server.Audience;

/// <summary>The admin API for segments (/api/segments) and the audience they are drawn from (/api/audience).</summary>
internal static class SegmentsApi
{
    public static IServiceCollection AddSegments(this IServiceCollection services, bool runEngines) => services.AddAudience(runEngines);

    public static IEndpointRouteBuilder MapSegmentsApi(this IEndpointRouteBuilder routes)
    {
        var segments = routes.MapGroup("/api/segments")
            .WithTags("Segments")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .NotForStaffRole("Segments range over every customer");
        segments.MapGet("/", ListSegments).WithName("ListSegments").WithSummary("Every segment with its rule and current member count.");
        segments.MapPost("/", CreateSegment).WithName("CreateSegment").RequireAuthorization(Policies.Operate)
            .WithSummary("Saves a segment; its members are evaluated at once (each enters with a segment.entered event).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        segments.MapPost("/preview", PreviewSegment).WithName("PreviewSegment")
            .WithSummary("Counts the customers a rule matches now, with a sample, without saving anything.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        segments.MapGet("/{id:guid}", GetSegment).WithName("GetSegment").WithSummary("One segment.").ProducesProblem(StatusCodes.Status404NotFound);
        segments.MapPut("/{id:guid}", UpdateSegment).WithName("UpdateSegment").RequireAuthorization(Policies.Operate)
            .WithSummary("Changes a segment's name, rule, synced tag or status; members are re-evaluated at once.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        segments.MapDelete("/{id:guid}", DeleteSegment).WithName("DeleteSegment").RequireAuthorization(Policies.Operate)
            .WithSummary("Deletes a segment and its memberships.").ProducesProblem(StatusCodes.Status404NotFound);
        segments.MapGet("/{id:guid}/members", ListMembers).WithName("ListSegmentMembers")
            .WithSummary("The segment's members, newest customers first, one page at a time.").ProducesProblem(StatusCodes.Status404NotFound);
        segments.MapPost("/{id:guid}/tags", TagMembers).WithName("TagSegmentMembers").RequireAuthorization(Policies.Operate)
            .WithSummary("Adds a tag to every current member, or removes it from them; each change goes in the customer's tag history.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        segments.MapGet("/{id:guid}/export.csv", ExportSegment).WithName("ExportSegment")
            .WithSummary("The segment's members as CSV (UTF-8 with BOM); phone and email unmasked for operate roles unless mask=true. Audited.")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv").ProducesProblem(StatusCodes.Status404NotFound);
        segments.MapGet("/{id:guid}/sizes", GetSizes).WithName("GetSegmentSizes")
            .WithSummary("The segment's size at the end of each day (default: the last 30 days).").ProducesProblem(StatusCodes.Status404NotFound);

        var audience = routes.MapGroup("/api/audience")
            .WithTags("Segments")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .NotForStaffRole("Segments range over every customer");
        audience.MapGet("/vocabulary", GetVocabulary).WithName("GetAudienceVocabulary")
            .WithSummary("What rules can name: trait keys, tags, events and their properties, staff and carriers.");
        audience.MapGet("/events", ListAudienceEvents).WithName("ListAudienceEvents")
            .WithSummary("The audience event stream in order (segment.entered, segment.exited, lifecycle.changed), after a sequence number.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return routes;
    }

    internal sealed class SegmentRequest
    {
        public string? Name { get; init; }
        public string? Description { get; init; }

        /// <summary>The rule: a condition tree, see docs/segments.md.</summary>
        public JsonElement? Rule { get; init; }

        /// <summary>A tag Pond keeps on exactly the segment's members (optional).</summary>
        public string? SyncTag { get; init; }

        /// <summary>active (members kept current) or paused (members frozen).</summary>
        public string? Status { get; init; }

        public SegmentInput ToInput() => new(Name, Description, Rule, SyncTag, Status);
    }

    internal sealed class PreviewRequest
    {
        public JsonElement? Rule { get; init; }
    }

    internal sealed record SegmentView(
        Guid Id, string Name, string? Description, JsonElement Rule, string? SyncTag, string Status, int MemberCount,
        string? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        public static SegmentView Of(Segment s)
        {
            using var rule = JsonDocument.Parse(s.Rule);
            return new SegmentView(s.Id, s.Name, s.Description, rule.RootElement.Clone(), s.SyncTag, s.Status, s.MemberCount, s.CreatedBy, s.CreatedAt, s.UpdatedAt);
        }
    }

    internal sealed record PreviewView(int Count, int PoolSize, double ElapsedMs, IReadOnlyList<CustomerSummary> Sample);

    internal sealed record VocabularyView(
        IReadOnlyList<VocabularyField> Traits, IReadOnlyList<VocabularyTag> Tags, IReadOnlyList<VocabularyEvent> Events, int PoolSize,
        IReadOnlyList<NamedId> Staff, IReadOnlyList<CarrierRef> Carriers, IReadOnlyList<string> CarrierKinds,
        IReadOnlyList<string> RfmCells, IReadOnlyList<string> LifecycleStages);

    internal sealed record NamedId(Guid Id, string Name);

    internal sealed record CarrierRef(Guid Id, string Name, string Kind);

    public static async Task<Ok<List<SegmentView>>> ListSegments(HttpContext context, SegmentBook book) =>
        TypedResults.Ok((await book.ListAsync(context.Caller().WorkspaceId)).Select(SegmentView.Of).ToList());

    public static async Task<Ok<SegmentView>> GetSegment(Guid id, HttpContext context, SegmentBook book) =>
        TypedResults.Ok(SegmentView.Of(await book.GetAsync(context.Caller().WorkspaceId, id)));

    public static async Task<Created<SegmentView>> CreateSegment(SegmentRequest request, HttpContext context, SegmentBook book)
    {
        var caller = context.Caller();
        var segment = await book.CreateAsync(caller.WorkspaceId, request.ToInput(), caller.Actor);
        return TypedResults.Created($"/api/segments/{segment.Id}", SegmentView.Of(segment));
    }

    public static async Task<Ok<SegmentView>> UpdateSegment(Guid id, SegmentRequest request, HttpContext context, SegmentBook book)
    {
        var caller = context.Caller();
        return TypedResults.Ok(SegmentView.Of(await book.UpdateAsync(caller.WorkspaceId, id, request.ToInput(), caller.Actor)));
    }

    public static async Task<NoContent> DeleteSegment(Guid id, HttpContext context, SegmentBook book)
    {
        var caller = context.Caller();
        await book.DeleteAsync(caller.WorkspaceId, id, caller.Actor);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<PreviewView>> PreviewSegment(PreviewRequest request, HttpContext context, AudienceEngine engine, CustomerDirectory customers)
    {
        if (request.Rule is not { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } rule)
            throw new ValidationFailedException("rule is required: a condition tree such as {\"all\": [{\"tag\": \"敏感肌\"}]} (see docs/segments.md).", "rule");
        var caller = context.Caller();
        var preview = await engine.PreviewAsync(caller.WorkspaceId, rule);
        var sample = preview.Sample.Count == 0
            ? []
            : (await customers.ListAsync(caller.Viewer(), new CustomerQuery(null, null, null, null, null, null, preview.Sample.Count) { Ids = preview.Sample })).Items;
        return TypedResults.Ok(new PreviewView(preview.Count, preview.PoolSize, Math.Round(preview.ElapsedMs, 2), sample));
    }

    public static async Task<Ok<CustomerPage>> ListMembers(Guid id, string? cursor, string? limit, HttpContext context, SegmentBook book, CustomerDirectory customers)
    {
        var caller = context.Caller();
        await book.GetAsync(caller.WorkspaceId, id);
        var query = CustomerQuery.Parse(null, null, null, null, null, cursor, limit) with { SegmentId = id };
        return TypedResults.Ok(await customers.ListAsync(caller.Viewer(), query));
    }

    internal sealed class TagMembersRequest
    {
        public string? Tag { get; init; }

        /// <summary>add or remove.</summary>
        public string? Action { get; init; }
    }

    internal sealed record TagMembersResult(string Tag, string Action, int Changed);

    public static async Task<Ok<TagMembersResult>> TagMembers(Guid id, TagMembersRequest request, HttpContext context, SegmentBook book)
    {
        var caller = context.Caller();
        var changed = await book.TagMembersAsync(caller.WorkspaceId, id, request.Tag, request.Action, caller.Actor);
        return TypedResults.Ok(new TagMembersResult(TagNames.Clean(request.Tag), request.Action!, changed));
    }

    /// <param name="mask">true: mask phone and email (always masked for roles that do not operate).</param>
    public static async Task<PushStreamHttpResult> ExportSegment(Guid id, bool? mask, HttpContext context, SegmentBook book, CustomerCsvExport export,
        AuditLog audit, TimeProvider clock)
    {
        var caller = context.Caller();
        var segment = await book.GetAsync(caller.WorkspaceId, id);
        var masked = mask == true || !caller.CanOperate;
        await audit.RecordAsync(caller.WorkspaceId, caller.Actor, "segment.export", $"segment:{id}", new { segment = segment.Name, segment.MemberCount, masked });
        return TypedResults.Stream(
            stream => export.WriteAsync(caller.WorkspaceId, () => book.MemberIdsAsync(id, context.RequestAborted), stream,
                new CustomerExportOptions { Mask = masked }, context.RequestAborted),
            "text/csv; charset=utf-8", $"segment-{clock.GetUtcNow():yyyyMMdd-HHmm}.csv");
    }

    public static async Task<Ok<IReadOnlyList<SegmentSize>>> GetSizes(Guid id, int? days, HttpContext context, SegmentBook book) =>
        TypedResults.Ok(await book.SizesAsync(context.Caller().WorkspaceId, id, days ?? 30));

    public static async Task<Ok<VocabularyView>> GetVocabulary(HttpContext context, AudienceEngine engine, StaffDirectory staff)
    {
        var workspaceId = context.Caller().WorkspaceId;
        var vocabulary = await engine.VocabularyAsync(workspaceId);
        var members = (await staff.ListStaffAsync(workspaceId)).Select(s => new NamedId(s.Id, s.Name)).ToList();
        var carriers = (await staff.ListCarriersAsync(workspaceId)).Select(c => new CarrierRef(c.Id, c.Name, c.Kind)).ToList();
        return TypedResults.Ok(new VocabularyView(vocabulary.Traits, vocabulary.Tags, vocabulary.Events, vocabulary.PoolSize, members, carriers,
            Pond.Customers.CarrierKinds.All, RfmCells.Codes, Pond.Audience.LifecycleStages.All));
    }

    public static async Task<Ok<IReadOnlyList<AudienceEvent>>> ListAudienceEvents(
        long? after, int? limit, Guid? customer, Guid? segment, HttpContext context, AudienceEventLog log) =>
        TypedResults.Ok(await log.ReadAsync(context.Caller().WorkspaceId, after ?? 0, limit ?? 100, customer, segment?.ToString()));
}
