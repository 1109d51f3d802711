using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Server.Auth;
using Pond.Server.Components;
using Pond.Sop;
using Pond.Staff;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Server.Sop;

/// <summary>
/// The admin API for SOP plans (/api/sop: plans, the week calendar, group chats' tags) and staff tasks (/api/tasks: the
/// list, one-click done / skip, completion rates). The staff role sees and closes only its own tasks and has no SOP plans.
/// </summary>
internal static class SopApi
{
    public static IServiceCollection AddSopApi(this IServiceCollection services, bool runEngines) => services.AddSop(runEngines);

    public static IEndpointRouteBuilder MapSopApi(this IEndpointRouteBuilder routes)
    {
        var sop = routes.MapGroup("/api/sop").WithTags("SOP").RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .NotForStaffRole("SOP plans range over every group and customer");
        sop.MapGet("/plans", ListSopPlans).WithName("ListSopPlans").WithSummary("SOP plans (group, moments, customer), newest first, with their entries.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        sop.MapPost("/plans", CreateSopPlan).WithName("CreateSopPlan").RequireAuthorization(Policies.Operate)
            .WithSummary("Creates a plan: kind, name, window, group tags (group) or staff (moments, customer), entries with time, weekdays or day offset, text and content.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        sop.MapGet("/plans/{id:guid}", GetSopPlan).WithName("GetSopPlan").ProducesProblem(StatusCodes.Status404NotFound);
        sop.MapPut("/plans/{id:guid}", UpdateSopPlan).WithName("UpdateSopPlan").RequireAuthorization(Policies.Operate)
            .WithSummary("Replaces a plan; entries sent with their id keep it (and what they created today).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        sop.MapPost("/plans/{id:guid}/pause", PauseSopPlan).WithName("PauseSopPlan").RequireAuthorization(Policies.Operate)
            .WithSummary("Pauses a plan: it creates nothing until resumed.").ProducesProblem(StatusCodes.Status404NotFound);
        sop.MapPost("/plans/{id:guid}/resume", ResumeSopPlan).WithName("ResumeSopPlan").RequireAuthorization(Policies.Operate)
            .WithSummary("Resumes a plan from now: what fell due while paused is not created late.").ProducesProblem(StatusCodes.Status404NotFound);
        sop.MapDelete("/plans/{id:guid}", DeleteSopPlan).WithName("DeleteSopPlan").RequireAuthorization(Policies.Operate)
            .WithSummary("Deletes a plan; the tasks it created stay.").ProducesProblem(StatusCodes.Status404NotFound);
        sop.MapGet("/calendar", GetSopCalendar).WithName("GetSopCalendar")
            .WithSummary("What active plans fire in a week (7 local days from week, default this week's Monday): time, entry, groups / staff / customers.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        sop.MapGet("/groups", ListSopGroups).WithName("ListSopGroups").WithSummary("Group chats with their owner and SOP tags.");
        sop.MapPut("/groups/{id:guid}/tags", SetSopGroupTags).WithName("SetSopGroupTags").RequireAuthorization(Policies.Operate)
            .WithSummary("Replaces a group chat's tags (group plans serve every group carrying one of their tags).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        var tasks = routes.MapGroup("/api/tasks").WithTags("Staff tasks").RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        tasks.MapGet("/", ListTasks).WithName("ListTasks")
            .WithSummary("Staff tasks by due time, filtered by staff, state (open, done, skipped), kind and due (today, overdue). The staff role gets only its own.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        tasks.MapGet("/completion", GetTaskCompletion).WithName("GetTaskCompletion")
            .WithSummary("Per staff member over local days from–to (default the last 7): tasks due, done, done on time, skipped, open; rate = done ÷ due, onTimeShare = on time ÷ done.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        tasks.MapGet("/{id:guid}", GetTask).WithName("GetTask").ProducesProblem(StatusCodes.Status404NotFound);
        tasks.MapPost("/{id:guid}/done", CompleteTask).WithName("CompleteTask")
            .WithSummary("Marks a task done (one click; repeating it changes nothing). A task carrying a content item counts one use of it. 409 if it was skipped.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        tasks.MapPost("/{id:guid}/skip", SkipTask).WithName("SkipTask")
            .WithSummary("Skips a task (repeating it changes nothing). 409 if it was done.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    internal sealed record EntryView(Guid Id, string Time, IReadOnlyList<int> Weekdays, int DayOffset, string Title, string? Text, Guid? ContentId,
        IReadOnlyDictionary<Guid, string> Variations);

    internal sealed record PlanView(Guid Id, string Kind, string Name, string Status, DateTimeOffset StartsAt, DateTimeOffset? EndsAt, IReadOnlyList<string> GroupTags,
        IReadOnlyList<Guid> StaffIds, bool WecomTasks, DateTimeOffset SweptThrough, string? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
        IReadOnlyList<EntryView> Entries)
    {
        public static PlanView Of(SopPlan p) => new(p.Id, p.Kind, p.Name, p.Status, p.StartsAt, p.EndsAt, p.GroupTags, p.StaffIds, p.WecomTasks, p.SweptThrough,
            p.CreatedBy, p.CreatedAt, p.UpdatedAt,
            p.Entries.Select(e => new EntryView(e.Id, e.Time, e.WeekdayList, e.DayOffset, e.Title, e.Text, e.ContentId, e.Variations)).ToList());
    }

    internal sealed record GroupView(Guid Id, string Name, string ChatId, string Status, Guid? OwnerStaffId, string? OwnerStaffName, IReadOnlyList<string> Tags)
    {
        public static GroupView Of(SopGroup g) => new(g.Id, g.Name, g.ExternalId, g.Status, g.OwnerStaffId, g.OwnerStaffName, g.Tags);
    }

    internal sealed class TagsRequest
    {
        public IReadOnlyList<string>? Tags { get; init; }
    }

    internal sealed record CompletionView(Guid? StaffId, string StaffName, int Due, int Done, int DoneOnTime, int Skipped, int Open, double Rate, double OnTimeShare);

    internal sealed record CompletionReport(DateOnly From, DateOnly To, string TimeZone, IReadOnlyList<CompletionView> Staff);

    /// <param name="kind">group, moments or customer.</param>
    public static async Task<Ok<List<PlanView>>> ListSopPlans(string? kind, HttpContext context, SopPlans plans) =>
        TypedResults.Ok((await plans.ListAsync(context.Caller().WorkspaceId, kind)).Select(PlanView.Of).ToList());

    public static async Task<Ok<PlanView>> GetSopPlan(Guid id, HttpContext context, SopPlans plans) =>
        TypedResults.Ok(PlanView.Of(await plans.GetAsync(context.Caller().WorkspaceId, id)));

    public static async Task<Created<PlanView>> CreateSopPlan(SopPlanInput input, HttpContext context, SopPlans plans)
    {
        var caller = context.Caller();
        var plan = await plans.CreateAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/sop/plans/{plan.Id}", PlanView.Of(plan));
    }

    public static async Task<Ok<PlanView>> UpdateSopPlan(Guid id, SopPlanInput input, HttpContext context, SopPlans plans)
    {
        var caller = context.Caller();
        return TypedResults.Ok(PlanView.Of(await plans.UpdateAsync(caller.WorkspaceId, id, input, caller.Actor)));
    }

    public static async Task<Ok<PlanView>> PauseSopPlan(Guid id, HttpContext context, SopPlans plans)
    {
        var caller = context.Caller();
        return TypedResults.Ok(PlanView.Of(await plans.SetStatusAsync(caller.WorkspaceId, id, SopStatuses.Paused, caller.Actor)));
    }

    public static async Task<Ok<PlanView>> ResumeSopPlan(Guid id, HttpContext context, SopPlans plans)
    {
        var caller = context.Caller();
        return TypedResults.Ok(PlanView.Of(await plans.SetStatusAsync(caller.WorkspaceId, id, SopStatuses.Active, caller.Actor)));
    }

    public static async Task<NoContent> DeleteSopPlan(Guid id, HttpContext context, SopPlans plans)
    {
        var caller = context.Caller();
        await plans.DeleteAsync(caller.WorkspaceId, id, caller.Actor);
        return TypedResults.NoContent();
    }

    /// <param name="week">The first day shown, yyyy-MM-dd (default: this week's Monday, local).</param>
    public static async Task<Ok<List<SopCalendarItem>>> GetSopCalendar(string? week, HttpContext context, Database database, WorkspaceService workspaces, TimeProvider clock)
    {
        var caller = context.Caller();
        var zone = Display.Zone(await workspaces.FindWorkspaceAsync(caller.WorkspaceId));
        var start = week is null ? ThisMonday(clock.GetUtcNow(), zone) : Day(week, "week");
        return TypedResults.Ok((await SopCalendar.WeekAsync(database, caller.WorkspaceId, start)).ToList());
    }

    public static async Task<Ok<List<GroupView>>> ListSopGroups(HttpContext context, SopPlans plans) =>
        TypedResults.Ok((await plans.GroupsAsync(context.Caller().WorkspaceId)).Select(GroupView.Of).ToList());

    public static async Task<Ok<GroupView>> SetSopGroupTags(Guid id, TagsRequest request, HttpContext context, SopPlans plans)
    {
        var caller = context.Caller();
        return TypedResults.Ok(GroupView.Of(await plans.SetGroupTagsAsync(caller.WorkspaceId, id, request.Tags, caller.Actor)));
    }

    /// <param name="staff">A staff member's id (ignored for the staff role, which sees its own).</param>
    /// <param name="state">open, done or skipped.</param>
    /// <param name="kind">follow_up, group_sop, moments_sop or customer_sop.</param>
    /// <param name="due">today (due on the local day) or overdue (open, due before now).</param>
    /// <param name="limit">At most this many (default 200, at most 1000).</param>
    public static async Task<Ok<List<StaffTask>>> ListTasks(
        Guid? staff, string? state, string? kind, string? due, int? limit, HttpContext context, TaskBoard board, WorkspaceService workspaces)
    {
        var caller = context.Caller();
        var zone = Display.Zone(await workspaces.FindWorkspaceAsync(caller.WorkspaceId));
        var query = new TaskQuery(caller.OnlyOwnedBy ?? staff, state, kind, due, limit ?? 200);
        return TypedResults.Ok((await board.ListAsync(caller.WorkspaceId, query, zone)).ToList());
    }

    public static async Task<Ok<StaffTask>> GetTask(Guid id, HttpContext context, TaskBoard board)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await board.GetAsync(caller.WorkspaceId, id, caller.OnlyOwnedBy));
    }

    public static Task<Results<Ok<StaffTask>, ProblemHttpResult>> CompleteTask(Guid id, HttpContext context, TaskBoard board) =>
        CloseAsync(id, StaffTaskStates.Done, context, board);

    public static Task<Results<Ok<StaffTask>, ProblemHttpResult>> SkipTask(Guid id, HttpContext context, TaskBoard board) =>
        CloseAsync(id, StaffTaskStates.Skipped, context, board);

    private static async Task<Results<Ok<StaffTask>, ProblemHttpResult>> CloseAsync(Guid id, string state, HttpContext context, TaskBoard board)
    {
        var caller = context.Caller();
        if (caller.Role == Roles.Analyst)
            return TypedResults.Problem("The analyst role reads; closing tasks is for the staff member or an operator.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
        return TypedResults.Ok(await board.CloseAsync(caller.WorkspaceId, id, state, caller.Actor, caller.OnlyOwnedBy));
    }

    /// <param name="from">First day, yyyy-MM-dd local (default: 6 days before to).</param>
    /// <param name="to">Last day, inclusive (default: today).</param>
    public static async Task<Ok<CompletionReport>> GetTaskCompletion(string? from, string? to, HttpContext context, TaskBoard board, WorkspaceService workspaces, TimeProvider clock)
    {
        var caller = context.Caller();
        var workspace = await workspaces.FindWorkspaceAsync(caller.WorkspaceId);
        var zone = Display.Zone(workspace);
        var last = to is null ? SopSchedule.LocalDate(clock.GetUtcNow(), zone) : Day(to, "to");
        var first = from is null ? last.AddDays(-6) : Day(from, "from");
        var rows = await board.CompletionAsync(caller.WorkspaceId, first, last, zone, caller.OnlyOwnedBy);
        return TypedResults.Ok(new CompletionReport(first, last, zone.Id,
            rows.Select(r => new CompletionView(r.StaffId, r.StaffName, r.Due, r.Done, r.DoneOnTime, r.Skipped, r.Open, Math.Round(r.Rate, 4), Math.Round(r.OnTimeShare, 4))).ToList()));
    }

    internal static DateOnly ThisMonday(DateTimeOffset now, TimeZoneInfo zone)
    {
        var today = SopSchedule.LocalDate(now, zone);
        return today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
    }

    private static DateOnly Day(string text, string field) =>
        DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new ValidationFailedException($"{field}: '{text}' is not a date; use yyyy-MM-dd.", field);
}
