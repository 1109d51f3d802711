using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Pond.Workspaces;

namespace Pond.Server.Auth;

internal static class AuthSetup
{
    /// <summary>The admin API accepts a secret key (Bearer) or the console cookie; this picks by header.</summary>
    public const string ApiScheme = "PondApi";

    public static IServiceCollection AddPondAuth(this IServiceCollection services)
    {
        services.AddMemoryCache();
        services.AddSingleton<ApiKeyCache>();
        services.AddScoped<IClaimsTransformation, MembershipClaimsTransformation>();

        services.AddAuthentication(ApiScheme)
            .AddPolicyScheme(ApiScheme, "Secret key or console cookie", o =>
                o.ForwardDefaultSelector = context =>
                    context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                        ? ApiKeyAuthenticationHandler.SecretKeyScheme
                        : CookieSignIn.Scheme)
            .AddCookie(CookieSignIn.Scheme, o =>
            {
                o.Cookie.Name = "pond.auth";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.LoginPath = "/signin";
                o.AccessDeniedPath = "/forbidden";
                o.ExpireTimeSpan = TimeSpan.FromDays(7);
                o.SlidingExpiration = true;
                o.Events = new CookieAuthenticationEvents
                {
                    // API callers get status codes, people get the sign-in page.
                    OnRedirectToLogin = context => RedirectOrStatus(context, StatusCodes.Status401Unauthorized),
                    OnRedirectToAccessDenied = context => RedirectOrStatus(context, StatusCodes.Status403Forbidden),
                };
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.WriteKeyScheme, null)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SecretKeyScheme, null);

        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Read, p => p.RequireClaim(PondClaims.Workspace).RequireRole(Roles.All))
            .AddPolicy(Policies.Operate, p => p.RequireClaim(PondClaims.Workspace).RequireRole(Roles.Owner, Roles.Admin, Roles.Operator))
            .AddPolicy(Policies.Administer, p => p.RequireClaim(PondClaims.Workspace).RequireRole(Roles.Owner, Roles.Admin))
            .AddPolicy(Policies.Track, p => p
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.WriteKeyScheme)
                .RequireClaim(PondClaims.KeyKind, ApiKeyKinds.Write));
        return services;
    }

    private static Task RedirectOrStatus(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (IsApiRequest(context.Request))
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }

        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    public static bool IsApiRequest(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/v1")
        || request.Headers.Accept.ToString().Contains("application/json", StringComparison.OrdinalIgnoreCase);
}
