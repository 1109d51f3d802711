using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Pond.Audience;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Messaging;

/// <summary>One message to one customer through one channel, as POST /api/messages takes it.</summary>
public sealed class SendMessageInput
{
    public Guid? CustomerId { get; set; }
    public string? Channel { get; set; }

    /// <summary>marketing (the respect rules apply) or transactional (exempt): required, so nobody sends marketing as transactional by default.</summary>
    public string? Purpose { get; set; }
    public string? Text { get; set; }
    public string? Subject { get; set; }
    public Guid? ContentId { get; set; }
    public string? Url { get; set; }
    public JsonElement? Body { get; set; }
    public Guid? StaffId { get; set; }
    public IReadOnlyList<string>? ChatIds { get; set; }
    public string? Coupon { get; set; }
    public DateTimeOffset? DueAt { get; set; }

    /// <summary>Makes the call idempotent: a repeated key answers with the first message.</summary>
    public string? DedupeKey { get; set; }
}

/// <summary>Sends single messages through the outbox, and records opt-outs from unsubscribe links and keywords.</summary>
internal sealed class Messages(Database database, Outbox outbox, AuditLog audit, AudienceChanges audience, TimeProvider clock)
{
    /// <summary>Words that, sent back alone by a customer (SMS reply, chat), opt them out of marketing.</summary>
    public static readonly IReadOnlyList<string> UnsubscribeKeywords = ["TD", "T", "退订", "UNSUBSCRIBE", "STOP"];

    public static bool IsUnsubscribeKeyword(string? text) =>
        text is not null && UnsubscribeKeywords.Contains(text.Trim().TrimEnd('.', '。', '!', '！').ToUpperInvariant(), StringComparer.Ordinal);

    public async Task<OutboxMessage> SendAsync(Guid workspaceId, SendMessageInput input, string actor, Guid? onlyOwnedBy)
    {
        if (input.Channel is null || !OutboxChannels.Outbound.Contains(input.Channel))
            throw new ValidationFailedException($"channel must be one of {string.Join(", ", OutboxChannels.Outbound)}.", "channel");
        if (input.Purpose is not (MessagePurposes.Marketing or MessagePurposes.Transactional))
            throw new ValidationFailedException("purpose is required: marketing (consent, caps, quiet hours and rate limits apply) or transactional (order updates; exempt).", "purpose");
        if (input.Channel != OutboxChannels.WeComGroupMessage && input.CustomerId is null)
            throw new ValidationFailedException("customerId is required (only wecom_group_message goes to group chats instead).", "customerId");
        if (input.Channel == OutboxChannels.WeComGroupMessage && (input.ChatIds is not { Count: > 0 } || input.StaffId is null))
            throw new ValidationFailedException("A wecom_group_message needs chatIds (the customer groups) and staffId (the sender).", "chatIds");
        if (string.IsNullOrWhiteSpace(input.Text) && input.ContentId is null)
            throw new ValidationFailedException("Give the message text (a template with {variables}) or a contentId from the content library.", "text");
        if (input.Text is { Length: > 4000 })
            throw new ValidationFailedException("text is limited to 4000 characters.", "text");
        if (MessageVariables.Unknown(input.Text) is { Count: > 0 } unknown)
            throw new ValidationFailedException($"text uses unknown variables: {string.Join(", ", unknown.Select(v => "{" + v + "}"))}; known: {string.Join(", ", MessageVariables.All.Select(v => "{" + v + "}"))}, {{trait.KEY}}.", "text");
        if (input.Channel == OutboxChannels.Email && string.IsNullOrWhiteSpace(input.Subject) && input.ContentId is null)
            throw new ValidationFailedException("An email needs a subject.", "subject");
        if (input.Url is not null && (!Uri.TryCreate(input.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
            throw new ValidationFailedException("url must be an absolute http(s) URL.", "url");
        if (input.DedupeKey is { Length: > 200 })
            throw new ValidationFailedException("dedupeKey is limited to 200 characters.", "dedupeKey");

        await using var connection = await database.OpenAsync();
        if (input.CustomerId is { } customerId)
        {
            var owner = onlyOwnedBy is null ? "" : " AND owner_staff_id = @onlyOwnedBy";
            if (await connection.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM customers WHERE workspace_id = @workspaceId AND id = @customerId{owner}", new { workspaceId, customerId, onlyOwnedBy }) == 0)
                throw new NotFoundException($"No customer {customerId} in this workspace.");
        }

        if (input.ContentId is { } contentId && await connection.ExecuteScalarAsync<int>(
                "SELECT COUNT(*) FROM content_items WHERE workspace_id = @workspaceId AND id = @contentId", new { workspaceId, contentId }) == 0)
            throw new ValidationFailedException($"No content item {contentId} in this workspace.", "contentId");
        if (input.StaffId is { } staffId && await connection.ExecuteScalarAsync<int>(
                "SELECT COUNT(*) FROM staff WHERE workspace_id = @workspaceId AND id = @staffId", new { workspaceId, staffId }) == 0)
            throw new ValidationFailedException($"No staff member {staffId} in this workspace.", "staffId");

        var payload = new JsonObject { ["text"] = input.Text?.Trim() };
        if (input.Subject is { Length: > 0 } subject)
            payload["subject"] = subject.Trim();
        if (input.ContentId is { } content)
            payload["contentId"] = content.ToString();
        if (input.Url is not null)
            payload["url"] = input.Url;
        if (input.Body is { } body)
            payload["body"] = JsonNode.Parse(body.GetRawText());
        if (input.StaffId is { } staff)
            payload["staffId"] = staff.ToString();
        if (input.ChatIds is { Count: > 0 } chats)
            payload["chatIds"] = new JsonArray(chats.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray());
        if (input.Coupon is { Length: > 0 } coupon)
            payload["coupon"] = coupon;
        var now = clock.GetUtcNow();
        var dedupe = "api:" + (input.DedupeKey ?? Guid.CreateVersion7().ToString());
        await using var transaction = await connection.BeginTransactionAsync();
        var written = await Outbox.EnqueueAsync(connection, transaction, new OutboundMessage(
            workspaceId, input.CustomerId, input.Channel, input.Purpose, "api", dedupe, payload.ToJsonString(), input.DueAt is { } due && due > now ? due : now));
        if (written)
            await audit.RecordAsync(workspaceId, actor, "message.send", input.CustomerId?.ToString(), new { input.Channel, input.Purpose }, connection, transaction);
        await transaction.CommitAsync();
        var id = await connection.ExecuteScalarAsync<Guid>("SELECT id FROM outbox WHERE workspace_id = @workspaceId AND dedupe_key = @dedupe", new { workspaceId, dedupe });
        return await outbox.GetAsync(workspaceId, id);
    }

    /// <summary>Opts the customer out of marketing (from an unsubscribe link or keyword). Returns false if they had already opted out.</summary>
    public async Task<bool> OptOutAsync(Guid workspaceId, Guid customerId, string via)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var changed = await connection.ExecuteAsync(
            """
            UPDATE customers SET marketing_opt_out = @yes, opted_out_at = COALESCE(opted_out_at, @now), updated_at = @now
            WHERE workspace_id = @workspaceId AND id = @customerId AND marketing_opt_out = @no
            """, new { workspaceId, customerId, now, yes = true, no = false }, transaction);
        if (changed == 1)
            await audit.RecordAsync(workspaceId, via, "customer.opt_out", customerId.ToString(), new { marketingOptOut = true, via }, connection, transaction);
        await transaction.CommitAsync();
        if (changed == 1)
            audience.Touch(workspaceId, [customerId]);
        return changed == 1;
    }

    /// <summary>An unsubscribe token's customer, if the token is genuine and the customer exists.</summary>
    public async Task<(Guid WorkspaceId, Guid CustomerId, string? Name, bool OptedOut)?> ResolveTokenAsync(string token, MessagingSettingsStore settings)
    {
        if (UnsubscribeTokens.Read(token) is not { } ids)
            return null;
        await using var connection = await database.OpenAsync();
        var key = await connection.ExecuteScalarAsync<string?>("SELECT unsubscribe_key FROM messaging_settings WHERE workspace_id = @WorkspaceId", new { ids.WorkspaceId });
        if (key is null || !UnsubscribeTokens.Verify(token, key))
            return null;
        var row = await connection.QuerySingleOrDefaultAsync<CustomerConsent>(
            "SELECT display_name, marketing_opt_out FROM customers WHERE workspace_id = @WorkspaceId AND id = @CustomerId", new { ids.WorkspaceId, ids.CustomerId });
        return row is null ? null : (ids.WorkspaceId, ids.CustomerId, row.DisplayName, row.MarketingOptOut);
    }

    /// <summary>The customer with this phone number (as stored, or without the +86 prefix an SMS provider adds).</summary>
    public async Task<Guid?> CustomerByPhoneAsync(Guid workspaceId, string phone)
    {
        var bare = phone.StartsWith("+86", StringComparison.Ordinal) ? phone[3..] : phone;
        await using var connection = await database.OpenAsync();
        return await connection.QueryFirstOrDefaultAsync<Guid?>(
            "SELECT customer_id FROM identities WHERE workspace_id = @workspaceId AND kind = 'phone' AND value IN (@phone, @bare) ORDER BY created_at LIMIT 1",
            new { workspaceId, phone, bare });
    }

    /// <summary>A provider's delivery receipt: delivered moves the message to delivered; undelivered/failed to failed (not retried).</summary>
    public async Task<bool> ReceiptAsync(Guid workspaceId, string providerMessageId, bool delivered, string? error)
    {
        await using var connection = await database.OpenAsync();
        return await connection.ExecuteAsync(
            delivered
                ? "UPDATE outbox SET state = 'delivered', delivered_at = @now WHERE workspace_id = @workspaceId AND provider_message_id = @providerMessageId AND state IN ('sent', 'delivered')"
                : "UPDATE outbox SET state = 'failed', reason = @error WHERE workspace_id = @workspaceId AND provider_message_id = @providerMessageId AND state = 'sent'",
            new { workspaceId, providerMessageId, now = clock.GetUtcNow(), error = $"Not delivered: {error}" }) > 0;
    }

    private sealed class CustomerConsent
    {
        public string? DisplayName { get; init; }
        public bool MarketingOptOut { get; init; }
    }
}
