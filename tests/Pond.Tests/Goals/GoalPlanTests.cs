using Pond.Goals;

namespace Pond.Tests.Goals;

/// <summary>The decomposition on its own: pure functions, worked by hand where the numbers are small.</summary>
public sealed class GoalPlanTests
{
    private const long Pool = 300_000;
    private const long Gmv = 500_000_000; // ¥5,000,000 in fen
    private const decimal ThreePercent = 0.03m;

    // Seasonal weights with the 618 (June) and 双11 (November) peaks.
    private static readonly decimal[] Peaks = [6, 5, 6, 7, 8, 14, 7, 7, 8, 9, 17, 12];

    /// <summary>Applies the gross adds month by month with 3% lost each month (whole people), as an operator would see it happen.</summary>
    private static long Simulate(long start, IReadOnlyList<MonthTarget> months, decimal rate, List<long>? ends = null)
    {
        var pool = start;
        foreach (var month in months)
        {
            pool = pool - GoalPlan.People(pool * rate) + month.GrossAdds;
            ends?.Add(pool);
        }

        return pool;
    }

    [Theory]
    [InlineData(GoalMethods.Even, 120_000L)]
    [InlineData(GoalMethods.Seasonal, 120_000L)]
    [InlineData(GoalMethods.Growth, 120_000L)]
    [InlineData(GoalMethods.Even, 0L)]
    [InlineData(GoalMethods.Seasonal, 0L)]
    [InlineData(GoalMethods.Growth, 1L)]
    [InlineData(GoalMethods.Even, 299_999L)]
    public void Goal300kAnd5M_At3PercentDeletions_GrossAddsReachThePoolExactly_AndGmvSumsExactly(string method, long start)
    {
        var weights = method == GoalMethods.Seasonal ? Peaks : null;
        var months = GoalPlan.Decompose(new PlanInput(start, Pool, Gmv, method, weights, ThreePercent));

        months.Count.ShouldBe(12);
        var ends = new List<long>();
        Simulate(start, months, ThreePercent, ends).ShouldBe(Pool);
        ends.ShouldBe(months.Select(m => m.PoolEnd).ToList());
        months[^1].PoolEnd.ShouldBe(Pool);
        months.Sum(m => m.Gmv).ShouldBe(Gmv);
        foreach (var month in months)
        {
            // gross_adds = target_end − pool_start × (1 − d), with the losses in whole people.
            month.ExpectedLosses.ShouldBe((long)Math.Round(month.PoolStart * ThreePercent, MidpointRounding.AwayFromZero));
            month.GrossAdds.ShouldBe(month.PoolEnd - month.PoolStart + month.ExpectedLosses);
            ((decimal)month.GrossAdds - (month.PoolEnd - (month.PoolStart * (1 - ThreePercent)))).ShouldBeInRange(-0.5m, 0.5m);
            month.GrossAdds.ShouldBeGreaterThanOrEqualTo(0);
        }

        // Without rounding the losses to whole people the year lands within one person of the target per month.
        var exact = (decimal)start;
        foreach (var month in months)
            exact = (exact * (1 - ThreePercent)) + month.GrossAdds;
        Math.Abs(exact - Pool).ShouldBeLessThanOrEqualTo(6m);
    }

    [Fact]
    public void Even_From120k_HandWorked()
    {
        var months = GoalPlan.Decompose(new PlanInput(120_000, Pool, Gmv, GoalMethods.Even, null, ThreePercent));

        // Net growth 180,000 ÷ 12 = 15,000 a month; GMV ¥5,000,000 ÷ 12 = ¥416,666.67 (cumulative rounding puts the odd fen where they fall).
        months.Select(m => m.PoolEnd).ShouldBe([135_000, 150_000, 165_000, 180_000, 195_000, 210_000, 225_000, 240_000, 255_000, 270_000, 285_000, 300_000]);
        months[0].ExpectedLosses.ShouldBe(3_600);   // 120,000 × 3%
        months[0].GrossAdds.ShouldBe(18_600);       // 135,000 − 120,000 × 0.97
        months[1].GrossAdds.ShouldBe(19_050);       // 150,000 − 135,000 × 0.97
        months[11].GrossAdds.ShouldBe(23_550);      // 300,000 − 285,000 × 0.97
        // Through month m: round(¥5M × m/12) in fen — 41,666,667, 83,333,333, 125,000,000, …
        months.Select(m => m.Gmv).ShouldBe([41_666_667, 41_666_666, 41_666_667, 41_666_667, 41_666_666, 41_666_667, 41_666_667, 41_666_666, 41_666_667, 41_666_667, 41_666_666, 41_666_667]);
    }

    [Fact]
    public void Seasonal_NormalisesTheWeights_AndPutsThePeaksIn618And1111()
    {
        var scaled = Peaks.Select(w => w * 7.5m).ToArray();
        var a = GoalPlan.Decompose(new PlanInput(120_000, Pool, Gmv, GoalMethods.Seasonal, Peaks, ThreePercent));
        var b = GoalPlan.Decompose(new PlanInput(120_000, Pool, Gmv, GoalMethods.Seasonal, scaled, ThreePercent));

        a.ShouldBe(b);
        // 106 in all: November's 17 is 17/106 of ¥5,000,000 = ¥801,886.79.
        a[10].Gmv.ShouldBe(80_188_679);
        a.MaxBy(m => m.Gmv)!.Month.ShouldBe(11);
        a.OrderByDescending(m => m.Gmv).Skip(1).First().Month.ShouldBe(6);
        (a[10].PoolEnd - a[10].PoolStart).ShouldBe(28_868); // 180,000 × 17/106 (cumulative rounding)
        GoalPlan.Shares(Peaks).Sum().ShouldBe(1m, 0.00001m);
    }

    [Fact]
    public void Growth_CompoundsAtOneMonthlyRate_AndGmvFollowsTheAveragePool()
    {
        var months = GoalPlan.Decompose(new PlanInput(150_000, Pool, Gmv, GoalMethods.Growth, null, ThreePercent));
        var rate = GoalPlan.MonthlyGrowthRate(150_000, Pool);

        rate.ShouldBe(Math.Pow(2, 1 / 12d) - 1, 1e-12); // doubling in a year: 5.95% a month
        for (var m = 1; m < 12; m++)
            months[m - 1].PoolEnd.ShouldBe((long)Math.Round(150_000 * Math.Pow(1 + rate, m), MidpointRounding.AwayFromZero));
        months.Select(m => m.Gmv).ShouldBeInOrder(SortDirection.Ascending);
        months.Select(m => m.GrossAdds).ShouldBeInOrder(SortDirection.Ascending);
        months.Sum(m => m.Gmv).ShouldBe(Gmv);
    }

    [Fact]
    public void TargetBelowTheStart_NeedsNoAdds_AndFollowsDeletions()
    {
        var months = GoalPlan.Decompose(new PlanInput(100_000, 50_000, 0, GoalMethods.Even, null, 0.01m));

        months.ShouldAllBe(m => m.GrossAdds >= 0);
        months.Sum(m => m.Gmv).ShouldBe(0);
        // A fall of 4,167 a month is more than 1% deletions take: no adds, the pool follows the deletions.
        months[0].GrossAdds.ShouldBe(0);
        months[0].PoolEnd.ShouldBe(99_000);
    }

    [Fact]
    public void SplitExact_CarriesTheRounding_SoThePartsAddUp()
    {
        GoalPlan.SplitExact(100, [1, 1, 1]).ShouldBe([33, 34, 33]);
        GoalPlan.SplitExact(1, Enumerable.Repeat(1m, 12).ToArray()).Sum().ShouldBe(1);
        GoalPlan.SplitExact(-10, [1, 1, 1]).Sum().ShouldBe(-10);
        Should.Throw<ArgumentException>(() => GoalPlan.SplitExact(10, [0, 0]));
    }

    [Theory]
    [InlineData(null, 1000L, 10.0, "even", "year")]
    [InlineData(1999, 1000L, 10.0, "even", "year")]
    [InlineData(2101, 1000L, 10.0, "even", "year")]
    [InlineData(2026, -1L, 10.0, "even", "poolTarget")]
    [InlineData(2026, 1000L, -0.01, "even", "gmvTarget")]
    [InlineData(2026, 1000L, 10.001, "even", "gmvTarget")]
    [InlineData(2026, 1000L, 10.0, "linear", "method")]
    [InlineData(2026, 1000L, 10.0, "seasonal", "weights")]
    public void Validate_NamesTheField(int? year, long pool, double gmv, string method, string field)
    {
        var e = Should.Throw<ValidationFailedException>(() =>
            GoalBook.Validate(new GoalInput { PoolTarget = pool, GmvTarget = (decimal)gmv, Method = method }, year));
        e.Field.ShouldBe(field);
    }

    [Fact]
    public void Validate_Rates_Weights_StartPool()
    {
        GoalInput Input(decimal? rate = null, IReadOnlyList<decimal>? weights = null, string method = "even", long? start = null, decimal? threshold = null) =>
            new() { PoolTarget = 1, GmvTarget = 1, MonthlyDeletionRate = rate, Weights = weights, Method = method, StartPool = start, AlertThreshold = threshold };

        Should.Throw<ValidationFailedException>(() => GoalBook.Validate(Input(rate: 1m), 2026)).Field.ShouldBe("monthlyDeletionRate");
        Should.Throw<ValidationFailedException>(() => GoalBook.Validate(Input(rate: -0.01m), 2026)).Field.ShouldBe("monthlyDeletionRate");
        Should.Throw<ValidationFailedException>(() => GoalBook.Validate(Input(weights: [1, 2, 3], method: "seasonal"), 2026)).Message.ShouldContain("got 3");
        Should.Throw<ValidationFailedException>(() => GoalBook.Validate(Input(weights: [.. Enumerable.Repeat(0m, 12)], method: "seasonal"), 2026)).Field.ShouldBe("weights");
        Should.Throw<ValidationFailedException>(() => GoalBook.Validate(Input(weights: [-1, .. Enumerable.Repeat(1m, 11)], method: "seasonal"), 2026)).Field.ShouldBe("weights");
        Should.Throw<ValidationFailedException>(() => GoalBook.Validate(Input(weights: [.. Enumerable.Repeat(1m, 12)]), 2026)).Field.ShouldBe("weights");
        Should.Throw<ValidationFailedException>(() => GoalBook.Validate(Input(start: -5), 2026)).Field.ShouldBe("startPool");
        Should.Throw<ValidationFailedException>(() => GoalBook.Validate(Input(threshold: 0), 2026)).Field.ShouldBe("alertThreshold");
        var ok = GoalBook.Validate(Input(rate: 0.03m, weights: Peaks, method: " Seasonal "), 2026);
        ok.Method.ShouldBe(GoalMethods.Seasonal);
        ok.DeletionRatePpm.ShouldBe(30_000);
        ok.DeletionRate.ShouldBe(0.03m);
        ok.WeightList.ShouldBe(Peaks);
        ok.AlertThreshold.ShouldBe(0.1m);
    }
}
