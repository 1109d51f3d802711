using Microsoft.AspNetCore.Diagnostics;
using Pond.Server.Auth;

namespace Pond.Server.Account;

internal static class ConsoleErrorPages
{
    /// <summary>
    /// People who hit a missing page get the console's friendly page (re-executed at /error/{code});
    /// API callers keep the problem details that the plain status-code pages write further out.
    /// </summary>
    public static IApplicationBuilder UseConsoleErrorPages(this IApplicationBuilder app)
    {
        // A fresh scope: the re-executed render must not reuse the failed request's component state.
        app.UseStatusCodePagesWithReExecute("/error/{0}", createScopeForStatusCodePages: true);
        // A branch (UseWhen) would lose the re-routing that re-execution needs, so API requests opt out here instead;
        // this switches off only the feature set just above, not the outer problem-details one.
        return app.Use((context, next) =>
        {
            if (AuthSetup.IsApiRequest(context.Request) && context.Features.Get<IStatusCodePagesFeature>() is { } pages)
                pages.Enabled = false;
            return next(context);
        });
    }
}
