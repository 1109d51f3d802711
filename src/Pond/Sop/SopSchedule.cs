namespace Pond.Sop;

/// <summary>When entries fire: pure calendar arithmetic in the workspace's zone, shared by the engine and the calendar page.</summary>
internal static class SopSchedule
{
    /// <summary>The engine never reaches further back than this: a server that was down for days creates the last day's tasks once, not a backlog.</summary>
    public static readonly TimeSpan CatchUp = TimeSpan.FromHours(24);

    public const int EveryDay = 0;

    public static int BitOf(DayOfWeek day) => 1 << (((int)day + 6) % 7);

    /// <summary>ISO weekdays (1 = Monday … 7 = Sunday) to the stored mask.</summary>
    public static int MaskOf(IEnumerable<int>? isoWeekdays)
    {
        var mask = 0;
        foreach (var d in isoWeekdays ?? [])
            mask |= 1 << (d - 1);
        return mask == 127 ? EveryDay : mask;
    }

    public static IReadOnlyList<int> WeekdaysOf(int mask) =>
        mask == EveryDay ? [] : Enumerable.Range(1, 7).Where(d => (mask & (1 << (d - 1))) != 0).ToList();

    public static bool FiresOn(int mask, DateOnly day) => mask == EveryDay || (mask & BitOf(day.DayOfWeek)) != 0;

    public static DateOnly LocalDate(DateTimeOffset at, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);

    /// <summary>The instant a local date and minute of day names (a skipped DST hour moves forward).</summary>
    public static DateTimeOffset At(DateOnly day, int minuteOfDay, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue).AddMinutes(minuteOfDay);
        while (zone.IsInvalidTime(local))
            local = local.AddMinutes(30);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, zone));
    }

    /// <summary>The times a calendar entry (group or moments) fires in (after, until].</summary>
    public static IEnumerable<(DateTimeOffset At, DateOnly Day)> Calendar(SopEntry entry, DateTimeOffset after, DateTimeOffset until, TimeZoneInfo zone)
    {
        for (var day = LocalDate(after, zone).AddDays(-1); day <= LocalDate(until, zone); day = day.AddDays(1))
        {
            if (!FiresOn(entry.Weekdays, day))
                continue;
            var at = At(day, entry.MinuteOfDay, zone);
            if (at > after && at <= until)
                yield return (at, day);
        }
    }

    /// <summary>
    /// When a customer entry fires for a customer who added at <paramref name="since"/>: the entry's time on the local day
    /// N days later; a day-0 entry whose time had passed when they added fires when Pond learned of the add.
    /// </summary>
    public static DateTimeOffset CustomerAt(SopEntry entry, DateTimeOffset since, DateTimeOffset learnedAt, TimeZoneInfo zone)
    {
        var at = At(LocalDate(since, zone).AddDays(entry.DayOffset), entry.MinuteOfDay, zone);
        return at < learnedAt ? learnedAt : at;
    }

    public static bool InWindow(SopPlan plan, DateTimeOffset at) => at >= plan.StartsAt && (plan.EndsAt is null || at <= plan.EndsAt);
}
