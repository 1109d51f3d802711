using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Audience;
using Pond.Commerce.Coupons;
using Pond.Journeys;
using Pond.Messaging;
using Pond.Server.Auth;
using Pond.Workspaces;
using Pond.Server.Components.Pages.Journeys;
using Pond.Storage;

namespace Pond.Server.Journeys;

internal static class JourneyConsoleServices
{
    /// <summary>The journey console's page support (the pages are in Components/Pages/Journeys).</summary>
    public static IServiceCollection AddJourneyConsole(this IServiceCollection services) => services.AddSingleton<JourneyConsole>();

    /// <summary>The dashboard's live fragment: htmx fetches it every few seconds and swaps it in.</summary>
    public static IEndpointRouteBuilder MapJourneyFragments(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/journeys/{id:guid}/live", JourneyLive).RequireAuthorization(Policies.Read).ExcludeFromDescription()
            .NotForStaffRole("Journeys range over every customer");
        return routes;
    }

    private static async Task<RazorComponentResult<JourneyLivePanel>> JourneyLive(Guid id, HttpContext context, JourneyCatalog catalog, JourneyRuns runs)
    {
        var workspaceId = context.Caller().WorkspaceId;
        var journey = await catalog.GetAsync(workspaceId, id);
        return new(new Dictionary<string, object?>
        {
            [nameof(JourneyLivePanel.JourneyId)] = id,
            [nameof(JourneyLivePanel.Stats)] = await runs.StatsAsync(workspaceId, id),
            [nameof(JourneyLivePanel.Definition)] = await JourneyDashboard.DefinitionAsync(catalog, journey),
        });
    }
}

/// <summary>
/// What the journey editor offers to pick from: the workspace's coupon templates, segments and content-library items,
/// the outbound channels and the message variables.
/// </summary>
internal sealed class JourneyConsole(CouponTemplates coupons, SegmentBook segments, Database database)
{
    internal sealed record Choice(Guid Id, string Name, string? Kind = null);

    internal sealed record EditorChoices(
        IReadOnlyList<Choice> Coupons, IReadOnlyList<Choice> Segments, IReadOnlyList<Choice> Contents,
        IReadOnlyList<string> Channels, IReadOnlyList<string> Variables, IReadOnlyList<string> Kinds, IReadOnlyList<string> Ops);

    public async Task<EditorChoices> ChoicesAsync(Guid workspaceId)
    {
        var templates = await coupons.ListAsync(workspaceId, includeArchived: false);
        var segmentList = await segments.ListAsync(workspaceId);
        await using var connection = await database.OpenAsync();
        // The content library (素材库) owns content_items; the editor only lists the live ones by title.
        var contents = await connection.QueryAsync<ContentRow>(
            "SELECT id, kind, title FROM content_items WHERE workspace_id = @workspaceId AND archived = @no ORDER BY updated_at DESC LIMIT 500",
            new { workspaceId, no = false });
        return new EditorChoices(
            templates.Select(t => new Choice(t.Id, t.Name)).ToList(),
            segmentList.Select(s => new Choice(s.Id, s.Name)).ToList(),
            contents.Select(c => new Choice(c.Id, c.Title, c.Kind)).ToList(),
            OutboxChannels.Outbound.Where(c => c != OutboxChannels.Webhook).ToList(),
            [.. MessageVariables.All, MessageVariables.TraitPrefix + "city"],
            StepKinds.All,
            FilterOps.All);
    }

    private sealed class ContentRow
    {
        public Guid Id { get; init; }
        public string Kind { get; init; } = "";
        public string Title { get; init; } = "";
    }
}
