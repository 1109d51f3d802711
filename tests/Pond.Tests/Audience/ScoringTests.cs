using Pond.Audience.Scores;

namespace Pond.Tests.Audience;

/// <summary>The scoring maths, without a database: quintiles, fixed breakpoints, cells and lifecycle stages.</summary>
public sealed class ScoringTests
{
    [Fact]
    public void Quintiles_OnAKnownSet_ScoreByPositionAndTiesShareTheLowerScore()
    {
        var t = Thresholds.FromQuintiles(
            recencyDays: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            frequency: [1, 1, 1, 1, 1, 2, 2, 3, 4, 10],
            monetaryFen: [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000],
            highScore: 3);

        new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }.Select(d => t.R(d)).ShouldBe([5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
        new[] { 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000 }.Select(m => t.M(m)).ShouldBe([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        // Five buyers tie at one order: they all take the lowest score; two orders beat half the buyers.
        new[] { 1, 2, 3, 4, 10 }.Select(f => t.F(f)).ShouldBe([1, 3, 4, 5, 5]);
    }

    [Fact]
    public void Quintiles_MatchTheDocumentedRule_OnRandomValues()
    {
        var random = new Random(7);
        for (var round = 0; round < 200; round++)
        {
            var n = random.Next(1, 60);
            var values = Enumerable.Range(0, n).Select(_ => (long)random.Next(0, random.Next(1, 30))).ToList();
            var t = Thresholds.FromQuintiles(values, values, values, 3);
            foreach (var v in values)
            {
                // Higher is better (F, M): 1 + #{k : buyers strictly lower ≥ k·n/5}; recency: buyers with strictly more days.
                var lower = values.Count(x => x < v);
                var higher = values.Count(x => x > v);
                var expectedUp = 1 + Enumerable.Range(1, 4).Count(k => lower * 5 >= k * n);
                var expectedRecency = 1 + Enumerable.Range(1, 4).Count(k => higher * 5 >= k * n);
                t.F(v).ShouldBe(expectedUp, $"F of {v} in [{string.Join(",", values)}]");
                t.M(v).ShouldBe(expectedUp);
                t.R(v).ShouldBe(expectedRecency, $"R of {v} in [{string.Join(",", values)}]");
            }
        }
    }

    [Fact]
    public void FixedBreakpoints_ScoreAsDocumented()
    {
        var t = Thresholds.FromFixed(RfmSettings.Default.Validate() with { Scoring = RfmScoring.Fixed });
        new[] { 0, 30, 31, 90, 91, 180, 181, 365, 366 }.Select(d => t.R(d)).ShouldBe([5, 5, 4, 4, 3, 3, 2, 2, 1]);
        new[] { 1, 2, 3, 4, 5, 7, 8, 20 }.Select(f => t.F(f)).ShouldBe([1, 2, 3, 3, 4, 4, 5, 5]);
        new long[] { 19_999, 20_000, 49_999, 50_000, 100_000, 299_999, 300_000 }.Select(t.M).ShouldBe([1, 2, 2, 3, 4, 4, 5]);
    }

    [Theory]
    [InlineData(3, 3, 3, "important_value")]
    [InlineData(5, 2, 4, "important_develop")]
    [InlineData(2, 4, 3, "important_keep")]
    [InlineData(1, 1, 5, "important_retain")]
    [InlineData(4, 5, 2, "general_value")]
    [InlineData(3, 1, 1, "general_develop")]
    [InlineData(2, 3, 2, "general_keep")]
    [InlineData(2, 2, 2, "general_retain")]
    public void Cells_FollowHighAndLowScores(int r, int f, int m, string cell)
    {
        var t = Thresholds.FromFixed(RfmSettings.Default);
        t.Cell(r, f, m).ShouldBe(cell);
    }

    [Fact]
    public void Cells_UseTheConfiguredHighScore()
    {
        var t = Thresholds.FromFixed(RfmSettings.Default with { HighScore = 4 });
        t.Cell(3, 3, 3).ShouldBe(RfmCells.GeneralRetain);
        t.Cell(4, 4, 4).ShouldBe(RfmCells.ImportantValue);
    }

    [Fact]
    public void Stages_FollowOrdersThenTime()
    {
        var settings = LifecycleSettings.Default;
        OrderTotals Buyer(long orders, long loyalOrders = 0, long loyalFen = 0) => new() { Orders = orders, LoyalOrders = loyalOrders, LoyalFen = loyalFen };
        Scorer.Stage(Buyer(0), 0, settings).ShouldBe(LifecycleStages.New);
        Scorer.Stage(Buyer(1, 1), 10, settings).ShouldBe(LifecycleStages.FirstOrder);
        Scorer.Stage(Buyer(2, 2), 10, settings).ShouldBe(LifecycleStages.Repeat);
        Scorer.Stage(Buyer(6, 3), 10, settings).ShouldBe(LifecycleStages.Repeat);
        Scorer.Stage(Buyer(4, 4), 59, settings).ShouldBe(LifecycleStages.Loyal);
        Scorer.Stage(Buyer(4, 4), 60, settings).ShouldBe(LifecycleStages.AtRisk);
        Scorer.Stage(Buyer(1, 1), 179, settings).ShouldBe(LifecycleStages.AtRisk);
        Scorer.Stage(Buyer(9, 0), 180, settings).ShouldBe(LifecycleStages.Lost);

        var bySpend = settings with { LoyalMinOrders = null, LoyalMinSpend = 1000m };
        Scorer.Stage(Buyer(2, 2, 100_000), 1, bySpend).ShouldBe(LifecycleStages.Loyal);
        Scorer.Stage(Buyer(1, 1, 500_000), 1, bySpend).ShouldBe(LifecycleStages.FirstOrder);
        var both = settings with { LoyalMinSpend = 1000m, LoyalRule = LifecycleSettings.All };
        Scorer.Stage(Buyer(5, 5, 99_999), 1, both).ShouldBe(LifecycleStages.Repeat);
        Scorer.Stage(Buyer(5, 5, 100_000), 1, both).ShouldBe(LifecycleStages.Loyal);
    }
}
