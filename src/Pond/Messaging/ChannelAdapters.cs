using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Pond.Storage;

namespace Pond.Messaging;

/// <summary>The customer a message goes to, with what templates and adapters need, loaded when it is sent.</summary>
internal sealed class Recipient
{
    public Guid Id { get; init; }
    public string? DisplayName { get; init; }
    public string Traits { get; init; } = "{}";
    public bool MarketingOptOut { get; init; }
    public string? StaffName { get; init; }
    public string? StaffWecomUserId { get; init; }
    public long? Points { get; init; }
    public string? TierName { get; init; }
    public string? Phone { get; init; }
    public string? Email { get; init; }
    public string? WecomExternalUserId { get; init; }

    public string? Trait(string key)
    {
        using var traits = JsonDocument.Parse(Traits);
        return traits.RootElement.ValueKind == JsonValueKind.Object && traits.RootElement.TryGetProperty(key, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => value.GetRawText(),
            }
            : null;
    }

    public static async Task<Recipient?> LoadAsync(Database database, Guid workspaceId, Guid customerId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<Recipient>(
            """
            SELECT c.id, c.display_name, c.traits, c.marketing_opt_out, s.name AS staff_name, s.wecom_user_id AS staff_wecom_user_id,
                   pb.balance AS points, t.name AS tier_name,
                   (SELECT MIN(i.value) FROM identities i WHERE i.customer_id = c.id AND i.kind = 'phone') AS phone,
                   (SELECT MIN(i.value) FROM identities i WHERE i.customer_id = c.id AND i.kind = 'email') AS email,
                   (SELECT MIN(i.value) FROM identities i WHERE i.customer_id = c.id AND i.kind = 'wecom_external_userid') AS wecom_external_user_id
            FROM customers c
            LEFT JOIN staff s ON s.id = c.owner_staff_id
            LEFT JOIN points_balances pb ON pb.customer_id = c.id
            LEFT JOIN customer_tiers ct ON ct.customer_id = c.id
            LEFT JOIN tiers t ON t.id = ct.tier_id
            WHERE c.workspace_id = @workspaceId AND c.id = @customerId
            """, new { workspaceId, customerId });
    }
}

/// <summary>An item of the content library sent with (or as) a message.</summary>
internal sealed class ContentMaterial
{
    public Guid Id { get; init; }
    public string Kind { get; init; } = "";
    public string Title { get; init; } = "";
    public string? Body { get; init; }
    public string? Url { get; init; }
    public string? FilePath { get; init; }
    public string? FileType { get; init; }
    public string? Data { get; init; }

    public string? DataValue(string key)
    {
        if (string.IsNullOrEmpty(Data))
            return null;
        var node = JsonNode.Parse(Data);
        return node is JsonObject o && o[key] is JsonValue v ? v.ToString() : null;
    }

    public static async Task<ContentMaterial?> LoadAsync(Database database, Guid workspaceId, Guid contentId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<ContentMaterial>(
            "SELECT id, kind, title, body, url, file_path, file_type, data FROM content_items WHERE workspace_id = @workspaceId AND id = @contentId",
            new { workspaceId, contentId });
    }
}

/// <summary>One message as an adapter sees it: rendered text, recipient, material and the workspace's channel settings.</summary>
internal sealed record ChannelSend(
    Guid MessageId, Guid WorkspaceId, string Channel, string Purpose, string? Source, Recipient? Recipient, JsonObject Payload, string Text,
    ContentMaterial? Material, MessagingSettings Settings, string? UnsubscribeLink);

/// <summary>What an adapter made of a message.</summary>
internal sealed record ChannelResult(string State, string? Reason = null, string? ProviderMessageId = null, bool Permanent = false)
{
    /// <summary>For a message that waits (quiet hours, a rate limit): when it falls due again.</summary>
    public DateTimeOffset? WaitUntil { get; init; }

    public static ChannelResult Sent(string? providerMessageId = null) => new(OutboxStates.Sent, null, providerMessageId);

    /// <summary>The provider confirmed delivery in its answer (an SMTP 250 after DATA, a webhook's 2xx).</summary>
    public static ChannelResult Delivered(string? providerMessageId = null) => new(OutboxStates.Delivered, null, providerMessageId);

    public static ChannelResult Retry(string reason) => new(OutboxStates.Failed, reason);

    public static ChannelResult Fail(string reason) => new(OutboxStates.Failed, reason, Permanent: true);

    public static ChannelResult Suppress(string reason) => new(OutboxStates.Suppressed, reason);

    public static ChannelResult Hold(string reason = OutboxReasons.NotConfigured) => new(OutboxStates.Held, reason);
}

/// <summary>A channel's adapter: the one boundary between the dispatcher and a provider's protocol.</summary>
internal interface IChannelAdapter
{
    string Channel { get; }

    Task<ChannelResult> SendAsync(ChannelSend message, CancellationToken cancellationToken);
}

/// <summary>The console inbox (the embedded default): a message lands there as sent, for an operator to read and handle.</summary>
internal sealed class InboxAdapter : IChannelAdapter
{
    public string Channel => OutboxChannels.Inbox;

    public Task<ChannelResult> SendAsync(ChannelSend message, CancellationToken cancellationToken) => Task.FromResult(ChannelResult.Sent());
}

/// <summary>
/// Webhook: an HTTP POST of a JSON envelope, signed with HMAC-SHA256 over "{timestamp}.{body}" in the header
/// <c>Pond-Signature: t={unix seconds},v1={hex}</c>. A 2xx is delivered; 5xx, 429 and timeouts retry; other 4xx are permanent.
/// </summary>
internal sealed class WebhookAdapter(HttpClient http, TimeProvider clock) : IChannelAdapter
{
    public const string SignatureHeader = "Pond-Signature";

    public string Channel => OutboxChannels.Webhook;

    public static string Sign(string secret, long timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp.ToString(CultureInfo.InvariantCulture)}.{body}")));

    public async Task<ChannelResult> SendAsync(ChannelSend message, CancellationToken cancellationToken)
    {
        var url = message.Payload["url"]?.GetValue<string>() ?? message.Settings.WebhookUrl;
        if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return string.IsNullOrEmpty(url) ? ChannelResult.Hold() : ChannelResult.Fail($"The webhook URL '{url}' is not an absolute http(s) URL.");
        if (string.IsNullOrEmpty(message.Settings.WebhookSecret))
            return ChannelResult.Hold();
        var envelope = new JsonObject
        {
            ["id"] = message.MessageId.ToString(),
            ["type"] = "message",
            ["purpose"] = message.Purpose,
            ["source"] = message.Source,
            ["customerId"] = message.Recipient?.Id.ToString(),
            ["text"] = message.Text,
            ["body"] = message.Payload["body"]?.DeepClone(),
            ["content"] = message.Material is null ? null : new JsonObject { ["id"] = message.Material.Id.ToString(), ["kind"] = message.Material.Kind, ["title"] = message.Material.Title, ["url"] = message.Material.Url },
        };
        var body = envelope.ToJsonString();
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation(SignatureHeader, $"t={timestamp},v1={Sign(message.Settings.WebhookSecret, timestamp, body)}");
        request.Headers.TryAddWithoutValidation("Pond-Message-Id", message.MessageId.ToString());
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            using var response = await http.SendAsync(request, timeout.Token);
            var status = (int)response.StatusCode;
            return status switch
            {
                >= 200 and < 300 => ChannelResult.Delivered(),
                429 or >= 500 => ChannelResult.Retry($"The webhook answered HTTP {status}."),
                _ => ChannelResult.Fail($"The webhook answered HTTP {status}; a 4xx is not retried."),
            };
        }
        catch (HttpRequestException e)
        {
            return ChannelResult.Retry($"The webhook could not be reached: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ChannelResult.Retry("The webhook did not answer within 10 seconds.");
        }
    }
}

/// <summary>Email over SMTP (System.Net.Mail): a 250 to the message data is counted as delivered to the mail server.</summary>
internal sealed class EmailAdapter : IChannelAdapter
{
    public string Channel => OutboxChannels.Email;

    public async Task<ChannelResult> SendAsync(ChannelSend message, CancellationToken cancellationToken)
    {
        var s = message.Settings;
        if (!s.SmtpConfigured)
            return ChannelResult.Hold();
        if (message.Recipient?.Email is not { } to || !System.Net.Mail.MailAddress.TryCreate(to, out var address))
            return ChannelResult.Suppress(OutboxReasons.NoAddress);
        var subject = message.Payload["subject"]?.GetValue<string>() ?? message.Material?.Title ?? "";
        var body = new StringBuilder(message.Text);
        if (message.Material?.Url is { } link)
            body.Append("\n\n").Append(message.Material.Title).Append(": ").Append(link);
        if (message.UnsubscribeLink is { } unsubscribe && message.Purpose == MessagePurposes.Marketing && !message.Text.Contains(unsubscribe, StringComparison.Ordinal))
            body.Append("\n\n").Append("Unsubscribe / 退订: ").Append(unsubscribe);
        using var mail = new System.Net.Mail.MailMessage(new System.Net.Mail.MailAddress(s.SmtpFrom!), address)
        {
            Subject = subject, Body = body.ToString(), BodyEncoding = Encoding.UTF8, SubjectEncoding = Encoding.UTF8,
        };
        mail.Headers.Add("X-Pond-Message-Id", message.MessageId.ToString());
        if (message.UnsubscribeLink is { } header)
            mail.Headers.Add("List-Unsubscribe", $"<{header}>");
        using var smtp = new System.Net.Mail.SmtpClient(s.SmtpHost!, s.SmtpPort ?? 587) { EnableSsl = s.SmtpTls, Timeout = 15_000 };
        if (!string.IsNullOrEmpty(s.SmtpUser))
            smtp.Credentials = new System.Net.NetworkCredential(s.SmtpUser, s.SmtpPassword);
        try
        {
            await smtp.SendMailAsync(mail, cancellationToken);
            return ChannelResult.Delivered();
        }
        catch (System.Net.Mail.SmtpFailedRecipientException e) when ((int)e.StatusCode is >= 500 and < 600)
        {
            return ChannelResult.Fail($"The mail server refused the recipient: {e.Message}");
        }
        catch (System.Net.Mail.SmtpException e) when ((int)e.StatusCode is >= 500 and < 600 && e.StatusCode != System.Net.Mail.SmtpStatusCode.GeneralFailure)
        {
            return ChannelResult.Fail($"The mail server refused the message: {e.Message}");
        }
        catch (System.Net.Mail.SmtpException e)
        {
            return ChannelResult.Retry($"SMTP: {e.Message}");
        }
    }
}

/// <summary>
/// The SMS provider interface: send one text to one phone number and say what the provider answered. A provider's
/// delivery receipts and inbound messages reach Pond through its callbacks (see docs/messaging.md).
/// </summary>
internal interface ISmsProvider
{
    string Name { get; }

    Task<ChannelResult> SendAsync(MessagingSettings settings, string to, string text, Uri? statusCallback, CancellationToken cancellationToken);
}

/// <summary>SMS through the configured provider; the unsubscribe keyword is appended to marketing texts (as carriers require).</summary>
internal sealed class SmsAdapter(IEnumerable<ISmsProvider> providers, MessagingLinks links) : IChannelAdapter
{
    public string Channel => OutboxChannels.Sms;

    public async Task<ChannelResult> SendAsync(ChannelSend message, CancellationToken cancellationToken)
    {
        var s = message.Settings;
        var provider = providers.FirstOrDefault(p => p.Name == s.SmsProvider);
        if (!s.SmsConfigured || provider is null)
            return ChannelResult.Hold();
        if (message.Recipient?.Phone is not { Length: > 0 } phone)
            return ChannelResult.Suppress(OutboxReasons.NoAddress);
        var text = message.Text;
        if (message.Material?.Url is { } link)
            text += " " + link;
        if (message.Purpose == MessagePurposes.Marketing)
            text += " 回TD退订";
        var callback = links.Absolute($"/hooks/sms/{provider.Name}/{message.WorkspaceId}/status");
        return await provider.SendAsync(s, phone.StartsWith('+') ? phone : "+86" + phone, text, callback, cancellationToken);
    }
}

/// <summary>
/// Twilio's Messages API: POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json, form To, From, Body, StatusCallback,
/// HTTP Basic auth with the Account SID and Auth Token. Callbacks carry X-Twilio-Signature: Base64(HMAC-SHA1(AuthToken,
/// full URL + each POST parameter's name and value, sorted by name)).
/// </summary>
internal sealed class TwilioSms(HttpClient http) : ISmsProvider
{
    public const string ProviderName = "twilio";
    public static readonly Uri DefaultBaseUrl = new("https://api.twilio.com/");

    public string Name => ProviderName;

    public async Task<ChannelResult> SendAsync(MessagingSettings settings, string to, string text, Uri? statusCallback, CancellationToken cancellationToken)
    {
        var baseUrl = new Uri(settings.SmsBaseUrl is { Length: > 0 } b ? b.TrimEnd('/') + "/" : DefaultBaseUrl.ToString());
        var form = new List<KeyValuePair<string, string>> { new("To", to), new("From", settings.SmsFrom!), new("Body", text) };
        if (statusCallback is not null)
            form.Add(new("StatusCallback", statusCallback.ToString()));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, $"2010-04-01/Accounts/{Uri.EscapeDataString(settings.SmsAccountSid!)}/Messages.json"))
        {
            Content = new FormUrlEncodedContent(form),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.SmsAccountSid}:{settings.SmsAuthToken}")));
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var answer = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonNode? json = null;
            try
            {
                json = JsonNode.Parse(answer);
            }
            catch (JsonException)
            {
            }

            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300 && json?["sid"]?.GetValue<string>() is { } sid)
                return ChannelResult.Sent(sid);
            var error = $"Twilio answered HTTP {status}: {json?["code"]} {json?["message"]}".Trim();
            return status is 429 or >= 500 ? ChannelResult.Retry(error) : ChannelResult.Fail(error);
        }
        catch (HttpRequestException e)
        {
            return ChannelResult.Retry($"Twilio could not be reached: {e.Message}");
        }
    }

    /// <summary>The signature Twilio puts on a callback (and that Pond checks): Base64(HMAC-SHA1(authToken, url + sorted name+value pairs)).</summary>
    public static string Signature(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
            data.Append(name).Append(value);
#pragma warning disable CA5350 // Twilio defines its callback signature as HMAC-SHA1; Pond must compute exactly that.
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
#pragma warning restore CA5350
    }
}

/// <summary>Absolute links to this Pond (unsubscribe pages, provider callbacks): POND_PUBLIC_URL, else the address it listens on.</summary>
internal sealed class MessagingLinks
{
    public string? BaseUrl { get; set; }

    /// <summary>Where relative content-library file paths are resolved (the server's data folder).</summary>
    public string? DataDirectory { get; set; }

    public Uri? Absolute(string path) => BaseUrl is null ? null : new Uri(BaseUrl.TrimEnd('/') + path);
}
