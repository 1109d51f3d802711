using System.Globalization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Localization;
using Pond.Analytics;
using Pond.Audience.Scores;
using Pond.Server.Account;
using Pond.Server.Activities;
using Pond.Server.Fission;
using Pond.Server.Insight;
using Pond.Server.Journeys;
using Pond.Server.Audience;
using Pond.Server.Auth;
using Pond.Server.Channels;
using Pond.Server.Commerce;
using Pond.Server.Content;
using Pond.Server.Experiments;
using Pond.Ingestion;
using Pond.Server.Components;
using Pond.Server.Customers;
using Pond.Server.Goals;
using Pond.Server.Sop;
using Pond.Server.Staff;
using Pond.Server.Workspaces;
using Pond.Server.Ingestion;
using Pond.Server.Loyalty;
using Pond.Server.Messaging;
using Pond.Storage;

namespace Pond.Server.Hosting;

/// <summary>Builds the Pond web host: the same for `pond serve`, the tests and the benchmarks.</summary>
internal static class PondHost
{
    public static readonly CultureInfo[] Cultures = [new("zh-CN"), new("en")];

    public static async Task<WebApplication> CreateAsync(PondOptions options, Action<IServiceCollection>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        builder.WebHost.UseUrls(options.Urls);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Keys live in the data folder, readable only by whoever can read the database anyway.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 4 * 1024 * 1024);

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddPondCore(options.ConnectionString);
        services.AddPondAuth();
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        // Binding failures (malformed JSON, a string where a uuid belongs) reach ProblemExceptionHandler,
        // which names the offending field instead of answering a bare 400.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi();
        services.AddSingleton<Localization.Text>();
        services.AddAntiforgery();
        services.AddDataProtection()
            .SetApplicationName("pond")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(Path.GetFullPath(options.DataDirectory), "keys")));
        services.AddRazorComponents();
        services.AddHttpContextAccessor();

        // Features: each registers its services here and maps its endpoints below.
        services.AddCustomers();
        services.AddStaff();
        services.AddChannelAnalytics();
        services.AddHandover();
        services.AddTags();
        services.AddPondIngestion(options.RunEngines);
        services.AddChannels(options.RunEngines);
        services.AddSegments(options.RunEngines);
        services.AddImports(options.DataDirectory, options.RunEngines);
        services.AddScores(options.RunEngines);
        services.AddCouponsApi(options.RunEngines);
        services.AddLoyaltyApi(options.RunEngines);
        services.AddActivitiesApi(options.RunEngines);
        services.AddReferralsApi(options.RunEngines);
        services.AddReferralPosters();
        services.AddReferralAnalytics();
        services.AddJourneysApi(options.RunEngines);
        services.AddMessaging(options);
        services.AddContentApi(options.DataDirectory);
        services.AddSopApi(options.RunEngines);
        services.AddJourneyConsole();
        services.AddAnalytics(options.RunEngines);
        services.AddGoalsApi(options.RunEngines);
        services.AddExperimentsApi();
        services.AddFunnelsAndCohorts();

        configure?.Invoke(services);

        var app = builder.Build();
        await app.Services.GetRequiredService<MigrationRunner>().MigrateAsync();

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseConsoleErrorPages();
        app.UseRequestLocalization(o =>
        {
            o.DefaultRequestCulture = new RequestCulture("zh-CN");
            o.SupportedCultures = Cultures;
            o.SupportedUICultures = Cultures;
            o.RequestCultureProviders = [new CookieRequestCultureProvider(), new AcceptLanguageHeaderRequestCultureProvider()];
        });
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapCustomersApi();
        app.MapStaffApi();
        app.MapChannelAnalyticsApi();
        app.MapInsightApi();
        app.MapHandoverApi();
        app.MapTagsApi();
        app.MapWorkspaceAdminApi();
        app.MapTracking();
        app.MapChannelsApi();
        app.MapHooks();
        app.MapSegmentsApi();
        app.MapImportsApi();
        app.MapCustomerExportApi();
        app.MapScoresApi();
        app.MapOrdersApi();
        app.MapCouponsApi();
        app.MapLoyaltyApi();
        app.MapActivitiesApi();
        app.MapReferralsApi();
        app.MapPostersApi();
        app.MapReferralAnalyticsApi();
        app.MapJourneysApi();
        app.MapJourneyFragments();
        app.MapAssistsApi();
        app.MapLotteriesApi();
        app.MapMessagingApi();
        app.MapGameFragments();
        app.MapActivityFragments();
        app.MapContentApi();
        app.MapContentFragments();
        app.MapSopApi();
        app.MapGoalsApi();
        app.MapExperimentsApi();
        app.MapExperimentFragments();
        app.MapFunnelsApi();
        app.MapCohortsApi();
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" })).ExcludeFromDescription();

        app.MapAccount();
        app.MapRazorComponents<App>();
        return app;
    }
}
