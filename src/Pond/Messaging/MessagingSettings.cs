using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Messaging;

/// <summary>
/// A workspace's respect rules (frequency caps, quiet hours, per-channel rate limits) and channel configuration
/// (SMS provider, SMTP, webhook). Secrets stay inside Pond: <see cref="MessagingSettingsView"/> says only whether one is set.
/// </summary>
internal sealed class MessagingSettings
{
    public int DailyCap { get; init; } = 1;
    public int WeeklyCap { get; init; } = 3;
    public bool QuietEnabled { get; init; } = true;
    public int QuietStartMinute { get; init; } = 22 * 60;
    public int QuietEndMinute { get; init; } = 8 * 60;
    public IReadOnlyDictionary<string, int> RateLimits { get; init; } = new Dictionary<string, int>();
    public string? SmsProvider { get; init; }
    public string? SmsBaseUrl { get; init; }
    public string? SmsAccountSid { get; init; }
    public string? SmsAuthToken { get; init; }
    public string? SmsFrom { get; init; }
    public string? SmtpHost { get; init; }
    public int? SmtpPort { get; init; }
    public string? SmtpUser { get; init; }
    public string? SmtpPassword { get; init; }
    public string? SmtpFrom { get; init; }
    public bool SmtpTls { get; init; }
    public string? WebhookUrl { get; init; }
    public string? WebhookSecret { get; init; }
    public string UnsubscribeKey { get; init; } = "";

    public bool SmsConfigured => SmsProvider is not null && !string.IsNullOrEmpty(SmsAccountSid) && !string.IsNullOrEmpty(SmsAuthToken) && !string.IsNullOrEmpty(SmsFrom);
    public bool SmtpConfigured => !string.IsNullOrEmpty(SmtpHost) && !string.IsNullOrEmpty(SmtpFrom);

    public int? RateLimit(string channel) => RateLimits.TryGetValue(channel, out var limit) && limit > 0 ? limit : null;

    public static string Clock(int minute) => $"{minute / 60:00}:{minute % 60:00}";
}

/// <summary>What the API and console show: every setting, with secrets replaced by whether they are set.</summary>
public sealed class MessagingSettingsView
{
    public int DailyCap { get; init; }
    public int WeeklyCap { get; init; }
    public bool QuietHoursEnabled { get; init; }
    public string QuietHoursStart { get; init; } = "";
    public string QuietHoursEnd { get; init; } = "";
    public IReadOnlyDictionary<string, int> RateLimits { get; init; } = new Dictionary<string, int>();
    public string? SmsProvider { get; init; }
    public string? SmsBaseUrl { get; init; }
    public string? SmsAccountSid { get; init; }
    public bool SmsAuthTokenSet { get; init; }
    public string? SmsFrom { get; init; }
    public string? SmtpHost { get; init; }
    public int? SmtpPort { get; init; }
    public string? SmtpUser { get; init; }
    public bool SmtpPasswordSet { get; init; }
    public string? SmtpFrom { get; init; }
    public bool SmtpTls { get; init; }
    public string? WebhookUrl { get; init; }
    public bool WebhookSecretSet { get; init; }

    /// <summary>Channels that can send now; the others hold their messages (visible in the outbox).</summary>
    public IReadOnlyList<string> ConfiguredChannels { get; init; } = [];
}

/// <summary>What an admin sends. Null leaves a setting as it is; an empty secret also keeps the stored one (the console never shows it back).</summary>
public sealed class MessagingSettingsInput
{
    public int? DailyCap { get; set; }
    public int? WeeklyCap { get; set; }
    public bool? QuietHoursEnabled { get; set; }
    public string? QuietHoursStart { get; set; }
    public string? QuietHoursEnd { get; set; }
    public Dictionary<string, int>? RateLimits { get; set; }
    public string? SmsProvider { get; set; }
    public string? SmsBaseUrl { get; set; }
    public string? SmsAccountSid { get; set; }
    public string? SmsAuthToken { get; set; }
    public string? SmsFrom { get; set; }
    public string? SmtpHost { get; set; }
    public int? SmtpPort { get; set; }
    public string? SmtpUser { get; set; }
    public string? SmtpPassword { get; set; }
    public string? SmtpFrom { get; set; }
    public bool? SmtpTls { get; set; }
    public string? WebhookUrl { get; set; }
    public string? WebhookSecret { get; set; }
}

internal sealed class MessagingSettingsStore(Database database, AuditLog audit, TimeProvider clock)
{
    private const string Columns =
        """
        daily_cap, weekly_cap, quiet_enabled, quiet_start_minute, quiet_end_minute, rate_limits, sms_provider, sms_base_url, sms_account_sid,
        sms_auth_token, sms_from, smtp_host, smtp_port, smtp_user, smtp_password, smtp_from, smtp_tls, webhook_url, webhook_secret, unsubscribe_key
        """;

    /// <summary>The workspace's settings; the defaults (with a fresh unsubscribe key, stored) when none were saved.</summary>
    public async Task<MessagingSettings> GetAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var row = await connection.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM messaging_settings WHERE workspace_id = @workspaceId", new { workspaceId });
        if (row is null)
        {
            // The unsubscribe key signs every unsubscribe link: made once per workspace; a racing node's insert wins.
            await connection.ExecuteAsync(
                "INSERT INTO messaging_settings (workspace_id, unsubscribe_key, updated_at) VALUES (@workspaceId, @key, @now) ON CONFLICT DO NOTHING",
                new { workspaceId, key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), now = clock.GetUtcNow() });
            row = await connection.QuerySingleAsync<Row>($"SELECT {Columns} FROM messaging_settings WHERE workspace_id = @workspaceId", new { workspaceId });
        }

        return row.ToSettings();
    }

    public async Task<MessagingSettingsView> ViewAsync(Guid workspaceId, bool weComCanSend) => View(await GetAsync(workspaceId), weComCanSend);

    public static MessagingSettingsView View(MessagingSettings s, bool weComCanSend) => new()
    {
        DailyCap = s.DailyCap, WeeklyCap = s.WeeklyCap, QuietHoursEnabled = s.QuietEnabled,
        QuietHoursStart = MessagingSettings.Clock(s.QuietStartMinute), QuietHoursEnd = MessagingSettings.Clock(s.QuietEndMinute),
        RateLimits = s.RateLimits, SmsProvider = s.SmsProvider, SmsBaseUrl = s.SmsBaseUrl, SmsAccountSid = s.SmsAccountSid,
        SmsAuthTokenSet = !string.IsNullOrEmpty(s.SmsAuthToken), SmsFrom = s.SmsFrom, SmtpHost = s.SmtpHost, SmtpPort = s.SmtpPort,
        SmtpUser = s.SmtpUser, SmtpPasswordSet = !string.IsNullOrEmpty(s.SmtpPassword), SmtpFrom = s.SmtpFrom, SmtpTls = s.SmtpTls,
        WebhookUrl = s.WebhookUrl, WebhookSecretSet = !string.IsNullOrEmpty(s.WebhookSecret),
        ConfiguredChannels = OutboxChannels.Outbound.Where(c => c switch
        {
            OutboxChannels.Sms => s.SmsConfigured,
            OutboxChannels.Email => s.SmtpConfigured,
            OutboxChannels.WeComMessage or OutboxChannels.WeComGroupMessage => weComCanSend,
            _ => true,
        }).ToList(),
    };

    public async Task<MessagingSettings> SaveAsync(Guid workspaceId, MessagingSettingsInput input, string actor)
    {
        var current = await GetAsync(workspaceId);
        var daily = input.DailyCap ?? current.DailyCap;
        var weekly = input.WeeklyCap ?? current.WeeklyCap;
        if (daily is < 0 or > 100)
            throw new ValidationFailedException("dailyCap must be 0–100 marketing messages per customer per day (0 sends none).", "dailyCap");
        if (weekly is < 0 or > 500)
            throw new ValidationFailedException("weeklyCap must be 0–500 marketing messages per customer per week.", "weeklyCap");
        if (weekly < daily)
            throw new ValidationFailedException("weeklyCap must be at least dailyCap.", "weeklyCap");
        var start = input.QuietHoursStart is null ? current.QuietStartMinute : ParseClock(input.QuietHoursStart, "quietHoursStart");
        var end = input.QuietHoursEnd is null ? current.QuietEndMinute : ParseClock(input.QuietHoursEnd, "quietHoursEnd");
        var enabled = input.QuietHoursEnabled ?? current.QuietEnabled;
        if (enabled && start == end)
            throw new ValidationFailedException("Quiet hours must start and end at different times (or turn them off).", "quietHoursEnd");
        var limits = input.RateLimits ?? current.RateLimits.ToDictionary();
        foreach (var (channel, limit) in limits)
        {
            if (!OutboxChannels.Outbound.Contains(channel))
                throw new ValidationFailedException($"rateLimits names an unknown channel '{channel}': use one of {string.Join(", ", OutboxChannels.Outbound)}.", "rateLimits");
            if (limit is < 0 or > 1_000_000)
                throw new ValidationFailedException($"rateLimits.{channel} must be 0 (no limit) to 1000000 messages per minute.", "rateLimits");
        }

        var smsProvider = input.SmsProvider is null ? current.SmsProvider : Blank(input.SmsProvider);
        if (smsProvider is not null && smsProvider != TwilioSms.ProviderName)
            throw new ValidationFailedException($"smsProvider must be '{TwilioSms.ProviderName}' (or empty for none).", "smsProvider");
        var smsBase = input.SmsBaseUrl is null ? current.SmsBaseUrl : Url(input.SmsBaseUrl, "smsBaseUrl");
        var smtpPort = input.SmtpPort ?? current.SmtpPort;
        if (smtpPort is < 1 or > 65535)
            throw new ValidationFailedException("smtpPort must be 1–65535 (587 for submission with STARTTLS, 25 for relay).", "smtpPort");
        var smtpFrom = input.SmtpFrom is null ? current.SmtpFrom : Blank(input.SmtpFrom);
        if (smtpFrom is not null && !System.Net.Mail.MailAddress.TryCreate(smtpFrom, out _))
            throw new ValidationFailedException("smtpFrom must be an email address, e.g. Lumi Lane <hello@lumilane.cn>.", "smtpFrom");
        var webhookUrl = input.WebhookUrl is null ? current.WebhookUrl : Url(input.WebhookUrl, "webhookUrl");

        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(
            """
            UPDATE messaging_settings SET daily_cap = @daily, weekly_cap = @weekly, quiet_enabled = @enabled, quiet_start_minute = @start,
                quiet_end_minute = @end, rate_limits = @limits, sms_provider = @smsProvider, sms_base_url = @smsBase, sms_account_sid = @sid,
                sms_auth_token = @token, sms_from = @smsFrom, smtp_host = @host, smtp_port = @smtpPort, smtp_user = @user,
                smtp_password = @password, smtp_from = @smtpFrom, smtp_tls = @tls, webhook_url = @webhookUrl, webhook_secret = @secret, updated_at = @now
            WHERE workspace_id = @workspaceId
            """,
            new
            {
                workspaceId, daily, weekly, enabled, start, end, limits = JsonSerializer.Serialize(limits), smsProvider, smsBase,
                sid = input.SmsAccountSid is null ? current.SmsAccountSid : Blank(input.SmsAccountSid),
                token = Secret(input.SmsAuthToken, current.SmsAuthToken),
                smsFrom = input.SmsFrom is null ? current.SmsFrom : Blank(input.SmsFrom),
                host = input.SmtpHost is null ? current.SmtpHost : Blank(input.SmtpHost), smtpPort,
                user = input.SmtpUser is null ? current.SmtpUser : Blank(input.SmtpUser),
                password = Secret(input.SmtpPassword, current.SmtpPassword), smtpFrom, tls = input.SmtpTls ?? current.SmtpTls,
                webhookUrl, secret = Secret(input.WebhookSecret, current.WebhookSecret), now,
            }, transaction);
        await audit.RecordAsync(workspaceId, actor, "messaging.settings", null,
            new { daily, weekly, enabled, start, end, limits, smsProvider, secretsChanged = input.SmsAuthToken is { Length: > 0 } || input.SmtpPassword is { Length: > 0 } || input.WebhookSecret is { Length: > 0 } },
            connection, transaction);
        await transaction.CommitAsync();
        var saved = await GetAsync(workspaceId);
        // Messages held because a channel was not configured go out once it is.
        var released = new List<string> { OutboxChannels.Webhook, OutboxChannels.Inbox };
        if (saved.SmsConfigured)
            released.Add(OutboxChannels.Sms);
        if (saved.SmtpConfigured)
            released.Add(OutboxChannels.Email);
        await connection.ExecuteAsync(
            $"UPDATE outbox SET state = 'scheduled', reason = NULL, next_attempt_at = @now WHERE workspace_id = @workspaceId AND state = 'held' AND channel IN ({string.Join(", ", released.Select(c => $"'{c}'"))})",
            new { workspaceId, now });
        return saved;
    }

    private static string? Blank(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string? Secret(string? input, string? current) => string.IsNullOrEmpty(input) ? current : input.Trim();

    private static string? Url(string value, string field)
    {
        var url = Blank(value);
        if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            throw new ValidationFailedException($"{field} must be an absolute http(s) URL.", field);
        return url;
    }

    private static int ParseClock(string value, string field) =>
        TimeOnly.TryParseExact(value.Trim(), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time.Hour * 60 + time.Minute
            : throw new ValidationFailedException($"{field} must be a time of day as HH:mm, e.g. 22:00.", field);

    private sealed class Row
    {
        public long DailyCap { get; init; }
        public long WeeklyCap { get; init; }
        public bool QuietEnabled { get; init; }
        public long QuietStartMinute { get; init; }
        public long QuietEndMinute { get; init; }
        public string RateLimits { get; init; } = "{}";
        public string? SmsProvider { get; init; }
        public string? SmsBaseUrl { get; init; }
        public string? SmsAccountSid { get; init; }
        public string? SmsAuthToken { get; init; }
        public string? SmsFrom { get; init; }
        public string? SmtpHost { get; init; }
        public long? SmtpPort { get; init; }
        public string? SmtpUser { get; init; }
        public string? SmtpPassword { get; init; }
        public string? SmtpFrom { get; init; }
        public bool SmtpTls { get; init; }
        public string? WebhookUrl { get; init; }
        public string? WebhookSecret { get; init; }
        public string UnsubscribeKey { get; init; } = "";

        public MessagingSettings ToSettings() => new()
        {
            DailyCap = (int)DailyCap, WeeklyCap = (int)WeeklyCap, QuietEnabled = QuietEnabled, QuietStartMinute = (int)QuietStartMinute,
            QuietEndMinute = (int)QuietEndMinute, RateLimits = JsonSerializer.Deserialize<Dictionary<string, int>>(RateLimits) ?? [],
            SmsProvider = SmsProvider, SmsBaseUrl = SmsBaseUrl, SmsAccountSid = SmsAccountSid, SmsAuthToken = SmsAuthToken, SmsFrom = SmsFrom,
            SmtpHost = SmtpHost, SmtpPort = (int?)SmtpPort, SmtpUser = SmtpUser, SmtpPassword = SmtpPassword, SmtpFrom = SmtpFrom, SmtpTls = SmtpTls,
            WebhookUrl = WebhookUrl, WebhookSecret = WebhookSecret, UnsubscribeKey = UnsubscribeKey,
        };
    }
}
