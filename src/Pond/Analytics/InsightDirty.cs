using System.Data.Common;
using Dapper;

namespace Pond.Analytics;

/// <summary>
/// Marks the hours whose days the insight rollups must rewrite. Called in the writer's own transaction by every
/// path that changes what a rollup counts (the event processor for each event it applies, orders and refunds,
/// landing visits, spend, staff tasks), so a committed change is never left out of the rollups.
/// </summary>
public static class InsightDirty
{
    private const long HourMs = 3_600_000;

    public static Task MarkAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, DateTimeOffset at, DateTimeOffset now) =>
        MarkAsync(connection, transaction, [(workspaceId, at)], now);

    public static async Task MarkAsync(DbConnection connection, DbTransaction? transaction, IEnumerable<(Guid WorkspaceId, DateTimeOffset At)> marks, DateTimeOffset now)
    {
        var rows = marks
            .Select(m => (m.WorkspaceId, Hour: Floor(m.At)))
            .Distinct()
            .Select(m => new { workspaceId = m.WorkspaceId, hour = m.Hour, now = now.ToUnixTimeMilliseconds() })
            .ToList();
        if (rows.Count == 0)
            return;
        // The newest mark wins: the refresher deletes only the marks it read, by marked_at.
        await connection.ExecuteAsync(
            """
            INSERT INTO insight_dirty (workspace_id, hour, marked_at) VALUES (@workspaceId, @hour, @now)
            ON CONFLICT (workspace_id, hour) DO UPDATE SET marked_at = excluded.marked_at
            """, rows, transaction);
    }

    /// <summary>Marks a whole local day of the workspace (channel spend is booked on a day, not at an instant).</summary>
    public static async Task MarkDayAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, DateOnly day, DateTimeOffset now)
    {
        var zone = await connection.QuerySingleOrDefaultAsync<string>("SELECT time_zone FROM workspaces WHERE id = @workspaceId", new { workspaceId }, transaction);
        await MarkAsync(connection, transaction, [(workspaceId, InsightDays.Start(day, InsightDays.Zone(zone)).AddHours(12))], now);
    }

    private static long Floor(DateTimeOffset at)
    {
        var ms = at.ToUnixTimeMilliseconds();
        return ms - (((ms % HourMs) + HourMs) % HourMs);
    }
}

/// <summary>Local days as the rollups key them (yyyymmdd) and their bounds in time.</summary>
public static class InsightDays
{
    public static int Key(DateOnly day) => (day.Year * 10000) + (day.Month * 100) + day.Day;

    public static DateOnly FromKey(int key) => new(key / 10000, key / 100 % 100, key % 100);

    public static int MonthKey(DateOnly day) => (day.Year * 100) + day.Month;

    public static DateOnly Of(DateTimeOffset at, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);

    public static DateOnly Of(long unixMs, TimeZoneInfo zone) => Of(DateTimeOffset.FromUnixTimeMilliseconds(unixMs), zone);

    /// <summary>The instant the local day starts (the first valid local time, should midnight not exist that day).</summary>
    public static DateTimeOffset Start(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        while (zone.IsInvalidTime(local))
            local = local.AddMinutes(30);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    public static TimeZoneInfo Zone(string? id) =>
        id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
}
