using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Pond.Server.Auth;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Tests.Infrastructure;
using Pond.Workspaces;

namespace Pond.Tests.Workspaces;

/// <summary>
/// Console sign-in for tests: a test-only endpoint that issues the real auth cookie, so tests can act as any role
/// without depending on the sign-in page.
/// </summary>
internal static class TestSignIn
{
    private const string Path = "/test/signin";

    public static Task<PondServer> StartServerAsync(DbEngine engine) => PondServer.StartAsync(engine, Configure);

    public static void Configure(PondOptions options, IServiceCollection services) => services.AddTransient<IStartupFilter, SignInFilter>();

    /// <summary>Adds a member with the role (a new user) and returns a client signed in as them, cookie and all.</summary>
    public static async Task<HttpClient> MemberClientAsync(this TestWorkspace workspace, string role, Guid? staffId = null)
    {
        var email = $"{role}-{Guid.NewGuid():N}@{workspace.Workspace.Slug}.test";
        await workspace.Server.Service<WorkspaceService>().AddMemberAsync(workspace.Id, email, PondServer.OwnerPassword, role, staffId: staffId);
        return await SignedInClientAsync(workspace, email);
    }

    public static async Task<HttpClient> SignedInClientAsync(this TestWorkspace workspace, string email)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false })
        {
            BaseAddress = workspace.Server.BaseAddress,
        };
        var response = await client.PostAsync($"{Path}?email={Uri.EscapeDataString(email)}&workspace={workspace.Id}", null);
        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        return client;
    }

    private sealed class SignInFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            // Not app.Map: that moves the path into PathBase, and the cookie would be scoped to /test/signin.
            app.Use(async (context, nextMiddleware) =>
            {
                if (context.Request.Path != Path)
                {
                    await nextMiddleware(context);
                    return;
                }

                var workspaces = context.RequestServices.GetRequiredService<WorkspaceService>();
                var user = await workspaces.VerifyPasswordAsync(context.Request.Query["email"].ToString(), PondServer.OwnerPassword);
                if (user is null)
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return;
                }

                await CookieSignIn.SignInAsync(context, user, Guid.Parse(context.Request.Query["workspace"].ToString()));
                context.Response.StatusCode = StatusCodes.Status204NoContent;
            });
            next(app);
        };
    }
}
