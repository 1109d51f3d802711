using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;
using Pond.Workspaces;

namespace Pond.Server.Auth;

/// <summary>
/// The console cookie names only the user and the workspace they chose; the role is read from the
/// membership on each request (cached a few seconds), so a changed or removed membership applies at once.
/// </summary>
internal sealed class MembershipClaimsTransformation(WorkspaceService workspaces, IMemoryCache cache) : IClaimsTransformation
{
    public async Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        if (principal.Identity?.AuthenticationType != CookieSignIn.Scheme || principal.HasClaim(c => c.Type == ClaimTypes.Role))
            return principal;
        var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        var ws = principal.FindFirstValue(PondClaims.Workspace);
        if (!Guid.TryParse(userId, out var user) || !Guid.TryParse(ws, out var workspace))
            return principal;

        var membership = await cache.GetOrCreateAsync((user, workspace), entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(5);
            return workspaces.MembershipAsync(workspace, user);
        });
        if (membership is null)
            return principal;

        var identity = new ClaimsIdentity();
        identity.AddClaim(new Claim(ClaimTypes.Role, membership.Role));
        if (membership.StaffId is { } staff)
            identity.AddClaim(new Claim(PondClaims.Staff, staff.ToString()));
        var result = principal.Clone();
        result.AddIdentity(identity);
        return result;
    }
}
