using System.Globalization;
using Pond.Experiments;
using Pond.Server.Experiments;

namespace Pond.Server.Components.Pages.Experiments;

/// <summary>The create form as posted: strings as typed, turned into an <see cref="ExperimentInput"/> (rates in percent on the form, fractions in the API).</summary>
internal sealed class ExperimentForm
{
    public string? Name { get; set; }
    public string? Hypothesis { get; set; }
    public string? Kind { get; set; } = ExperimentKinds.LiveCode;
    public string? NameA { get; set; } = "A";
    public string? CodeA { get; set; }
    public string? HookA { get; set; }
    public string? WeightA { get; set; } = "1";
    public string? NameB { get; set; } = "B";
    public string? CodeB { get; set; }
    public string? HookB { get; set; }
    public string? WeightB { get; set; } = "1";
    public string? NameC { get; set; }
    public string? CodeC { get; set; }
    public string? HookC { get; set; }
    public string? WeightC { get; set; }

    /// <summary>journeyId|stepId of a random step.</summary>
    public string? Step { get; set; }

    public string? PrimaryLive { get; set; } = ExperimentMetrics.AddRate;
    public string? PrimaryJourney { get; set; } = ExperimentMetrics.Conversion;
    public string? ConversionEvent { get; set; }
    public string? GuardDeletion { get; set; } = "on";
    public string? GuardRevenuePerAdd { get; set; } = "on";
    public string? GuardOptOut { get; set; } = "on";
    public string? WindowDays { get; set; } = "7";
    public string? Alpha { get; set; } = "0.05";
    public string? Power { get; set; } = "0.8";

    /// <summary>Percent for rates (30 = 30%), yuan for revenue.</summary>
    public string? Baseline { get; set; }

    /// <summary>Percentage points for rates, yuan for revenue.</summary>
    public string? Mde { get; set; }

    public string? Sd { get; set; }
    public string? SamplePerGroup { get; set; }

    public ExperimentInput ToInput()
    {
        var live = Kind == ExperimentKinds.LiveCode;
        var primary = live ? PrimaryLive : PrimaryJourney;
        var rate = !ExperimentMetrics.IsMean(primary ?? "");
        var guardrails = new List<string>();
        if (On(GuardDeletion))
            guardrails.Add(ExperimentMetrics.DeletionRate);
        if (live && On(GuardRevenuePerAdd))
            guardrails.Add(ExperimentMetrics.RevenuePerAdd);
        if (!live && On(GuardOptOut))
            guardrails.Add(ExperimentMetrics.OptOutRate);
        Guid? journeyId = null;
        string? stepId = null;
        if (!live && Step?.Split('|', 2) is [var journey, var step] && Guid.TryParse(journey, out var parsed))
            (journeyId, stepId) = (parsed, step);
        return new ExperimentInput
        {
            Name = Name, Hypothesis = Hypothesis, Kind = Kind,
            Variants = live ? Variants().ToList() : null,
            JourneyId = journeyId, StepId = stepId,
            PrimaryMetric = primary, Guardrails = guardrails.Where(g => g != primary).ToList(),
            ConversionEvent = live ? null : ConversionEvent,
            WindowDays = (int?)Number(WindowDays, "windowDays"),
            Alpha = Number(Alpha, "alpha"), Power = Number(Power, "power"),
            Baseline = Number(Baseline, "baseline") is { } b && rate ? b / 100 : Number(Baseline, "baseline"),
            Mde = Number(Mde, "mde") is { } m && rate ? m / 100 : Number(Mde, "mde"),
            Sd = rate ? null : Number(Sd, "sd"),
            SamplePerGroup = (long?)Number(SamplePerGroup, "samplePerGroup"),
        };
    }

    private IEnumerable<VariantInput> Variants()
    {
        foreach (var (name, code, hook, weight, field) in new[] { (NameA, CodeA, HookA, WeightA, "A"), (NameB, CodeB, HookB, WeightB, "B"), (NameC, CodeC, HookC, WeightC, "C") })
        {
            if (string.IsNullOrWhiteSpace(code))
            {
                if (field == "C")
                    continue;
                yield return new VariantInput { Name = name };
                continue;
            }

            yield return new VariantInput
            {
                Name = name, CodeId = Guid.TryParse(code, out var id) ? id : null, Hook = hook, Weight = (int?)Number(weight, $"variant {field} weight"),
            };
        }
    }

    private static bool On(string? value) => value is "on" or "true";

    internal static double? Number(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        return double.TryParse(text.Trim().TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw new ValidationFailedException($"{field} must be a number.", field);
    }

    /// <summary>The calculator's request from the same fields (percent → fraction for rates).</summary>
    public static CalculatorRequest Calculator(string? metric, string? baseline, string? mde, string? sd, string? alpha, string? power, string? sample, int variants)
    {
        var rate = metric != "mean";
        return new CalculatorRequest
        {
            Metric = rate ? "rate" : "mean",
            Baseline = Number(baseline, "baseline") is { } b && rate ? b / 100 : Number(baseline, "baseline"),
            Mde = Number(mde, "mde") is { } m && rate ? m / 100 : Number(mde, "mde"),
            Sd = rate ? null : Number(sd, "sd"),
            Alpha = Number(alpha, "alpha"), Power = Number(power, "power"),
            SamplePerGroup = (long?)Number(sample, "samplePerGroup"), Variants = variants,
        };
    }
}

/// <summary>How the console shows metric names, numbers and verdicts.</summary>
internal static class ExperimentDisplay
{
    public static string MetricLabel(string metric) => metric switch
    {
        ExperimentMetrics.AddRate => "Add rate",
        ExperimentMetrics.RevenuePerVisitor => "Revenue per visitor",
        ExperimentMetrics.RevenuePerAdd => "Revenue per add",
        ExperimentMetrics.DeletionRate => "Deletion rate",
        ExperimentMetrics.Conversion => "Conversion rate",
        ExperimentMetrics.RevenuePerCustomer => "Revenue per customer",
        ExperimentMetrics.OptOutRate => "Opt-out rate",
        _ => metric,
    };

    public static string Value(MetricResult metric, double? value) =>
        value is not { } v ? "—" : metric.Test == "two_proportion_z" ? (v * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%" : "¥" + v.ToString("0.00", CultureInfo.InvariantCulture);

    public static string Difference(MetricResult metric, double? value) =>
        value is not { } v ? "—" : metric.Test == "two_proportion_z"
            ? (v * 100).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) + " pt"
            : v.ToString("+¥0.00;-¥0.00;¥0.00", CultureInfo.InvariantCulture);

    public static string Percent(double? value) => value is { } v ? (v * 100).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) + "%" : "—";

    public static string P(double? value) => value is not { } p ? "—" : p < 0.0001 ? "< 0.0001" : p.ToString("0.0000", CultureInfo.InvariantCulture);

    /// <summary>The p-value as a sentence states it: "p = 0.0123", or "p < 0.0001" when it is tiny.</summary>
    public static string PStatement(double? value) => value is { } p && p < 0.0001 ? "p < 0.0001" : "p = " + P(value);

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string VerdictClass(string kind) => kind switch
    {
        VerdictKinds.Wins => "verdict-wins",
        VerdictKinds.Loses => "verdict-loses",
        VerdictKinds.SampleRatioMismatch => "verdict-srm",
        VerdictKinds.NoDifference => "verdict-none",
        _ => "verdict-collecting",
    };
}
