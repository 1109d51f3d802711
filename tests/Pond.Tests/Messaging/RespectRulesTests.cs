using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Pond.Messaging;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.Workspaces;

namespace Pond.Tests.Messaging;

/// <summary>
/// The respect rules, enforced by the dispatcher for marketing messages over the real API on both engines: quiet hours
/// move a message to their end, the frequency cap suppresses with the cap named, an opt-out (also one made after
/// scheduling) suppresses, rate limits delay; transactional messages are exempt.
/// </summary>
public sealed class RespectRulesTests
{
    private const string Secret = "whsec-lumi-lane-0123456789";

    private static async Task<WebhookReceiver> WebhookAsync(MessagingScene scene, int dailyCap = 1, int weeklyCap = 3)
    {
        var hook = await WebhookReceiver.StartAsync();
        await scene.SettingsAsync(new { webhookUrl = hook.Url.ToString(), webhookSecret = Secret, dailyCap, weeklyCap });
        return hook;
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task MarketingDueAt2330CustomerLocal_WaitsForQuietHours_AndIsDeliveredAt0800(DbEngine engine)
    {
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(23, 30));
        await using var hook = await WebhookAsync(scene);
        // No valid zone trait: the workspace's (Asia/Shanghai), where it is 23:30. London: 15:30, outside quiet hours.
        var shanghai = await scene.Seed.CustomerAsync("林晓", traits: new { timezone = "Mars/Olympus_Mons" });
        var london = await scene.Seed.CustomerAsync("Olivia", traits: new { timezone = "Europe/London" });

        var waiting = await scene.SendAsync(new { customerId = shanghai, channel = "webhook", purpose = "marketing", text = "{name}，新品到店" });
        var sent = await scene.SendAsync(new { customerId = london, channel = "webhook", purpose = "marketing", text = "Hello {name}" });
        (await scene.DispatchAsync()).ShouldBe(2);

        var held = await scene.GetAsync(waiting.Id);
        held.State.ShouldBe(OutboxStates.Scheduled);
        held.Reason.ShouldBe(OutboxReasons.QuietHours);
        held.ReasonText.ShouldBe("Waits for quiet hours to end.");
        held.NextAttemptAt.ShouldBe(MessagingKit.Shanghai(32)); // 08:00 the next morning
        hook.Received.Count.ShouldBe(1);
        (await scene.GetAsync(sent.Id)).State.ShouldBe(OutboxStates.Delivered);
        var counts = await scene.Admin.GetAsync<OutboxCounts>("/api/outbox/counts");
        counts.WaitingByReason[OutboxReasons.QuietHours].ShouldBe(1);

        scene.Clock.Advance(TimeSpan.FromMinutes((8 * 60) + 29)); // 07:59
        (await scene.DispatchAsync()).ShouldBe(0);
        scene.Clock.Advance(TimeSpan.FromMinutes(1)); // 08:00
        (await scene.DispatchAsync()).ShouldBe(1);
        var delivered = await scene.GetAsync(waiting.Id);
        delivered.State.ShouldBe(OutboxStates.Delivered);
        delivered.DeliveredAt.ShouldBe(MessagingKit.Shanghai(32));
        delivered.Text.ShouldBe("林晓，新品到店");
        hook.Received.Count.ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TransactionalMessages_AreExemptFromQuietHoursConsentAndCaps(DbEngine engine)
    {
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(23, 30));
        await using var hook = await WebhookAsync(scene);
        var customer = await scene.Seed.CustomerAsync("林晓", optedOut: true);

        var first = await scene.SendAsync(new { customerId = customer, channel = "inbox", purpose = "transactional", text = "订单已发货" });
        var second = await scene.SendAsync(new { customerId = customer, channel = "inbox", purpose = "transactional", text = "订单已签收" });
        await scene.DispatchAsync();

        (await scene.GetAsync(first.Id)).State.ShouldBe(OutboxStates.Sent);
        var exempt = await scene.GetAsync(second.Id);
        exempt.State.ShouldBe(OutboxStates.Sent);
        exempt.Exempt.ShouldBeTrue();
        (await scene.Admin.GetStringAsync($"/api/outbox/{second.Id}")).ShouldContain("\"exempt\":true");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task CustomerOverTheFrequencyCap_GetsTheMessageSuppressed_WithTheCapNamedInApiAndOutboxPage(DbEngine engine)
    {
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(10));
        await scene.SettingsAsync(new { dailyCap = 1, weeklyCap = 2 });
        var customer = await scene.Seed.CustomerAsync("王小丫");

        var monday = await scene.SendAsync(new { customerId = customer, channel = "inbox", purpose = "marketing", text = "早安 {name}" });
        var again = await scene.SendAsync(new { customerId = customer, channel = "inbox", purpose = "marketing", text = "再来一条" });
        await scene.DispatchAsync();
        (await scene.GetAsync(monday.Id)).State.ShouldBe(OutboxStates.Sent);
        var capped = await scene.GetAsync(again.Id);
        capped.State.ShouldBe(OutboxStates.Suppressed);
        capped.Reason.ShouldBe(OutboxReasons.DailyCap);
        capped.ReasonText.ShouldBe("Over the daily frequency cap for marketing messages.");

        // The next day there is room again; the day after the weekly cap (2) is reached — unless the week turned.
        scene.Clock.Advance(TimeSpan.FromDays(1));
        var tuesday = await scene.SendAsync(new { customerId = customer, channel = "inbox", purpose = "marketing", text = "第二天" });
        scene.Clock.Advance(TimeSpan.FromDays(1));
        var wednesday = await scene.SendAsync(new { customerId = customer, channel = "inbox", purpose = "marketing", text = "第三天" });
        scene.Clock.Advance(TimeSpan.FromDays(-1));
        await scene.DispatchAsync();
        (await scene.GetAsync(tuesday.Id)).State.ShouldBe(OutboxStates.Sent);
        scene.Clock.Advance(TimeSpan.FromDays(1));
        await scene.DispatchAsync();
        var third = await scene.GetAsync(wednesday.Id);
        var sameWeek = System.Globalization.ISOWeek.GetWeekOfYear(MessagingKit.Shanghai(10).AddHours(8).DateTime) ==
                       System.Globalization.ISOWeek.GetWeekOfYear(MessagingKit.Shanghai(10).AddDays(2).AddHours(8).DateTime);
        third.State.ShouldBe(sameWeek ? OutboxStates.Suppressed : OutboxStates.Sent);
        if (sameWeek)
            third.Reason.ShouldBe(OutboxReasons.WeeklyCap);

        var listed = await scene.Admin.GetAsync<List<OutboxMessage>>($"/api/outbox?state=suppressed&customerId={customer}");
        listed.ShouldContain(m => m.Id == again.Id && m.Reason == OutboxReasons.DailyCap);
        var counts = await scene.Admin.GetAsync<OutboxCounts>("/api/outbox/counts?purpose=marketing");
        counts.SuppressedByReason[OutboxReasons.DailyCap].ShouldBe(1);

        var operatorClient = await scene.Workspace.MemberClientAsync(Pond.Workspaces.Roles.Operator);
        operatorClient.DefaultRequestHeaders.Add("Accept-Language", "en");
        var page = await operatorClient.PageAsync("/outbox?state=suppressed");
        page.ShouldContain("Over the daily frequency cap for marketing messages.");
        page.ShouldContain("Marketing");
        var zh = await scene.Workspace.MemberClientAsync(Pond.Workspaces.Roles.Operator);
        zh.DefaultRequestHeaders.Add("Accept-Language", "zh-CN");
        (await zh.PageAsync("/outbox?state=suppressed")).ShouldContain("超过每日营销频次上限");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task FrequencyCap_HoldsWithSeveralDispatchersRacing(DbEngine engine)
    {
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(10));
        await scene.SettingsAsync(new { dailyCap = 2, weeklyCap = 5 });
        var customers = new List<Guid>();
        for (var i = 0; i < 4; i++)
            customers.Add(await scene.Seed.CustomerAsync($"顾客{i}"));
        foreach (var customer in customers)
        {
            for (var i = 0; i < 6; i++)
                await scene.SendAsync(new { customerId = customer, channel = "inbox", purpose = "marketing", text = $"第{i}条" });
        }

        // Separate dispatcher instances, as on separate nodes: only the database can keep the cap.
        var dispatchers = Enumerable.Range(0, 4).Select(_ => ActivatorUtilities.CreateInstance<OutboxDispatcher>(scene.Server.App.Services)).ToList();
        await Task.WhenAll(dispatchers.Select(d => Task.Run(() => d.DispatchDueAsync())));
        await scene.DispatchAsync();

        foreach (var customer in customers)
        {
            var all = await scene.Admin.GetAsync<List<OutboxMessage>>($"/api/outbox?customerId={customer}");
            all.Count.ShouldBe(6);
            all.Count(m => m.State == OutboxStates.Sent).ShouldBe(2);
            all.Count(m => m.State == OutboxStates.Suppressed && m.Reason == OutboxReasons.DailyCap).ShouldBe(4);
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OptedOutCustomer_GetsNothing_AlsoWhenOptingOutBetweenSchedulingAndSending(DbEngine engine)
    {
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(10));
        await using var hook = await WebhookAsync(scene, dailyCap: 5, weeklyCap: 10);
        var optedOut = await scene.Seed.CustomerAsync("已退订", optedOut: true);
        var later = await scene.Seed.CustomerAsync("稍后退订");

        var first = await scene.SendAsync(new { customerId = optedOut, channel = "webhook", purpose = "marketing", text = "促销" });
        var scheduled = await scene.SendAsync(new { customerId = later, channel = "webhook", purpose = "marketing", text = "明天的促销", dueAt = MessagingKit.Shanghai(12) });
        await scene.DispatchAsync();
        var suppressed = await scene.GetAsync(first.Id);
        suppressed.State.ShouldBe(OutboxStates.Suppressed);
        suppressed.Reason.ShouldBe(OutboxReasons.OptedOut);
        (await scene.GetAsync(scheduled.Id)).State.ShouldBe(OutboxStates.Scheduled);

        (await scene.Admin.PutAsJsonAsync($"/api/customers/{later}/consent", new { marketingOptOut = true })).EnsureSuccessStatusCode();
        scene.Clock.Advance(TimeSpan.FromHours(2));
        await scene.DispatchAsync();
        var afterOptOut = await scene.GetAsync(scheduled.Id);
        afterOptOut.State.ShouldBe(OutboxStates.Suppressed);
        afterOptOut.Reason.ShouldBe(OutboxReasons.OptedOut);
        hook.Received.ShouldBeEmpty();
        var counts = await scene.Admin.GetAsync<OutboxCounts>("/api/outbox/counts");
        counts.SuppressedByReason[OutboxReasons.OptedOut].ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task UnsubscribeLink_OptsTheCustomerOut_AndLaterMarketingIsSuppressed(DbEngine engine)
    {
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(10));
        await scene.SettingsAsync(new { dailyCap = 5, weeklyCap = 10 });
        var customer = await scene.Seed.CustomerAsync("林晓");
        var message = await scene.SendAsync(new { customerId = customer, channel = "inbox", purpose = "marketing", text = "{name}，不想再收到？退订：{unsubscribe}" });
        await scene.DispatchAsync();
        var text = (await scene.GetAsync(message.Id)).Text!;
        var link = new Uri(text[(text.IndexOf("http", StringComparison.Ordinal))..]);
        link.AbsolutePath.ShouldStartWith("/u/");

        using var visitor = new HttpClient();
        visitor.DefaultRequestHeaders.Add("Accept-Language", "zh-CN");
        (await visitor.GetStringAsync(link)).ShouldContain("确认退订");
        var forged = new Uri(link.ToString()[..^4] + "0000");
        (await visitor.GetAsync(forged)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await visitor.PostAsync(forged, null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var done = await visitor.PostAsync(link + "?lang=en", null);
        (await done.Content.ReadAsStringAsync()).ShouldContain("You will not receive marketing messages from us any more.");

        var consent = await scene.Admin.GetAsync<JsonElement>($"/api/customers/{customer}");
        consent.GetProperty("consent").GetProperty("marketingOptOut").GetBoolean().ShouldBeTrue();
        var next = await scene.SendAsync(new { customerId = customer, channel = "inbox", purpose = "marketing", text = "还在吗" });
        await scene.DispatchAsync();
        (await scene.GetAsync(next.Id)).Reason.ShouldBe(OutboxReasons.OptedOut);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task UnsubscribeKeyword_InATrackedEvent_OptsTheCustomerOut(DbEngine engine)
    {
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(10));
        using var tracking = scene.Workspace.TrackingClient();
        (await tracking.PostAsJsonAsync("/v1/track", new { userId = "u-42", @event = "Message Received", properties = new { text = " 退订 " }, messageId = "m-1" })).EnsureSuccessStatusCode();
        (await tracking.PostAsJsonAsync("/v1/track", new { userId = "u-43", @event = "Message Received", properties = new { text = "退订了吗？" }, messageId = "m-2" })).EnsureSuccessStatusCode();
        await scene.Server.ProcessAsync();

        await using var connection = await scene.Server.Service<Database>().OpenAsync();
        var rows = (await connection.QueryAsync<ConsentRow>(
            "SELECT i.value AS user_id, c.marketing_opt_out FROM customers c JOIN identities i ON i.customer_id = c.id AND i.kind = 'user_id' WHERE c.workspace_id = @id",
            new { id = scene.Workspace.Id })).ToDictionary(r => r.UserId, r => r.MarketingOptOut);
        rows["u-42"].ShouldBeTrue();
        rows["u-43"].ShouldBeFalse();
    }

    private sealed class ConsentRow
    {
        public string UserId { get; init; } = "";
        public bool MarketingOptOut { get; init; }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ChannelRateLimit_DelaysTheMessageToTheNextMinute_NotDropsIt(DbEngine engine)
    {
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(10, 0).AddSeconds(10));
        await scene.SettingsAsync(new { dailyCap = 5, weeklyCap = 10, rateLimits = new Dictionary<string, int> { ["inbox"] = 2 } });
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var customer = await scene.Seed.CustomerAsync($"顾客{i}");
            ids.Add((await scene.SendAsync(new { customerId = customer, channel = "inbox", purpose = "marketing", text = "限流" })).Id);
        }

        await scene.DispatchAsync();
        var states = await Task.WhenAll(ids.Select(scene.GetAsync));
        states.Count(m => m.State == OutboxStates.Sent).ShouldBe(2);
        var delayed = states.Single(m => m.State == OutboxStates.Scheduled);
        delayed.Reason.ShouldBe(OutboxReasons.RateLimited);
        delayed.NextAttemptAt.ShouldBe(MessagingKit.Shanghai(10, 1));
        scene.Clock.Advance(TimeSpan.FromSeconds(50));
        await scene.DispatchAsync();
        (await scene.GetAsync(delayed.Id)).State.ShouldBe(OutboxStates.Sent);
    }

    [Fact]
    public void QuietHours_EndIfQuiet_WrapsMidnight_AndRespectsTheZone()
    {
        var shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var at = new DateTimeOffset(2026, 11, 24, 15, 30, 0, TimeSpan.Zero); // 23:30 in Shanghai
        QuietHours.EndIfQuiet(at, shanghai, 22 * 60, 8 * 60).ShouldBe(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero));
        QuietHours.EndIfQuiet(at.AddHours(3), shanghai, 22 * 60, 8 * 60).ShouldBe(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero)); // 02:30
        QuietHours.EndIfQuiet(at.AddHours(-2), shanghai, 22 * 60, 8 * 60).ShouldBeNull(); // 21:30
        QuietHours.EndIfQuiet(at.AddHours(8.5), shanghai, 22 * 60, 8 * 60).ShouldBeNull(); // 08:00
        QuietHours.EndIfQuiet(at, shanghai, 12 * 60, 14 * 60).ShouldBeNull();
        QuietHours.EndIfQuiet(at.AddHours(-10), shanghai, 12 * 60, 14 * 60).ShouldBe(new DateTimeOffset(2026, 11, 24, 6, 0, 0, TimeSpan.Zero)); // 13:30 → 14:00
        QuietHours.Zone("Europe/London", "Asia/Shanghai").Id.ShouldBe("Europe/London");
        QuietHours.Zone("not a zone", "Asia/Shanghai").Id.ShouldBe("Asia/Shanghai");
        // New York's night crosses the DST change: 22:00 on 7 March 2026 (EST) to 08:00 on 8 March (EDT).
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        QuietHours.EndIfQuiet(new DateTimeOffset(2026, 3, 8, 4, 0, 0, TimeSpan.Zero), newYork, 22 * 60, 8 * 60)
            .ShouldBe(new DateTimeOffset(2026, 3, 8, 8, 0, 0, TimeSpan.FromHours(-4)));
    }
}
