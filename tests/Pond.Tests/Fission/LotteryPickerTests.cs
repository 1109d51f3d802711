using MathNet.Numerics.Distributions;
using Pond.Fission.Lotteries;

namespace Pond.Tests.Fission;

/// <summary>
/// The lottery's picking function and stock rule, exactly as the real draw uses them (LotteryPicker.DecideAsync), run
/// 100,000 times in memory with a seeded RNG: frequencies match the stated probabilities (chi-square) and no prize is
/// awarded past its stock.
/// </summary>
public sealed class LotteryPickerTests
{
    private const int Draws = 100_000;

    /// <summary>0.5%, 2%, 7.5%, 15% (in parts per million); the remaining 75% is no prize.</summary>
    private static readonly int[] Stated = [5_000, 20_000, 75_000, 150_000];

    private static async Task<(long[] Counts, int[] Awarded, int OutOfStock)> SimulateAsync(int[] ppm, int[] stock, int seed)
    {
        var random = new Random(seed);
        var awarded = new int[ppm.Length];
        var counts = new long[ppm.Length + 1];
        var outOfStock = 0;
        for (var i = 0; i < Draws; i++)
        {
            // The real draw's stock rule: take one unit only while awarded < stock (the conditional UPDATE, here in memory).
            var (prize, outcome) = await LotteryPicker.DecideAsync(ppm, random.Next(LotteryPicker.Scale), p =>
            {
                if (awarded[p] >= stock[p])
                    return ValueTask.FromResult(false);
                awarded[p]++;
                return ValueTask.FromResult(true);
            });
            switch (outcome)
            {
                case DrawOutcomes.Won: counts[prize]++; break;
                case DrawOutcomes.OutOfStock: outOfStock++; counts[^1]++; break;
                default: counts[^1]++; break;
            }
        }
        return (counts, awarded, outOfStock);
    }

    private static double ChiSquare(long[] observed, int[] ppm)
    {
        var expected = ppm.Select(p => (double)Draws * p / LotteryPicker.Scale).Append((double)Draws * (LotteryPicker.Scale - ppm.Sum()) / LotteryPicker.Scale).ToArray();
        return observed.Select((o, i) => (o - expected[i]) * (o - expected[i]) / expected[i]).Sum();
    }

    [Fact]
    public async Task OneHundredThousandDraws_FallWithinTheChiSquareBoundsOfTheStatedProbabilities()
    {
        var (counts, awarded, outOfStock) = await SimulateAsync(Stated, [Draws, Draws, Draws, Draws], seed: 20261124);
        outOfStock.ShouldBe(0);
        counts.Sum().ShouldBe(Draws);
        awarded.Select(a => (long)a).ShouldBe(counts[..^1]);

        var bound = ChiSquared.InvCDF(Stated.Length, 0.999);
        var statistic = ChiSquare(counts, Stated);
        statistic.ShouldBeLessThan(bound, $"counts {string.Join(", ", counts)}");

        // The same counts judged against other probabilities (0.5% and 2% swapped) fail the test: it can tell them apart.
        ChiSquare(counts, [20_000, 5_000, 75_000, 150_000]).ShouldBeGreaterThan(bound);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task EverySeed_PassesTheChiSquareTest(int seed)
    {
        var (counts, _, _) = await SimulateAsync(Stated, [Draws, Draws, Draws, Draws], seed);
        ChiSquare(counts, Stated).ShouldBeLessThan(ChiSquared.InvCDF(Stated.Length, 0.999));
    }

    [Fact]
    public async Task WithSmallStocks_NoPrizeIsAwardedPastItsStock_AndAnOutOfStockPickGivesNothingElse()
    {
        int[] stock = [3, 10, 50, 2_000];
        var (counts, awarded, outOfStock) = await SimulateAsync(Stated, stock, seed: 7);
        var picks = new long[Stated.Length];
        var random = new Random(7);
        for (var i = 0; i < Draws; i++)
        {
            var picked = LotteryPicker.Pick(Stated, random.Next(LotteryPicker.Scale));
            if (picked >= 0)
                picks[picked]++;
        }

        for (var p = 0; p < Stated.Length; p++)
        {
            awarded[p].ShouldBeLessThanOrEqualTo(stock[p]);
            // Each prize is won exactly as often as it was picked while it had stock: no fall-through to another prize.
            awarded[p].ShouldBe((int)Math.Min(stock[p], picks[p]));
            counts[p].ShouldBe(awarded[p]);
        }
        awarded.ShouldBe(stock);
        outOfStock.ShouldBe((int)picks.Select((n, p) => Math.Max(0, n - stock[p])).Sum());
        outOfStock.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Pick_LaysTheBandsEndToEnd()
    {
        int[] ppm = [10, 0, 990_000];
        LotteryPicker.Pick(ppm, 0).ShouldBe(0);
        LotteryPicker.Pick(ppm, 9).ShouldBe(0);
        LotteryPicker.Pick(ppm, 10).ShouldBe(2);
        LotteryPicker.Pick(ppm, 990_009).ShouldBe(2);
        LotteryPicker.Pick(ppm, 990_010).ShouldBe(-1);
        LotteryPicker.Pick(ppm, LotteryPicker.Scale - 1).ShouldBe(-1);
        Should.Throw<ArgumentOutOfRangeException>(() => LotteryPicker.Pick(ppm, LotteryPicker.Scale));
    }
}
