using System.Text.Json.Serialization;

namespace Pond.Experiments;

internal static class ExperimentKinds
{
    /// <summary>Variants are live codes; visitors of the experiment's link are assigned by hashing. Unit: visitor.</summary>
    public const string LiveCode = "live_code";

    /// <summary>Variants are the branches of a journey's random step. Unit: customer who passed the step.</summary>
    public const string JourneyBranch = "journey_branch";

    public static readonly IReadOnlyList<string> All = [LiveCode, JourneyBranch];
}

internal static class ExperimentStatuses
{
    public const string Draft = "draft";
    public const string Running = "running";
    public const string Stopped = "stopped";
}

/// <summary>What an experiment measures. Rates are tested with the two-proportion z-test, means with Welch's t-test.</summary>
internal static class ExperimentMetrics
{
    /// <summary>live_code: adds ÷ visitors of the variant.</summary>
    public const string AddRate = "add_rate";

    /// <summary>live_code: private-domain revenue (paid − refunded) of the variant's adds within the window, over its visitors.</summary>
    public const string RevenuePerVisitor = "revenue_per_visitor";

    /// <summary>live_code guardrail: private-domain revenue per add within the window (adds old enough to tell).</summary>
    public const string RevenuePerAdd = "revenue_per_add";

    /// <summary>Relationships that ended within the window: of the adds (live_code) or of the customers (journey_branch).</summary>
    public const string DeletionRate = "deletion_rate";

    /// <summary>journey_branch: customers who placed a private-domain order (or did the conversion event) within the window.</summary>
    public const string Conversion = "conversion";

    /// <summary>journey_branch: private-domain revenue per customer within the window.</summary>
    public const string RevenuePerCustomer = "revenue_per_customer";

    /// <summary>journey_branch guardrail: customers who opted out of marketing within the window.</summary>
    public const string OptOutRate = "opt_out_rate";

    public static readonly IReadOnlyList<string> LiveCodePrimary = [AddRate, RevenuePerVisitor];
    public static readonly IReadOnlyList<string> LiveCodeGuardrails = [DeletionRate, RevenuePerAdd, AddRate, RevenuePerVisitor];
    public static readonly IReadOnlyList<string> JourneyPrimary = [Conversion, RevenuePerCustomer];
    public static readonly IReadOnlyList<string> JourneyGuardrails = [OptOutRate, DeletionRate, Conversion, RevenuePerCustomer];

    public static IReadOnlyList<string> PrimaryFor(string kind) => kind == ExperimentKinds.LiveCode ? LiveCodePrimary : JourneyPrimary;

    public static IReadOnlyList<string> GuardrailsFor(string kind) => kind == ExperimentKinds.LiveCode ? LiveCodeGuardrails : JourneyGuardrails;

    /// <summary>The guardrails an experiment gets when the operator names none.</summary>
    public static IReadOnlyList<string> DefaultGuardrails(string kind) =>
        kind == ExperimentKinds.LiveCode ? [DeletionRate, RevenuePerAdd] : [OptOutRate, DeletionRate];

    public static bool IsMean(string metric) => metric is RevenuePerVisitor or RevenuePerAdd or RevenuePerCustomer;

    /// <summary>Higher is better for every metric but these, where a rise is harm.</summary>
    public static bool LowerIsBetter(string metric) => metric is DeletionRate or OptOutRate;
}

internal sealed class Experiment
{
    public Guid Id { get; init; }
    [JsonIgnore]
    public Guid WorkspaceId { get; init; }
    public string Name { get; init; } = "";
    public string? Hypothesis { get; init; }
    public string Kind { get; init; } = "";
    public string Status { get; init; } = "";

    /// <summary>live_code: the experiment's short link is /x/{slug}.</summary>
    public string? Slug { get; init; }

    public Guid? JourneyId { get; init; }
    public string? StepId { get; init; }
    public string PrimaryMetric { get; init; } = "";
    public IReadOnlyList<string> Guardrails { get; init; } = [];

    /// <summary>journey_branch: the event that counts as a conversion (empty: a private-domain order).</summary>
    public string? ConversionEvent { get; init; }

    /// <summary>Days after the unit's exposure in which conversions, revenue, deletions and opt-outs count.</summary>
    public int WindowDays { get; init; }

    public double Alpha { get; init; }
    public double Power { get; init; }

    /// <summary>The calculator's inputs: the baseline rate (or mean), the minimum detectable effect (absolute), the standard deviation for means.</summary>
    public double? Baseline { get; init; }
    public double? Mde { get; init; }
    public double? Sd { get; init; }

    /// <summary>The sample per group the operator set by hand, if any.</summary>
    public long? SampleOverride { get; init; }

    /// <summary>Units per group before a verdict is called.</summary>
    public long PlannedPerGroup { get; init; }

    /// <summary>What the calculator asked for (null when the operator gave no calculator inputs).</summary>
    public long? CalculatedPerGroup { get; init; }

    /// <summary>After the experiment stops, the link sends everyone to this variant.</summary>
    public int KeepVariant { get; init; }

    public IReadOnlyList<ExperimentVariant> Variants { get; init; } = [];

    /// <summary>Why the plan is weaker than it should be (a sample below the rule of thumb or below the calculator's).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public string? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? StoppedAt { get; init; }

    /// <summary>The significance level each comparison with the control is held to: alpha split over the comparisons (Bonferroni).</summary>
    public double ComparisonAlpha => Alpha / Math.Max(1, Variants.Count - 1);
}

internal sealed class ExperimentVariant
{
    public int Position { get; init; }
    public string Name { get; init; } = "";
    public Guid? CodeId { get; init; }
    public string? CodeName { get; init; }
    public string? CodeSlug { get; init; }

    /// <summary>live_code: the hook the experiment's landing shows for this variant instead of the channel's.</summary>
    public string? Hook { get; init; }

    public int Weight { get; init; }
}

/// <summary>What the operator sends to create an experiment; every field is checked by <see cref="ExperimentBook"/>.</summary>
internal sealed class ExperimentInput
{
    public string? Name { get; init; }
    public string? Hypothesis { get; init; }
    public string? Kind { get; init; }
    public List<VariantInput>? Variants { get; init; }
    public Guid? JourneyId { get; init; }
    public string? StepId { get; init; }
    public string? PrimaryMetric { get; init; }
    public List<string>? Guardrails { get; init; }
    public string? ConversionEvent { get; init; }
    public int? WindowDays { get; init; }
    public double? Alpha { get; init; }
    public double? Power { get; init; }
    public double? Baseline { get; init; }
    public double? Mde { get; init; }
    public double? Sd { get; init; }
    public long? SamplePerGroup { get; init; }
}

internal sealed class VariantInput
{
    public string? Name { get; init; }
    public Guid? CodeId { get; init; }
    public string? Hook { get; init; }
    public int? Weight { get; init; }
}
