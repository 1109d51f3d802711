namespace Pond.Sop;

/// <summary>The three kinds of SOP plan (标准作业).</summary>
public static class SopKinds
{
    /// <summary>A calendar for group chats with given tags: entries at times of day on chosen weekdays.</summary>
    public const string Group = "group";

    /// <summary>Moments (朋友圈) posts across staff accounts, with per-account variations of the text.</summary>
    public const string Moments = "moments";

    /// <summary>Day 0, 1, 3, 7… after a customer adds a staff account.</summary>
    public const string Customer = "customer";

    public static readonly IReadOnlyList<string> All = [Group, Moments, Customer];
}

public static class SopStatuses
{
    public const string Active = "active";
    public const string Paused = "paused";

    public static readonly IReadOnlyList<string> All = [Active, Paused];
}

/// <summary>An SOP plan with its entries.</summary>
internal sealed class SopPlan
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public string Kind { get; init; } = "";
    public string Name { get; init; } = "";
    public string Status { get; init; } = "";
    public DateTimeOffset StartsAt { get; init; }
    public DateTimeOffset? EndsAt { get; init; }
    public IReadOnlyList<string> GroupTags { get; set; } = [];
    public IReadOnlyList<Guid> StaffIds { get; set; } = [];
    public bool WecomTasks { get; init; }
    public DateTimeOffset SweptThrough { get; init; }
    public string? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public IReadOnlyList<SopEntry> Entries { get; set; } = [];
}

/// <summary>One line of a plan: when it fires and what the staff member sends or posts.</summary>
internal sealed class SopEntry
{
    public Guid Id { get; init; }
    public Guid PlanId { get; init; }
    public int Position { get; init; }

    /// <summary>Minutes after local midnight in the workspace's zone.</summary>
    public int MinuteOfDay { get; init; }

    /// <summary>Bitmask Monday = 1 … Sunday = 64; 0 = every day (group and moments plans).</summary>
    public int Weekdays { get; init; }

    /// <summary>Days after the customer added the staff account (customer plans).</summary>
    public int DayOffset { get; init; }

    public string Title { get; init; } = "";
    public string? Text { get; init; }
    public Guid? ContentId { get; init; }

    /// <summary>Per staff member's text (moments plans); a staff member without one posts <see cref="Text"/>.</summary>
    public IReadOnlyDictionary<Guid, string> Variations { get; set; } = new Dictionary<Guid, string>();

    public string Time => $"{MinuteOfDay / 60:00}:{MinuteOfDay % 60:00}";

    public IReadOnlyList<int> WeekdayList => SopSchedule.WeekdaysOf(Weekdays);

    public string TextFor(Guid staffId) => Variations.TryGetValue(staffId, out var text) ? text : Text ?? "";
}

/// <summary>What a caller sends to create or replace a plan.</summary>
internal sealed class SopPlanInput
{
    /// <summary>group, moments or customer.</summary>
    public string? Kind { get; set; }

    public string? Name { get; set; }

    /// <summary>active (default) or paused.</summary>
    public string? Status { get; set; }

    /// <summary>The window; left out, the plan starts now and runs until paused.</summary>
    public DateTimeOffset? StartsAt { get; set; }

    public DateTimeOffset? EndsAt { get; set; }

    /// <summary>Group plans: the plan serves every group chat carrying any of these tags.</summary>
    public IReadOnlyList<string>? GroupTags { get; set; }

    /// <summary>Moments plans: the staff accounts that post. Customer plans: only customers of these staff (empty = all).</summary>
    public IReadOnlyList<Guid>? StaffIds { get; set; }

    /// <summary>Also create WeCom group / 1:1 message tasks through the outbox where WeCom can do it (default true).</summary>
    public bool? WecomTasks { get; set; }

    public IReadOnlyList<SopEntryInput>? Entries { get; set; }
}

internal sealed class SopEntryInput
{
    /// <summary>An existing entry's id keeps its identity (and the tasks it already created for today).</summary>
    public Guid? Id { get; set; }

    /// <summary>HH:mm, local to the workspace.</summary>
    public string? Time { get; set; }

    /// <summary>ISO weekdays 1 (Monday) … 7 (Sunday); empty or left out = every day.</summary>
    public IReadOnlyList<int>? Weekdays { get; set; }

    /// <summary>Customer plans: days after adding (0 = the day they added).</summary>
    public int? DayOffset { get; set; }

    public string? Title { get; set; }
    public string? Text { get; set; }
    public Guid? ContentId { get; set; }

    /// <summary>Moments plans: staff id → that account's own text.</summary>
    public IReadOnlyDictionary<Guid, string>? Variations { get; set; }
}

/// <summary>One time an entry fires, for one target (a group, a staff account, a customer).</summary>
internal sealed record SopOccurrence(
    Guid PlanId, string PlanName, string Kind, Guid EntryId, string EntryTitle, DateTimeOffset At, DateOnly LocalDate, Guid? StaffId, string? StaffName,
    Guid? CustomerId, string? CustomerName, string? GroupChatId, string? GroupName, string Text, Guid? ContentId, Guid? GroupCarrierId, bool WeComCapable);

/// <summary>A group chat (carrier of kind group_chat) with its owner and tags.</summary>
internal sealed class SopGroup
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string ExternalId { get; init; } = "";
    public string Status { get; init; } = "";
    public Guid? OwnerStaffId { get; init; }
    public string? OwnerStaffName { get; init; }
    public string? OwnerWecomUserId { get; init; }
    public IReadOnlyList<string> Tags { get; set; } = [];
}
