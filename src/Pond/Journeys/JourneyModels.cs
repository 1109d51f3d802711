using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Pond.Journeys;

public static class JourneyStatuses
{
    /// <summary>Never published: nobody enters.</summary>
    public const string Draft = "draft";

    /// <summary>Published: the trigger enters customers into the live version.</summary>
    public const string Live = "live";

    /// <summary>Nobody new enters; customers in flight carry on.</summary>
    public const string Paused = "paused";

    /// <summary>Stopped: customers in flight leave at once.</summary>
    public const string Archived = "archived";
}

public static class TriggerKinds
{
    /// <summary>An event with this name (and matching properties) enters the customer.</summary>
    public const string Event = "event";

    /// <summary>Entering a segment enters the customer.</summary>
    public const string Segment = "segment";

    /// <summary>A date: the customer's birthday trait, or N days after their first order, at a time of day in the workspace's zone.</summary>
    public const string Date = "date";

    /// <summary>No event of this name for N days (since the customer was first seen, or since their last such event).</summary>
    public const string Inactivity = "inactivity";

    /// <summary>Only by hand or through the API (a segment or a list of customers).</summary>
    public const string Manual = "manual";

    public static readonly IReadOnlyList<string> All = [Event, Segment, Date, Inactivity, Manual];
}

public static class DateTraits
{
    /// <summary>The customer's birthday trait (YYYY-MM-DD or MM-DD): every year.</summary>
    public const string Birthday = "birthday";

    /// <summary>The customer's first order: once.</summary>
    public const string FirstOrder = "first_order";

    public static readonly IReadOnlyList<string> All = [Birthday, FirstOrder];
}

public static class ReentryPolicies
{
    public const string Never = "never";

    /// <summary>Again once N days have passed since the previous run entered.</summary>
    public const string After = "after";

    /// <summary>Every trigger occurrence enters (never two runs in flight at once).</summary>
    public const string Always = "always";

    public static readonly IReadOnlyList<string> All = [Never, After, Always];
}

public static class StepKinds
{
    /// <summary>Wait a duration.</summary>
    public const string Wait = "wait";

    /// <summary>Wait until the next time of day (HH:mm) in the customer's zone.</summary>
    public const string WaitUntil = "wait_until";

    /// <summary>Wait for an event; go to <c>next</c> when it happens, to <c>timeoutNext</c> when the timeout passes first.</summary>
    public const string WaitForEvent = "wait_for_event";

    /// <summary>Go to <c>yes</c> or <c>no</c> by a condition.</summary>
    public const string Condition = "condition";

    /// <summary>Go to one of several branches by percentage, the same branch for the same customer every time.</summary>
    public const string Random = "random";

    public const string Coupon = "coupon";

    /// <summary>Add points (positive) or take them away (negative, never below zero).</summary>
    public const string Points = "points";

    /// <summary>Add a tag, or remove it when <c>remove</c> is true.</summary>
    public const string Tag = "tag";

    public const string Trait = "trait";

    /// <summary>A task for a staff member (the customer's owner unless one is named), optionally with content to send.</summary>
    public const string Task = "task";

    /// <summary>A message through a channel, via the outbox and its respect rules.</summary>
    public const string Message = "message";

    /// <summary>A signed HTTP POST through the outbox's webhook channel.</summary>
    public const string Webhook = "webhook";

    public const string Exit = "exit";

    public static readonly IReadOnlyList<string> All = [Wait, WaitUntil, WaitForEvent, Condition, Random, Coupon, Points, Tag, Trait, Task, Message, Webhook, Exit];

    /// <summary>Kinds that hold the customer until a time: the engine stops there and stores the run.</summary>
    public static bool Waits(string kind) => kind is Wait or WaitUntil or WaitForEvent;
}

public static class ConditionKinds
{
    public const string Segment = "segment";
    public const string Trait = "trait";
    public const string Tag = "tag";

    /// <summary>Whether the customer did an event since entering the journey.</summary>
    public const string Event = "event";

    public static readonly IReadOnlyList<string> All = [Segment, Trait, Tag, Event];
}

public static class FilterOps
{
    public static readonly IReadOnlyList<string> All = ["eq", "neq", "gt", "gte", "lt", "lte", "contains", "exists"];
}

/// <summary>A journey's graph and rules, as stored in drafts and versions and sent over the API (camelCase JSON).</summary>
public sealed class JourneyDefinition
{
    public JourneyTrigger Trigger { get; set; } = new();
    public JourneyReentry Reentry { get; set; } = new();

    /// <summary>Reaching the goal (an event) leaves the journey at once, counted as a conversion.</summary>
    public JourneyGoal? Goal { get; set; }

    /// <summary>The id of the first step.</summary>
    public string? Start { get; set; }

    public List<JourneyStep> Steps { get; set; } = [];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static JourneyDefinition FromJson(string json) => JsonSerializer.Deserialize<JourneyDefinition>(json, Json) ?? new JourneyDefinition();

    public JourneyStep? Step(string? id) => id is null ? null : Steps.Find(s => s.Id == id);
}

public sealed class JourneyTrigger
{
    public string Kind { get; set; } = TriggerKinds.Manual;

    /// <summary>event: the event's name; inactivity: the event whose absence counts (default Order Completed).</summary>
    public string? Event { get; set; }

    /// <summary>event: property filters the event must match, all of them.</summary>
    public List<PropertyFilter>? Where { get; set; }

    public Guid? SegmentId { get; set; }

    /// <summary>date: birthday or first_order.</summary>
    public string? DateTrait { get; set; }

    /// <summary>date: days after the date (0 = on the day); inactivity: days without the event.</summary>
    public int? Days { get; set; }

    /// <summary>date: the time of day (HH:mm, workspace zone) customers enter; default 10:00.</summary>
    public string? At { get; set; }
}

public sealed class JourneyReentry
{
    public string Policy { get; set; } = ReentryPolicies.Never;

    /// <summary>after: days since the previous run entered.</summary>
    public int? Days { get; set; }
}

public sealed class JourneyGoal
{
    public string Event { get; set; } = "";
    public List<PropertyFilter>? Where { get; set; }
}

public sealed class PropertyFilter
{
    public string Property { get; set; } = "";
    public string Op { get; set; } = "eq";
    public JsonNode? Value { get; set; }
}

/// <summary>Days, hours and minutes, added together.</summary>
public sealed class JourneyDuration
{
    public int? Days { get; set; }
    public int? Hours { get; set; }
    public int? Minutes { get; set; }

    [JsonIgnore]
    public TimeSpan Span => TimeSpan.FromDays(Days ?? 0) + TimeSpan.FromHours(Hours ?? 0) + TimeSpan.FromMinutes(Minutes ?? 0);
}

public sealed class JourneyCondition
{
    public string Kind { get; set; } = ConditionKinds.Segment;
    public Guid? SegmentId { get; set; }
    public string? Trait { get; set; }
    public string? Op { get; set; }
    public JsonNode? Value { get; set; }
    public string? Tag { get; set; }
    public string? Event { get; set; }
    public List<PropertyFilter>? Where { get; set; }
}

public sealed class RandomBranch
{
    public string? Label { get; set; }
    public int Percent { get; set; }
    public string? Next { get; set; }
}

/// <summary>
/// One step. The fields a step uses depend on its kind (see <see cref="StepKinds"/>); <see cref="JourneyValidator"/>
/// names any that are missing. <c>next</c> left empty ends the journey after the step.
/// </summary>
public sealed class JourneyStep
{
    public string Id { get; set; } = "";
    public string Kind { get; set; } = "";

    /// <summary>The label the editor shows.</summary>
    public string? Name { get; set; }

    public string? Next { get; set; }

    /// <summary>Where the editor draws the step (x, y); the engine ignores it.</summary>
    public double[]? Position { get; set; }

    // wait, wait_for_event (timeout)
    public JourneyDuration? Duration { get; set; }

    // wait_until: HH:mm in the customer's zone
    public string? Time { get; set; }

    // wait_for_event
    public string? Event { get; set; }
    public List<PropertyFilter>? Where { get; set; }
    public string? TimeoutNext { get; set; }

    // condition
    public JourneyCondition? Condition { get; set; }
    public string? Yes { get; set; }
    public string? No { get; set; }

    // random
    public List<RandomBranch>? Branches { get; set; }

    // coupon
    public Guid? TemplateId { get; set; }

    // points
    public long? Points { get; set; }
    public string? Reason { get; set; }

    // tag
    public string? Tag { get; set; }
    public bool? Remove { get; set; }

    // trait
    public string? Trait { get; set; }
    public JsonNode? Value { get; set; }

    // task
    public string? Title { get; set; }
    public Guid? StaffId { get; set; }
    public int? DueHours { get; set; }

    // task, message
    public string? Text { get; set; }
    public Guid? ContentId { get; set; }

    // message
    public string? Channel { get; set; }
    public string? Subject { get; set; }

    /// <summary>message: marketing (default; respect rules apply) or transactional.</summary>
    public string? Purpose { get; set; }

    // webhook
    public string? Url { get; set; }

    /// <summary>Every step another step can go to from this one.</summary>
    [JsonIgnore]
    public IEnumerable<string> Exits
    {
        get
        {
            if (Next is not null) yield return Next;
            if (TimeoutNext is not null) yield return TimeoutNext;
            if (Yes is not null) yield return Yes;
            if (No is not null) yield return No;
            foreach (var branch in Branches ?? [])
                if (branch.Next is not null)
                    yield return branch.Next;
        }
    }
}

/// <summary>A journey as the API shows it.</summary>
public sealed record Journey
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string? Description { get; init; }
    public string Status { get; init; } = JourneyStatuses.Draft;
    public JourneyDefinition Draft { get; init; } = new();

    /// <summary>What would stop the draft from being published; empty when it is ready.</summary>
    public IReadOnlyList<JourneyProblem> Problems { get; init; } = [];

    public int? LiveVersion { get; init; }

    /// <summary>Whether the draft differs from the live version.</summary>
    public bool DraftChanged { get; init; }

    public string? Template { get; init; }
    public Guid? TestCustomerId { get; init; }
    public IReadOnlyList<JourneyVersionInfo> Versions { get; init; } = [];
    public JourneyTotals Totals { get; init; } = new();
    public string? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

public sealed record JourneyProblem(string Field, string Message);

public sealed record JourneyVersionInfo(int Version, string? PublishedBy, DateTimeOffset PublishedAt);

public sealed class JourneyTotals
{
    public long Entered { get; init; }
    public long Waiting { get; init; }
    public long Completed { get; init; }
    public long Converted { get; init; }
    public long Exited { get; init; }
}

/// <summary>What a caller sends to create a journey or replace its draft.</summary>
public sealed class JourneyInput
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    public JsonElement? Definition { get; set; }
    public Guid? TestCustomerId { get; set; }
}
