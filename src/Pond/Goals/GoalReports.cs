using Pond.Analytics;

namespace Pond.Goals;

/// <summary>A goal as the API shows it: GMV in yuan, rates as fractions.</summary>
public sealed record GoalView(
    int Year, long PoolTarget, decimal GmvTarget, long? StartPool, string Method, IReadOnlyList<decimal>? Weights, decimal? MonthlyDeletionRate,
    decimal AlertThreshold, string? UpdatedBy, DateTimeOffset UpdatedAt)
{
    public static GoalView Of(Goal goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        return new(goal.Year, goal.PoolTarget, goal.GmvTarget / 100m, goal.StartPool, goal.Method, goal.WeightList, goal.DeletionRate, goal.AlertThreshold,
            goal.UpdatedBy, goal.UpdatedAt);
    }
}

/// <summary>Whether a month is over, under way or still to come, as of today in the workspace's zone.</summary>
public static class MonthStates
{
    public const string Past = "past";
    public const string Current = "current";
    public const string Future = "future";
}

/// <summary>
/// One month: the plan (pool at the start and end, the losses the deletion rate expects, the gross adds needed, GMV),
/// what happened (null for a month still to come; month to date for the current one) and the forecast.
/// Gross adds and losses are customers entering and leaving the pool (pool_in, pool_out), not relationships.
/// </summary>
public sealed record GoalMonth(
    int Month, DateOnly From, DateOnly To, string State,
    long PoolStartTarget, long PoolTarget, long ExpectedLosses, long GrossAddsTarget, decimal GmvTarget,
    long? GrossAdds, long? Losses, long? Pool, decimal? Gmv, long? Orders,
    long ForecastPool, decimal ForecastGmv, bool? PoolMet, bool? GmvMet);

/// <summary>
/// The current month's pace: the share of the month gone, the gross adds and GMV expected by now (the month's targets
/// times that share) and those made. Behind means more than <see cref="Threshold"/> short of the expected figure;
/// the first <see cref="GoalReports.GraceDays"/> days of a month are too few to judge (<see cref="Judged"/> false).
/// </summary>
public sealed record GoalPace(
    int Month, decimal Elapsed, bool Judged, decimal ExpectedGrossAdds, long GrossAdds, decimal ExpectedGmv, decimal Gmv, decimal Threshold, bool AddsBehind, bool GmvBehind)
{
    public bool Behind => AddsBehind || GmvBehind;
}

/// <summary>Year to date: what was made against the targets through now (the current month's prorated by the share gone).</summary>
public sealed record GoalYearToDate(long GrossAdds, long GrossAddsTarget, long Losses, decimal Gmv, decimal GmvTarget, long Pool, long PoolTarget);

/// <summary>
/// The year-end forecast (docs/goals.md): the pool projected month by month from today's with the gross adds per day of
/// the last <see cref="RunRateDays"/> full days and the deletion rate; GMV as made so far plus the GMV per day of the same
/// days, scaled for each month ahead by how much busier the plan says that month is than those days.
/// </summary>
public sealed record GoalForecast(long Pool, decimal Gmv, bool PoolMet, bool GmvMet, decimal GrossAddsPerDay, decimal GmvPerDay, decimal DeletionRate, int RunRateDays);

/// <summary>A goal with its decomposition, progress, pace and forecast.</summary>
public sealed record GoalReport(
    GoalView Goal, DateOnly Today, string TimeZone, long StartPool, string StartPoolSource, decimal DeletionRate, string DeletionRateSource,
    decimal? ObservedDeletionRate, decimal? MonthlyGrowthRate, IReadOnlyList<decimal>? Shares, string Status,
    IReadOnlyList<GoalMonth> Months, GoalYearToDate? YearToDate, GoalPace? Pace, GoalForecast Forecast);

/// <summary>Where the start pool and the deletion rate came from.</summary>
public static class GoalSources
{
    public const string Operator = "operator";
    public const string Measured = "measured";
    public const string Observed = "observed";

    /// <summary>No rate could be observed (no pool in the last three full months): 0 is used until one can.</summary>
    public const string None = "none";
}

/// <summary>The goal's standing as a whole.</summary>
public static class GoalStatuses
{
    public const string NotStarted = "not_started";
    public const string OnTrack = "on_track";
    public const string AtRisk = "at_risk";
    public const string Met = "met";
    public const string Missed = "missed";
}

/// <summary>
/// Builds a goal's report from the insight rollups: the pool series (pool at each day's end), customers in and out of
/// the pool, and private-domain GMV and orders per day. Reads about a year of days per metric, never the raw tables.
/// </summary>
public sealed class GoalReports(GoalBook goals, InsightReader insight, InsightRefresher refresher, TimeProvider clock)
{
    /// <summary>Full days before today whose run-rate the forecast projects.</summary>
    public const int RunRateDays = 30;

    /// <summary>Full months the observed deletion rate is measured over.</summary>
    public const int ObservedMonths = 3;

    /// <summary>Days into a month before its pace is judged (and an alert can be raised).</summary>
    public const int GraceDays = 3;

    public async Task<GoalReport> ReportAsync(Guid workspaceId, int year)
    {
        var goal = await goals.GetAsync(workspaceId, year);
        return await ReportAsync(goal);
    }

    public async Task<GoalReport> ReportAsync(Goal goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        var workspaceId = goal.WorkspaceId;
        await insight.FreshenAsync(workspaceId);
        var zone = await insight.ZoneAsync(workspaceId);
        var today = insight.Today(zone);
        // The pool history walks back from the latest snapshot: make sure today has one (the worker takes one a minute).
        if ((await insight.PoolAsync(workspaceId, today)).Day != today)
            await refresher.SnapshotPoolAsync(workspaceId);

        var yearStart = new DateOnly(goal.Year, 1, 1);
        var yearEnd = new DateOnly(goal.Year, 12, 31);
        var observeBefore = FirstOfMonth(today < yearEnd.AddDays(1) ? today : yearEnd.AddDays(1));
        var observeFrom = observeBefore.AddMonths(-ObservedMonths);
        var lastActual = today < yearEnd ? today : yearEnd;
        var from = Min(Min(yearStart, observeFrom), today.AddDays(-RunRateDays)).AddDays(-1);
        var to = Max(lastActual, observeBefore.AddDays(-1));
        if (to > today)
            to = today;

        var days = new Days(
            await insight.DailyAsync(workspaceId, [InsightMetrics.PoolIn, InsightMetrics.PoolOut, InsightMetrics.Gmv, InsightMetrics.Orders], from, to),
            await insight.PoolSeriesAsync(workspaceId, from, to, today));

        // Start pool: the operator's, or the pool at the end of the previous year (today's, for a year yet to start).
        var measuredStart = days.Pool(Min(yearStart.AddDays(-1), today));
        var startPool = goal.StartPool ?? measuredStart;
        var observed = ObservedRate(days, observeFrom, observeBefore);
        var rate = goal.DeletionRate ?? observed ?? 0m;
        var rateSource = goal.DeletionRate is not null ? GoalSources.Operator : observed is not null ? GoalSources.Observed : GoalSources.None;
        var plan = GoalPlan.Decompose(new PlanInput(startPool, goal.PoolTarget, goal.GmvTarget, goal.Method, goal.WeightList, rate));

        var now = clock.GetUtcNow();
        var forecastRate = observed ?? rate;
        var forecast = Forecast(plan, days, goal, today, forecastRate);
        var months = new List<GoalMonth>(12);
        foreach (var target in plan)
        {
            var first = new DateOnly(goal.Year, target.Month, 1);
            var last = first.AddMonths(1).AddDays(-1);
            var state = last < today ? MonthStates.Past : first > today ? MonthStates.Future : MonthStates.Current;
            var (fPool, fGmv) = forecast.Months[target.Month - 1];
            if (state == MonthStates.Future)
            {
                months.Add(new GoalMonth(target.Month, first, last, state, target.PoolStart, target.PoolEnd, target.ExpectedLosses, target.GrossAdds, Yuan(target.Gmv),
                    null, null, null, null, null, fPool, Yuan(fGmv), null, null));
                continue;
            }

            var end = last < today ? last : today;
            var pool = days.Pool(end);
            var gmv = days.Sum(InsightMetrics.Gmv, first, end);
            months.Add(new GoalMonth(target.Month, first, last, state, target.PoolStart, target.PoolEnd, target.ExpectedLosses, target.GrossAdds, Yuan(target.Gmv),
                days.Sum(InsightMetrics.PoolIn, first, end), days.Sum(InsightMetrics.PoolOut, first, end), pool, Yuan(gmv), days.Sum(InsightMetrics.Orders, first, end),
                fPool, Yuan(fGmv), state == MonthStates.Past ? pool >= target.PoolEnd : null, state == MonthStates.Past ? gmv >= target.Gmv : null));
        }

        var current = months.FirstOrDefault(m => m.State == MonthStates.Current);
        var elapsed = current is null ? 0m : Elapsed(current.From, zone, now);
        var pace = current is null ? null : Pace(current, elapsed, goal.AlertThreshold);
        var yearToDate = today < yearStart ? null : YearToDate(months, current, elapsed);
        var status = today < yearStart ? GoalStatuses.NotStarted
            : today > yearEnd ? (months[11].PoolMet == true && months.Sum(m => m.Gmv ?? 0) >= goal.GmvTarget / 100m ? GoalStatuses.Met : GoalStatuses.Missed)
            : forecast.Summary.PoolMet && forecast.Summary.GmvMet ? GoalStatuses.OnTrack : GoalStatuses.AtRisk;
        return new GoalReport(GoalView.Of(goal), today, zone.Id, startPool, goal.StartPool is null ? GoalSources.Measured : GoalSources.Operator, rate, rateSource,
            observed, goal.Method == GoalMethods.Growth ? Math.Round((decimal)GoalPlan.MonthlyGrowthRate(startPool, goal.PoolTarget), 6) : null,
            goal.Method == GoalMethods.Seasonal && goal.WeightList is { } weights ? GoalPlan.Shares(weights) : null,
            status, months, yearToDate, pace, forecast.Summary);
    }

    /// <summary>Σ customers who left the pool ÷ Σ pool at each month's start, over the full months from <paramref name="from"/> to before <paramref name="before"/>.</summary>
    private static decimal? ObservedRate(Days days, DateOnly from, DateOnly before)
    {
        long lost = 0, held = 0;
        for (var month = from; month < before; month = month.AddMonths(1))
        {
            held += days.Pool(month.AddDays(-1));
            lost += days.Sum(InsightMetrics.PoolOut, month, month.AddMonths(1).AddDays(-1));
        }

        return held > 0 ? Math.Round((decimal)lost / held, 6) : null;
    }

    private static GoalPace Pace(GoalMonth month, decimal elapsed, decimal threshold)
    {
        var expectedAdds = month.GrossAddsTarget * elapsed;
        var expectedGmv = month.GmvTarget * elapsed;
        var adds = month.GrossAdds ?? 0;
        var gmv = month.Gmv ?? 0;
        var judged = elapsed * (month.To.Day) >= GraceDays;
        return new GoalPace(month.Month, Math.Round(elapsed, 4), judged, Math.Round(expectedAdds, 1), adds, Math.Round(expectedGmv, 2), gmv, threshold,
            judged && expectedAdds > 0 && adds < expectedAdds * (1 - threshold),
            judged && expectedGmv > 0 && gmv < expectedGmv * (1 - threshold));
    }

    private static GoalYearToDate YearToDate(List<GoalMonth> months, GoalMonth? current, decimal elapsed)
    {
        var done = months.Where(m => m.State == MonthStates.Past).ToList();
        var last = months.LastOrDefault(m => m.State != MonthStates.Future);
        long addsTarget = done.Sum(m => m.GrossAddsTarget);
        var gmvTarget = done.Sum(m => m.GmvTarget);
        var poolTarget = last?.PoolTarget ?? months[0].PoolStartTarget;
        if (current is not null)
        {
            addsTarget += GoalPlan.People(current.GrossAddsTarget * elapsed);
            gmvTarget += Math.Round(current.GmvTarget * elapsed, 2);
            poolTarget = current.PoolStartTarget + GoalPlan.People((current.PoolTarget - current.PoolStartTarget) * elapsed);
        }

        return new GoalYearToDate(months.Sum(m => m.GrossAdds ?? 0), addsTarget, months.Sum(m => m.Losses ?? 0), months.Sum(m => m.Gmv ?? 0), gmvTarget,
            last?.Pool ?? 0, poolTarget);
    }

    private sealed record ForecastResult(IReadOnlyList<(long Pool, long Gmv)> Months, GoalForecast Summary);

    private static ForecastResult Forecast(IReadOnlyList<MonthTarget> plan, Days days, Goal goal, DateOnly today, decimal rate)
    {
        var windowFrom = today.AddDays(-RunRateDays);
        var windowTo = today.AddDays(-1);
        var addsPerDay = (decimal)days.Sum(InsightMetrics.PoolIn, windowFrom, windowTo) / RunRateDays;
        var gmvPerDay = (decimal)days.Sum(InsightMetrics.Gmv, windowFrom, windowTo) / RunRateDays;

        // How busy the plan makes each day (a month's GMV target over its days); the window's days before the year count as January's.
        decimal Intensity(DateOnly day) => day.Year < goal.Year
            ? plan[0].Gmv / 31m
            : day.Year > goal.Year ? plan[11].Gmv / 31m : plan[day.Month - 1].Gmv / (decimal)DateTime.DaysInMonth(goal.Year, day.Month);
        var windowIntensity = Enumerable.Range(0, RunRateDays).Select(i => Intensity(windowFrom.AddDays(i))).Average();
        decimal Scale(int month) => windowIntensity > 0 ? plan[month - 1].Gmv / (decimal)DateTime.DaysInMonth(goal.Year, month) / windowIntensity : 1m;

        var results = new (long Pool, long Gmv)[12];
        var yearStart = new DateOnly(goal.Year, 1, 1);
        var pool = (decimal)days.Pool(today < yearStart ? today : Min(today, new DateOnly(goal.Year, 12, 31)));
        // A year yet to start: the months from now to its start move the pool first.
        for (var month = FirstOfMonth(today); month < yearStart; month = month.AddMonths(1))
        {
            var length = DateTime.DaysInMonth(month.Year, month.Month);
            var left = month == FirstOfMonth(today) ? length - today.Day : length;
            pool = pool * (1 - (rate * left / length)) + (addsPerDay * left);
        }

        for (var m = 1; m <= 12; m++)
        {
            var first = new DateOnly(goal.Year, m, 1);
            var last = first.AddMonths(1).AddDays(-1);
            var length = last.Day;
            if (last < today)
            {
                results[m - 1] = (days.Pool(last), days.Sum(InsightMetrics.Gmv, first, last));
                continue;
            }

            if (first <= today)
            {
                // This month: what is made so far plus the days after today at the run-rate.
                var left = last.DayNumber - today.DayNumber;
                pool = days.Pool(today) * (1 - (rate * left / length)) + (addsPerDay * left);
                var gmv = days.Sum(InsightMetrics.Gmv, first, today) + (gmvPerDay * left * Scale(m));
                results[m - 1] = (GoalPlan.People(pool), GoalPlan.People(gmv));
                continue;
            }

            pool = pool * (1 - rate) + (addsPerDay * length);
            results[m - 1] = (GoalPlan.People(pool), GoalPlan.People(gmvPerDay * length * Scale(m)));
        }

        var yearPool = results[11].Pool;
        var yearGmv = results.Sum(r => r.Gmv);
        return new ForecastResult(results, new GoalForecast(yearPool, Yuan(yearGmv), yearPool >= goal.PoolTarget, yearGmv >= goal.GmvTarget,
            Math.Round(addsPerDay, 2), Math.Round(gmvPerDay / 100m, 2), rate, RunRateDays));
    }

    /// <summary>The share of the month that has gone by at <paramref name="now"/>, by the clock in the workspace's zone.</summary>
    public static decimal Elapsed(DateOnly monthStart, TimeZoneInfo zone, DateTimeOffset now)
    {
        var start = InsightDays.Start(monthStart, zone);
        var end = InsightDays.Start(monthStart.AddMonths(1), zone);
        var share = (decimal)((now - start) / (end - start));
        return Math.Clamp(share, 0m, 1m);
    }

    private static decimal Yuan(long fen) => fen / 100m;

    private static DateOnly FirstOfMonth(DateOnly day) => new(day.Year, day.Month, 1);

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;

    /// <summary>The days read for one report: per-day totals and the pool at each day's end.</summary>
    private sealed class Days(IReadOnlyList<DailyValues> daily, IReadOnlyList<(DateOnly Day, long Pool)> pool)
    {
        private readonly Dictionary<DateOnly, IReadOnlyDictionary<string, long>> _daily = daily.ToDictionary(d => d.Day, d => d.Values);
        private readonly Dictionary<DateOnly, long> _pool = pool.ToDictionary(p => p.Day, p => p.Pool);

        public long Pool(DateOnly day) => _pool.TryGetValue(day, out var value) ? Math.Max(0, value) : 0;

        public long Sum(string metric, DateOnly from, DateOnly to)
        {
            long sum = 0;
            for (var day = from; day <= to; day = day.AddDays(1))
            {
                if (_daily.TryGetValue(day, out var values))
                    sum += values.GetValueOrDefault(metric);
            }

            return sum;
        }
    }
}
