using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Pond.Storage;

namespace Pond.Audience;

/// <summary>The answer to "who matches this rule right now".</summary>
public sealed record AudiencePreview(int Count, int PoolSize, IReadOnlyList<Guid> Sample, double ElapsedMs);

/// <summary>
/// Keeps every segment's members current. Change notices (and new timeline rows) update the index, the
/// changed customers are re-evaluated against each segment, and whoever enters or leaves is written as
/// segment_members rows and segment.entered / segment.exited audience events in one transaction.
/// Segments whose rules depend on the clock are re-evaluated whole on a timer. One writer at a time:
/// the background loop, and API calls that (re)define a segment, take turns.
/// </summary>
internal sealed class AudienceEngine(
    AudienceIndex index, AudienceChanges changes, Database database, Journeys.JourneyEntries journeys, TimeProvider clock, ILogger<AudienceEngine> logger) : IDisposable
{
    public const string Entered = "segment.entered";
    public const string Exited = "segment.exited";

    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly ConcurrentDictionary<Guid, Dictionary<Guid, LiveSegment>> _segments = new();

    internal AudienceIndex Index => index;

    public async Task<TimeZoneInfo> ZoneAsync(Guid workspaceId) => (await index.GetAsync(workspaceId)).Zone;

    /// <summary>Counts (and samples) the customers matching a rule now, after applying changes still waiting.</summary>
    public async Task<AudiencePreview> PreviewAsync(Guid workspaceId, JsonElement rule, int sampleSize = 20)
    {
        var audience = await index.GetAsync(workspaceId);
        var node = SegmentRuleParser.Parse(rule, audience.Zone);
        await CatchUpAsync();
        var started = Stopwatch.StartNew();
        audience.Lock.EnterReadLock();
        try
        {
            var members = RuleEvaluator.Evaluate(audience, node, clock.GetUtcNow());
            var count = members.Count();
            var elapsed = started.Elapsed.TotalMilliseconds;
            return new AudiencePreview(count, audience.PoolSize, members.Ordinals(sampleSize).Select(audience.IdOf).ToList(), elapsed);
        }
        finally
        {
            audience.Lock.ExitReadLock();
        }
    }

    public async Task<AudienceVocabulary> VocabularyAsync(Guid workspaceId) => VocabularyReader.Read(await index.GetAsync(workspaceId));

    /// <summary>Applies every change notice waiting in the inbox; the background loop calls this, and so does a preview.</summary>
    public async Task<int> CatchUpAsync(CancellationToken cancellationToken = default)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            var pending = new List<AudienceChange>();
            while (changes.Reader.TryRead(out var change))
                pending.Add(change);
            var touched = await index.ApplyAsync(pending.Count > 0 ? pending : WatchAll(), cancellationToken);
            var moved = 0;
            foreach (var (workspaceId, ordinals) in touched)
                moved += await EvaluateAsync(workspaceId, ordinals);
            return pending.Count + moved;
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>With no notices, still look for new timeline rows in every loaded workspace (an empty change of nobody).</summary>
    private List<AudienceChange> WatchAll() => index.LoadedWorkspaces.Select(id => new AudienceChange(id, [], null)).ToList();

    /// <summary>Re-evaluates every segment whose rule depends on the clock, as time passes.</summary>
    public async Task<int> TickAsync(CancellationToken cancellationToken = default)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            var moved = 0;
            foreach (var workspaceId in index.LoadedWorkspaces.ToList())
            {
                foreach (var segment in (await SegmentsAsync(workspaceId)).Values.Where(s => s.TimeRelative && s.Active).ToList())
                    moved += await ReconcileLockedAsync(workspaceId, segment);
            }

            return moved;
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>Loads every workspace's audience and segments (at start), so the first question is answered at once.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        foreach (var workspaceId in await new AudienceStore(database).WorkspacesAsync(cancellationToken))
        {
            await _writer.WaitAsync(cancellationToken);
            try
            {
                await SegmentsAsync(workspaceId);
            }
            finally
            {
                _writer.Release();
            }
        }
    }

    /// <summary>After a segment was created or changed: its members become exactly who matches now.</summary>
    public async Task ReconcileAsync(Guid workspaceId, Guid segmentId, string? previousSyncTag = null)
    {
        await _writer.WaitAsync();
        try
        {
            var segments = await SegmentsAsync(workspaceId);
            var stored = await LoadSegmentAsync(workspaceId, segmentId);
            if (stored is null)
            {
                segments.Remove(segmentId);
                return;
            }

            if (segments.TryGetValue(segmentId, out var existing))
                stored.Members = existing.Members;
            else
                stored.Members = await StoredMembersAsync(workspaceId, segmentId);
            segments[segmentId] = stored;
            await ReconcileLockedAsync(workspaceId, stored);
            await SyncTagAsync(workspaceId, stored, previousSyncTag);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// Makes the synced tag sit on exactly the members: members who lack it get it, others lose it; a tag the
    /// segment synced before (now changed) leaves its members.
    /// </summary>
    private async Task SyncTagAsync(Guid workspaceId, LiveSegment segment, string? previousSyncTag)
    {
        if (segment.SyncTag is null && previousSyncTag is null)
            return;
        var audience = await index.GetAsync(workspaceId);
        Guid[] members, tagged = [];
        audience.Lock.EnterReadLock();
        try
        {
            members = segment.Members.Ordinals().Where(o => audience.Alive[o]).Select(audience.IdOf).ToArray();
            if (segment.SyncTag is { } tag && audience.Tags.TryGetValue(tag, out var carrying))
            {
                var strays = carrying.Clone();
                strays.And(audience.Alive);
                strays.AndNot(segment.Members);
                tagged = strays.Ordinals().Select(audience.IdOf).ToArray();
            }
        }
        finally
        {
            audience.Lock.ExitReadLock();
        }

        var source = TagSources.Segment(segment.Name);
        var now = clock.GetUtcNow();
        var retagged = new List<Guid>();
        await using (var connection = await database.OpenAsync())
        {
            await using DbTransaction transaction = connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : await connection.BeginTransactionAsync();
            if (previousSyncTag is { } previous && previous != segment.SyncTag)
                retagged.AddRange(await CustomerTags.RemoveAsync(connection, transaction, workspaceId, members, previous, source, null, now));
            if (segment.SyncTag is { } tag)
            {
                retagged.AddRange(await CustomerTags.AddAsync(connection, transaction, workspaceId, members, tag, source, null, now));
                retagged.AddRange(await CustomerTags.RemoveAsync(connection, transaction, workspaceId, tagged, tag, source, null, now));
            }

            await transaction.CommitAsync();
        }

        changes.Touch(workspaceId, retagged);
    }

    /// <summary>Before a segment is deleted: forget it (its rows go with it).</summary>
    public async Task DropAsync(Guid workspaceId, Guid segmentId)
    {
        await _writer.WaitAsync();
        try
        {
            if (_segments.TryGetValue(workspaceId, out var segments))
                segments.Remove(segmentId);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>The segments of a workspace with their members, loading them (and reconciling what changed while Pond was down) on first use.</summary>
    private async Task<Dictionary<Guid, LiveSegment>> SegmentsAsync(Guid workspaceId)
    {
        if (_segments.TryGetValue(workspaceId, out var loaded))
            return loaded;
        var audience = await index.GetAsync(workspaceId);
        var segments = new Dictionary<Guid, LiveSegment>();
        await using (var connection = await database.OpenAsync())
        {
            var rows = await connection.QueryAsync<Segment>("SELECT * FROM segments WHERE workspace_id = @workspaceId", new { workspaceId });
            foreach (var row in rows)
            {
                var live = Live(row, audience.Zone);
                if (live is null)
                    continue;
                live.Members = await StoredMembersAsync(workspaceId, row.Id);
                segments[row.Id] = live;
            }
        }

        _segments[workspaceId] = segments;
        foreach (var segment in segments.Values.Where(s => s.Active))
            await ReconcileLockedAsync(workspaceId, segment);
        return segments;
    }

    private async Task<LiveSegment?> LoadSegmentAsync(Guid workspaceId, Guid segmentId)
    {
        var audience = await index.GetAsync(workspaceId);
        await using var connection = await database.OpenAsync();
        var row = await connection.QuerySingleOrDefaultAsync<Segment>(
            "SELECT * FROM segments WHERE workspace_id = @workspaceId AND id = @segmentId", new { workspaceId, segmentId });
        return row is null ? null : Live(row, audience.Zone);
    }

    private LiveSegment? Live(Segment row, TimeZoneInfo zone)
    {
        try
        {
            var rule = SegmentRuleParser.Parse(row.Rule, zone);
            return new LiveSegment(row.Id, row.Name, rule, row.SyncTag, row.Status == SegmentStatuses.Active, RuleEvaluator.IsTimeRelative(rule));
        }
        catch (ValidationFailedException e)
        {
            // Stored rules were valid when saved; a rule the current parser refuses is left alone, not guessed at.
            logger.LogWarning("Segment {Segment} ({Name}) has a rule this version cannot read and is not evaluated: {Reason}", row.Id, row.Name, e.Message);
            return null;
        }
    }

    private async Task<BitSet> StoredMembersAsync(Guid workspaceId, Guid segmentId)
    {
        var audience = await index.GetAsync(workspaceId);
        var members = new BitSet(audience.Capacity);
        await using var connection = await database.OpenAsync();
        await foreach (var id in connection.QueryUnbufferedAsync<Guid>("SELECT customer_id FROM segment_members WHERE segment_id = @segmentId", new { segmentId }))
        {
            // A member the index no longer knows (erased) gets an ordinal that is not alive, so the reconcile lets them exit.
            members.EnsureCapacity(audience.Count + 1);
            audience.Lock.EnterWriteLock();
            try
            {
                var ordinal = audience.Admit(id);
                members.EnsureCapacity(audience.Capacity);
                members[ordinal] = true;
            }
            finally
            {
                audience.Lock.ExitWriteLock();
            }
        }

        return members;
    }

    /// <summary>Full evaluation of one segment against its stored members; writes the difference.</summary>
    private async Task<int> ReconcileLockedAsync(Guid workspaceId, LiveSegment segment)
    {
        if (!segment.Active)
            return 0;
        var audience = await index.GetAsync(workspaceId);
        List<int> entered = [], exited = [];
        audience.Lock.EnterReadLock();
        try
        {
            var now = RuleEvaluator.Evaluate(audience, segment.Rule, clock.GetUtcNow());
            segment.Members.EnsureCapacity(audience.Capacity);
            var add = now.Clone();
            add.AndNot(segment.Members);
            entered.AddRange(add.Ordinals());
            var remove = segment.Members.Clone();
            remove.AndNot(now);
            exited.AddRange(remove.Ordinals());
        }
        finally
        {
            audience.Lock.ExitReadLock();
        }

        await WriteAsync(audience, segment, entered, exited, recordSize: true);
        return entered.Count + exited.Count;
    }

    /// <summary>Re-evaluates changed customers against every active segment of the workspace.</summary>
    private async Task<int> EvaluateAsync(Guid workspaceId, HashSet<int> ordinals)
    {
        var segments = await SegmentsAsync(workspaceId);
        var audience = await index.GetAsync(workspaceId);
        var moved = 0;
        foreach (var segment in segments.Values.Where(s => s.Active).ToList())
        {
            List<int> entered = [], exited = [];
            audience.Lock.EnterReadLock();
            try
            {
                var now = clock.GetUtcNow();
                segment.Members.EnsureCapacity(audience.Capacity);
                foreach (var ordinal in ordinals)
                {
                    var matches = RuleEvaluator.Matches(audience, segment.Rule, ordinal, now);
                    if (matches != segment.Members[ordinal])
                        (matches ? entered : exited).Add(ordinal);
                }
            }
            finally
            {
                audience.Lock.ExitReadLock();
            }

            await WriteAsync(audience, segment, entered, exited);
            moved += entered.Count + exited.Count;
        }

        return moved;
    }

    /// <summary>Records who entered and left: member rows, audience events, the count and today's size, all in one transaction.</summary>
    private async Task WriteAsync(WorkspaceAudience audience, LiveSegment segment, List<int> entered, List<int> exited, bool recordSize = false)
    {
        if (entered.Count == 0 && exited.Count == 0 && !recordSize)
            return;
        var now = clock.GetUtcNow();
        var enteredIds = entered.Select(audience.IdOf).ToArray();
        var exitedIds = exited.Select(audience.IdOf).ToArray();
        var size = segment.Members.Count() + entered.Count - exited.Count;
        var local = TimeZoneInfo.ConvertTime(now, audience.Zone);
        var day = SegmentBook.DayNumber(DateOnly.FromDateTime(local.DateTime));
        var detail = JsonSerializer.Serialize(new { segment = segment.Name });
        var retagged = new List<Guid>();
        await using (var connection = await database.OpenAsync())
        {
            await using DbTransaction transaction = connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : await connection.BeginTransactionAsync();
            foreach (var chunk in exitedIds.Chunk(5000))
            {
                await connection.ExecuteAsync($"DELETE FROM segment_members WHERE segment_id = @segmentId AND customer_id {In("ids")}",
                    new { segmentId = segment.Id, ids = Ids(chunk) }, transaction);
                await InsertEventsAsync(connection, transaction, audience.WorkspaceId, chunk, Exited, segment.Id, detail, now);
            }

            foreach (var chunk in enteredIds.Chunk(5000))
            {
                await connection.ExecuteAsync(
                    $"INSERT INTO segment_members (segment_id, customer_id, entered_at) SELECT @segmentId, {Value()}, @now FROM {Each("ids")} WHERE true ON CONFLICT DO NOTHING",
                    new { segmentId = segment.Id, ids = Ids(chunk), now }, transaction);
                await InsertEventsAsync(connection, transaction, audience.WorkspaceId, chunk, Entered, segment.Id, detail, now);
            }

            await journeys.OnSegmentEnteredAsync(connection, transaction, audience.WorkspaceId, segment.Id, enteredIds, now);

            // A synced tag moves with the membership, in the same transaction. Read fresh: renaming a tag renames it here too.
            var stored = await connection.QuerySingleOrDefaultAsync<SyncRow>(
                "SELECT name, sync_tag FROM segments WHERE id = @segmentId", new { segmentId = segment.Id }, transaction);
            if (stored?.SyncTag is { } tag)
            {
                var source = TagSources.Segment(stored.Name);
                retagged.AddRange(await CustomerTags.AddAsync(connection, transaction, audience.WorkspaceId, enteredIds, tag, source, null, now));
                retagged.AddRange(await CustomerTags.RemoveAsync(connection, transaction, audience.WorkspaceId, exitedIds, tag, source, null, now));
            }

            await connection.ExecuteAsync("UPDATE segments SET member_count = @size WHERE id = @segmentId", new { size, segmentId = segment.Id }, transaction);
            await connection.ExecuteAsync(
                "INSERT INTO segment_sizes (segment_id, day, size) VALUES (@segmentId, @day, @size) ON CONFLICT (segment_id, day) DO UPDATE SET size = excluded.size",
                new { segmentId = segment.Id, day, size }, transaction);
            await transaction.CommitAsync();
        }

        foreach (var ordinal in entered)
            segment.Members[ordinal] = true;
        foreach (var ordinal in exited)
            segment.Members[ordinal] = false;
        changes.Touch(audience.WorkspaceId, retagged);
        logger.LogDebug("Segment {Segment}: {Entered} entered, {Exited} exited", segment.Name, entered.Count, exited.Count);
    }

    private async Task InsertEventsAsync(
        DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid[] ids, string kind, Guid segmentId, string detail, DateTimeOffset now) =>
        await connection.ExecuteAsync(
            $"INSERT INTO audience_events (workspace_id, customer_id, kind, subject, detail, occurred_at) SELECT @workspaceId, {Value()}, @kind, @subject, @detail, @now FROM {Each("ids")}",
            new { workspaceId, ids = Ids(ids), kind, subject = segmentId.ToString(), detail, now }, transaction);

    // One parameter carries a whole chunk of ids: a JSON array on SQLite, a uuid[] on PostgreSQL.
    private object Ids(Guid[] ids) => database.IsSqlite ? JsonSerializer.Serialize(ids) : ids;

    private string In(string name) => database.IsSqlite ? $"IN (SELECT value FROM json_each(@{name}))" : $"= ANY(@{name})";

    private string Each(string name) => database.IsSqlite ? $"json_each(@{name})" : $"unnest(@{name}) AS value";

    private static string Value() => "value";

    public void Dispose() => _writer.Dispose();

    private sealed class SyncRow
    {
        public string Name { get; init; } = "";
        public string? SyncTag { get; init; }
    }

    private sealed class LiveSegment(Guid id, string name, RuleNode rule, string? syncTag, bool active, bool timeRelative)
    {
        public Guid Id { get; } = id;
        public string Name { get; } = name;
        public RuleNode Rule { get; } = rule;
        public string? SyncTag { get; } = syncTag;
        public bool Active { get; } = active;
        public bool TimeRelative { get; } = timeRelative;
        public BitSet Members { get; set; } = new(0);
    }
}
