using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Pond.Ingestion;
using Pond.Journeys;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Shouldly;

namespace Pond.Tests.Journeys;

internal static class JourneyKit
{
    /// <summary>Creates a journey from a definition (anonymous object, camelCase) and publishes it; returns its id.</summary>
    public static async Task<Guid> PublishedAsync(this HttpClient admin, string name, object definition)
    {
        var created = await (await admin.PostAsJsonAsync("/api/journeys", new { name, definition })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var problems = created.GetProperty("problems");
        problems.GetArrayLength().ShouldBe(0, problems.ToString());
        var id = created.GetProperty("id").GetGuid();
        await (await admin.PostAsync($"/api/journeys/{id}/publish", null)).ReadAsync<JsonElement>();
        return id;
    }

    /// <summary>A track event for a userId, applied by the event processor (which enters, converts and wakes runs).</summary>
    public static async Task TrackAsync(this PondServer server, string userId, string name, object? properties = null, DateTimeOffset? at = null)
    {
        using var client = server.Workspace.TrackingClient();
        await client.SendOkAsync("/v1/track", new
        {
            userId, @event = name, properties = properties ?? new { }, timestamp = at ?? server.Service<TimeProvider>().GetUtcNow(),
            messageId = Guid.NewGuid().ToString(),
        });
        await server.Service<EventProcessor>().ProcessPendingAsync();
    }

    public static async Task<Guid> CustomerIdAsync(this PondServer server, string userId)
    {
        await using var connection = await server.Service<Database>().OpenAsync();
        return await connection.QuerySingleAsync<Guid>("SELECT customer_id FROM identities WHERE kind = 'user_id' AND value = @userId", new { userId });
    }

    public static Task<long> RunDueAsync(this PondServer server) => server.Service<JourneyEngine>().RunDueAsync();

    public static async Task<List<(string Step, string Outcome)>> StepsAsync(this HttpClient admin, Guid journeyId, Guid customerId)
    {
        var runs = await admin.GetAsync<JsonElement>($"/api/journeys/{journeyId}/runs?customerId={customerId}");
        var result = new List<(string, string)>();
        foreach (var run in runs.EnumerateArray().Reverse())
        {
            var detail = await admin.GetAsync<JsonElement>($"/api/journeys/runs/{run.GetProperty("id").GetGuid()}");
            result.AddRange(detail.GetProperty("steps").EnumerateArray().Select(s => (s.GetProperty("stepId").GetString()!, s.GetProperty("outcome").GetString()!)));
        }

        return result;
    }

    public static async Task<JsonElement> RunOfAsync(this HttpClient admin, Guid journeyId, Guid customerId) =>
        (await admin.GetAsync<JsonElement>($"/api/journeys/{journeyId}/runs?customerId={customerId}")).EnumerateArray().First();

    public static Task<PondServer> StartAsync(DbEngine engine, ManualClock clock) => ScoreKit.StartAsync(engine, clock);
}
