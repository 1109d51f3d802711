using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using Pond.Ingestion;
using Pond.Storage;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Ingestion;

/// <summary>Helpers for the ingestion tests: sending Segment messages and reading what they did.</summary>
internal static class IngestionKit
{
    /// <summary>A server whose event processor is driven by the test, so every step is observable.</summary>
    public static Task<PondServer> StartAsync(DbEngine engine) => PondServer.StartAsync(engine, runEngines: false);

    public static async Task<HttpResponseMessage> PostAsync(this HttpClient client, string path, object body)
    {
        var json = body as string ?? JsonSerializer.Serialize(body);
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await client.PostAsync(path, content);
    }

    public static async Task SendOkAsync(this HttpClient client, string path, object body)
    {
        using var response = await client.PostAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        text.ShouldBe("{\"success\":true}");
    }

    public static async Task<(HttpStatusCode Status, string Detail)> ProblemAsync(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, document.RootElement.GetProperty("detail").GetString() ?? "");
    }

    public static HttpClient WithBasic(this HttpClient client, string user)
    {
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":")));
        return client;
    }

    public static Task<int> ProcessAsync(this PondServer server, int maxEvents = int.MaxValue) =>
        server.Service<EventProcessor>().ProcessPendingAsync(maxEvents);

    public static async Task<long> CountAsync(this PondServer server, string sql, object? parameters = null)
    {
        await using var connection = await server.Service<Database>().OpenAsync();
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    public static async Task ExecuteAsync(this PondServer server, string sql, object? parameters = null)
    {
        await using var connection = await server.Service<Database>().OpenAsync();
        await connection.ExecuteAsync(sql, parameters);
    }

    public static async Task<T?> ScalarAsync<T>(this PondServer server, string sql, object? parameters = null)
    {
        await using var connection = await server.Service<Database>().OpenAsync();
        return await connection.ExecuteScalarAsync<T>(sql, parameters);
    }

    public static async Task<List<T>> QueryAsync<T>(this PondServer server, string sql, object? parameters = null)
    {
        await using var connection = await server.Service<Database>().OpenAsync();
        return (await connection.QueryAsync<T>(sql, parameters)).AsList();
    }

    /// <summary>The customer an identity points at.</summary>
    public static Task<Guid?> CustomerOfAsync(this PondServer server, Guid workspaceId, string kind, string value) =>
        server.ScalarAsync<Guid?>(
            "SELECT customer_id FROM identities WHERE workspace_id = @workspaceId AND kind = @kind AND value = @value",
            new { workspaceId, kind, value });

    /// <summary>
    /// Every customer described by what does not depend on generated ids: identities, profile, timeline
    /// and relationships. Two runs over the same events must give the same snapshot.
    /// </summary>
    public static async Task<List<string>> SnapshotAsync(this PondServer server)
    {
        var customers = await server.QueryAsync<SnapshotRow>(
            """
            SELECT id, display_name, traits, depth, marketing_opt_out, first_seen_at, last_seen_at, first_order_at, last_order_at
            FROM customers
            """);
        var lines = new List<string>();
        foreach (var c in customers)
        {
            var identities = await server.QueryAsync<string>(
                "SELECT kind || ':' || scope || ':' || value FROM identities WHERE customer_id = @Id ORDER BY 1", new { c.Id });
            var events = await server.QueryAsync<string>(
                "SELECT message_id FROM customer_events WHERE customer_id = @Id ORDER BY message_id", new { c.Id });
            var relationships = await server.QueryAsync<string>(
                """
                SELECT k.kind || ':' || k.external_id || ':' || r.state FROM relationships r JOIN carriers k ON k.id = r.carrier_id
                WHERE r.customer_id = @Id ORDER BY 1
                """, new { c.Id });
            lines.Add(string.Join(" | ",
                string.Join(",", identities), c.DisplayName, c.Traits, c.Depth, c.MarketingOptOut, c.FirstSeenAt, c.LastSeenAt,
                c.FirstOrderAt, c.LastOrderAt, string.Join(",", events), string.Join(",", relationships)));
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    public static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);

    private sealed class SnapshotRow
    {
        public Guid Id { get; init; }
        public string? DisplayName { get; init; }
        public string Traits { get; init; } = "";
        public int Depth { get; init; }
        public bool MarketingOptOut { get; init; }
        public DateTimeOffset FirstSeenAt { get; init; }
        public DateTimeOffset LastSeenAt { get; init; }
        public DateTimeOffset? FirstOrderAt { get; init; }
        public DateTimeOffset? LastOrderAt { get; init; }
    }
}
