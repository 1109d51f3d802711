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
        api.MapGet("/{id:guid}/versions/{version:int}", GetJourneyVersion).WithName("GetJourneyVersion").WithSummary("A published version's definition.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    internal sealed record StatusInput(string? Status);

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
