using Microsoft.Extensions.Localization;
using Pond.Messaging;

namespace Pond.Server.Components.Pages.Messaging;

/// <summary>Labels for outbox states, channels, purposes and reasons, shared by the outbox and inbox pages.</summary>
internal static class MessagingDisplay
{
    public static string State(IStringLocalizer t, string state) => state switch
    {
        OutboxStates.Scheduled => t["Scheduled"].Value,
        OutboxStates.Sending => t["Sending"].Value,
        OutboxStates.Sent => t["Sent"].Value,
        OutboxStates.Delivered => t["Delivered"].Value,
        OutboxStates.Failed => t["Failed"].Value,
        OutboxStates.Suppressed => t["Suppressed"].Value,
        OutboxStates.Held => t["Held (not connected)"].Value,
        _ => state,
    };

    public static string Channel(IStringLocalizer t, string channel) => channel switch
    {
        OutboxChannels.WeComWelcome => t["WeCom welcome message"].Value,
        OutboxChannels.WeComMessage => t["WeCom 1:1 message task"].Value,
        OutboxChannels.WeComGroupMessage => t["WeCom group message task"].Value,
        OutboxChannels.Sms => t["SMS"].Value,
        OutboxChannels.Email => t["Email"].Value,
        OutboxChannels.Webhook => t["Webhook"].Value,
        OutboxChannels.Inbox => t["Console inbox"].Value,
        _ => channel,
    };

    public static string Purpose(IStringLocalizer t, string purpose) =>
        purpose == MessagePurposes.Marketing ? t["Marketing"].Value : t["Transactional (exempt)"].Value;

    /// <summary>A reason code translated; a provider's error text as it came.</summary>
    public static string? Reason(IStringLocalizer t, string? reason) => reason switch
    {
        null => null,
        OutboxReasons.OptedOut => t["The customer opted out of marketing."].Value,
        OutboxReasons.DailyCap => t["Over the daily frequency cap for marketing messages."].Value,
        OutboxReasons.WeeklyCap => t["Over the weekly frequency cap for marketing messages."].Value,
        OutboxReasons.NoAddress => t["The customer has no address on this channel."].Value,
        OutboxReasons.NoCustomer => t["The customer no longer exists."].Value,
        OutboxReasons.QuietHours => t["Waits for quiet hours to end."].Value,
        OutboxReasons.RateLimited => t["Waits for the channel's rate limit."].Value,
        OutboxReasons.NotConfigured => t["The channel is not configured, so Pond cannot send it; the message is kept here."].Value,
        _ => t[reason].Value,
    };
}
