using System.Security.Claims;
using Pond.Workspaces;

namespace Pond.Server.Auth;

/// <summary>Claim names Pond puts on every authenticated principal.</summary>
internal static class PondClaims
{
    public const string Workspace = "pond:ws";
    public const string Staff = "pond:staff";
    public const string Actor = "pond:actor";
    public const string KeyKind = "pond:key";
}

/// <summary>Who is calling and for which workspace; every query filters by <see cref="WorkspaceId"/>.</summary>
internal sealed record Caller(Guid WorkspaceId, string Role, string Actor, Guid? UserId, Guid? StaffId)
{
    /// <summary>Staff see only the customers they own.</summary>
    public Guid? OnlyOwnedBy => Role == Roles.Staff ? StaffId ?? Guid.Empty : null;

    public bool CanOperate => Roles.CanOperate(Role);

    public bool CanAdminister => Roles.CanAdminister(Role);
}

internal static class CallerExtensions
{
    /// <summary>The caller behind a request that passed a Pond policy. Throws if used on an anonymous request.</summary>
    public static Caller Caller(this ClaimsPrincipal user)
    {
        var ws = user.FindFirstValue(PondClaims.Workspace)
            ?? throw new InvalidOperationException("The request has no workspace; is the endpoint missing a Pond policy?");
        var role = user.FindFirstValue(ClaimTypes.Role) ?? "";
        var userId = user.FindFirstValue(ClaimTypes.NameIdentifier);
        var staff = user.FindFirstValue(PondClaims.Staff);
        return new Caller(
            Guid.Parse(ws),
            role,
            user.FindFirstValue(PondClaims.Actor) ?? user.Identity?.Name ?? "unknown",
            userId is null ? null : Guid.Parse(userId),
            staff is null ? null : Guid.Parse(staff));
    }

    public static Caller Caller(this HttpContext context) => context.User.Caller();
}
