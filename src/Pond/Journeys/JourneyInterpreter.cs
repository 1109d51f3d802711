using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Pond.Journeys;

/// <summary>Where a run stands: the step it is at and, for a wait step, whether it is already waiting there.</summary>
public sealed class RunState
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public Guid JourneyId { get; init; }
    public int Version { get; init; }
    public Guid CustomerId { get; init; }
    public DateTimeOffset EnteredAt { get; init; }
    public bool IsTest { get; init; }

    public string StepId { get; set; } = "";

    /// <summary>True once the run reached its wait step and is waiting there; the next pass ends the wait.</summary>
    public bool Armed { get; set; }

    public DateTimeOffset? DueAt { get; set; }
    public string? WaitEvent { get; set; }

    /// <summary>When the awaited event arrived (wait_for_event); null when the timeout ended the wait.</summary>
    public DateTimeOffset? WokenAt { get; set; }

    /// <summary>Steps taken so far: the next one's ordinal.</summary>
    public int StepsTaken { get; set; }

    public string State { get; set; } = RunStates.Waiting;
    public string? EndReason { get; set; }

    /// <summary>The code of the coupon this run issued last, for {coupon} in later messages.</summary>
    public string? LastCoupon { get; set; }
}

/// <summary>One step a run took, with its outcome (waited, event, timeout, yes, no, branch label, issued, failed…).</summary>
public sealed record StepTaken(Guid RunId, string StepId, int Ordinal, string Kind, DateTimeOffset At, string Outcome, string? Detail);

/// <summary>What the interpreter needs from the world: conditions to test, actions to perform, the customer's time zone.</summary>
public interface IJourneyWorld
{
    Task<bool> TestAsync(RunState run, JourneyCondition condition, DateTimeOffset now);

    /// <summary>Performs an action step once (the run and step ids are its idempotency key) and says what happened.</summary>
    Task<(string Outcome, string? Detail)> ActAsync(RunState run, JourneyStep action, DateTimeOffset now);

    Task<TimeZoneInfo> ZoneOfAsync(RunState run);
}

/// <summary>
/// Moves a run through its journey's steps from where it stands until it must wait or it ends. The same code runs the
/// engine (against the database) and the simulation (against a hypothetical timeline), so a simulation shows exactly
/// what the engine would do.
/// </summary>
public static class JourneyInterpreter
{
    /// <summary>A guard against a malformed version: a valid graph is acyclic, so no run takes more steps than it has.</summary>
    private const int MaxStepsPerPass = JourneyValidator.MaxSteps + 1;

    public static async Task AdvanceAsync(RunState run, JourneyDefinition definition, DateTimeOffset now, IJourneyWorld world, List<StepTaken> taken)
    {
        for (var guard = 0; guard < MaxStepsPerPass; guard++)
        {
            var step = definition.Step(run.StepId);
            if (step is null)
            {
                End(run, RunStates.Completed, null);
                return;
            }

            string? next;
            if (StepKinds.Waits(step.Kind))
            {
                if (!run.Armed)
                {
                    run.Armed = true;
                    // The awaited event may have come before the engine reached the step (a run entered a moment ago): keep it.
                    if (step.Kind != StepKinds.WaitForEvent)
                        run.WokenAt = null;
                    run.WaitEvent = step.Kind == StepKinds.WaitForEvent ? step.Event : null;
                    run.DueAt = step.Kind == StepKinds.WaitUntil
                        ? NextTimeOfDay(now, JourneyValidator.TryTime(step.Time!, out var time) ? time : TimeOnly.MinValue, await world.ZoneOfAsync(run))
                        : Reached(run, now) + (step.Duration?.Span ?? TimeSpan.Zero);
                    if (run.DueAt > now && run.WokenAt is null)
                        return;
                }

                if (run.WokenAt is null && run.DueAt > now)
                    return;
                var woken = run.WokenAt is not null;
                var outcome = step.Kind != StepKinds.WaitForEvent ? "waited" : woken ? "event" : "timeout";
                taken.Add(new StepTaken(run.Id, step.Id, run.StepsTaken++, step.Kind, now, outcome, null));
                next = step.Kind == StepKinds.WaitForEvent && !woken ? step.TimeoutNext : step.Next;
                run.Armed = false;
                run.WokenAt = null;
                run.WaitEvent = null;
            }
            else
            {
                switch (step.Kind)
                {
                    case StepKinds.Condition:
                        var yes = await world.TestAsync(run, step.Condition!, now);
                        taken.Add(new StepTaken(run.Id, step.Id, run.StepsTaken++, step.Kind, now, yes ? "yes" : "no", null));
                        next = yes ? step.Yes : step.No;
                        break;
                    case StepKinds.Random:
                        var branch = Branch(run, step);
                        var chosen = step.Branches![branch];
                        taken.Add(new StepTaken(run.Id, step.Id, run.StepsTaken++, step.Kind, now, $"branch_{branch + 1}", chosen.Label));
                        next = chosen.Next;
                        break;
                    case StepKinds.Exit:
                        taken.Add(new StepTaken(run.Id, step.Id, run.StepsTaken++, step.Kind, now, "exit", null));
                        End(run, RunStates.Exited, "exit_step");
                        return;
                    default:
                        var (result, detail) = await world.ActAsync(run, step, now);
                        taken.Add(new StepTaken(run.Id, step.Id, run.StepsTaken++, step.Kind, now, result, detail));
                        next = step.Next;
                        break;
                }
            }

            if (next is null)
            {
                End(run, RunStates.Completed, null);
                return;
            }

            run.StepId = next;
            run.DueAt = now;
        }

        End(run, RunStates.Exited, "too_many_steps");
    }

    /// <summary>
    /// When the run reached its step: the time it fell due, not when a lagging engine got to it, so a wait after a
    /// restart still ends when it would have.
    /// </summary>
    private static DateTimeOffset Reached(RunState run, DateTimeOffset now) => run.DueAt is { } due && due < now ? due : now;

    private static void End(RunState run, string state, string? reason)
    {
        run.State = state;
        run.EndReason = reason;
        run.DueAt = null;
        run.WaitEvent = null;
        run.Armed = false;
    }

    /// <summary>The branch for this customer: a hash of customer, journey and step, so the same customer always takes the same branch.</summary>
    public static int Branch(RunState run, JourneyStep step)
    {
        Span<byte> input = stackalloc byte[32 + 80];
        run.CustomerId.TryWriteBytes(input);
        run.JourneyId.TryWriteBytes(input[16..]);
        var length = 32 + Encoding.UTF8.GetBytes(step.Id.AsSpan(0, Math.Min(step.Id.Length, 40)), input[32..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input[..length], hash);
        var bucket = (int)(BinaryPrimitives.ReadUInt32LittleEndian(hash) % 100);
        var sum = 0;
        for (var i = 0; i < step.Branches!.Count; i++)
        {
            sum += step.Branches[i].Percent;
            if (bucket < sum)
                return i;
        }

        return step.Branches.Count - 1;
    }

    /// <summary>The next moment the clock in <paramref name="zone"/> shows <paramref name="time"/> (now, when it shows it now).</summary>
    public static DateTimeOffset NextTimeOfDay(DateTimeOffset now, TimeOnly time, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var candidate = new DateTime(DateOnly.FromDateTime(local.DateTime), time, DateTimeKind.Unspecified);
        if (candidate < local.DateTime)
            candidate = candidate.AddDays(1);
        // A time skipped by a daylight-saving change moves an hour on.
        while (zone.IsInvalidTime(candidate))
            candidate = candidate.AddHours(1);
        return new DateTimeOffset(candidate, zone.GetUtcOffset(candidate)).ToUniversalTime();
    }
}
