using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Pond.Ingestion;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Testing;
using Pond.Workspaces;

namespace Pond.Bench.Ingestion;

/// <summary>
/// Events per second through /v1/batch on a real Pond server over loopback (ack = durable, processor
/// off), beside the same rows bulk-inserted straight into a fresh database of the same kind, and the
/// event processor's rate applying what was ingested. Everything is bounded by the event count.
/// </summary>
internal static class IngestBench
{
    public sealed record Settings
    {
        public int Events { get; init; } = 100_000;
        public int Senders { get; init; } = 8;
        public int BatchSize { get; init; } = 100;
        public int ProcessEvents { get; init; } = 30_000;
    }

    public sealed record Result(DbEngine Engine, Settings Settings, int Events, double HttpSeconds, double HttpCpuSeconds, double DirectSeconds, int Processed, double ProcessSeconds)
    {
        public double HttpCpuMicros => HttpCpuSeconds * 1e6 / Events;
        public double HttpRate => Events / HttpSeconds;
        public double DirectRate => Events / DirectSeconds;
        public double ProcessRate => Processed / ProcessSeconds;
    }

    public static async Task<Result> RunAsync(DbEngine engine, Settings settings)
    {
        var root = Path.Combine(Path.GetTempPath(), $"pond-bench-{Guid.NewGuid():N}");
        try
        {
            var batches = Batches(settings, "run");
            // Enough warm-up for tiered JIT to finish compiling the hot path before the clock starts.
            var warmUp = Batches(settings with { Events = Math.Min(settings.Events, 300 * settings.BatchSize) }, "warm");
            var events = batches.Count * settings.BatchSize;

            Console.WriteLine($"[{engine}] {events} events in {batches.Count} batches of {settings.BatchSize}, {settings.Senders} senders");
            var options = new PondOptions
            {
                DataDirectory = Path.Combine(root, "server"),
                Db = ConnectionString(engine, Path.Combine(root, "server")),
                Urls = "http://127.0.0.1:0",
                RunEngines = false,
            };
            await using var app = await PondHost.CreateAsync(options, services => services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning)));
            await app.StartAsync();
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            var workspaces = app.Services.GetRequiredService<WorkspaceService>();
            var workspace = await workspaces.CreateWorkspaceAsync("bench", "Bench brand");
            var key = await workspaces.CreateKeyAsync(workspace.Id, ApiKeyKinds.Write, "bench", "bench");

            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = settings.Senders, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
            using var client = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key.PlainText + ":")));

            await SendAllAsync(client, warmUp, settings.Senders);
            await Task.Delay(TimeSpan.FromSeconds(1));
            // CPU time as well as wall time: this machine is shared, and CPU per event says what the
            // path costs whatever else is running.
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            await SendAllAsync(client, batches, settings.Senders);
            var httpSeconds = clock.Elapsed.TotalSeconds;
            var httpCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;

            var database = app.Services.GetRequiredService<Database>();
            await using (var check = await database.OpenAsync())
            {
                var stored = await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM event_log WHERE message_id LIKE 'run-%'");
                if (stored != events)
                    throw new InvalidOperationException($"Only {stored} of {events} acknowledged events are in the log.");
            }

            Console.WriteLine($"[{engine}] /v1/batch: {events / httpSeconds:N0} events/s, {httpCpu * 1e6 / events:N1} µs CPU per event (server and client together)");

            // The processor starts from the beginning of the log; bounded so the run ends in reasonable time.
            var processor = app.Services.GetRequiredService<EventProcessor>();
            clock.Restart();
            var processed = await processor.ProcessPendingAsync(settings.ProcessEvents);
            var processSeconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"[{engine}] processor: {processed / processSeconds:N0} events/s over {processed} events");
            await app.StopAsync();

            var rows = new List<EventRecord>(events);
            var receivedAt = DateTimeOffset.UtcNow;
            clock.Restart();
            foreach (var body in batches)
                rows.AddRange(SegmentMessages.ParseBatch(body, workspace.Id, receivedAt));
            Console.WriteLine($"[{engine}] validating and shaping alone (one thread): {events / clock.Elapsed.TotalSeconds:N0} events/s");
            var directSeconds = await DirectInsertAsync(engine, Path.Combine(root, "direct"), rows);
            Console.WriteLine($"[{engine}] direct insert: {events / directSeconds:N0} events/s");

            return new Result(engine, settings, events, httpSeconds, httpCpu, directSeconds, processed, processSeconds);
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
    }

    public static string Table(IReadOnlyList<Result> results)
    {
        var text = new StringBuilder();
        text.AppendLine($"Load average at the end: {LoadAverage()} on {Environment.ProcessorCount} cores.");
        text.AppendLine();
        text.AppendLine("| engine | events | senders | batch | /v1/batch events/s (ack = durable) | CPU µs/event (API, client + server) | direct bulk insert events/s | direct ÷ API | processor events/s |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Engine} | {r.Events:N0} | {r.Settings.Senders} | {r.Settings.BatchSize} | {r.HttpRate:N0} | {r.HttpCpuMicros:N1} | {r.DirectRate:N0} | {r.DirectRate / r.HttpRate:N2}× | {r.ProcessRate:N0} ({r.Processed:N0} events) |");
        }

        return text.ToString();
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private static string ConnectionString(DbEngine engine, string folder) => engine == DbEngine.Postgres
        ? PostgresCluster.Instance.CreateDatabase()
        : Database.SqliteFile(folder);

    private static async Task SendAllAsync(HttpClient client, List<byte[]> batches, int senders)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, senders).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Count)
            {
                using var content = new ByteArrayContent(batches[i]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await client.PostAsync("/v1/batch", content);
                if (response.StatusCode != HttpStatusCode.OK)
                    throw new InvalidOperationException($"Batch {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }));
    }

    /// <summary>The baseline: the same rows into a fresh, migrated database, in large transactions, no HTTP.</summary>
    private static async Task<double> DirectInsertAsync(DbEngine engine, string folder, List<EventRecord> rows)
    {
        const int chunk = 5000;
        using var database = new Database(ConnectionString(engine, folder));
        await new MigrationRunner(database, NullLogger<MigrationRunner>.Instance).MigrateAsync();
        await using var connection = await database.OpenAsync();
        var clock = Stopwatch.StartNew();
        if (connection is SqliteConnection sqlite)
        {
            using var insert = sqlite.CreateCommand();
            insert.CommandText = EventLogSql.SqliteInsert;
            foreach (var name in EventLogSql.SqliteParameters)
                insert.Parameters.Add(new SqliteParameter { ParameterName = name });
            for (var start = 0; start < rows.Count; start += chunk)
            {
                using var transaction = sqlite.BeginTransaction(deferred: false);
                insert.Transaction = transaction;
                for (var i = start; i < Math.Min(rows.Count, start + chunk); i++)
                    EventLogSql.InsertSqlite(insert, rows[i]);
                transaction.Commit();
            }
        }
        else
        {
            var npgsql = (NpgsqlConnection)connection;
            for (var start = 0; start < rows.Count; start += chunk)
                await EventLogSql.InsertPostgresAsync(npgsql, rows.GetRange(start, Math.Min(chunk, rows.Count - start)));
        }

        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Realistic traffic: a pool of people (one per ten events), a fifth of messages identify with
    /// traits, the rest are product views, cart adds and orders with properties.
    /// </summary>
    private static List<byte[]> Batches(Settings settings, string prefix)
    {
        var random = new Random(42);
        var people = Math.Max(1, settings.Events / 10);
        var batches = new List<byte[]>();
        var sent = DateTimeOffset.UtcNow;
        var n = 0;
        for (var b = 0; b < settings.Events / settings.BatchSize; b++)
        {
            var messages = new List<object>(settings.BatchSize);
            for (var i = 0; i < settings.BatchSize; i++, n++)
            {
                var person = random.Next(people);
                var at = sent.AddSeconds(-random.Next(3600)).ToString("O", CultureInfo.InvariantCulture);
                var messageId = $"{prefix}-{n}";
                if (random.Next(5) == 0)
                {
                    messages.Add(new
                    {
                        type = "identify", userId = $"user-{person}", messageId, originalTimestamp = at,
                        traits = new { name = $"顾客{person}", phone = $"138{person:D8}", city = "杭州", tier = random.Next(3) },
                        context = new { library = new { name = "analytics-node", version = "6.2.0" } },
                    });
                }
                else
                {
                    var @event = random.Next(10) switch { 0 => "Order Completed", < 4 => "Product Added", _ => "Product Viewed" };
                    messages.Add(new
                    {
                        type = "track", userId = $"user-{person}", messageId, originalTimestamp = at, @event,
                        properties = new { sku = $"SKU-{random.Next(500)}", price = 59.9, currency = "CNY", quantity = 1 },
                        context = new { library = new { name = "analytics-node", version = "6.2.0" } },
                    });
                }
            }

            batches.Add(JsonSerializer.SerializeToUtf8Bytes(new { batch = messages, sentAt = sent.ToString("O", CultureInfo.InvariantCulture) }));
        }

        return batches;
    }
}
