using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using Pond.Server.Auth;
using Pond.Server.Hosting;
using Pond.Workspaces;

namespace Pond.Server.Account;

/// <summary>
/// The console's small POST-and-redirect endpoints: sign-out, language and workspace switch.
/// They are plain forms (antiforgery-checked because they bind [FromForm]) so the top bar works without script.
/// </summary>
internal static class AccountApi
{
    /// <summary>Remembers the workspace a user last worked in, so the next sign-in lands there.</summary>
    public const string LastWorkspaceCookie = "pond.ws";

    public static RouteGroupBuilder MapAccount(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/account").ExcludeFromDescription();
        group.MapPost("/signout", SignOut);
        group.MapPost("/culture", SetCulture);
        group.MapPost("/workspace", SwitchWorkspace).RequireAuthorization();
        return group;
    }

    private static async Task<Results<RedirectHttpResult, BadRequest>> SignOut(HttpContext context, IAntiforgery antiforgery)
    {
        // No form fields are bound here, so the antiforgery check that form binding does must be asked for.
        if (!await antiforgery.IsRequestValidAsync(context))
            return TypedResults.BadRequest();
        await context.SignOutAsync(CookieSignIn.Scheme);
        return TypedResults.LocalRedirect("/signin");
    }

    private static RedirectHttpResult SetCulture(HttpContext context, [FromForm] string culture, [FromForm] string? returnUrl)
    {
        var supported = PondHost.Cultures.FirstOrDefault(c => c.Name.Equals(culture, StringComparison.OrdinalIgnoreCase));
        if (supported is not null)
        {
            context.Response.Cookies.Append(
                CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(supported)),
                new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = false });
        }

        return TypedResults.LocalRedirect(LocalOrHome(returnUrl));
    }

    private static async Task<Results<RedirectHttpResult, ForbidHttpResult>> SwitchWorkspace(
        HttpContext context, WorkspaceService workspaces, [FromForm] Guid workspace)
    {
        if (!Guid.TryParse(context.User.FindFirstValue(ClaimTypes.NameIdentifier), out var userId)
            || context.User.Identity?.Name is not { } email)
            return TypedResults.Forbid();
        if (await workspaces.MembershipAsync(workspace, userId) is null)
            return TypedResults.Forbid();

        await CookieSignIn.SignInAsync(context, new User { Id = userId, Email = email }, workspace);
        RememberWorkspace(context, workspace);
        // Home, not the page the user was on: an id in the old workspace's URL means nothing in the new one.
        return TypedResults.LocalRedirect("/");
    }

    public static void RememberWorkspace(HttpContext context, Guid workspaceId) =>
        context.Response.Cookies.Append(LastWorkspaceCookie, workspaceId.ToString(),
            new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true });

    /// <summary>The workspace to sign in to: the one used last if still a member, else the first.</summary>
    public static Membership? PickWorkspace(HttpContext context, IReadOnlyList<Membership> memberships)
    {
        if (Guid.TryParse(context.Request.Cookies[LastWorkspaceCookie], out var last)
            && memberships.FirstOrDefault(m => m.WorkspaceId == last) is { } remembered)
            return remembered;
        return memberships.Count > 0 ? memberships[0] : null;
    }

    /// <summary>Only same-site paths: an absolute or protocol-relative return URL would make sign-in an open redirect.</summary>
    public static string LocalOrHome(string? url) =>
        IsLocalUrl(url) ? url! : "/";

    public static bool IsLocalUrl(string? url) =>
        !string.IsNullOrEmpty(url)
        && url[0] == '/'
        && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
        && !url.Contains("://", StringComparison.Ordinal)
        && !url.Any(char.IsControl);
}
