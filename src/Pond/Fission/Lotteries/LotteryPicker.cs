namespace Pond.Fission.Lotteries;

/// <summary>
/// The draw's decision, shared by the real draw and the statistical test: a roll uniform in [0, 1,000,000) falls into
/// one prize's band (bands laid end to end in prize order, each as wide as its probability in parts per million) or
/// past them all (no prize). The picked prize is awarded only if one unit of its stock can be taken; otherwise the draw
/// gives no prize (outcome out_of_stock) — it does not fall through to another prize, so the stated probabilities hold
/// exactly while stock lasts and nobody gets a prize the pool has run out of.
/// </summary>
public static class LotteryPicker
{
    public const int Scale = 1_000_000;

    /// <summary>The index of the prize whose band holds <paramref name="roll"/>, or -1 for no prize.</summary>
    public static int Pick(IReadOnlyList<int> ppm, int roll)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(roll);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(roll, Scale);
        var edge = 0;
        for (var i = 0; i < ppm.Count; i++)
        {
            edge += ppm[i];
            if (roll < edge)
                return i;
        }
        return -1;
    }

    /// <summary>
    /// Picks by <paramref name="roll"/>, then asks <paramref name="takeStock"/> to take one unit of the picked prize
    /// (the real draw: a conditional UPDATE; the simulation: an in-memory counter).
    /// </summary>
    public static async ValueTask<(int Prize, string Outcome)> DecideAsync(IReadOnlyList<int> ppm, int roll, Func<int, ValueTask<bool>> takeStock)
    {
        var picked = Pick(ppm, roll);
        if (picked < 0)
            return (-1, DrawOutcomes.NoPrize);
        return await takeStock(picked) ? (picked, DrawOutcomes.Won) : (picked, DrawOutcomes.OutOfStock);
    }
}
