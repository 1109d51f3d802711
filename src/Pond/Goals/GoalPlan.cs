namespace Pond.Goals;

/// <summary>How a yearly goal is spread over its months (docs/goals.md).</summary>
public static class GoalMethods
{
    /// <summary>The same net growth and GMV every month.</summary>
    public const string Even = "even";

    /// <summary>Net growth and GMV in proportion to twelve operator-given weights (618 and 双11 peaks).</summary>
    public const string Seasonal = "seasonal";

    /// <summary>The pool compounds at one monthly rate from the start to the target; GMV follows the average pool.</summary>
    public const string Growth = "growth";

    public static readonly IReadOnlyList<string> All = [Even, Seasonal, Growth];
}

/// <summary>What a decomposition needs: people, fen and the monthly deletion rate as a fraction (0.03 = 3%).</summary>
public sealed record PlanInput(long StartPool, long PoolTarget, long GmvTarget, string Method, IReadOnlyList<decimal>? Weights, decimal DeletionRate);

/// <summary>
/// One month of the plan: the pool it starts and should end with, the people expected to leave it (the start pool
/// times the deletion rate, in whole people), the gross adds needed to end on target despite them, and the GMV (fen).
/// </summary>
public sealed record MonthTarget(int Month, long PoolStart, long PoolEnd, long ExpectedLosses, long GrossAdds, long Gmv);

/// <summary>
/// Splits a yearly goal into monthly targets. Pure: the same input gives the same months.
/// <para>Rounding keeps the year exact. Net pool targets and GMV are cut from cumulative shares
/// (month m ends on start + round(growth × share through m)), so the twelfth month ends exactly on the target and the
/// twelve GMV figures add up to the goal to the fen. Losses are whole people, round(start of month × d); the gross adds
/// are then end − start + losses, so applying them month by month, with those losses, lands on the pool target exactly.</para>
/// </summary>
public static class GoalPlan
{
    public static IReadOnlyList<MonthTarget> Decompose(PlanInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var ends = PoolEnds(input);
        var months = new List<MonthTarget>(12);
        var start = input.StartPool;
        var gmvWeights = input.Method switch
        {
            GoalMethods.Seasonal => Weights(input.Weights),
            // GMV follows the people there are to sell to: each month's average pool on the curve.
            GoalMethods.Growth => Enumerable.Range(1, 12).Select(m => (ends[m - 1] + ends[m]) / 2m).ToArray(),
            _ => Enumerable.Repeat(1m, 12).ToArray(),
        };
        var gmv = SplitExact(input.GmvTarget, gmvWeights);
        for (var m = 1; m <= 12; m++)
        {
            var losses = People(start * input.DeletionRate);
            var end = ends[m];
            var adds = end - start + losses;
            if (adds < 0)
            {
                // The target falls faster than deletions alone would take it: no adds are needed, and the pool
                // follows the deletions (it cannot be asked to lose people on purpose).
                adds = 0;
                end = start - losses;
            }

            months.Add(new MonthTarget(m, start, end, losses, adds, gmv[m - 1]));
            start = end;
        }

        return months;
    }

    /// <summary>
    /// Splits <paramref name="total"/> in proportion to <paramref name="weights"/> by cumulative rounding: part m is
    /// round(total × W(m) ÷ W) − round(total × W(m−1) ÷ W), so every part is within one unit of its exact share and
    /// the parts add up to the total exactly.
    /// </summary>
    public static long[] SplitExact(long total, IReadOnlyList<decimal> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var sum = weights.Sum();
        var parts = new long[weights.Count];
        if (sum <= 0)
            throw new ArgumentException("The weights must add up to more than zero.", nameof(weights));
        var cumulative = 0m;
        var previous = 0L;
        for (var i = 0; i < weights.Count; i++)
        {
            cumulative += weights[i];
            var through = i == weights.Count - 1 ? total : Round(total * cumulative / sum);
            parts[i] = through - previous;
            previous = through;
        }

        return parts;
    }

    /// <summary>The twelve seasonal weights, normalised to shares of 1 (for display; the split itself uses the raw weights).</summary>
    public static IReadOnlyList<decimal> Shares(IReadOnlyList<decimal> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var sum = weights.Sum();
        return weights.Select(w => sum == 0 ? 0 : Math.Round(w / sum, 6)).ToList();
    }

    /// <summary>Whole people: half a person rounds up (away from zero).</summary>
    public static long People(decimal value) => Round(value);

    /// <summary>The pool at the end of month 0 (the start) through 12 (the target).</summary>
    private static long[] PoolEnds(PlanInput input)
    {
        var ends = new long[13];
        ends[0] = input.StartPool;
        var growth = input.PoolTarget - input.StartPool;
        switch (input.Method)
        {
            case GoalMethods.Seasonal:
                var cut = SplitExact(growth, Weights(input.Weights));
                for (var m = 1; m <= 12; m++)
                    ends[m] = ends[m - 1] + cut[m - 1];
                break;
            case GoalMethods.Growth:
                // pool(m) = start × (target ÷ start)^(m/12): one compound monthly rate g = (target ÷ start)^(1/12) − 1.
                // A start of 0 cannot compound, so the curve starts from one person.
                var from = Math.Max(1d, input.StartPool);
                for (var m = 1; m < 12; m++)
                    ends[m] = Round((decimal)(from * Math.Pow(input.PoolTarget / from, m / 12d)));
                ends[12] = input.PoolTarget;
                break;
            case GoalMethods.Even:
                var even = SplitExact(growth, Enumerable.Repeat(1m, 12).ToArray());
                for (var m = 1; m <= 12; m++)
                    ends[m] = ends[m - 1] + even[m - 1];
                break;
            default:
                throw new ArgumentException($"Unknown method '{input.Method}'.", nameof(input));
        }

        return ends;
    }

    /// <summary>The monthly compound growth rate of the growth curve: (target ÷ start)^(1/12) − 1.</summary>
    public static double MonthlyGrowthRate(long startPool, long poolTarget) =>
        Math.Pow(poolTarget / Math.Max(1d, startPool), 1 / 12d) - 1;

    private static decimal[] Weights(IReadOnlyList<decimal>? weights) =>
        weights is { Count: 12 } w && w.Sum() > 0 ? w.ToArray() : throw new ArgumentException("The seasonal method needs 12 weights adding up to more than zero.", nameof(weights));

    private static long Round(decimal value) => (long)Math.Round(value, MidpointRounding.AwayFromZero);
}
