using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Pond.Customers;
using Pond.Messaging;
using Pond.Storage;
using Pond.Tests.Channels;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.WeCom;

namespace Pond.Tests.Messaging;

/// <summary>
/// Each channel adapter against a local counterpart that speaks the provider's documented protocol: WeCom's
/// add_msg_template, Twilio's Messages API and signed callbacks, an RFC 5321 SMTP server, and a webhook receiver.
/// </summary>
public sealed class ChannelAdapterTests
{
    private const string WebhookSecret = "whsec-lumi-lane-0123456789";

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task WeComMessageTask_IsCreatedWithWeComsJson_AsTheOwner_WithLinkMaterial_AndCountsUsage(DbEngine engine)
    {
        var tasks = new WeComMessageStandIn();
        tasks.NotFriends.Add("wm-stranger");
        await using var wecom = await WeComServerStandIn.StartAsync(tasks.Map);
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(10));
        (await scene.Admin.PutAsJsonAsync("/api/connections/wecom", new
        {
            corpId = AcquisitionKit.CorpId, token = AcquisitionKit.Token, encodingAesKey = AcquisitionKit.EncodingAesKey,
            secret = WeComServerStandIn.Secret, apiBaseUrl = wecom.BaseUrl.ToString(),
        })).EnsureSuccessStatusCode();
        var staff = await (await scene.Admin.PostAsJsonAsync("/api/staff", new { name = "小美", wecomUserId = "xiaomei" })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var staffId = staff.GetProperty("id").GetGuid();
        var customer = await scene.Seed.CustomerAsync("林晓", owner: staffId);
        await scene.Seed.IdentityAsync(customer, IdentityKinds.WecomExternalUserId, "wmAbCdEf123");
        var stranger = await scene.Seed.CustomerAsync("陌生人", owner: staffId);
        await scene.Seed.IdentityAsync(stranger, IdentityKinds.WecomExternalUserId, "wm-stranger");
        var noWeCom = await scene.Seed.CustomerAsync("没加微信", owner: staffId);
        var content = await ContentAsync(scene, "link", "秋冬新品指南", "https://lumilane.cn/guide", "面霜怎么选");

        var task = await scene.SendAsync(new { customerId = customer, channel = "wecom_message", purpose = "marketing", text = "{name}你好，我是{staff}，新品指南请查收", contentId = content });
        var refused = await scene.SendAsync(new { customerId = stranger, channel = "wecom_message", purpose = "transactional", text = "你好" });
        var unreachable = await scene.SendAsync(new { customerId = noWeCom, channel = "wecom_message", purpose = "transactional", text = "你好" });
        var group = await scene.SendAsync(new { channel = "wecom_group_message", purpose = "transactional", text = "今晚8点直播", staffId, chatIds = new[] { "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA" } });
        await scene.DispatchAsync();

        var sent = await scene.GetAsync(task.Id);
        sent.State.ShouldBe(OutboxStates.Sent);
        sent.Text.ShouldBe("林晓你好，我是小美，新品指南请查收");
        var bodies = tasks.Tasks.ToList();
        bodies.Count.ShouldBe(3);
        var single = bodies.Single(b => b.GetProperty("chat_type").GetString() == "single" && b.GetProperty("external_userid")[0].GetString() == "wmAbCdEf123");
        single.GetProperty("chat_type").GetString().ShouldBe("single");
        single.GetProperty("sender").GetString().ShouldBe("xiaomei");
        single.GetProperty("text").GetProperty("content").GetString().ShouldBe("林晓你好，我是小美，新品指南请查收");
        var link = single.GetProperty("attachments")[0];
        link.GetProperty("msgtype").GetString().ShouldBe("link");
        link.GetProperty("link").GetProperty("title").GetString().ShouldBe("秋冬新品指南");
        link.GetProperty("link").GetProperty("url").GetString().ShouldBe("https://lumilane.cn/guide");
        link.GetProperty("link").GetProperty("desc").GetString().ShouldBe("面霜怎么选");
        var groupTask = bodies.Single(b => b.GetProperty("chat_type").GetString() == "group");
        groupTask.GetProperty("sender").GetString().ShouldBe("xiaomei");
        groupTask.GetProperty("chat_id_list")[0].GetString().ShouldBe("wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA");
        groupTask.TryGetProperty("external_userid", out _).ShouldBeFalse();
        (await scene.GetAsync(group.Id)).State.ShouldBe(OutboxStates.Sent);

        var failed = await scene.GetAsync(refused.Id);
        failed.State.ShouldBe(OutboxStates.Failed);
        failed.Attempts.ShouldBe(1);
        failed.Reason!.ShouldContain("not a contact of xiaomei");
        var none = await scene.GetAsync(unreachable.Id);
        none.State.ShouldBe(OutboxStates.Suppressed);
        none.Reason.ShouldBe(OutboxReasons.NoAddress);

        await using var connection = await scene.Server.Service<Database>().OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT usage_count FROM content_items WHERE id = @content", new { content })).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task WeComTask_WithImageFile_UploadsItAsMediaFirst(DbEngine engine)
    {
        var tasks = new WeComMessageStandIn();
        await using var wecom = await WeComServerStandIn.StartAsync(tasks.Map);
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(10));
        (await scene.Admin.PutAsJsonAsync("/api/connections/wecom", new
        {
            corpId = AcquisitionKit.CorpId, token = AcquisitionKit.Token, encodingAesKey = AcquisitionKit.EncodingAesKey,
            secret = WeComServerStandIn.Secret, apiBaseUrl = wecom.BaseUrl.ToString(),
        })).EnsureSuccessStatusCode();
        var staff = await (await scene.Admin.PostAsJsonAsync("/api/staff", new { name = "阿杰", wecomUserId = "ajie" })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var customer = await scene.Seed.CustomerAsync("林晓", owner: staff.GetProperty("id").GetGuid());
        await scene.Seed.IdentityAsync(customer, IdentityKinds.WecomExternalUserId, "wmAbCdEf123");
        var file = Path.Combine(scene.Server.DataDirectory, "poster.png");
        await File.WriteAllBytesAsync(file, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4]);
        var content = await ContentAsync(scene, "poster", "双十一海报", null, null, file, "image/png");

        var message = await scene.SendAsync(new { customerId = customer, channel = "wecom_message", purpose = "transactional", contentId = content });
        await scene.DispatchAsync();

        (await scene.GetAsync(message.Id)).State.ShouldBe(OutboxStates.Sent);
        var media = tasks.Media.Single();
        media.Value.Type.ShouldBe("image");
        media.Value.FileName.ShouldBe("poster.png");
        media.Value.Length.ShouldBe(12);
        var body = tasks.Tasks.Single();
        body.GetProperty("attachments")[0].GetProperty("image").GetProperty("media_id").GetString().ShouldBe(media.Key);
        body.TryGetProperty("text", out _).ShouldBeFalse();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Sms_GoesToTwilioWithBasicAuth_AndASignedReceiptMarksItDelivered(DbEngine engine)
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(10));
        var customer = await scene.Seed.CustomerAsync("林晓", phone: "13800138000");
        var early = await scene.SendAsync(new { customerId = customer, channel = "sms", purpose = "transactional", text = "您的订单已发货" });
        await scene.DispatchAsync();
        var held = await scene.GetAsync(early.Id);
        held.State.ShouldBe(OutboxStates.Held);
        held.Reason.ShouldBe(OutboxReasons.NotConfigured);

        var view = await scene.SettingsAsync(new
        {
            smsProvider = "twilio", smsBaseUrl = twilio.BaseUrl.ToString(), smsAccountSid = TwilioStandIn.AccountSid, smsAuthToken = TwilioStandIn.AuthToken,
            smsFrom = "+15005550006", dailyCap = 3, weeklyCap = 5,
        });
        view.SmsAuthTokenSet.ShouldBeTrue();
        view.ConfiguredChannels.ShouldContain("sms");
        (await scene.Admin.GetStringAsync("/api/messaging/settings")).ShouldNotContain(TwilioStandIn.AuthToken);
        // Configuring the channel released the held message.
        (await scene.GetAsync(early.Id)).State.ShouldBe(OutboxStates.Scheduled);
        var marketing = await scene.SendAsync(new { customerId = customer, channel = "sms", purpose = "marketing", text = "{name}，会员日全场85折" });
        await scene.DispatchAsync();

        var sent = twilio.Sent.ToList();
        sent.Count.ShouldBe(2);
        sent.ShouldAllBe(f => f["To"] == "+8613800138000" && f["From"] == "+15005550006");
        sent.ShouldContain(f => f["Body"] == "您的订单已发货");
        sent.ShouldContain(f => f["Body"] == "林晓，会员日全场85折 回TD退订");
        var shipped = await scene.GetAsync(early.Id);
        shipped.State.ShouldBe(OutboxStates.Sent);
        var callback = new Uri(sent[0]["StatusCallback"]);
        callback.AbsolutePath.ShouldBe($"/hooks/sms/twilio/{scene.Workspace.Id}/status");

        using var anonymous = scene.Server.Client();
        var sid = (await scene.Admin.GetAsync<List<OutboxMessage>>("/api/outbox?channel=sms")).Select(m => m.Id).ToList();
        await using var connection = await scene.Server.Service<Database>().OpenAsync();
        var providerId = await connection.ExecuteScalarAsync<string>("SELECT provider_message_id FROM outbox WHERE id = @id", new { id = early.Id });
        providerId.ShouldStartWith("SM");
        var receipt = new Dictionary<string, string> { ["MessageSid"] = providerId!, ["MessageStatus"] = "delivered", ["AccountSid"] = TwilioStandIn.AccountSid, ["To"] = "+8613800138000" };
        var forged = await TwilioStandIn.CallbackAsync(anonymous, callback, receipt, "wrong-token");
        forged.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, callback + " " + await forged.Content.ReadAsStringAsync());
        (await scene.GetAsync(early.Id)).State.ShouldBe(OutboxStates.Sent);
        (await TwilioStandIn.CallbackAsync(anonymous, callback, receipt)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var delivered = await scene.GetAsync(early.Id);
        delivered.State.ShouldBe(OutboxStates.Delivered);
        delivered.DeliveredAt.ShouldNotBeNull();
        sid.Count.ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task InboundSms_WithAnUnsubscribeKeyword_OptsTheSenderOut(DbEngine engine)
    {
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(10));
        await scene.SettingsAsync(new { smsProvider = "twilio", smsAccountSid = TwilioStandIn.AccountSid, smsAuthToken = TwilioStandIn.AuthToken, smsFrom = "+15005550006" });
        var replier = await scene.Seed.CustomerAsync("回复TD", phone: "13800138000");
        var chatter = await scene.Seed.CustomerAsync("闲聊", phone: "13900139000");
        using var anonymous = scene.Server.Client();
        var inbound = new Uri(scene.Server.BaseAddress, $"/hooks/sms/twilio/{scene.Workspace.Id}/inbound");
        var reply = await TwilioStandIn.CallbackAsync(anonymous, inbound, new() { ["From"] = "+8613800138000", ["To"] = "+15005550006", ["Body"] = "td", ["MessageSid"] = "SM1" });
        reply.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await reply.Content.ReadAsStringAsync()).ShouldContain("<Response>");
        (await TwilioStandIn.CallbackAsync(anonymous, inbound, new() { ["From"] = "+8613900139000", ["To"] = "+15005550006", ["Body"] = "TD是什么意思？", ["MessageSid"] = "SM2" }))
            .StatusCode.ShouldBe(HttpStatusCode.OK);

        (await scene.Admin.GetAsync<JsonElement>($"/api/customers/{replier}")).GetProperty("consent").GetProperty("marketingOptOut").GetBoolean().ShouldBeTrue();
        (await scene.Admin.GetAsync<JsonElement>($"/api/customers/{chatter}")).GetProperty("consent").GetProperty("marketingOptOut").GetBoolean().ShouldBeFalse();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Email_IsReceivedByTheSmtpServer_WithSubjectAndBody(DbEngine engine)
    {
        await using var smtp = SmtpStandIn.Start();
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(10));
        var view = await scene.SettingsAsync(new
        {
            smtpHost = "127.0.0.1", smtpPort = smtp.Port, smtpUser = SmtpStandIn.User, smtpPassword = SmtpStandIn.Password, smtpFrom = "Lumi Lane <hello@lumilane.test>",
        });
        view.SmtpPasswordSet.ShouldBeTrue();
        var customer = await scene.Seed.CustomerAsync("林晓", email: "linxiao@example.test", traits: new { city = "杭州" });
        var refused = await scene.Seed.CustomerAsync("退信", email: "nobody@refused.test");
        var noEmail = await scene.Seed.CustomerAsync("没有邮箱");

        var message = await scene.SendAsync(new { customerId = customer, channel = "email", purpose = "marketing", subject = "{name}，会员日到了", text = "{name}，{trait.city}门店本周六会员日。" });
        var bounced = await scene.SendAsync(new { customerId = refused, channel = "email", purpose = "transactional", subject = "订单", text = "订单已发货" });
        var skipped = await scene.SendAsync(new { customerId = noEmail, channel = "email", purpose = "transactional", subject = "订单", text = "订单已发货" });
        await scene.DispatchAsync();

        (await scene.GetAsync(message.Id)).State.ShouldBe(OutboxStates.Delivered);
        var mail = smtp.Received.Single();
        mail.From.ShouldBe("hello@lumilane.test");
        mail.To.ShouldBe(["linxiao@example.test"]);
        SmtpStandIn.Header(mail.Data, "Subject").ShouldBe("林晓，会员日到了");
        var body = SmtpStandIn.Body(mail.Data);
        body.ShouldContain("林晓，杭州门店本周六会员日。");
        body.ShouldContain("/u/");
        SmtpStandIn.Header(mail.Data, "List-Unsubscribe").ShouldContain("/u/");
        var failed = await scene.GetAsync(bounced.Id);
        failed.State.ShouldBe(OutboxStates.Failed);
        failed.Attempts.ShouldBe(1);
        (await scene.GetAsync(skipped.Id)).Reason.ShouldBe(OutboxReasons.NoAddress);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Webhook_IsSignedVerifiably_5xxIsRetriedWithBackoffThenDelivered_4xxIsPermanent(DbEngine engine)
    {
        await using var hook = await WebhookReceiver.StartAsync();
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(10));
        await scene.SettingsAsync(new { webhookUrl = hook.Url.ToString(), webhookSecret = WebhookSecret });
        var customer = await scene.Seed.CustomerAsync("林晓");
        hook.Answers.Enqueue(503);
        hook.Answers.Enqueue(502);
        var message = await scene.SendAsync(new { customerId = customer, channel = "webhook", purpose = "transactional", text = "订单 {name}", body = new { orderId = "LL-1001" } });

        await scene.DispatchAsync();
        var first = await scene.GetAsync(message.Id);
        first.State.ShouldBe(OutboxStates.Scheduled);
        first.Attempts.ShouldBe(1);
        first.Reason.ShouldBe("The webhook answered HTTP 503.");
        first.NextAttemptAt.ShouldBe(scene.Clock.GetUtcNow().AddSeconds(30));
        scene.Clock.Advance(TimeSpan.FromSeconds(29));
        (await scene.DispatchAsync()).ShouldBe(0);
        scene.Clock.Advance(TimeSpan.FromSeconds(1));
        await scene.DispatchAsync();
        var second = await scene.GetAsync(message.Id);
        second.Attempts.ShouldBe(2);
        second.NextAttemptAt.ShouldBe(scene.Clock.GetUtcNow().AddSeconds(60));
        scene.Clock.Advance(TimeSpan.FromSeconds(60));
        await scene.DispatchAsync();
        var delivered = await scene.GetAsync(message.Id);
        delivered.State.ShouldBe(OutboxStates.Delivered);
        delivered.Attempts.ShouldBe(2);

        var received = hook.Received.ToList();
        received.Count.ShouldBe(3);
        var (signature, body) = received[^1];
        WebhookReceiver.Verify(signature, body, WebhookSecret, scene.Clock.GetUtcNow(), TimeSpan.FromMinutes(5)).ShouldBeTrue();
        WebhookReceiver.Verify(signature, body, "another-secret", scene.Clock.GetUtcNow(), TimeSpan.FromMinutes(5)).ShouldBeFalse();
        WebhookReceiver.Verify(signature, body.Replace("LL-1001", "LL-9999", StringComparison.Ordinal), WebhookSecret, scene.Clock.GetUtcNow(), TimeSpan.FromMinutes(5)).ShouldBeFalse();
        using var envelope = JsonDocument.Parse(body);
        envelope.RootElement.GetProperty("id").GetGuid().ShouldBe(message.Id);
        envelope.RootElement.GetProperty("text").GetString().ShouldBe("订单 林晓");
        envelope.RootElement.GetProperty("body").GetProperty("orderId").GetString().ShouldBe("LL-1001");

        hook.Answers.Enqueue(410);
        var gone = await scene.SendAsync(new { customerId = customer, channel = "webhook", purpose = "transactional", text = "再来一次" });
        await scene.DispatchAsync();
        var permanent = await scene.GetAsync(gone.Id);
        permanent.State.ShouldBe(OutboxStates.Failed);
        permanent.Attempts.ShouldBe(1);
        permanent.Reason!.ShouldContain("HTTP 410");
        scene.Clock.Advance(TimeSpan.FromHours(1));
        (await scene.DispatchAsync()).ShouldBe(0);

        // An operator retries it: a fresh first attempt, delivered this time.
        (await scene.Admin.PostAsync($"/api/outbox/{gone.Id}/retry", null)).EnsureSuccessStatusCode();
        await scene.DispatchAsync();
        (await scene.GetAsync(gone.Id)).State.ShouldBe(OutboxStates.Delivered);
        (await scene.Admin.PostAsync($"/api/outbox/{gone.Id}/retry", null)).StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task InboxMessages_AreListed_AndMarkedReadAndHandled(DbEngine engine)
    {
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(10));
        var customer = await scene.Seed.CustomerAsync("林晓");
        var message = await scene.SendAsync(new { customerId = customer, channel = "inbox", purpose = "transactional", text = "请人工回访 {name}" });
        await scene.DispatchAsync();

        var open = await scene.Admin.GetAsync<List<OutboxMessage>>("/api/inbox?handled=false");
        open.Single().Text.ShouldBe("请人工回访 林晓");
        (await scene.Admin.PostAsync($"/api/inbox/{message.Id}/handled", null)).EnsureSuccessStatusCode();
        (await scene.Admin.GetAsync<List<OutboxMessage>>("/api/inbox?handled=false")).ShouldBeEmpty();
        var handled = (await scene.Admin.GetAsync<List<OutboxMessage>>("/api/inbox")).Single();
        handled.HandledAt.ShouldNotBeNull();
        handled.ReadAt.ShouldNotBeNull();
        (await scene.Admin.PostAsync($"/api/inbox/{Guid.NewGuid()}/handled", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task SendAndSettings_RejectBadInput_WithTheFieldToFix(DbEngine engine)
    {
        await using var scene = await MessagingKit.StartAsync(engine, MessagingKit.Shanghai(10));
        var customer = await scene.Seed.CustomerAsync("林晓");
        async Task<string> Field(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.BadRequest) =>
            (await response.ProblemAsync(status)).GetProperty("field").GetString()!;

        (await Field(await scene.Admin.PostAsJsonAsync("/api/messages", new { customerId = customer, channel = "inbox", text = "hi" }))).ShouldBe("purpose");
        (await Field(await scene.Admin.PostAsJsonAsync("/api/messages", new { customerId = customer, channel = "fax", purpose = "marketing", text = "hi" }))).ShouldBe("channel");
        (await Field(await scene.Admin.PostAsJsonAsync("/api/messages", new { customerId = customer, channel = "inbox", purpose = "marketing", text = "{nmae}" }))).ShouldBe("text");
        (await Field(await scene.Admin.PostAsJsonAsync("/api/messages", new { customerId = customer, channel = "email", purpose = "marketing", text = "hi" }))).ShouldBe("subject");
        (await scene.Admin.PostAsJsonAsync("/api/messages", new { customerId = Guid.NewGuid(), channel = "inbox", purpose = "marketing", text = "hi" }))
            .StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await Field(await scene.Admin.PutAsJsonAsync("/api/messaging/settings", new { quietHoursStart = "25:00" }))).ShouldBe("quietHoursStart");
        (await Field(await scene.Admin.PutAsJsonAsync("/api/messaging/settings", new { dailyCap = 4, weeklyCap = 2 }))).ShouldBe("weeklyCap");
        (await Field(await scene.Admin.PutAsJsonAsync("/api/messaging/settings", new { rateLimits = new { fax = 3 } }))).ShouldBe("rateLimits");
        (await Field(await scene.Admin.PutAsJsonAsync("/api/messaging/settings", new { smsProvider = "carrier-pigeon" }))).ShouldBe("smsProvider");

        var defaults = await scene.Admin.GetAsync<MessagingSettingsView>("/api/messaging/settings");
        defaults.DailyCap.ShouldBe(1);
        defaults.WeeklyCap.ShouldBe(3);
        defaults.QuietHoursStart.ShouldBe("22:00");
        defaults.QuietHoursEnd.ShouldBe("08:00");
        defaults.ConfiguredChannels.ShouldBe(["webhook", "inbox"]);

        // The same dedupe key answers with the first message instead of writing a second.
        var first = await scene.SendAsync(new { customerId = customer, channel = "inbox", purpose = "marketing", text = "一次", dedupeKey = "order-1" });
        var again = await scene.SendAsync(new { customerId = customer, channel = "inbox", purpose = "marketing", text = "两次", dedupeKey = "order-1" });
        again.Id.ShouldBe(first.Id);
        again.Text.ShouldBe("一次");
    }

    private static async Task<Guid> ContentAsync(MessagingScene scene, string kind, string title, string? url, string? body, string? filePath = null, string? fileType = null)
    {
        var id = Guid.CreateVersion7();
        await using var connection = await scene.Server.Service<Database>().OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO content_items (id, workspace_id, kind, title, body, url, file_path, file_type, created_at, updated_at)
            VALUES (@id, @workspaceId, @kind, @title, @body, @url, @filePath, @fileType, @now, @now)
            """, new { id, workspaceId = scene.Workspace.Id, kind, title, body, url, filePath, fileType, now = scene.Clock.GetUtcNow() });
        return id;
    }
}
