using Pond.Messaging;

namespace Pond.Server.Components.Pages.Messaging;

/// <summary>The settings page's form: every field as text so a bad value comes back with a message, not a binding error.</summary>
internal sealed class MessagingSettingsForm
{
    public string? DailyCap { get; set; }
    public string? WeeklyCap { get; set; }
    public bool QuietHoursEnabled { get; set; }
    public string? QuietHoursStart { get; set; }
    public string? QuietHoursEnd { get; set; }
    public Dictionary<string, string?> RateLimits { get; set; } = [];
    public string? SmsProvider { get; set; }
    public string? SmsBaseUrl { get; set; }
    public string? SmsAccountSid { get; set; }
    public string? SmsAuthToken { get; set; }
    public string? SmsFrom { get; set; }
    public string? SmtpHost { get; set; }
    public string? SmtpPort { get; set; }
    public string? SmtpUser { get; set; }
    public string? SmtpPassword { get; set; }
    public string? SmtpFrom { get; set; }
    public bool SmtpTls { get; set; }
    public string? WebhookUrl { get; set; }
    public string? WebhookSecret { get; set; }

    public static MessagingSettingsForm From(MessagingSettingsView v) => new()
    {
        DailyCap = v.DailyCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        WeeklyCap = v.WeeklyCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        QuietHoursEnabled = v.QuietHoursEnabled, QuietHoursStart = v.QuietHoursStart, QuietHoursEnd = v.QuietHoursEnd,
        RateLimits = OutboxChannels.Outbound.ToDictionary(c => c, c => v.RateLimits.TryGetValue(c, out var l) ? l.ToString(System.Globalization.CultureInfo.InvariantCulture) : null),
        SmsProvider = v.SmsProvider, SmsBaseUrl = v.SmsBaseUrl, SmsAccountSid = v.SmsAccountSid, SmsFrom = v.SmsFrom,
        SmtpHost = v.SmtpHost, SmtpPort = v.SmtpPort?.ToString(System.Globalization.CultureInfo.InvariantCulture), SmtpUser = v.SmtpUser, SmtpFrom = v.SmtpFrom,
        SmtpTls = v.SmtpTls, WebhookUrl = v.WebhookUrl,
    };

    public MessagingSettingsInput ToInput() => new()
    {
        DailyCap = Number(DailyCap, "dailyCap"), WeeklyCap = Number(WeeklyCap, "weeklyCap"),
        QuietHoursEnabled = QuietHoursEnabled, QuietHoursStart = QuietHoursStart ?? "", QuietHoursEnd = QuietHoursEnd ?? "",
        RateLimits = RateLimits.Where(r => !string.IsNullOrWhiteSpace(r.Value)).ToDictionary(r => r.Key, r => Number(r.Value, "rateLimits") ?? 0),
        SmsProvider = SmsProvider ?? "", SmsBaseUrl = SmsBaseUrl ?? "", SmsAccountSid = SmsAccountSid ?? "", SmsAuthToken = SmsAuthToken, SmsFrom = SmsFrom ?? "",
        SmtpHost = SmtpHost ?? "", SmtpPort = Number(SmtpPort, "smtpPort"), SmtpUser = SmtpUser ?? "", SmtpPassword = SmtpPassword, SmtpFrom = SmtpFrom ?? "",
        SmtpTls = SmtpTls, WebhookUrl = WebhookUrl ?? "", WebhookSecret = WebhookSecret,
    };

    private static int? Number(string? text, string field) =>
        string.IsNullOrWhiteSpace(text) ? null
        : int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n
        : throw new ValidationFailedException($"{field} must be a whole number.", field);
}
