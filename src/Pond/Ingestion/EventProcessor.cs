using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Pond.Audience;
using Pond.Channels;
using Pond.Commerce;
using Pond.Customers;
using Pond.Storage;

namespace Pond.Ingestion;

/// <summary>
/// Applies the event log to customers: identity resolution, traits, consent, relationships, orders and
/// the timeline. Reads the log after its checkpoint in seq order and moves the checkpoint in the same
/// transaction as the changes, so a crash repeats nothing and loses nothing. A single reader in seq
/// order keeps every customer's events in order. Re-applying an event is a no-op: its timeline row
/// (unique per workspace and message id) marks it as applied.
/// </summary>
public sealed class EventProcessor(
    Database database, IdentityResolver resolver, AudienceChanges audience, OrderBook orders, Fission.ReferralEngine referrals, Journeys.JourneyEntries journeys,
    TimeProvider clock, ILogger<EventProcessor> logger) : IDisposable
{
    public const string CheckpointName = "event_processor";

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Events per transaction when caught up: small enough not to hold the SQLite write lock long.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>
    /// Events per transaction while working off a backlog: each commit costs about the same whatever its
    /// size, so a full batch doubles the next one up to this cap, and an idle log brings it back down.
    /// </summary>
    public int MaxBatchSize { get; init; } = 2000;

    /// <summary>
    /// Applies pending events (at most <paramref name="maxEvents"/>) and returns how many were read.
    /// The background engine calls this in a loop; tests and the demo loader call it directly.
    /// </summary>
    public async Task<int> ProcessPendingAsync(int maxEvents = int.MaxValue, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var total = 0;
            var size = BatchSize;
            while (total < maxEvents)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var wanted = Math.Min(size, maxEvents - total);
                var read = await ProcessBatchAsync(wanted);
                if (read == 0)
                    break;
                total += read;
                size = read == wanted ? Math.Min(size * 2, Math.Max(BatchSize, MaxBatchSize)) : BatchSize;
            }

            return total;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The seq of the last applied event.</summary>
    public async Task<long> CheckpointAsync()
    {
        await using var connection = await database.OpenAsync();
        return await connection.ExecuteScalarAsync<long?>("SELECT position FROM processor_checkpoints WHERE name = @name", new { name = CheckpointName }) ?? 0;
    }

    private async Task<int> ProcessBatchAsync(int limit)
    {
        await using var connection = await database.OpenAsync();
        // SQLite: take the write lock up front; a deferred transaction that reads first and writes later can fail to upgrade.
        await using DbTransaction transaction = connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: false)
            : await connection.BeginTransactionAsync();
        var now = clock.GetUtcNow();
        await connection.ExecuteAsync(
            "INSERT INTO processor_checkpoints (name, position, updated_at) VALUES (@name, 0, @now) ON CONFLICT (name) DO NOTHING",
            new { name = CheckpointName, now }, transaction);
        // FOR UPDATE makes a second Pond node wait instead of applying the same events at the same time.
        var position = await connection.ExecuteScalarAsync<long>(
            "SELECT position FROM processor_checkpoints WHERE name = @name" + (database.IsSqlite ? "" : " FOR UPDATE"),
            new { name = CheckpointName }, transaction);
        var events = (await connection.QueryAsync<LoggedEvent>(
            """
            SELECT seq, workspace_id, message_id, type, occurred_at, payload FROM event_log
            WHERE seq > @position ORDER BY seq LIMIT @limit
            """, new { position, limit }, transaction)).AsList();
        if (events.Count == 0)
            return 0;

        // Events of a workspace deleted since they were logged have nobody to apply to; skipping them keeps
        // one deleted workspace from stalling everyone's events.
        var workspaces = (await connection.QueryAsync<Guid>("SELECT id FROM workspaces", transaction: transaction)).ToHashSet();
        var applied = await AppliedAsync(connection, transaction, events);
        var pending = new List<ParsedEvent>(events.Count);
        var touched = new Touched();
        try
        {
            foreach (var logged in events)
            {
                if (workspaces.Contains(logged.WorkspaceId) && !applied.Contains((logged.WorkspaceId, logged.MessageId)))
                    pending.Add(Parse(logged));
            }

            using var statements = new Statements(connection, transaction);
            var batch = new ProcessorBatch(new ProcessorStore(statements), now);
            await batch.LoadAsync(pending.SelectMany(e => e.Attach.Concat(e.LookupOnly).Select(i => (e.Logged.WorkspaceId, i))));
            foreach (var parsed in pending)
                await ApplyAsync(statements, batch, parsed, touched, now);
            await batch.FlushAsync();
            // Every day an applied event happened on may count differently now (adds, deletions, orders).
            await Analytics.InsightDirty.MarkAsync(connection, transaction, pending.Select(p => (p.Logged.WorkspaceId, p.Logged.OccurredAt)), now);
        }
        finally
        {
            foreach (var parsed in pending)
                parsed.Document.Dispose();
        }

        await connection.ExecuteAsync(
            "UPDATE processor_checkpoints SET position = @position, updated_at = @now WHERE name = @name",
            new { name = CheckpointName, position = events[^1].Seq, now }, transaction);
        await transaction.CommitAsync();
        // Only now are the changes visible to the audience engine's reads.
        foreach (var (workspaceId, survivor, merged) in touched.Merges)
            audience.Merged(workspaceId, survivor, merged);
        foreach (var (workspaceId, customers) in touched.Customers)
            audience.Touch(workspaceId, customers);
        foreach (var action in touched.AfterCommit)
            await action();
        logger.LogDebug("Applied events {From}..{To}", events[0].Seq, events[^1].Seq);
        return events.Count;
    }

    /// <summary>Events of the batch that already have their timeline row, i.e. were applied before (a replay).</summary>
    private async Task<HashSet<(Guid, string)>> AppliedAsync(DbConnection connection, DbTransaction transaction, List<LoggedEvent> events)
    {
        var applied = new HashSet<(Guid, string)>();
        foreach (var workspace in events.GroupBy(e => e.WorkspaceId))
        {
            var ids = await connection.QueryAsync<string>(
                // One parameter for all ids: SQLite reads them from a JSON array, PostgreSQL from an array.
                "SELECT message_id FROM customer_events WHERE workspace_id = @workspaceId AND message_id "
                + (database.IsSqlite ? "IN (SELECT value FROM json_each(@messageIds))" : "= ANY(@messageIds)"),
                new
                {
                    workspaceId = workspace.Key,
                    messageIds = database.IsSqlite ? (object)JsonSerializer.Serialize(workspace.Select(e => e.MessageId)) : workspace.Select(e => e.MessageId).ToArray(),
                }, transaction);
            foreach (var id in ids)
                applied.Add((workspace.Key, id));
        }

        return applied;
    }

    /// <summary>The event's message and the identities it names (read up front, so the batch can look them all up at once).</summary>
    private static ParsedEvent Parse(LoggedEvent logged)
    {
        var document = JsonDocument.Parse(logged.Payload);
        var message = document.RootElement;
        var attach = MessageIdentities.From(message, logged.Type);
        var lookupOnly = new List<Identity>();
        if (logged.Type == "alias" && SegmentMessages.ReadId(message, "previousId", "") is { } previousId)
        {
            // previousId is an anonymousId or an earlier userId; look for both.
            lookupOnly.Add(new Identity(IdentityKinds.UserId, "", previousId.Trim()));
            lookupOnly.Add(new Identity(IdentityKinds.AnonymousId, "", previousId.Trim()));
        }

        return new ParsedEvent(logged, document, attach, lookupOnly);
    }

    private async Task ApplyAsync(Statements statements, ProcessorBatch batch, ParsedEvent parsed, Touched touched, DateTimeOffset now)
    {
        var (connection, transaction) = (statements.Connection, statements.Transaction);
        var logged = parsed.Logged;
        var message = parsed.Document.RootElement;
        var type = logged.Type;
        var occurredAt = logged.OccurredAt;

        var attach = parsed.Attach.ToList();
        // A previousId never seen as a userId is kept as an anonymous id so later events sent under it find this customer.
        if (parsed.LookupOnly is [var asUser, var asAnonymous] && !batch.IsKnown(logged.WorkspaceId, asUser))
            attach.Add(asAnonymous);

        var customer = await ResolveAsync(statements, batch, logged, attach, parsed.LookupOnly, touched, now);
        touched.Add(logged.WorkspaceId, customer.Id);
        if (occurredAt < customer.FirstSeenAt)
            customer.FirstSeenAt = occurredAt;
        if (occurredAt > customer.LastSeenAt)
            customer.LastSeenAt = occurredAt;

        string? name = null;
        string properties;
        switch (type)
        {
            case "identify":
                properties = ObjectText(message, "traits");
                ApplyTraits(customer, message, occurredAt);
                break;
            case "track":
                name = SegmentMessages.ReadString(message, "event");
                properties = ObjectText(message, "properties");
                await ApplyTrackAsync(connection, transaction, customer, name, message, logged.MessageId, occurredAt, touched, now);
                if (name is TrackedEvents.OrderCompleted or TrackedEvents.OrderRefunded)
                    await ApplyOrderAsync(statements, customer, name, message, logged.MessageId, occurredAt, touched, now);
                if (name is not null)
                    await journeys.OnEventAsync(connection, transaction, logged.WorkspaceId, customer.Id, name, properties, logged.MessageId, occurredAt, now);
                break;
            case "page" or "screen":
                name = SegmentMessages.ReadString(message, "name");
                properties = ObjectText(message, "properties");
                break;
            case "group":
                // Group traits describe the group (a company, a household), not the person: they stay on the event.
                name = SegmentMessages.ReadId(message, "groupId", "");
                properties = new JsonObject
                {
                    ["groupId"] = name,
                    ["traits"] = JsonNode.Parse(ObjectText(message, "traits")),
                }.ToJsonString(IdentityResolver.StoredJson);
                break;
            default:
                properties = new JsonObject { ["previousId"] = SegmentMessages.ReadId(message, "previousId", "") }.ToJsonString(IdentityResolver.StoredJson);
                break;
        }

        customer.UpdatedAt = now;
        batch.Changed(customer);
        batch.AddTimeline(logged.WorkspaceId, customer.Id, logged.MessageId, type, name, occurredAt, properties);
    }

    /// <summary>
    /// The event's customer from the batch's state; a stranger becomes a new customer. Naming identities of
    /// several customers merges them, which the resolver does in the database, so the batch is written first.
    /// </summary>
    private async Task<CustomerRecord> ResolveAsync(
        Statements statements, ProcessorBatch batch, LoggedEvent logged, List<Identity> attach, List<Identity> lookupOnly, Touched touched, DateTimeOffset now)
    {
        var owners = batch.OwnersOf(logged.WorkspaceId, attach.Concat(lookupOnly));
        if (owners.Count > 1)
        {
            await batch.FlushAsync();
            var survivor = await resolver.ResolveAsync(statements, logged.WorkspaceId, attach, lookupOnly, logged.MessageId, logged.OccurredAt, now);
            var merged = owners.Where(id => id != survivor.Id).ToList();
            batch.Merged(survivor, merged, attach);
            touched.Merges.Add((logged.WorkspaceId, survivor.Id, merged));
            return survivor;
        }

        var customer = owners.Count == 0 ? batch.Create(logged.WorkspaceId, logged.OccurredAt) : batch.Customer(owners[0]);
        foreach (var identity in attach)
            batch.Attach(customer, identity);
        return customer;
    }

    /// <summary>
    /// identify: traits are merged key by key (null removes a key); name, else nickname, becomes the
    /// display name; marketing_opt_out true/false records or withdraws the opt-out.
    /// </summary>
    private static void ApplyTraits(CustomerRecord customer, JsonElement message, DateTimeOffset occurredAt)
    {
        if (!message.TryGetProperty("traits", out var traits) || traits.ValueKind != JsonValueKind.Object)
            return;
        var merged = IdentityResolver.ParseObject(customer.Traits);
        foreach (var property in traits.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Null)
                merged.Remove(property.Name);
            else
                merged[property.Name] = JsonNode.Parse(property.Value.GetRawText());
        }

        customer.Traits = merged.ToJsonString(IdentityResolver.StoredJson);
        var displayName = SegmentMessages.ReadString(traits, "name") ?? SegmentMessages.ReadString(traits, "nickname");
        if (!string.IsNullOrWhiteSpace(displayName))
            customer.DisplayName = displayName.Trim();
        if (traits.TryGetProperty("marketing_opt_out", out var optOut))
        {
            if (optOut.ValueKind == JsonValueKind.True)
                OptOut(customer, occurredAt);
            else if (optOut.ValueKind == JsonValueKind.False)
            {
                customer.MarketingOptOut = false;
                customer.OptedOutAt = null;
            }
        }
    }

    private static void OptOut(CustomerRecord customer, DateTimeOffset occurredAt)
    {
        if (customer.MarketingOptOut)
            return;
        customer.MarketingOptOut = true;
        customer.OptedOutAt = occurredAt;
    }

    private async Task ApplyTrackAsync(
        DbConnection connection, DbTransaction transaction, CustomerRecord customer, string? name, JsonElement message, string messageId,
        DateTimeOffset occurredAt, Touched touched, DateTimeOffset now)
    {
        switch (name)
        {
            case TrackedEvents.OrderCompleted:
                if (customer.FirstOrderAt is null || occurredAt < customer.FirstOrderAt)
                    customer.FirstOrderAt = occurredAt;
                if (customer.LastOrderAt is null || occurredAt > customer.LastOrderAt)
                    customer.LastOrderAt = occurredAt;
                break;
            case TrackedEvents.Unsubscribed:
                OptOut(customer, occurredAt);
                break;
            case TrackedEvents.MessageReceived:
                if (message.TryGetProperty("properties", out var received) && received.ValueKind == JsonValueKind.Object
                    && Messaging.Messages.IsUnsubscribeKeyword(SegmentMessages.ReadString(received, "text")))
                    OptOut(customer, occurredAt);
                break;
            case TrackedEvents.TagAdded or TrackedEvents.TagRemoved:
                await ApplyTagsAsync(connection, transaction, customer, name == TrackedEvents.TagAdded, message, occurredAt);
                break;
            case TrackedEvents.RelationshipStarted or TrackedEvents.RelationshipEnded:
                if (!message.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
                    return;
                var kind = SegmentMessages.ReadString(properties, "carrier_kind");
                var externalId = SegmentMessages.ReadId(properties, "carrier_id", "");
                // The API rejects these already; events logged by older versions are recorded but not applied.
                if (kind is null || !CarrierKinds.IsValid(kind) || externalId is null)
                    return;
                var carrierId = await CarrierAsync(connection, transaction, customer.WorkspaceId, kind, externalId, now);
                if (name == TrackedEvents.RelationshipStarted)
                {
                    var started = await connection.ExecuteAsync(
                        """
                        INSERT INTO relationships (id, workspace_id, customer_id, carrier_id, state, since, source_channel, created_at)
                        SELECT @id, @workspaceId, @customerId, @carrierId, 'active', @occurredAt, @sourceChannel, @now
                        WHERE NOT EXISTS (SELECT 1 FROM relationships WHERE customer_id = @customerId AND carrier_id = @carrierId AND state = 'active')
                        """,
                        new
                        {
                            id = Guid.CreateVersion7(), workspaceId = customer.WorkspaceId, customerId = customer.Id, carrierId, occurredAt,
                            sourceChannel = SegmentMessages.ReadString(properties, "source_channel"), now,
                        }, transaction);
                    if (started > 0)
                    {
                        var inviteCode = Fission.ReferralCodes.CodeOf(SegmentMessages.ReadString(properties, "state"));
                        // Whether they were in the pool before this add, read before the add's own acquisition row is written.
                        var isNew = inviteCode is not null && await IsNewToPoolAsync(connection, transaction, customer, occurredAt);
                        await Acquisitions.StartedAsync(connection, transaction, customer, carrierId, kind, properties, messageId, occurredAt, now);
                        if (inviteCode is not null)
                        {
                            await ReferralAsync(connection, transaction, customer.WorkspaceId, touched, now, work =>
                                referrals.InvitedAsync(work, inviteCode, customer.Id, customer.Traits, carrierId, kind, isNew, messageId, occurredAt));
                        }
                    }
                }
                else
                {
                    var endedBy = SegmentMessages.ReadString(properties, "ended_by") is { } by && by is EndedBy.Customer or EndedBy.Staff or EndedBy.System
                        ? by
                        : EndedBy.Customer;
                    await connection.ExecuteAsync(
                        """
                        UPDATE relationships SET state = 'ended', ended_at = @occurredAt, ended_by = @endedBy
                        WHERE customer_id = @customerId AND carrier_id = @carrierId AND state = 'active'
                        """, new { customerId = customer.Id, carrierId, occurredAt, endedBy }, transaction);
                    await Acquisitions.EndedAsync(connection, transaction, customer.WorkspaceId, customer.Id, carrierId, endedBy, occurredAt, now);
                    await ReferralAsync(connection, transaction, customer.WorkspaceId, touched, now, work => Fission.ReferralEngine.LeftAsync(work, customer.Id, carrierId, occurredAt));
                }

                customer.Depth = await IdentityResolver.DepthAsync(connection, transaction, customer.Id);
                break;
        }
    }

    /// <summary>
    /// New to the pool: first seen at most ten minutes before this add (the landing page may have tracked them just before),
    /// with no earlier relationship and no order. An invitation of someone already in the pool does not count as new.
    /// </summary>
    private static async Task<bool> IsNewToPoolAsync(DbConnection connection, DbTransaction transaction, CustomerRecord customer, DateTimeOffset occurredAt)
    {
        if (customer.FirstSeenAt < occurredAt - TimeSpan.FromMinutes(10) || customer.FirstOrderAt is not null)
            return false;
        return await connection.ExecuteScalarAsync<int>(
            """
            SELECT CASE WHEN EXISTS (SELECT 1 FROM relationships WHERE customer_id = @customerId AND since < @occurredAt)
                OR EXISTS (SELECT 1 FROM acquisitions WHERE customer_id = @customerId)
                OR EXISTS (SELECT 1 FROM orders WHERE customer_id = @customerId) THEN 1 ELSE 0 END
            """, new { customerId = customer.Id, occurredAt }, transaction) == 0;
    }

    /// <summary>
    /// Referral work in the batch's transaction. No savepoint: on PostgreSQL every savepoint that writes is a
    /// subtransaction, and past 64 of them in one transaction every visibility check slows down (the subxid cache
    /// overflows), which a batch of thousands of adds would reach. The engine is written so that refusals are thrown
    /// before it writes anything (and reward refusals are caught inside it), so a refused step leaves nothing half done.
    /// </summary>
    private async Task ReferralAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Touched touched, DateTimeOffset now,
        Func<Fission.ReferralWork, Task> work)
    {
        var referral = new Fission.ReferralWork(connection, transaction, workspaceId, now, []);
        try
        {
            await work(referral);
        }
        catch (Exception e) when (e is ValidationFailedException or NotFoundException or ConflictException)
        {
            logger.LogWarning("A referral step was skipped: {Reason}", e.Message);
            return;
        }

        foreach (var id in referral.Touched)
            touched.Add(workspaceId, id);
    }

    /// <summary>
    /// Order Completed records the order (with attribution, coupons, points, tiers) unless the order book recorded
    /// it already; Order Refunded records a refund of a known order. Both run under a savepoint: an order Pond
    /// cannot record is logged and skipped, and never stops the events behind it.
    /// </summary>
    private async Task ApplyOrderAsync(
        Statements statements, CustomerRecord customer, string name, JsonElement message, string messageId, DateTimeOffset occurredAt, Touched touched, DateTimeOffset now)
    {
        if (!message.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
            return;
        var (connection, transaction) = (statements.Connection, statements.Transaction);
        await connection.ExecuteAsync("SAVEPOINT pond_order", transaction: transaction);
        var context = new OrderEffectContext(database, connection, transaction, now);
        try
        {
            if (name == TrackedEvents.OrderCompleted)
            {
                await orders.RecordFromEventAsync(context, customer, OrderEventReader.ReadOrder(properties, messageId, occurredAt));
            }
            else
            {
                var (orderId, refund) = OrderEventReader.ReadRefund(properties, messageId, occurredAt);
                await orders.RefundInAsync(context, customer.WorkspaceId, orderId, refund, logEvent: false);
            }

            await connection.ExecuteAsync("RELEASE SAVEPOINT pond_order", transaction: transaction);
        }
        catch (Exception e) when (e is ValidationFailedException or NotFoundException or ConflictException)
        {
            await connection.ExecuteAsync("ROLLBACK TO SAVEPOINT pond_order", transaction: transaction);
            logger.LogWarning("{Event} {MessageId} was not recorded as an order: {Reason}", name, messageId, e.Message);
            return;
        }

        foreach (var id in context.Touched)
            touched.Add(customer.WorkspaceId, id);
        touched.AfterCommit.AddRange(context.AfterCommit);
    }

    /// <summary>
    /// Tag Added / Tag Removed: properties.tag (a string) or properties.tags (an array of strings) through the tag service
    /// (catalog and history, source "event"). A name the catalog refuses is skipped; the event stays on the timeline.
    /// </summary>
    private static async Task ApplyTagsAsync(DbConnection connection, DbTransaction transaction, CustomerRecord customer, bool add, JsonElement message,
        DateTimeOffset occurredAt)
    {
        if (!message.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
            return;
        var names = new List<string>();
        if (properties.TryGetProperty("tag", out var one) && one.ValueKind == JsonValueKind.String)
            names.Add(one.GetString()!);
        if (properties.TryGetProperty("tags", out var many) && many.ValueKind == JsonValueKind.Array)
            names.AddRange(many.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!));
        foreach (var name in names)
        {
            if (!TagNames.TryClean(name, out var tag, out _))
                continue;
            if (add)
                await CustomerTags.AddAsync(connection, transaction, customer.WorkspaceId, [customer.Id], tag, TagSources.Event, null, occurredAt);
            else
                await CustomerTags.RemoveAsync(connection, transaction, customer.WorkspaceId, [customer.Id], tag, TagSources.Event, null, occurredAt);
        }
    }

    /// <summary>An unknown carrier is created (named by its external id) so the relationship is not lost.</summary>
    private static async Task<Guid> CarrierAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, string kind, string externalId, DateTimeOffset now)
    {
        var existing = await connection.QuerySingleOrDefaultAsync<Guid?>(
            "SELECT id FROM carriers WHERE workspace_id = @workspaceId AND kind = @kind AND external_id = @externalId",
            new { workspaceId, kind, externalId }, transaction);
        if (existing is { } id)
            return id;
        id = Guid.CreateVersion7();
        await connection.ExecuteAsync(
            """
            INSERT INTO carriers (id, workspace_id, kind, name, external_id, status, created_at, updated_at)
            VALUES (@id, @workspaceId, @kind, @externalId, @externalId, 'active', @now, @now)
            """, new { id, workspaceId, kind, externalId, now }, transaction);
        return id;
    }

    private static string ObjectText(JsonElement message, string name) =>
        message.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value.GetRawText() : "{}";

    public void Dispose() => _gate.Dispose();

    /// <summary>Customers a batch changed and merges it made, for the audience engine once the batch commits.</summary>
    private sealed class Touched
    {
        public Dictionary<Guid, HashSet<Guid>> Customers { get; } = [];
        public List<(Guid WorkspaceId, Guid Survivor, List<Guid> Merged)> Merges { get; } = [];
        public List<Func<Task>> AfterCommit { get; } = [];

        public void Add(Guid workspaceId, Guid customerId)
        {
            if (!Customers.TryGetValue(workspaceId, out var ids))
                Customers[workspaceId] = ids = [];
            ids.Add(customerId);
        }
    }

    private sealed record ParsedEvent(LoggedEvent Logged, JsonDocument Document, List<Identity> Attach, List<Identity> LookupOnly);

    private sealed class LoggedEvent
    {
        public long Seq { get; init; }
        public Guid WorkspaceId { get; init; }
        public string MessageId { get; init; } = "";
        public string Type { get; init; } = "";
        public DateTimeOffset OccurredAt { get; init; }
        public string Payload { get; init; } = "";
    }
}
