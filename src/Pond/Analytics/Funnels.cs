using System.Globalization;
using Dapper;
using Pond.Storage;

namespace Pond.Analytics;

/// <summary>The stages of the standard private-domain funnel, in order.</summary>
public static class FunnelSteps
{
    public const string Reached = "reached";
    public const string Added = "added";
    public const string JoinedGroup = "joined_group";
    public const string FirstOrder = "first_order";
    public const string Repurchase = "repurchase";

    public static readonly IReadOnlyList<string> All = [Reached, Added, JoinedGroup, FirstOrder, Repurchase];
}

/// <summary>The breakdowns the standard funnel offers.</summary>
public static class FunnelBreakdowns
{
    public const string None = "none";
    public const string Channel = "channel";
    public const string Staff = "staff";
    public const string Segment = "segment";
}

/// <summary>One stage: its count, and the share of the stage before it and of the first stage.</summary>
public sealed record FunnelStepFigure(string Step, long Count, decimal? FromPrevious, decimal? FromFirst);

/// <summary>Whole days from joining the pool to the first order: how many, median, 75th percentile and a histogram.</summary>
public sealed record ConversionTime(long FirstOrders, long? MedianDays, long? P75Days, IReadOnlyList<LagBucket> Buckets);

/// <summary>First orders placed <see cref="FromDays"/> to <see cref="ToDays"/> whole days after joining (ToDays null: and later).</summary>
public sealed record LagBucket(int FromDays, int? ToDays, long Count);

/// <summary>
/// One breakdown row. Reached and JoinedGroup are null where the rollups do not keep them (per staff member: visits
/// carry no staff and group joins are not credited to one). The last stage per row is repeat orders, not buyers.
/// </summary>
public sealed record StandardFunnelRow(string? Id, string Name, long? Reached, long Added, long? JoinedGroup, long FirstOrders, long RepeatOrders, decimal? FirstOrderRate);

/// <summary>The standard funnel over a period against the period before it, with an optional breakdown.</summary>
public sealed record StandardFunnelReport(
    DateOnly From, DateOnly To, DateOnly PreviousFrom, DateOnly PreviousTo, string By, string TimeZone,
    IReadOnlyList<FunnelStepFigure> Steps, IReadOnlyList<FunnelStepFigure> PreviousSteps,
    long InflowVisits, long FissionVisits, long RepeatOrders,
    ConversionTime TimeToConvert, ConversionTime PreviousTimeToConvert,
    IReadOnlyList<StandardFunnelRow> Rows);

/// <summary>
/// The standard private-domain funnel (reached → added → joined a group → first order → repurchase) read from the
/// insight rollups only, so its cost grows with the days asked for, not with customers or events. It is a period
/// funnel: each stage counts what happened in the period (docs/funnels-cohorts.md), not one group of people followed
/// through. Custom funnels (<see cref="CustomFunnels"/>) follow people.
/// </summary>
public sealed class StandardFunnels(Database database, InsightReader reader)
{
    public const int MaxDays = 366;
    public const int DefaultDays = 30;
    public const string GroupKind = "group_chat";

    private static readonly (int From, int? To)[] LagBuckets = [(0, 0), (1, 1), (2, 3), (4, 7), (8, 14), (15, 30), (31, 90), (91, null)];

    /// <summary>Parses the caller's period and breakdown; bad input is a 400 naming the field.</summary>
    public async Task<StandardFunnelReport> StandardFunnelAsync(Guid workspaceId, string? from, string? to, string? by)
    {
        var zone = await reader.ZoneAsync(workspaceId);
        var period = FunnelPeriod.Parse(from, to, reader.Today(zone), DefaultDays, MaxDays);
        return await StandardFunnelAsync(workspaceId, period, ParseBy(by));
    }

    /// <summary>The report for one period (and the one before it) in one call: what the console, CSV and bench read.</summary>
    public async Task<StandardFunnelReport> StandardFunnelAsync(Guid workspaceId, FunnelPeriod period, string by = FunnelBreakdowns.None)
    {
        var zone = await reader.ZoneAsync(workspaceId);
        var current = await StagesAsync(workspaceId, period);
        var previous = await StagesAsync(workspaceId, period.Previous);
        var rows = by switch
        {
            FunnelBreakdowns.Channel => await ByChannelAsync(workspaceId, period),
            FunnelBreakdowns.Staff => await ByStaffAsync(workspaceId, period),
            _ => [],
        };
        return new StandardFunnelReport(
            period.From, period.To, period.Previous.From, period.Previous.To, by, zone.Id,
            current.Steps, previous.Steps, current.InflowVisits, current.FissionVisits, current.RepeatOrders,
            current.Lag, previous.Lag, rows);
    }

    public static string ParseBy(string? by) => by?.Trim().ToLowerInvariant() switch
    {
        null or "" or FunnelBreakdowns.None => FunnelBreakdowns.None,
        FunnelBreakdowns.Channel => FunnelBreakdowns.Channel,
        FunnelBreakdowns.Staff => FunnelBreakdowns.Staff,
        _ => throw new ValidationFailedException($"by '{by}' is not a breakdown of the standard funnel; use none, channel or staff.", "by"),
    };

    public static byte[] ToCsv(StandardFunnelReport report)
    {
        var csv = new FunnelCsv();
        csv.Row("period", "from", "to", "step", "count", "from_previous_step", "from_first_step");
        foreach (var (label, from, to, steps) in new[] { ("current", report.From, report.To, report.Steps), ("previous", report.PreviousFrom, report.PreviousTo, report.PreviousSteps) })
        {
            foreach (var step in steps)
                csv.Row(label, Date(from), Date(to), step.Step, step.Count, step.FromPrevious, step.FromFirst);
        }

        csv.Row();
        csv.Row("period", "first_orders", "median_days_to_first_order", "p75_days_to_first_order");
        csv.Row("current", report.TimeToConvert.FirstOrders, report.TimeToConvert.MedianDays, report.TimeToConvert.P75Days);
        csv.Row("previous", report.PreviousTimeToConvert.FirstOrders, report.PreviousTimeToConvert.MedianDays, report.PreviousTimeToConvert.P75Days);
        if (report.Rows.Count > 0)
        {
            csv.Row();
            csv.Row(report.By, "id", "reached", "added", "joined_group", "first_orders", "repeat_orders", "first_order_rate");
            foreach (var row in report.Rows)
                csv.Row(row.Name, row.Id, row.Reached, row.Added, row.JoinedGroup, row.FirstOrders, row.RepeatOrders, row.FirstOrderRate);
        }

        return csv.ToBytes();
    }

    private static string Date(DateOnly day) => day.ToString(FunnelPeriod.DateFormat, CultureInfo.InvariantCulture);

    private async Task<Stages> StagesAsync(Guid workspaceId, FunnelPeriod period)
    {
        var totals = await reader.TotalsAsync(workspaceId,
            [InsightMetrics.Visits, InsightMetrics.FissionVisits, InsightMetrics.FirstOrders, InsightMetrics.RepeatOrders], period.From, period.To);
        var kinds = await reader.SumAsync(workspaceId, InsightMetrics.Adds, InsightDims.CarrierKind, period.From, period.To);
        var buyers = await reader.BuyersAsync(workspaceId, period.From, period.To);
        var lags = await reader.SumAsync(workspaceId, InsightMetrics.FirstOrderLag, InsightDims.Lag, period.From, period.To);

        var reached = totals[InsightMetrics.Visits] + totals[InsightMetrics.FissionVisits];
        var joined = kinds.GetValueOrDefault(GroupKind);
        var added = kinds.Values.Sum() - joined;
        long[] counts = [reached, added, joined, totals[InsightMetrics.FirstOrders], buyers.RepeatBuyers];
        var steps = FunnelSteps.All.Select((step, i) => new FunnelStepFigure(
            step, counts[i], i == 0 ? null : FunnelMath.Rate(counts[i], counts[i - 1]), i == 0 ? null : FunnelMath.Rate(counts[i], counts[0]))).ToList();
        return new Stages(steps, totals[InsightMetrics.Visits], totals[InsightMetrics.FissionVisits], totals[InsightMetrics.RepeatOrders], Lag(lags));
    }

    private static ConversionTime Lag(IReadOnlyDictionary<string, long> lags)
    {
        var histogram = lags.ToDictionary(l => long.Parse(l.Key, CultureInfo.InvariantCulture), l => l.Value);
        var buckets = LagBuckets.Select(b => new LagBucket(b.From, b.To,
            histogram.Where(h => h.Key >= b.From && (b.To is not { } to || h.Key <= to)).Sum(h => h.Value))).ToList();
        return new ConversionTime(histogram.Values.Sum(), FunnelMath.Percentile(histogram, 0.5), FunnelMath.Percentile(histogram, 0.75), buckets);
    }

    /// <summary>
    /// Per channel: visits by the code's channel, adds and group joins by the add's channel, first and repeat orders
    /// by the order's first-touch channel. Fission visits and anything without a channel make the unattributed row,
    /// so the rows add up to the totals.
    /// </summary>
    private async Task<List<StandardFunnelRow>> ByChannelAsync(Guid workspaceId, FunnelPeriod period)
    {
        var visits = await reader.SumAsync(workspaceId, InsightMetrics.Visits, InsightDims.Channel, period.From, period.To);
        var fission = (await reader.TotalsAsync(workspaceId, [InsightMetrics.FissionVisits], period.From, period.To))[InsightMetrics.FissionVisits];
        var adds = await reader.SumAsync(workspaceId, InsightMetrics.Adds, InsightDims.ChannelKind, period.From, period.To);
        var firsts = await reader.SumAsync(workspaceId, InsightMetrics.FirstOrders, InsightDims.FirstChannel, period.From, period.To);
        var repeats = await reader.SumAsync(workspaceId, InsightMetrics.RepeatOrders, InsightDims.FirstChannel, period.From, period.To);

        var rows = new Dictionary<string, Tally>(StringComparer.Ordinal);
        Tally Row(string key) => rows.TryGetValue(key, out var t) ? t : rows[key] = new Tally();
        foreach (var (key, value) in visits)
            Row(key).Reached += value;
        if (fission > 0)
            Row("").Reached += fission;
        foreach (var (key, value) in adds)
        {
            var bar = key.LastIndexOf('|');
            var channel = bar < 0 ? key : key[..bar];
            var kind = bar < 0 ? "" : key[(bar + 1)..];
            if (kind == GroupKind)
                Row(channel).JoinedGroup += value;
            else
                Row(channel).Added += value;
        }

        foreach (var (key, value) in firsts)
            Row(key).FirstOrders += value;
        foreach (var (key, value) in repeats)
            Row(key).RepeatOrders += value;
        var names = await NamesAsync(workspaceId, "SELECT id, name FROM channels WHERE workspace_id = @workspaceId");
        return Rows(rows, names, withReach: true);
    }

    /// <summary>Per staff member: relationships credited to them, and first and repeat orders credited to them.</summary>
    private async Task<List<StandardFunnelRow>> ByStaffAsync(Guid workspaceId, FunnelPeriod period)
    {
        var adds = await reader.SumAsync(workspaceId, InsightMetrics.Adds, InsightDims.Staff, period.From, period.To);
        var firsts = await reader.SumAsync(workspaceId, InsightMetrics.FirstOrders, InsightDims.Staff, period.From, period.To);
        var repeats = await reader.SumAsync(workspaceId, InsightMetrics.RepeatOrders, InsightDims.Staff, period.From, period.To);
        var rows = new Dictionary<string, Tally>(StringComparer.Ordinal);
        Tally Row(string key) => rows.TryGetValue(key, out var t) ? t : rows[key] = new Tally();
        foreach (var (key, value) in adds)
            Row(key).Added += value;
        foreach (var (key, value) in firsts)
            Row(key).FirstOrders += value;
        foreach (var (key, value) in repeats)
            Row(key).RepeatOrders += value;
        var names = await NamesAsync(workspaceId, "SELECT id, name FROM staff WHERE workspace_id = @workspaceId");
        return Rows(rows, names, withReach: false);
    }

    private static List<StandardFunnelRow> Rows(Dictionary<string, Tally> rows, IReadOnlyDictionary<string, string> names, bool withReach)
    {
        var result = rows
            .Where(r => r.Key.Length > 0)
            .Select(r => r.Value.ToRow(r.Key, names.GetValueOrDefault(r.Key) ?? r.Key, withReach))
            .OrderByDescending(r => r.Added).ThenByDescending(r => r.FirstOrders).ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
        if (rows.TryGetValue("", out var unattributed))
            result.Add(unattributed.ToRow(null, "Unattributed", withReach));
        return result;
    }

    private async Task<IReadOnlyDictionary<string, string>> NamesAsync(Guid workspaceId, string sql)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<NameRow>(sql, new { workspaceId })).ToDictionary(n => n.Id.ToString(), n => n.Name, StringComparer.Ordinal);
    }

    private sealed record Stages(IReadOnlyList<FunnelStepFigure> Steps, long InflowVisits, long FissionVisits, long RepeatOrders, ConversionTime Lag);

    private sealed class Tally
    {
        public long Reached { get; set; }
        public long Added { get; set; }
        public long JoinedGroup { get; set; }
        public long FirstOrders { get; set; }
        public long RepeatOrders { get; set; }

        public StandardFunnelRow ToRow(string? id, string name, bool withReach) =>
            new(id, name, withReach ? Reached : null, Added, withReach ? JoinedGroup : null, FirstOrders, RepeatOrders, FunnelMath.Rate(FirstOrders, Added + (withReach ? JoinedGroup : 0)));
    }

    private sealed class NameRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
    }
}
