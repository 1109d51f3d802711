using System.Globalization;
using Pond.Server.Components.Pages.Activities;
using Pond.Sop;
using Pond.Staff;

namespace Pond.Server.Components.Pages.Sop;

/// <summary>The plan editor's form as posted; checkboxes and per-staff texts arrive as dictionaries keyed by weekday or staff id.</summary>
public sealed class SopPlanForm
{
    public string? Name { get; set; }
    public string? Status { get; set; }
    public string? StartsAt { get; set; }
    public string? EndsAt { get; set; }
    public string? GroupTags { get; set; }
    public string? WecomTasks { get; set; }
    public Dictionary<string, string> Staff { get; set; } = [];
    public List<SopEntryForm> Entries { get; set; } = [];

    /// <summary>The form binder leaves collections it found no fields for as null.</summary>
    internal SopPlanForm Normalized()
    {
        Staff ??= [];
        Entries ??= [];
        foreach (var entry in Entries)
        {
            entry.Days ??= [];
            entry.Variations ??= [];
        }

        return this;
    }

    internal SopPlanInput ToInput(string kind, TimeZoneInfo zone) => new()
    {
        Kind = kind, Name = Name, Status = Status,
        StartsAt = FormValues.LocalTime(StartsAt, zone, "startsAt"), EndsAt = FormValues.LocalTime(EndsAt, zone, "endsAt"),
        GroupTags = (GroupTags ?? "").Split([',', '，', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        StaffIds = Staff.Where(s => s.Value.Length > 0).Select(s => Guid.TryParse(s.Key, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).ToList(),
        WecomTasks = WecomTasks is not null,
        Entries = Entries.Where(e => !string.IsNullOrWhiteSpace(e.Time)).Select(e => e.ToInput(kind)).ToList(),
    };

    internal static SopPlanForm Of(SopPlan plan, TimeZoneInfo zone) => new()
    {
        Name = plan.Name, Status = plan.Status, StartsAt = FormValues.Local(plan.StartsAt, zone), EndsAt = plan.EndsAt is { } end ? FormValues.Local(end, zone) : null,
        GroupTags = string.Join(", ", plan.GroupTags), WecomTasks = plan.WecomTasks ? "on" : null,
        Staff = plan.StaffIds.ToDictionary(id => id.ToString(), _ => "on"),
        Entries = plan.Entries.Select(e => new SopEntryForm
        {
            Id = e.Id.ToString(), Time = e.Time, Title = e.Title, Text = e.Text, ContentId = e.ContentId?.ToString(),
            DayOffset = e.DayOffset.ToString(CultureInfo.InvariantCulture),
            Days = e.WeekdayList.ToDictionary(d => d.ToString(CultureInfo.InvariantCulture), _ => "on"),
            Variations = e.Variations.ToDictionary(v => v.Key.ToString(), v => v.Value),
        }).ToList(),
    };
}

public sealed class SopEntryForm
{
    public string? Id { get; set; }
    public string? Time { get; set; }
    public string? DayOffset { get; set; }
    public string? Title { get; set; }
    public string? Text { get; set; }
    public string? ContentId { get; set; }
    public Dictionary<string, string> Days { get; set; } = [];
    public Dictionary<string, string> Variations { get; set; } = [];

    internal SopEntryInput ToInput(string kind) => new()
    {
        Id = Guid.TryParse(Id, out var id) ? id : null,
        Time = Time, Title = Title, Text = Text,
        ContentId = Guid.TryParse(ContentId, out var content) ? content : null,
        DayOffset = kind == SopKinds.Customer ? FormValues.Int(DayOffset, "dayOffset") ?? 0 : null,
        Weekdays = Days.Where(d => d.Value.Length > 0).Select(d => int.TryParse(d.Key, CultureInfo.InvariantCulture, out var n) ? n : 0).ToList(),
        Variations = Variations.Where(v => !string.IsNullOrWhiteSpace(v.Value) && Guid.TryParse(v.Key, out _)).ToDictionary(v => Guid.Parse(v.Key), v => v.Value),
    };
}

/// <summary>The task list's one-click buttons post "done:{id}" or "skip:{id}".</summary>
public sealed class TaskActionForm
{
    public string? Op { get; set; }
}

/// <summary>How SOP and task pages name kinds, states and weekdays.</summary>
internal static class SopDisplay
{
    public static string Kind(Localization.Text t, string kind) => kind switch
    {
        SopKinds.Group => t["Group SOP"],
        SopKinds.Moments => t["Moments SOP"],
        SopKinds.Customer => t["Customer SOP"],
        _ => kind,
    };

    public static string KindBadge(string kind) => kind switch
    {
        SopKinds.Group or StaffTaskKinds.GroupSop => "badge-community",
        SopKinds.Moments or StaffTaskKinds.MomentsSop => "badge-fan",
        SopKinds.Customer or StaffTaskKinds.CustomerSop => "badge-friend",
        _ => "badge-muted",
    };

    public static string TaskKind(Localization.Text t, string kind) => kind switch
    {
        StaffTaskKinds.GroupSop => t["Group SOP"],
        StaffTaskKinds.MomentsSop => t["Moments SOP"],
        StaffTaskKinds.CustomerSop => t["Customer SOP"],
        StaffTaskKinds.FollowUp => t["Follow-up"],
        _ => kind,
    };

    public static string Status(Localization.Text t, string status) => status switch
    {
        SopStatuses.Active => t["Running"],
        SopStatuses.Paused => t["Paused"],
        _ => status,
    };

    public static string TaskState(Localization.Text t, string state) => state switch
    {
        StaffTaskStates.Open => t["To do"],
        StaffTaskStates.Done => t["Done"],
        StaffTaskStates.Skipped => t["Skipped"],
        _ => state,
    };

    public static string Weekday(Localization.Text t, int iso) => iso switch
    {
        1 => t["Mon"], 2 => t["Tue"], 3 => t["Wed"], 4 => t["Thu"], 5 => t["Fri"], 6 => t["Sat"], _ => t["Sun"],
    };

    public static string When(Localization.Text t, SopPlan plan, SopEntry entry) =>
        plan.Kind == SopKinds.Customer
            ? t["Day {0}, {1}", entry.DayOffset, entry.Time]
            : entry.Weekdays == SopSchedule.EveryDay
                ? t["Every day {0}", entry.Time]
                : string.Join(" ", entry.WeekdayList.Select(d => Weekday(t, d))) + " " + entry.Time;

    public static string Percent(double share) => (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
