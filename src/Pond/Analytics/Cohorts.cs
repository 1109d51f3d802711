using System.Globalization;
using Dapper;
using Pond.Storage;

namespace Pond.Analytics;

/// <summary>What a cohort is keyed on: the month a customer first joined the pool, or the month of their first order.</summary>
public static class CohortBases
{
    public const string Joined = "joined";
    public const string FirstOrder = "first_order";
}

/// <summary>The figures a cohort table can show (the heat map's metric switch).</summary>
public static class CohortFigures
{
    public const string Retention = "retention";
    public const string Repurchase = "repurchase";
    public const string Ltv = "ltv";
    public const string FirstOrder = "first_order";

    public static readonly IReadOnlyList<string> All = [Retention, Repurchase, Ltv, FirstOrder];
}

/// <summary>
/// A cohort's standing <see cref="MonthsSince"/> calendar months after its own month, everything cumulated to the end of
/// that month: relationships kept (1 − left ÷ size; null when keyed on first orders), the share who bought again, GMV
/// per customer in yuan (the LTV curve) and the share who bought at all. Partial: the month is still running.
/// </summary>
public sealed record CohortCell(
    int MonthsSince, string Month, bool Partial, long Left, long Repeaters, long FirstBuyers, long Orders, decimal Gmv,
    decimal? Retention, decimal? Repurchase, decimal? Ltv, decimal? FirstOrderRate);

public sealed record CohortRow(string Cohort, long Size, IReadOnlyList<CohortCell> Cells);

/// <summary>Cohorts from <see cref="From"/> to <see cref="To"/> (yyyy-MM), and the size-weighted average of every cohort per month since.</summary>
public sealed record CohortReport(string Basis, string From, string To, string TimeZone, IReadOnlyList<CohortRow> Rows, IReadOnlyList<CohortCell> Average);

/// <summary>
/// Cohorts by the month customers joined the pool (insight_cohort_days, one row per cohort, metric and day: cost grows
/// with cohorts × days, never with customers) or by the month of their first private-domain order (from
/// insight_buyer_days, one row per buyer and day). Definitions: docs/funnels-cohorts.md.
/// </summary>
public sealed class Cohorts(Database database, InsightReader reader)
{
    public const int MaxCohorts = 36;
    public const int DefaultCohorts = 12;

    /// <summary>Checks from/to (yyyy-MM) and the basis; a 400 naming the field for anything wrong.</summary>
    public async Task<CohortReport> CohortsAsync(Guid workspaceId, string? from, string? to, string? basis)
    {
        var zone = await reader.ZoneAsync(workspaceId);
        var today = reader.Today(zone);
        var last = Month(to, "to") ?? MonthIndex(today);
        var first = Month(from, "from") ?? last - DefaultCohorts + 1;
        if (first > last)
            throw new ValidationFailedException($"from ({MonthText(first)}) is after to ({MonthText(last)}); swap them.", "from");
        if (last - first + 1 > MaxCohorts)
            throw new ValidationFailedException($"{last - first + 1} cohorts from {MonthText(first)} to {MonthText(last)}; ask for at most {MaxCohorts} months.", "to");
        var kind = basis?.Trim().ToLowerInvariant() switch
        {
            null or "" or CohortBases.Joined => CohortBases.Joined,
            CohortBases.FirstOrder or "first-order" => CohortBases.FirstOrder,
            _ => throw new ValidationFailedException($"basis '{basis}' is not a cohort basis; use joined (the month they joined) or first_order.", "basis"),
        };
        return await CohortsAsync(workspaceId, MonthKey(first), MonthKey(last), kind);
    }

    /// <summary>The cohort report in one call (the console, the CSV and the bench): months as yyyymm.</summary>
    public async Task<CohortReport> CohortsAsync(Guid workspaceId, int fromMonth, int toMonth, string basis = CohortBases.Joined)
    {
        var zone = await reader.ZoneAsync(workspaceId);
        var current = MonthIndex(reader.Today(zone));
        // (cohort month index, activity month index) → figures
        var figures = new Dictionary<(int Cohort, int Month), Figures>();
        Figures At(int cohort, int day)
        {
            var key = (cohort, Math.Max(cohort, MonthIndex(InsightDays.FromKey(day))));
            return figures.TryGetValue(key, out var f) ? f : figures[key] = new Figures();
        }

        var sizes = new Dictionary<int, long>();
        if (basis == CohortBases.FirstOrder)
        {
            foreach (var row in await FirstOrderCohortsAsync(workspaceId, fromMonth, toMonth))
            {
                var cohort = MonthIndexOfKey(row.Cohort);
                var figure = At(cohort, row.Day);
                figure.Orders += row.Orders;
                figure.Gmv += row.Gmv;
                figure.Repeaters += row.Repeaters;
                figure.FirstBuyers += row.FirstBuyers;
                sizes[cohort] = sizes.GetValueOrDefault(cohort) + row.FirstBuyers;
            }
        }
        else
        {
            foreach (var row in await reader.CohortDaysAsync(workspaceId, fromMonth, toMonth))
            {
                var cohort = MonthIndexOfKey(row.Cohort);
                var figure = At(cohort, row.Day);
                switch (row.Metric)
                {
                    case CohortMetrics.Joined:
                        sizes[cohort] = sizes.GetValueOrDefault(cohort) + row.Value;
                        break;
                    case CohortMetrics.Left:
                        figure.Left += row.Value;
                        break;
                    case CohortMetrics.Orders:
                        figure.Orders += row.Value;
                        break;
                    case CohortMetrics.Gmv:
                        figure.Gmv += row.Value;
                        break;
                    case CohortMetrics.FirstBuyers:
                        figure.FirstBuyers += row.Value;
                        break;
                    case CohortMetrics.Repeaters:
                        figure.Repeaters += row.Value;
                        break;
                }
            }
        }

        var rows = new List<CohortRow>();
        var average = new Dictionary<int, (long Size, Figures Sum)>();
        for (var cohort = MonthIndexOfKey(fromMonth); cohort <= MonthIndexOfKey(toMonth) && cohort <= current; cohort++)
        {
            var size = sizes.GetValueOrDefault(cohort);
            var cells = new List<CohortCell>();
            var running = new Figures();
            for (var month = cohort; month <= current; month++)
            {
                if (figures.TryGetValue((cohort, month), out var f))
                    running.Add(f);
                var since = month - cohort;
                cells.Add(Cell(since, month, month == current, size, running, basis));
                var (sum, total) = average.TryGetValue(since, out var a) ? a : (0, new Figures());
                total.Add(running);
                average[since] = (sum + size, total);
            }

            rows.Add(new CohortRow(MonthText(cohort), size, cells));
        }

        // Month m of the average is still running when the cohort of current − m is among those shown.
        var (firstCohort, lastCohort) = (MonthIndexOfKey(fromMonth), MonthIndexOfKey(toMonth));
        var averages = average.OrderBy(a => a.Key)
            .Select(a => Cell(a.Key, current, current - a.Key >= firstCohort && current - a.Key <= lastCohort, a.Value.Size, a.Value.Sum, basis) with { Month = "" })
            .ToList();
        return new CohortReport(basis, MonthText(MonthIndexOfKey(fromMonth)), MonthText(MonthIndexOfKey(toMonth)), zone.Id, rows, averages);
    }

    /// <summary>The grid of one figure (rows: cohorts; columns: months since), as the heat map shows it.</summary>
    public static byte[] ToCsv(CohortReport report, string figure)
    {
        var csv = new FunnelCsv();
        var months = report.Rows.Count == 0 ? 0 : report.Rows.Max(r => r.Cells.Count);
        csv.Row(["cohort", "size", .. Enumerable.Range(0, months).Select(m => (object?)$"month {m}")]);
        foreach (var row in report.Rows)
            csv.Row([row.Cohort, row.Size, .. row.Cells.Select(c => Value(c, figure))]);
        csv.Row(["all cohorts (weighted)", report.Rows.Sum(r => r.Size), .. report.Average.Select(c => Value(c, figure))]);
        return csv.ToBytes();
    }

    public static string ParseFigure(string? figure) => figure?.Trim().ToLowerInvariant() switch
    {
        null or "" => CohortFigures.Retention,
        var f when CohortFigures.All.Contains(f) => f,
        _ => throw new ValidationFailedException($"metric '{figure}' is not a cohort figure; use {string.Join(", ", CohortFigures.All)}.", "metric"),
    };

    public static decimal? Value(CohortCell cell, string figure) => figure switch
    {
        CohortFigures.Repurchase => cell.Repurchase,
        CohortFigures.Ltv => cell.Ltv,
        CohortFigures.FirstOrder => cell.FirstOrderRate,
        _ => cell.Retention,
    };

    private static CohortCell Cell(int since, int month, bool partial, long size, Figures f, string basis) => new(
        since, MonthText(month), partial, f.Left, f.Repeaters, f.FirstBuyers, f.Orders, f.Gmv / 100m,
        basis == CohortBases.Joined && size > 0 ? Math.Round(1 - ((decimal)f.Left / size), 4) : null,
        FunnelMath.Rate(f.Repeaters, size),
        size == 0 ? null : Math.Round(f.Gmv / 100m / size, 2),
        FunnelMath.Rate(f.FirstBuyers, size));

    /// <summary>
    /// Per first-order month and day: first buyers, customers whose second order fell that day, orders and GMV. A
    /// customer's first-order day is their one day whose orders include a first order (orders &gt; repeat orders).
    /// </summary>
    private async Task<List<FirstOrderRow>> FirstOrderCohortsAsync(Guid workspaceId, int fromMonth, int toMonth)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<FirstOrderRow>(
            """
            SELECT f.first_day / 100 AS cohort, b.day AS day,
                SUM(CASE WHEN b.day = f.first_day THEN 1 ELSE 0 END) AS first_buyers,
                SUM(CASE WHEN b.day = f.repeat_day THEN 1 ELSE 0 END) AS repeaters,
                SUM(b.orders) AS orders, CAST(SUM(b.gmv) AS BIGINT) AS gmv
            FROM (
                SELECT customer_id,
                    MIN(CASE WHEN orders > repeat_orders THEN day END) AS first_day,
                    MIN(CASE WHEN repeat_orders > 0 THEN day END) AS repeat_day
                FROM insight_buyer_days WHERE workspace_id = @workspaceId
                GROUP BY customer_id
            ) f
            JOIN insight_buyer_days b ON b.workspace_id = @workspaceId AND b.customer_id = f.customer_id
            WHERE f.first_day >= @fromDay AND f.first_day <= @toDay
            GROUP BY f.first_day / 100, b.day
            """, new { workspaceId, fromDay = (fromMonth * 100) + 1, toDay = (toMonth * 100) + 31 })).AsList();
    }

    private static int? Month(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        return DateOnly.TryParseExact(text.Trim() + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? MonthIndex(day)
            : throw new ValidationFailedException($"{field} '{text}' is not a month; use yyyy-MM, e.g. 2026-01.", field);
    }

    private static int MonthIndex(DateOnly day) => (day.Year * 12) + day.Month - 1;

    private static int MonthIndexOfKey(int yyyymm) => ((yyyymm / 100) * 12) + (yyyymm % 100) - 1;

    private static int MonthKey(int index) => ((index / 12) * 100) + (index % 12) + 1;

    private static string MonthText(int index) => $"{index / 12:D4}-{(index % 12) + 1:D2}";

    private sealed class Figures
    {
        public long Left { get; set; }
        public long Orders { get; set; }
        public long Gmv { get; set; }
        public long FirstBuyers { get; set; }
        public long Repeaters { get; set; }

        public void Add(Figures other)
        {
            Left += other.Left;
            Orders += other.Orders;
            Gmv += other.Gmv;
            FirstBuyers += other.FirstBuyers;
            Repeaters += other.Repeaters;
        }
    }

    private sealed class FirstOrderRow
    {
        public int Cohort { get; init; }
        public int Day { get; init; }
        public long FirstBuyers { get; init; }
        public long Repeaters { get; init; }
        public long Orders { get; init; }
        public long Gmv { get; init; }
    }
}
