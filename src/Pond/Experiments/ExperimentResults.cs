using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Pond.Storage;

namespace Pond.Experiments;

/// <summary>An experiment's results as of now: units per variant, the sample-ratio check, the primary metric and guardrails, the verdict.</summary>
internal sealed record ExperimentResult(
    Guid ExperimentId, string Status, DateTimeOffset? From, DateTimeOffset? To, IReadOnlyList<long> Assigned, SampleRatioCheck? SampleRatio,
    long PlannedPerGroup, double ComparisonAlpha, MetricResult Primary, IReadOnlyList<MetricResult> Guardrails, Verdict Verdict);

/// <summary>
/// Computes results from Pond's own tables. live_code: units are the visitors assigned by the experiment's link
/// (experiment_assignments); adds are the relationships credited to each variant's code while the experiment ran
/// (acquisitions.code_id); revenue is private-domain orders (paid − refunded) of the added customer within the window
/// after the add. journey_branch: units are the customers who passed the random step (journey_run_steps, first pass,
/// test runs excluded); conversions, revenue, deletions and opt-outs count within the window after the step, only for
/// customers whose window has closed, so both arms are measured over the same time.
/// </summary>
internal sealed class ExperimentResults(Database database, TimeProvider clock)
{
    public async Task<ExperimentResult> ComputeAsync(Experiment experiment)
    {
        var now = clock.GetUtcNow();
        var names = experiment.Variants.Select(v => v.Name).ToList();
        var weights = experiment.Variants.Select(v => (double)v.Weight).ToList();
        if (experiment.StartedAt is not { } from)
        {
            var empty = Empty(experiment, names);
            return new ExperimentResult(experiment.Id, experiment.Status, null, null, names.Select(_ => 0L).ToList(), null, experiment.PlannedPerGroup,
                experiment.ComparisonAlpha, empty.Primary, empty.Guardrails,
                ExperimentVerdicts.Decide(experiment.Status, null, empty.Primary, empty.Guardrails, experiment.PlannedPerGroup, experiment.ComparisonAlpha));
        }

        var to = experiment.StoppedAt ?? now;
        var samples = experiment.Kind == ExperimentKinds.LiveCode
            ? await LiveCodeAsync(experiment, from, to, now)
            : await JourneyAsync(experiment, from, to, now);
        var srm = ExperimentStatistics.SampleRatio(samples.Assigned, weights);
        var primary = Metric(experiment, experiment.PrimaryMetric, samples, names);
        var guardrails = experiment.Guardrails.Select(g => Metric(experiment, g, samples, names)).ToList();
        var verdict = ExperimentVerdicts.Decide(experiment.Status, srm, primary, guardrails, experiment.PlannedPerGroup, experiment.ComparisonAlpha);
        return new ExperimentResult(experiment.Id, experiment.Status, from, to, samples.Assigned, srm, experiment.PlannedPerGroup, experiment.ComparisonAlpha,
            primary, guardrails, verdict);
    }

    /// <summary>The per-variant tables (primary metric and guardrails) as CSV, UTF-8 with a byte-order mark so Excel reads Chinese names.</summary>
    public static byte[] ToCsv(Experiment experiment, ExperimentResult result)
    {
        var text = new StringBuilder();
        text.Append("metric,role,variant,units,successes,value,ci_low,ci_high,difference_vs_control,relative_lift,diff_ci_low,diff_ci_high,statistic,df,p_value\r\n");
        foreach (var (metric, role) in new[] { (result.Primary, "primary") }.Concat(result.Guardrails.Select(g => (g, "guardrail"))))
        {
            foreach (var v in metric.Variants)
            {
                var c = metric.Comparisons[v.Position];
                text.Append(string.Join(',',
                    metric.Metric, role, Csv(v.Name), N(v.Units), v.Successes is { } s ? N(s) : "", D(v.Value), D(v.CiLow), D(v.CiHigh),
                    D(c?.Difference), D(c?.RelativeLift), D(c?.CiLow), D(c?.CiHigh), D(c?.Statistic), D(c?.DegreesOfFreedom), D(c?.PValue)));
                text.Append("\r\n");
            }
        }

        text.Append("\r\nverdict,").Append(result.Verdict.Kind).Append(',').Append(Csv(result.Verdict.Message)).Append("\r\n");
        if (result.SampleRatio is { } srm)
            text.Append("sample_ratio_p,").Append(D(srm.PValue)).Append(",chi_square,").Append(D(srm.ChiSquare)).Append("\r\n");
        _ = experiment;
        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text.ToString())];
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string D(double? value) => value?.ToString("0.########", CultureInfo.InvariantCulture) ?? "";

    private static string Csv(string value) =>
        value.IndexOfAny([',', '"', '\r', '\n']) >= 0 || value.StartsWith('=') || value.StartsWith('+') || value.StartsWith('-') || value.StartsWith('@')
            ? "\"" + (value.StartsWith('=') || value.StartsWith('+') || value.StartsWith('-') || value.StartsWith('@') ? "'" : "") + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;

    private static (MetricResult Primary, List<MetricResult> Guardrails) Empty(Experiment experiment, List<string> names)
    {
        var samples = new Samples(names.Select(_ => 0L).ToList(), names.Select(_ => new Dictionary<string, List<double>>()).ToList());
        return (Metric(experiment, experiment.PrimaryMetric, samples, names), experiment.Guardrails.Select(g => Metric(experiment, g, samples, names)).ToList());
    }

    private static MetricResult Metric(Experiment experiment, string metric, Samples samples, List<string> names)
    {
        if (ExperimentMetrics.IsMean(metric))
        {
            return MetricResult.OfMeans(metric,
                names.Select((n, i) => (n, MeanSummary.Of(samples.Values(i, metric)))).ToList(), experiment.Alpha, experiment.ComparisonAlpha);
        }

        // add_rate counts adds over visitors (an add is not tied to one visitor); every other rate is a 0/1 value per unit.
        return MetricResult.OfRates(metric,
            names.Select((n, i) =>
            {
                if (metric == ExperimentMetrics.AddRate)
                {
                    var adds = samples.Values(i, "adds").Count;
                    var visitors = samples.Assigned[i];
                    return (n, new ProportionSummary(visitors, Math.Min(adds, visitors)));
                }

                var values = samples.Values(i, metric);
                return (n, new ProportionSummary(values.Count, values.Count(v => v > 0)));
            }).ToList(), experiment.Alpha, experiment.ComparisonAlpha);
    }

    /// <summary>Units assigned per variant (for the sample-ratio check) and, per variant and metric, one value per measured unit.</summary>
    private sealed record Samples(IReadOnlyList<long> Assigned, IReadOnlyList<Dictionary<string, List<double>>> PerVariant)
    {
        public List<double> Values(int variant, string metric) =>
            PerVariant[variant].TryGetValue(metric, out var list) ? list : [];

        public void Add(int variant, string metric, double value)
        {
            if (!PerVariant[variant].TryGetValue(metric, out var list))
                PerVariant[variant][metric] = list = [];
            list.Add(value);
        }
    }

    private async Task<Samples> LiveCodeAsync(Experiment experiment, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
    {
        await using var connection = await database.OpenAsync();
        var counts = (await connection.QueryAsync<VariantCount>(
            "SELECT variant, COUNT(*) AS units FROM experiment_assignments WHERE experiment_id = @id GROUP BY variant", new { id = experiment.Id }))
            .ToDictionary(c => (int)c.Variant, c => c.Units);
        var assigned = experiment.Variants.Select(v => counts.GetValueOrDefault(v.Position)).ToList();
        var samples = new Samples(assigned, experiment.Variants.Select(_ => new Dictionary<string, List<double>>()).ToList());
        var byCode = experiment.Variants.Where(v => v.CodeId is not null).ToDictionary(v => v.CodeId!.Value, v => v.Position);
        var codes = byCode.Keys.ToArray();
        var window = TimeSpan.FromDays(experiment.WindowDays);
        var adds = await connection.QueryAsync<AddRow>(
            $"""
            SELECT a.code_id, a.acquired_at, a.ended_at,
                   (SELECT COALESCE(SUM(o.paid - o.refunded), 0) FROM orders o
                    WHERE o.workspace_id = a.workspace_id AND o.customer_id = a.customer_id AND o.private_domain = @yes
                      AND o.placed_at >= a.acquired_at AND o.placed_at < a.acquired_at + @windowMs) AS revenue_fen
            FROM acquisitions a
            WHERE a.workspace_id = @workspaceId AND a.acquired_at >= @from AND a.acquired_at <= @to
              AND a.code_id {(database.IsSqlite ? "IN (SELECT value FROM json_each(@codes))" : "= ANY(@codes)")}
            """,
            new
            {
                // WeCom stamps an add to the second: an add in the second the experiment started must not fall before it.
                workspaceId = experiment.WorkspaceId, from = DateTimeOffset.FromUnixTimeSeconds(from.ToUnixTimeSeconds()), to, yes = true,
                windowMs = (long)window.TotalMilliseconds,
                codes = database.IsSqlite ? (object)JsonSerializer.Serialize(codes) : codes,
            });
        foreach (var add in adds)
        {
            if (!byCode.TryGetValue(add.CodeId, out var variant))
                continue;
            var yuan = add.RevenueFen / 100.0;
            samples.Add(variant, "adds", 1);
            samples.Add(variant, ExperimentMetrics.RevenuePerVisitor, yuan);
            if (add.AcquiredAt + window <= now)
            {
                samples.Add(variant, ExperimentMetrics.RevenuePerAdd, yuan);
                samples.Add(variant, ExperimentMetrics.DeletionRate, add.EndedAt is { } ended && ended < add.AcquiredAt + window ? 1 : 0);
            }
        }

        // Revenue per visitor: visitors without an add are zeros.
        for (var i = 0; i < assigned.Count; i++)
        {
            var missing = assigned[i] - samples.Values(i, "adds").Count;
            for (var k = 0; k < missing; k++)
                samples.Add(i, ExperimentMetrics.RevenuePerVisitor, 0);
        }

        return samples;
    }

    private async Task<Samples> JourneyAsync(Experiment experiment, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
    {
        await using var connection = await database.OpenAsync();
        var window = TimeSpan.FromDays(experiment.WindowDays);
        var conversion = experiment.ConversionEvent is null
            ? """
              (SELECT COUNT(*) FROM orders o WHERE o.workspace_id = r.workspace_id AND o.customer_id = r.customer_id AND o.private_domain = @yes
                 AND o.placed_at >= s.at AND o.placed_at < s.at + @windowMs)
              """
            : """
              (SELECT COUNT(*) FROM customer_events e WHERE e.workspace_id = r.workspace_id AND e.customer_id = r.customer_id AND e.name = @event
                 AND e.occurred_at >= s.at AND e.occurred_at < s.at + @windowMs)
              """;
        var rows = await connection.QueryAsync<PassRow>(
            $"""
            SELECT r.customer_id, s.outcome, s.at,
                   {conversion} AS conversions,
                   (SELECT COALESCE(SUM(o.paid - o.refunded), 0) FROM orders o
                    WHERE o.workspace_id = r.workspace_id AND o.customer_id = r.customer_id AND o.private_domain = @yes
                      AND o.placed_at >= s.at AND o.placed_at < s.at + @windowMs) AS revenue_fen,
                   (SELECT COUNT(*) FROM acquisitions a
                    WHERE a.workspace_id = r.workspace_id AND a.customer_id = r.customer_id AND a.ended_at >= s.at AND a.ended_at < s.at + @windowMs) AS deletions,
                   c.opted_out_at
            FROM journey_runs r
            JOIN journey_run_steps s ON s.run_id = r.id AND s.step_id = @stepId
            LEFT JOIN customers c ON c.id = r.customer_id
            WHERE r.workspace_id = @workspaceId AND r.journey_id = @journeyId AND r.is_test = @no AND s.at >= @from AND s.at <= @to
            """,
            new
            {
                workspaceId = experiment.WorkspaceId, journeyId = experiment.JourneyId, stepId = experiment.StepId, from, to, yes = true, no = false,
                windowMs = (long)window.TotalMilliseconds, @event = experiment.ConversionEvent,
            });

        // A customer who re-entered the journey is one unit: the first pass decides the branch (the hash keeps it the same anyway).
        var firstPass = rows.GroupBy(r => r.CustomerId).Select(g => g.MinBy(r => r.At)!).ToList();
        var assigned = new long[experiment.Variants.Count];
        var samples = new Samples(assigned, experiment.Variants.Select(_ => new Dictionary<string, List<double>>()).ToList());
        foreach (var unit in firstPass)
        {
            if (!unit.Outcome.StartsWith("branch_", StringComparison.Ordinal)
                || !int.TryParse(unit.Outcome.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out var branch)
                || branch < 1 || branch > assigned.Length)
                continue;
            var variant = branch - 1;
            assigned[variant]++;
            if (unit.At + window > now)
                continue;
            samples.Add(variant, ExperimentMetrics.Conversion, unit.Conversions > 0 ? 1 : 0);
            samples.Add(variant, ExperimentMetrics.RevenuePerCustomer, unit.RevenueFen / 100.0);
            samples.Add(variant, ExperimentMetrics.DeletionRate, unit.Deletions > 0 ? 1 : 0);
            samples.Add(variant, ExperimentMetrics.OptOutRate, unit.OptedOutAt is { } opted && opted >= unit.At && opted < unit.At + window ? 1 : 0);
        }

        return samples;
    }

    private sealed class VariantCount
    {
        public long Variant { get; init; }
        public long Units { get; init; }
    }

    private sealed class AddRow
    {
        public Guid CodeId { get; init; }
        public DateTimeOffset AcquiredAt { get; init; }
        public DateTimeOffset? EndedAt { get; init; }
        public long RevenueFen { get; init; }
    }

    private sealed class PassRow
    {
        public Guid CustomerId { get; init; }
        public string Outcome { get; init; } = "";
        public DateTimeOffset At { get; init; }
        public long Conversions { get; init; }
        public long RevenueFen { get; init; }
        public long Deletions { get; init; }
        public DateTimeOffset? OptedOutAt { get; init; }
    }
}
