using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Journeys;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Journeys;

/// <summary>
/// The admin API for journeys (/api/journeys): drafts and versions, publishing, enrolment, simulation, the shipped
/// templates, and the counters of runs and steps. docs/journeys.md explains the model.
/// </summary>
internal static class JourneysApi
{
    public static IServiceCollection AddJourneysApi(this IServiceCollection services, bool runEngines) =>
        runEngines ? services.AddJourneyEngines() : services;

    public static IEndpointRouteBuilder MapJourneysApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/journeys").WithTags("Journeys").RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .NotForStaffRole("Journeys range over every customer");
        api.MapGet("/", ListJourneys).WithName("ListJourneys").WithSummary("Journeys, newest first, with entered, waiting, completed, converted and exited counts.");
        api.MapPost("/", CreateJourney).WithName("CreateJourney").RequireAuthorization(Policies.Operate)
            .WithSummary("Creates a draft journey (definition optional: a one-step draft is made). The response lists the draft's problems.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/{id:guid}", GetJourney).WithName("GetJourney").WithSummary("A journey with its draft, the draft's problems, its versions and totals.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{id:guid}", UpdateJourney).WithName("UpdateJourney").RequireAuthorization(Policies.Operate)
            .WithSummary("Replaces the name, description, test customer and draft. Customers in flight stay on their version.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/{id:guid}/publish", PublishJourney).WithName("PublishJourney").RequireAuthorization(Policies.Operate)
            .WithSummary("Publishes the draft as the next version and makes the journey live. 400 names the first problem.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/{id:guid}/status", SetJourneyStatus).WithName("SetJourneyStatus").RequireAuthorization(Policies.Operate)
            .WithSummary("Pauses (nobody new enters), resumes, or archives (customers in flight leave) a journey.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/templates", ListJourneyTemplates).WithName("ListJourneyTemplates").WithSummary("The journeys Pond ships, ready to adapt.");
        api.MapPost("/templates/{key}", CreateJourneyFromTemplate).WithName("CreateJourneyFromTemplate").RequireAuthorization(Policies.Operate)
            .WithSummary("Creates a draft from a shipped template, with the coupon templates it issues (reused by name).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id:guid}/simulate", SimulateJourney).WithName("SimulateJourney")
            .WithSummary("Runs the draft (or a given definition) for a hypothetical customer and timeline on a virtual clock: each step and message, in order. Writes nothing.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id:guid}/enroll", EnrollInJourney).WithName("EnrollInJourney").RequireAuthorization(Policies.Operate)
            .WithSummary("Enters customers (customerIds, or a segment's members) into the live version; test: true runs it on the test customer, left out of the counters.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/{id:guid}/stats", GetJourneyStats).WithName("GetJourneyStats")
            .WithSummary("Totals, per-step outcome counters with who waits where, and the journey's messages by state and suppression reason.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:guid}/runs", ListJourneyRuns).WithName("ListJourneyRuns").WithSummary("Runs, newest first; filter by state, stepId, customerId.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/runs/{runId:guid}", GetJourneyRun).WithName("GetJourneyRun").WithSummary("One run with every step it took.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:guid}/versions/{version:int}", GetJourneyVersion).WithName("GetJourneyVersion").WithSummary("A published version's definition.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    internal sealed record StatusInput(string? Status);

    internal sealed record TemplateInput(string? Name);

    public static Ok<IReadOnlyList<JourneyTemplateInfo>> ListJourneyTemplates() => TypedResults.Ok(JourneyTemplates.List());

    public static async Task<Created<Journey>> CreateJourneyFromTemplate(string key, TemplateInput? input, HttpContext context, JourneyTemplates templates)
    {
        var caller = context.Caller();
        var journey = await templates.CreateAsync(caller.WorkspaceId, key, input?.Name, caller.Actor);
        return TypedResults.Created($"/api/journeys/{journey.Id}", journey);
    }

    public static async Task<Ok<SimulationResult>> SimulateJourney(Guid id, SimulationInput input, HttpContext context, JourneySimulator simulator) =>
        TypedResults.Ok(await simulator.SimulateAsync(context.Caller().WorkspaceId, id, input));

    public static async Task<Ok<EnrolmentResult>> EnrollInJourney(Guid id, EnrolmentInput input, HttpContext context, JourneyRuns runs)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await runs.EnrollAsync(caller.WorkspaceId, id, input, caller.Actor));
    }

    public static async Task<Ok<JourneyStatsView>> GetJourneyStats(Guid id, HttpContext context, JourneyRuns runs) =>
        TypedResults.Ok(await runs.StatsAsync(context.Caller().WorkspaceId, id));

    public static async Task<Ok<IReadOnlyList<JourneyRun>>> ListJourneyRuns(Guid id, HttpContext context, JourneyRuns runs, string? state = null, string? stepId = null,
        Guid? customerId = null, int? limit = null)
    {
        if (state is not null and not (RunStates.Waiting or RunStates.Completed or RunStates.Converted or RunStates.Exited))
            throw new ValidationFailedException("state is waiting, completed, converted or exited.", "state");
        return TypedResults.Ok(await runs.ListAsync(context.Caller().WorkspaceId, id, state, stepId, customerId, limit ?? 100));
    }

    public static async Task<Ok<JourneyRunDetail>> GetJourneyRun(Guid runId, HttpContext context, JourneyRuns runs) =>
        TypedResults.Ok(await runs.RunAsync(context.Caller().WorkspaceId, runId));

    public static async Task<Ok<IReadOnlyList<Journey>>> ListJourneys(HttpContext context, JourneyCatalog catalog) =>
        TypedResults.Ok(await catalog.ListAsync(context.Caller().WorkspaceId));

    public static async Task<Ok<Journey>> GetJourney(Guid id, HttpContext context, JourneyCatalog catalog) =>
        TypedResults.Ok(await catalog.GetAsync(context.Caller().WorkspaceId, id));

    public static async Task<Created<Journey>> CreateJourney(JourneyInput input, HttpContext context, JourneyCatalog catalog)
    {
        var caller = context.Caller();
        var journey = await catalog.CreateAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/journeys/{journey.Id}", journey);
    }

    public static async Task<Ok<Journey>> UpdateJourney(Guid id, JourneyInput input, HttpContext context, JourneyCatalog catalog)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await catalog.UpdateAsync(caller.WorkspaceId, id, input, caller.Actor));
    }

    public static async Task<Ok<Journey>> PublishJourney(Guid id, HttpContext context, JourneyCatalog catalog)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await catalog.PublishAsync(caller.WorkspaceId, id, caller.Actor));
    }

    public static async Task<Ok<Journey>> SetJourneyStatus(Guid id, StatusInput input, HttpContext context, JourneyCatalog catalog)
    {
        if (input.Status is not (JourneyStatuses.Live or JourneyStatuses.Paused or JourneyStatuses.Archived))
            throw new ValidationFailedException("status is live, paused or archived.", "status");
        var caller = context.Caller();
        return TypedResults.Ok(await catalog.SetStatusAsync(caller.WorkspaceId, id, input.Status, caller.Actor));
    }

    public static async Task<Ok<JourneyDefinition>> GetJourneyVersion(Guid id, int version, HttpContext context, JourneyCatalog catalog)
    {
        await catalog.GetAsync(context.Caller().WorkspaceId, id);
        return TypedResults.Ok(await catalog.VersionAsync(id, version));
    }
}
