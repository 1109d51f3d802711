using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Customers;
using Pond.Server.Auth;
using Pond.Staff;
using Pond.Workspaces;

namespace Pond.Server.Staff;

/// <summary>The admin API for staff members (/api/staff) and their carrier accounts (/api/carriers).</summary>
internal static class StaffApi
{
    public static IServiceCollection AddStaff(this IServiceCollection services) => services.AddSingleton<StaffDirectory>();

    public static IEndpointRouteBuilder MapStaffApi(this IEndpointRouteBuilder routes)
    {
        var staff = routes.MapGroup("/api/staff")
            .WithTags("Staff")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        staff.MapGet("/", ListStaff).WithName("ListStaff").WithSummary("Staff members with how many accounts and customers each holds.");
        staff.MapGet("/{id:guid}", GetStaff).WithName("GetStaff").ProducesProblem(StatusCodes.Status404NotFound);
        staff.MapPost("/", CreateStaff).WithName("CreateStaff").RequireAuthorization(Policies.Operate)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        staff.MapPut("/{id:guid}", UpdateStaff).WithName("UpdateStaff").RequireAuthorization(Policies.Operate)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        staff.MapDelete("/{id:guid}", DeleteStaff).WithName("DeleteStaff").RequireAuthorization(Policies.Operate)
            .WithSummary("Deletes a staff member who holds no accounts and owns no customers (409 otherwise: disable them instead).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        var carriers = routes.MapGroup("/api/carriers")
            .WithTags("Carriers")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        carriers.MapGet("/", ListCarriers).WithName("ListCarriers").WithSummary("Carrier accounts, optionally of one kind or one staff member.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        carriers.MapGet("/{id:guid}", GetCarrier).WithName("GetCarrier").ProducesProblem(StatusCodes.Status404NotFound);
        carriers.MapPost("/", CreateCarrier).WithName("CreateCarrier").RequireAuthorization(Policies.Operate)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        carriers.MapPut("/{id:guid}", UpdateCarrier).WithName("UpdateCarrier").RequireAuthorization(Policies.Operate)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        carriers.MapDelete("/{id:guid}", DeleteCarrier).WithName("DeleteCarrier").RequireAuthorization(Policies.Operate)
            .WithSummary("Deletes a carrier with no customer relationships on record (409 otherwise: disable or mark it banned instead).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    public static async Task<Ok<IReadOnlyList<StaffMember>>> ListStaff(HttpContext context, StaffDirectory directory) =>
        TypedResults.Ok(await directory.ListStaffAsync(context.Caller().WorkspaceId));

    public static async Task<Ok<StaffMember>> GetStaff(Guid id, HttpContext context, StaffDirectory directory) =>
        TypedResults.Ok(await directory.GetStaffAsync(context.Caller().WorkspaceId, id));

    public static async Task<Created<StaffMember>> CreateStaff(StaffInput input, HttpContext context, StaffDirectory directory)
    {
        var caller = context.Caller();
        var created = await directory.CreateStaffAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/staff/{created.Id}", created);
    }

    public static async Task<Ok<StaffMember>> UpdateStaff(Guid id, StaffInput input, HttpContext context, StaffDirectory directory)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await directory.UpdateStaffAsync(caller.WorkspaceId, id, input, caller.Actor));
    }

    public static async Task<NoContent> DeleteStaff(Guid id, HttpContext context, StaffDirectory directory)
    {
        var caller = context.Caller();
        await directory.DeleteStaffAsync(caller.WorkspaceId, id, caller.Actor);
        return TypedResults.NoContent();
    }

    /// <param name="kind">One of the carrier kinds, e.g. wecom_account.</param>
    /// <param name="staff">A staff id: only the accounts that person holds.</param>
    public static async Task<Ok<IReadOnlyList<CarrierAccount>>> ListCarriers(string? kind, string? staff, HttpContext context, StaffDirectory directory)
    {
        var owner = CustomerQuery.ParseId(staff, "staff");
        return TypedResults.Ok(await directory.ListCarriersAsync(context.Caller().WorkspaceId, string.IsNullOrWhiteSpace(kind) ? null : kind.Trim(), owner));
    }

    public static async Task<Ok<CarrierAccount>> GetCarrier(Guid id, HttpContext context, StaffDirectory directory) =>
        TypedResults.Ok(await directory.GetCarrierAsync(context.Caller().WorkspaceId, id));

    public static async Task<Created<CarrierAccount>> CreateCarrier(CarrierInput input, HttpContext context, StaffDirectory directory)
    {
        var caller = context.Caller();
        var created = await directory.CreateCarrierAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/carriers/{created.Id}", created);
    }

    public static async Task<Ok<CarrierAccount>> UpdateCarrier(Guid id, CarrierInput input, HttpContext context, StaffDirectory directory)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await directory.UpdateCarrierAsync(caller.WorkspaceId, id, input, caller.Actor));
    }

    public static async Task<NoContent> DeleteCarrier(Guid id, HttpContext context, StaffDirectory directory)
    {
        var caller = context.Caller();
        await directory.DeleteCarrierAsync(caller.WorkspaceId, id, caller.Actor);
        return TypedResults.NoContent();
    }
}
