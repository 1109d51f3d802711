using System.Globalization;
using System.Text.RegularExpressions;
using Pond.Messaging;

namespace Pond.Journeys;

/// <summary>
/// Checks a journey definition's shape: every step has what its kind needs, every exit names a step, every step is
/// reachable from the start and no path loops back (a run takes each step at most once). Field paths are JSON-pointer
/// like (<c>steps/2/templateId</c>) so the editor can point at the step.
/// </summary>
public static partial class JourneyValidator
{
    public const int MaxSteps = 200;
    public const int MaxWaitDays = 730;
    public const int MaxTextLength = 4000;

    public static IReadOnlyList<JourneyProblem> Check(JourneyDefinition definition)
    {
        var problems = new List<JourneyProblem>();
        void Problem(string field, string message) => problems.Add(new JourneyProblem(field, message));

        CheckTrigger(definition.Trigger, Problem);
        var reentry = definition.Reentry;
        if (!ReentryPolicies.All.Contains(reentry.Policy))
            Problem("reentry/policy", $"reentry policy must be one of {string.Join(", ", ReentryPolicies.All)}.");
        else if (reentry.Policy == ReentryPolicies.After && reentry.Days is not (>= 1 and <= MaxWaitDays))
            Problem("reentry/days", $"reentry after N days needs days between 1 and {MaxWaitDays}.");
        if (definition.Goal is { } goal)
        {
            if (string.IsNullOrWhiteSpace(goal.Event))
                Problem("goal/event", "A goal names the event that counts as a conversion (for example Order Completed); remove the goal to have none.");
            CheckFilters(goal.Where, "goal/where", Problem);
        }

        var steps = definition.Steps;
        if (steps.Count == 0)
        {
            Problem("steps", "A journey needs at least one step.");
            return problems;
        }

        if (steps.Count > MaxSteps)
            Problem("steps", $"A journey has at most {MaxSteps} steps.");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var at = $"steps/{i}";
            if (string.IsNullOrWhiteSpace(step.Id) || step.Id.Length > 40 || !StepId().IsMatch(step.Id))
                Problem($"{at}/id", "A step id is 1 to 40 letters, digits, '-' or '_'.");
            else if (!ids.Add(step.Id))
                Problem($"{at}/id", $"Two steps have the id '{step.Id}'; ids must be unique.");
            CheckStep(step, at, Problem);
        }

        for (var i = 0; i < steps.Count; i++)
            foreach (var exit in steps[i].Exits.Where(e => !ids.Contains(e)))
                Problem($"steps/{i}", $"Step '{steps[i].Id}' goes to '{exit}', which is not a step of this journey.");

        if (string.IsNullOrWhiteSpace(definition.Start) || !ids.Contains(definition.Start))
        {
            Problem("start", "start must name the journey's first step.");
            return problems;
        }

        if (problems.Count == 0)
            CheckGraph(definition, Problem);
        return problems;
    }

    private static void CheckTrigger(JourneyTrigger trigger, Action<string, string> problem)
    {
        switch (trigger.Kind)
        {
            case TriggerKinds.Event:
                if (string.IsNullOrWhiteSpace(trigger.Event))
                    problem("trigger/event", "An event trigger names the event (for example Signed Up).");
                CheckFilters(trigger.Where, "trigger/where", problem);
                break;
            case TriggerKinds.Segment:
                if (trigger.SegmentId is null)
                    problem("trigger/segmentId", "A segment trigger names the segment whose new members enter.");
                break;
            case TriggerKinds.Date:
                if (trigger.DateTrait is null || !DateTraits.All.Contains(trigger.DateTrait))
                    problem("trigger/dateTrait", $"A date trigger's dateTrait is one of {string.Join(", ", DateTraits.All)}.");
                if (trigger.Days is not null and not (>= 0 and <= MaxWaitDays))
                    problem("trigger/days", $"days after the date is between 0 and {MaxWaitDays}.");
                if (trigger.At is not null && !TryTime(trigger.At, out _))
                    problem("trigger/at", "at is a time of day as HH:mm, for example 10:00.");
                break;
            case TriggerKinds.Inactivity:
                if (trigger.Days is not (>= 1 and <= MaxWaitDays))
                    problem("trigger/days", $"An inactivity trigger needs days between 1 and {MaxWaitDays}.");
                break;
            case TriggerKinds.Manual:
                break;
            default:
                problem("trigger/kind", $"trigger kind must be one of {string.Join(", ", TriggerKinds.All)}.");
                break;
        }
    }

    private static void CheckStep(JourneyStep step, string at, Action<string, string> problem)
    {
        switch (step.Kind)
        {
            case StepKinds.Wait:
                CheckDuration(step.Duration, $"{at}/duration", problem, required: true);
                break;
            case StepKinds.WaitUntil:
                if (step.Time is null || !TryTime(step.Time, out _))
                    problem($"{at}/time", "A wait-until step needs a time of day as HH:mm, for example 08:00.");
                break;
            case StepKinds.WaitForEvent:
                if (string.IsNullOrWhiteSpace(step.Event))
                    problem($"{at}/event", "A wait-for-event step names the event it waits for.");
                CheckFilters(step.Where, $"{at}/where", problem);
                CheckDuration(step.Duration, $"{at}/duration", problem, required: true);
                break;
            case StepKinds.Condition:
                CheckCondition(step.Condition, $"{at}/condition", problem);
                break;
            case StepKinds.Random:
                if (step.Branches is not { Count: >= 2 and <= 10 })
                    problem($"{at}/branches", "A random split has 2 to 10 branches.");
                else if (step.Branches.Any(b => b.Percent is < 1 or > 99) || step.Branches.Sum(b => b.Percent) != 100)
                    problem($"{at}/branches", $"Branch percentages are 1 to 99 and add up to 100 (now {step.Branches.Sum(b => b.Percent)}).");
                break;
            case StepKinds.Coupon:
                if (step.TemplateId is null)
                    problem($"{at}/templateId", "A coupon step names the coupon template to issue.");
                break;
            case StepKinds.Points:
                if (step.Points is null or 0 || Math.Abs(step.Points.Value) > 10_000_000)
                    problem($"{at}/points", "points is a whole number, positive to add or negative to take away, at most 10,000,000.");
                break;
            case StepKinds.Tag:
                if (string.IsNullOrWhiteSpace(step.Tag) || step.Tag.Length > 50)
                    problem($"{at}/tag", "A tag step names the tag (1 to 50 characters).");
                break;
            case StepKinds.Trait:
                if (string.IsNullOrWhiteSpace(step.Trait) || step.Trait.Length > 64)
                    problem($"{at}/trait", "A trait step names the trait (1 to 64 characters).");
                break;
            case StepKinds.Task:
                if (string.IsNullOrWhiteSpace(step.Title) || step.Title.Length > 200)
                    problem($"{at}/title", "A task step has a title (1 to 200 characters) the staff member sees.");
                if (step.DueHours is not null and not (>= 0 and <= 24 * 90))
                    problem($"{at}/dueHours", "dueHours is between 0 and 2160.");
                CheckText(step.Text, $"{at}/text", problem, required: false);
                break;
            case StepKinds.Message:
                if (step.Channel is null || !OutboxChannels.Outbound.Contains(step.Channel) || step.Channel == OutboxChannels.Webhook)
                    problem($"{at}/channel", $"channel is one of {string.Join(", ", OutboxChannels.Outbound.Where(c => c != OutboxChannels.Webhook))}.");
                if (step.Purpose is not null and not (MessagePurposes.Marketing or MessagePurposes.Transactional))
                    problem($"{at}/purpose", "purpose is marketing or transactional.");
                if (step.ContentId is null)
                    CheckText(step.Text, $"{at}/text", problem, required: true);
                else
                    CheckText(step.Text, $"{at}/text", problem, required: false);
                if (step.Subject is { Length: > 200 })
                    problem($"{at}/subject", "subject is at most 200 characters.");
                break;
            case StepKinds.Webhook:
                if (!Uri.TryCreate(step.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                    problem($"{at}/url", "A webhook step needs an absolute http(s) URL.");
                break;
            case StepKinds.Exit:
                if (step.Exits.Any())
                    problem($"{at}/next", "An exit step ends the journey; it has no next step.");
                break;
            default:
                problem($"{at}/kind", $"step kind must be one of {string.Join(", ", StepKinds.All)}.");
                return;
        }

        if (step.Kind is not StepKinds.WaitForEvent && step.TimeoutNext is not null)
            problem($"{at}/timeoutNext", "Only a wait-for-event step has a timeout branch.");
        if (step.Kind is not StepKinds.Condition && (step.Yes is not null || step.No is not null))
            problem($"{at}/yes", "Only a condition step has yes and no branches.");
        if (step.Kind is StepKinds.Condition or StepKinds.Random && step.Next is not null)
            problem($"{at}/next", "A split goes on through its branches, not next.");
        if (step.Kind is not StepKinds.Random && step.Branches is not null)
            problem($"{at}/branches", "Only a random split has branches.");
    }

    private static void CheckCondition(JourneyCondition? condition, string at, Action<string, string> problem)
    {
        if (condition is null)
        {
            problem(at, "A condition step needs a condition.");
            return;
        }

        switch (condition.Kind)
        {
            case ConditionKinds.Segment:
                if (condition.SegmentId is null)
                    problem($"{at}/segmentId", "A segment condition names the segment.");
                break;
            case ConditionKinds.Trait:
                if (string.IsNullOrWhiteSpace(condition.Trait))
                    problem($"{at}/trait", "A trait condition names the trait.");
                if (condition.Op is null || !FilterOps.All.Contains(condition.Op))
                    problem($"{at}/op", $"op is one of {string.Join(", ", FilterOps.All)}.");
                break;
            case ConditionKinds.Tag:
                if (string.IsNullOrWhiteSpace(condition.Tag))
                    problem($"{at}/tag", "A tag condition names the tag.");
                break;
            case ConditionKinds.Event:
                if (string.IsNullOrWhiteSpace(condition.Event))
                    problem($"{at}/event", "An event condition names the event done since entering the journey.");
                CheckFilters(condition.Where, $"{at}/where", problem);
                break;
            default:
                problem($"{at}/kind", $"condition kind must be one of {string.Join(", ", ConditionKinds.All)}.");
                break;
        }
    }

    private static void CheckFilters(List<PropertyFilter>? filters, string at, Action<string, string> problem)
    {
        for (var i = 0; i < (filters?.Count ?? 0); i++)
        {
            var filter = filters![i];
            if (string.IsNullOrWhiteSpace(filter.Property))
                problem($"{at}/{i}/property", "A property filter names the property.");
            if (!FilterOps.All.Contains(filter.Op))
                problem($"{at}/{i}/op", $"op is one of {string.Join(", ", FilterOps.All)}.");
            else if (filter.Op != "exists" && filter.Value is null)
                problem($"{at}/{i}/value", $"The '{filter.Op}' filter needs a value.");
        }
    }

    private static void CheckDuration(JourneyDuration? duration, string at, Action<string, string> problem, bool required)
    {
        if (duration is null)
        {
            if (required)
                problem(at, "Give a duration in days, hours and/or minutes.");
            return;
        }

        if (duration.Days is < 0 || duration.Hours is < 0 || duration.Minutes is < 0)
            problem(at, "A duration cannot be negative.");
        else if (duration.Span <= TimeSpan.Zero)
            problem(at, "A duration is at least one minute.");
        else if (duration.Span > TimeSpan.FromDays(MaxWaitDays))
            problem(at, $"A duration is at most {MaxWaitDays} days.");
    }

    private static void CheckText(string? text, string at, Action<string, string> problem, bool required)
    {
        if (required && string.IsNullOrWhiteSpace(text))
            problem(at, "Write the text to send, or pick content from the library.");
        else if (text is { Length: > MaxTextLength })
            problem(at, $"The text is at most {MaxTextLength} characters.");
    }

    /// <summary>Every step reachable from the start, and no cycles (depth-first search with colours).</summary>
    private static void CheckGraph(JourneyDefinition definition, Action<string, string> problem)
    {
        var byId = definition.Steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var colour = new Dictionary<string, int>(StringComparer.Ordinal);
        string? cycle = null;
        var stack = new Stack<(string Id, IEnumerator<string> Exits)>();
        stack.Push((definition.Start!, byId[definition.Start!].Exits.GetEnumerator()));
        colour[definition.Start!] = 1;
        while (stack.Count > 0 && cycle is null)
        {
            var (id, exits) = stack.Peek();
            if (!exits.MoveNext())
            {
                colour[id] = 2;
                stack.Pop();
                continue;
            }

            var next = exits.Current;
            switch (colour.GetValueOrDefault(next))
            {
                case 0:
                    colour[next] = 1;
                    stack.Push((next, byId[next].Exits.GetEnumerator()));
                    break;
                case 1:
                    cycle = $"{id} → {next}";
                    break;
            }
        }

        if (cycle is not null)
            problem("steps", $"The steps loop back ({cycle}); a journey's steps must not form a cycle.");
        for (var i = 0; i < definition.Steps.Count; i++)
            if (!colour.ContainsKey(definition.Steps[i].Id))
                problem($"steps/{i}", $"Step '{definition.Steps[i].Id}' cannot be reached from the start; connect it or delete it.");
    }

    public static bool TryTime(string text, out TimeOnly time) =>
        TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out time);

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex StepId();
}
