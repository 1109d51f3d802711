using System.Text.Json.Serialization;

namespace Pond.Analytics;

/// <summary>
/// The GMV equation of DOMAIN.md, built from Pond's own counts so the factors multiply back to the GMV:
/// GMV = traffic × inflow conversion × purchase conversion × purchase frequency × average order value, with
/// traffic = inflow visits + fission visits (T), inflow conversion = customers who joined the pool ÷ T (A ÷ T),
/// purchase conversion = buyers ÷ customers who joined (B ÷ A), frequency = orders ÷ buyers (O ÷ B) and AOV = GMV ÷ O.
/// The product telescopes to GMV exactly. Purchase conversion can pass 100%: the pool's existing customers buy too,
/// and a figure above 1 says the period's revenue leans on them more than on its new arrivals.
/// </summary>
public sealed record GmvFactors(long Traffic, long InflowVisits, long FissionVisits, long Joined, long Buyers, long Orders, decimal Gmv)
{
    public const int Count = 5;

    /// <summary>False when a factor has a zero denominator (no traffic, nobody joined, no buyers, no orders): the equation cannot be formed.</summary>
    public bool Complete => Traffic > 0 && Joined > 0 && Buyers > 0 && Orders > 0;

    public decimal? InflowConversion => Traffic > 0 ? Joined / (decimal)Traffic : null;
    public decimal? PurchaseConversion => Joined > 0 ? Buyers / (decimal)Joined : null;
    public decimal? Frequency => Buyers > 0 ? Orders / (decimal)Buyers : null;
    public decimal? AverageOrderValue => Orders > 0 ? Gmv / Orders : null;

    /// <summary>The five factors in the equation's order (only meaningful when <see cref="Complete"/>).</summary>
    [JsonIgnore]
    public decimal[] Values => [Traffic, InflowConversion ?? 0, PurchaseConversion ?? 0, Frequency ?? 0, AverageOrderValue ?? 0];

    /// <summary>The factors multiplied: the GMV again (to within decimal's 28 digits); null when the equation cannot be formed.</summary>
    public decimal? Product => Complete ? Values.Aggregate(1m, (product, factor) => product * factor) : null;
}

/// <summary>How much of the change in GMV from one period to the next each factor explains.</summary>
public sealed record GmvContribution(string Factor, decimal Before, decimal After, decimal Change, decimal Share);

/// <summary>
/// Splits a change in a product of factors among the factors by their Shapley values: a factor's share is its
/// marginal effect (the product with the factor at its new value minus with its old value) averaged over every
/// order in which the factors could change, i.e. over every subset S of the other factors already changed,
/// weighted |S|!(n−|S|−1)!/n!. The shares always sum to the total change (the efficiency property), a factor that
/// did not move gets exactly zero, and zeros are no problem (where the log/LMDI split would take log 0).
/// </summary>
public static class ShapleySplit
{
    public static readonly IReadOnlyList<string> FactorNames = ["traffic", "inflow_conversion", "purchase_conversion", "frequency", "aov"];

    public static decimal[] Split(IReadOnlyList<decimal> before, IReadOnlyList<decimal> after)
    {
        if (before.Count != after.Count)
            throw new ArgumentException("Both periods need the same factors.", nameof(after));
        var n = before.Count;
        var factorial = new decimal[n + 1];
        factorial[0] = 1;
        for (var i = 1; i <= n; i++)
            factorial[i] = factorial[i - 1] * i;

        // The product with the factors in mask at their new values and the rest at their old ones.
        var value = new decimal[1 << n];
        for (var mask = 0; mask < value.Length; mask++)
        {
            var product = 1m;
            for (var i = 0; i < n; i++)
                product *= (mask & (1 << i)) != 0 ? after[i] : before[i];
            value[mask] = product;
        }

        var shares = new decimal[n];
        for (var i = 0; i < n; i++)
        {
            for (var mask = 0; mask < value.Length; mask++)
            {
                if ((mask & (1 << i)) != 0)
                    continue;
                var size = System.Numerics.BitOperations.PopCount((uint)mask);
                var weight = factorial[size] * factorial[n - size - 1] / factorial[n];
                shares[i] += weight * (value[mask | (1 << i)] - value[mask]);
            }
        }

        return shares;
    }

    /// <summary>
    /// The contributions of the equation's factors to the GMV change from <paramref name="before"/> to <paramref name="after"/>,
    /// in yuan rounded to the fen so that they still add up to the change shown (the largest remainders take the odd fen).
    /// </summary>
    public static IReadOnlyList<GmvContribution> Explain(GmvFactors before, GmvFactors after)
    {
        var shares = Split(before.Values, after.Values);
        var total = after.Gmv - before.Gmv;
        var rounded = shares.Select(s => Math.Round(s, 2, MidpointRounding.AwayFromZero)).ToArray();
        // Whole fen still to place after rounding each share: each goes to the share that rounding moved furthest the other way.
        var left = (int)((total - rounded.Sum()) * 100);
        var order = Enumerable.Range(0, shares.Length).OrderByDescending(i => Math.Sign(left) * (shares[i] - rounded[i]));
        foreach (var i in order.Take(Math.Abs(left)))
            rounded[i] += Math.Sign(left) * 0.01m;
        return FactorNames.Select((name, i) => new GmvContribution(
                name, before.Values[i], after.Values[i], rounded[i], total == 0 ? 0 : Math.Round(shares[i] / total, 4)))
            .ToList();
    }
}
