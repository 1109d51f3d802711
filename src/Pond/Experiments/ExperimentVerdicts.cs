using System.Globalization;
using MathNet.Numerics.Distributions;

namespace Pond.Experiments;

/// <summary>One variant's value of a metric: a rate (successes over units) or a mean, with its own confidence interval.</summary>
internal sealed record VariantStat(int Position, string Name, long Units, long? Successes, double Value, double? Sd, double? CiLow, double? CiHigh);

/// <summary>A metric over the variants, and each treatment compared with the control (index = position; null for the control).</summary>
internal sealed record MetricResult(string Metric, string Test, bool LowerIsBetter, IReadOnlyList<VariantStat> Variants, IReadOnlyList<Comparison?> Comparisons)
{
    /// <summary>Whether treatment <paramref name="position"/> moved the metric the way that is good for the business.</summary>
    public bool Better(int position) => Comparisons[position] is { } c && (c.Difference > 0) != LowerIsBetter && c.Difference != 0;

    public static MetricResult OfRates(string metric, IReadOnlyList<(string Name, ProportionSummary Summary)> variants, double alpha, double comparisonAlpha)
    {
        var z = Normal.InvCDF(0, 1, 1 - (alpha / 2));
        var stats = variants.Select((v, i) =>
        {
            var (n, p) = (v.Summary.Units, v.Summary.Rate);
            var half = n == 0 ? (double?)null : z * Math.Sqrt(p * (1 - p) / n);
            return new VariantStat(i, v.Name, n, v.Summary.Successes, p, null, p - half, p + half);
        }).ToList();
        var comparisons = variants.Select((v, i) => i == 0 ? null : ExperimentStatistics.TwoProportionZTest(variants[0].Summary, v.Summary, comparisonAlpha)).ToList();
        return new MetricResult(metric, "two_proportion_z", ExperimentMetrics.LowerIsBetter(metric), stats, comparisons);
    }

    public static MetricResult OfMeans(string metric, IReadOnlyList<(string Name, MeanSummary Summary)> variants, double alpha, double comparisonAlpha)
    {
        var stats = variants.Select((v, i) =>
        {
            var s = v.Summary;
            double? half = s.Units < 2 ? null : StudentT.InvCDF(0, 1, s.Units - 1, 1 - (alpha / 2)) * s.StandardDeviation / Math.Sqrt(s.Units);
            return new VariantStat(i, v.Name, s.Units, null, s.Mean, s.Units < 2 ? null : s.StandardDeviation, s.Mean - half, s.Mean + half);
        }).ToList();
        var comparisons = variants.Select((v, i) => i == 0 ? null : ExperimentStatistics.WelchTTest(variants[0].Summary, v.Summary, comparisonAlpha)).ToList();
        return new MetricResult(metric, "welch_t", ExperimentMetrics.LowerIsBetter(metric), stats, comparisons);
    }
}

/// <summary>A guardrail that got significantly worse for a treatment.</summary>
internal sealed record GuardrailAlert(string Metric, int Position, string Variant, double Difference, double PValue);

internal static class VerdictKinds
{
    public const string Draft = "draft";
    public const string SampleRatioMismatch = "srm";
    public const string Collecting = "collecting";
    public const string Wins = "wins";
    public const string Loses = "loses";
    public const string NoDifference = "no_difference";
}

/// <summary>
/// The verdict: <see cref="Kind"/> is one of <see cref="VerdictKinds"/>; <see cref="Variant"/> the winning (or losing)
/// treatment; <see cref="Collected"/> the smallest group's units so far against <see cref="Planned"/>.
/// </summary>
internal sealed record Verdict(string Kind, string Message, int? Variant, long Collected, long Planned, IReadOnlyList<GuardrailAlert> GuardrailAlerts);

/// <summary>
/// Turns the numbers into a decision an operator can act on, conservatively: a sample-ratio mismatch voids the results;
/// no winner is named before every group has the planned sample (peeking at a running test inflates false positives);
/// after that each treatment is judged against the control at alpha split over the comparisons (Bonferroni). A guardrail
/// that got significantly worse is reported whatever the primary metric says.
/// </summary>
internal static class ExperimentVerdicts
{
    public static Verdict Decide(
        string status, SampleRatioCheck? sampleRatio, MetricResult primary, IReadOnlyList<MetricResult> guardrails, long planned, double comparisonAlpha)
    {
        var alerts = new List<GuardrailAlert>();
        foreach (var guardrail in guardrails)
        {
            for (var i = 1; i < guardrail.Comparisons.Count; i++)
            {
                if (guardrail.Comparisons[i] is { } c && c.Significant(comparisonAlpha) && !guardrail.Better(i) && c.Difference != 0)
                    alerts.Add(new GuardrailAlert(guardrail.Metric, i, guardrail.Variants[i].Name, c.Difference, c.PValue));
            }
        }

        var collected = primary.Variants.Count == 0 ? 0 : primary.Variants.Min(v => v.Units);
        if (status == ExperimentStatuses.Draft)
            return new Verdict(VerdictKinds.Draft, "Not started: nobody is assigned yet.", null, 0, planned, []);
        if (sampleRatio is { Mismatch: true })
        {
            return new Verdict(VerdictKinds.SampleRatioMismatch,
                Invariant($"Sample ratio mismatch (p = {sampleRatio.PValue:0.######}): the groups are not split as planned, so the results are not trustworthy. Check how visitors reach the link and whether a variant's code is broken."),
                null, collected, planned, alerts);
        }

        if (collected < planned)
        {
            return new Verdict(VerdictKinds.Collecting,
                Invariant($"Collecting: the smallest group has {collected:N0} of the planned {planned:N0}. No winner is called before every group reaches the planned sample."),
                null, collected, planned, alerts);
        }

        var treatments = Enumerable.Range(1, primary.Comparisons.Count - 1)
            .Where(i => primary.Comparisons[i] is { } c && c.Significant(comparisonAlpha)).ToList();
        var better = treatments.Where(primary.Better).ToList();
        if (better.Count > 0)
        {
            var best = primary.LowerIsBetter
                ? better.MinBy(i => primary.Comparisons[i]!.Difference)
                : better.MaxBy(i => primary.Comparisons[i]!.Difference);
            var c = primary.Comparisons[best]!;
            var guard = alerts.Any(a => a.Position == best) ? " But a guardrail got significantly worse for it: weigh that before rolling it out." : "";
            return new Verdict(VerdictKinds.Wins,
                Invariant($"{primary.Variants[best].Name} wins on {primary.Metric}: {Signed(c.Difference, primary.Test)} against {primary.Variants[0].Name} (p = {c.PValue:0.####}).{guard}"),
                best, collected, planned, alerts);
        }

        if (treatments.Count > 0 && treatments.Count == primary.Comparisons.Count - 1)
        {
            var worst = treatments.OrderBy(i => Math.Abs(primary.Comparisons[i]!.PValue)).First();
            var c = primary.Comparisons[worst]!;
            return new Verdict(VerdictKinds.Loses,
                Invariant($"{primary.Variants[worst].Name} loses on {primary.Metric}: {Signed(c.Difference, primary.Test)} against {primary.Variants[0].Name} (p = {c.PValue:0.####}). Keep {primary.Variants[0].Name}."),
                worst, collected, planned, alerts);
        }

        return new Verdict(VerdictKinds.NoDifference,
            Invariant($"No detectable difference on {primary.Metric} at alpha {comparisonAlpha:0.####}: the variants may differ by less than the planned minimum effect."),
            null, collected, planned, alerts);
    }

    private static string Signed(double difference, string test) =>
        test == "two_proportion_z" ? Invariant($"{difference * 100:+0.00;-0.00} points") : Invariant($"{difference:+0.00;-0.00} per unit");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
