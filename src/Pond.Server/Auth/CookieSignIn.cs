using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Pond.Workspaces;

namespace Pond.Server.Auth;

/// <summary>Signs a console user in to one of their workspaces (and switches between them).</summary>
internal static class CookieSignIn
{
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;

    public static Task SignInAsync(HttpContext context, User user, Guid workspaceId)
    {
        Claim[] claims =
        [
            new(ClaimTypes.NameIdentifier, user.Id.ToString()),
            new(ClaimTypes.Name, user.Email),
            new(PondClaims.Actor, user.Email),
            new(PondClaims.Workspace, workspaceId.ToString()),
        ];
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme));
        return context.SignInAsync(Scheme, principal, new AuthenticationProperties { IsPersistent = true });
    }
}
