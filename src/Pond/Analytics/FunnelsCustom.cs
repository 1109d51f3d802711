using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Pond.Storage;

namespace Pond.Analytics;

/// <summary>A custom funnel as asked for: event names in order, the period the first step must fall in, the window, a breakdown.</summary>
public sealed record CustomFunnelQuery(IReadOnlyList<string> Steps, FunnelPeriod Period, int WindowDays, string By, IReadOnlyList<string> Segments);

/// <summary>One step: customers who reached it, its share of the step before and of the first, and the time from the step before.</summary>
public sealed record CustomFunnelStep(int Index, string Event, long Customers, decimal? FromPrevious, decimal? FromFirst, long? MedianSecondsFromPrevious, long? P75SecondsFromPrevious);

/// <summary>One breakdown group: customers per step, first-to-last conversion and the median time from first to last step.</summary>
public sealed record CustomFunnelGroup(string? Id, string Name, IReadOnlyList<long> Customers, decimal? Conversion, long? MedianSecondsToConvert);

public sealed record CustomFunnelReport(
    IReadOnlyList<string> Events, DateOnly From, DateOnly To, int WindowDays, string By, string TimeZone,
    IReadOnlyList<CustomFunnelStep> Steps, decimal? Conversion, long? MedianSecondsToConvert, IReadOnlyList<CustomFunnelGroup> Groups, long EventsScanned);

/// <summary>
/// Ordered funnels over any event names (customer_events.name). A customer enters with their first occurrence of the
/// first step in the period; each later step is their earliest occurrence of that event at or after the step before it
/// and no later than the window after entering. Each customer counts once per step. Reads raw events, since no
/// rollup can hold arbitrary sequences: one scan per step over (workspace_id, name, occurred_at) in time order, with
/// per-customer state in memory (a few longs per customer who entered).
/// </summary>
public sealed class CustomFunnels(Database database, InsightReader reader)
{
    public const int MaxDays = 92;
    public const int DefaultDays = 30;
    public const int MaxSteps = 10;
    public const int MaxWindowDays = 90;
    public const int DefaultWindowDays = 7;
    public const int MaxSegments = 10;
    private const long DayMs = 86_400_000;
    private const int LookupChunk = 5000;

    /// <summary>Checks what the caller sent (a 400 naming the field for anything wrong) and runs the funnel.</summary>
    public async Task<CustomFunnelReport> CustomFunnelAsync(
        Guid workspaceId, IReadOnlyList<string>? steps, string? from, string? to, string? windowDays, string? by, IReadOnlyList<string>? segments)
    {
        var zone = await reader.ZoneAsync(workspaceId);
        var names = (steps ?? []).SelectMany(s => s.Split('\n')).Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
        if (names.Count == 0)
            throw new ValidationFailedException("steps is empty; give at least two event names in order, e.g. steps=Product Viewed&steps=Order Completed.", "steps");
        if (names.Count < 2)
            throw new ValidationFailedException($"steps has only '{names[0]}'; a funnel needs at least two event names in order.", "steps");
        if (names.Count > MaxSteps)
            throw new ValidationFailedException($"steps has {names.Count} events; a funnel takes at most {MaxSteps}.", "steps");
        var window = DefaultWindowDays;
        if (!string.IsNullOrWhiteSpace(windowDays)
            && (!int.TryParse(windowDays.Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out window) || window <= 0 || window > MaxWindowDays))
            throw new ValidationFailedException($"windowDays '{windowDays}' must be a whole number of days from 1 to {MaxWindowDays}.", "windowDays");
        var period = FunnelPeriod.Parse(from, to, reader.Today(zone), DefaultDays, MaxDays);
        var breakdown = by?.Trim().ToLowerInvariant() switch
        {
            null or "" or FunnelBreakdowns.None => FunnelBreakdowns.None,
            FunnelBreakdowns.Channel => FunnelBreakdowns.Channel,
            FunnelBreakdowns.Staff => FunnelBreakdowns.Staff,
            FunnelBreakdowns.Segment => FunnelBreakdowns.Segment,
            _ => throw new ValidationFailedException($"by '{by}' is not a breakdown; use none, channel (first channel), staff (owner) or segment.", "by"),
        };
        var segmentList = (segments ?? []).Select(s => s.Trim()).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (breakdown == FunnelBreakdowns.Segment && segmentList.Count == 0)
            throw new ValidationFailedException("segment is missing; a breakdown by segment needs one or more segment ids or names.", "segment");
        if (segmentList.Count > MaxSegments)
            throw new ValidationFailedException($"segment names {segmentList.Count} segments; compare at most {MaxSegments}.", "segment");
        return await CustomFunnelAsync(workspaceId, new CustomFunnelQuery(names, period, window, breakdown, segmentList));
    }

    /// <summary>The report for a checked query in one call (the console, the CSV and the bench).</summary>
    public async Task<CustomFunnelReport> CustomFunnelAsync(Guid workspaceId, CustomFunnelQuery query)
    {
        var zone = await reader.ZoneAsync(workspaceId);
        await using var connection = await database.OpenAsync();
        foreach (var name in query.Steps.Distinct(StringComparer.Ordinal))
        {
            var known = await connection.ExecuteScalarAsync<int?>(
                "SELECT 1 FROM customer_events WHERE workspace_id = @workspaceId AND name = @name LIMIT 1", new { workspaceId, name });
            if (known is null)
                throw new ValidationFailedException($"steps: no event named '{name}' has been received in this workspace; check the spelling (names are case-sensitive).", "steps");
        }

        var segments = query.By == FunnelBreakdowns.Segment ? await SegmentsAsync(connection, workspaceId, query.Segments) : [];

        var start = InsightDays.Start(query.Period.From, zone).ToUnixTimeMilliseconds();
        var end = InsightDays.Start(query.Period.To.AddDays(1), zone).ToUnixTimeMilliseconds();
        var window = query.WindowDays * DayMs;
        var n = query.Steps.Count;
        var index = new Dictionary<Guid, int>();
        var customers = new List<Guid>();
        var times = new List<long>[n];
        var ids = new List<long>[n];
        for (var k = 0; k < n; k++)
        {
            times[k] = [];
            ids[k] = [];
        }

        const long Missing = long.MinValue;
        long scanned = 0;
        for (var k = 0; k < n; k++)
        {
            var scanEnd = k == 0 ? end : end + window + 1;
            await using var command = connection.CreateCommand();
            command.CommandText =
                "SELECT id, customer_id, occurred_at FROM customer_events WHERE workspace_id = @workspaceId AND name = @name AND occurred_at >= @start AND occurred_at < @end ORDER BY occurred_at";
            Add(command, "workspaceId", database.IsSqlite ? workspaceId.ToString() : workspaceId);
            Add(command, "name", query.Steps[k]);
            Add(command, "start", start);
            Add(command, "end", scanEnd);
            await using var rows = await command.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                scanned++;
                var eventId = rows.GetInt64(0);
                var customer = rows.GetGuid(1);
                var at = rows.GetInt64(2);
                if (k == 0)
                {
                    if (index.ContainsKey(customer))
                        continue;
                    index[customer] = customers.Count;
                    customers.Add(customer);
                    times[0].Add(at);
                    ids[0].Add(eventId);
                    for (var j = 1; j < n; j++)
                    {
                        times[j].Add(Missing);
                        ids[j].Add(0);
                    }

                    continue;
                }

                if (!index.TryGetValue(customer, out var i) || times[k][i] != Missing)
                    continue;
                var previous = times[k - 1][i];
                if (previous == Missing || at < previous || at > times[0][i] + window)
                    continue;
                // The same event cannot stand for two steps (a funnel that repeats an event name needs a second occurrence).
                var reused = false;
                for (var j = 0; j < k && !reused; j++)
                    reused = ids[j][i] == eventId && string.Equals(query.Steps[j], query.Steps[k], StringComparison.Ordinal);
                if (reused)
                    continue;
                times[k][i] = at;
                ids[k][i] = eventId;
            }
        }

        // Groups: which group each entered customer belongs to (a customer may be in several segments).
        var groups = new List<(string? Id, string Name, Func<int, bool> Member)>();
        if (query.By == FunnelBreakdowns.Channel || query.By == FunnelBreakdowns.Staff)
        {
            var keys = query.By == FunnelBreakdowns.Channel
                ? await FirstChannelsAsync(connection, workspaceId, customers)
                : await OwnersAsync(connection, workspaceId, customers);
            var names = await NamesAsync(connection, workspaceId, query.By == FunnelBreakdowns.Channel ? "channels" : "staff");
            var of = customers.Select(c => keys.GetValueOrDefault(c)).ToArray();
            foreach (var key in of.Where(k => k is not null).Select(k => k!.Value).Distinct())
                groups.Add((key.ToString(), names.GetValueOrDefault(key) ?? key.ToString(), i => of[i] == key));
            if (of.Any(k => k is null))
                groups.Add((null, query.By == FunnelBreakdowns.Channel ? "No channel" : "No owner", i => of[i] is null));
        }
        else if (query.By == FunnelBreakdowns.Segment)
        {
            var inAny = new bool[customers.Count];
            foreach (var (id, name) in segments)
            {
                var members = await MembersAsync(connection, id, customers);
                var flags = customers.Select(members.Contains).ToArray();
                for (var i = 0; i < flags.Length; i++)
                    inAny[i] |= flags[i];
                groups.Add((id.ToString(), name, i => flags[i]));
            }

            groups.Add((null, "In none of these segments", i => !inAny[i]));
        }

        var steps = new List<CustomFunnelStep>();
        var counts = Counts(times, customers.Count, _ => true);
        for (var k = 0; k < n; k++)
        {
            var gaps = new List<long>();
            if (k > 0)
            {
                for (var i = 0; i < customers.Count; i++)
                {
                    if (times[k][i] != Missing)
                        gaps.Add((times[k][i] - times[k - 1][i]) / 1000);
                }

                gaps.Sort();
            }

            steps.Add(new CustomFunnelStep(k + 1, query.Steps[k], counts[k],
                k == 0 ? null : FunnelMath.Rate(counts[k], counts[k - 1]), k == 0 ? null : FunnelMath.Rate(counts[k], counts[0]),
                FunnelMath.Percentile(gaps, 0.5), FunnelMath.Percentile(gaps, 0.75)));
        }

        var groupRows = groups
            .Select(g => Group(g.Id, g.Name, times, customers.Count, g.Member))
            .OrderBy(g => g.Id is null).ThenByDescending(g => g.Customers[0]).ThenBy(g => g.Name, StringComparer.Ordinal)
            .ToList();
        var total = Group(null, "Total", times, customers.Count, _ => true);
        return new CustomFunnelReport(query.Steps, query.Period.From, query.Period.To, query.WindowDays, query.By, zone.Id,
            steps, total.Conversion, total.MedianSecondsToConvert, groupRows, scanned);

        static void Add(DbCommand command, string name, object value)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
    }

    /// <summary>
    /// Every event name received in the workspace, in order (at most <paramref name="limit"/>). Skips from name to name
    /// along the (workspace_id, name, occurred_at) index instead of reading every event.
    /// </summary>
    public async Task<IReadOnlyList<string>> EventNamesAsync(Guid workspaceId, int limit = 500)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<string>(
            """
            WITH RECURSIVE names(name) AS (
                SELECT MIN(name) FROM customer_events WHERE workspace_id = @workspaceId
                UNION ALL
                SELECT (SELECT MIN(e.name) FROM customer_events e WHERE e.workspace_id = @workspaceId AND e.name > names.name)
                FROM names WHERE names.name IS NOT NULL
            )
            SELECT name FROM names WHERE name IS NOT NULL LIMIT @limit
            """, new { workspaceId, limit })).AsList();
    }

    public static byte[] ToCsv(CustomFunnelReport report)
    {
        var csv = new FunnelCsv();
        csv.Row("step", "event", "customers", "from_previous_step", "from_first_step", "median_seconds_from_previous", "p75_seconds_from_previous");
        foreach (var step in report.Steps)
            csv.Row(step.Index, step.Event, step.Customers, step.FromPrevious, step.FromFirst, step.MedianSecondsFromPrevious, step.P75SecondsFromPrevious);
        csv.Row();
        csv.Row([report.By, "id", .. report.Events.Select((e, i) => $"step {i + 1}: {e}"), "conversion", "median_seconds_to_convert"]);
        csv.Row(["Total", null, .. report.Steps.Select(s => (object?)s.Customers), report.Conversion, report.MedianSecondsToConvert]);
        foreach (var group in report.Groups)
            csv.Row([group.Name, group.Id, .. group.Customers.Select(c => (object?)c), group.Conversion, group.MedianSecondsToConvert]);
        return csv.ToBytes();
    }

    private static long[] Counts(List<long>[] times, int customers, Func<int, bool> member)
    {
        var counts = new long[times.Length];
        for (var i = 0; i < customers; i++)
        {
            if (!member(i))
                continue;
            for (var k = 0; k < times.Length && times[k][i] != long.MinValue; k++)
                counts[k]++;
        }

        return counts;
    }

    private static CustomFunnelGroup Group(string? id, string name, List<long>[] times, int customers, Func<int, bool> member)
    {
        var counts = Counts(times, customers, member);
        var last = times.Length - 1;
        var durations = new List<long>();
        for (var i = 0; i < customers; i++)
        {
            if (member(i) && times[last][i] != long.MinValue)
                durations.Add((times[last][i] - times[0][i]) / 1000);
        }

        durations.Sort();
        return new CustomFunnelGroup(id, name, counts, FunnelMath.Rate(counts[last], counts[0]), FunnelMath.Percentile(durations, 0.5));
    }

    /// <summary>The channel of each customer's first relationship (their acquisition channel).</summary>
    private async Task<Dictionary<Guid, Guid?>> FirstChannelsAsync(DbConnection connection, Guid workspaceId, List<Guid> customers)
    {
        var first = new Dictionary<Guid, (long At, Guid? Channel)>();
        foreach (var chunk in customers.Chunk(LookupChunk))
        {
            foreach (var row in await connection.QueryAsync<AcquisitionRow>(
                         $"SELECT customer_id, channel_id, acquired_at FROM acquisitions WHERE workspace_id = @workspaceId AND customer_id {In()}",
                         new { workspaceId, ids = Ids(chunk) }))
            {
                if (!first.TryGetValue(row.CustomerId, out var seen) || row.AcquiredAt < seen.At)
                    first[row.CustomerId] = (row.AcquiredAt, row.ChannelId);
            }
        }

        return first.ToDictionary(f => f.Key, f => f.Value.Channel);
    }

    private async Task<Dictionary<Guid, Guid?>> OwnersAsync(DbConnection connection, Guid workspaceId, List<Guid> customers)
    {
        var owners = new Dictionary<Guid, Guid?>();
        foreach (var chunk in customers.Chunk(LookupChunk))
        {
            foreach (var row in await connection.QueryAsync<OwnerRow>(
                         $"SELECT id, owner_staff_id FROM customers WHERE workspace_id = @workspaceId AND id {In()}", new { workspaceId, ids = Ids(chunk) }))
                owners[row.Id] = row.OwnerStaffId;
        }

        return owners;
    }

    private async Task<HashSet<Guid>> MembersAsync(DbConnection connection, Guid segmentId, List<Guid> customers)
    {
        var members = new HashSet<Guid>();
        foreach (var chunk in customers.Chunk(LookupChunk))
        {
            members.UnionWith(await connection.QueryAsync<Guid>(
                $"SELECT customer_id FROM segment_members WHERE segment_id = @segmentId AND customer_id {In()}", new { segmentId, ids = Ids(chunk) }));
        }

        return members;
    }

    private static async Task<List<(Guid Id, string Name)>> SegmentsAsync(DbConnection connection, Guid workspaceId, IReadOnlyList<string> asked)
    {
        var all = (await connection.QueryAsync<NameRow>("SELECT id, name FROM segments WHERE workspace_id = @workspaceId", new { workspaceId })).AsList();
        var found = new List<(Guid, string)>();
        foreach (var wanted in asked)
        {
            var segment = all.FirstOrDefault(s => Guid.TryParse(wanted, out var id) ? s.Id == id : string.Equals(s.Name, wanted, StringComparison.Ordinal))
                ?? throw new ValidationFailedException($"segment '{wanted}' is not a segment of this workspace; give a segment id or its exact name.", "segment");
            found.Add((segment.Id, segment.Name));
        }

        return found;
    }

    private static async Task<Dictionary<Guid, string>> NamesAsync(DbConnection connection, Guid workspaceId, string table) =>
        (await connection.QueryAsync<NameRow>($"SELECT id, name FROM {table} WHERE workspace_id = @workspaceId", new { workspaceId }))
        .ToDictionary(r => r.Id, r => r.Name);

    private string In() => database.IsSqlite ? "IN (SELECT value FROM json_each(@ids))" : "= ANY(@ids)";

    private object Ids(Guid[] chunk) => database.IsSqlite ? JsonSerializer.Serialize(chunk) : chunk;

    private sealed class AcquisitionRow
    {
        public Guid CustomerId { get; init; }
        public Guid? ChannelId { get; init; }
        public long AcquiredAt { get; init; }
    }

    private sealed class OwnerRow
    {
        public Guid Id { get; init; }
        public Guid? OwnerStaffId { get; init; }
    }

    private sealed class NameRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
    }
}
