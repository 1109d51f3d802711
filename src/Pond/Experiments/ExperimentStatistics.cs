using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace Pond.Experiments;

/// <summary>Units and how many of them converted (a visitor who added, a customer who ordered).</summary>
internal sealed record ProportionSummary(long Units, long Successes)
{
    public double Rate => Units == 0 ? 0 : (double)Successes / Units;
}

/// <summary>Units, the mean of a value per unit and its sample variance (n − 1 in the denominator).</summary>
internal sealed record MeanSummary(long Units, double Mean, double Variance)
{
    public double StandardDeviation => Math.Sqrt(Variance);

    /// <summary>Welford's one pass: exact enough for fen amounts over millions of units.</summary>
    public static MeanSummary Of(IEnumerable<double> values)
    {
        long n = 0;
        double mean = 0, m2 = 0;
        foreach (var value in values)
        {
            n++;
            var delta = value - mean;
            mean += delta / n;
            m2 += delta * (value - mean);
        }

        return new MeanSummary(n, mean, n > 1 ? m2 / (n - 1) : 0);
    }
}

/// <summary>
/// One treatment against the control: the difference (treatment − control), its confidence interval, the test statistic,
/// the degrees of freedom (Welch only) and the two-sided p-value. <see cref="RelativeLift"/> is the difference over the control.
/// </summary>
internal sealed record Comparison(
    double Control, double Treatment, double Difference, double? RelativeLift, double CiLow, double CiHigh,
    double Statistic, double? DegreesOfFreedom, double PValue, double StandardError, double ConfidenceLevel)
{
    public bool Significant(double alpha) => PValue < alpha;
}

/// <summary>The chi-square goodness-of-fit test of the units each variant got against the planned weights.</summary>
internal sealed record SampleRatioCheck(IReadOnlyList<long> Observed, IReadOnlyList<double> Expected, double ChiSquare, int DegreesOfFreedom, double PValue)
{
    /// <summary>p below 0.001: the split is not what was planned, so something upstream (assignment, logging) is broken.</summary>
    public const double Threshold = 0.001;

    public bool Mismatch => PValue < Threshold;
}

/// <summary>
/// The statistics behind experiment results, pure and unit-tested against SciPy: the two-proportion z-test (pooled
/// standard error for the test, unpooled for the interval, like a Wald interval), Welch's t-test (Welch–Satterthwaite
/// degrees of freedom), the sample-ratio-mismatch check, and the sample-size / minimum-detectable-effect calculator for
/// proportions and for means (two-sided, equal groups).
/// </summary>
internal static class ExperimentStatistics
{
    /// <summary>The seeds' rule of thumb: at least 1,000 people per group.</summary>
    public const long RuleOfThumbPerGroup = 1_000;

    public static Comparison? TwoProportionZTest(ProportionSummary control, ProportionSummary treatment, double alpha = 0.05)
    {
        if (control.Units == 0 || treatment.Units == 0)
            return null;
        double n1 = control.Units, n2 = treatment.Units;
        double p1 = control.Rate, p2 = treatment.Rate;
        var difference = p2 - p1;
        var pooled = (double)(control.Successes + treatment.Successes) / (n1 + n2);
        var pooledSe = Math.Sqrt(pooled * (1 - pooled) * ((1 / n1) + (1 / n2)));
        var se = Math.Sqrt((p1 * (1 - p1) / n1) + (p2 * (1 - p2) / n2));
        double z, p;
        if (pooledSe == 0)
            (z, p) = (0, 1);
        else
        {
            z = difference / pooledSe;
            p = 2 * Normal.CDF(0, 1, -Math.Abs(z));
        }

        var critical = Normal.InvCDF(0, 1, 1 - (alpha / 2));
        return new Comparison(p1, p2, difference, p1 == 0 ? null : difference / p1, difference - (critical * se), difference + (critical * se),
            z, null, p, se, 1 - alpha);
    }

    public static Comparison? WelchTTest(MeanSummary control, MeanSummary treatment, double alpha = 0.05)
    {
        if (control.Units < 2 || treatment.Units < 2)
            return null;
        var v1 = control.Variance / control.Units;
        var v2 = treatment.Variance / treatment.Units;
        var difference = treatment.Mean - control.Mean;
        var se = Math.Sqrt(v1 + v2);
        var lift = control.Mean == 0 ? (double?)null : difference / control.Mean;
        if (se == 0)
        {
            // Both groups constant: nothing varies, so there is nothing to test.
            return new Comparison(control.Mean, treatment.Mean, difference, lift, difference, difference, 0, null, difference == 0 ? 1 : 0, 0, 1 - alpha);
        }

        var df = ((v1 + v2) * (v1 + v2)) / ((v1 * v1 / (control.Units - 1)) + (v2 * v2 / (treatment.Units - 1)));
        var t = difference / se;
        var p = 2 * StudentT.CDF(0, 1, df, -Math.Abs(t));
        var critical = StudentT.InvCDF(0, 1, df, 1 - (alpha / 2));
        return new Comparison(control.Mean, treatment.Mean, difference, lift, difference - (critical * se), difference + (critical * se),
            t, df, p, se, 1 - alpha);
    }

    public static SampleRatioCheck SampleRatio(IReadOnlyList<long> observed, IReadOnlyList<double> weights)
    {
        if (observed.Count != weights.Count || observed.Count < 2)
            throw new ArgumentException("One weight per variant, at least two variants.", nameof(weights));
        var total = observed.Sum();
        var weightSum = weights.Sum();
        var expected = weights.Select(w => total * w / weightSum).ToList();
        if (total == 0)
            return new SampleRatioCheck(observed, expected, 0, observed.Count - 1, 1);
        var chi = observed.Select((o, i) => (o - expected[i]) * (o - expected[i]) / expected[i]).Sum();
        var df = observed.Count - 1;
        // The upper regularized gamma is the chi-square survival function without 1 − CDF's cancellation.
        var p = SpecialFunctions.GammaUpperRegularized(df / 2.0, chi / 2);
        return new SampleRatioCheck(observed, expected, chi, df, p);
    }

    /// <summary>
    /// Units per group to detect an absolute change <paramref name="mde"/> from the <paramref name="baseline"/> rate
    /// (two-sided, equal groups): n = (z₁₋α/₂·√(2·p̄·q̄) + z₁₋β·√(p₁q₁ + p₂q₂))² / δ².
    /// </summary>
    public static long SampleSizeForProportions(double baseline, double mde, double alpha = 0.05, double power = 0.8) =>
        (long)Math.Ceiling(RawSampleSizeForProportions(baseline, mde, alpha, power) - 1e-9);

    public static double RawSampleSizeForProportions(double baseline, double mde, double alpha, double power)
    {
        CheckProportionInputs(baseline, mde, alpha, power);
        var p1 = baseline;
        var p2 = baseline + mde;
        var mean = (p1 + p2) / 2;
        var zAlpha = Normal.InvCDF(0, 1, 1 - (alpha / 2));
        var zBeta = Normal.InvCDF(0, 1, power);
        var root = (zAlpha * Math.Sqrt(2 * mean * (1 - mean))) + (zBeta * Math.Sqrt((p1 * (1 - p1)) + (p2 * (1 - p2))));
        return root * root / (mde * mde);
    }

    /// <summary>
    /// The smallest absolute rise from <paramref name="baseline"/> that <paramref name="perGroup"/> units per group detect at
    /// this alpha and power: the inverse of <see cref="SampleSizeForProportions"/>, solved by bisection. Null when no rise
    /// that keeps the rate below 100% is detectable.
    /// </summary>
    public static double? MdeForProportions(double baseline, long perGroup, double alpha = 0.05, double power = 0.8)
    {
        if (perGroup < 1)
            throw new ValidationFailedException("The sample per group must be at least 1.", "samplePerGroup");
        CheckProportionInputs(baseline, 1e-9, alpha, power);
        double low = 1e-9, high = 1 - baseline - 1e-9;
        if (RawSampleSizeForProportions(baseline, high, alpha, power) > perGroup)
            return null;
        for (var i = 0; i < 200 && high - low > 1e-12; i++)
        {
            var mid = (low + high) / 2;
            if (RawSampleSizeForProportions(baseline, mid, alpha, power) > perGroup)
                low = mid;
            else
                high = mid;
        }

        return high;
    }

    /// <summary>Units per group to detect a difference <paramref name="mde"/> in a mean with standard deviation <paramref name="sd"/>: n = 2(z₁₋α/₂ + z₁₋β)²σ²/δ².</summary>
    public static long SampleSizeForMeans(double sd, double mde, double alpha = 0.05, double power = 0.8)
    {
        CheckMeanInputs(sd, mde, alpha, power);
        var z = Normal.InvCDF(0, 1, 1 - (alpha / 2)) + Normal.InvCDF(0, 1, power);
        return (long)Math.Ceiling((2 * z * z * sd * sd / (mde * mde)) - 1e-9);
    }

    public static double MdeForMeans(double sd, long perGroup, double alpha = 0.05, double power = 0.8)
    {
        if (perGroup < 1)
            throw new ValidationFailedException("The sample per group must be at least 1.", "samplePerGroup");
        CheckMeanInputs(sd, 1, alpha, power);
        var z = Normal.InvCDF(0, 1, 1 - (alpha / 2)) + Normal.InvCDF(0, 1, power);
        return z * sd * Math.Sqrt(2.0 / perGroup);
    }

    private static void CheckProportionInputs(double baseline, double mde, double alpha, double power)
    {
        CheckAlphaPower(alpha, power);
        if (!(baseline > 0 && baseline < 1))
            throw new ValidationFailedException("baseline must be a rate between 0 and 1 (exclusive), e.g. 0.3 for a 30% add rate.", "baseline");
        if (!(mde > 0))
            throw new ValidationFailedException("mde must be a positive absolute change in the rate, e.g. 0.03 for 3 percentage points.", "mde");
        if (!(baseline + mde < 1))
            throw new ValidationFailedException("baseline + mde must stay below 1 (100%).", "mde");
    }

    private static void CheckMeanInputs(double sd, double mde, double alpha, double power)
    {
        CheckAlphaPower(alpha, power);
        if (!(sd > 0) || double.IsInfinity(sd))
            throw new ValidationFailedException("sd (the standard deviation of the value per unit) must be positive.", "sd");
        if (!(mde > 0) || double.IsInfinity(mde))
            throw new ValidationFailedException("mde must be a positive difference in the mean, in the metric's unit (yuan for revenue).", "mde");
    }

    private static void CheckAlphaPower(double alpha, double power)
    {
        if (!(alpha is > 0 and <= 0.2))
            throw new ValidationFailedException("alpha must be between 0 and 0.2, e.g. 0.05.", "alpha");
        if (!(power is >= 0.5 and < 1))
            throw new ValidationFailedException("power must be between 0.5 and 1, e.g. 0.8.", "power");
    }
}
