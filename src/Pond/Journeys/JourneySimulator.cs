using System.Text.Json.Nodes;
using Dapper;
using Pond.Messaging;
using Pond.Storage;

namespace Pond.Journeys;

/// <summary>A hypothetical customer: traits (timezone, birthday, name…), tags and the segments they are in.</summary>
public sealed class SimulatedCustomer
{
    public JsonObject? Traits { get; set; }
    public List<string>? Tags { get; set; }
    public List<Guid>? SegmentIds { get; set; }
}

/// <summary>An event on the hypothetical timeline, minutes after the customer entered.</summary>
public sealed class SimulatedEvent
{
    public double AfterMinutes { get; set; }
    public string Event { get; set; } = "";
    public JsonObject? Properties { get; set; }
}

public sealed class SimulationInput
{
    /// <summary>The definition to simulate; the journey's draft when left out.</summary>
    public System.Text.Json.JsonElement? Definition { get; set; }

    /// <summary>When the customer enters (default: now).</summary>
    public DateTimeOffset? StartAt { get; set; }

    public SimulatedCustomer? Customer { get; set; }
    public List<SimulatedEvent>? Timeline { get; set; }

    /// <summary>How far to run the virtual clock (default 180 days).</summary>
    public int? HorizonDays { get; set; }
}

public sealed record SimulatedStep(DateTimeOffset At, string StepId, string Kind, string? Name, string Outcome, string? Detail);

public sealed record SimulatedMessage(DateTimeOffset At, string StepId, string Channel, string Purpose, string Text);

public sealed record SimulationEnd(string State, string? Reason, DateTimeOffset At);

public sealed record SimulationResult(IReadOnlyList<SimulatedStep> Steps, IReadOnlyList<SimulatedMessage> Messages, SimulationEnd End);

/// <summary>
/// Runs a journey for a hypothetical customer on a virtual clock, through the same interpreter as the engine: each
/// step taken and each message that would be sent, in order, at the time it would happen. Nothing is written.
/// </summary>
public sealed class JourneySimulator(Database database, JourneyCatalog catalog, TimeProvider clock)
{
    public const int MaxEvents = 200;
    public const int MaxHorizonDays = 730;

    public async Task<SimulationResult> SimulateAsync(Guid workspaceId, Guid journeyId, SimulationInput input)
    {
        var journey = await catalog.GetAsync(workspaceId, journeyId);
        var definition = JourneyCatalog.Parse(input.Definition) ?? journey.Draft;
        var problems = JourneyValidator.Check(definition);
        if (problems.Count > 0)
            throw new ValidationFailedException($"The journey cannot be simulated yet: {problems[0].Message}", $"definition/{problems[0].Field}");
        var timeline = input.Timeline ?? [];
        if (timeline.Count > MaxEvents)
            throw new ValidationFailedException($"A timeline has at most {MaxEvents} events.", "timeline");
        for (var i = 0; i < timeline.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(timeline[i].Event))
                throw new ValidationFailedException("Every timeline event names the event (for example Order Completed).", $"timeline/{i}/event");
            if (timeline[i].AfterMinutes < 0 || double.IsNaN(timeline[i].AfterMinutes))
                throw new ValidationFailedException("afterMinutes is 0 or more: events happen after the customer enters.", $"timeline/{i}/afterMinutes");
        }

        var horizon = input.HorizonDays ?? 180;
        if (horizon is < 1 or > MaxHorizonDays)
            throw new ValidationFailedException($"horizonDays is between 1 and {MaxHorizonDays}.", "horizonDays");

        await using var connection = await database.OpenAsync();
        var zoneName = await connection.QuerySingleAsync<string>("SELECT time_zone FROM workspaces WHERE id = @workspaceId", new { workspaceId });
        var templates = (await connection.QueryAsync<TemplateRow>("SELECT id, name FROM coupon_templates WHERE workspace_id = @workspaceId", new { workspaceId }))
            .ToDictionary(t => t.Id, t => t.Name);
        var start = input.StartAt ?? clock.GetUtcNow();
        var world = new SimulatedWorld(input.Customer ?? new SimulatedCustomer(), TimeZoneInfo.TryFindSystemTimeZoneById(zoneName, out var zone) ? zone : TimeZoneInfo.Utc, templates);
        var events = timeline.Select(e => (At: start.AddMinutes(e.AfterMinutes), e.Event, e.Properties)).OrderBy(e => e.At).ToList();
        return await RunAsync(definition, start, start.AddDays(horizon), events, world);
    }

    private static async Task<SimulationResult> RunAsync(JourneyDefinition definition, DateTimeOffset start, DateTimeOffset end,
        List<(DateTimeOffset At, string Event, JsonObject? Properties)> events, SimulatedWorld world)
    {
        var run = new RunState
        {
            Id = Guid.Empty, JourneyId = Guid.Empty, CustomerId = world.CustomerId, EnteredAt = start, StepId = definition.Start!, DueAt = start,
        };
        var taken = new List<StepTaken>();
        var now = start;
        var next = 0;
        SimulationEnd? ended = null;
        while (ended is null)
        {
            await JourneyInterpreter.AdvanceAsync(run, definition, now, world, taken);
            if (run.State != RunStates.Waiting)
            {
                ended = new SimulationEnd(run.State, run.EndReason, now);
                break;
            }

            // Events up to the run's due time, in order: each may convert the run, wake its wait, or just be remembered.
            var woke = false;
            while (next < events.Count && events[next].At <= run.DueAt && !woke)
            {
                var (at, name, properties) = events[next++];
                world.Happened(at, name, properties);
                if (definition.Goal is { } goal && goal.Event == name && at > run.EnteredAt && PropertyFilters.MatchAll(properties, goal.Where))
                {
                    ended = new SimulationEnd(RunStates.Converted, "goal", at);
                    break;
                }

                var step = definition.Step(run.StepId);
                if (run.Armed && step?.Kind == StepKinds.WaitForEvent && step.Event == name && PropertyFilters.MatchAll(properties, step.Where))
                {
                    run.WokenAt = at;
                    now = at;
                    woke = true;
                }
            }

            if (ended is not null || woke)
                continue;
            if (run.DueAt > end)
            {
                ended = new SimulationEnd(RunStates.Waiting, "horizon", end);
                break;
            }

            now = run.DueAt!.Value;
        }

        var byId = definition.Steps.ToDictionary(s => s.Id);
        return new SimulationResult(
            taken.Select(t => new SimulatedStep(t.At, t.StepId, t.Kind, byId[t.StepId].Name, t.Outcome, t.Detail)).ToList(),
            world.Messages, ended);
    }

    /// <summary>The hypothetical customer's world: actions change it (tags, traits, points) so later conditions see them.</summary>
    private sealed class SimulatedWorld(SimulatedCustomer customer, TimeZoneInfo workspaceZone, Dictionary<Guid, string> templates) : IJourneyWorld
    {
        private readonly JsonObject _traits = customer.Traits?.DeepClone().AsObject() ?? [];
        private readonly HashSet<string> _tags = new(customer.Tags ?? [], StringComparer.Ordinal);
        private readonly List<(DateTimeOffset At, string Name, JsonObject? Properties)> _history = [];
        private long _points;
        private int _coupons;

        public Guid CustomerId { get; } = Guid.Empty;
        public List<SimulatedMessage> Messages { get; } = [];

        public void Happened(DateTimeOffset at, string name, JsonObject? properties) => _history.Add((at, name, properties));

        public Task<TimeZoneInfo> ZoneOfAsync(RunState run) =>
            Task.FromResult(_traits["timezone"]?.GetValue<string>() is { } name && TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone) ? zone : workspaceZone);

        public Task<bool> TestAsync(RunState run, JourneyCondition condition, DateTimeOffset now) => Task.FromResult(condition.Kind switch
        {
            ConditionKinds.Segment => customer.SegmentIds?.Contains(condition.SegmentId!.Value) == true,
            ConditionKinds.Tag => _tags.Contains(condition.Tag!),
            ConditionKinds.Trait => PropertyFilters.Matches(_traits[condition.Trait!], condition.Op ?? "exists", condition.Value),
            ConditionKinds.Event => _history.Any(e => e.Name == condition.Event && e.At >= run.EnteredAt && e.At <= now && PropertyFilters.MatchAll(e.Properties, condition.Where)),
            _ => false,
        });

        public Task<(string Outcome, string? Detail)> ActAsync(RunState run, JourneyStep action, DateTimeOffset now)
        {
            (string, string?) result;
            switch (action.Kind)
            {
                case StepKinds.Coupon:
                    var name = templates.GetValueOrDefault(action.TemplateId!.Value, action.TemplateId.Value.ToString());
                    run.LastCoupon = $"SIM{++_coupons:D4}";
                    result = ("issued", name);
                    break;
                case StepKinds.Points:
                    var before = _points;
                    _points = Math.Max(0, _points + action.Points!.Value);
                    result = (action.Points > 0 ? "added" : _points == before ? "unchanged" : "removed", Math.Abs(_points - before).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case StepKinds.Tag:
                    var changed = action.Remove == true ? _tags.Remove(action.Tag!) : _tags.Add(action.Tag!);
                    result = (changed ? (action.Remove == true ? "removed" : "added") : "unchanged", action.Tag);
                    break;
                case StepKinds.Trait:
                    _traits[action.Trait!] = action.Value?.DeepClone();
                    result = ("set", $"{action.Trait} = {action.Value?.ToJsonString() ?? "null"}");
                    break;
                case StepKinds.Task:
                    result = ("created", action.Title);
                    break;
                case StepKinds.Message:
                    var text = MessageVariables.Render(action.Text, variable => variable switch
                    {
                        MessageVariables.Name or MessageVariables.Nickname => _traits["name"]?.ToString() ?? "",
                        MessageVariables.Coupon => run.LastCoupon,
                        MessageVariables.Points => _points.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        _ when variable.StartsWith(MessageVariables.TraitPrefix, StringComparison.Ordinal) => _traits[variable[MessageVariables.TraitPrefix.Length..]]?.ToString(),
                        _ => $"{{{variable}}}",
                    });
                    Messages.Add(new SimulatedMessage(now, action.Id, action.Channel!, action.Purpose ?? MessagePurposes.Marketing, text));
                    result = ("queued", action.Channel);
                    break;
                case StepKinds.Webhook:
                    result = ("queued", action.Url);
                    break;
                default:
                    result = ("skipped", null);
                    break;
            }

            return Task.FromResult(result);
        }
    }

    private sealed class TemplateRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
    }
}
