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
using Pond.Commerce.Coupons;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Testing;
using Pond.Workspaces;

namespace Pond.Bench.Commerce;

/// <summary>
/// Coupon redemptions per second: POST /api/coupons/{code}/redeem over HTTP on loopback from many concurrent
/// clients (each request a different coupon and order), beside two baselines on the same data: the validate
/// endpoint (the same checks over HTTP, no write) and the same redemptions made directly through CouponRedeemer
/// (no HTTP). Ends with 50 clients redeeming one coupon at once: exactly one must win.
/// </summary>
internal static class CouponBench
{
    public sealed record Settings(int Coupons = 5_000, int Clients = 32);

    public sealed record Row(string Engine, string Path, int Operations, double Seconds, double P50Ms, double P99Ms)
    {
        public double Rate => Operations / Seconds;
    }

    public static async Task<List<Row>> RunAsync(DbEngine engine, Settings settings)
    {
        var root = Path.Combine(Path.GetTempPath(), $"pond-bench-{Guid.NewGuid():N}");
        try
        {
            var options = new PondOptions
            {
                DataDirectory = root, Urls = "http://127.0.0.1:0", RunEngines = false,
                Db = engine == DbEngine.Postgres ? PostgresCluster.Instance.CreateDatabase() : Database.SqliteFile(root),
            };
            await using var app = await PondHost.CreateAsync(options, services => services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning)));
            await app.StartAsync();
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            var workspaces = app.Services.GetRequiredService<WorkspaceService>();
            var workspace = await workspaces.CreateWorkspaceAsync("bench", "Bench brand");
            var key = await workspaces.CreateKeyAsync(workspace.Id, ApiKeyKinds.Secret, "bench", "bench");
            var templates = app.Services.GetRequiredService<CouponTemplates>();
            var template = await templates.CreateAsync(workspace.Id, new CouponTemplateInput { Name = "满200减30", Kind = CouponKinds.Threshold, Threshold = 200, Amount = 30, ValidDays = 30 }, "bench");

            // Three sets of coupons (HTTP redeem, direct redeem, warm-up), one customer each.
            var total = settings.Coupons * 2 + 500;
            Console.WriteLine($"{engine}: preparing {total:N0} customers and coupons…");
            var customers = await CustomersAsync(app.Services.GetRequiredService<Database>(), workspace.Id, total);
            var issuer = app.Services.GetRequiredService<CouponIssuer>();
            var coupons = new (Guid Customer, string Code)[total];
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < total)
                    coupons[i] = (customers[i], (await issuer.IssueAsync(workspace.Id, template.Id, customers[i], CouponSources.Api, null)).Coupon.Code);
            }));
            var warm = coupons[(settings.Coupons * 2)..];
            var overHttp = coupons[..settings.Coupons];
            var direct = coupons[settings.Coupons..(settings.Coupons * 2)];

            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = settings.Clients };
            using var client = new HttpClient(handler) { BaseAddress = address };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.PlainText);
            object Cart((Guid Customer, string Code) c, string prefix) => new
            {
                customerId = c.Customer, orderId = $"{prefix}-{c.Code}",
                items = new[] { new { sku = "SERUM-30", category = "护肤", price = 268m, quantity = 1 } },
            };

            await ParallelAsync(warm, settings.Clients, async c => await SendAsync(client, $"/api/coupons/{c.Code}/validate", Cart(c, "warm")));
            await ParallelAsync(warm, settings.Clients, async c => await SendAsync(client, $"/api/coupons/{c.Code}/redeem", Cart(c, "warm")));

            var rows = new List<Row>
            {
                await MeasureAsync(engine, "HTTP validate (checks only, baseline)", overHttp, settings.Clients,
                    async c => await SendAsync(client, $"/api/coupons/{c.Code}/validate", Cart(c, "order"))),
                await MeasureAsync(engine, "HTTP redeem", overHttp, settings.Clients,
                    async c => await SendAsync(client, $"/api/coupons/{c.Code}/redeem", Cart(c, "order"))),
            };
            var redeemer = app.Services.GetRequiredService<CouponRedeemer>();
            rows.Add(await MeasureAsync(engine, "CouponRedeemer direct (no HTTP, baseline)", direct, settings.Clients, async c =>
            {
                await redeemer.RedeemAsync(workspace.Id, c.Code, new CouponCart
                {
                    CustomerId = c.Customer, OrderId = $"direct-{c.Code}", Lines = [new CartLine("SERUM-30", "护肤", 26_800, 1)],
                }, "bench");
                return HttpStatusCode.OK;
            }));

            // Contention: 50 clients, one coupon (already used above? no: a fresh one).
            var contested = (await issuer.IssueAsync(workspace.Id, template.Id, customers[0], CouponSources.Api, null)).Coupon.Code;
            var statuses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => SendAsync(client, $"/api/coupons/{contested}/redeem",
                new { customerId = customers[0], orderId = $"race-{i}", items = new[] { new { sku = "SERUM-30", price = 268m, quantity = 1 } } }, expectOk: false)));
            var won = statuses.Count(s => s == HttpStatusCode.OK);
            Console.WriteLine($"{engine}: 50 parallel redeems of one coupon → {won} succeeded, {statuses.Count(s => s == HttpStatusCode.Conflict)} got 409");
            if (won != 1)
                throw new InvalidOperationException($"{won} of 50 parallel redeems succeeded; exactly one must.");
            await app.StopAsync();
            return rows;
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

    public static string Table(Settings settings, IEnumerable<Row> rows)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{settings.Coupons:N0} coupons per path, {settings.Clients} concurrent clients, each request a different coupon and order. Load average at the end: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown")} on {Environment.ProcessorCount} cores.");
        text.AppendLine();
        text.AppendLine("| engine | path | ops/s | p50 ms | p99 ms |");
        text.AppendLine("|---|---|---:|---:|---:|");
        foreach (var r in rows)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Engine} | {r.Path} | {r.Rate:N0} | {r.P50Ms:N1} | {r.P99Ms:N1} |");
        return text.ToString();
    }

    private static async Task<Row> MeasureAsync(DbEngine engine, string path, (Guid Customer, string Code)[] coupons, int clients,
        Func<(Guid Customer, string Code), Task<HttpStatusCode>> run)
    {
        var latencies = new double[coupons.Length];
        var clock = Stopwatch.StartNew();
        await ParallelAsync(coupons, clients, run, latencies);
        var seconds = clock.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        var row = new Row(engine.ToString(), path, coupons.Length, seconds, latencies[latencies.Length / 2], latencies[(int)(latencies.Length * 0.99)]);
        Console.WriteLine($"{engine} {path}: {row.Rate:N0}/s, p50 {row.P50Ms:N1} ms, p99 {row.P99Ms:N1} ms");
        return row;
    }

    private static async Task ParallelAsync((Guid Customer, string Code)[] items, int clients, Func<(Guid Customer, string Code), Task<HttpStatusCode>> run, double[]? latencies = null)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < items.Length)
            {
                var started = Stopwatch.GetTimestamp();
                await run(items[i]);
                if (latencies is not null)
                    latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }));
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, string path, object body, bool expectOk = true)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        if (expectOk && response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.StatusCode;
    }

    private static async Task<Guid[]> CustomersAsync(Database database, Guid workspaceId, int count)
    {
        var now = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7()).ToArray();
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO customers (id, workspace_id, display_name, traits, depth, marketing_opt_out, first_seen_at, last_seen_at, created_at, updated_at)
            VALUES (@id, @workspaceId, @name, '{}', 0, @optOut, @now, @now, @now, @now)
            """,
            ids.Select((id, i) => new { id, workspaceId, name = $"客户{i}", optOut = false, now }), transaction);
        await transaction.CommitAsync();
        return ids;
    }
}
