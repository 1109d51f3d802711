using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pond.Loyalty;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Testing;
using Pond.Workspaces;

namespace Pond.Bench.Loyalty;

/// <summary>
/// Points spends over HTTP on loopback (POST /api/customers/{id}/points/spend) from many concurrent clients: a few
/// "hot" customers that everyone spends from at once (row contention: the conditional UPDATE queues) and many customers
/// each spent from once. Each customer starts with enough points for half the spends aimed at it, so half are refused
/// with 409; the run checks afterwards that no balance went negative and that every ledger adds up.
/// </summary>
internal static class PointsBench
{
    public sealed record Settings(int Requests = 10_000, int Clients = 64, int HotCustomers = 10, int ColdCustomers = 2_000);

    public sealed record Result(string Engine, string Scenario, int Requests, int Succeeded, int Refused, double Seconds, double P50, double P99, bool BooksBalanced)
    {
        public double Rate => Requests / Seconds;
    }

    public static async Task<List<Result>> RunAsync(DbEngine engine, Settings settings)
    {
        var root = Path.Combine(Path.GetTempPath(), $"pond-bench-{Guid.NewGuid():N}");
        var results = new List<Result>();
        try
        {
            var options = new PondOptions
            {
                DataDirectory = root,
                Db = engine == DbEngine.Postgres ? PostgresCluster.Instance.CreateDatabase() : Database.SqliteFile(root),
                Urls = "http://127.0.0.1:0",
                RunEngines = false,
            };
            await using var app = await PondHost.CreateAsync(options, services => services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning)));
            await app.StartAsync();
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            var workspaces = app.Services.GetRequiredService<WorkspaceService>();
            var ws = await workspaces.CreateWorkspaceAsync("points-bench", "Points bench");
            var key = await workspaces.CreateKeyAsync(ws.Id, ApiKeyKinds.Secret, "bench", "bench");
            var database = app.Services.GetRequiredService<Database>();
            var points = app.Services.GetRequiredService<PointsBook>();

            async Task<List<Guid>> CustomersAsync(int count, long balance)
            {
                var ids = Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7()).ToList();
                await using (var connection = await database.OpenAsync())
                {
                    await using var transaction = await connection.BeginTransactionAsync();
                    await connection.ExecuteAsync(
                        "INSERT INTO customers (id, workspace_id, traits, first_seen_at, last_seen_at, created_at, updated_at) VALUES (@id, @ws, '{}', @now, @now, @now, @now)",
                        ids.Select(id => new { id, ws = ws.Id, now = DateTimeOffset.UtcNow }), transaction);
                    await transaction.CommitAsync();
                }

                foreach (var id in ids)
                    await points.EarnAsync(ws.Id, id, balance, "Opening balance", PointsSources.Manual, null, $"open:{id:N}");
                return ids;
            }

            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = settings.Clients };
            using var client = new HttpClient(handler) { BaseAddress = address };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.PlainText);

            // Hot: every request aims at one of a few customers, each funded for half of what is aimed at it.
            var perHot = settings.Requests / settings.HotCustomers;
            var hot = await CustomersAsync(settings.HotCustomers, perHot / 2 * 10);
            results.Add(await FireAsync(engine, "hot (10 customers)", client, settings, i => hot[i % hot.Count], database, hot));

            var perCold = Math.Max(1, settings.Requests / settings.ColdCustomers);
            var cold = await CustomersAsync(settings.ColdCustomers, Math.Max(1, perCold / 2) * 10);
            results.Add(await FireAsync(engine, $"spread ({settings.ColdCustomers:N0} customers)", client, settings, i => cold[i % cold.Count], database, cold));
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return results;
    }

    private static async Task<Result> FireAsync(DbEngine engine, string scenario, HttpClient client, Settings settings, Func<int, Guid> customerOf, Database database,
        List<Guid> customers)
    {
        // Warm-up: a few requests so the first connections and JIT are not in the figures.
        for (var i = 0; i < 20; i++)
            await client.PostAsync($"/api/customers/{customerOf(i)}/points/spend", Json(new { points = 1, reason = "warm", idempotencyKey = $"warm-{scenario}-{i}" }));

        var latencies = new double[settings.Requests];
        int next = -1, ok = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(async _ =>
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= settings.Requests)
                    return;
                var started = Stopwatch.GetTimestamp();
                using var response = await client.PostAsync($"/api/customers/{customerOf(i)}/points/spend",
                    Json(new { points = 10, reason = "Coupon", idempotencyKey = $"{scenario}-{i}" }));
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (response.StatusCode == HttpStatusCode.OK)
                    Interlocked.Increment(ref ok);
                else if (response.StatusCode == HttpStatusCode.Conflict)
                    Interlocked.Increment(ref refused);
                else
                    throw new InvalidOperationException($"Unexpected {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        Array.Sort(latencies);

        await using var connection = await database.OpenAsync();
        var unbalanced = 0L;
        foreach (var id in customers)
        {
            unbalanced += await connection.ExecuteScalarAsync<long>(
                """
                SELECT COUNT(*) FROM points_balances b
                WHERE b.customer_id = @id AND (b.balance < 0 OR b.balance <> (SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM points_ledger l WHERE l.customer_id = @id))
                """, new { id });
        }

        return new Result(engine.ToString(), scenario, settings.Requests, ok, refused, seconds, latencies[latencies.Length / 2], latencies[(int)(latencies.Length * 0.99)], unbalanced == 0);
    }

    private static StringContent Json(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body, System.Text.Json.JsonSerializerOptions.Web), Encoding.UTF8, "application/json");

    public static string Table(Settings settings, IReadOnlyList<Result> results)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Points spends over HTTP, {settings.Clients} concurrent clients, {settings.Requests:N0} requests per scenario (half refused: not enough points)");
        text.AppendLine("| engine | scenario | spends/s | p50 ms | p99 ms | succeeded | refused (409) | books balanced |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---|");
        foreach (var r in results)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Engine} | {r.Scenario} | {r.Rate:N0} | {r.P50:N1} | {r.P99:N1} | {r.Succeeded:N0} | {r.Refused:N0} | {(r.BooksBalanced ? "yes" : "NO")} |");
        return text.ToString();
    }
}
