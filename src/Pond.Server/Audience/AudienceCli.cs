using System.CommandLine;
using System.Diagnostics;
using Pond.Audience;
using Pond.Audience.Import;
using Pond.Ingestion;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Workspaces;
using Spectre.Console;

namespace Pond.Server.Audience;

/// <summary>`pond import customers|tags|orders file.csv --workspace slug` and `pond export customers --workspace slug > file.csv`.</summary>
internal static class AudienceCli
{
    public static Command ImportCommand()
    {
        var import = new Command("import", "Import a CSV file (docs/import.md): customers, tags onto existing customers, or orders.");
        foreach (var kind in ImportKinds.All)
        {
            var file = new Argument<string>("file") { Description = "The CSV file (UTF-8, a header row first)." };
            var workspace = new Option<string>("--workspace") { Description = "Workspace slug.", Required = true };
            var command = new Command(kind, kind switch
            {
                ImportKinds.Customers => "Import customers: identity columns, name, tags (a|b), traits (age:number, vip:bool, birthday:date).",
                ImportKinds.Tags => "Import tags onto existing customers: one identity column, tags, and optionally action (add or remove).",
                _ => "Import orders: one row per order line (order_id, identity columns, placed_at, sku, price, quantity, paid…), the rows of an order adjacent.",
            }) { file, workspace };
            command.SetAction(async (parse, cancellationToken) =>
            {
                try
                {
                    return await ImportAsync(PondCli.Options(parse), kind, parse.GetValue(file)!, parse.GetValue(workspace)!, cancellationToken);
                }
                catch (ValidationFailedException e)
                {
                    AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
                    return 2;
                }
            });
            import.Subcommands.Add(command);
        }

        return import;
    }

    public static Command ExportCommand()
    {
        var workspace = new Option<string>("--workspace") { Description = "Workspace slug.", Required = true };
        var mask = new Option<bool>("--mask") { Description = "Mask phone numbers and emails (138****5678)." };
        var customers = new Command("customers", "Write every customer of the workspace to standard output as CSV (UTF-8 with BOM).") { workspace, mask };
        customers.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = Services(PondCli.Options(parse));
            var ws = await WorkspaceAsync(services, parse.GetValue(workspace)!);
            if (ws is null)
                return 2;
            var export = services.GetRequiredService<CustomerCsvExport>();
            await using var output = Console.OpenStandardOutput();
            var written = await export.WriteAsync(ws.Id, () => export.AllIdsAsync(ws.Id, null, cancellationToken), output,
                new CustomerExportOptions { Mask = parse.GetValue(mask) }, cancellationToken);
            await services.GetRequiredService<AuditLog>().RecordAsync(ws.Id, "cli", "customers.export", null, new { written, masked = parse.GetValue(mask) });
            await Console.Error.WriteLineAsync($"Exported {written:N0} customers.");
            return 0;
        });
        var segmentName = new Argument<string>("segment") { Description = "The segment's name or id." };
        var segmentWorkspace = new Option<string>("--workspace") { Description = "Workspace slug.", Required = true };
        var segmentMask = new Option<bool>("--mask") { Description = "Mask phone numbers and emails (138****5678)." };
        var segment = new Command("segment", "Write a segment's members to standard output as CSV (UTF-8 with BOM).") { segmentName, segmentWorkspace, segmentMask };
        segment.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = Services(PondCli.Options(parse));
            var ws = await WorkspaceAsync(services, parse.GetValue(segmentWorkspace)!);
            if (ws is null)
                return 2;
            var book = services.GetRequiredService<SegmentBook>();
            Segment found;
            try
            {
                found = await book.FindAsync(ws.Id, parse.GetValue(segmentName)!);
            }
            catch (NotFoundException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }

            var export = services.GetRequiredService<CustomerCsvExport>();
            await using var output = Console.OpenStandardOutput();
            var written = await export.WriteAsync(ws.Id, () => book.MemberIdsAsync(found.Id, cancellationToken), output,
                new CustomerExportOptions { Mask = parse.GetValue(segmentMask) }, cancellationToken);
            await services.GetRequiredService<AuditLog>().RecordAsync(ws.Id, "cli", "segment.export", $"segment:{found.Id}", new { segment = found.Name, written });
            await Console.Error.WriteLineAsync($"Exported {written:N0} members of {found.Name}.");
            return 0;
        });
        return new Command("export", "Export data as CSV.") { customers, segment };
    }

    private static async Task<int> ImportAsync(PondOptions options, string kind, string file, string slug, CancellationToken cancellationToken)
    {
        await using var services = Services(options);
        var ws = await WorkspaceAsync(services, slug);
        if (ws is null)
            return 2;
        var imports = services.GetRequiredService<ImportService>();
        var job = await imports.StartFileAsync(ws.Id, kind, file, "cli");

        var read = Stopwatch.StartNew();
        ImportJob? done = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"Reading {job.FileName}", maxValue: Math.Max(1, job.TotalBytes));
                var progress = new Progress<ImportProgress>(p =>
                {
                    task.Value = p.BytesRead;
                    var rate = p.LinesRead / Math.Max(0.001, read.Elapsed.TotalSeconds);
                    task.Description = $"Reading {job.FileName}: {p.LinesRead:N0} rows ({rate:N0} rows/s), {p.Rejected:N0} rejected";
                });
                done = await imports.RunAsync(job, progress, cancellationToken);
                task.Value = task.MaxValue;
            });
        read.Stop();
        if (done!.State == ImportStates.Failed)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Import failed:[/] {done.Error}");
            return 1;
        }

        // The customers should exist when the command returns: apply what was written, as the server's processor would.
        var apply = Stopwatch.StartNew();
        var processor = services.GetRequiredService<EventProcessor>();
        long applied = 0;
        await AnsiConsole.Status().StartAsync("Applying events (identity resolution, traits, tags, orders)…", async status =>
        {
            while (await processor.ProcessPendingAsync(20_000, cancellationToken) is var n && n > 0)
            {
                applied += n;
                status.Status($"Applying events: {applied:N0} applied ({applied / Math.Max(0.001, apply.Elapsed.TotalSeconds):N0}/s)…");
            }
        });
        apply.Stop();

        var table = new Table().HideHeaders().AddColumns("", "");
        table.AddRow("accepted rows", $"{done.Accepted:N0}");
        table.AddRow("rejected rows", $"{done.Rejected:N0}");
        table.AddRow("read + check + log", $"{read.Elapsed.TotalSeconds:N1} s ({done.LinesRead / Math.Max(0.001, read.Elapsed.TotalSeconds):N0} rows/s)");
        table.AddRow("apply (event processor)", $"{apply.Elapsed.TotalSeconds:N1} s ({applied:N0} events)");
        AnsiConsole.Write(table);
        if (done.Rejected > 0)
            AnsiConsole.MarkupLineInterpolated($"Rejected rows (line, reason, row): [bold]{done.RejectsPath}[/]");
        return 0;
    }

    private static async Task<Workspace?> WorkspaceAsync(ServiceProvider services, string slug)
    {
        var ws = await services.GetRequiredService<WorkspaceService>().FindWorkspaceBySlugAsync(slug);
        if (ws is null)
            await Console.Error.WriteLineAsync($"No workspace '{slug}'. List yours in the console, or create one with `pond user add`.");
        return ws;
    }

    /// <summary>The services an import or export needs, without the web host; logs go to standard error so an export's CSV stays clean.</summary>
    internal static ServiceProvider Services(PondOptions options)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Pond", LogLevel.Warning));
        services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        services.AddPondCore(options.ConnectionString);
        services.AddPondIngestion(runEngine: false);
        services.AddImports(options.DataDirectory, runWorker: false);
        services.AddAudience(runEngine: false);
        var provider = services.BuildServiceProvider();
        provider.GetRequiredService<MigrationRunner>().MigrateAsync().GetAwaiter().GetResult();
        return provider;
    }
}
