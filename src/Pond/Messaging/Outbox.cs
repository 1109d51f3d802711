using System.Data.Common;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pond.Storage;
using Pond.WeCom;

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
    public async Task<IReadOnlyList<OutboxMessage>> ListAsync(Guid workspaceId, string? state = null, int limit = 200, Guid? onlyOwnedBy = null)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<OutboxMessage>(
            $"""
            SELECT o.id, o.customer_id, c.display_name AS customer_name, o.channel, o.payload, o.state, o.reason, o.attempts, o.next_attempt_at, o.created_at, o.sent_at, o.purpose, o.source, o.delivered_at
            FROM outbox o LEFT JOIN customers c ON c.id = o.customer_id
            WHERE o.workspace_id = @workspaceId{(state is null ? "" : " AND o.state = @state")}{(onlyOwnedBy is null ? "" : " AND c.owner_staff_id = @onlyOwnedBy")}
            ORDER BY o.created_at DESC LIMIT @limit
            """, new { workspaceId, state, limit = Math.Clamp(limit, 1, 1000), onlyOwnedBy })).AsList();
    }

    public async Task<IReadOnlyDictionary<string, long>> CountsAsync(Guid workspaceId, Guid? onlyOwnedBy = null)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<StateCount>(
            $"""
            SELECT o.state, COUNT(*) AS count FROM outbox o LEFT JOIN customers c ON c.id = o.customer_id
            WHERE o.workspace_id = @workspaceId{(onlyOwnedBy is null ? "" : " AND c.owner_staff_id = @onlyOwnedBy")} GROUP BY o.state
            """, new { workspaceId, onlyOwnedBy });
        return rows.ToDictionary(r => r.State, r => r.Count);
    }

    private sealed class StateCount
    {
        public string State { get; init; } = "";
        public long Count { get; init; }
    }
}

/// <summary>
/// Sends due outbox messages through their channel adapter. A message is claimed (scheduled → sending) before it
/// is sent, so two Pond nodes never send it twice. Failures retry with exponential backoff; WeCom's welcome code
/// lives 20 seconds, so a welcome message gets three quick attempts.
/// </summary>
public sealed class OutboxDispatcher(Database database, WeComConnections wecom, TimeProvider clock, ILogger<OutboxDispatcher> logger)
{
    public const int MaxAttempts = 3;

    /// <summary>Sends every due message once and returns how many were handled.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var due = (await connection.QueryAsync<DueMessage>(
            """
            SELECT o.id, o.workspace_id, o.channel, o.payload, o.attempts, o.state, c.display_name AS customer_name
            FROM outbox o LEFT JOIN customers c ON c.id = o.customer_id
            WHERE (o.state = 'scheduled' AND o.next_attempt_at <= @now) OR (o.state = 'sending' AND o.next_attempt_at <= @stale)
            ORDER BY o.next_attempt_at LIMIT 100
            """, new { now = clock.GetUtcNow(), stale = clock.GetUtcNow().AddMinutes(-2) })).AsList();
        var handled = 0;
        foreach (var message in due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // A message left 'sending' by a node that died mid-send is claimed again after two minutes.
            var claimed = await connection.ExecuteAsync(
                "UPDATE outbox SET state = 'sending', next_attempt_at = @now WHERE id = @Id AND state = @State AND next_attempt_at <= @due",
                new { message.Id, message.State, now = clock.GetUtcNow(), due = message.State == OutboxStates.Sending ? clock.GetUtcNow().AddMinutes(-2) : clock.GetUtcNow() });
            if (claimed == 0)
                continue;
            var (state, reason, payload) = await SendAsync(message, cancellationToken);
            var attempts = message.Attempts + 1;
            if (state == OutboxStates.Failed && attempts < MaxAttempts && reason is not null && !reason.StartsWith("Permanent:", StringComparison.Ordinal))
                state = OutboxStates.Scheduled;
            await connection.ExecuteAsync(
                "UPDATE outbox SET state = @state, reason = @reason, payload = @payload, attempts = @attempts, next_attempt_at = @next, sent_at = @sentAt WHERE id = @Id",
                new
                {
                    message.Id, state, reason, payload, attempts, next = clock.GetUtcNow().AddSeconds(Math.Pow(2, attempts)),
                    sentAt = state == OutboxStates.Sent ? clock.GetUtcNow() : (DateTimeOffset?)null,
                });
            handled++;
        }

        return handled;
    }

    private async Task<(string State, string? Reason, string Payload)> SendAsync(DueMessage message, CancellationToken cancellationToken)
    {
        var payload = JsonNode.Parse(message.Payload)!.AsObject();
        if (message.Channel != OutboxChannels.WeComWelcome)
            return (OutboxStates.Failed, $"Permanent: no adapter for channel {message.Channel}.", message.Payload);
        var connection = await wecom.GetAsync(message.WorkspaceId);
        var client = connection is null ? null : wecom.ClientFor(connection);
        var nickname = message.CustomerName;
        if (nickname is null && client is not null && payload["externalUserId"]?.GetValue<string>() is { } externalUserId)
        {
            try
            {
                nickname = (await client.GetExternalContactAsync(externalUserId, cancellationToken)).Name;
            }
            catch (Exception e) when (e is WeComApiException or HttpRequestException)
            {
                logger.LogInformation("No nickname for {ExternalUserId}: {Error}", externalUserId, e.Message);
            }
        }

        var text = WelcomeMessages.Render(payload["template"]?.GetValue<string>(), nickname, payload["staff"]?.GetValue<string>(), payload["coupon"]?.GetValue<string>());
        payload["text"] = text;
        if (client is null)
            return (OutboxStates.Held, "WeCom is not connected with an app secret, so Pond cannot send it; the message is kept here.", payload.ToJsonString());
        try
        {
            await client.SendWelcomeMessageAsync(payload["welcomeCode"]!.GetValue<string>(), text, payload["material"]?.GetValue<string>(), cancellationToken);
            return (OutboxStates.Sent, null, payload.ToJsonString());
        }
        catch (WeComApiException e) when (e.ErrorCode == 41051)
        {
            // The welcome code was used or has expired: retrying cannot help.
            return (OutboxStates.Failed, $"Permanent: {e.Message}", payload.ToJsonString());
        }
        catch (Exception e) when (e is WeComApiException or HttpRequestException or TaskCanceledException)
        {
            logger.LogWarning("Welcome message {Id} failed: {Error}", message.Id, e.Message);
            return (OutboxStates.Failed, e.Message, payload.ToJsonString());
        }
    }

    private sealed class DueMessage
    {
        public Guid Id { get; init; }
        public Guid WorkspaceId { get; init; }
        public string Channel { get; init; } = "";
        public string Payload { get; init; } = "{}";
        public int Attempts { get; init; }
        public string State { get; init; } = "";
        public string? CustomerName { get; init; }
    }
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
