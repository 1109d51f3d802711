using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pond.Commerce.Coupons;
using Pond.Journeys;
using Pond.Server.Demo;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Testing;
using Pond.Workspaces;

namespace Pond.Bench.Journeys;

/// <summary>
/// Journey steps processed per second with a million customers enrolled. The journey: a 50/50 random split, a coupon
/// on one side and a tag on the other, a one-day wait; then a trait condition, a tag for VIPs, the end. Pass 1 runs the
/// split and the actions for everyone and parks them on the wait; the clock moves a day; pass 2 ends the wait and runs
/// the condition. The baseline, side by side in the same process, is the same engine taking one run per transaction
/// (how a row-at-a-time scheduler works) on a sample of runs of a second journey. Afterwards every run must have taken
/// exactly its steps and every coupon-side run must hold exactly one coupon.
/// </summary>
internal static class JourneyBench
{
    public sealed record Settings(int Customers = 1_000_000, int BaselineRuns = 5_000);

    public sealed record Result(
        string Engine, int Customers, double EnrolSeconds, long Pass1Steps, double Pass1Seconds, long Pass2Steps, double Pass2Seconds,
        long BaselineSteps, double BaselineSeconds, long PeakWorkingSetMb, long ManagedHeapMb, bool Consistent)
    {
        public double Pass1Rate => Pass1Steps / Pass1Seconds;
        public double Pass2Rate => Pass2Steps / Pass2Seconds;
        public double Rate => (Pass1Steps + Pass2Steps) / (Pass1Seconds + Pass2Seconds);
        public double BaselineRate => BaselineSteps / BaselineSeconds;
    }

    private sealed class BenchClock(DateTimeOffset start) : TimeProvider
    {
        private long _ticks = start.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    public static async Task<Result> RunAsync(DbEngine engine, Settings settings)
    {
        var root = Path.Combine(Path.GetTempPath(), $"pond-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            var clock = new BenchClock(DateTimeOffset.UtcNow);
            var db = engine == DbEngine.Postgres ? PostgresCluster.Instance.CreateDatabase() : Database.SqliteFile(root);
            var options = new PondOptions { DataDirectory = root, Db = db, Urls = "http://127.0.0.1:0", RunEngines = false };
            await using var app = await PondHost.CreateAsync(options, services =>
            {
                services.AddSingleton<TimeProvider>(clock);
                services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
            });
            var services = app.Services;
            var database = services.GetRequiredService<Database>();
            var workspace = await services.GetRequiredService<WorkspaceService>().CreateWorkspaceAsync("bench", "Bench");
            Console.WriteLine($"[{engine}] loading {settings.Customers:N0} customers…");
            var customers = await LoadCustomersAsync(services, workspace.Id, settings.Customers + settings.BaselineRuns, clock.GetUtcNow());
            var coupon = await services.GetRequiredService<CouponTemplates>().CreateAsync(workspace.Id,
                new CouponTemplateInput { Name = "旅程券 85折", Kind = CouponKinds.Percent, Percent = 85, ValidDays = 7 }, "bench");
            var catalog = services.GetRequiredService<JourneyCatalog>();
            var measured = await PublishAsync(catalog, workspace.Id, "Measured", coupon.Id);
            var baseline = await PublishAsync(catalog, workspace.Id, "Baseline", coupon.Id);
            var entries = services.GetRequiredService<JourneyEntries>();
            var journeyEngine = services.GetRequiredService<JourneyEngine>();

            var enrol = Stopwatch.StartNew();
            await EnrolAsync(database, entries, catalog, workspace.Id, measured, customers.GetRange(0, settings.Customers), clock.GetUtcNow());
            enrol.Stop();
            Console.WriteLine($"[{engine}] enrolled {settings.Customers:N0} in {enrol.Elapsed.TotalSeconds:F1} s");

            var pass1 = Stopwatch.StartNew();
            var pass1Steps = await journeyEngine.RunDueAsync();
            pass1.Stop();
            Console.WriteLine($"[{engine}] pass 1: {pass1Steps:N0} steps in {pass1.Elapsed.TotalSeconds:F1} s");
            clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
            var pass2 = Stopwatch.StartNew();
            var pass2Steps = await journeyEngine.RunDueAsync();
            pass2.Stop();
            Console.WriteLine($"[{engine}] pass 2: {pass2Steps:N0} steps in {pass2.Elapsed.TotalSeconds:F1} s");
            var peak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024);
            var heap = GC.GetTotalMemory(false) / (1024 * 1024);

            // The baseline: one run per transaction, on its own journey, the same two passes.
            await EnrolAsync(database, entries, catalog, workspace.Id, baseline, customers.GetRange(settings.Customers, settings.BaselineRuns), clock.GetUtcNow());
            var one = Stopwatch.StartNew();
            long baselineSteps = 0;
            while (await journeyEngine.ProcessBatchAsync(1) is { Runs: > 0 } batch)
                baselineSteps += batch.Steps;
            clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
            while (await journeyEngine.ProcessBatchAsync(1) is { Runs: > 0 } batch)
                baselineSteps += batch.Steps;
            one.Stop();

            var consistent = await CheckAsync(database, measured, settings.Customers, pass1Steps + pass2Steps);
            return new Result(engine.ToString(), settings.Customers, enrol.Elapsed.TotalSeconds, pass1Steps, pass1.Elapsed.TotalSeconds, pass2Steps,
                pass2.Elapsed.TotalSeconds, baselineSteps, one.Elapsed.TotalSeconds, peak, heap, consistent);
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

    private static async Task<Guid> PublishAsync(JourneyCatalog catalog, Guid workspaceId, string name, Guid couponTemplate)
    {
        var definition = new JourneyDefinition
        {
            Trigger = new JourneyTrigger { Kind = TriggerKinds.Manual },
            Start = "split",
            Steps =
            [
                new JourneyStep
                {
                    Id = "split", Kind = StepKinds.Random,
                    Branches = [new RandomBranch { Label = "coupon", Percent = 50, Next = "coupon" }, new RandomBranch { Label = "tag", Percent = 50, Next = "tag" }],
                },
                new JourneyStep { Id = "coupon", Kind = StepKinds.Coupon, TemplateId = couponTemplate, Next = "wait" },
                new JourneyStep { Id = "tag", Kind = StepKinds.Tag, Tag = "旅程B组", Next = "wait" },
                new JourneyStep { Id = "wait", Kind = StepKinds.Wait, Duration = new JourneyDuration { Days = 1 }, Next = "vip" },
                new JourneyStep
                {
                    Id = "vip", Kind = StepKinds.Condition, Condition = new JourneyCondition { Kind = ConditionKinds.Trait, Trait = "vip", Op = "eq", Value = true },
                    Yes = "vip_tag", No = "done",
                },
                new JourneyStep { Id = "vip_tag", Kind = StepKinds.Tag, Tag = "VIP关怀" },
                new JourneyStep { Id = "done", Kind = StepKinds.Exit },
            ],
        };
        var journey = await catalog.CreateAsync(workspaceId, new JourneyInput
        {
            Name = name, Definition = System.Text.Json.JsonSerializer.SerializeToElement(definition, JourneyDefinition.Json),
        }, "bench");
        await catalog.PublishAsync(workspaceId, journey.Id, "bench");
        return journey.Id;
    }

    private static async Task EnrolAsync(Database database, JourneyEntries entries, JourneyCatalog catalog, Guid workspaceId, Guid journeyId, List<Guid> customers,
        DateTimeOffset now)
    {
        var definition = await catalog.VersionAsync(journeyId, 1);
        await using var connection = await database.OpenAsync();
        for (var offset = 0; offset < customers.Count; offset += 10_000)
        {
            var chunk = customers.GetRange(offset, Math.Min(10_000, customers.Count - offset));
            await using var transaction = await connection.BeginTransactionAsync();
            await entries.EnterAsync(connection, transaction, workspaceId, journeyId, 1, definition, chunk, "bench", false, now);
            await transaction.CommitAsync();
        }
    }

    /// <summary>Customers straight into the table (one in ten a VIP), as the demo loads them.</summary>
    private static async Task<List<Guid>> LoadCustomersAsync(IServiceProvider services, Guid workspaceId, int count, DateTimeOffset now)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7()).ToList();
        var at = now.AddDays(-30).ToUnixTimeMilliseconds();
        await new BulkInserter(services.GetRequiredService<Database>()).InsertAsync("customers",
            ["id", "workspace_id", "display_name", "traits", "depth", "marketing_opt_out", "first_seen_at", "last_seen_at", "created_at", "updated_at"],
            ids.Select((id, i) => new object?[] { id, workspaceId, $"客户{i}", i % 10 == 0 ? "{\"vip\":true}" : "{}", (short)0, false, at, at, at, at }));
        return ids;
    }

    private static async Task<bool> CheckAsync(Database database, Guid journeyId, int customers, long steps)
    {
        await using var connection = await database.OpenAsync();
        var completed = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM journey_runs WHERE journey_id = @journeyId AND state IN ('completed', 'exited')", new { journeyId });
        var logged = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM journey_run_steps s JOIN journey_runs r ON r.id = s.run_id WHERE r.journey_id = @journeyId", new { journeyId });
        var couponSide = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM journey_run_steps s JOIN journey_runs r ON r.id = s.run_id WHERE r.journey_id = @journeyId AND s.step_id = 'coupon' AND s.outcome = 'issued'",
            new { journeyId });
        var coupons = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM coupons WHERE source = 'journey' AND issue_key LIKE 'journey:%'");
        var ok = completed == customers && logged == steps && coupons >= couponSide && couponSide > customers * 0.45 && couponSide < customers * 0.55;
        Console.WriteLine($"  check: {completed:N0} runs ended, {logged:N0} steps logged (engine counted {steps:N0}), {couponSide:N0} coupon steps, {coupons:N0} journey coupons → {(ok ? "consistent" : "INCONSISTENT")}");
        return ok;
    }

    public static string Table(Settings settings, IReadOnlyList<Result> rows)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"journeys: {settings.Customers:N0} customers enrolled; baseline = one run per transaction on {settings.BaselineRuns:N0} runs");
        text.AppendLine("| engine | enrol | pass 1 (split + coupon/tag) | pass 2 (wait + condition + tag/exit) | steps/s overall | baseline steps/s | ratio | peak working set | books |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in rows)
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Engine} | {r.Customers / r.EnrolSeconds:N0}/s | {r.Pass1Rate:N0} steps/s | {r.Pass2Rate:N0} steps/s | **{r.Rate:N0}** | {r.BaselineRate:N0} | {r.Rate / r.BaselineRate:F1}× | {r.PeakWorkingSetMb:N0} MB (heap {r.ManagedHeapMb:N0} MB) | {(r.Consistent ? "consistent" : "INCONSISTENT")} |");
        return text.ToString();
    }
}
