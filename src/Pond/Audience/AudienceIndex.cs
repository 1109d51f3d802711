using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Pond.Audience;

/// <summary>
/// The in-memory audience of every workspace: built from the database on first use (the audience engine
/// builds them all at start), then kept current by <see cref="ApplyAsync"/>, which reloads changed
/// customers and reads new timeline rows. Only the audience engine applies changes.
/// </summary>
internal sealed class AudienceIndex(AudienceStore store, ILogger<AudienceIndex> logger)
{
    private readonly ConcurrentDictionary<Guid, Lazy<Task<Loaded>>> _workspaces = new();

    /// <summary>The workspace's audience, building it if this is the first ask.</summary>
    public async Task<WorkspaceAudience> GetAsync(Guid workspaceId) => (await LoadedAsync(workspaceId)).Audience;

    public bool IsLoaded(Guid workspaceId) => _workspaces.TryGetValue(workspaceId, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully;

    public IEnumerable<Guid> LoadedWorkspaces => _workspaces.Keys.Where(IsLoaded);

    private Task<Loaded> LoadedAsync(Guid workspaceId)
    {
        var lazy = _workspaces.GetOrAdd(workspaceId, id => new Lazy<Task<Loaded>>(() => BuildAsync(id)));
        var task = lazy.Value;
        // A failed build (the database was away) is retried on the next ask rather than remembered.
        if (task.IsFaulted)
            _workspaces.TryRemove(new KeyValuePair<Guid, Lazy<Task<Loaded>>>(workspaceId, lazy));
        return task;
    }

    private async Task<Loaded> BuildAsync(Guid workspaceId)
    {
        var started = Stopwatch.StartNew();
        var zone = await store.ZoneAsync(workspaceId);
        var audience = new WorkspaceAudience(workspaceId, zone);
        var expected = await store.CustomerCountAsync(workspaceId);
        audience.Reserve(Math.Max(1024, expected + expected / 8));
        var watermark = await store.EventWatermarkAsync(workspaceId);
        audience.CarrierFacts = await store.CarriersAsync(workspaceId);
        var loaded = 0;
        var facts = await store.FactsAsync(workspaceId, null, row =>
        {
            audience.SetProfile(row);
            if (++loaded % 200_000 == 0)
                logger.LogInformation("Audience of {Workspace}: {Loaded:N0} of {Expected:N0} customers", workspaceId, loaded, expected);
        });
        ApplyRelations(audience, facts);
        logger.LogInformation("Audience of {Workspace}: {Customers:N0} customers, {Tags:N0} tags, {Relationships:N0} relationships in {Elapsed} ms; reading events",
            workspaceId, loaded, facts.Tags.Count, facts.Relationships.Count, started.ElapsedMilliseconds);

        var events = 0L;
        await store.ReadEventsAsync(workspaceId, 0, watermark, null, (customer, name, occurredAt, properties) =>
        {
            if (name is null || audience.OrdinalOf(customer) is not { } ordinal)
                return;
            AddEvent(audience, ordinal, name, occurredAt, properties);
            if (++events % 2_000_000 == 0)
                logger.LogInformation("Audience of {Workspace}: {Events:N0} events read", workspaceId, events);
        });
        foreach (var column in audience.Events.Values)
            column.Sort();
        logger.LogInformation(
            "Audience of {Workspace} ready: {Customers:N0} customers, {Events:N0} events, about {Megabytes:N0} MB, in {Elapsed:N1} s",
            workspaceId, loaded, events, audience.Bytes / 1_048_576.0, started.Elapsed.TotalSeconds);
        return new Loaded(audience) { EventWatermark = watermark };
    }

    private static void AddEvent(WorkspaceAudience audience, int ordinal, string name, long occurredAtMs, ReadOnlyMemory<byte> properties)
    {
        var reader = new Utf8JsonReader(properties.Span);
        using var document = JsonDocument.ParseValue(ref reader);
        audience.AddEvent(ordinal, name, DateTimeOffset.FromUnixTimeMilliseconds(occurredAtMs), document.RootElement);
    }

    /// <summary>
    /// Applies change notices and returns, per workspace, the ordinals of customers whose memberships must
    /// be re-evaluated. Workspaces never asked for are skipped (their build will read the database after
    /// the change); one being built is waited for, so no notice is lost to a build in progress.
    /// </summary>
    public async Task<Dictionary<Guid, HashSet<int>>> ApplyAsync(IReadOnlyList<AudienceChange> changes, CancellationToken cancellationToken)
    {
        var touched = new Dictionary<Guid, HashSet<int>>();
        foreach (var workspace in changes.GroupBy(c => c.WorkspaceId))
        {
            if (!_workspaces.ContainsKey(workspace.Key))
                continue;
            var loaded = await LoadedAsync(workspace.Key);
            var ordinals = await ApplyAsync(loaded, workspace.ToList(), cancellationToken);
            if (ordinals.Count > 0)
                touched[workspace.Key] = ordinals;
        }

        return touched;
    }

    private async Task<HashSet<int>> ApplyAsync(Loaded loaded, List<AudienceChange> changes, CancellationToken cancellationToken)
    {
        var audience = loaded.Audience;
        var everyone = changes.Any(c => c.CustomerIds is null);
        var ids = everyone ? null : changes.SelectMany(c => c.CustomerIds!).ToHashSet();
        var survivors = changes.Where(c => c.ReloadEventsOf is not null).Select(c => c.ReloadEventsOf!.Value).ToHashSet();

        // Read everything first, then change the index in one short write-locked step. New events are read
        // before profiles, and their customers reloaded too: an event's customer always exists by then
        // (both were committed together), even when its change notice is still on the way.
        var watermark = await store.EventWatermarkAsync(audience.WorkspaceId);
        var newEvents = new List<(Guid Customer, string Name, long At, byte[] Properties)>();
        var withNewRows = new HashSet<Guid>();
        await store.ReadEventsAsync(audience.WorkspaceId, loaded.EventWatermark, watermark, null, (customer, name, at, properties) =>
        {
            withNewRows.Add(customer);
            if (name is not null)
                newEvents.Add((customer, name, at, properties.ToArray()));
        }, cancellationToken);
        ids?.UnionWith(withNewRows);
        var carriers = await store.CarriersAsync(audience.WorkspaceId);
        var facts = await store.FactsAsync(audience.WorkspaceId, ids);
        var reloaded = new List<(Guid Customer, string Name, long At, byte[] Properties)>();
        foreach (var survivor in survivors)
        {
            await store.ReadEventsAsync(audience.WorkspaceId, 0, watermark, survivor, (customer, name, at, properties) =>
            {
                if (name is not null)
                    reloaded.Add((customer, name, at, properties.ToArray()));
            }, cancellationToken);
        }

        var touched = new HashSet<int>();
        audience.Lock.EnterWriteLock();
        try
        {
            audience.CarrierFacts = carriers;
            var present = new HashSet<Guid>();
            foreach (var row in facts.Profiles)
            {
                audience.SetProfile(row);
                present.Add(row.Id);
                touched.Add(audience.OrdinalOf(row.Id)!.Value);
            }

            // Touched customers no longer in the table were merged into another (or erased).
            foreach (var id in ids ?? [])
            {
                if (!present.Contains(id) && audience.OrdinalOf(id) is { } gone)
                {
                    audience.Remove(id);
                    touched.Add(gone);
                }
            }

            if (everyone)
            {
                for (var ordinal = 0; ordinal < audience.Count; ordinal++)
                {
                    if (audience.Alive[ordinal] && !present.Contains(audience.IdOf(ordinal)))
                        audience.Remove(audience.IdOf(ordinal));
                }
            }

            foreach (var ordinal in touched)
                audience.ClearRelations(ordinal);
            ApplyRelations(audience, facts);

            foreach (var survivor in survivors)
            {
                if (audience.OrdinalOf(survivor) is { } ordinal)
                    audience.ForgetEvents(ordinal);
            }

            foreach (var (customer, name, at, properties) in reloaded.Concat(newEvents.Where(e => !survivors.Contains(e.Customer))))
            {
                var ordinal = audience.OrdinalOf(customer) ?? -1;
                if (ordinal < 0 || !audience.Alive[ordinal])
                    continue;
                AddEvent(audience, ordinal, name, at, properties);
                touched.Add(ordinal);
            }

            foreach (var column in audience.Events.Values)
            {
                // Late events (older than the newest) pile up unsorted; re-sort once they are a noticeable share.
                if (column.Count - column.SortedCount > Math.Max(10_000, column.Count / 10))
                    column.Sort();
            }

            loaded.EventWatermark = watermark;
            audience.Touched();
        }
        finally
        {
            audience.Lock.ExitWriteLock();
        }

        return touched;
    }

    private static void ApplyRelations(WorkspaceAudience audience, CustomerFacts facts)
    {
        foreach (var tag in facts.Tags)
        {
            if (audience.OrdinalOf(tag.CustomerId) is { } ordinal)
                audience.AddTag(ordinal, tag.Tag);
        }

        foreach (var relationship in facts.Relationships)
        {
            if (audience.OrdinalOf(relationship.CustomerId) is { } ordinal)
                audience.AddRelationship(ordinal, relationship.CarrierId);
        }

        foreach (var score in facts.Scores)
        {
            if (audience.OrdinalOf(score.CustomerId) is { } ordinal)
                audience.SetScores(ordinal, score);
        }

        foreach (var loyalty in facts.Loyalty)
        {
            if (audience.OrdinalOf(loyalty.CustomerId) is { } ordinal)
                audience.SetLoyalty(ordinal, loyalty);
        }

        foreach (var coupon in facts.Coupons)
        {
            if (audience.OrdinalOf(coupon.CustomerId) is { } ordinal)
                audience.AddCoupon(ordinal, coupon);
        }

        audience.TierNames = facts.TierNames;
        audience.TemplateNames = facts.TemplateNames;
    }

    private sealed class Loaded(WorkspaceAudience audience)
    {
        public WorkspaceAudience Audience { get; } = audience;

        /// <summary>The newest timeline row the audience has read.</summary>
        public long EventWatermark { get; set; }
    }
}
