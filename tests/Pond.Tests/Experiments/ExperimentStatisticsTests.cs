using System.Text.Json.Nodes;
using Pond.Experiments;

namespace Pond.Tests.Experiments;

/// <summary>
/// The experiment statistics against SciPy, computed in the test by running python3: every figure to 4 decimal places.
/// The two-proportion z-test is checked against scipy.stats.chi2_contingency without continuity correction (its chi-square
/// is z², its p-value the z-test's) and the interval against scipy.stats.norm; Welch's t-test against
/// scipy.stats.ttest_ind(equal_var=False) with the interval from scipy.stats.t; the sample-ratio check against
/// scipy.stats.chisquare; the calculator against the textbook formulas with scipy.stats.norm, its inverse with scipy.optimize.brentq.
/// </summary>
public sealed class ExperimentStatisticsTests
{
    private const int Places = 4;

    private static readonly (long N1, long X1, long N2, long X2, double Alpha)[] Proportions =
    [
        (1000, 300, 1000, 345, 0.05),
        (1200, 410, 1250, 520, 0.05),
        (5000, 50, 5000, 72, 0.05),
        (80, 10, 95, 9, 0.10),
        (20000, 6000, 20000, 6090, 0.01),
        (1500, 1400, 1480, 1420, 0.05),
    ];

    [Fact]
    public void TwoProportionZTest_MatchesSciPy()
    {
        const string script =
            """
            import json, sys, math
            from scipy import stats
            out = []
            for f in json.load(sys.stdin):
                n1, x1, n2, x2, alpha = f
                chi2, p, dof, _ = stats.chi2_contingency([[x1, n1 - x1], [x2, n2 - x2]], correction=False)
                p1, p2 = x1 / n1, x2 / n2
                se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
                z = stats.norm.ppf(1 - alpha / 2)
                out.append({"chi2": chi2, "p": p, "low": (p2 - p1) - z * se, "high": (p2 - p1) + z * se})
            print(json.dumps(out))
            """;
        var reference = SciPy.Run(script, new JsonArray(Proportions.Select(f => (JsonNode)SciPy.Array(new double[] { f.N1, f.X1, f.N2, f.X2, f.Alpha })).ToArray()))
            .AsArray();
        for (var i = 0; i < Proportions.Length; i++)
        {
            var f = Proportions[i];
            var result = ExperimentStatistics.TwoProportionZTest(new ProportionSummary(f.N1, f.X1), new ProportionSummary(f.N2, f.X2), f.Alpha)!;
            var expected = reference[i]!;
            Math.Round(result.Statistic * result.Statistic, Places).ShouldBe(Math.Round(SciPy.Number(expected["chi2"]), Places), $"fixture {i}: z²");
            Math.Round(result.PValue, Places).ShouldBe(Math.Round(SciPy.Number(expected["p"]), Places), $"fixture {i}: p");
            Math.Round(result.CiLow, Places).ShouldBe(Math.Round(SciPy.Number(expected["low"]), Places), $"fixture {i}: CI low");
            Math.Round(result.CiHigh, Places).ShouldBe(Math.Round(SciPy.Number(expected["high"]), Places), $"fixture {i}: CI high");
            result.Difference.ShouldBe(((double)f.X2 / f.N2) - ((double)f.X1 / f.N1), 1e-12);
            result.ConfidenceLevel.ShouldBe(1 - f.Alpha, 1e-12);
        }
    }

    [Fact]
    public void WelchTTest_MatchesSciPy()
    {
        // Revenue-like samples: many zeros, a long tail, groups of different sizes and spreads; and two small normal samples.
        var fixtures = new List<(double[] A, double[] B, double Alpha)>();
        var random = new Random(8);
        double[] Revenue(int n, double buyRate, double mean) =>
            Enumerable.Range(0, n).Select(_ => random.NextDouble() < buyRate ? Math.Round(mean * -Math.Log(1 - random.NextDouble()), 2) : 0).ToArray();
        double[] Normal(int n, double mean, double sd) =>
            Enumerable.Range(0, n).Select(_ => mean + (sd * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))).ToArray();
        fixtures.Add((Revenue(1200, 0.2, 180), Revenue(1260, 0.24, 175), 0.05));
        fixtures.Add((Revenue(3000, 0.1, 90), Revenue(2900, 0.1, 120), 0.01));
        fixtures.Add((Normal(12, 10, 2), Normal(17, 12, 5), 0.05));
        fixtures.Add((Normal(40, 100, 30), Normal(25, 95, 8), 0.10));

        const string script =
            """
            import json, sys, math
            import numpy as np
            from scipy import stats
            out = []
            for f in json.load(sys.stdin):
                a, b, alpha = np.array(f["a"]), np.array(f["b"]), f["alpha"]
                t, p = stats.ttest_ind(b, a, equal_var=False)
                va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
                df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
                se = math.sqrt(va + vb)
                q = stats.t.ppf(1 - alpha / 2, df)
                d = b.mean() - a.mean()
                out.append({"t": float(t), "p": float(p), "df": df, "low": d - q * se, "high": d + q * se, "meanA": a.mean(), "sdA": a.std(ddof=1)})
            print(json.dumps(out))
            """;
        var input = new JsonArray(fixtures.Select(f => (JsonNode)new JsonObject
        {
            ["a"] = SciPy.Array(f.A), ["b"] = SciPy.Array(f.B), ["alpha"] = f.Alpha,
        }).ToArray());
        var reference = SciPy.Run(script, input).AsArray();
        for (var i = 0; i < fixtures.Count; i++)
        {
            var (a, b, alpha) = fixtures[i];
            var control = MeanSummary.Of(a);
            var result = ExperimentStatistics.WelchTTest(control, MeanSummary.Of(b), alpha)!;
            var expected = reference[i]!;
            Math.Round(result.Statistic, Places).ShouldBe(Math.Round(SciPy.Number(expected["t"]), Places), $"fixture {i}: t");
            Math.Round(result.PValue, Places).ShouldBe(Math.Round(SciPy.Number(expected["p"]), Places), $"fixture {i}: p");
            Math.Round(result.DegreesOfFreedom!.Value, Places).ShouldBe(Math.Round(SciPy.Number(expected["df"]), Places), $"fixture {i}: df");
            Math.Round(result.CiLow, Places).ShouldBe(Math.Round(SciPy.Number(expected["low"]), Places), $"fixture {i}: CI low");
            Math.Round(result.CiHigh, Places).ShouldBe(Math.Round(SciPy.Number(expected["high"]), Places), $"fixture {i}: CI high");
            Math.Round(control.Mean, Places).ShouldBe(Math.Round(SciPy.Number(expected["meanA"]), Places), $"fixture {i}: mean");
            Math.Round(control.StandardDeviation, Places).ShouldBe(Math.Round(SciPy.Number(expected["sdA"]), Places), $"fixture {i}: sd");
        }
    }

    [Fact]
    public void SampleRatioCheck_MatchesSciPyChiSquare()
    {
        (long[] Observed, double[] Weights)[] fixtures =
        [
            ([1000, 1000], [1, 1]),
            ([1030, 970], [1, 1]),
            ([5230, 4770], [50, 50]),
            ([2100, 1000, 950], [2, 1, 1]),
            ([812, 1190], [40, 60]),
            ([10, 30], [1, 1]),
        ];
        const string script =
            """
            import json, sys
            from scipy import stats
            out = []
            for f in json.load(sys.stdin):
                obs, w = f["observed"], f["weights"]
                total = sum(obs)
                exp = [total * x / sum(w) for x in w]
                chi, p = stats.chisquare(obs, exp)
                out.append({"chi": float(chi), "p": float(p)})
            print(json.dumps(out))
            """;
        var reference = SciPy.Run(script, new JsonArray(fixtures.Select(f => (JsonNode)new JsonObject
        {
            ["observed"] = SciPy.Array(f.Observed), ["weights"] = SciPy.Array(f.Weights),
        }).ToArray())).AsArray();
        for (var i = 0; i < fixtures.Length; i++)
        {
            var check = ExperimentStatistics.SampleRatio(fixtures[i].Observed, fixtures[i].Weights);
            Math.Round(check.ChiSquare, Places).ShouldBe(Math.Round(SciPy.Number(reference[i]!["chi"]), Places), $"fixture {i}: chi-square");
            Math.Round(check.PValue, Places).ShouldBe(Math.Round(SciPy.Number(reference[i]!["p"]), Places), $"fixture {i}: p");
            check.Mismatch.ShouldBe(SciPy.Number(reference[i]!["p"]) < 0.001, $"fixture {i}: mismatch");
        }

        // The planted mismatches are flagged, the honest splits are not.
        ExperimentStatistics.SampleRatio([5230, 4770], [50, 50]).Mismatch.ShouldBeTrue();
        ExperimentStatistics.SampleRatio([1030, 970], [1, 1]).Mismatch.ShouldBeFalse();
    }

    [Fact]
    public void Calculator_MatchesSciPyFormulas()
    {
        (double Baseline, double Mde, double Alpha, double Power)[] rates =
            [(0.3, 0.03, 0.05, 0.8), (0.05, 0.01, 0.05, 0.9), (0.45, 0.1, 0.01, 0.8), (0.2, 0.02, 0.025, 0.8)];
        (double Sd, double Mde, double Alpha, double Power)[] means = [(120, 10, 0.05, 0.8), (35.5, 3, 0.01, 0.9)];
        (double Baseline, long N, double Alpha, double Power)[] detectable = [(0.3, 1000, 0.05, 0.8), (0.05, 20000, 0.05, 0.9), (0.6, 250, 0.1, 0.8)];
        const string script =
            """
            import json, sys, math
            from scipy import stats, optimize
            f = json.load(sys.stdin)
            def n_rate(p1, d, alpha, power):
                p2 = p1 + d
                m = (p1 + p2) / 2
                za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
                return (za * math.sqrt(2 * m * (1 - m)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / d ** 2
            def n_mean(sd, d, alpha, power):
                z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
                return 2 * z * z * sd * sd / d ** 2
            out = {
                "rates": [n_rate(*r) for r in f["rates"]],
                "means": [n_mean(*m) for m in f["means"]],
                "mde": [optimize.brentq(lambda d: n_rate(b, d, a, pw) - n, 1e-9, 1 - b - 1e-9, xtol=1e-14) for b, n, a, pw in f["detectable"]],
                "mdeMeans": [(stats.norm.ppf(1 - a / 2) + stats.norm.ppf(pw)) * sd * math.sqrt(2 / n) for sd, n, a, pw in f["detectableMeans"]],
            }
            print(json.dumps(out))
            """;
        var reference = SciPy.Run(script, new JsonObject
        {
            ["rates"] = new JsonArray(rates.Select(r => (JsonNode)SciPy.Array(new[] { r.Baseline, r.Mde, r.Alpha, r.Power })).ToArray()),
            ["means"] = new JsonArray(means.Select(m => (JsonNode)SciPy.Array(new[] { m.Sd, m.Mde, m.Alpha, m.Power })).ToArray()),
            ["detectable"] = new JsonArray(detectable.Select(d => (JsonNode)SciPy.Array(new[] { d.Baseline, d.N, d.Alpha, d.Power })).ToArray()),
            ["detectableMeans"] = new JsonArray(means.Select(m => (JsonNode)SciPy.Array(new[] { m.Sd, 1500, m.Alpha, m.Power })).ToArray()),
        });
        for (var i = 0; i < rates.Length; i++)
        {
            var (b, d, a, p) = rates[i];
            var exact = SciPy.Number(reference["rates"]![i]);
            Math.Round(ExperimentStatistics.RawSampleSizeForProportions(b, d, a, p), Places).ShouldBe(Math.Round(exact, Places), $"rate fixture {i}");
            ExperimentStatistics.SampleSizeForProportions(b, d, a, p).ShouldBe((long)Math.Ceiling(exact), $"rate fixture {i}: rounded up");
        }

        for (var i = 0; i < means.Length; i++)
        {
            var (sd, d, a, p) = means[i];
            ExperimentStatistics.SampleSizeForMeans(sd, d, a, p).ShouldBe((long)Math.Ceiling(SciPy.Number(reference["means"]![i])), $"mean fixture {i}");
            Math.Round(ExperimentStatistics.MdeForMeans(sd, 1500, a, p), Places).ShouldBe(Math.Round(SciPy.Number(reference["mdeMeans"]![i]), Places), $"mean MDE {i}");
        }

        for (var i = 0; i < detectable.Length; i++)
        {
            var (b, n, a, p) = detectable[i];
            Math.Round(ExperimentStatistics.MdeForProportions(b, n, a, p)!.Value, Places).ShouldBe(Math.Round(SciPy.Number(reference["mde"]![i]), Places), $"MDE fixture {i}");
        }

        // The seeds' example: a 30% add rate and a 3-point lift needs about 3,760 people per group at 95%/80%, well above 1,000.
        ExperimentStatistics.SampleSizeForProportions(0.3, 0.03).ShouldBeGreaterThan(ExperimentStatistics.RuleOfThumbPerGroup);
    }

    [Fact]
    public void Calculator_RefusesNonsense()
    {
        Should.Throw<ValidationFailedException>(() => ExperimentStatistics.SampleSizeForProportions(1.2, 0.03)).Field.ShouldBe("baseline");
        Should.Throw<ValidationFailedException>(() => ExperimentStatistics.SampleSizeForProportions(0.3, -0.03)).Field.ShouldBe("mde");
        Should.Throw<ValidationFailedException>(() => ExperimentStatistics.SampleSizeForProportions(0.98, 0.03)).Field.ShouldBe("mde");
        Should.Throw<ValidationFailedException>(() => ExperimentStatistics.SampleSizeForMeans(0, 3)).Field.ShouldBe("sd");
        Should.Throw<ValidationFailedException>(() => ExperimentStatistics.SampleSizeForProportions(0.3, 0.03, alpha: 0.5)).Field.ShouldBe("alpha");
        Should.Throw<ValidationFailedException>(() => ExperimentStatistics.SampleSizeForProportions(0.3, 0.03, power: 1)).Field.ShouldBe("power");
    }
}
