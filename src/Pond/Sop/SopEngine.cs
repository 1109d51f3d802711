using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pond.Customers;
using Pond.Messaging;
using Pond.Staff;
using Pond.Storage;

namespace Pond.Sop;

/// <summary>
/// Turns SOP entries that fell due into staff tasks (with the prepared content and a one-click done) and, where WeCom
/// can do it, WeCom group / 1:1 message tasks in the outbox. Each plan is swept in its own transaction that holds the
/// plan row, creates the occurrences in (swept_through, now] and moves the watermark, so a restart or a second node
/// repeats nothing; the dedupe keys (sop:{entry}:{target}:{local date}) settle any race that gets past that.
/// </summary>
internal sealed class SopEngine(Database database, TimeProvider clock, ILogger<SopEngine> logger)
{
    /// <summary>Sweeps every active plan up to now (or <paramref name="now"/>, for the demo's backfill) and returns how many tasks it created.</summary>
    public async Task<int> RunDueAsync(DateTimeOffset? now = null, CancellationToken cancellationToken = default)
    {
        var at = now ?? clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var due = (await connection.QueryAsync<Guid>(
            "SELECT id FROM sop_plans WHERE status = 'active' AND swept_through < @at AND starts_at <= @at AND (ends_at IS NULL OR swept_through < ends_at)",
            new { at })).AsList();
        var created = 0;
        foreach (var planId in due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            created += await SweepAsync(connection, planId, at, cancellationToken);
        }

        if (created > 0)
            logger.LogInformation("SOP: {Created} staff tasks created from {Plans} plans", created, due.Count);
        return created;
    }

    private async Task<int> SweepAsync(DbConnection connection, Guid planId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using DbTransaction transaction = connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: false)
            : await connection.BeginTransactionAsync(cancellationToken);
        if (!database.IsSqlite)
            await connection.ExecuteAsync("SELECT id FROM sop_plans WHERE id = @planId FOR UPDATE", new { planId }, transaction);
        var plan = (await SopPlans.LoadAsync(connection, transaction, planId)).SingleOrDefault();
        if (plan is null || plan.Status != SopStatuses.Active || plan.SweptThrough >= now)
            return 0;
        var zone = await ZoneAsync(connection, transaction, plan.WorkspaceId);
        var after = Max(plan.SweptThrough, now - SopSchedule.CatchUp, plan.StartsAt.AddTicks(-1));
        var until = plan.EndsAt is { } end && end < now ? end : now;
        var created = 0;
        if (until > after)
        {
            var wecomConnected = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM wecom_connections WHERE workspace_id = @WorkspaceId", new { plan.WorkspaceId }, transaction) > 0;
            foreach (var occurrence in await SopOccurrences.ForPlanAsync(connection, transaction, plan, zone, after, until))
            {
                if (await CreateAsync(connection, transaction, plan, occurrence, wecomConnected, now))
                    created++;
            }
        }

        await connection.ExecuteAsync("UPDATE sop_plans SET swept_through = @now WHERE id = @planId", new { planId, now }, transaction);
        await transaction.CommitAsync(cancellationToken);
        return created;
    }

    private static async Task<bool> CreateAsync(DbConnection connection, DbTransaction transaction, SopPlan plan, SopOccurrence o, bool wecomConnected, DateTimeOffset now)
    {
        var key = DedupeKey(plan.Kind, o);
        var kind = plan.Kind switch
        {
            SopKinds.Group => StaffTaskKinds.GroupSop,
            SopKinds.Moments => StaffTaskKinds.MomentsSop,
            _ => StaffTaskKinds.CustomerSop,
        };
        var body = o.Text.Length == 0 ? null : MessageVariables.Render(o.Text, v => v switch
        {
            MessageVariables.Name or MessageVariables.Nickname => o.CustomerName,
            MessageVariables.Staff => o.StaffName,
            _ => "{" + v + "}",
        });
        var created = await StaffTasks.CreateInAsync(connection, transaction,
            new StaffTaskInput(plan.WorkspaceId, o.StaffId, o.CustomerId, o.GroupChatId, kind, o.EntryTitle, body, o.ContentId, $"sop:{plan.Id}", key, o.At), now);
        if (!plan.WecomTasks || !wecomConnected || !o.WeComCapable || o.StaffId is null)
            return created;
        var payload = new JsonObject { ["text"] = o.Text, ["staffId"] = o.StaffId.Value.ToString() };
        if (o.ContentId is { } contentId)
            payload["contentId"] = contentId.ToString();
        if (plan.Kind == SopKinds.Group)
        {
            payload["chatIds"] = new JsonArray(o.GroupChatId);
            await Outbox.EnqueueAsync(connection, transaction,
                new OutboundMessage(plan.WorkspaceId, null, OutboxChannels.WeComGroupMessage, MessagePurposes.Marketing, $"sop:{plan.Id}", key, payload.ToJsonString(), o.At));
        }
        else if (plan.Kind == SopKinds.Customer)
        {
            await Outbox.EnqueueAsync(connection, transaction,
                new OutboundMessage(plan.WorkspaceId, o.CustomerId, OutboxChannels.WeComMessage, MessagePurposes.Marketing, $"sop:{plan.Id}", key, payload.ToJsonString(), o.At));
        }

        return created;
    }

    /// <summary>sop:{entry}:{group carrier | staff}:{local date} for calendar plans; sop:{entry}:{customer} for customer plans (each step once per customer).</summary>
    public static string DedupeKey(string kind, SopOccurrence o) => kind switch
    {
        SopKinds.Group => $"sop:{o.EntryId}:{o.GroupCarrierId}:{o.LocalDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}",
        SopKinds.Moments => $"sop:{o.EntryId}:{o.StaffId}:{o.LocalDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}",
        _ => $"sop:{o.EntryId}:{o.CustomerId}",
    };

    internal static async Task<TimeZoneInfo> ZoneAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId)
    {
        var id = await connection.QuerySingleOrDefaultAsync<string>("SELECT time_zone FROM workspaces WHERE id = @workspaceId", new { workspaceId }, transaction);
        return id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
    }

    private static DateTimeOffset Max(params DateTimeOffset[] values) => values.Max();
}

/// <summary>Which targets an entry fires for, and when: groups by tag, the plan's staff accounts, customers by when they added.</summary>
internal static class SopOccurrences
{
    public static async Task<IReadOnlyList<SopOccurrence>> ForPlanAsync(
        DbConnection connection, DbTransaction? transaction, SopPlan plan, TimeZoneInfo zone, DateTimeOffset after, DateTimeOffset until)
    {
        var list = new List<SopOccurrence>();
        switch (plan.Kind)
        {
            case SopKinds.Group:
            {
                var groups = (await SopPlans.GroupsAsync(connection, transaction, plan.WorkspaceId))
                    .Where(g => g.Status == CarrierStatuses.Active && g.Tags.Any(plan.GroupTags.Contains)).ToList();
                foreach (var entry in plan.Entries)
                foreach (var (at, day) in SopSchedule.Calendar(entry, after, until, zone))
                {
                    if (!SopSchedule.InWindow(plan, at))
                        continue;
                    foreach (var g in groups)
                        list.Add(new SopOccurrence(plan.Id, plan.Name, plan.Kind, entry.Id, entry.Title, at, day, g.OwnerStaffId, g.OwnerStaffName, null, null,
                            g.ExternalId, g.Name, entry.Text ?? "", entry.ContentId, g.Id, g.OwnerWecomUserId is not null));
                }

                break;
            }
            case SopKinds.Moments:
            {
                var staff = (await connection.QueryAsync<StaffRow>(
                    "SELECT id, name, status FROM staff WHERE workspace_id = @WorkspaceId", new { plan.WorkspaceId }, transaction)).ToDictionary(s => s.Id);
                foreach (var entry in plan.Entries)
                foreach (var (at, day) in SopSchedule.Calendar(entry, after, until, zone))
                {
                    if (!SopSchedule.InWindow(plan, at))
                        continue;
                    foreach (var staffId in plan.StaffIds)
                    {
                        if (!staff.TryGetValue(staffId, out var s) || s.Status != "active")
                            continue;
                        list.Add(new SopOccurrence(plan.Id, plan.Name, plan.Kind, entry.Id, entry.Title, at, day, s.Id, s.Name, null, null, null, null,
                            entry.TextFor(s.Id), entry.ContentId, null, false));
                    }
                }

                break;
            }
            default:
            {
                if (plan.Entries.Count == 0)
                    break;
                // Anyone whose day-N entry can fall in the range added at most (largest offset + 1) days before it began.
                var from = after.AddDays(-(plan.Entries.Max(e => e.DayOffset) + 2));
                var adds = await connection.QueryAsync<AddRow>(
                    """
                    SELECT r.customer_id, c.display_name AS customer_name, r.since, r.created_at, k.kind AS carrier_kind, k.owner_staff_id, s.name AS staff_name
                    FROM relationships r
                    JOIN carriers k ON k.id = r.carrier_id
                    JOIN customers c ON c.id = r.customer_id
                    LEFT JOIN staff s ON s.id = k.owner_staff_id
                    WHERE r.workspace_id = @WorkspaceId AND r.state = 'active' AND k.kind IN ('wecom_account', 'wechat_account')
                      AND r.since >= @from AND r.since <= @until
                    ORDER BY r.since, r.id
                    """, new { plan.WorkspaceId, from, until }, transaction);
                var seen = new HashSet<Guid>();
                foreach (var add in adds)
                {
                    // A customer who added two staff accounts gets the plan once, from the first.
                    if (!seen.Add(add.CustomerId) || add.OwnerStaffId is null || (plan.StaffIds.Count > 0 && !plan.StaffIds.Contains(add.OwnerStaffId.Value)))
                        continue;
                    if (add.Since < plan.StartsAt)
                        continue;
                    foreach (var entry in plan.Entries)
                    {
                        var at = SopSchedule.CustomerAt(entry, add.Since, add.CreatedAt, zone);
                        // Inclusive below: an add recorded in the same millisecond as the last sweep still counts (the dedupe key stops repeats).
                        if (at < after || at > until || !SopSchedule.InWindow(plan, at))
                            continue;
                        list.Add(new SopOccurrence(plan.Id, plan.Name, plan.Kind, entry.Id, entry.Title, at, SopSchedule.LocalDate(at, zone), add.OwnerStaffId,
                            add.StaffName, add.CustomerId, add.CustomerName, null, null, entry.Text ?? "", entry.ContentId, null, add.CarrierKind == CarrierKinds.WecomAccount));
                    }
                }

                break;
            }
        }

        return list.OrderBy(o => o.At).ToList();
    }

    private sealed class StaffRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
        public string Status { get; init; } = "";
    }

    private sealed class AddRow
    {
        public Guid CustomerId { get; init; }
        public string? CustomerName { get; init; }
        public DateTimeOffset Since { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public string CarrierKind { get; init; } = "";
        public Guid? OwnerStaffId { get; init; }
        public string? StaffName { get; init; }
    }
}

/// <summary>Runs <see cref="SopEngine.RunDueAsync"/> every 30 seconds (entries are minute-granular).</summary>
internal sealed class SopEngineService(SopEngine engine, ILogger<SopEngineService> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        do
        {
            try
            {
                await engine.RunDueAsync(cancellationToken: stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "SOP pass failed; trying again shortly");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
