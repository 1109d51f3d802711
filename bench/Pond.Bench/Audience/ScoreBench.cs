using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Pond.Audience;
using Pond.Audience.Scores;
using Pond.Server.Demo;
using Pond.Storage;
using Pond.Testing;
using Pond.Workspaces;

namespace Pond.Bench.Audience;

/// <summary>
/// The score engine at scale: N customers with a few orders each (orders rows and their Order Completed timeline rows
/// loaded in bulk), then a full
/// run from nothing (every row written), a full run with nothing changed (aggregate and compare only), a full run
/// after switching to fixed breakpoints (most rows rewritten), and an incremental pass over 1,000 new orders.
/// </summary>
internal static class ScoreBench
{
    public sealed record Settings(int Customers = 1_000_000, double OrdersPerCustomer = 3.0);

    public sealed record Result(DbEngine Engine, int Customers, long Orders, double LoadSeconds, ScoreRunResult First, ScoreRunResult Unchanged,
        ScoreRunResult Resettled, double IncrementalMs, long PeakMemoryMb);

    public static async Task<Result> RunAsync(DbEngine engine, Settings settings)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"pond-score-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            using var database = new Database(engine == DbEngine.Postgres ? PostgresCluster.Instance.CreateDatabase() : Database.SqliteFile(folder));
            await new MigrationRunner(database, NullLogger<MigrationRunner>.Instance).MigrateAsync();
            var clock = TimeProvider.System;
            var workspaces = new WorkspaceService(database, clock, new AuditLog(database, clock));
            var workspace = await workspaces.CreateWorkspaceAsync("bench", "Bench");
            var now = clock.GetUtcNow();
            var load = Stopwatch.StartNew();
            var orders = await LoadAsync(database, workspace.Id, settings, now);
            load.Stop();
            Console.WriteLine($"{engine}: loaded {settings.Customers:N0} customers and {orders:N0} orders in {load.Elapsed.TotalSeconds:N1} s");

            var settingsStore = new ScoreSettingsStore(database, new AuditLog(database, clock), clock);
            using var scores = new ScoreEngine(database, settingsStore, new AudienceChanges(), clock, NullLogger<ScoreEngine>.Instance);
            await scores.InitialiseCheckpointAsync();
            var first = await scores.RecomputeAsync(workspace.Id);
            Console.WriteLine($"{engine}: first full run {first.DurationMs:N0} ms ({first.RowsChanged:N0} rows)");
            var unchanged = await scores.RecomputeAsync(workspace.Id);
            Console.WriteLine($"{engine}: unchanged full run {unchanged.DurationMs:N0} ms ({unchanged.RowsChanged:N0} rows)");
            await settingsStore.SaveRfmAsync(workspace.Id, RfmSettings.Default with { Scoring = RfmScoring.Fixed }, "bench");
            var resettled = await scores.RecomputeAsync(workspace.Id);
            Console.WriteLine($"{engine}: full run after a settings change {resettled.DurationMs:N0} ms ({resettled.RowsChanged:N0} rows)");

            var bulk = new BulkInserter(database);
            var customerIds = new List<Guid>();
            await using (var connection = await database.OpenAsync())
                customerIds = (await connection.QueryAsync<Guid>("SELECT id FROM customers WHERE workspace_id = @id LIMIT 1000", new { id = workspace.Id })).AsList();
            var newOrders = customerIds.Select((c, i) => (Customer: c, OrderId: $"new-{i}")).ToList();
            await bulk.InsertAsync("orders", OrderColumns, newOrders.Select(o => Order(workspace.Id, o.Customer, o.OrderId, now.ToUnixTimeMilliseconds(), 9900)));
            await bulk.InsertAsync("customer_events", ["workspace_id", "customer_id", "message_id", "type", "name", "occurred_at", "properties"],
                newOrders.Select(o => new object?[] { workspace.Id, o.Customer, $"order:{o.OrderId}", "track", "Order Completed", now.ToUnixTimeMilliseconds(), "{\"order_id\":\"" + o.OrderId + "\",\"revenue\": 99}" }));
            var incremental = Stopwatch.StartNew();
            while (await scores.ApplyNewOrdersAsync() > 0)
            {
            }

            incremental.Stop();
            Console.WriteLine($"{engine}: 1,000 new orders rescored in {incremental.Elapsed.TotalMilliseconds:N0} ms");
            return new Result(engine, settings.Customers, orders, load.Elapsed.TotalSeconds, first, unchanged, resettled, incremental.Elapsed.TotalMilliseconds,
                Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024));
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<long> LoadAsync(Database database, Guid workspaceId, Settings settings, DateTimeOffset now)
    {
        var random = new Random(20261123);
        var bulk = new BulkInserter(database);
        const int chunk = 100_000;
        long orders = 0;
        for (var start = 0; start < settings.Customers; start += chunk)
        {
            var count = Math.Min(chunk, settings.Customers - start);
            var ids = Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7()).ToArray();
            var at = now.AddDays(-400).ToUnixTimeMilliseconds();
            await bulk.InsertAsync("customers", ["id", "workspace_id", "traits", "depth", "marketing_opt_out", "first_seen_at", "last_seen_at", "created_at", "updated_at"],
                ids.Select(id => new object?[] { id, workspaceId, "{}", (short)0, false, at, at, at, at }));
            var rows = new List<object?[]>();
            var orderRows = new List<object?[]>();
            foreach (var id in ids)
            {
                // About 40% never order; buyers average OrdersPerCustomer / 0.6 orders over the last 500 days.
                if (random.NextDouble() < 0.4)
                    continue;
                var n = 1 + (int)(random.NextDouble() * (settings.OrdersPerCustomer / 0.6 - 1) * 2);
                for (var k = 0; k < n; k++)
                {
                    var when = now.AddDays(-random.NextDouble() * 500).ToUnixTimeMilliseconds();
                    var revenue = Math.Round(50 + (decimal)random.NextDouble() * 800, 2);
                    var orderId = $"o{orders + rows.Count}";
                    orderRows.Add(Order(workspaceId, id, orderId, when, Money.ToFen(revenue)));
                    rows.Add([workspaceId, id, $"order:{orderId}", "track", "Order Completed", when,
                        "{\"order_id\":\"" + orderId + "\",\"revenue\":" + revenue.ToString(CultureInfo.InvariantCulture) + "}"]);
                }
            }

            orders += rows.Count;
            await bulk.InsertAsync("orders", OrderColumns, orderRows);
            await bulk.InsertAsync("customer_events", ["workspace_id", "customer_id", "message_id", "type", "name", "occurred_at", "properties"], rows);
        }

        return orders;
    }

    private static readonly string[] OrderColumns =
    [
        "id", "workspace_id", "order_id", "customer_id", "placed_at", "sales_channel", "private_domain", "currency", "subtotal", "discount", "shipping",
        "paid", "refunded", "status", "source", "message_id", "created_at", "updated_at",
    ];

    /// <summary>An orders row of one line-less mini-program order, as the order book would record it (the score engine reads paid − refunded).</summary>
    private static object?[] Order(Guid workspaceId, Guid customerId, string orderId, long placedAt, long fen) =>
    [
        Guid.CreateVersion7(DateTimeOffset.FromUnixTimeMilliseconds(placedAt)), workspaceId, orderId, customerId, placedAt, "mini_program", true, "CNY",
        fen, 0L, 0L, fen, 0L, "completed", "api", $"order:{orderId}", placedAt, placedAt,
    ];

    public static string Table(IReadOnlyList<Result> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| engine | customers | orders | first full run (all rows written) | unchanged full run | after a settings change | 1,000 new orders (incremental) | peak memory |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Engine} | {r.Customers:N0} | {r.Orders:N0} | {r.First.DurationMs / 1000.0:N1} s ({r.First.RowsChanged:N0} rows) | {r.Unchanged.DurationMs / 1000.0:N1} s | {r.Resettled.DurationMs / 1000.0:N1} s ({r.Resettled.RowsChanged:N0} rows) | {r.IncrementalMs:N0} ms | {r.PeakMemoryMb:N0} MB |");
        }

        return text.ToString();
    }
}
