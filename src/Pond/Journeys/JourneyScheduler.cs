using System.Collections.Concurrent;
using Dapper;
using Microsoft.Data.Sqlite;
using Pond.Storage;

namespace Pond.Journeys;

/// <summary>
/// Enters customers into journeys whose trigger is a date (birthday, N days after the first order) or inactivity (no
/// event for N days). Date journeys are scanned once a local day after their time of day, inactivity journeys once an
/// hour; the occurrence keys (birthday:{year}, first_order, inactive:{since}) make a repeated scan enter nobody twice.
/// </summary>
public sealed class JourneyScheduler(Database database, JourneyEntries entries, TimeProvider clock)
{
    private readonly ConcurrentDictionary<Guid, string> _lastScan = new();

    /// <summary>Scans every live date and inactivity journey that is due a scan; returns how many customers entered.</summary>
    public async Task<int> ScanAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var workspaces = (await connection.QueryAsync<WorkspaceRow>(
            "SELECT DISTINCT w.id, w.time_zone FROM workspaces w JOIN journeys j ON j.workspace_id = w.id WHERE j.status = 'live'")).AsList();
        var entered = 0;
        foreach (var workspace in workspaces)
        {
            var zone = TimeZoneInfo.TryFindSystemTimeZoneById(workspace.TimeZone, out var found) ? found : TimeZoneInfo.Utc;
            var local = TimeZoneInfo.ConvertTime(now, zone);
            var journeys = await entries.ForWorkspaceAsync(connection, null, workspace.Id);
            foreach (var live in journeys.Live)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var trigger = live.Definition.Trigger;
                if (trigger.Kind == TriggerKinds.Date)
                {
                    var at = trigger.At is not null && JourneyValidator.TryTime(trigger.At, out var time) ? time : new TimeOnly(10, 0);
                    var mark = $"{live.Version}:{local:yyyy-MM-dd}";
                    if (TimeOnly.FromDateTime(local.DateTime) < at || _lastScan.GetValueOrDefault(live.JourneyId) == mark)
                        continue;
                    entered += await ScanDateAsync(workspace.Id, live, DateOnly.FromDateTime(local.DateTime), zone, now, cancellationToken);
                    _lastScan[live.JourneyId] = mark;
                }
                else if (trigger.Kind == TriggerKinds.Inactivity)
                {
                    var mark = $"{live.Version}:{now:yyyy-MM-dd HH}";
                    if (_lastScan.GetValueOrDefault(live.JourneyId) == mark)
                        continue;
                    entered += await ScanInactiveAsync(workspace.Id, live, now, cancellationToken);
                    _lastScan[live.JourneyId] = mark;
                }
            }
        }

        return entered;
    }

    private async Task<int> ScanDateAsync(Guid workspaceId, JourneyEntries.LiveJourney live, DateOnly today, TimeZoneInfo zone, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var trigger = live.Definition.Trigger;
        var date = today.AddDays(-(trigger.Days ?? 0));
        await using var connection = await database.OpenAsync(cancellationToken);
        List<Guid> customers;
        string occurrence;
        if (trigger.DateTrait == DateTraits.Birthday)
        {
            // The trait is YYYY-MM-DD or MM-DD: its last five characters are the month and day.
            var monthDay = date.ToString("MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            customers = (await connection.QueryAsync<Guid>(
                database.IsSqlite
                    ? "SELECT id FROM customers WHERE workspace_id = @workspaceId AND substr(json_extract(traits, '$.birthday'), -5) = @monthDay"
                    : "SELECT id FROM customers WHERE workspace_id = @workspaceId AND right(traits::jsonb ->> 'birthday', 5) = @monthDay",
                new { workspaceId, monthDay })).AsList();
            occurrence = $"birthday:{today.Year}";
        }
        else
        {
            var start = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), zone.GetUtcOffset(date.ToDateTime(TimeOnly.MinValue)));
            customers = (await connection.QueryAsync<Guid>(
                "SELECT id FROM customers WHERE workspace_id = @workspaceId AND first_order_at >= @start AND first_order_at < @end",
                new { workspaceId, start, end = start.AddDays(1) })).AsList();
            occurrence = "first_order";
        }

        return await EnterAllAsync(connection, workspaceId, live, customers, occurrence, now, cancellationToken);
    }

    private async Task<int> ScanInactiveAsync(Guid workspaceId, JourneyEntries.LiveJourney live, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var trigger = live.Definition.Trigger;
        var cutoff = now - TimeSpan.FromDays(trigger.Days!.Value);
        var eventName = trigger.Event ?? "Order Completed";
        await using var connection = await database.OpenAsync(cancellationToken);
        // For orders the customer row knows the last one; any other event is looked up on the timeline. The occurrence
        // is the last activity seen, so a customer who comes back and lapses again can enter again (policy allowing).
        var rows = eventName == "Order Completed"
            ? await connection.QueryAsync<InactiveRow>(
                """
                SELECT id, COALESCE(last_order_at, first_seen_at) AS since FROM customers
                WHERE workspace_id = @workspaceId AND COALESCE(last_order_at, first_seen_at) <= @cutoff
                """, new { workspaceId, cutoff })
            : await connection.QueryAsync<InactiveRow>(
                """
                SELECT c.id, COALESCE((SELECT MAX(e.occurred_at) FROM customer_events e WHERE e.customer_id = c.id AND e.name = @eventName), c.first_seen_at) AS since
                FROM customers c WHERE c.workspace_id = @workspaceId AND c.first_seen_at <= @cutoff
                  AND NOT EXISTS (SELECT 1 FROM customer_events e WHERE e.customer_id = c.id AND e.name = @eventName AND e.occurred_at > @cutoff)
                """, new { workspaceId, cutoff, eventName });
        var list = rows.AsList();
        return await EnterAllAsync(connection, workspaceId, live, list.Select(r => r.Id).ToList(), "inactive", now, cancellationToken,
            list.Select(r => $"inactive:{r.Since}").ToList());
    }

    private async Task<int> EnterAllAsync(System.Data.Common.DbConnection connection, Guid workspaceId, JourneyEntries.LiveJourney live, List<Guid> customers,
        string occurrence, DateTimeOffset now, CancellationToken cancellationToken, List<string>? occurrences = null)
    {
        var entered = 0;
        for (var offset = 0; offset < customers.Count; offset += 10_000)
        {
            var chunk = customers.GetRange(offset, Math.Min(10_000, customers.Count - offset));
            await using var transaction = connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : await connection.BeginTransactionAsync(cancellationToken);
            entered += await entries.EnterAsync(connection, transaction, workspaceId, live.JourneyId, live.Version, live.Definition, chunk, occurrence, false, now,
                occurrences?.GetRange(offset, chunk.Count));
            await transaction.CommitAsync(cancellationToken);
        }

        return entered;
    }

    private sealed class WorkspaceRow
    {
        public Guid Id { get; init; }
        public string TimeZone { get; init; } = "UTC";
    }

    private sealed class InactiveRow
    {
        public Guid Id { get; init; }
        public long Since { get; init; }
    }
}
