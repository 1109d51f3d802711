using System.Net;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Messaging;
using Pond.Server.Auth;
using Pond.Server.Hosting;
using Pond.WeCom;
using Pond.Workspaces;

namespace Pond.Server.Messaging;

/// <summary>
/// Messaging: settings (respect rules and channel configuration), the outbox beyond listing (counts, one message,
/// retry), sending one message (POST /api/messages), the console inbox, the SMS provider's callbacks and the public
/// unsubscribe page /u/{token}.
/// </summary>
internal static class MessagingApi
{
    public static IServiceCollection AddMessaging(this IServiceCollection services, PondOptions options)
    {
        var links = new MessagingLinks { BaseUrl = string.IsNullOrWhiteSpace(options.PublicUrl) ? null : options.PublicUrl, DataDirectory = Path.GetFullPath(options.DataDirectory) };
        services.AddSingleton(links);
        services.AddSingleton<MessagingSettingsStore>();
        services.AddSingleton<Messages>();
        services.AddHttpClient(nameof(WebhookAdapter), c => c.Timeout = TimeSpan.FromSeconds(15));
        services.AddSingleton<IChannelAdapter, InboxAdapter>();
        services.AddSingleton<IChannelAdapter, EmailAdapter>();
        services.AddSingleton<IChannelAdapter, WeComWelcomeAdapter>();
        services.AddSingleton<IChannelAdapter>(sp => new WeComTaskAdapter(false, sp.GetRequiredService<Pond.Storage.Database>(), sp.GetRequiredService<WeComConnections>(), links, sp.GetRequiredService<ILogger<WeComTaskAdapter>>()));
        services.AddSingleton<IChannelAdapter>(sp => new WeComTaskAdapter(true, sp.GetRequiredService<Pond.Storage.Database>(), sp.GetRequiredService<WeComConnections>(), links, sp.GetRequiredService<ILogger<WeComTaskAdapter>>()));
        services.AddSingleton<IChannelAdapter>(sp => new WebhookAdapter(sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(WebhookAdapter)), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ISmsProvider>(sp => new TwilioSms(sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(TwilioSms))));
        services.AddSingleton<IChannelAdapter, SmsAdapter>();
        services.AddHostedService<LinksFromServerAddress>();
        return services;
    }

    public static IEndpointRouteBuilder MapMessagingApi(this IEndpointRouteBuilder routes)
    {
        var settings = Group(routes, "/api/messaging", "Messaging").RequireAuthorization(Policies.Administer);
        settings.MapGet("/settings", GetSettings).WithName("GetMessagingSettings")
            .WithSummary("Frequency caps, quiet hours, per-channel rate limits and channel configuration; secrets only as *Set flags.");
        settings.MapPut("/settings", PutSettings).WithName("UpdateMessagingSettings")
            .WithSummary("Changes messaging settings; omitted fields and empty secrets keep their stored value.").ProducesProblem(StatusCodes.Status400BadRequest);

        var outbox = Group(routes, "/api/outbox", "Outbox");
        outbox.MapGet("/counts", Counts).WithName("CountOutbox")
            .WithSummary("Counts by state, suppressed messages by reason, waiting messages by reason; filter by channel, purpose, source, customer.");
        outbox.MapGet("/{id:guid}", Get).WithName("GetOutboxMessage").ProducesProblem(StatusCodes.Status404NotFound);
        outbox.MapPost("/{id:guid}/retry", Retry).WithName("RetryOutboxMessage").RequireAuthorization(Policies.Operate)
            .WithSummary("Sends a failed or held message again from its first attempt.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        Group(routes, "/api/messages", "Outbox").MapPost("/", Send).WithName("SendMessage").RequireAuthorization(Policies.Operate)
            .WithSummary("Sends one message to a customer through a channel (purpose required); it goes through the outbox and, for marketing, the respect rules.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        var inbox = Group(routes, "/api/inbox", "Outbox");
        inbox.MapGet("/", ListInbox).WithName("ListInbox").WithSummary("Messages sent to the console inbox, newest first; handled=false for the open ones.");
        inbox.MapPost("/{id:guid}/read", Read).WithName("MarkInboxRead").RequireAuthorization(Policies.Operate).ProducesProblem(StatusCodes.Status404NotFound);
        inbox.MapPost("/{id:guid}/handled", Handled).WithName("MarkInboxHandled").RequireAuthorization(Policies.Operate).ProducesProblem(StatusCodes.Status404NotFound);

        var hooks = routes.MapGroup("/hooks/sms").WithTags("Callbacks").AllowAnonymous().DisableAntiforgery();
        hooks.MapPost("/twilio/{workspace:guid}/status", TwilioStatus).WithName("ReceiveSmsStatus").WithSummary("Twilio's delivery receipt (StatusCallback), signed with X-Twilio-Signature.");
        hooks.MapPost("/twilio/{workspace:guid}/inbound", TwilioInbound).WithName("ReceiveSmsInbound").WithSummary("An inbound SMS (Twilio's messaging webhook); TD / 退订 / unsubscribe opts the sender out.");

        routes.MapGet("/u/{token}", UnsubscribePage).AllowAnonymous().ExcludeFromDescription();
        routes.MapPost("/u/{token}", Unsubscribe).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        return routes;
    }

    private static RouteGroupBuilder Group(IEndpointRouteBuilder routes, string prefix, string tag) =>
        routes.MapGroup(prefix).WithTags(tag).RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);

    private static async Task<bool> WeComCanSendAsync(WeComConnections wecom, Guid workspaceId) =>
        await wecom.GetAsync(workspaceId) is { CanCallApi: true };

    public static async Task<Ok<MessagingSettingsView>> GetSettings(HttpContext context, MessagingSettingsStore store, WeComConnections wecom)
    {
        var ws = context.Caller().WorkspaceId;
        return TypedResults.Ok(await store.ViewAsync(ws, await WeComCanSendAsync(wecom, ws)));
    }

    public static async Task<Ok<MessagingSettingsView>> PutSettings(MessagingSettingsInput input, HttpContext context, MessagingSettingsStore store, WeComConnections wecom)
    {
        var caller = context.Caller();
        var saved = await store.SaveAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Ok(MessagingSettingsStore.View(saved, await WeComCanSendAsync(wecom, caller.WorkspaceId)));
    }

    public static async Task<Ok<OutboxCounts>> Counts(string? channel, string? purpose, string? source, Guid? customerId, HttpContext context, Outbox outbox) =>
        TypedResults.Ok(await outbox.CountsAsync(context.Caller().WorkspaceId, new OutboxFilter { Channel = channel, Purpose = purpose, Source = source, CustomerId = customerId }, context.Caller().OnlyOwnedBy));

    public static async Task<Ok<OutboxMessage>> Get(Guid id, HttpContext context, Outbox outbox) =>
        TypedResults.Ok(await outbox.GetAsync(context.Caller().WorkspaceId, id, context.Caller().OnlyOwnedBy));

    public static async Task<Ok<OutboxMessage>> Retry(Guid id, HttpContext context, Outbox outbox, TimeProvider clock, AuditLog audit)
    {
        var caller = context.Caller();
        await outbox.GetAsync(caller.WorkspaceId, id, caller.OnlyOwnedBy);
        return TypedResults.Ok(await outbox.RetryAsync(caller.WorkspaceId, id, caller.Actor, clock, audit));
    }

    public static async Task<Accepted<OutboxMessage>> Send(SendMessageInput input, HttpContext context, Messages messages)
    {
        var caller = context.Caller();
        var message = await messages.SendAsync(caller.WorkspaceId, input, caller.Actor, caller.OnlyOwnedBy);
        return TypedResults.Accepted($"/api/outbox/{message.Id}", message);
    }

    public static async Task<Ok<IReadOnlyList<OutboxMessage>>> ListInbox(bool? handled, HttpContext context, Outbox outbox)
    {
        var caller = context.Caller();
        var messages = await outbox.ListAsync(caller.WorkspaceId, new OutboxFilter { Channel = OutboxChannels.Inbox }, 500, caller.OnlyOwnedBy);
        return TypedResults.Ok<IReadOnlyList<OutboxMessage>>(messages
            .Where(m => m.State is OutboxStates.Sent or OutboxStates.Delivered)
            .Where(m => handled is null || (m.HandledAt is not null) == handled).ToList());
    }

    public static async Task<Ok<OutboxMessage>> Read(Guid id, HttpContext context, Outbox outbox, TimeProvider clock)
    {
        var caller = context.Caller();
        await outbox.GetAsync(caller.WorkspaceId, id, caller.OnlyOwnedBy);
        return TypedResults.Ok(await outbox.MarkInboxAsync(caller.WorkspaceId, id, false, caller.Actor, clock.GetUtcNow()));
    }

    public static async Task<Ok<OutboxMessage>> Handled(Guid id, HttpContext context, Outbox outbox, TimeProvider clock)
    {
        var caller = context.Caller();
        await outbox.GetAsync(caller.WorkspaceId, id, caller.OnlyOwnedBy);
        return TypedResults.Ok(await outbox.MarkInboxAsync(caller.WorkspaceId, id, true, caller.Actor, clock.GetUtcNow()));
    }

    /// <summary>Checks Twilio's X-Twilio-Signature over the URL Pond gave Twilio and the posted form.</summary>
    private static async Task<(bool Ok, IFormCollection Form)> VerifyTwilioAsync(HttpRequest request, Guid workspace, MessagingSettingsStore store, MessagingLinks links)
    {
        var form = await request.ReadFormAsync();
        var settings = await store.GetAsync(workspace);
        if (!settings.SmsConfigured || settings.SmsProvider != TwilioSms.ProviderName)
            throw new CallbackSignatureException("SMS through Twilio is not configured for this workspace.");
        var url = (links.Absolute(request.Path) ?? new Uri($"{request.Scheme}://{request.Host}{request.Path}")) + request.QueryString.ToString();
        var expected = TwilioSms.Signature(settings.SmsAuthToken!, url, form.Select(f => new KeyValuePair<string, string>(f.Key, f.Value.ToString())));
        var given = request.Headers["X-Twilio-Signature"].ToString();
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(expected), System.Text.Encoding.ASCII.GetBytes(given)))
            throw new CallbackSignatureException("X-Twilio-Signature does not match: it must be Base64(HMAC-SHA1(auth token, callback URL + sorted form fields)).");
        return (true, form);
    }

    public static async Task<Results<NoContent, UnauthorizedHttpResult>> TwilioStatus(
        Guid workspace, HttpRequest request, MessagingSettingsStore store, MessagingLinks links, Messages messages)
    {
        var (ok, form) = await VerifyTwilioAsync(request, workspace, store, links);
        if (!ok)
            return TypedResults.Unauthorized();
        var sid = form["MessageSid"].ToString();
        var status = form["MessageStatus"].ToString();
        if (sid.Length > 0 && status is "delivered" or "undelivered" or "failed")
            await messages.ReceiptAsync(workspace, sid, status == "delivered", $"{status} {form["ErrorCode"]}".Trim());
        return TypedResults.NoContent();
    }

    public static async Task<Results<ContentHttpResult, UnauthorizedHttpResult>> TwilioInbound(
        Guid workspace, HttpRequest request, MessagingSettingsStore store, MessagingLinks links, Messages messages)
    {
        var (ok, form) = await VerifyTwilioAsync(request, workspace, store, links);
        if (!ok)
            return TypedResults.Unauthorized();
        if (Messages.IsUnsubscribeKeyword(form["Body"].ToString()) && await messages.CustomerByPhoneAsync(workspace, form["From"].ToString()) is { } customerId)
            await messages.OptOutAsync(workspace, customerId, "sms:keyword");
        // An empty TwiML answer: Pond does not reply by SMS.
        return TypedResults.Text("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>", "text/xml");
    }

    private static bool English(HttpRequest request) =>
        request.Query["lang"].ToString().StartsWith("en", StringComparison.OrdinalIgnoreCase)
        || (request.Query["lang"].Count == 0 && !request.Headers.AcceptLanguage.ToString().StartsWith("zh", StringComparison.OrdinalIgnoreCase) && request.Headers.AcceptLanguage.Count > 0);

    public static async Task<ContentHttpResult> UnsubscribePage(string token, HttpRequest request, Messages messages, MessagingSettingsStore store)
    {
        var en = English(request);
        var found = await messages.ResolveTokenAsync(token, store);
        if (found is null)
            return Page(en ? "Link not valid" : "链接无效", en ? "This unsubscribe link is not valid. Reply TD to any of our text messages instead." : "此退订链接无效。您也可以回复短信 TD 退订。", null, 404, en);
        if (found.Value.OptedOut)
            return Page(en ? "Unsubscribed" : "已退订", en ? "You will not receive marketing messages from us any more." : "您已退订，之后不会再收到我们的营销消息。", null, 200, en);
        return Page(en ? "Unsubscribe" : "退订", en ? "Stop receiving marketing messages from us? Order updates still reach you." : "确定不再接收我们的营销消息吗？订单通知不受影响。",
            en ? "Unsubscribe" : "确认退订", 200, en);
    }

    public static async Task<ContentHttpResult> Unsubscribe(string token, HttpRequest request, Messages messages, MessagingSettingsStore store)
    {
        var en = English(request);
        var found = await messages.ResolveTokenAsync(token, store);
        if (found is null)
            return Page(en ? "Link not valid" : "链接无效", en ? "This unsubscribe link is not valid." : "此退订链接无效。", null, 404, en);
        await messages.OptOutAsync(found.Value.WorkspaceId, found.Value.CustomerId, "unsubscribe:link");
        return Page(en ? "Unsubscribed" : "已退订", en ? "You will not receive marketing messages from us any more." : "您已退订，之后不会再收到我们的营销消息。", null, 200, en);
    }

    private static ContentHttpResult Page(string title, string text, string? button, int status, bool en)
    {
        var encoder = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);
        var form = button is null ? "" : $"<form method=\"post\"><button type=\"submit\" data-testid=\"unsubscribe\">{encoder.Encode(button)}</button></form>";
        var html = $"""
            <!doctype html><html lang="{(en ? "en" : "zh-CN")}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{encoder.Encode(title)}</title><link rel="stylesheet" href="/css/pond.css"></head>
            <body class="public-page"><main class="card unsubscribe-card"><h1>{encoder.Encode(title)}</h1><p>{encoder.Encode(text)}</p>{form}</main></body></html>
            """;
        return TypedResults.Text(html, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);
    }

    /// <summary>Without POND_PUBLIC_URL, links point at the first address the server listens on.</summary>
    private sealed class LinksFromServerAddress(MessagingLinks links, IServer server, IHostApplicationLifetime lifetime) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStarted.Register(() =>
            {
                if (links.BaseUrl is null && server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() is { } address)
                    links.BaseUrl = address.Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal).Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal);
            });
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
