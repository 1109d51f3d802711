using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Pond.Content;
using Pond.Server.Auth;
using Pond.Server.Components.Pages.Content;
using Pond.Server.Localization;
using Pond.Workspaces;

namespace Pond.Server.Content;

/// <summary>The content editor's live preview fragment: htmx posts the script and the customer search as they change.</summary>
internal static class ContentFragments
{
    public static IEndpointRouteBuilder MapContentFragments(this IEndpointRouteBuilder routes)
    {
        // A form post (antiforgery-checked because it binds [FromForm]); the page's token rides along.
        routes.MapPost("/content/preview", Preview).RequireAuthorization(Policies.Read).ExcludeFromDescription();
        return routes;
    }

    private static async Task<RazorComponentResult<ContentPreviewPanel>> Preview(HttpContext context, ContentPreview preview, TimeProvider clock, Text t,
        [FromForm] string? body, [FromForm] string? customer)
    {
        var caller = context.Caller();
        var text = body is { Length: > ContentLibrary.MaxBody } ? body[..ContentLibrary.MaxBody] : body ?? "";
        var searched = !string.IsNullOrWhiteSpace(customer);
        var matches = searched ? await preview.FindCustomersAsync(caller.WorkspaceId, customer, caller.OnlyOwnedBy, 6) : [];
        var first = matches.Count > 0 ? matches[0] : null;
        var result = await preview.PreviewAsync(caller.WorkspaceId, text, first?.Id, caller.OnlyOwnedBy, clock.GetUtcNow(),
            v => t["[{0}: made at send time]", v]);
        return new(new Dictionary<string, object?>
        {
            [nameof(ContentPreviewPanel.Text)] = result.Text,
            [nameof(ContentPreviewPanel.Unknown)] = result.Unknown,
            [nameof(ContentPreviewPanel.Values)] = result.Values,
            [nameof(ContentPreviewPanel.Customer)] = first,
            [nameof(ContentPreviewPanel.Others)] = matches.Skip(1).ToList(),
            [nameof(ContentPreviewPanel.Searched)] = searched,
        });
    }
}
