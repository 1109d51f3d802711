namespace Pond.Fission.Assists;

/// <summary>
/// How much one friend's help cuts from a bargain (砍价), all in fen. With R = current price − floor and L = helps left
/// (counting this one):
/// <list type="bullet">
/// <item>the last allowed help (L = 1) cuts exactly R, so the floor is reached on the N-th help at the latest;</item>
/// <item>the first help (when N &gt; 1) cuts firstCutPercent of R (rounded down), a big visible drop;</item>
/// <item>every other help cuts a random whole number of fen in [1, 2 × R / L] (the WeChat red-packet rule: on average
/// R / L, so the cuts stay even);</item>
/// <item>and every cut before the last is capped at R − (L − 1), leaving at least 1 fen for each help still to come.</item>
/// </list>
/// Because a campaign needs original − floor ≥ N fen and each cut leaves R ≥ L, every cut is at least 1 fen, the price
/// never goes below the floor, and the N-th help always lands exactly on it. docs/fission-games.md.
/// </summary>
public static class BargainCuts
{
    /// <param name="remaining">R: fen between the current price and the floor (≥ helpsLeft).</param>
    /// <param name="helpsLeft">L: helps still allowed, this one included (≥ 1).</param>
    /// <param name="first">Whether this is the session's first help.</param>
    /// <param name="firstCutPercent">The first help's share of R, 1 to 90.</param>
    /// <param name="randomBelow">Uniform random integer in [0, n): the draw's randomness (seeded in tests).</param>
    public static long Next(long remaining, int helpsLeft, bool first, int firstCutPercent, Func<long, long> randomBelow)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(helpsLeft, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(remaining, helpsLeft);
        if (helpsLeft == 1)
            return remaining;
        var most = remaining - (helpsLeft - 1);
        long cut;
        if (first)
        {
            cut = remaining * firstCutPercent / 100;
        }
        else
        {
            var upper = 2 * remaining / helpsLeft;
            cut = 1 + randomBelow(Math.Max(1, upper));
        }
        return Math.Clamp(cut, 1, most);
    }
}
