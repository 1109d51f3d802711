using Pond.Journeys;
using Pond.Server.Localization;

namespace Pond.Server.Components.Pages.Journeys;

/// <summary>The journey console's words for statuses, step kinds, outcomes and triggers, shared by its pages and scripts.</summary>
internal static class JourneyDisplay
{
    public static string Status(Text t, string status) => status switch
    {
        JourneyStatuses.Draft => t["Draft"],
        JourneyStatuses.Live => t["Running"],
        JourneyStatuses.Paused => t["Paused"],
        JourneyStatuses.Archived => t["Archived"],
        _ => status,
    };

    public static string StatusBadge(string status) => status switch
    {
        JourneyStatuses.Live => "badge-ok",
        JourneyStatuses.Paused => "badge-warn",
        _ => "badge-muted",
    };

    public static string Kind(Text t, string kind) => kind switch
    {
        StepKinds.Wait => t["Wait"],
        StepKinds.WaitUntil => t["Wait until a time"],
        StepKinds.WaitForEvent => t["Wait for an event"],
        StepKinds.Condition => t["Condition split"],
        StepKinds.Random => t["Random split"],
        StepKinds.Coupon => t["Issue a coupon"],
        StepKinds.Points => t["Points"],
        StepKinds.Tag => t["Tag"],
        StepKinds.Trait => t["Set a trait"],
        StepKinds.Task => t["Staff task"],
        StepKinds.Message => t["Send a message"],
        StepKinds.Webhook => t["Webhook"],
        StepKinds.Exit => t["Exit"],
        _ => kind,
    };

    public static string Trigger(Text t, JourneyTrigger trigger) => trigger.Kind switch
    {
        TriggerKinds.Event => t["Event {0}", trigger.Event ?? ""],
        TriggerKinds.Segment => t["Entering a segment"],
        TriggerKinds.Date => trigger.DateTrait == DateTraits.Birthday ? t["Birthday"] : t["Days after the first order"],
        TriggerKinds.Inactivity => t["No {0} for {1} days", trigger.Event ?? "Order Completed", trigger.Days ?? 0],
        _ => t["Manual or API enrolment"],
    };

    public static string TriggerKind(Text t, string kind) => kind switch
    {
        TriggerKinds.Event => t["An event"],
        TriggerKinds.Segment => t["Entering a segment"],
        TriggerKinds.Date => t["A date"],
        TriggerKinds.Inactivity => t["Inactivity"],
        _ => t["Manual or API enrolment"],
    };

    public static string RunState(Text t, string state) => state switch
    {
        RunStates.Waiting => t["Waiting"],
        RunStates.Completed => t["Completed"],
        RunStates.Converted => t["Converted"],
        RunStates.Exited => t["Exited"],
        _ => state,
    };

    public static string EndReason(Text t, string? reason) => reason switch
    {
        null => "",
        "goal" => t["reached the goal"],
        "horizon" => t["still waiting when the simulation stopped"],
        "exit_step" => t["an exit step"],
        "archived" => t["the journey was archived"],
        _ => reason,
    };

    public static string Channel(Text t, string channel) => channel switch
    {
        "wecom_message" => t["WeCom 1:1 message task"],
        "wecom_group_message" => t["WeCom group message task"],
        "wecom_welcome" => t["WeCom welcome message"],
        "sms" => t["SMS"],
        "email" => t["Email"],
        "webhook" => t["Webhook"],
        "inbox" => t["Console inbox"],
        _ => channel,
    };

    /// <summary>The names the scripts show: step kinds, exits, outcomes.</summary>
    public static Dictionary<string, object> GraphLabels(Text t) => new()
    {
        ["kinds"] = StepKinds.All.ToDictionary(k => k, k => Kind(t, k)),
        ["yes"] = t["Yes"].Value,
        ["no"] = t["No"].Value,
        ["happened"] = t["Happened"].Value,
        ["timeout"] = t["Timed out"].Value,
        ["next"] = t["Next step"].Value,
        ["start"] = t["Start"].Value,
        ["waiting"] = t["Waiting"].Value,
        ["outcomes"] = new Dictionary<string, string>
        {
            ["waited"] = t["waited"], ["event"] = t["event came"], ["timeout"] = t["timed out"], ["yes"] = t["yes"], ["no"] = t["no"],
            ["issued"] = t["issued"], ["queued"] = t["queued"], ["added"] = t["added"], ["removed"] = t["removed"], ["unchanged"] = t["unchanged"],
            ["set"] = t["set"], ["created"] = t["created"], ["failed"] = t["failed"], ["skipped"] = t["skipped"], ["exit"] = t["exit"],
        },
    };
}
