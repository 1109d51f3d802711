using System.Data.Common;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Messaging;

public static class OutboxChannels
{
    /// <summary>A WeCom welcome message (欢迎语), sent with the WelcomeCode of an add_external_contact callback.</summary>
    public const string WeComWelcome = "wecom_welcome";

    /// <summary>A WeCom 1:1 message task (externalcontact/add_msg_template, chat_type single): the staff member confirms it in WeCom.</summary>
    public const string WeComMessage = "wecom_message";

    /// <summary>A WeCom group message task (add_msg_template, chat_type group) for a staff member's group chats.</summary>
    public const string WeComGroupMessage = "wecom_group_message";

    public const string Sms = "sms";
    public const string Email = "email";

    /// <summary>An HMAC-signed HTTP POST to a URL the operator names.</summary>
    public const string Webhook = "webhook";

    /// <summary>The console inbox: the embedded default, where messages wait for a person to read or forward them.</summary>
    public const string Inbox = "inbox";

    /// <summary>Channels a journey or SOP may name.</summary>
    public static readonly IReadOnlyList<string> Outbound = [WeComMessage, WeComGroupMessage, Sms, Email, Webhook, Inbox];
}

/// <summary>What a message is for. Marketing messages pass the respect rules (consent, frequency cap, quiet hours, rate limits); transactional ones are exempt and marked.</summary>
public static class MessagePurposes
{
    public const string Marketing = "marketing";
    public const string Transactional = "transactional";
}

public static class OutboxStates
{
    public const string Scheduled = "scheduled";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Failed = "failed";

    /// <summary>The provider confirmed delivery (a delivery receipt, an SMTP accept, a 2xx from a webhook).</summary>
    public const string Delivered = "delivered";

    /// <summary>Not sent on purpose: the reason names the rule (opted out, frequency cap, no address…).</summary>
    public const string Suppressed = "suppressed";

    /// <summary>No adapter can send it here (WeCom not connected): it stays visible in the console's outbox.</summary>
    public const string Held = "held";
}

/// <summary>An outbound message and what became of it.</summary>
public sealed class OutboxMessage
{
    public Guid Id { get; init; }
    public Guid? CustomerId { get; init; }
    public string? CustomerName { get; init; }
    public string Channel { get; init; } = "";
    public string Purpose { get; init; } = MessagePurposes.Transactional;
    public string? Source { get; init; }
    public DateTimeOffset? DeliveredAt { get; init; }
    public string Payload { get; init; } = "{}";
    public string State { get; init; } = "";
    public string? Reason { get; init; }
    public int Attempts { get; init; }
    public DateTimeOffset NextAttemptAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? SentAt { get; init; }
    public DateTimeOffset? ReadAt { get; init; }
    public DateTimeOffset? HandledAt { get; init; }
    public string? HandledBy { get; init; }

    /// <summary>The reason in English (the console translates it): which rule suppressed it, why it waits, or the provider's error.</summary>
    public string? ReasonText => OutboxReasons.Describe(Reason);

    /// <summary>Transactional messages are exempt from the respect rules (consent, caps, quiet hours, rate limits).</summary>
    public bool Exempt => Purpose == MessagePurposes.Transactional;

    /// <summary>The text as sent (or as it would be sent), once the dispatcher has rendered it.</summary>
    public string? Text
    {
        get
        {
            var payload = JsonNode.Parse(Payload);
            return payload?["text"]?.GetValue<string>() ?? payload?["template"]?.GetValue<string>();
        }
    }
}

/// <summary>
/// Every outbound message is written here first, in the transaction of whatever caused it (so it is sent if
/// and only if that commits), then sent by <see cref="OutboxDispatcher"/>. A dedupe key per workspace makes
/// enqueueing idempotent.
/// </summary>
public sealed class Outbox(Database database)
{
    /// <summary>A transactional message (the welcome message answering an add).</summary>
    public static Task EnqueueAsync(
        DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid? customerId, string channel, string dedupeKey, string payload, DateTimeOffset now) =>
        EnqueueAsync(connection, transaction, new OutboundMessage(workspaceId, customerId, channel, MessagePurposes.Transactional, "welcome", dedupeKey, payload, now));

    /// <summary>
    /// Writes one message in the caller's transaction; a repeated dedupe key writes nothing and returns false. The
    /// dispatcher applies the respect rules to marketing messages when they fall due, not here, so an opt-out or a cap
    /// reached between scheduling and sending still counts.
    /// </summary>
    public static async Task<bool> EnqueueAsync(DbConnection connection, DbTransaction transaction, OutboundMessage message) =>
        await connection.ExecuteAsync(
            """
            INSERT INTO outbox (id, workspace_id, customer_id, channel, dedupe_key, payload, state, attempts, next_attempt_at, created_at, purpose, source)
            VALUES (@id, @WorkspaceId, @CustomerId, @Channel, @DedupeKey, @Payload, 'scheduled', 0, @DueAt, @DueAt, @Purpose, @Source)
            ON CONFLICT DO NOTHING
            """,
            new { id = Guid.CreateVersion7(), message.WorkspaceId, message.CustomerId, message.Channel, message.DedupeKey, message.Payload, message.DueAt, message.Purpose, message.Source },
            transaction) == 1;

    /// <param name="onlyOwnedBy">For the staff role: only messages to customers this staff member owns.</param>
    public Task<IReadOnlyList<OutboxMessage>> ListAsync(Guid workspaceId, string? state = null, int limit = 200, Guid? onlyOwnedBy = null) =>
        ListAsync(workspaceId, new OutboxFilter { State = state }, limit, onlyOwnedBy);

    private const string Select =
        """
        SELECT o.id, o.customer_id, c.display_name AS customer_name, o.channel, o.payload, o.state, o.reason, o.attempts, o.next_attempt_at, o.created_at,
               o.sent_at, o.purpose, o.source, o.delivered_at, o.read_at, o.handled_at, o.handled_by
        FROM outbox o LEFT JOIN customers c ON c.id = o.customer_id
        """;

    public async Task<IReadOnlyList<OutboxMessage>> ListAsync(Guid workspaceId, OutboxFilter filter, int limit = 200, Guid? onlyOwnedBy = null)
    {
        await using var connection = await database.OpenAsync();
        var (where, parameters) = Where(workspaceId, filter, onlyOwnedBy);
        parameters.Add("limit", Math.Clamp(limit, 1, 1000));
        return (await connection.QueryAsync<OutboxMessage>($"{Select} WHERE {where} ORDER BY o.created_at DESC, o.id DESC LIMIT @limit", parameters)).AsList();
    }

    public async Task<OutboxMessage> GetAsync(Guid workspaceId, Guid id, Guid? onlyOwnedBy = null)
    {
        await using var connection = await database.OpenAsync();
        var owner = onlyOwnedBy is null ? "" : " AND c.owner_staff_id = @onlyOwnedBy";
        return await connection.QuerySingleOrDefaultAsync<OutboxMessage>($"{Select} WHERE o.workspace_id = @workspaceId AND o.id = @id{owner}", new { workspaceId, id, onlyOwnedBy })
            ?? throw new NotFoundException($"No outbox message {id} in this workspace.");
    }

    /// <summary>The filter as SQL; built up clause by clause (PostgreSQL cannot type a NULL parameter in "@p IS NULL OR …").</summary>
    private static (string Sql, DynamicParameters Parameters) Where(Guid workspaceId, OutboxFilter filter, Guid? onlyOwnedBy)
    {
        var sql = new System.Text.StringBuilder("o.workspace_id = @workspaceId");
        var parameters = new DynamicParameters(new { workspaceId });
        void Add(string? value, string column, string name)
        {
            if (string.IsNullOrWhiteSpace(value))
                return;
            sql.Append($" AND {column} = @{name}");
            parameters.Add(name, value.Trim());
        }

        Add(filter.State, "o.state", "state");
        Add(filter.Channel, "o.channel", "channel");
        Add(filter.Purpose, "o.purpose", "purpose");
        Add(filter.Source, "o.source", "source");
        Add(filter.Reason, "o.reason", "reason");
        if (filter.CustomerId is { } customerId)
        {
            sql.Append(" AND o.customer_id = @customerId");
            parameters.Add("customerId", customerId);
        }

        if (onlyOwnedBy is not null)
        {
            sql.Append(" AND c.owner_staff_id = @onlyOwnedBy");
            parameters.Add("onlyOwnedBy", onlyOwnedBy);
        }

        return (sql.ToString(), parameters);
    }

    public async Task<IReadOnlyDictionary<string, long>> CountsAsync(Guid workspaceId, Guid? onlyOwnedBy = null) =>
        (await CountsAsync(workspaceId, new OutboxFilter(), onlyOwnedBy)).ByState;

    /// <summary>Counts by state, suppressed messages by reason, and waiting (scheduled) messages by what they wait for.</summary>
    public async Task<OutboxCounts> CountsAsync(Guid workspaceId, OutboxFilter filter, Guid? onlyOwnedBy = null)
    {
        await using var connection = await database.OpenAsync();
        var (where, parameters) = Where(workspaceId, filter with { State = null, Reason = null }, onlyOwnedBy);
        var rows = (await connection.QueryAsync<ReasonCount>(
            $"SELECT o.state, o.reason, COUNT(*) AS count FROM outbox o LEFT JOIN customers c ON c.id = o.customer_id WHERE {where} GROUP BY o.state, o.reason",
            parameters)).AsList();
        return new OutboxCounts
        {
            ByState = rows.GroupBy(r => r.State).ToDictionary(g => g.Key, g => g.Sum(r => r.Count)),
            SuppressedByReason = rows.Where(r => r.State == OutboxStates.Suppressed).GroupBy(r => r.Reason ?? "").ToDictionary(g => g.Key, g => g.Sum(r => r.Count)),
            WaitingByReason = rows.Where(r => r.State == OutboxStates.Scheduled && r.Reason is OutboxReasons.QuietHours or OutboxReasons.RateLimited)
                .GroupBy(r => r.Reason!).ToDictionary(g => g.Key, g => g.Sum(r => r.Count)),
        };
    }

    /// <summary>For the journey dashboard: counts of the messages one source (journey:{id}, sop:{id}…) sent, by state and by reason.</summary>
    public Task<OutboxCounts> CountsBySourceAsync(Guid workspaceId, string source) => CountsAsync(workspaceId, new OutboxFilter { Source = source });

    /// <summary>Sends a failed (or held) message again from its first attempt.</summary>
    public async Task<OutboxMessage> RetryAsync(Guid workspaceId, Guid id, string actor, TimeProvider clock, AuditLog audit)
    {
        var message = await GetAsync(workspaceId, id);
        if (message.State is not (OutboxStates.Failed or OutboxStates.Held))
            throw new ConflictException($"Only failed or held messages can be retried; this one is {message.State}.");
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var changed = await connection.ExecuteAsync(
            "UPDATE outbox SET state = 'scheduled', attempts = 0, reason = NULL, next_attempt_at = @now WHERE workspace_id = @workspaceId AND id = @id AND state IN ('failed', 'held')",
            new { workspaceId, id, now = clock.GetUtcNow() }, transaction);
        if (changed == 0)
            throw new ConflictException("The message changed meanwhile; reload it.");
        await audit.RecordAsync(workspaceId, actor, "outbox.retry", id.ToString(), null, connection, transaction);
        await transaction.CommitAsync();
        return await GetAsync(workspaceId, id);
    }

    /// <summary>Marks an inbox message read, or handled by an operator (handled implies read).</summary>
    public async Task<OutboxMessage> MarkInboxAsync(Guid workspaceId, Guid id, bool handled, string actor, DateTimeOffset now)
    {
        await using var connection = await database.OpenAsync();
        var changed = await connection.ExecuteAsync(
            handled
                ? "UPDATE outbox SET read_at = COALESCE(read_at, @now), handled_at = COALESCE(handled_at, @now), handled_by = COALESCE(handled_by, @actor) WHERE workspace_id = @workspaceId AND id = @id AND channel = 'inbox'"
                : "UPDATE outbox SET read_at = COALESCE(read_at, @now) WHERE workspace_id = @workspaceId AND id = @id AND channel = 'inbox'",
            new { workspaceId, id, now, actor });
        if (changed == 0)
            throw new NotFoundException($"No inbox message {id} in this workspace.");
        return await GetAsync(workspaceId, id);
    }

    private sealed class ReasonCount
    {
        public string State { get; init; } = "";
        public string? Reason { get; init; }
        public long Count { get; init; }
    }

}

/// <summary>
/// Sends due outbox messages through their channel adapter. A message is claimed (scheduled → sending) before it
/// is sent, so two Pond nodes never send it twice. Marketing messages pass the respect rules first (consent, quiet
/// hours, the frequency cap, rate limits); transactional ones are exempt. Failures retry with exponential backoff up
/// to a bound; permanent failures are not retried. WeCom's welcome code lives 20 seconds, so a welcome message gets
/// three quick attempts.
/// </summary>
internal sealed class OutboxDispatcher(
    Database database, IEnumerable<IChannelAdapter> adapters, MessagingSettingsStore settingsStore, MessagingLinks links, TimeProvider clock,
    ILogger<OutboxDispatcher> logger)
{
    public const int MaxAttempts = 5;
    public const int WelcomeMaxAttempts = 3;
    private readonly Dictionary<string, IChannelAdapter> _adapters = adapters.ToDictionary(a => a.Channel);

    /// <summary>When a failed attempt is tried again: 2, 4 s for welcome codes; 30 s, 1, 2, 4 min for the rest.</summary>
    public static TimeSpan Backoff(string channel, int attempts) =>
        channel == OutboxChannels.WeComWelcome ? TimeSpan.FromSeconds(Math.Pow(2, attempts)) : TimeSpan.FromSeconds(30 * Math.Pow(2, attempts - 1));

    /// <summary>Sends every due message once and returns how many were handled.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var due = (await connection.QueryAsync<DueMessage>(
            """
            SELECT o.id, o.workspace_id, o.customer_id, o.channel, o.payload, o.attempts, o.state, o.purpose, o.source, o.cap_buckets, w.time_zone
            FROM outbox o JOIN workspaces w ON w.id = o.workspace_id
            WHERE (o.state = 'scheduled' AND o.next_attempt_at <= @now) OR (o.state = 'sending' AND o.next_attempt_at <= @stale)
            ORDER BY o.next_attempt_at LIMIT 100
            """, new { now, stale = now.AddMinutes(-2) })).AsList();
        var settings = new Dictionary<Guid, MessagingSettings>();
        var handled = 0;
        foreach (var message in due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            now = clock.GetUtcNow();
            // A message left 'sending' by a node that died mid-send is claimed again after two minutes.
            var claimed = await connection.ExecuteAsync(
                "UPDATE outbox SET state = 'sending', next_attempt_at = @now WHERE id = @Id AND state = @State AND next_attempt_at <= @due",
                new { message.Id, message.State, now, due = message.State == OutboxStates.Sending ? now.AddMinutes(-2) : now });
            if (claimed == 0)
                continue;
            if (!settings.TryGetValue(message.WorkspaceId, out var workspaceSettings))
                settings[message.WorkspaceId] = workspaceSettings = await settingsStore.GetAsync(message.WorkspaceId);
            ChannelResult result;
            JsonObject payload;
            try
            {
                (result, payload) = await HandleAsync(connection, message, workspaceSettings, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogError(e, "Outbox message {Id} could not be handled", message.Id);
                (result, payload) = (ChannelResult.Retry($"Pond could not send it: {e.Message}"), JsonNode.Parse(message.Payload)!.AsObject());
            }

            await RecordAsync(connection, message, result, payload);
            handled++;
        }

        return handled;
    }

    private async Task<(ChannelResult Result, JsonObject Payload)> HandleAsync(DbConnection connection, DueMessage message, MessagingSettings settings, CancellationToken cancellationToken)
    {
        var payload = JsonNode.Parse(message.Payload)!.AsObject();
        if (!_adapters.TryGetValue(message.Channel, out var adapter))
            return (ChannelResult.Fail($"Permanent: no adapter for channel {message.Channel}."), payload);
        var recipient = message.CustomerId is { } customerId ? await Recipient.LoadAsync(database, message.WorkspaceId, customerId) : null;
        if (message.CustomerId is not null && recipient is null)
            return (ChannelResult.Suppress(OutboxReasons.NoCustomer), payload);
        var material = payload["contentId"]?.GetValue<string>() is { } contentText && Guid.TryParse(contentText, out var contentId)
            ? await ContentMaterial.LoadAsync(database, message.WorkspaceId, contentId)
            : null;
        var unsubscribe = recipient is null ? null : links.Absolute($"/u/{UnsubscribeTokens.Create(message.WorkspaceId, recipient.Id, settings.UnsubscribeKey)}")?.ToString();
        var text = "";
        if (message.Channel != OutboxChannels.WeComWelcome)
        {
            // Rendered before the respect rules, so a suppressed or waiting message shows its words on the outbox page. The
            // template is kept, so a retry renders it again with the values of that moment.
            var template = payload["template"]?.GetValue<string>() ?? payload["text"]?.GetValue<string>() ?? (material?.Kind == "text" ? material.Body : null) ?? "";
            payload["template"] = template;
            text = MessageVariables.Render(template, name => Value(name, recipient, payload, unsubscribe));
            payload["text"] = text;
            if ((payload["subjectTemplate"]?.GetValue<string>() ?? payload["subject"]?.GetValue<string>()) is { } subject)
            {
                payload["subjectTemplate"] = subject;
                payload["subject"] = MessageVariables.Render(subject, name => Value(name, recipient, payload, unsubscribe));
            }
        }

        var now = clock.GetUtcNow();
        if (message.Purpose == MessagePurposes.Marketing)
        {
            // Checked when the message falls due, so an opt-out between scheduling and sending still counts.
            if (recipient is { MarketingOptOut: true })
                return (ChannelResult.Suppress(OutboxReasons.OptedOut), payload);
            var zone = QuietHours.Zone(recipient?.Trait("timezone"), message.TimeZone);
            if (settings.QuietEnabled && QuietHours.EndIfQuiet(now, zone, settings.QuietStartMinute, settings.QuietEndMinute) is { } end)
                return (new ChannelResult(OutboxStates.Scheduled, OutboxReasons.QuietHours) { WaitUntil = end }, payload);
            if (recipient is not null && message.CapBuckets is null)
            {
                var buckets = QuietHours.Buckets(now, zone);
                if (await RespectCounters.ReserveCapAsync(database, message.WorkspaceId, recipient.Id, buckets, settings.DailyCap, settings.WeeklyCap) is { } capped)
                    return (ChannelResult.Suppress(capped), payload);
                message.CapBuckets = $"{buckets.Day} {buckets.Week}";
                await connection.ExecuteAsync("UPDATE outbox SET cap_buckets = @CapBuckets WHERE id = @Id", new { message.CapBuckets, message.Id });
            }

            if (settings.RateLimit(message.Channel) is { } limit)
            {
                var minute = now.ToUnixTimeSeconds() / 60;
                if (!await RespectCounters.TakeRateAsync(database, message.WorkspaceId, message.Channel, minute, limit))
                    return (new ChannelResult(OutboxStates.Scheduled, OutboxReasons.RateLimited) { WaitUntil = DateTimeOffset.FromUnixTimeSeconds((minute + 1) * 60) }, payload);
            }
        }

        var send = new ChannelSend(message.Id, message.WorkspaceId, message.Channel, message.Purpose, message.Source, recipient, payload, text, material, settings,
            message.Purpose == MessagePurposes.Marketing ? unsubscribe : null);
        return (await adapter.SendAsync(send, cancellationToken), payload);
    }

    private static string? Value(string name, Recipient? recipient, JsonObject payload, string? unsubscribe) => name switch
    {
        MessageVariables.Name or MessageVariables.Nickname => recipient?.DisplayName ?? payload["name"]?.GetValue<string>(),
        MessageVariables.Staff => payload["staff"]?.GetValue<string>() ?? recipient?.StaffName,
        MessageVariables.Coupon => payload["coupon"]?.GetValue<string>(),
        MessageVariables.Points => recipient is null ? null : (recipient.Points ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
        MessageVariables.Tier => recipient?.TierName,
        MessageVariables.Unsubscribe => unsubscribe,
        _ when name.StartsWith(MessageVariables.TraitPrefix, StringComparison.Ordinal) => recipient?.Trait(name[MessageVariables.TraitPrefix.Length..]),
        _ => null,
    };

    private async Task RecordAsync(DbConnection connection, DueMessage message, ChannelResult result, JsonObject payload)
    {
        var now = clock.GetUtcNow();
        var state = result.State;
        var attempts = message.Attempts;
        var next = result.WaitUntil ?? now;
        if (state == OutboxStates.Failed)
        {
            attempts++;
            var max = message.Channel == OutboxChannels.WeComWelcome ? WelcomeMaxAttempts : MaxAttempts;
            if (!result.Permanent && attempts < max)
            {
                state = OutboxStates.Scheduled;
                next = now + Backoff(message.Channel, attempts);
            }
        }

        var sent = state is OutboxStates.Sent or OutboxStates.Delivered;
        await connection.ExecuteAsync(
            """
            UPDATE outbox SET state = @state, reason = @Reason, payload = @payload, attempts = @attempts, next_attempt_at = @next,
                sent_at = CASE WHEN @sent THEN @now ELSE sent_at END, delivered_at = @deliveredAt,
                provider_message_id = COALESCE(@ProviderMessageId, provider_message_id)
            WHERE id = @Id
            """,
            new
            {
                message.Id, state, result.Reason, payload = payload.ToJsonString(), attempts, next, sent, now,
                deliveredAt = state == OutboxStates.Delivered ? now : (DateTimeOffset?)null, result.ProviderMessageId,
            });
        // A message that reached nobody gives its frequency-cap place back.
        if (state is OutboxStates.Failed or OutboxStates.Suppressed && message.CapBuckets is { } buckets && message.CustomerId is { } customerId)
        {
            await RespectCounters.ReleaseCapAsync(connection, message.WorkspaceId, customerId, buckets);
            await connection.ExecuteAsync("UPDATE outbox SET cap_buckets = NULL WHERE id = @Id", new { message.Id });
        }

        if (sent && payload["contentId"]?.GetValue<string>() is { } contentText && Guid.TryParse(contentText, out var contentId))
        {
            await connection.ExecuteAsync(
                "UPDATE content_items SET usage_count = usage_count + 1 WHERE workspace_id = @WorkspaceId AND id = @contentId",
                new { message.WorkspaceId, contentId });
        }
    }

    private sealed class DueMessage
    {
        public Guid Id { get; init; }
        public Guid WorkspaceId { get; init; }
        public Guid? CustomerId { get; init; }
        public string Channel { get; init; } = "";
        public string Payload { get; init; } = "{}";
        public int Attempts { get; init; }
        public string State { get; init; } = "";
        public string Purpose { get; init; } = MessagePurposes.Transactional;
        public string? Source { get; init; }
        public string? CapBuckets { get; set; }
        public string? TimeZone { get; init; }
    }
}

/// <summary>Which outbox messages to list or count; empty fields do not filter.</summary>
public sealed record OutboxFilter
{
    public string? State { get; init; }
    public string? Channel { get; init; }
    public string? Purpose { get; init; }
    public string? Source { get; init; }
    public string? Reason { get; init; }
    public Guid? CustomerId { get; init; }
}

/// <summary>Outbox counts: by state, suppressed by reason (opted_out, frequency_cap_daily…), waiting by reason (quiet_hours, rate_limited).</summary>
public sealed class OutboxCounts
{
    public IReadOnlyDictionary<string, long> ByState { get; init; } = new Dictionary<string, long>();
    public IReadOnlyDictionary<string, long> SuppressedByReason { get; init; } = new Dictionary<string, long>();
    public IReadOnlyDictionary<string, long> WaitingByReason { get; init; } = new Dictionary<string, long>();
}

/// <summary>
/// One message to write to the outbox. Payload is channel-specific JSON; every channel reads "text" (a template whose
/// {variables} the dispatcher fills) and optionally "contentId" (an item of the content library sent with or as the
/// message), "subject" (email), "url" and "body" (webhook), "staffId" (WeCom tasks), "chatIds" (group tasks).
/// </summary>
public sealed record OutboundMessage(
    Guid WorkspaceId, Guid? CustomerId, string Channel, string Purpose, string? Source, string DedupeKey, string Payload, DateTimeOffset DueAt);

/// <summary>Runs the dispatcher every second.</summary>
internal sealed class OutboxEngine(OutboxDispatcher dispatcher, ILogger<OutboxEngine> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await dispatcher.DispatchDueAsync(stoppingToken);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // One bad pass must not stop every later message from being sent.
            catch (Exception e)
#pragma warning restore CA1031
            {
                logger.LogError(e, "The outbox dispatcher failed; trying again");
            }
        }
    }
}

/// <summary>Welcome-message templates: {nickname}, {staff} and {coupon} are replaced; an unknown value becomes empty.</summary>
public static class WelcomeMessages
{
    public static string Render(string? template, string? nickname, string? staff, string? coupon) =>
        (template ?? "")
            .Replace("{nickname}", nickname ?? "", StringComparison.Ordinal)
            .Replace("{staff}", staff ?? "", StringComparison.Ordinal)
            .Replace("{coupon}", coupon ?? "", StringComparison.Ordinal)
            .Trim();
}
