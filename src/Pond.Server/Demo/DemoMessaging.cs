using Dapper;
using Pond.Messaging;
using Pond.Storage;

namespace Pond.Server.Demo;

/// <summary>
/// Makes messaging look alive on the demo brand: settings filled (caps, quiet hours, rate limits, a webhook), and
/// messages in every state — sent and capped by the real dispatcher, opted-out customers suppressed, SMS and email held
/// until configured, delivered and failed webhooks, and marketing messages waiting for quiet hours to end.
/// </summary>
internal static class DemoMessaging
{
    public static async Task SetUpAsync(IServiceProvider services, Guid workspaceId)
    {
        var database = services.GetRequiredService<Database>();
        var clock = services.GetRequiredService<TimeProvider>();
        await services.GetRequiredService<MessagingSettingsStore>().SaveAsync(workspaceId, new MessagingSettingsInput
        {
            DailyCap = 1, WeeklyCap = 3, QuietHoursEnabled = true, QuietHoursStart = "22:00", QuietHoursEnd = "08:00",
            RateLimits = new() { [OutboxChannels.Sms] = 120, [OutboxChannels.WeComMessage] = 300, [OutboxChannels.Inbox] = 600 },
            WebhookUrl = "https://hooks.lumilane.cn/pond", WebhookSecret = "demo-" + Guid.NewGuid().ToString("N"),
        }, "demo");

        await using var connection = await database.OpenAsync();
        var customers = (await connection.QueryAsync<Guid>(
            "SELECT id FROM customers WHERE workspace_id = @workspaceId AND marketing_opt_out = @no ORDER BY id LIMIT 60", new { workspaceId, no = false })).AsList();
        var optedOut = (await connection.QueryAsync<Guid>(
            "SELECT id FROM customers WHERE workspace_id = @workspaceId AND marketing_opt_out = @yes ORDER BY id LIMIT 5", new { workspaceId, yes = true })).AsList();
        var now = clock.GetUtcNow();
        var n = 0;
        async Task EnqueueAsync(Guid? customer, string channel, string purpose, string source, string text, DateTimeOffset? due = null)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await Outbox.EnqueueAsync(connection, transaction, new OutboundMessage(workspaceId, customer, channel, purpose, source, $"demo:{n++}",
                System.Text.Json.JsonSerializer.Serialize(new { text, subject = channel == OutboxChannels.Email ? "Lumi Lane 会员日" : null }), due ?? now));
            await transaction.CommitAsync();
        }

        // Through the real dispatcher: two marketing messages each for 20 customers (the second over the daily cap),
        // opted-out customers, and SMS / email held because no provider is configured yet.
        foreach (var customer in customers.Take(20))
        {
            await EnqueueAsync(customer, OutboxChannels.Inbox, MessagePurposes.Marketing, "journey:demo-new-friend", "{name}，欢迎来到 Lumi Lane，首单立减 20 元");
            await EnqueueAsync(customer, OutboxChannels.Inbox, MessagePurposes.Marketing, "sop:demo-day-1", "{name}，今天的护肤小课堂");
        }

        foreach (var customer in optedOut)
            await EnqueueAsync(customer, OutboxChannels.Inbox, MessagePurposes.Marketing, "journey:demo-win-back", "{name}，好久不见");
        foreach (var customer in customers.Skip(20).Take(8))
            await EnqueueAsync(customer, OutboxChannels.Sms, MessagePurposes.Transactional, "api", "您的订单已发货，顺丰单号 SF1234567890");
        foreach (var customer in customers.Skip(28).Take(4))
            await EnqueueAsync(customer, OutboxChannels.Email, MessagePurposes.Marketing, "journey:demo-birthday", "{name}，生日快乐！送你一张 85折券");
        var dispatcher = services.GetRequiredService<OutboxDispatcher>();
        while (await dispatcher.DispatchDueAsync() > 0 && clock.GetUtcNow() - now < TimeSpan.FromMinutes(1))
        {
        }

        // Recorded outcomes a demo cannot produce without real providers or a night: delivered and failed webhooks,
        // and marketing messages waiting for quiet hours to end (their customers' zone is the workspace's).
        var zone = QuietHours.Zone(null, await connection.ExecuteScalarAsync<string?>("SELECT time_zone FROM workspaces WHERE id = @workspaceId", new { workspaceId }));
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var morning = new DateTimeOffset(local.Date.AddDays(1).AddHours(8), zone.GetUtcOffset(local.Date.AddDays(1).AddHours(8)));
        var rows = new List<object>();
        foreach (var (customer, i) in customers.Skip(32).Take(24).Select((c, i) => (c, i)))
        {
            var (state, reason, attempts, next) = (i % 4) switch
            {
                0 => (OutboxStates.Delivered, (string?)null, 1, now.AddMinutes(-i)),
                1 => (OutboxStates.Failed, "The webhook answered HTTP 404; a 4xx is not retried.", 1, now.AddMinutes(-i)),
                2 => (OutboxStates.Scheduled, OutboxReasons.QuietHours, 0, morning),
                _ => (OutboxStates.Scheduled, "The webhook answered HTTP 503.", 2, now.AddMinutes(2)),
            };
            rows.Add(new
            {
                id = Guid.CreateVersion7(), workspaceId, customer, channel = i % 4 == 2 ? OutboxChannels.WeComMessage : OutboxChannels.Webhook,
                dedupe = $"demo:recorded:{i}", payload = System.Text.Json.JsonSerializer.Serialize(new { text = i % 4 == 2 ? "晚安前的新品预告（明早 8 点送达）" : "订单状态同步" }),
                state, reason, attempts, next, created = now.AddMinutes(-30 - i),
                sent = state == OutboxStates.Delivered ? now.AddMinutes(-i) : (DateTimeOffset?)null,
                purpose = i % 4 == 2 ? MessagePurposes.Marketing : MessagePurposes.Transactional,
                source = i % 4 == 2 ? "journey:demo-restock" : "api",
            });
        }

        await connection.ExecuteAsync(
            """
            INSERT INTO outbox (id, workspace_id, customer_id, channel, dedupe_key, payload, state, reason, attempts, next_attempt_at, created_at, sent_at, delivered_at, purpose, source)
            VALUES (@id, @workspaceId, @customer, @channel, @dedupe, @payload, @state, @reason, @attempts, @next, @created, @sent, @sent, @purpose, @source)
            ON CONFLICT DO NOTHING
            """, rows);
    }
}
