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
using Pond.Fission.Assists;
using Pond.Fission.Lotteries;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Testing;
using Pond.Workspaces;

namespace Pond.Bench.Fission;

/// <summary>
/// Lottery draws over HTTP on loopback (POST /api/lotteries/{id}/draws with the secret key) from many concurrent clients,
/// on SQLite and PostgreSQL: every draw spends points and picks from a pool whose small prizes run out during the run,
/// and a tenth of the requests repeat a customer (refused: once a day). Side by side: GET /healthz at the same
/// concurrency and the same draws called on the service directly. Afterwards the rows are checked: no prize past its
/// stock, wins per prize = awarded, one entry and one points spend per customer.
/// </summary>
internal static class LotteryBench
{
    public sealed record Settings(int Customers = 5_000, int Clients = 64);

    public sealed record Side(string Engine, string Path, int Requests, double Seconds, int Drawn, int Won, int Refused, double P50Ms, double P99Ms)
    {
        public double Rate => Requests / Seconds;
    }

    private const long Cost = 10;

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
            var lotteries = app.Services.GetRequiredService<Lotteries>();
            Console.WriteLine($"{engine}: inserting {settings.Customers:N0} customers with points…");
            var customers = await CustomersAsync(database, workspace.Id, settings.Customers);


            var requests = settings.Customers + settings.Customers / 10;
            var warm = await LotteryAsync(lotteries, workspace.Id, settings.Customers);
            await HttpDrawsAsync(client, warm, customers.Take(Math.Min(1_000, customers.Count)).ToList(), Math.Min(1_000, customers.Count), settings.Clients, seed: 1);
            await HealthAsync(client, 2_000, settings.Clients);

            var name = engine == DbEngine.Postgres ? "PostgreSQL" : "SQLite";
            var sides = new List<Side> { await HealthAsync(client, requests, settings.Clients) with { Engine = name } };
            var httpLottery = await LotteryAsync(lotteries, workspace.Id, settings.Customers);
            var http = await HttpDrawsAsync(client, httpLottery, customers, requests, settings.Clients, seed: 2) with { Engine = name };
            sides.Add(http);
            await VerifyAsync(database, lotteries, workspace.Id, httpLottery, http);
            var directLottery = await LotteryAsync(lotteries, workspace.Id, settings.Customers);
            var direct = await DirectDrawsAsync(lotteries, workspace.Id, directLottery, customers, requests, settings.Clients, seed: 2) with { Engine = name };
            sides.Add(direct);
            await VerifyAsync(database, lotteries, workspace.Id, directLottery, direct);
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

    /// <summary>A pool where the two scarce prizes run out during the run (stock well below their expected wins).</summary>
    private static async Task<Guid> LotteryAsync(Lotteries lotteries, Guid workspaceId, int customers) =>
        (await lotteries.CreateAsync(workspaceId, new LotteryInput
        {
            Name = "bench", PointsCost = Cost, StartsAt = DateTimeOffset.UtcNow.AddMinutes(-1), EndsAt = DateTimeOffset.UtcNow.AddHours(6),
            Prizes =
            [
                new LotteryPrizeInput { Name = "一等奖", Probability = 1m, Stock = Math.Max(1, customers / 400), Reward = new GameRewardInput { Kind = GameRewardKinds.Gift, Gift = "丝巾" } },
                new LotteryPrizeInput { Name = "二等奖", Probability = 5m, Stock = Math.Max(1, customers / 50), Reward = new GameRewardInput { Kind = GameRewardKinds.Points, Points = 100 } },
                new LotteryPrizeInput { Name = "三等奖", Probability = 20m, Stock = customers, Reward = new GameRewardInput { Kind = GameRewardKinds.Points, Points = 5 } },
            ],
        }, "bench")).Id;

    private static async Task<List<Guid>> CustomersAsync(Database database, Guid workspaceId, int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7()).ToList();
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var now = DateTimeOffset.UtcNow;
        foreach (var id in ids)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO customers (id, workspace_id, display_name, traits, depth, marketing_opt_out, first_seen_at, last_seen_at, created_at, updated_at)
                VALUES (@id, @workspaceId, '抽奖会员', '{}', 0, @no, @now, @now, @now, @now)
                """, new { id, workspaceId, no = false, now }, transaction);
            // Enough points for every draw of the run: a balance and the lot it is spent from.
            await connection.ExecuteAsync(
                """
                INSERT INTO points_balances (customer_id, workspace_id, balance, debt, earned_total, spent_total, updated_at) VALUES (@id, @workspaceId, 1000, 0, 1000, 0, @now);
                INSERT INTO points_lots (id, workspace_id, customer_id, earned_at, expires_at, remaining) VALUES (@lot, @workspaceId, @id, @now, NULL, 1000);
                """, new { id, lot = Guid.CreateVersion7(), workspaceId, now }, transaction);
        }
        await transaction.CommitAsync();
        return ids;
    }

    /// <summary>Every customer once, then a tenth of them again (refused: already drawn today), in random order.</summary>
    private static Guid[] Order(List<Guid> customers, int count, int seed)
    {
        var random = new Random(seed);
        var order = customers.Concat(Enumerable.Range(0, count - customers.Count).Select(_ => customers[random.Next(customers.Count)])).ToArray();
        random.Shuffle(order);
        return order;
    }

    private static async Task<Side> HealthAsync(HttpClient client, int requests, int clients)
    {
        var latencies = new ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        await RunConcurrentlyAsync(requests, clients, async _ =>
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await client.GetAsync("/healthz");
            response.EnsureSuccessStatusCode();
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        });
        return Summarise("GET /healthz (HTTP floor)", requests, clock.Elapsed.TotalSeconds, latencies, 0, 0, 0);
    }

    private static async Task<Side> HttpDrawsAsync(HttpClient client, Guid lotteryId, List<Guid> customers, int requests, int clients, int seed)
    {
        var order = Order(customers, requests, seed);
        var latencies = new ConcurrentBag<double>();
        int drawn = 0, won = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        await RunConcurrentlyAsync(requests, clients, async i =>
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await client.PostAsJsonAsync($"/api/lotteries/{lotteryId}/draws", new { customerId = order[i] });
            var body = await response.Content.ReadAsStringAsync();
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            using var json = JsonDocument.Parse(body);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                Interlocked.Increment(ref drawn);
                if (json.RootElement.GetProperty("outcome").GetString() == DrawOutcomes.Won)
                    Interlocked.Increment(ref won);
            }
            else if (response.StatusCode == HttpStatusCode.Conflict && json.RootElement.GetProperty("reason").GetString() == GameRefusals.AlreadyDrawn)
            {
                Interlocked.Increment(ref refused);
            }
            else
            {
                throw new InvalidOperationException($"Draw answered {(int)response.StatusCode}: {body}");
            }
        });
        return Summarise("POST draws over HTTP", requests, clock.Elapsed.TotalSeconds, latencies, drawn, won, refused);
    }

    private static async Task<Side> DirectDrawsAsync(Lotteries lotteries, Guid workspaceId, Guid lotteryId, List<Guid> customers, int requests, int clients, int seed)
    {
        var order = Order(customers, requests, seed);
        var latencies = new ConcurrentBag<double>();
        int drawn = 0, won = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        await RunConcurrentlyAsync(requests, clients, async i =>
        {
            var started = Stopwatch.GetTimestamp();
            var outcome = await lotteries.DrawAsync(workspaceId, lotteryId, order[i], null);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (outcome.Entry is { } entry)
            {
                Interlocked.Increment(ref drawn);
                if (entry.Outcome == DrawOutcomes.Won)
                    Interlocked.Increment(ref won);
            }
            else if (outcome.Refusal == GameRefusals.AlreadyDrawn)
            {
                Interlocked.Increment(ref refused);
            }
            else
            {
                throw new InvalidOperationException($"Draw refused: {outcome.Refusal} {outcome.Message}");
            }
        });
        return Summarise("service call, no HTTP", requests, clock.Elapsed.TotalSeconds, latencies, drawn, won, refused);
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

    private static Side Summarise(string path, int requests, double seconds, ConcurrentBag<double> latencies, int drawn, int won, int refused)
    {
        var all = latencies.Order().ToArray();
        return new Side("", path, requests, seconds, drawn, won, refused, Percentile(all, 0.5), Percentile(all, 0.99));
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>No prize past its stock, wins per prize = awarded, one entry and one spend per customer, outcomes = rows.</summary>
    private static async Task VerifyAsync(Database database, Lotteries lotteries, Guid workspaceId, Guid lotteryId, Side side)
    {
        var counters = await lotteries.CountersAsync(workspaceId, lotteryId);
        await using var connection = await database.OpenAsync();
        var problems = new List<string>();
        foreach (var prize in counters.Prizes)
        {
            var wins = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM lottery_entries WHERE lottery_id = @lotteryId AND prize_id = @PrizeId AND outcome = 'won'", new { lotteryId, prize.PrizeId });
            if (prize.Awarded > prize.Stock) problems.Add($"{prize.Name}: awarded {prize.Awarded} > stock {prize.Stock}");
            if (wins != prize.Awarded) problems.Add($"{prize.Name}: {wins} winning entries but awarded {prize.Awarded}");
        }
        var entries = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM lottery_entries WHERE lottery_id = @lotteryId", new { lotteryId });
        var distinct = await connection.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT customer_id) FROM lottery_entries WHERE lottery_id = @lotteryId", new { lotteryId });
        var spends = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM points_ledger WHERE workspace_id = @workspaceId AND kind = 'spend' AND reference = @reference", new { workspaceId, reference = lotteryId.ToString() });
        if (entries != side.Drawn || distinct != entries) problems.Add($"entries {entries}, distinct customers {distinct}, successful draws {side.Drawn}");
        if (spends != entries) problems.Add($"{spends} points spends for {entries} entries");
        if (counters.Wins != side.Won) problems.Add($"wins counter {counters.Wins} ≠ won outcomes {side.Won}");
        if (counters.PointsSpent != entries * Cost) problems.Add($"points spent {counters.PointsSpent} ≠ {entries} × {Cost}");
        var stock = string.Join(", ", counters.Prizes.Select(p => $"{p.Name} {p.Awarded}/{p.Stock}"));
        Console.WriteLine(problems.Count == 0
            ? $"  verified {side.Path}: {entries:N0} entries = {distinct:N0} customers = {spends:N0} points spends; awarded/stock {stock}; {counters.OutOfStock:N0} draws picked a prize already gone"
            : $"  INVARIANT BROKEN ({side.Path}): {string.Join("; ", problems)}");
        if (problems.Count > 0)
            throw new InvalidOperationException("Lottery invariants broken: " + string.Join("; ", problems));
    }

    public static string Table(Settings settings, IReadOnlyList<Side> sides)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{settings.Customers:N0} customers draw once each plus {settings.Customers / 10:N0} repeats (refused) per row, {settings.Clients} concurrent clients on loopback, {Cost} points per draw, prizes 1% / 5% / 20% with the first two running out. Load average at the end: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown")} on {Environment.ProcessorCount} cores.");
        text.AppendLine();
        text.AppendLine("| engine | path | requests/s | p50 ms | p99 ms | draws | won | refused (already drawn) |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var s in sides)
        {
            var get = s.Path.StartsWith("GET", StringComparison.Ordinal);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.Engine} | {s.Path} | {s.Rate:N0} | {s.P50Ms:0.0} | {s.P99Ms:0.0} | {(get ? "—" : s.Drawn.ToString("N0", CultureInfo.InvariantCulture))} | {(get ? "—" : s.Won.ToString("N0", CultureInfo.InvariantCulture))} | {(get ? "—" : s.Refused.ToString("N0", CultureInfo.InvariantCulture))} |");
        }
        return text.ToString();
    }
}
