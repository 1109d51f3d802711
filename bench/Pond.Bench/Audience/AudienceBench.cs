using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Pond.Audience;
using Pond.Ingestion;
using Pond.Server.Demo;
using Pond.Server.Hosting;
using Pond.Testing;
using Pond.Workspaces;

namespace Pond.Bench.Audience;

/// <summary>
/// The audience index at scale, on PostgreSQL: (a) the count of a 5-condition segment from the index beside the
/// same segment as one SQL query with sensible indexes, the two counts checked equal; (b) the index's memory per
/// customer; (c) the events per second the processor applies while the audience engine keeps 8 segments'
/// memberships current, beside the processor alone on as many fresh events.
/// </summary>
internal static class AudienceBench
{
    /// <summary>The issue's segment without the coupon condition: women in Shanghai, friends of a staff account, 2+ orders in 90 days, no sign-in for 14 days.</summary>
    public const string FiveConditions =
        """{"all":[{"trait":"gender","op":"eq","value":"female"},{"trait":"city","op":"eq","value":"上海"},{"staff":"any"},{"event":"Order Completed","within_days":90,"op":"gte","value":2},{"event":"Signed In","measure":"last","op":"not_within_days","value":14}]}""";

    /// <summary>The same segment in SQL: the rule language's semantics exactly (times in whole seconds, windows reaching into the future).</summary>
    private const string FiveConditionsSql =
        """
        SELECT COUNT(*) FROM customers c
        WHERE c.workspace_id = @workspaceId
          AND (c.traits::jsonb ->> 'city') = '上海'
          AND (c.traits::jsonb ->> 'gender') = 'female'
          AND EXISTS (
            SELECT 1 FROM relationships r JOIN carriers k ON k.id = r.carrier_id
            WHERE r.customer_id = c.id AND r.state = 'active'
              AND k.kind IN ('wecom_account', 'wechat_account') AND k.owner_staff_id IS NOT NULL)
          AND (SELECT COUNT(*) FROM customer_events e
               WHERE e.customer_id = c.id AND e.type = 'track' AND e.name = 'Order Completed' AND e.occurred_at >= @orderedFrom) >= 2
          AND NOT EXISTS (
            SELECT 1 FROM customer_events e
            WHERE e.customer_id = c.id AND e.type = 'track' AND e.name = 'Signed In' AND e.occurred_at >= @signedInFrom)
        """;

    /// <summary>What a DBA would add for this query: the two traits as an expression index, and the timeline by customer and event name.</summary>
    private static readonly (string Name, string Sql)[] SqlIndexes =
    [
        ("ix_bench_customers_city_gender", "CREATE INDEX ix_bench_customers_city_gender ON customers (workspace_id, (traits::jsonb ->> 'city'), (traits::jsonb ->> 'gender'))"),
        ("ix_bench_events_customer_name", "CREATE INDEX ix_bench_events_customer_name ON customer_events (customer_id, name, occurred_at) WHERE type = 'track'"),
    ];

    private const int WarmUps = 40;

    public sealed record Settings
    {
        public int Customers { get; init; } = 1_000_000;
        public long Events { get; init; } = 20_000_000;
        public int Runs { get; init; } = 50;
        public int SqlRuns { get; init; } = 5;
        public int Apply { get; init; } = 50_000;
    }

    public sealed record Result
    {
        public required Settings Settings { get; init; }
        public required AudienceData.Counts Loaded { get; init; }
        public double BuildSeconds { get; init; }
        public long ManagedBytes { get; init; }
        public long IndexBytes { get; init; }
        public int Pool { get; init; }
        public int IndexCount { get; init; }
        public int SqlCount { get; init; }
        public double IndexMedianMs { get; init; }
        public double IndexP95Ms { get; init; }
        public double SqlMedianMs { get; init; }
        public string SqlPlan { get; init; } = "";
        public int Segments { get; init; }
        public double AloneSeconds { get; init; }
        public double WithEngineSeconds { get; init; }
        public long Entered { get; init; }
        public long Exited { get; init; }
        public int Drifted { get; init; }
        public long PeakWorkingSet { get; init; }
        public double TotalSeconds { get; init; }

        public bool Match => IndexCount == SqlCount;
        public double AloneRate => Settings.Apply / AloneSeconds;
        public double WithEngineRate => Settings.Apply / WithEngineSeconds;
    }

    public static async Task<Result> RunAsync(Settings settings)
    {
        var total = Stopwatch.StartNew();
        Console.WriteLine($"Audience benchmark: {settings.Customers:N0} customers, {settings.Events:N0} events, {settings.Runs} index runs, {settings.Apply:N0} events applied");
        var connectionString = PostgresCluster.Instance.CreateDatabase();
        var options = new PondOptions
        {
            DataDirectory = Path.Combine(Path.GetTempPath(), $"pond-bench-{Guid.NewGuid():N}"),
            Db = connectionString,
            Urls = "http://127.0.0.1:0",
            RunEngines = false,
        };
        await using var app = await PondHost.CreateAsync(options, services => services.AddLogging(l =>
        {
            l.SetMinimumLevel(LogLevel.Warning);
            // The index build logs its progress.
            l.AddFilter(typeof(AudienceIndex).FullName, LogLevel.Information);
        }));
        var services = app.Services;
        var workspace = await services.GetRequiredService<WorkspaceService>().CreateWorkspaceAsync("bench", "Bench brand");

        // 1. Load.
        var data = new AudienceData(connectionString, workspace.Id, DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        var loaded = await data.LoadAsync(settings.Customers, settings.Events);
        await using (var connection = await data.OpenAsync())
        {
            await connection.ExecuteAsync("SET maintenance_work_mem = '1GB'");
            foreach (var (name, sql) in SqlIndexes)
                await AudienceData.TimedAsync(connection, name, sql);
            // VACUUM sets the visibility map, so index-only scans work; ANALYZE gives the planner fresh statistics.
            await AudienceData.TimedAsync(connection, "VACUUM ANALYZE", "VACUUM ANALYZE customers, customer_events, relationships, carriers, identities");
        }

        // 2. Index build.
        GC.Collect();
        var before = GC.GetTotalMemory(true);
        var clock = Stopwatch.StartNew();
        var index = services.GetRequiredService<AudienceIndex>();
        var audience = await index.GetAsync(workspace.Id);
        var buildSeconds = clock.Elapsed.TotalSeconds;
        var managed = GC.GetTotalMemory(true) - before;
        var pool = audience.PoolSize;
        Console.WriteLine($"[index] built in {buildSeconds:N1} s: {pool:N0} customers, {managed / 1_048_576.0:N0} MB managed ({managed / (double)pool:N0} B per customer), index estimate {audience.Bytes / 1_048_576.0:N0} MB ({audience.Bytes / (double)pool:N0} B per customer)");

        // 3. (a) The 5-condition count, from the index and in SQL, at the same instant.
        // Both sides count at the instant the data is anchored to (whole seconds): the count is then the same on every
        // run of a size, however long the load took; the engine in (c) runs on the real clock.
        var now = data.Now;
        var rule = SegmentRuleParser.Parse(FiveConditions, audience.Zone);
        int Count(RuleNode node)
        {
            audience.Lock.EnterReadLock();
            try
            {
                return RuleEvaluator.Evaluate(audience, node, now).Count();
            }
            finally
            {
                audience.Lock.ExitReadLock();
            }
        }

        // Enough warm-ups for tiered JIT to reach its optimised code before the clock starts (a server runs warm).
        var indexCount = 0;
        for (var i = 0; i < WarmUps; i++)
            indexCount = Count(rule);
        await Task.Delay(500);
        var indexTimes = new List<double>();
        for (var i = 0; i < settings.Runs; i++)
        {
            clock.Restart();
            if (Count(rule) != indexCount)
                throw new InvalidOperationException("The index gave different counts for the same rule at the same instant.");
            indexTimes.Add(clock.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine($"[a] index: {indexCount:N0} customers, median {Median(indexTimes):N2} ms, p95 {Percentile(indexTimes, 0.95):N2} ms over {settings.Runs} runs after {WarmUps} warm-ups");
        // Where the time goes: each condition alone.
        foreach (var condition in ((AllNode)rule).Children)
        {
            var times = new List<double>();
            var matched = 0;
            for (var i = 0; i < 11; i++)
            {
                clock.Restart();
                matched = Count(condition);
                times.Add(clock.Elapsed.TotalMilliseconds);
            }

            Console.WriteLine($"[a]   {condition.GetType().Name} at {condition.Path}: {matched:N0} match, median {Median(times):N2} ms");
        }

        var parameters = new
        {
            workspaceId = workspace.Id,
            orderedFrom = now.AddDays(-90).ToUnixTimeMilliseconds(),
            signedInFrom = now.AddDays(-14).ToUnixTimeMilliseconds(),
        };
        int sqlCount;
        var sqlTimes = new List<double>();
        string plan;
        await using (var connection = await data.OpenAsync())
        {
            var planLines = (await connection.QueryAsync<string>("EXPLAIN (ANALYZE, BUFFERS) " + FiveConditionsSql, parameters, commandTimeout: 0)).AsList();
            plan = planLines[0].Trim();
            Console.WriteLine("[a] SQL plan (EXPLAIN ANALYZE, first warm-up):");
            foreach (var line in planLines)
                Console.WriteLine("      " + line);
            sqlCount = await connection.ExecuteScalarAsync<int>(FiveConditionsSql, parameters, commandTimeout: 0);
            for (var i = 0; i < settings.SqlRuns; i++)
            {
                clock.Restart();
                var count = await connection.ExecuteScalarAsync<int>(FiveConditionsSql, parameters, commandTimeout: 0);
                sqlTimes.Add(clock.Elapsed.TotalMilliseconds);
                if (count != sqlCount)
                    throw new InvalidOperationException("PostgreSQL gave different counts for the same query.");
            }
        }

        Console.WriteLine($"[a] SQL: {sqlCount:N0} customers, median {Median(sqlTimes):N0} ms over {settings.SqlRuns} runs; {(indexCount == sqlCount ? "MATCH" : "MISMATCH")}; SQL ÷ index = {Median(sqlTimes) / Median(indexTimes):N0}×");

        // 4. (c) Processor throughput while memberships stay current.
        var segments = await CreateSegmentsAsync(services, workspace.Id, data);
        var (alone, withEngine, entered, exited, drifted) = await ApplyAsync(services, workspace.Id, settings);

        return new Result
        {
            Settings = settings,
            Loaded = loaded,
            BuildSeconds = buildSeconds,
            ManagedBytes = managed,
            IndexBytes = audience.Bytes,
            Pool = pool,
            IndexCount = indexCount,
            SqlCount = sqlCount,
            IndexMedianMs = Median(indexTimes),
            IndexP95Ms = Percentile(indexTimes, 0.95),
            SqlMedianMs = Median(sqlTimes),
            SqlPlan = plan,
            Segments = segments,
            AloneSeconds = alone,
            WithEngineSeconds = withEngine,
            Entered = entered,
            Exited = exited,
            Drifted = drifted,
            PeakWorkingSet = Process.GetCurrentProcess().PeakWorkingSet64,
            TotalSeconds = total.Elapsed.TotalSeconds,
        };
    }

    private static async Task<int> CreateSegmentsAsync(IServiceProvider services, Guid workspaceId, AudienceData data)
    {
        var book = services.GetRequiredService<SegmentBook>();
        (string Name, string Rule)[] segments =
        [
            ("5 conditions", FiveConditions),
            ("Buyers, 30 days", """{"event":"Order Completed","within_days":30,"op":"gte","value":1}"""),
            ("Lapsed 60 days", """{"all":[{"event":"Order Completed","op":"gte","value":1},{"event":"Order Completed","measure":"last","op":"older_than_days","value":60}]}"""),
            ("VIP spend", """{"event":"Order Completed","measure":"sum","property":"revenue","within_days":365,"op":"gte","value":1000}"""),
            ("Friends of guide 1", $$"""{"staff":"{{data.Staff[0]}}"}"""),
            ("Jiangsu-Zhejiang browsers", """{"all":[{"trait":"city","op":"in","value":["杭州","南京","苏州","宁波"]},{"event":"Product Viewed","within_days":30,"op":"gte","value":2}]}"""),
            ("Frequent sign-ins", """{"event":"Signed In","within_days":7,"op":"gte","value":2}"""),
            ("French style S/M, 25–35", """{"all":[{"trait":"size","op":"in","value":["S","M"]},{"trait":"style","op":"eq","value":"法式"},{"trait":"age","op":"between","value":[25,35]}]}"""),
        ];
        var clock = Stopwatch.StartNew();
        foreach (var (name, rule) in segments)
        {
            using var document = JsonDocument.Parse(rule);
            var created = await book.CreateAsync(workspaceId, new SegmentInput(name, null, document.RootElement.Clone(), null, null), "bench");
            Console.WriteLine($"[c] segment '{name}': {created.MemberCount:N0} members");
        }

        Console.WriteLine($"[c] {segments.Length} segments created and their members written in {clock.Elapsed.TotalSeconds:N1} s");
        return segments.Length;
    }

    private static async Task<(double Alone, double WithEngine, long Entered, long Exited, int Drifted)> ApplyAsync(IServiceProvider services, Guid workspaceId, AudienceBench.Settings settings)
    {
        var writer = services.GetRequiredService<EventLogWriter>();
        var processor = services.GetRequiredService<EventProcessor>();
        var engine = services.GetRequiredService<AudienceEngine>();
        var changes = services.GetRequiredService<AudienceChanges>();
        var database = services.GetRequiredService<Pond.Storage.Database>();

        // Warm-up (JIT, connection pool, the customers' pages in PostgreSQL's cache), engine included; then the engine drains what it was told.
        await AppendAsync(writer, workspaceId, Math.Clamp(settings.Apply / 5, 1_000, 10_000), "warm", 1, settings.Customers);
        await processor.ProcessPendingAsync();
        while (await engine.CatchUpAsync() > 0)
        {
        }

        // The baseline: the processor alone. Its change notices wait in the inbox, untouched while the clock runs.
        await AppendAsync(writer, workspaceId, settings.Apply, "alone", 2, settings.Customers);
        var clock = Stopwatch.StartNew();
        var applied = await processor.ProcessPendingAsync();
        var alone = clock.Elapsed.TotalSeconds;
        if (applied != settings.Apply)
            throw new InvalidOperationException($"The processor applied {applied} of {settings.Apply} events.");
        Console.WriteLine($"[c] processor alone: {settings.Apply / alone:N0} events/s ({alone:N1} s)");
        clock.Restart();
        while (await engine.CatchUpAsync() > 0)
        {
        }

        Console.WriteLine($"[c] (the engine then caught up with the baseline's events in {clock.Elapsed.TotalSeconds:N1} s, untimed)");

        // With the engine: the processor and the engine's loop run together until both are caught up.
        await AppendAsync(writer, workspaceId, settings.Apply, "live", 3, settings.Customers);
        long mark;
        await using (var connection = await database.OpenAsync())
            mark = await connection.ExecuteScalarAsync<long?>("SELECT MAX(seq) FROM audience_events") ?? 0;
        clock.Restart();
        var processing = processor.ProcessPendingAsync();
        var lastWork = 0.0;
        var rounds = 0;
        while (true)
        {
            var processorDone = processing.IsCompleted;
            var work = await engine.CatchUpAsync();
            rounds++;
            if (work > 0)
                lastWork = clock.Elapsed.TotalSeconds;
            else if (processorDone)
                break;
            else
            {
                // As the audience worker does: wake on a change notice, or look again after a while.
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                try
                {
                    await Task.WhenAny(changes.Reader.WaitToReadAsync(wait.Token).AsTask(), processing);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        applied = await processing;
        var processorSeconds = clock.Elapsed.TotalSeconds;
        var withEngine = Math.Max(lastWork, processorSeconds);
        if (applied != settings.Apply)
            throw new InvalidOperationException($"The processor applied {applied} of {settings.Apply} events.");

        long entered, exited;
        await using (var connection = await database.OpenAsync())
        {
            entered = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audience_events WHERE seq > @mark AND kind = @kind", new { mark, kind = AudienceEngine.Entered });
            exited = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audience_events WHERE seq > @mark AND kind = @kind", new { mark, kind = AudienceEngine.Exited });
        }

        Console.WriteLine($"[c] processor with the audience engine keeping 8 segments current: {settings.Apply / withEngine:N0} events/s ({withEngine:N1} s, {rounds} engine rounds); {entered:N0} segment.entered, {exited:N0} segment.exited");

        // The stored memberships against a fresh evaluation: only customers crossing a time edge in the last seconds may differ.
        var drifted = 0;
        var audience = await engine.Index.GetAsync(workspaceId);
        await using (var connection = await database.OpenAsync())
        {
            var stored = await connection.QueryAsync<StoredSegment>("SELECT name, rule, member_count FROM segments WHERE workspace_id = @workspaceId", new { workspaceId });
            var now = DateTimeOffset.UtcNow;
            foreach (var segment in stored)
            {
                int fresh;
                audience.Lock.EnterReadLock();
                try
                {
                    fresh = RuleEvaluator.Evaluate(audience, SegmentRuleParser.Parse(segment.Rule, audience.Zone), now).Count();
                }
                finally
                {
                    audience.Lock.ExitReadLock();
                }

                drifted += Math.Abs(fresh - segment.MemberCount);
                Console.WriteLine($"[c]   '{segment.Name}': {segment.MemberCount:N0} stored, {fresh:N0} evaluated now");
            }
        }

        return (alone, withEngine, entered, exited, drifted);
    }

    /// <summary>
    /// Segment-shaped track messages from existing customers (by userId), happening now: orders and sign-ins that
    /// move memberships, and browsing and coupon views that touch customers without moving many.
    /// </summary>
    private static async Task AppendAsync(EventLogWriter writer, Guid workspaceId, int events, string prefix, int seed, int customers)
    {
        var random = new Random(seed);
        var sentAt = DateTimeOffset.UtcNow;
        const int batchSize = 100;
        var appends = new List<Task>();
        for (var start = 0; start < events; start += batchSize)
        {
            var messages = new List<object>(batchSize);
            for (var n = start; n < Math.Min(events, start + batchSize); n++)
            {
                var product = DemoCatalog.Products[random.Next(DemoCatalog.Products.Length)];
                var at = sentAt.AddMilliseconds(-random.Next(60_000)).ToString("O", CultureInfo.InvariantCulture);
                var userId = AudienceData.UserId(random.Next(customers));
                var messageId = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{n}");
                var (name, properties) = random.Next(100) switch
                {
                    < 30 => ("Order Completed", (object)new { order_id = $"{prefix}-order-{n}", revenue = product.Price, channel = "mini_program" }),
                    < 65 => ("Signed In", new { source = "mini_program" }),
                    < 90 => ("Product Viewed", new { sku = product.Sku, category = product.Category, price = product.Price }),
                    _ => ("Coupon Viewed", new { coupon = "NEW50" }),
                };
                messages.Add(new { type = "track", userId, messageId, originalTimestamp = at, @event = name, properties });
            }

            var body = JsonSerializer.SerializeToUtf8Bytes(new { batch = messages, sentAt = sentAt.ToString("O", CultureInfo.InvariantCulture) });
            appends.Add(writer.AppendAsync(SegmentMessages.ParseBatch(body, workspaceId, sentAt)));
        }

        await Task.WhenAll(appends);
    }

    public static string Table(Result r)
    {
        var s = r.Settings;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: `dotnet run -c Release --project bench/Pond.Bench -- audience --customers {s.Customers} --events {s.Events} --runs {s.Runs} --apply {s.Apply}`");
        text.AppendLine(CultureInfo.InvariantCulture, $"PostgreSQL {PostgresVersion()}, {Environment.ProcessorCount} cores, load average at the end {LoadAverage()}.");
        text.AppendLine();
        text.AppendLine("| measure | figure |");
        text.AppendLine("|---|---:|");
        text.AppendLine(CultureInfo.InvariantCulture, $"| loaded | {r.Loaded.Customers:N0} customers, {r.Loaded.Events:N0} events, {r.Loaded.Relationships:N0} relationships |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| load (COPY) + index rebuild | {r.Loaded.LoadSeconds:N0} s + {r.Loaded.IndexSeconds:N0} s |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| audience index build from the database | {r.BuildSeconds:N1} s |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| (b) index memory per customer: managed heap growth | {r.ManagedBytes / (double)r.Pool:N0} B ({r.ManagedBytes / 1_048_576.0:N0} MB) |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| (b) index memory per customer: the index's own estimate | {r.IndexBytes / (double)r.Pool:N0} B ({r.IndexBytes / 1_048_576.0:N0} MB) |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| benchmark process peak working set (whole run) | {r.PeakWorkingSet / 1_048_576.0:N0} MB |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| (a) 5-condition segment count, index: median / p95 of {s.Runs} | {r.IndexMedianMs:N2} ms / {r.IndexP95Ms:N2} ms |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| (a) the same segment as one SQL query on PostgreSQL, indexed: median of {s.SqlRuns} | {r.SqlMedianMs:N0} ms |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| (a) SQL ÷ index | {r.SqlMedianMs / r.IndexMedianMs:N0}× |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| (a) counts (index = SQL) | {r.IndexCount:N0} = {r.SqlCount:N0} {(r.Match ? "MATCH" : "MISMATCH")} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| (c) processor alone, {s.Apply:N0} events | {r.AloneRate:N0} events/s |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| (c) processor + audience engine keeping {r.Segments} segments current, {s.Apply:N0} events | {r.WithEngineRate:N0} events/s ({r.WithEngineRate / r.AloneRate:P0} of alone) |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| (c) memberships moved | {r.Entered:N0} segment.entered, {r.Exited:N0} segment.exited |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| whole benchmark | {r.TotalSeconds / 60:N1} min |");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"SQL plan, top line: `{r.SqlPlan}`");
        if (r.Drifted > 0)
            text.AppendLine(CultureInfo.InvariantCulture, $"Stored memberships differed from a fresh evaluation by {r.Drifted} (customers crossing a time edge during the run).");
        return text.ToString();
    }

    private static string PostgresVersion()
    {
        using var connection = new NpgsqlConnection(PostgresCluster.Instance.AdminConnectionString);
        connection.Open();
        return connection.ExecuteScalar<string>("SHOW server_version") ?? "?";
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private sealed class StoredSegment
    {
        public string Name { get; init; } = "";
        public string Rule { get; init; } = "";
        public int MemberCount { get; init; }
    }
}
