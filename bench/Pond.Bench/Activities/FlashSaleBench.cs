using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pond.Activities;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Testing;
using Pond.Workspaces;

namespace Pond.Bench.Activities;

/// <summary>
/// Flash-sale purchase attempts over HTTP on loopback (POST /api/flash-sales/{id}/attempts with the secret key) from many
/// concurrent clients, on SQLite and PostgreSQL. Stock is a fraction of the attempts, so both reservations and sold-out
/// refusals are measured. Side by side in the same run: GET /healthz at the same concurrency (the HTTP floor) and the
/// same attempts called on the service directly (no HTTP). After each run the invariants are checked against the rows.
/// </summary>
internal static class FlashSaleBench
{
    public sealed record Settings(int Attempts = 20_000, int Clients = 64, int Customers = 20_000, int Stock = 5_000);

    public sealed record Side(string Engine, string Path, int Requests, double Seconds, int Reserved, IReadOnlyDictionary<string, int> Refused,
        double P50Ms, double P99Ms, double ReservedP50Ms, double ReservedP99Ms, double RefusedP50Ms, double RefusedP99Ms)
    {
        public double Rate => Requests / Seconds;
    }

    public static async Task<List<Side>> RunAsync(DbEngine engine, Settings settings)
    {
        var root = Path.Combine(Path.GetTempPath(), $"pond-bench-{Guid.NewGuid():N}");
        try
        {
            var (app, address) = await BenchServer.StartAsync(engine, root, settings.Clients);
            await using var _ = app;
            var (workspace, client) = await BenchServer.AdminClientAsync(app, address, settings.Clients);
            using var __ = client;
            var database = app.Services.GetRequiredService<Database>();
            var sales = app.Services.GetRequiredService<FlashSales>();
            Console.WriteLine($"{engine}: inserting {settings.Customers:N0} customers…");
            var customers = await CustomersAsync(database, workspace.Id, settings.Customers);


            // Warm up: JIT, connection pools, prepared statements, on a sale of its own.
            var warm = await SaleAsync(sales, workspace.Id, settings.Stock / 10 + 1);
            await HttpAttemptsAsync(client, warm, customers, Math.Min(3_000, settings.Attempts / 4), settings.Clients, seed: 1);
            await HealthAsync(client, 2_000, settings.Clients);

            var sides = new List<Side>();
            var name = engine == DbEngine.Postgres ? "PostgreSQL" : "SQLite";
            sides.Add(await HealthAsync(client, settings.Attempts, settings.Clients) with { Engine = name });

            var httpSale = await SaleAsync(sales, workspace.Id, settings.Stock);
            var http = await HttpAttemptsAsync(client, httpSale, customers, settings.Attempts, settings.Clients, seed: 2);
            sides.Add(http with { Engine = name });
            await VerifyAsync(database, sales, workspace.Id, httpSale, http);

            var directSale = await SaleAsync(sales, workspace.Id, settings.Stock);
            var direct = await DirectAttemptsAsync(sales, workspace.Id, directSale, customers, settings.Attempts, settings.Clients, seed: 2);
            sides.Add(direct with { Engine = name });
            await VerifyAsync(database, sales, workspace.Id, directSale, direct);
            await app.StopAsync();
            return sides;
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

    private static async Task<Guid> SaleAsync(FlashSales sales, Guid workspaceId, int stock) =>
        (await sales.CreateAsync(workspaceId, new FlashSaleInput
        {
            Name = "bench", Sku = "BENCH-1", OriginalPrice = 100m, FlashPrice = 9.9m, Stock = stock, PerCustomerLimit = 1,
            StartsAt = DateTimeOffset.UtcNow.AddMinutes(-1), EndsAt = DateTimeOffset.UtcNow.AddHours(6), PaymentTimeoutMinutes = 60,
        }, "bench")).Id;

    private static async Task<List<Guid>> CustomersAsync(Database database, Guid workspaceId, int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7()).ToList();
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var now = DateTimeOffset.UtcNow;
        foreach (var id in ids)
            await connection.ExecuteAsync(
                """
                INSERT INTO customers (id, workspace_id, display_name, traits, depth, marketing_opt_out, first_seen_at, last_seen_at, created_at, updated_at)
                VALUES (@id, @workspaceId, 'bench', '{}', 0, @no, @now, @now, @now, @now)
                """, new { id, workspaceId, no = false, now }, transaction);
        await transaction.CommitAsync();
        return ids;
    }

    private static async Task<Side> HealthAsync(HttpClient client, int requests, int clients)
    {
        var latencies = new ConcurrentBag<(double Ms, int Kind)>();
        var clock = Stopwatch.StartNew();
        await RunConcurrentlyAsync(requests, clients, async _ =>
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await client.GetAsync("/healthz");
            response.EnsureSuccessStatusCode();
            latencies.Add((Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0));
        });
        return Summarise("", "GET /healthz (HTTP floor)", requests, clock.Elapsed.TotalSeconds, latencies, new ConcurrentDictionary<string, int>(), 0);
    }

    private static async Task<Side> HttpAttemptsAsync(HttpClient client, Guid saleId, List<Guid> customers, int requests, int clients, int seed)
    {
        var order = Shuffled(customers, requests, seed);
        var latencies = new ConcurrentBag<(double Ms, int Kind)>();
        var refused = new ConcurrentDictionary<string, int>();
        var reserved = 0;
        var clock = Stopwatch.StartNew();
        await RunConcurrentlyAsync(requests, clients, async i =>
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await client.PostAsJsonAsync($"/api/flash-sales/{saleId}/attempts", new { customerId = order[i] });
            var body = await response.Content.ReadAsStringAsync();
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (response.StatusCode == HttpStatusCode.Created)
            {
                Interlocked.Increment(ref reserved);
                latencies.Add((ms, 1));
            }
            else if (response.StatusCode == HttpStatusCode.Conflict)
            {
                using var problem = JsonDocument.Parse(body);
                refused.AddOrUpdate(problem.RootElement.GetProperty("reason").GetString()!, 1, (_, n) => n + 1);
                latencies.Add((ms, 2));
            }
            else
            {
                throw new InvalidOperationException($"Attempt answered {(int)response.StatusCode}: {body}");
            }
        });
        return Summarise("", "POST attempts over HTTP", requests, clock.Elapsed.TotalSeconds, latencies, refused, reserved);
    }

    private static async Task<Side> DirectAttemptsAsync(FlashSales sales, Guid workspaceId, Guid saleId, List<Guid> customers, int requests, int clients, int seed)
    {
        var order = Shuffled(customers, requests, seed);
        var latencies = new ConcurrentBag<(double Ms, int Kind)>();
        var refused = new ConcurrentDictionary<string, int>();
        var reserved = 0;
        var clock = Stopwatch.StartNew();
        await RunConcurrentlyAsync(requests, clients, async i =>
        {
            var started = Stopwatch.GetTimestamp();
            var outcome = await sales.AttemptAsync(workspaceId, saleId, order[i], null);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (outcome.Reservation is not null)
            {
                Interlocked.Increment(ref reserved);
                latencies.Add((ms, 1));
            }
            else
            {
                refused.AddOrUpdate(outcome.Refusal!, 1, (_, n) => n + 1);
                latencies.Add((ms, 2));
            }
        });
        return Summarise("", "service call, no HTTP", requests, clock.Elapsed.TotalSeconds, latencies, refused, reserved);
    }

    /// <summary>Each customer appears in random order, some more than once (the limit of 1 then refuses the repeats).</summary>
    private static Guid[] Shuffled(List<Guid> customers, int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => customers[random.Next(customers.Count)]).ToArray();
    }

    private static async Task RunConcurrentlyAsync(int requests, int clients, Func<int, Task> one)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
                await one(i);
        })));
    }

    private static Side Summarise(string engine, string path, int requests, double seconds, ConcurrentBag<(double Ms, int Kind)> latencies,
        ConcurrentDictionary<string, int> refused, int reserved)
    {
        var all = latencies.Select(l => l.Ms).Order().ToArray();
        var ok = latencies.Where(l => l.Kind == 1).Select(l => l.Ms).Order().ToArray();
        var no = latencies.Where(l => l.Kind == 2).Select(l => l.Ms).Order().ToArray();
        return new Side(engine, path, requests, seconds, reserved, new Dictionary<string, int>(refused),
            Percentile(all, 0.5), Percentile(all, 0.99), Percentile(ok, 0.5), Percentile(ok, 0.99), Percentile(no, 0.5), Percentile(no, 0.99));
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>The counters, the rows and the outcomes must agree: nothing oversold, nobody twice.</summary>
    private static async Task VerifyAsync(Database database, FlashSales sales, Guid workspaceId, Guid saleId, Side side)
    {
        var counters = await sales.CountersAsync(workspaceId, saleId);
        await using var connection = await database.OpenAsync();
        var rows = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM flash_reservations WHERE sale_id = @saleId", new { saleId });
        var customers = await connection.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT customer_id) FROM flash_reservations WHERE sale_id = @saleId", new { saleId });
        var problems = new List<string>();
        if (counters.Reserved + counters.Sold > counters.Stock) problems.Add($"reserved {counters.Reserved} + sold {counters.Sold} > stock {counters.Stock}");
        if (counters.Reserved != side.Reserved) problems.Add($"reserved counter {counters.Reserved} ≠ successful attempts {side.Reserved}");
        if (counters.Sold != 0 || counters.Remaining != counters.Stock - side.Reserved) problems.Add($"sold {counters.Sold}, remaining {counters.Remaining}");
        if (rows != side.Reserved || customers != rows) problems.Add($"rows {rows}, distinct customers {customers}, successes {side.Reserved}");
        if (counters.Attempts != side.Requests || counters.Refusals.Values.Sum() != side.Requests - side.Reserved)
            problems.Add($"attempts counter {counters.Attempts} / refusals {counters.Refusals.Values.Sum()} vs {side.Requests} requests");
        if (side.Reserved < counters.Stock && side.Refused.GetValueOrDefault(RefusalReasons.SoldOut) > 0) problems.Add("sold_out refused while stock remained");
        Console.WriteLine(problems.Count == 0
            ? $"  verified {side.Path}: stock {counters.Stock} = reserved {counters.Reserved} + sold {counters.Sold} + remaining {counters.Remaining}; {rows} rows, {customers} distinct customers; attempts {counters.Attempts:N0}"
            : $"  INVARIANT BROKEN ({side.Path}): {string.Join("; ", problems)}");
        if (problems.Count > 0)
            throw new InvalidOperationException("Flash-sale invariants broken: " + string.Join("; ", problems));
    }

    public static string Table(Settings settings, IReadOnlyList<Side> sides)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{settings.Attempts:N0} requests per row, {settings.Clients} concurrent clients on loopback, stock {settings.Stock:N0} per sale, limit 1, {settings.Customers:N0} customers drawn at random. Load average at the end: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown")} on {Environment.ProcessorCount} cores.");
        text.AppendLine();
        text.AppendLine("| engine | path | requests/s | p50 ms | p99 ms | reserved | reserved p50 / p99 ms | refused (sold_out / limit_reached) | refused p50 / p99 ms |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in sides)
        {
            var refusedText = s.Path.StartsWith("GET", StringComparison.Ordinal) ? "—"
                : $"{s.Refused.GetValueOrDefault(RefusalReasons.SoldOut):N0} / {s.Refused.GetValueOrDefault(RefusalReasons.LimitReached):N0}";
            var reservedLatency = s.Reserved > 0 ? $"{s.ReservedP50Ms:0.0} / {s.ReservedP99Ms:0.0}" : "—";
            var refusedLatency = s.Refused.Count > 0 ? $"{s.RefusedP50Ms:0.0} / {s.RefusedP99Ms:0.0}" : "—";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.Engine} | {s.Path} | {s.Rate:N0} | {s.P50Ms:0.0} | {s.P99Ms:0.0} | {(s.Path.StartsWith("GET", StringComparison.Ordinal) ? "—" : s.Reserved.ToString("N0", CultureInfo.InvariantCulture))} | {reservedLatency} | {refusedText} | {refusedLatency} |");
        }
        return text.ToString();
    }
}
