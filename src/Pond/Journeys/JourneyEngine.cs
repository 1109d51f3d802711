using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Pond.Audience;
using Pond.Commerce.Coupons;
using Pond.Loyalty;
using Pond.Messaging;
using Pond.Staff;
using Pond.Storage;

namespace Pond.Journeys;

/// <summary>
/// Takes due runs a batch at a time, moves each through its steps with <see cref="JourneyInterpreter"/>, and writes
/// everything a batch did (actions, the steps taken, where each run now waits, the counters) in one transaction. A crash
/// before the commit leaves the batch due again and nothing half-done; after it, every step is recorded once, so a
/// restart neither skips nor repeats one. Runs are taken oldest due first, so one customer's due steps run in order.
/// </summary>
public sealed class JourneyEngine(
    Database database, JourneyCatalog catalog, PointsBook points, AudienceChanges changes, TimeProvider clock, ILogger<JourneyEngine> logger)
{
    public const int BatchSize = 5000;

    // A batch dirties thousands of pages. A large cache keeps them in memory until the commit instead of spilling them to
    // the WAL mid-transaction, and a higher checkpoint threshold copies a page that several batches touch into the
    // database once rather than after every commit (at 1M runs: 2,000 per batch with SQLite's defaults ran 16k steps/s,
    // 5,000 with these 31k). Both go back to the defaults before the connection returns to the shared pool.
    private const string SqliteBatchPragmas = "PRAGMA cache_size = -131072; PRAGMA wal_autocheckpoint = 16000";
    private const string SqliteDefaultPragmas = "PRAGMA cache_size = -2000; PRAGMA wal_autocheckpoint = 1000";

    /// <summary>Processes due runs until none is left; returns the steps taken.</summary>
    public async Task<long> RunDueAsync(CancellationToken cancellationToken = default)
    {
        long total = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var (runs, steps) = await ProcessBatchAsync(BatchSize, cancellationToken);
            total += steps;
            if (runs < BatchSize)
                break;
        }

        return total;
    }

    /// <summary>One batch: how many runs were due and how many steps they took.</summary>
    public async Task<(int Runs, int Steps)> ProcessBatchAsync(int limit = BatchSize, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        if (database.IsSqlite)
            await connection.ExecuteAsync(SqliteBatchPragmas);
        try
        {
            return await ProcessBatchAsync(connection, now, limit, cancellationToken);
        }
        finally
        {
            if (database.IsSqlite)
                await connection.ExecuteAsync(SqliteDefaultPragmas);
        }
    }

    private async Task<(int Runs, int Steps)> ProcessBatchAsync(DbConnection connection, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var transaction = connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : await connection.BeginTransactionAsync(cancellationToken);
        // SKIP LOCKED lets several nodes share the due runs on PostgreSQL; SQLite's write lock already serialises them.
        var rows = (await connection.QueryAsync<RunRow>(
            $"""
            SELECT id, workspace_id, journey_id, version, customer_id, step_id, armed, steps_taken, due_at, wait_event, woken_at, entered_at, is_test
            FROM journey_runs WHERE state = 'waiting' AND due_at <= @now ORDER BY due_at, id LIMIT @limit
            {(database.IsSqlite ? "" : "FOR UPDATE SKIP LOCKED")}
            """, new { now, limit }, transaction)).AsList();
        if (rows.Count == 0)
            return (0, 0);

        var world = new DatabaseWorld(connection, transaction, points, rows.Select(r => r.CustomerId).Distinct().ToList());
        var taken = new List<StepTaken>(rows.Count * 2);
        var runs = new List<RunState>(rows.Count);
        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var run = row.ToState();
            var definition = await catalog.VersionAsync(connection, transaction, run.JourneyId, run.Version);
            await JourneyInterpreter.AdvanceAsync(run, definition, now, world, taken);
            runs.Add(run);
        }

        var corrections = await world.FlushAsync(now);
        if (corrections.Count > 0)
            for (var i = 0; i < taken.Count; i++)
                if (corrections.TryGetValue((taken[i].RunId, taken[i].StepId), out var fixedOutcome))
                    taken[i] = taken[i] with { Outcome = fixedOutcome.Outcome, Detail = fixedOutcome.Detail };
        await SaveRunsAsync(connection, transaction, runs, now);
        await SaveStepsAsync(connection, transaction, runs, taken);
        await transaction.CommitAsync(cancellationToken);
        foreach (var workspace in world.Touched.GroupBy(t => t.WorkspaceId))
            changes.Touch(workspace.Key, workspace.Select(t => t.CustomerId).Distinct().ToList());
        if (taken.Count > 0)
            logger.LogDebug("Journeys: {Runs} runs took {Steps} steps", runs.Count, taken.Count);
        return (rows.Count, taken.Count);
    }

    /// <summary>
    /// Runs still waiting and runs that ended are written by two statements: SQLite rewrites an index entry only when the
    /// UPDATE sets one of its columns, so leaving `state` out for waiting runs spares the indexes ordered by customer.
    /// </summary>
    private async Task SaveRunsAsync(DbConnection connection, DbTransaction transaction, List<RunState> runs, DateTimeOffset now)
    {
        var waiting = runs.Where(r => r.State == RunStates.Waiting).ToList();
        var ended = runs.Where(r => r.State != RunStates.Waiting).ToList();
        if (waiting.Count > 0)
            await UpdateRunsAsync(connection, transaction, waiting, "step_id = j.t, armed = j.a, steps_taken = j.n, due_at = j.d, wait_event = j.w, woken_at = NULL", now);
        if (ended.Count > 0)
            await UpdateRunsAsync(connection, transaction, ended,
                "state = j.s, step_id = j.t, armed = j.a, steps_taken = j.n, due_at = j.d, wait_event = j.w, woken_at = NULL, ended_at = j.e, end_reason = j.r", now);
    }

    private async Task UpdateRunsAsync(DbConnection connection, DbTransaction transaction, List<RunState> runs, string set, DateTimeOffset now)
    {
        if (database.IsSqlite)
        {
            var json = JsonSerializer.Serialize(runs.Select(r => new
            {
                i = r.Id, s = r.State, t = r.StepId, a = r.Armed ? 1 : 0, n = r.StepsTaken, d = r.DueAt?.ToUnixTimeMilliseconds(), w = r.WaitEvent,
                e = r.State == RunStates.Waiting ? (long?)null : now.ToUnixTimeMilliseconds(), r = r.EndReason,
            }));
            await connection.ExecuteAsync(
                $"""
                UPDATE journey_runs SET {set}
                FROM (SELECT value ->> 'i' AS i, value ->> 's' AS s, value ->> 't' AS t, value ->> 'a' AS a, value ->> 'n' AS n, value ->> 'd' AS d, value ->> 'w' AS w,
                             value ->> 'e' AS e, value ->> 'r' AS r FROM json_each(@json)) AS j
                WHERE journey_runs.id = j.i
                """, new { json }, transaction);
            return;
        }

        var ended = now.ToUnixTimeMilliseconds();
        await connection.ExecuteAsync(
            $"""
            UPDATE journey_runs r SET {set}
            FROM unnest(@ids, @states, @steps, @armed, @taken, @due, @waits, @ends, @reasons) AS j(i, s, t, a, n, d, w, e, r)
            WHERE r.id = j.i
            """,
            new
            {
                ids = runs.Select(r => r.Id).ToArray(),
                states = runs.Select(r => r.State).ToArray(),
                steps = runs.Select(r => r.StepId).ToArray(),
                armed = runs.Select(r => r.Armed).ToArray(),
                taken = runs.Select(r => r.StepsTaken).ToArray(),
                due = runs.Select(r => r.DueAt?.ToUnixTimeMilliseconds()).ToArray(),
                waits = runs.Select(r => r.WaitEvent).ToArray(),
                ends = runs.Select(r => r.State == RunStates.Waiting ? (long?)null : ended).ToArray(),
                reasons = runs.Select(r => r.EndReason).ToArray(),
            }, transaction);
    }

    private async Task SaveStepsAsync(DbConnection connection, DbTransaction transaction, List<RunState> runs, List<StepTaken> taken)
    {
        if (taken.Count > 0)
        {
            if (database.IsSqlite)
            {
                var json = JsonSerializer.Serialize(taken.Select(t => new { i = t.RunId, s = t.StepId, n = t.Ordinal, a = t.At.ToUnixTimeMilliseconds(), o = t.Outcome, d = t.Detail }));
                await connection.ExecuteAsync(
                    """
                    INSERT INTO journey_run_steps (run_id, step_id, ordinal, at, outcome, detail)
                    SELECT value ->> 'i', value ->> 's', value ->> 'n', value ->> 'a', value ->> 'o', value ->> 'd' FROM json_each(@json) WHERE true
                    ON CONFLICT DO NOTHING
                    """, new { json }, transaction);
            }
            else
            {
                await connection.ExecuteAsync(
                    """
                    INSERT INTO journey_run_steps (run_id, step_id, ordinal, at, outcome, detail)
                    SELECT * FROM unnest(@ids, @steps, @ordinals, @ats, @outcomes, @details) ON CONFLICT DO NOTHING
                    """,
                    new
                    {
                        ids = taken.Select(t => t.RunId).ToArray(), steps = taken.Select(t => t.StepId).ToArray(), ordinals = taken.Select(t => t.Ordinal).ToArray(),
                        ats = taken.Select(t => t.At.ToUnixTimeMilliseconds()).ToArray(), outcomes = taken.Select(t => t.Outcome).ToArray(),
                        details = taken.Select(t => t.Detail).ToArray(),
                    }, transaction);
            }
        }

        // Counters: one row per journey version, step and outcome, raised by this batch's totals; test runs are left out.
        var byRun = runs.ToDictionary(r => r.Id);
        var counts = taken.Where(t => !byRun[t.RunId].IsTest)
            .GroupBy(t => (byRun[t.RunId].JourneyId, byRun[t.RunId].Version, t.StepId, t.Outcome))
            .Select(g => new { journeyId = g.Key.JourneyId, version = g.Key.Version, stepId = g.Key.StepId, outcome = g.Key.Outcome, count = (long)g.Count() });
        foreach (var count in counts)
            await connection.ExecuteAsync(
                """
                INSERT INTO journey_step_counts (journey_id, version, step_id, outcome, count) VALUES (@journeyId, @version, @stepId, @outcome, @count)
                ON CONFLICT (journey_id, version, step_id, outcome) DO UPDATE SET count = journey_step_counts.count + excluded.count
                """, count, transaction);
    }

    /// <summary>Conditions and actions against the database, inside the batch's transaction.</summary>
    private sealed class DatabaseWorld(DbConnection connection, DbTransaction transaction, PointsBook points, List<Guid> batchCustomers) : IJourneyWorld
    {
        private Dictionary<Guid, string?>? _traits;
        private readonly Dictionary<Guid, TimeZoneInfo> _workspaceZones = [];
        private readonly Dictionary<Guid, string> _journeyNames = [];
        private readonly Dictionary<Guid, CouponTemplate?> _templates = [];
        private readonly List<Coupon> _coupons = [];
        private readonly Dictionary<Guid, Dictionary<Guid, long>> _held = [];
        private readonly Dictionary<(Guid WorkspaceId, string Source, string Tag, bool Remove), List<(Guid RunId, string StepId, Guid CustomerId)>> _tags = [];
        private readonly Dictionary<(Guid CustomerId, string Tag), bool> _pendingTags = [];

        /// <summary>
        /// Writes the batch's deferred coupons and tags, one statement per template or tag, and returns the outcomes that
        /// differ from what the steps assumed: a tag the customer already had is unchanged. (Coupon limits are checked
        /// when the step runs, so a refused coupon never reaches a later message as {coupon}.)
        /// </summary>
        public async Task<Dictionary<(Guid RunId, string StepId), (string Outcome, string? Detail)>> FlushAsync(DateTimeOffset now)
        {
            var corrections = new Dictionary<(Guid, string), (string, string?)>();
            foreach (var group in _coupons.GroupBy(c => c.TemplateId))
            {
                var issued = group.ToList();
                for (var offset = 0; offset < issued.Count; offset += 5000)
                {
                    var chunk = issued.GetRange(offset, Math.Min(5000, issued.Count - offset));
                    var inserted = await CouponIssuer.InsertManyAsync(connection, transaction, chunk);
                    await connection.ExecuteAsync("UPDATE coupon_templates SET issued_count = issued_count + @inserted WHERE id = @id", new { inserted, id = group.Key }, transaction);
                }
            }

            foreach (var ((workspaceId, source, tag, remove), members) in _tags)
            {
                var customers = members.Select(m => m.CustomerId).Distinct().ToList();
                var changed = (remove
                    ? await CustomerTags.RemoveAsync(connection, transaction, workspaceId, customers, tag, source, null, now)
                    : await CustomerTags.AddAsync(connection, transaction, workspaceId, customers, tag, source, null, now)).ToHashSet();
                foreach (var member in members.Where(m => !changed.Contains(m.CustomerId)))
                    corrections[(member.RunId, member.StepId)] = ("unchanged", tag);
            }

            return corrections;
        }

        private async Task<CouponTemplate?> TemplateAsync(Guid workspaceId, Guid templateId)
        {
            if (!_templates.TryGetValue(templateId, out var template))
            {
                template = await connection.QuerySingleOrDefaultAsync<CouponTemplate>(
                    "SELECT * FROM coupon_templates WHERE workspace_id = @workspaceId AND id = @templateId", new { workspaceId, templateId }, transaction);
                _templates[templateId] = template;
            }

            return template;
        }

        /// <summary>
        /// A customer's traits, read for the whole batch with the first one asked for (one statement rather than one per
        /// run); a trait step earlier in the batch drops its customer's copy, so a later read sees the new value.
        /// </summary>
        private async Task<string?> TraitsAsync(Guid customerId)
        {
            if (_traits is null)
            {
                var rows = await connection.QueryAsync<TraitsRow>(
                    connection is SqliteConnection
                        ? "SELECT id, traits FROM customers WHERE id IN (SELECT value FROM json_each(@ids))"
                        : "SELECT id, traits FROM customers WHERE id = ANY(@ids)",
                    new { ids = connection is SqliteConnection ? (object)JsonSerializer.Serialize(batchCustomers) : batchCustomers.ToArray() }, transaction);
                _traits = rows.ToDictionary(r => r.Id, r => r.Traits);
            }

            if (!_traits.TryGetValue(customerId, out var traits))
                _traits[customerId] = traits = await connection.QuerySingleOrDefaultAsync<string>("SELECT traits FROM customers WHERE id = @id", new { id = customerId }, transaction);
            return traits;
        }

        private sealed class TraitsRow
        {
            public Guid Id { get; init; }
            public string? Traits { get; init; }
        }

        /// <summary>How many coupons of a template each of the batch's customers holds, read once and kept up to date as the batch issues.</summary>
        private async Task<Dictionary<Guid, long>> HeldAsync(Guid templateId)
        {
            if (!_held.TryGetValue(templateId, out var held))
            {
                held = (await connection.QueryAsync<HeldRow>(
                        connection is SqliteConnection
                            ? "SELECT customer_id, COUNT(*) AS n FROM coupons WHERE template_id = @templateId AND customer_id IN (SELECT value FROM json_each(@ids)) GROUP BY customer_id"
                            : "SELECT customer_id, COUNT(*) AS n FROM coupons WHERE template_id = @templateId AND customer_id = ANY(@ids) GROUP BY customer_id",
                        new { templateId, ids = connection is SqliteConnection ? (object)JsonSerializer.Serialize(batchCustomers) : batchCustomers.ToArray() }, transaction))
                    .ToDictionary(h => h.CustomerId, h => h.N);
                _held[templateId] = held;
            }

            return held;
        }

        private sealed class HeldRow
        {
            public Guid CustomerId { get; init; }
            public long N { get; init; }
        }

        public List<(Guid WorkspaceId, Guid CustomerId)> Touched { get; } = [];

        /// <summary>The customer's timezone trait when it names a real zone, else the workspace's zone.</summary>
        public async Task<TimeZoneInfo> ZoneOfAsync(RunState run)
        {
            var trait = await TraitsAsync(run.CustomerId) is { } traits && JsonNode.Parse(traits)?["timezone"] is JsonValue value && value.TryGetValue(out string? name)
                ? name
                : null;
            if (trait is not null && TimeZoneInfo.TryFindSystemTimeZoneById(trait, out var zone))
                return zone;
            if (!_workspaceZones.TryGetValue(run.WorkspaceId, out zone))
            {
                var workspaceZone = await connection.QuerySingleOrDefaultAsync<string>("SELECT time_zone FROM workspaces WHERE id = @id", new { id = run.WorkspaceId }, transaction);
                zone = workspaceZone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(workspaceZone, out var found) ? found : TimeZoneInfo.Utc;
                _workspaceZones[run.WorkspaceId] = zone;
            }

            return zone;
        }

        public async Task<bool> TestAsync(RunState run, JourneyCondition condition, DateTimeOffset now)
        {
            switch (condition.Kind)
            {
                case ConditionKinds.Segment:
                    return await connection.ExecuteScalarAsync<long>(
                        "SELECT COUNT(*) FROM segment_members WHERE segment_id = @segmentId AND customer_id = @customerId",
                        new { segmentId = condition.SegmentId, customerId = run.CustomerId }, transaction) > 0;
                case ConditionKinds.Tag:
                    if (_pendingTags.TryGetValue((run.CustomerId, TagNames.Clean(condition.Tag!)), out var pending))
                        return pending;
                    return await connection.ExecuteScalarAsync<long>(
                        "SELECT COUNT(*) FROM customer_tags WHERE customer_id = @customerId AND tag = @tag",
                        new { customerId = run.CustomerId, tag = condition.Tag }, transaction) > 0;
                case ConditionKinds.Trait:
                    var traits = await TraitsAsync(run.CustomerId);
                    var node = traits is null ? null : JsonNode.Parse(traits)?[condition.Trait!];
                    return PropertyFilters.Matches(node, condition.Op ?? "exists", condition.Value);
                case ConditionKinds.Event:
                    var events = await connection.QueryAsync<string>(
                        "SELECT properties FROM customer_events WHERE customer_id = @customerId AND name = @name AND occurred_at >= @since",
                        new { customerId = run.CustomerId, name = condition.Event, since = run.EnteredAt }, transaction);
                    return events.Any(p => PropertyFilters.MatchAll(p, condition.Where));
                default:
                    return false;
            }
        }

        public async Task<(string Outcome, string? Detail)> ActAsync(RunState run, JourneyStep step, DateTimeOffset now)
        {
            var key = $"journey:{run.Id:N}:{step.Id}";
            var source = $"journey:{run.JourneyId}";
            try
            {
                switch (step.Kind)
                {
                    case StepKinds.Coupon:
                        if (await TemplateAsync(run.WorkspaceId, step.TemplateId!.Value) is { TotalStock: null } template)
                        {
                            // No stock to race for: the coupon is made now and written with the batch's others in one statement.
                            CouponIssuer.CheckIssuable(template, now);
                            if (template.PerCustomerLimit is { } limit)
                            {
                                var held = await HeldAsync(template.Id);
                                var count = held.GetValueOrDefault(run.CustomerId);
                                if (count >= limit)
                                    return ("failed", $"This customer already has {count} coupon(s) of '{template.Name}'; the limit is {limit} per customer.");
                                held[run.CustomerId] = count + 1;
                            }

                            var coupon = CouponIssuer.NewCoupon(template, run.WorkspaceId, run.CustomerId, CouponSources.Journey, key, now);
                            _coupons.Add(coupon);
                            Touched.Add((run.WorkspaceId, run.CustomerId));
                            run.LastCoupon = coupon.Code;
                            return ("issued", coupon.Code);
                        }

                        var issue = await CouponIssuer.IssueInCoreAsync(connection, transaction, now, run.WorkspaceId, step.TemplateId!.Value, run.CustomerId,
                            CouponSources.Journey, key);
                        Touched.Add((run.WorkspaceId, run.CustomerId));
                        run.LastCoupon = issue.Coupon.Code;
                        return ("issued", issue.Coupon.Code);
                    case StepKinds.Points:
                        return await PointsAsync(run, step, key, now);
                    case StepKinds.Tag:
                        // Written for the whole batch at once (one statement per tag); a later condition in this pass sees it through PendingTag.
                        var tag = TagNames.Clean(step.Tag!);
                        var remove = step.Remove == true;
                        var group = (run.WorkspaceId, TagSources.Journey(await JourneyNameAsync(run.JourneyId)), tag, remove);
                        if (!_tags.TryGetValue(group, out var members))
                            _tags[group] = members = [];
                        members.Add((run.Id, step.Id, run.CustomerId));
                        _pendingTags[(run.CustomerId, tag)] = !remove;
                        Touched.Add((run.WorkspaceId, run.CustomerId));
                        return (remove ? "removed" : "added", tag);
                    case StepKinds.Trait:
                        var value = step.Value?.ToJsonString() ?? "null";
                        await connection.ExecuteAsync(
                            connection is SqliteConnection
                                ? "UPDATE customers SET traits = json_set(traits, '$.' || json_quote(@trait), json(@value)), updated_at = @now WHERE id = @id"
                                : "UPDATE customers SET traits = jsonb_set(traits::jsonb, ARRAY[@trait], @value::jsonb)::text, updated_at = @now WHERE id = @id",
                            new { trait = step.Trait, value, now, id = run.CustomerId }, transaction);
                        _traits?.Remove(run.CustomerId);
                        Touched.Add((run.WorkspaceId, run.CustomerId));
                        return ("set", $"{step.Trait} = {value}");
                    case StepKinds.Task:
                        var created = await StaffTasks.CreateInAsync(connection, transaction, new StaffTaskInput(
                            run.WorkspaceId, step.StaffId, run.CustomerId, null, StaffTaskKinds.FollowUp, step.Title!, step.Text, step.ContentId, source, key,
                            now + TimeSpan.FromHours(step.DueHours ?? 24)), now);
                        return (created ? "created" : "unchanged", step.Title);
                    case StepKinds.Message:
                        var payload = new JsonObject { ["text"] = step.Text, ["coupon"] = run.LastCoupon ?? await LastCouponAsync(run) };
                        if (step.ContentId is { } content)
                            payload["contentId"] = content.ToString();
                        if (step.Subject is not null)
                            payload["subject"] = step.Subject;
                        await Outbox.EnqueueAsync(connection, transaction, new OutboundMessage(
                            run.WorkspaceId, run.CustomerId, step.Channel!, step.Purpose ?? MessagePurposes.Marketing, source, key, payload.ToJsonString(), now));
                        return ("queued", step.Channel);
                    case StepKinds.Webhook:
                        var body = new JsonObject
                        {
                            ["journeyId"] = run.JourneyId.ToString(), ["version"] = run.Version, ["runId"] = run.Id.ToString(), ["stepId"] = step.Id,
                            ["customerId"] = run.CustomerId.ToString(), ["at"] = now.ToString("O"),
                        };
                        await Outbox.EnqueueAsync(connection, transaction, new OutboundMessage(
                            run.WorkspaceId, run.CustomerId, OutboxChannels.Webhook, MessagePurposes.Transactional, source, key,
                            new JsonObject { ["url"] = step.Url, ["body"] = body }.ToJsonString(), now));
                        return ("queued", step.Url);
                    default:
                        return ("skipped", $"unknown step kind {step.Kind}");
                }
            }
            catch (Exception e) when (e is ConflictException or NotFoundException or ValidationFailedException or ArgumentException)
            {
                // The action is refused (out of stock, a limit, a deleted template): the run carries on and the reason is kept.
                return ("failed", e.Message);
            }
        }

        private async Task<(string, string?)> PointsAsync(RunState run, JourneyStep step, string key, DateTimeOffset now)
        {
            var amount = step.Points!.Value;
            var reason = step.Reason ?? $"Journey: {await JourneyNameAsync(run.JourneyId)}";
            if (amount > 0)
            {
                var rules = await LoyaltySettingsStore.GetAsync(connection, transaction, run.WorkspaceId);
                var zone = await LoyaltyDb.ZoneAsync(connection, transaction, run.WorkspaceId);
                await points.CreditAsync(connection, transaction, run.WorkspaceId, run.CustomerId,
                    new PointsBook.Credit(amount, PointsKinds.Earn, reason, PointsSources.Journey, run.JourneyId.ToString(), key, now, rules.ExpiresAt(now, zone), null), now);
                Touched.Add((run.WorkspaceId, run.CustomerId));
                return ("added", amount.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            // Taking points never goes below zero and never leaves a debt: at most the balance is taken.
            var (balance, _) = await points.LockAsync(connection, transaction, run.WorkspaceId, run.CustomerId, now);
            var take = Math.Min(-amount, balance);
            if (take == 0)
                return ("unchanged", "0");
            await points.ReverseAsync(connection, transaction, run.WorkspaceId, run.CustomerId, take, reason, PointsSources.Journey, run.JourneyId.ToString(), key, null, now);
            Touched.Add((run.WorkspaceId, run.CustomerId));
            return ("removed", take.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        private Task<string?> LastCouponAsync(RunState run) =>
            connection.QuerySingleOrDefaultAsync<string?>(
                "SELECT detail FROM journey_run_steps WHERE run_id = @id AND outcome = 'issued' ORDER BY ordinal DESC LIMIT 1", new { id = run.Id }, transaction);

        private async Task<string> JourneyNameAsync(Guid journeyId)
        {
            if (!_journeyNames.TryGetValue(journeyId, out var name))
            {
                name = await connection.QuerySingleOrDefaultAsync<string>("SELECT name FROM journeys WHERE id = @journeyId", new { journeyId }, transaction) ?? "journey";
                _journeyNames[journeyId] = name;
            }

            return name;
        }
    }

    private sealed class RunRow
    {
        public Guid Id { get; init; }
        public Guid WorkspaceId { get; init; }
        public Guid JourneyId { get; init; }
        public int Version { get; init; }
        public Guid CustomerId { get; init; }
        public string StepId { get; init; } = "";
        public bool Armed { get; init; }
        public int StepsTaken { get; init; }
        public DateTimeOffset? DueAt { get; init; }
        public string? WaitEvent { get; init; }
        public DateTimeOffset? WokenAt { get; init; }
        public DateTimeOffset EnteredAt { get; init; }
        public bool IsTest { get; init; }

        public RunState ToState() => new()
        {
            Id = Id, WorkspaceId = WorkspaceId, JourneyId = JourneyId, Version = Version, CustomerId = CustomerId, EnteredAt = EnteredAt, IsTest = IsTest,
            StepId = StepId, Armed = Armed, StepsTaken = StepsTaken, DueAt = DueAt, WaitEvent = WaitEvent, WokenAt = WokenAt,
        };
    }
}
