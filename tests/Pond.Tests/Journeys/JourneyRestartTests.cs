using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pond.Commerce.Coupons;
using Pond.Journeys;
using Pond.Server.Demo;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Testing;
using Pond.Tests.Infrastructure;
using Pond.Workspaces;
using Xunit.Abstractions;

namespace Pond.Tests.Journeys;

/// <summary>
/// Issue 7's must-show: the real server (pond.dll, its own OS process) is killed while 100,000 customers are in a
/// journey, once while they take their first steps and once while they come off the wait, and started again each time.
/// Afterwards every run took exactly the steps of its path, in order, every action happened once, and the counters agree.
/// </summary>
public sealed class JourneyRestartTests(ITestOutputHelper output)
{
    private const int Customers = 100_000;
    private const int KillAfter = 20_000;
    private const string GroupBTag = "旅程B组";
    private const string AfterTag = "已回访";
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task KilledTwiceWhile100kCustomersAreInAJourney_NoStepIsSkippedOrRepeated(DbEngine engine)
    {
        var total = Stopwatch.StartNew();
        var dataDirectory = Path.Combine(TestDatabase.RunFolder, $"restart-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dataDirectory);
        var connectionString = engine == DbEngine.Postgres ? PostgresCluster.Instance.CreateDatabase() : Database.SqliteFile(dataDirectory);

        // The database, prepared in this process without engines: a workspace, the customers, a coupon, the journey, everyone enrolled.
        await using var app = await PondHost.CreateAsync(
            new PondOptions { DataDirectory = dataDirectory, Db = connectionString, Urls = "http://127.0.0.1:0", RunEngines = false },
            services => services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning)));
        var services = app.Services;
        var database = services.GetRequiredService<Database>();
        var workspace = await services.GetRequiredService<WorkspaceService>().CreateWorkspaceAsync("restart", "Restart");
        var customers = Enumerable.Range(0, Customers).Select(_ => Guid.CreateVersion7()).ToList();
        var at = DateTimeOffset.UtcNow.AddDays(-30).ToUnixTimeMilliseconds();
        await new BulkInserter(database).InsertAsync("customers",
            ["id", "workspace_id", "display_name", "traits", "depth", "marketing_opt_out", "first_seen_at", "last_seen_at", "created_at", "updated_at"],
            customers.Select((id, i) => new object?[] { id, workspace.Id, $"客户{i}", "{}", (short)0, false, at, at, at, at }));
        // No per-customer limit: a repeated coupon step would issue a second coupon instead of being refused.
        var coupon = await services.GetRequiredService<CouponTemplates>().CreateAsync(workspace.Id,
            new CouponTemplateInput { Name = "回归券 85折", Kind = CouponKinds.Percent, Percent = 85, ValidDays = 7 }, "tests");
        var catalog = services.GetRequiredService<JourneyCatalog>();
        var definition = Definition(coupon.Id);
        var journey = await catalog.CreateAsync(workspace.Id, new JourneyInput
        {
            Name = "Restart", Definition = JsonSerializer.SerializeToElement(definition, JourneyDefinition.Json),
        }, "tests");
        journey.Problems.ShouldBeEmpty();
        await catalog.PublishAsync(workspace.Id, journey.Id, "tests");
        var published = await catalog.VersionAsync(journey.Id, 1);
        var entries = services.GetRequiredService<JourneyEntries>();
        await using (var connection = await database.OpenAsync())
        {
            foreach (var chunk in customers.Chunk(10_000))
            {
                await using var transaction = await connection.BeginTransactionAsync();
                (await entries.EnterAsync(connection, transaction, workspace.Id, journey.Id, 1, published, chunk, "restart", false, DateTimeOffset.UtcNow))
                    .ShouldBe(chunk.Length);
                await transaction.CommitAsync();
            }
        }

        output.WriteLine($"[{engine}] prepared {Customers:N0} enrolled customers in {total.Elapsed.TotalSeconds:F1} s");
        var journeyId = journey.Id;

        // Whatever fails, no server process outlives the test.
        PondProcess? server = null;
        try
        {
            // 1. The server takes the first steps (split, coupon or tag, arrive at the wait); killed once 20,000 runs moved on.
            var first = Stopwatch.StartNew();
            server = PondProcess.Start(dataDirectory, connectionString, engine);
            var moved = await PollAsync(server, database, "SELECT COUNT(*) FROM journey_runs WHERE journey_id = @journeyId AND step_id <> 'split'", journeyId,
                n => n >= KillAfter);
            server.Kill();
            var atSplit = await ScalarAsync(database, "SELECT COUNT(*) FROM journey_runs WHERE journey_id = @journeyId AND step_id = 'split'", journeyId);
            output.WriteLine($"[{engine}] kill 1 after {first.Elapsed.TotalSeconds:F1} s: {moved:N0} runs seen past the split, {atSplit:N0} still at it after the kill");
            atSplit.ShouldBeGreaterThan(0, "the first kill came after the server had finished the first steps: it proves nothing");

            // 2. Started again: it finishes the first steps; a minute after each run reached the wait, it comes off it.
            //    Killed again once 20,000 runs have completed.
            server = PondProcess.Start(dataDirectory, connectionString, engine);
            var completed = await PollAsync(server, database, "SELECT COUNT(*) FROM journey_runs WHERE journey_id = @journeyId AND state = 'completed'", journeyId,
                n => n >= KillAfter);
            server.Kill();
            var notCompleted = await ScalarAsync(database, "SELECT COUNT(*) FROM journey_runs WHERE journey_id = @journeyId AND state = 'waiting'", journeyId);
            output.WriteLine($"[{engine}] kill 2 after {first.Elapsed.TotalSeconds:F1} s: {completed:N0} runs seen completed, {notCompleted:N0} still waiting after the kill");
            notCompleted.ShouldBeGreaterThan(0, "the second kill came after every run had completed: it proves nothing");

            // 3. Started a third time: it runs until no run is left waiting, then is stopped.
            server = PondProcess.Start(dataDirectory, connectionString, engine);
            await PollAsync(server, database, "SELECT COUNT(*) FROM journey_runs WHERE journey_id = @journeyId AND state = 'waiting'", journeyId, n => n == 0);
            await server.StopAsync();
            output.WriteLine($"[{engine}] all runs ended {first.Elapsed.TotalSeconds:F1} s after the first start; {total.Elapsed.TotalSeconds:F1} s in all");
        }
        finally
        {
            server?.Kill();
        }

        await using var check = await database.OpenAsync();
        object args = new { journeyId, workspaceId = workspace.Id };

        // Every run completed; none is waiting, so none waits at a step that is due.
        var states = (await check.QueryAsync<Bucket>("SELECT state AS name, COUNT(*) AS count FROM journey_runs WHERE journey_id = @journeyId GROUP BY state", args)).ToList();
        states.Select(s => (s.Name, s.Count)).ShouldBe([("completed", (long)Customers)]);

        // Every run took exactly the four steps of its path, each once, numbered 0..3 in the order taken: none skipped, none repeated.
        var lengths = (await check.QueryAsync<Bucket>(
            """
            SELECT CAST(n AS TEXT) AS name, COUNT(*) AS count FROM (
              SELECT r.id, COUNT(s.step_id) AS n FROM journey_runs r LEFT JOIN journey_run_steps s ON s.run_id = r.id
              WHERE r.journey_id = @journeyId GROUP BY r.id) AS x
            GROUP BY n
            """, args)).ToList();
        lengths.Select(l => (l.Name, l.Count)).ShouldBe([("4", (long)Customers)], "steps per run");
        var misnumbered = await check.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM journey_run_steps s JOIN journey_runs r ON r.id = s.run_id WHERE r.journey_id = @journeyId
              AND s.ordinal <> CASE s.step_id WHEN 'split' THEN 0 WHEN 'coupon' THEN 1 WHEN 'group_b' THEN 1 WHEN 'wait' THEN 2 WHEN 'after' THEN 3 ELSE -1 END
            """, args);
        misnumbered.ShouldBe(0, "steps whose ordinal is not their place on the path");
        var outcomes = (await check.QueryAsync<StepCount>(
            """
            SELECT s.step_id, s.outcome, COUNT(*) AS count FROM journey_run_steps s JOIN journey_runs r ON r.id = s.run_id
            WHERE r.journey_id = @journeyId GROUP BY s.step_id, s.outcome ORDER BY s.step_id, s.outcome
            """, args)).ToList();
        output.WriteLine($"[{engine}] steps: {string.Join(", ", outcomes.Select(o => $"{o.StepId}/{o.Outcome} {o.Count:N0}"))}");

        // The split went the way the customer's hash says, on every run.
        var split = definition.Step("split")!;
        var expectedCouponSide = customers.Where(c => JourneyInterpreter.Branch(new RunState { CustomerId = c, JourneyId = journeyId }, split) == 0).ToHashSet();
        var couponSide = (await check.QueryAsync<Guid>(
            "SELECT r.customer_id FROM journey_run_steps s JOIN journey_runs r ON r.id = s.run_id WHERE r.journey_id = @journeyId AND s.step_id = 'coupon'",
            args)).ToHashSet();
        couponSide.SetEquals(expectedCouponSide).ShouldBeTrue("the coupon side is exactly the customers the split sends there");
        long couponRuns = couponSide.Count, groupBRuns = Customers - couponSide.Count;
        couponRuns.ShouldBeInRange(Customers * 45 / 100, Customers * 55 / 100);
        outcomes.Select(o => (o.StepId, o.Outcome, o.Count)).ShouldBe(
        [
            ("after", "added", Customers), ("coupon", "issued", couponRuns), ("group_b", "added", groupBRuns),
            ("split", "branch_1", couponRuns), ("split", "branch_2", groupBRuns), ("wait", "waited", Customers),
        ]);

        // Exactly one journey coupon per coupon-side run, and none for anyone else.
        (await check.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM (SELECT customer_id FROM coupons WHERE workspace_id = @workspaceId AND source = 'journey' GROUP BY customer_id HAVING COUNT(*) > 1) AS x",
            args)).ShouldBe(0, "customers holding two journey coupons");
        var couponHolders = (await check.QueryAsync<Guid>("SELECT customer_id FROM coupons WHERE workspace_id = @workspaceId AND source = 'journey'", args)).ToList();
        couponHolders.Count.ShouldBe(couponSide.Count);
        couponHolders.ToHashSet().SetEquals(couponSide).ShouldBeTrue("journey coupons went to exactly the coupon-side customers");

        // Tags: the group-B tag on exactly the other side, the after-wait tag on everyone, each added by the journey.
        var groupB = (await check.QueryAsync<Guid>("SELECT customer_id FROM customer_tags WHERE workspace_id = @workspaceId AND tag = @tag", new { workspaceId = workspace.Id, tag = GroupBTag })).ToHashSet();
        groupB.SetEquals(customers.Where(c => !couponSide.Contains(c))).ShouldBeTrue("the group-B tag is on exactly the other side");
        (await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customer_tags WHERE workspace_id = @workspaceId AND tag = @tag", new { workspaceId = workspace.Id, tag = AfterTag }))
            .ShouldBe(Customers);

        // The counters the console shows add up to the steps recorded, step by step and outcome by outcome.
        var counters = (await check.QueryAsync<StepCount>(
            "SELECT step_id, outcome, count FROM journey_step_counts WHERE journey_id = @journeyId AND version = 1 ORDER BY step_id, outcome", args)).ToList();
        counters.Select(c => (c.StepId, c.Outcome, c.Count)).ShouldBe(outcomes.Select(o => (o.StepId, o.Outcome, o.Count)));
        counters.Sum(c => c.Count).ShouldBe(4L * Customers);
        output.WriteLine($"[{engine}] checked: {Customers:N0} runs × 4 steps, {couponRuns:N0} coupons, {groupBRuns:N0} group-B tags, counters equal");

        TryDelete(dataDirectory);
    }

    /// <summary>split 50/50 → coupon | group-B tag → wait one minute → tag → end.</summary>
    private static JourneyDefinition Definition(Guid couponTemplate) => new()
    {
        Trigger = new JourneyTrigger { Kind = TriggerKinds.Manual },
        Start = "split",
        Steps =
        [
            new JourneyStep
            {
                Id = "split", Kind = StepKinds.Random,
                Branches = [new RandomBranch { Label = "coupon", Percent = 50, Next = "coupon" }, new RandomBranch { Label = "group B", Percent = 50, Next = "group_b" }],
            },
            new JourneyStep { Id = "coupon", Kind = StepKinds.Coupon, TemplateId = couponTemplate, Next = "wait" },
            new JourneyStep { Id = "group_b", Kind = StepKinds.Tag, Tag = GroupBTag, Next = "wait" },
            new JourneyStep { Id = "wait", Kind = StepKinds.Wait, Duration = new JourneyDuration { Minutes = 1 }, Next = "after" },
            new JourneyStep { Id = "after", Kind = StepKinds.Tag, Tag = AfterTag },
        ],
    };

    /// <summary>Polls a count every 100 ms until it satisfies <paramref name="done"/>; fails if the server exits or time runs out.</summary>
    private static async Task<long> PollAsync(PondProcess server, Database database, string sql, Guid journeyId, Func<long, bool> done)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var n = await ScalarAsync(database, sql, journeyId);
            if (done(n))
                return n;
            if (server.HasExited)
                throw new InvalidOperationException($"The server exited (code {server.ExitCode}) before the runs got there ({n:N0}):\n{server.Log}");
            if (deadline.Elapsed > Patience)
            {
                server.Kill();
                throw new TimeoutException($"Still at {n:N0} after {Patience.TotalMinutes} minutes ({sql}):\n{server.Log}");
            }

            await Task.Delay(100);
        }
    }

    private static async Task<long> ScalarAsync(Database database, string sql, Guid journeyId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.ExecuteScalarAsync<long>(sql, new { journeyId });
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class Bucket
    {
        public string Name { get; init; } = "";
        public long Count { get; init; }
    }

    private sealed class StepCount
    {
        public string StepId { get; init; } = "";
        public string Outcome { get; init; } = "";
        public long Count { get; init; }
    }

    /// <summary>`dotnet pond.dll serve` from the test's output folder: the real server in its own process, engines running.</summary>
    private sealed class PondProcess
    {
        private readonly Process _process;
        private readonly Queue<string> _tail = new();

        private PondProcess(Process process) => _process = process;

        public bool HasExited => _process.HasExited;
        public int ExitCode => _process.ExitCode;

        public string Log
        {
            get
            {
                lock (_tail)
                    return string.Join('\n', _tail);
            }
        }

        public static PondProcess Start(string dataDirectory, string connectionString, DbEngine engine)
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                WorkingDirectory = AppContext.BaseDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "pond.dll"), "serve", "--data", dataDirectory, "--urls", "http://127.0.0.1:0" })
                start.ArgumentList.Add(arg);
            if (engine == DbEngine.Postgres)
            {
                start.ArgumentList.Add("--db");
                start.ArgumentList.Add(connectionString);
            }

            start.Environment["Logging__LogLevel__Default"] = "Warning";
            var process = Process.Start(start)!;
            var server = new PondProcess(process);
            process.OutputDataReceived += (_, e) => server.Keep(e.Data);
            process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return server;
        }

        /// <summary>SIGKILL to the whole tree: no shutdown, no flush, transactions cut off wherever they are.</summary>
        public void Kill()
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        /// <summary>A normal stop (SIGTERM, as systemd or docker stop sends).</summary>
        public async Task StopAsync()
        {
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await term.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
                throw new TimeoutException($"The server did not stop within 30 s of SIGTERM:\n{Log}");
            }
        }

        private void Keep(string? line)
        {
            if (line is null)
                return;
            lock (_tail)
            {
                _tail.Enqueue(line);
                while (_tail.Count > 200)
                    _tail.Dequeue();
            }
        }
    }
}
