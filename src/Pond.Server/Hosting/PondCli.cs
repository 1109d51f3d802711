using Pond.Content;
using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Pond.Activities;
using Pond.Audience;
using Pond.Server.Demo;
using Pond.Storage;
using Pond.Workspaces;
using Spectre.Console;

namespace Pond.Server.Hosting;

/// <summary>The command line. Verbs are thin: they call the same services the server uses.</summary>
internal static class PondCli
{
    private static readonly Option<string?> DbOption = new("--db")
    {
        Description = "Database: a PostgreSQL connection string (Host=…;Database=…;Username=… or postgres://…). Default: SQLite in the data folder. Env: POND_DB.",
        Recursive = true,
    };

    private static readonly Option<string?> DataOption = new("--data")
    {
        Description = "Data folder for the embedded SQLite database. Default: ./data. Env: POND_DATA.",
        Recursive = true,
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Pond — private-domain customer operations. Without a verb, runs `serve`.");
        root.Options.Add(DbOption);
        root.Options.Add(DataOption);

        var serve = ServeCommand();
        root.Subcommands.Add(serve);
        root.Subcommands.Add(MigrateCommand());
        root.Subcommands.Add(UserCommand());
        root.Subcommands.Add(DemoCommand());
        root.Subcommands.Add(SimulateCommand());
        root.Subcommands.Add(Audience.AudienceCli.ImportCommand());
        root.Subcommands.Add(Audience.AudienceCli.ExportCommand());
        foreach (var option in serve.Options)
            root.Options.Add(option);
        root.Action = serve.Action;

        return await root.Parse(args).InvokeAsync();
    }

    internal static PondOptions Options(ParseResult parse)
    {
        var options = new PondOptions();
        if (parse.GetValue(DbOption) is { } db)
            options = options with { Db = db };
        if (parse.GetValue(DataOption) is { } data)
            options = options with { DataDirectory = data };
        return options;
    }

    private static Command ServeCommand()
    {
        var urls = new Option<string?>("--urls") { Description = "Where to listen. Default: http://127.0.0.1:5080. Env: POND_URLS." };
        var demo = new Option<bool>("--demo") { Description = "Load the demo brand first if the database has none." };
        var command = new Command("serve", "Run the HTTP API, the web console and the background engines.") { urls, demo };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = Options(parse);
            if (parse.GetValue(urls) is { } u)
                options = options with { Urls = u };
            var app = await PondHost.CreateAsync(options);
            var database = app.Services.GetRequiredService<Database>();
            var loadedDemo = parse.GetValue(demo) && !await DemoBrand.IsLoadedAsync(database)
                && await LoadDemoAsync(app.Services, options, DemoBrand.DefaultCustomers, cancellationToken) == 0;
            await app.StartAsync(cancellationToken);
            AnsiConsole.MarkupLineInterpolated($"[green]Pond is running[/] at [link]{string.Join(", ", app.Urls)}[/] on {database.Description}");
            if (parse.GetValue(demo))
                AnsiConsole.MarkupLineInterpolated($"Demo sign-in: [bold]{DemoCatalog.OwnerEmail}[/] / [bold]{DemoCatalog.Password}[/]{(loadedDemo ? "" : " (demo already loaded)")}");
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }

    private static Command MigrateCommand()
    {
        var to = new Option<int?>("--to") { Description = "Stop at this schema version (default: the latest)." };
        var command = new Command("migrate", "Apply pending schema migrations and exit.") { to };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = CoreServices(Options(parse));
            var runner = services.GetRequiredService<MigrationRunner>();
            var applied = await runner.MigrateAsync(parse.GetValue(to), cancellationToken);
            AnsiConsole.MarkupLineInterpolated($"Applied {applied.Count} migration(s); schema is at version {await runner.CurrentVersionAsync(cancellationToken)}.");
            return 0;
        });
        return command;
    }

    private static Command UserCommand()
    {
        var email = new Option<string>("--email") { Description = "The person's email (their sign-in name).", Required = true };
        var workspace = new Option<string>("--workspace") { Description = "Workspace slug; created if it does not exist.", Required = true };
        var password = new Option<string?>("--password") { Description = "Password for a new user (at least 8 characters). Env: POND_PASSWORD. Asked for if missing." };
        var role = new Option<string>("--role") { Description = "owner, admin, operator, staff or analyst.", DefaultValueFactory = _ => Roles.Owner };
        var name = new Option<string?>("--workspace-name") { Description = "Display name for a new workspace (default: the slug)." };
        var add = new Command("add", "Add a person to a workspace (creating either if new).") { email, workspace, password, role, name };
        add.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = CoreServices(Options(parse));
            await services.GetRequiredService<MigrationRunner>().MigrateAsync(cancellationToken: cancellationToken);
            var workspaces = services.GetRequiredService<WorkspaceService>();
            var slug = parse.GetValue(workspace)!;
            var ws = await workspaces.FindWorkspaceBySlugAsync(slug)
                ?? await workspaces.CreateWorkspaceAsync(slug, parse.GetValue(name) ?? slug);
            var secret = parse.GetValue(password) ?? Environment.GetEnvironmentVariable("POND_PASSWORD");
            if (secret is null && !Console.IsInputRedirected)
                secret = AnsiConsole.Prompt(new TextPrompt<string>("Password:").Secret());
            try
            {
                var user = await workspaces.AddMemberAsync(ws.Id, parse.GetValue(email)!, secret, parse.GetValue(role)!, actor: "cli");
                AnsiConsole.MarkupLineInterpolated($"[green]{user.Email}[/] is {parse.GetValue(role)} of workspace [bold]{ws.Slug}[/].");
                return 0;
            }
            catch (ValidationFailedException e)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
                return 2;
            }
        });
        return new Command("user", "Manage the people who sign in to the console.") { add };
    }

    private static Command DemoCommand()
    {
        var customers = new Option<int>("--customers") { Description = "How many customers the demo brand has.", DefaultValueFactory = _ => DemoBrand.DefaultCustomers };
        var command = new Command("demo", "Load the demo brand (a women's fashion label) into the database.") { customers };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // The whole host's services (not started): the automation demos need the messaging adapters and the SOP engine.
            await using var app = await PondHost.CreateAsync(Options(parse) with { RunEngines = false });
            return await LoadDemoAsync(app.Services, Options(parse), parse.GetValue(customers), cancellationToken);
        });
        return command;
    }

    private static Command SimulateCommand()
    {
        var days = new Option<int>("--days") { Description = "How many days back to simulate (1–365).", DefaultValueFactory = _ => 30 };
        var workspace = new Option<string>("--workspace") { Description = "Workspace slug.", DefaultValueFactory = _ => DemoCatalog.WorkspaceSlug };
        var acquisition = new Command("acquisition",
            "Play scans, adds, group joins and deletions through the live-code landing service and signed WeCom callbacks.") { days, workspace };
        acquisition.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var result = await SimulateAcquisitionAsync(Options(parse), parse.GetValue(workspace)!, parse.GetValue(days), setUpDemo: false, cancellationToken);
                AnsiConsole.MarkupLineInterpolated(
                    $"Simulated {parse.GetValue(days)} days: {result.Scans:N0} scans, {result.Adds:N0} adds, {result.GroupJoins:N0} group joins, {result.Deletions:N0} deletions, {result.Orders:N0} first orders ({result.Callbacks:N0} WeCom callbacks).");
                return 0;
            }
            catch (ValidationFailedException e)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
                return 2;
            }
        });
        return new Command("simulate", "Drive realistic activity through Pond's real endpoints (for demos and load).") { acquisition };
    }

    /// <summary>
    /// Runs the simulator against a Pond host of its own on a free loopback port, so callbacks take the real HTTP path,
    /// then waits until every event is applied and the outbox has had its pass.
    /// </summary>
    internal static async Task<AcquisitionSimulator.Result> SimulateAcquisitionAsync(
        PondOptions options, string slug, int days, bool setUpDemo, CancellationToken cancellationToken)
    {
        await using var app = await PondHost.CreateAsync(options with { Urls = "http://127.0.0.1:0", RunEngines = false }, services =>
            services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning)));
        await app.StartAsync(cancellationToken);
        try
        {
            var services = app.Services;
            var workspace = await services.GetRequiredService<WorkspaceService>().FindWorkspaceBySlugAsync(slug)
                ?? throw new ValidationFailedException($"No workspace '{slug}'.", "workspace");
            if (setUpDemo)
            {
                await ActivatorUtilities.CreateInstance<DemoTags>(services).SetUpAsync(workspace.Id, cancellationToken);
                await ActivatorUtilities.CreateInstance<DemoAcquisition>(services).SetUpAsync(workspace.Id);
            }
            var address = services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
                .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            var result = await ActivatorUtilities.CreateInstance<AcquisitionSimulator>(services).RunAsync(workspace.Id, days, http, cancellationToken: cancellationToken);
            await services.GetRequiredService<Pond.Ingestion.EventProcessor>().ProcessPendingAsync(cancellationToken: cancellationToken);
            var outbox = services.GetRequiredService<Pond.Messaging.OutboxDispatcher>();
            while (await outbox.DispatchDueAsync(cancellationToken) > 0)
            {
            }

            if (setUpDemo)
            {
                var commerce = await Pond.Server.Demo.DemoCommerce.SetUpAsync(services, workspace.Id, cancellationToken);
                AnsiConsole.MarkupLineInterpolated($"Orders: {commerce.Orders:N0} recorded (GMV ¥{commerce.GmvFen / 100m:N0}), {commerce.Refunds:N0} refunds.");
                // Tiers and points rules, then points for the orders above (the order book earned none while loyalty was off).
                await Pond.Server.Demo.DemoLoyalty.SetUpAsync(services, workspace.Id);
                AnsiConsole.MarkupLine("Loyalty: member tiers and points rules set up; points earned for past orders.");
                // The refunds went on the event log: put them on the timeline too.
                await services.GetRequiredService<Pond.Ingestion.EventProcessor>().ProcessPendingAsync(cancellationToken: cancellationToken);
            }

            // RFM cells and lifecycle stages for the orders just loaded, so those pages mean something at once. The demo
            // brand's history is replayed day by day over the simulated month, so its stage changes have dates.
            var scores = services.GetRequiredService<Pond.Audience.Scores.ScoreEngine>();
            var scored = setUpDemo ? await scores.ReplayAsync(workspace.Id, days, cancellationToken) : await scores.RecomputeAsync(workspace.Id, cancellationToken);
            AnsiConsole.MarkupLineInterpolated($"Scored {scored.CustomersScored:N0} buyers (RFM cells and lifecycle stages); {scored.StageChanges:N0} stage changes recorded.");

            return result;
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<int> LoadDemoAsync(IServiceProvider services, PondOptions options, int customers, CancellationToken cancellationToken)
    {
        var brand = ActivatorUtilities.CreateInstance<DemoBrand>(services);
        try
        {
            DemoBrand.Result? result = null;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask($"Loading demo brand ({customers:N0} customers)", maxValue: 1.0);
                    result = await brand.LoadAsync(customers, new Progress<double>(p => task.Value = p), cancellationToken);
                    task.Value = 1.0;
                });
            AnsiConsole.MarkupLineInterpolated(
                $"Loaded [bold]{result!.Workspace.Name}[/]: {result.Customers:N0} customers, {result.Events:N0} events, {result.Staff} staff, {result.Groups} groups.");
            // Two months, so the dashboard's last 30 days have a previous 30 to be compared with.
            AnsiConsole.MarkupLine("Simulating 60 days of acquisition through the WeCom callback endpoint…");
            var simulated = await SimulateAcquisitionAsync(options, DemoCatalog.WorkspaceSlug, 60, setUpDemo: true, cancellationToken);
            AnsiConsole.MarkupLineInterpolated(
                $"Channels: {simulated.Scans:N0} scans, {simulated.Adds:N0} adds, {simulated.GroupJoins:N0} group joins, {simulated.Deletions:N0} deletions, {simulated.Orders:N0} first orders.");
            await DemoAudience.SetUpAsync(services, result.Workspace.Id);
            AnsiConsole.MarkupLineInterpolated($"Segments: {string.Join("、", DemoAudience.Segments.Select(s => s.Name))}.");
            await DemoCoupons.SetUpAsync(services, result.Workspace.Id);
            await DemoActivities.SetUpAsync(services, result.Workspace.Id);
            await DemoReferrals.SetUpAsync(services, result.Workspace.Id);
            await DemoFissionGames.SetUpAsync(services, result.Workspace.Id);
            await DemoContent.SetUpAsync(services, result.Workspace.Id);
            var journeys = await DemoJourneys.SetUpAsync(services, result.Workspace.Id);
            await DemoSop.SetUpAsync(services, result.Workspace.Id);
            await DemoMessaging.SetUpAsync(services, result.Workspace.Id);
            // Their orders are on the event log; a server applies them, and `serve --demo` does so at once.
            if (services.GetService<Pond.Ingestion.EventProcessor>() is { } processor)
                await processor.ProcessPendingAsync(cancellationToken: cancellationToken);
            await DemoExperiments.SetUpAsync(services, result.Workspace.Id);
            var insight = await DemoInsight.SetUpAsync(services, result.Workspace.Id, cancellationToken);
            await DemoGoals.SetUpAsync(services, result.Workspace.Id);
            AnsiConsole.MarkupLine("Coupons issued to the demo segments and some redeemed; a flash sale and a group buy are running.");
            AnsiConsole.MarkupLineInterpolated($"Journeys: {journeys.Journeys.Count} from the templates, {journeys.Enrolled:N0} customers enrolled, {journeys.Orders:N0} of them bought, {journeys.Steps:N0} steps taken; SOP plans, staff tasks, the content library and the outbox are filled.");
            AnsiConsole.MarkupLineInterpolated(
                $"Insight, last 30 days: GMV ¥{insight.Current.Gmv:N2} (¥{insight.Previous.Gmv:N2} the 30 before), {insight.Current.Buyers:N0} buyers, {insight.Current.Adds:N0} adds, {insight.Current.Deletions:N0} deletions; a yearly goal is set; an A/B test of two package-card hooks has its verdict.");
            AnsiConsole.MarkupLineInterpolated($"Sign in as [bold]{DemoCatalog.OwnerEmail}[/] / [bold]{DemoCatalog.Password}[/] (also {DemoCatalog.StaffEmail}, {DemoCatalog.AnalystEmail}).");
            AnsiConsole.MarkupLineInterpolated($"Tracking API write key: [bold]{result.WriteKey}[/]   Admin API secret key: [bold]{result.SecretKey}[/]");
            return 0;
        }
        catch (ConflictException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{e.Message}[/]");
            return 1;
        }
    }

    /// <summary>The engine-side services without the web host, for CLI verbs.</summary>
    internal static ServiceProvider CoreServices(PondOptions options)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        services.AddPondCore(options.ConnectionString);
        services.AddAudience(runEngine: false);
        services.AddActivities(runEngines: false);
        services.AddContentLibrary(options.DataDirectory);
        return services.BuildServiceProvider();
    }
}
