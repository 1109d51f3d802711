using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Pond.Audience.Import;
using Pond.Ingestion;
using Pond.Server.Audience;
using Pond.Server.Hosting;
using Pond.Workspaces;

namespace Pond.Bench.Audience;

/// <summary>
/// A customer CSV of N rows with exactly 1% bad rows (mixed reasons) imported into a fresh SQLite database through
/// the same service the CLI and server use: time to read, check and log; time for the event processor to apply it;
/// peak memory; and whether exactly the planted bad lines were rejected.
/// </summary>
internal static class ImportBench
{
    public sealed record Settings
    {
        public int Rows { get; init; } = 1_000_000;
        public bool Apply { get; init; } = true;
    }

    private static readonly string[] Cities = ["上海", "北京", "杭州", "深圳", "成都", "南京"];

    public static async Task<int> RunAsync(Settings settings)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"pond-import-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var file = Path.Combine(folder, "customers.csv");
            var generate = Stopwatch.StartNew();
            var planted = Generate(file, settings.Rows);
            Console.WriteLine($"Generated {settings.Rows:N0} rows ({new FileInfo(file).Length / (1024.0 * 1024):N1} MB, {planted.Count:N0} bad) in {generate.Elapsed.TotalSeconds:N1} s");

            await using var services = AudienceCli.Services(new PondOptions { DataDirectory = Path.Combine(folder, "data") });
            var workspace = await services.GetRequiredService<WorkspaceService>().CreateWorkspaceAsync("bench", "Bench brand");
            var imports = services.GetRequiredService<ImportService>();
            GC.Collect();
            var job = await imports.StartFileAsync(workspace.Id, ImportKinds.Customers, file, "bench");

            var read = Stopwatch.StartNew();
            var done = await imports.RunAsync(job, new Progress<ImportProgress>(p =>
                Console.Write($"\r  read {p.LinesRead:N0} rows, {p.Rejected:N0} rejected, {p.LinesRead / Math.Max(0.001, read.Elapsed.TotalSeconds):N0} rows/s   ")));
            read.Stop();
            Console.WriteLine();
            var peakAfterRead = Process.GetCurrentProcess().PeakWorkingSet64;
            var gcAfterRead = GC.GetGCMemoryInfo();

            var rejected = RejectedLines(done.RejectsPath);
            var exact = rejected.SetEquals(planted) && rejected.Count == planted.Count && done.Rejected == planted.Count;

            double applySeconds = 0;
            long applied = 0;
            long customers = 0;
            if (settings.Apply)
            {
                var processor = services.GetRequiredService<EventProcessor>();
                var apply = Stopwatch.StartNew();
                while (await processor.ProcessPendingAsync(50_000) is var n && n > 0)
                {
                    applied += n;
                    Console.Write($"\r  applied {applied:N0} events, {applied / Math.Max(0.001, apply.Elapsed.TotalSeconds):N0}/s   ");
                }

                applySeconds = apply.Elapsed.TotalSeconds;
                Console.WriteLine();
                await using var connection = await services.GetRequiredService<Pond.Storage.Database>().OpenAsync();
                customers = await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT COUNT(*) FROM customers");
            }

            var peak = Process.GetCurrentProcess().PeakWorkingSet64;
            Console.WriteLine();
            Console.WriteLine($"| import of {settings.Rows:N0} rows (SQLite) | figure |");
            Console.WriteLine("|---|---:|");
            Console.WriteLine($"| state | {done.State} |");
            Console.WriteLine($"| accepted / rejected rows | {done.Accepted:N0} / {done.Rejected:N0} |");
            Console.WriteLine($"| events written to the log | {done.EventsWritten:N0} |");
            Console.WriteLine($"| read + check + log | {read.Elapsed.TotalSeconds:N1} s ({done.LinesRead / read.Elapsed.TotalSeconds:N0} rows/s) |");
            if (settings.Apply)
            {
                Console.WriteLine($"| apply (event processor) | {applySeconds:N1} s ({applied:N0} events, {applied / applySeconds:N0} events/s, {done.Accepted / applySeconds:N0} rows/s) |");
                Console.WriteLine($"| customers after apply | {customers:N0} |");
                Console.WriteLine($"| total | {read.Elapsed.TotalSeconds + applySeconds:N1} s ({done.LinesRead / (read.Elapsed.TotalSeconds + applySeconds):N0} rows/s end to end) |");
            }

            Console.WriteLine($"| peak working set after read / at end | {peakAfterRead / (1024.0 * 1024):N0} MB / {peak / (1024.0 * 1024):N0} MB |");
            Console.WriteLine($"| GC heap after read (managed, committed) | {gcAfterRead.HeapSizeBytes / (1024.0 * 1024):N0} MB, {gcAfterRead.TotalCommittedBytes / (1024.0 * 1024):N0} MB |");
            Console.WriteLine($"| exactly the {planted.Count:N0} planted bad lines rejected | {(exact ? "PASS" : "FAIL")} |");
            return exact && done.State == ImportStates.Done ? 0 : 1;
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

    /// <summary>Writes the file and returns the line numbers of the bad rows: one in every hundred, each reason in turn.</summary>
    private static HashSet<long> Generate(string path, int rows)
    {
        var bad = new HashSet<long>();
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        writer.Write("phone,email,user_id,name,tags,age:number,vip:bool,birthday:date,city\n");
        var random = new Random(20261123);
        var reason = 0;
        for (var i = 0; i < rows; i++)
        {
            var line = i + 2L;
            var phone = (13_000_000_000L + i).ToString(CultureInfo.InvariantCulture);
            var email = i % 2 == 0 ? $"c{i}@example.com" : "";
            var userId = $"u{i}";
            var name = $"客户{i}";
            var tags = i % 3 == 0 ? "会员|活跃" : "";
            var age = (18 + random.Next(50)).ToString(CultureInfo.InvariantCulture);
            var vip = i % 5 == 0 ? "true" : "false";
            var birthday = new DateOnly(1960, 1, 1).AddDays(random.Next(15000)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var city = Cities[i % Cities.Length];
            if (i % 100 == 37)
            {
                bad.Add(line);
                switch (reason++ % 8)
                {
                    case 0: phone = "1300000abcd"; break;
                    case 1: email = "not-an-email"; break;
                    case 2: phone = ""; email = ""; userId = ""; break;
                    case 3: age = "twenty"; break;
                    case 4: city += ",extra"; break;
                    case 5: name = "\"unclosed"; break;
                    case 6: birthday = "1990-02-30"; break;
                    default: vip = "maybe"; break;
                }
            }

            writer.Write($"{phone},{email},{userId},{name},{tags},{age},{vip},{birthday},{city}\n");
        }

        return bad;
    }

    private static HashSet<long> RejectedLines(string rejectsPath)
    {
        var lines = new HashSet<long>();
        using var reader = new StreamReader(rejectsPath, Encoding.UTF8);
        using var csv = new CsvHelper.CsvParser(reader, CultureInfo.InvariantCulture);
        csv.Read();
        while (csv.Read())
            lines.Add(long.Parse(csv.Record![0], CultureInfo.InvariantCulture));
        return lines;
    }
}
