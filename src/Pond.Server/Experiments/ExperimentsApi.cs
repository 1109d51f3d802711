using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Experiments;
using Pond.Server.Components.Pages.Experiments;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Experiments;

/// <summary>The admin API for experiments (/api/experiments): plan, start, stop, read results (JSON or CSV), and the sample-size calculator.</summary>
internal static class ExperimentsApi
{
    public static IServiceCollection AddExperimentsApi(this IServiceCollection services) =>
        services.AddSingleton<ExperimentBook>().AddSingleton<ExperimentResults>().AddSingleton<ExperimentLanding>();

    public static IEndpointRouteBuilder MapExperimentsApi(this IEndpointRouteBuilder routes)
    {
        var experiments = routes.MapGroup("/api/experiments")
            .WithTags("Experiments")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .NotForStaffRole("Experiments range over every customer");
        experiments.MapGet("/", ListExperiments).WithName("ListExperiments").WithSummary("Every experiment, newest first, without results.");
        experiments.MapPost("/", CreateExperiment).WithName("CreateExperiment").RequireAuthorization(Policies.Operate)
            .WithSummary("Plans an experiment as a draft: variants, primary metric, guardrails and the planned sample per group (from the calculator's inputs or given).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        experiments.MapPost("/calculator", Calculate).WithName("CalculateExperimentSample")
            .WithSummary("The sample size per group for a baseline and a minimum detectable effect, and the effect a given sample can detect (rates or means).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        experiments.MapGet("/{id:guid}", GetExperiment).WithName("GetExperiment")
            .WithSummary("One experiment with its results: units per variant, the sample-ratio check, the primary metric and guardrails against the control, and the verdict.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        experiments.MapGet("/{id:guid}/results.csv", ExportResults).WithName("ExportExperimentResults")
            .WithSummary("The results table as CSV (UTF-8 with a byte-order mark, for Excel).")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv").ProducesProblem(StatusCodes.Status404NotFound);
        experiments.MapPost("/{id:guid}/start", StartExperiment).WithName("StartExperiment").RequireAuthorization(Policies.Operate)
            .WithSummary("Starts a draft: its link assigns visitors (live_code) or its journey step's passes count (journey_branch) from now on.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        experiments.MapPost("/{id:guid}/stop", StopExperiment).WithName("StopExperiment").RequireAuthorization(Policies.Operate)
            .WithSummary("Stops a running experiment; the results freeze at this moment and the link sends everyone to the variant kept (default: the control).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    private static readonly string[] Letters = ["A", "B", "C"];

    /// <summary>The console's fragments: the create form's calculator (htmx).</summary>
    public static IEndpointRouteBuilder MapExperimentFragments(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/experiments/calculator", CalculatorFragment).RequireAuthorization(Policies.Read).ExcludeFromDescription()
            .NotForStaffRole("Experiments range over every customer");
        return routes;
    }

    private static RazorComponentResult<CalculatorPanel> CalculatorFragment(HttpContext context)
    {
        var q = context.Request.Query;
        var live = q["Form.Kind"] != ExperimentKinds.JourneyBranch;
        var primary = (live ? q["Form.PrimaryLive"] : q["Form.PrimaryJourney"]).ToString();
        var variants = live ? Math.Max(2, Letters.Count(l => !string.IsNullOrEmpty(q[$"Form.Code{l}"]))) : 2;
        var rate = !ExperimentMetrics.IsMean(primary);
        CalculatorResult? result = null;
        string? error = null;
        try
        {
            result = Calculator(ExperimentForm.Calculator(rate ? "rate" : "mean", q["Form.Baseline"], q["Form.Mde"], q["Form.Sd"], q["Form.Alpha"], q["Form.Power"],
                q["Form.SamplePerGroup"], variants));
        }
        catch (ValidationFailedException e)
        {
            error = e.Message;
        }

        return new(new Dictionary<string, object?>
        {
            [nameof(CalculatorPanel.Result)] = result, [nameof(CalculatorPanel.Error)] = error, [nameof(CalculatorPanel.Rate)] = rate,
        });
    }

    internal sealed record ExperimentView(Experiment Experiment, string? Link, ExperimentResult Results);

    internal sealed class StopRequest
    {
        /// <summary>The variant position the link keeps sending people to (0 = the control).</summary>
        public int? Keep { get; init; }
    }

    public static async Task<Ok<List<Experiment>>> ListExperiments(HttpContext context, ExperimentBook book) =>
        TypedResults.Ok((await book.ListAsync(context.Caller().WorkspaceId)).ToList());

    public static async Task<Created<ExperimentView>> CreateExperiment(ExperimentInput request, HttpContext context, ExperimentBook book, ExperimentResults results)
    {
        var caller = context.Caller();
        var experiment = await book.CreateAsync(caller.WorkspaceId, request, caller.Actor);
        return TypedResults.Created($"/api/experiments/{experiment.Id}", await ViewAsync(context, experiment, results));
    }

    public static async Task<Ok<ExperimentView>> GetExperiment(Guid id, HttpContext context, ExperimentBook book, ExperimentResults results) =>
        TypedResults.Ok(await ViewAsync(context, await book.GetAsync(context.Caller().WorkspaceId, id), results));

    public static async Task<FileContentHttpResult> ExportResults(Guid id, HttpContext context, ExperimentBook book, ExperimentResults results)
    {
        var experiment = await book.GetAsync(context.Caller().WorkspaceId, id);
        var result = await results.ComputeAsync(experiment);
        return TypedResults.File(ExperimentResults.ToCsv(experiment, result), "text/csv; charset=utf-8", $"experiment-{experiment.Id}-results.csv");
    }

    public static async Task<Ok<ExperimentView>> StartExperiment(Guid id, HttpContext context, ExperimentBook book, ExperimentResults results)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await ViewAsync(context, await book.StartAsync(caller.WorkspaceId, id, caller.Actor), results));
    }

    public static async Task<Ok<ExperimentView>> StopExperiment(Guid id, StopRequest? request, HttpContext context, ExperimentBook book, ExperimentResults results)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await ViewAsync(context, await book.StopAsync(caller.WorkspaceId, id, request?.Keep, caller.Actor), results));
    }

    public static Ok<CalculatorResult> Calculate(CalculatorRequest request) => TypedResults.Ok(Calculator(request));

    internal static CalculatorResult Calculator(CalculatorRequest request)
    {
        var metric = request.Metric?.Trim() ?? "rate";
        if (metric is not ("rate" or "mean"))
            throw new ValidationFailedException("metric must be rate or mean.", "metric");
        var variants = request.Variants ?? 2;
        if (variants is < 2 or > ExperimentBook.MaxVariants)
            throw new ValidationFailedException($"variants must be between 2 and {ExperimentBook.MaxVariants} (the control included).", "variants");
        var alpha = request.Alpha ?? 0.05;
        var power = request.Power ?? 0.8;
        var primary = metric == "rate" ? ExperimentMetrics.AddRate : ExperimentMetrics.RevenuePerVisitor;
        long? sample = null, planned = null;
        if (request.Mde is not null)
        {
            var plan = ExperimentBook.Plan(primary, variants, alpha, power, request.Baseline, request.Mde, request.Sd, null);
            (sample, planned) = (plan.Calculated, plan.Planned);
        }
        else if (request.SamplePerGroup is null)
        {
            throw new ValidationFailedException("Give mde (the effect to detect) for a sample size, or samplePerGroup for the detectable effect.", "mde");
        }
        else
        {
            ExperimentBook.Plan(primary, variants, alpha, power, null, null, null, request.SamplePerGroup);
        }

        var comparisonAlpha = alpha / (variants - 1);
        double? detectable = null, relative = null;
        if (request.SamplePerGroup is { } given)
        {
            if (metric == "rate")
            {
                if (request.Baseline is not { } baseline)
                    throw new ValidationFailedException("baseline is required to work out the detectable effect of a rate.", "baseline");
                detectable = ExperimentStatistics.MdeForProportions(baseline, given, comparisonAlpha, power);
                relative = detectable / baseline;
            }
            else
            {
                if (request.Sd is not { } sd)
                    throw new ValidationFailedException("sd is required to work out the detectable effect of a mean.", "sd");
                detectable = ExperimentStatistics.MdeForMeans(sd, given, comparisonAlpha, power);
                relative = request.Baseline is > 0 ? detectable / request.Baseline : null;
            }
        }

        return new CalculatorResult(metric, alpha, comparisonAlpha, power, sample, ExperimentStatistics.RuleOfThumbPerGroup, planned, request.SamplePerGroup,
            detectable, relative);
    }

    private static async Task<ExperimentView> ViewAsync(HttpContext context, Experiment experiment, ExperimentResults results) =>
        new(experiment, experiment.Slug is { } slug ? Link(context, slug) : null, await results.ComputeAsync(experiment));

    public static string Link(HttpContext context, string slug) => Channels.ShortLinks.Absolute(context, $"/x/{slug}");
}

/// <summary>The calculator's inputs (POST /api/experiments/calculator and the console form).</summary>
public sealed class CalculatorRequest
{
    /// <summary>rate (default) or mean.</summary>
    public string? Metric { get; init; }

    /// <summary>Today's rate (0–1) for a rate metric; today's mean for a mean (optional).</summary>
    public double? Baseline { get; init; }

    /// <summary>The smallest absolute change worth detecting (rate points as a fraction, or yuan).</summary>
    public double? Mde { get; init; }

    /// <summary>The standard deviation of the value per unit (means only).</summary>
    public double? Sd { get; init; }

    public double? Alpha { get; init; }
    public double? Power { get; init; }

    /// <summary>Variants including the control (default 2): alpha is split over the comparisons with the control.</summary>
    public int? Variants { get; init; }

    /// <summary>A sample per group whose detectable effect to work out.</summary>
    public long? SamplePerGroup { get; init; }
}

public sealed record CalculatorResult(
    string Metric, double Alpha, double ComparisonAlpha, double Power, long? SamplePerGroup, long RuleOfThumbPerGroup, long? PlannedPerGroup,
    long? GivenSamplePerGroup, double? DetectableEffect, double? DetectableRelativeEffect);
