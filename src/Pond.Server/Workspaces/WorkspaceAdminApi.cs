using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Server.Auth;
using Pond.Staff;
using Pond.Workspaces;

namespace Pond.Server.Workspaces;

/// <summary>The admin API for the workspace itself: API keys, members and the audit log. Owners and admins only.</summary>
internal static class WorkspaceAdminApi
{
    public const int MaxAuditLimit = 500;

    public static RouteGroupBuilder MapWorkspaceAdminApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api")
            .WithTags("Workspace")
            .RequireAuthorization(Policies.Administer)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .AddEndpointFilter(async (context, next) =>
            {
                try
                {
                    return await next(context);
                }
                catch (ForbiddenException e)
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: e.Message);
                }
            });

        group.MapGet("/keys", ListKeys).WithName("ListApiKeys").WithSummary("The workspace's API keys: prefix only, never the key itself.");
        group.MapPost("/keys", CreateKey).WithName("CreateApiKey")
            .WithSummary("Creates a write or secret key. The response holds the plain key: the only time it is shown.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapDelete("/keys/{id:guid}", RevokeKey).WithName("RevokeApiKey").WithSummary("Revokes a key; it stops working at once.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/members", ListMembers).WithName("ListMembers");
        group.MapPost("/members", AddMember).WithName("AddMember")
            .WithSummary("Adds a person by email (creating their user with the password if they are new).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPut("/members/{userId:guid}", ChangeMember).WithName("ChangeMember").WithSummary("Changes a member's role (and linked staff member).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapDelete("/members/{userId:guid}", RemoveMember).WithName("RemoveMember")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/audit", ListAudit).WithName("ListAuditLog").WithSummary("Who changed what, newest first.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return group;
    }

    // ---- keys -------------------------------------------------------------------------------

    internal sealed class CreateKeyRequest
    {
        /// <summary>write (tracking API, safe in apps) or secret (admin API, servers only).</summary>
        public string? Kind { get; init; }

        /// <summary>Where the key is used, e.g. "mini-program".</summary>
        public string? Name { get; init; }
    }

    internal sealed record CreatedKeyResponse(ApiKey Key, string PlainText, string Notice);

    public static async Task<Ok<IReadOnlyList<ApiKey>>> ListKeys(HttpContext context, WorkspaceService workspaces) =>
        TypedResults.Ok(await workspaces.KeysAsync(context.Caller().WorkspaceId));

    public static async Task<Created<CreatedKeyResponse>> CreateKey(CreateKeyRequest request, HttpContext context, WorkspaceService workspaces)
    {
        var caller = context.Caller();
        var created = await workspaces.CreateKeyAsync(caller.WorkspaceId, request.Kind?.Trim().ToLowerInvariant() ?? "", request.Name ?? "", caller.Actor);
        return TypedResults.Created($"/api/keys/{created.Key.Id}",
            new CreatedKeyResponse(created.Key, created.PlainText, "Store this key now: Pond keeps only its hash and cannot show it again."));
    }

    public static async Task<NoContent> RevokeKey(Guid id, HttpContext context, WorkspaceService workspaces)
    {
        var caller = context.Caller();
        await workspaces.RevokeKeyAsync(caller.WorkspaceId, id, caller.Actor);
        return TypedResults.NoContent();
    }

    // ---- members ----------------------------------------------------------------------------

    internal sealed class AddMemberRequest
    {
        public string? Email { get; init; }

        /// <summary>Needed only when the person has no Pond user yet (at least 8 characters).</summary>
        public string? Password { get; init; }

        public string? DisplayName { get; init; }

        /// <summary>owner, admin, operator, staff or analyst.</summary>
        public string? Role { get; init; }

        /// <summary>For the staff role: the staff member whose customers this person sees.</summary>
        public Guid? StaffId { get; init; }
    }

    internal sealed class ChangeMemberRequest
    {
        public string? Role { get; init; }
        public Guid? StaffId { get; init; }
    }

    public static async Task<Ok<IReadOnlyList<WorkspaceService.MemberRow>>> ListMembers(HttpContext context, WorkspaceService workspaces) =>
        TypedResults.Ok(await workspaces.MembersAsync(context.Caller().WorkspaceId));

    public static async Task<Created<WorkspaceService.MemberRow>> AddMember(AddMemberRequest request, HttpContext context, WorkspaceService workspaces,
        StaffDirectory staff)
    {
        var caller = context.Caller();
        var email = WorkspaceService.NormalizeEmail(request.Email ?? "");
        var role = await CheckRoleAsync(caller, request.Role, request.StaffId, staff);
        var members = await workspaces.MembersAsync(caller.WorkspaceId);
        if (members.Any(m => m.Email == email))
            throw new ConflictException($"{email} is already a member; change their role with PUT /api/members/{{userId}}.");
        var user = await workspaces.AddMemberAsync(caller.WorkspaceId, email, request.Password, role, request.DisplayName, request.StaffId, caller.Actor);
        var row = (await workspaces.MembersAsync(caller.WorkspaceId)).Single(m => m.UserId == user.Id);
        return TypedResults.Created($"/api/members/{user.Id}", row);
    }

    public static async Task<Ok<WorkspaceService.MemberRow>> ChangeMember(Guid userId, ChangeMemberRequest request, HttpContext context,
        WorkspaceService workspaces, StaffDirectory staff)
    {
        var caller = context.Caller();
        var members = await workspaces.MembersAsync(caller.WorkspaceId);
        var member = members.SingleOrDefault(m => m.UserId == userId) ?? throw new NotFoundException("That person is not a member of this workspace.");
        var role = await CheckRoleAsync(caller, request.Role, request.StaffId, staff);
        if (member.Role == Roles.Owner && role != Roles.Owner)
        {
            if (caller.Role != Roles.Owner)
                throw new ForbiddenException("Only an owner can change another owner's role.");
            if (members.Count(m => m.Role == Roles.Owner) == 1)
                throw new ConflictException("A workspace keeps at least one owner; make someone else owner first.");
        }

        // Adding an existing user again updates the membership in place (and audits it as member.set).
        await workspaces.AddMemberAsync(caller.WorkspaceId, member.Email, null, role, staffId: request.StaffId, actor: caller.Actor);
        return TypedResults.Ok((await workspaces.MembersAsync(caller.WorkspaceId)).Single(m => m.UserId == userId));
    }

    public static async Task<NoContent> RemoveMember(Guid userId, HttpContext context, WorkspaceService workspaces)
    {
        var caller = context.Caller();
        var member = (await workspaces.MembersAsync(caller.WorkspaceId)).SingleOrDefault(m => m.UserId == userId)
            ?? throw new NotFoundException("That person is not a member of this workspace.");
        if (member.Role == Roles.Owner && caller.Role != Roles.Owner)
            throw new ForbiddenException("Only an owner can remove an owner.");
        await workspaces.RemoveMemberAsync(caller.WorkspaceId, userId, caller.Actor);
        return TypedResults.NoContent();
    }

    private static async Task<string> CheckRoleAsync(Caller caller, string? requested, Guid? staffId, StaffDirectory staff)
    {
        var role = requested?.Trim().ToLowerInvariant() ?? "";
        if (!Roles.IsValid(role))
            throw new ValidationFailedException($"Unknown role '{requested}'; use one of {string.Join(", ", Roles.All)}.", "role");
        // Admins manage everything but ownership: otherwise an admin could make themselves owner.
        if (role == Roles.Owner && caller.Role != Roles.Owner)
            throw new ForbiddenException("Only an owner can make someone an owner.");
        if (role == Roles.Staff && staffId is null)
            throw new ValidationFailedException("A member with the staff role sees only their own customers; set staffId to their staff member.", "staffId");
        if (staffId is { } id)
        {
            try
            {
                await staff.GetStaffAsync(caller.WorkspaceId, id);
            }
            catch (NotFoundException)
            {
                throw new ValidationFailedException($"No staff member {id} in this workspace; take staffId from GET /api/staff.", "staffId");
            }
        }

        return role;
    }

    // ---- audit ------------------------------------------------------------------------------

    /// <param name="limit">1 to 500, default 100.</param>
    public static async Task<Ok<IReadOnlyList<AuditLog.Entry>>> ListAudit(string? limit, HttpContext context, AuditLog audit)
    {
        var take = Pond.Customers.CustomerQuery.ParseLimit(limit, 100, MaxAuditLimit);
        return TypedResults.Ok(await audit.RecentAsync(context.Caller().WorkspaceId, take));
    }
}

/// <summary>The caller may use this endpoint but not for this target (e.g. an admin changing an owner): a 403 problem.</summary>
internal sealed class ForbiddenException(string message) : Exception(message);
