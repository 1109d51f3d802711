using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Pond.Alerts;
using Pond.Channels;
using Pond.Customers;
using Pond.Messaging;
using Pond.Server.Channels;
using Pond.Staff;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.Workspaces;

namespace Pond.Tests.Channels;

public sealed class AcquisitionFlowTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ShortLink_ThenWeComAdd_CreditsChannelCodeAndStaff_AppliesTags_AndQueuesWelcome(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);

        // Three visitors: round robin over the three accounts, in a stable order.
        var seen = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            using var visitor = setup.NewVisitor();
            var (html, carrier) = await setup.VisitAsync(visitor);
            html.ShouldContain("扫码领取 ¥20 无门槛券");
            seen.Add(carrier!.Value);
        }

        seen.Distinct().Count().ShouldBe(3);

        // The same visitor twice the same day: one visit, the same account.
        using var returning = setup.NewVisitor();
        var first = await setup.VisitAsync(returning);
        (await setup.VisitAsync(returning)).CarrierId.ShouldBe(first.CarrierId);
        (await server.CountAsync("SELECT COUNT(*) FROM live_code_visits WHERE code_id = @id", new { id = setup.Code.Code.Id })).ShouldBe(4);

        var assigned = setup.Accounts.Single(a => a.Id == first.CarrierId);
        await setup.CallbackOkAsync(setup.WeCom.AddExternalContact(assigned.ExternalId, "wmCustomer001", DateTimeOffset.UtcNow, setup.Code.Code.State, "WELCOME001"));
        await setup.ProcessAsync();

        var customerId = (await server.CustomerOfAsync(setup.WorkspaceId, IdentityKinds.WecomExternalUserId, "wmCustomer001"))!.Value;
        var customer = await setup.Admin.GetAsync<CustomerDetail>($"/api/customers/{customerId}");
        customer.Depth.ShouldBe(DepthNames.Friend);
        customer.OwnerStaffId.ShouldBe(assigned.OwnerStaffId);
        customer.Relationships.Single().SourceChannel.ShouldBe("双11包裹卡");
        var acquisition = customer.Acquisitions.Single();
        (acquisition.ChannelId, acquisition.CodeId, acquisition.StaffId, acquisition.CarrierId)
            .ShouldBe((setup.Channel.Id, setup.Code.Code.Id, assigned.OwnerStaffId, assigned.Id));
        customer.Tags.Select(t => t.Tag).ShouldBe(["包裹卡", "双11"], ignoreOrder: true);

        // WeCom is connected without an app secret: the welcome message is rendered and held in the console outbox.
        (await setup.DispatchAsync()).ShouldBe(1);
        var welcome = (await setup.OutboxAsync()).Single();
        welcome.Channel.ShouldBe(OutboxChannels.WeComWelcome);
        welcome.State.ShouldBe(OutboxStates.Held);
        welcome.CustomerId.ShouldBe(customerId);
        welcome.Text.ShouldBe($"你好 ，我是{setup.Staff.Single(s => s.Id == assigned.OwnerStaffId).Name}，送你一张20元无门槛券");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Callback_BadSignatureIs401AndStoresNothing_ReplayIsAppliedOnce(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var xml = setup.WeCom.AddExternalContact("xiaomei", "wmReplay", DateTimeOffset.UtcNow, setup.Code.Code.State, "W1");
        var signed = setup.WeCom.Sign(xml, DateTimeOffset.UtcNow);
        using var client = server.Client();

        var forged = signed.Query.Replace("msg_signature=", "msg_signature=0", StringComparison.Ordinal);
        var rejected = await client.PostAsync($"/hooks/wecom/{setup.WorkspaceId}?{forged}", new StringContent(signed.Body, Encoding.UTF8, "text/xml"));
        rejected.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var noSignature = await client.PostAsync($"/hooks/wecom/{setup.WorkspaceId}", new StringContent(signed.Body, Encoding.UTF8, "text/xml"));
        noSignature.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await server.CountAsync("SELECT COUNT(*) FROM event_log")).ShouldBe(0);

        // WeCom retries an unanswered callback; the same callback twice is one event and one add.
        for (var i = 0; i < 2; i++)
            (await client.PostAsync($"/hooks/wecom/{setup.WorkspaceId}?{signed.Query}", new StringContent(signed.Body, Encoding.UTF8, "text/xml"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        await setup.ProcessAsync();
        (await server.CountAsync("SELECT COUNT(*) FROM event_log")).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM acquisitions")).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM outbox")).ShouldBe(1);

        // Oversized and malformed bodies are 400s; an unconnected workspace is a 404.
        var huge = await client.PostAsync($"/hooks/wecom/{setup.WorkspaceId}?{signed.Query}", new StringContent(new string('x', 70_000), Encoding.UTF8, "text/xml"));
        (await huge.ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("at most 64 KB");
        var garbage = await client.PostAsync($"/hooks/wecom/{setup.WorkspaceId}?{signed.Query}", new StringContent("<xml><oops", Encoding.UTF8, "text/xml"));
        garbage.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var other = await server.CreateWorkspaceAsync("other");
        (await client.PostAsync($"/hooks/wecom/{other.Id}?{signed.Query}", new StringContent(signed.Body, Encoding.UTF8, "text/xml"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Callback_UrlVerification_AnswersTheDecryptedEchostr(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        using var client = server.Client();
        var query = setup.WeCom.VerifyQuery("echo-8721", DateTimeOffset.UtcNow);
        (await client.GetStringAsync($"/hooks/wecom/{setup.WorkspaceId}?{query}")).ShouldBe("echo-8721");
        (await client.GetAsync($"/hooks/wecom/{setup.WorkspaceId}?{query.Replace("timestamp=", "timestamp=1", StringComparison.Ordinal)}")).StatusCode
            .ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Deletions_EndTheRelationshipAndTheAcquisition_ByWhoeverEndedIt(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server, welcome: null);
        var now = DateTimeOffset.UtcNow;
        await setup.CallbackOkAsync(setup.WeCom.AddExternalContact("xiaomei", "wmA", now.AddMinutes(-10), setup.Code.Code.State));
        await setup.CallbackOkAsync(setup.WeCom.AddExternalContact("ajie", "wmB", now.AddMinutes(-9), setup.Code.Code.State));
        await setup.CallbackOkAsync(setup.WeCom.DelFollowUser("xiaomei", "wmA", now.AddMinutes(-5)));
        await setup.CallbackOkAsync(setup.WeCom.DelExternalContact("ajie", "wmB", now.AddMinutes(-4)));
        await setup.ProcessAsync();

        var ended = await server.QueryAsync<string>("SELECT ended_by FROM acquisitions ORDER BY acquired_at");
        ended.ShouldBe([EndedBy.Customer, EndedBy.Staff]);
        var a = await setup.Admin.GetAsync<CustomerDetail>($"/api/customers/{await server.CustomerOfAsync(setup.WorkspaceId, IdentityKinds.WecomExternalUserId, "wmA")}");
        a.Depth.ShouldBe(DepthNames.None);
        a.Relationships.Single().EndedBy.ShouldBe(EndedBy.Customer);
        (await server.CountAsync("SELECT COUNT(*) FROM outbox")).ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task DisabledAccounts_LeaveTheRotationAtOnce_AndWithNoneLeftTheCodeFallsBackAndAlerts(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var disabled = setup.Accounts[0];
        await SetStatusAsync(setup, disabled, CarrierStatuses.Banned);

        for (var i = 0; i < 6; i++)
        {
            using var visitor = setup.NewVisitor();
            (await setup.VisitAsync(visitor)).CarrierId.ShouldNotBe(disabled.Id);
        }

        // A disabled staff member's account leaves too, even while the account itself is active.
        (await setup.Admin.PutAsJsonAsync($"/api/staff/{setup.Staff[1].Id}", new { name = setup.Staff[1].Name, wecomUserId = "ajie", status = "disabled" }))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        for (var i = 0; i < 3; i++)
        {
            using var visitor = setup.NewVisitor();
            (await setup.VisitAsync(visitor)).CarrierId.ShouldBe(setup.Accounts[2].Id);
        }

        await SetStatusAsync(setup, setup.Accounts[2], CarrierStatuses.Disabled);
        using (var visitor = setup.NewVisitor())
        {
            var (html, carrier) = await setup.VisitAsync(visitor);
            carrier.ShouldBeNull();
            html.ShouldContain("data-testid=\"landing-fallback\"");
        }

        var alert = (await setup.Admin.GetAsync<List<Alert>>("/api/alerts")).Single();
        (alert.Kind, alert.SubjectId).ShouldBe((AlertKinds.LiveCodeBroken, setup.Code.Code.Id));
        (await setup.Admin.GetAsync<LiveCodeView>($"/api/live-codes/{setup.Code.Code.Id}")).Code.Alert.ShouldNotBeNull();

        // An account back in service mends the code and closes the alert.
        await SetStatusAsync(setup, disabled, CarrierStatuses.Active);
        using (var visitor = setup.NewVisitor())
            (await setup.VisitAsync(visitor)).CarrierId.ShouldBe(disabled.Id);
        (await setup.Admin.GetAsync<List<Alert>>("/api/alerts")).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task DailyCap_SendsScansElsewhereOnceAnAccountIsFull(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var code = setup.Code.Code;
        (await setup.Admin.PutAsJsonAsync($"/api/live-codes/{code.Id}", new
        {
            channelId = setup.Channel.Id, name = code.Name, strategy = RoutingStrategies.RoundRobin,
            members = new object[] { new { carrierId = setup.Accounts[0].Id, dailyCap = 1 }, new { carrierId = setup.Accounts[1].Id } },
        })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await setup.CallbackOkAsync(setup.WeCom.AddExternalContact("xiaomei", "wmCap", DateTimeOffset.UtcNow, code.State));
        await setup.ProcessAsync();
        for (var i = 0; i < 4; i++)
        {
            using var visitor = setup.NewVisitor();
            (await setup.VisitAsync(visitor)).CarrierId.ShouldBe(setup.Accounts[1].Id);
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task GroupLiveCode_SwitchesGroupsAtTheCap_AndANewGroupTakesOverWithoutANewCode(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var groups = new List<CarrierAccount>();
        foreach (var chat in new[] { "wrChatA", "wrChatB", "wrChatC" })
        {
            groups.Add(await (await setup.Admin.PostAsJsonAsync("/api/carriers", new
            {
                kind = CarrierKinds.GroupChat, name = $"莉莉粉丝群 {chat[^1]}", externalId = chat, contactUrl = $"https://weixin.qq.com/g/{chat}",
            })).ReadAsync<CarrierAccount>(HttpStatusCode.Created));
        }

        var code = (await (await setup.Admin.PostAsJsonAsync("/api/live-codes", new
        {
            channelId = setup.Channel.Id, kind = LiveCodeKinds.Group, name = "直播间群码",
            members = groups.Take(2).Select(g => new { carrierId = g.Id, capacity = 3 }).ToArray(),
        })).ReadAsync<LiveCodeView>(HttpStatusCode.Created)).Code;

        using (var visitor = setup.NewVisitor())
            (await setup.VisitAsync(visitor, code.Slug)).CarrierId.ShouldBe(groups[0].Id);
        await setup.CallbackOkAsync(setup.WeCom.ChatAddMembers("wrChatA", ["wmG1", "wmG2", "xiaomei"], DateTimeOffset.UtcNow));
        await setup.CallbackOkAsync(setup.WeCom.ChatAddMembers("wrChatA", ["wmG3"], DateTimeOffset.UtcNow.AddSeconds(1)));
        await setup.ProcessAsync();
        // Staff joining their own group do not count; three customers fill group A.
        (await server.CountAsync("SELECT COUNT(*) FROM relationships WHERE carrier_id = @id AND state = 'active'", new { id = groups[0].Id })).ShouldBe(3);
        (await server.CountAsync("SELECT COUNT(*) FROM acquisitions WHERE code_id = @id", new { id = code.Id })).ShouldBe(3);

        using (var visitor = setup.NewVisitor())
            (await setup.VisitAsync(visitor, code.Slug)).CarrierId.ShouldBe(groups[1].Id);
        (await setup.Admin.GetAsync<List<Alert>>("/api/alerts")).ShouldBeEmpty();

        await setup.CallbackOkAsync(setup.WeCom.ChatAddMembers("wrChatB", ["wmG4", "wmG5", "wmG6"], DateTimeOffset.UtcNow.AddSeconds(2)));
        await setup.ProcessAsync();
        using (var visitor = setup.NewVisitor())
            (await setup.VisitAsync(visitor, code.Slug)).Html.ShouldContain("landing-fallback");
        (await setup.Admin.GetAsync<List<Alert>>("/api/alerts")).Select(a => a.Kind)
            .ShouldBe([AlertKinds.GroupCodeNearlyFull, AlertKinds.LiveCodeBroken], ignoreOrder: true);

        // Adding a group to the same code: the printed QR keeps working.
        (await setup.Admin.PutAsJsonAsync($"/api/live-codes/{code.Id}", new
        {
            channelId = setup.Channel.Id, name = code.Name, members = groups.Select(g => new { carrierId = g.Id, capacity = 3 }).ToArray(),
        })).StatusCode.ShouldBe(HttpStatusCode.OK);
        using (var visitor = setup.NewVisitor())
            (await setup.VisitAsync(visitor, code.Slug)).CarrierId.ShouldBe(groups[2].Id);
        (await setup.Admin.GetAsync<List<Alert>>("/api/alerts")).ShouldBeEmpty();

        // Someone leaving group A makes room there again.
        await setup.CallbackOkAsync(setup.WeCom.ChatRemoveMembers("wrChatA", ["wmG2"], DateTimeOffset.UtcNow.AddSeconds(3)));
        await setup.ProcessAsync();
        using (var visitor = setup.NewVisitor())
            (await setup.VisitAsync(visitor, code.Slug)).CarrierId.ShouldBe(groups[0].Id);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OfficialAccount_SubscribeWithQrScene_IsAFanCreditedToTheCode(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        (await setup.Admin.PutAsJsonAsync("/api/connections/wechat-oa", new { appId = "wxoa0001", token = "OaToken1" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var client = server.Client();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = Pond.WeCom.TencentSignature.Compute("OaToken1", now, "42");
        string Xml(string evt, string key) =>
            $"<xml><ToUserName><![CDATA[gh_lily]]></ToUserName><FromUserName><![CDATA[oFan001]]></FromUserName><CreateTime>{now}</CreateTime>"
            + $"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{evt}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>";

        (await client.GetStringAsync($"/hooks/wechat-oa/{setup.WorkspaceId}?signature={signature}&timestamp={now}&nonce=42&echostr=hello")).ShouldBe("hello");
        var bad = await client.PostAsync($"/hooks/wechat-oa/{setup.WorkspaceId}?signature=bad&timestamp={now}&nonce=42",
            new StringContent(Xml("subscribe", "qrscene_" + setup.Code.Code.State), Encoding.UTF8, "text/xml"));
        bad.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var ok = await client.PostAsync($"/hooks/wechat-oa/{setup.WorkspaceId}?signature={signature}&timestamp={now}&nonce=42",
            new StringContent(Xml("subscribe", "qrscene_" + setup.Code.Code.State), Encoding.UTF8, "text/xml"));
        (await ok.Content.ReadAsStringAsync()).ShouldBe("success");
        await setup.ProcessAsync();

        var customer = await setup.Admin.GetAsync<CustomerDetail>(
            $"/api/customers/{await server.ScalarAsync<Guid>("SELECT customer_id FROM identities WHERE kind = 'wechat_openid' AND value = 'oFan001'")}");
        customer.Depth.ShouldBe(DepthNames.Fan);
        customer.Acquisitions.Single().CodeId.ShouldBe(setup.Code.Code.Id);
        customer.Identities.ShouldContain(i => i.Kind == IdentityKinds.WechatOpenId && i.Scope == "wxoa0001");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ChannelsAndCodes_BadInput_Answers400Or409SayingWhatToFix(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var admin = setup.Admin;

        async Task<string> Rejected(string url, object body, HttpStatusCode status = HttpStatusCode.BadRequest) =>
            (await (await admin.PostAsJsonAsync(url, body)).ProblemAsync(status)).Detail();

        (await Rejected("/api/channels", new { name = "", kind = "sms" })).ShouldContain("name");
        (await Rejected("/api/channels", new { name = "x", kind = "billboard" })).ShouldContain("package_card");
        (await Rejected("/api/channels", new { name = "双11包裹卡", kind = "sms" }, HttpStatusCode.Conflict)).ShouldContain("exists");
        (await Rejected("/api/channels", new { name = "y", kind = "sms", tags = new[] { new string('t', 51) } })).ShouldContain("1–50");
        (await Rejected($"/api/channels/{setup.Channel.Id}/spend", new { spentOn = "2026-11-01", amount = -5 })).ShouldContain("more than 0");
        (await Rejected($"/api/channels/{setup.Channel.Id}/spend", new { amount = 5 })).ShouldContain("spentOn");
        (await Rejected("/api/live-codes", new { channelId = setup.Channel.Id, name = "c", members = Array.Empty<object>() })).ShouldContain("1–50");
        (await Rejected("/api/live-codes", new { channelId = setup.Channel.Id, name = "c", strategy = "random", members = new[] { new { carrierId = setup.Accounts[0].Id } } }))
            .ShouldContain("round_robin");
        (await Rejected("/api/live-codes", new { channelId = setup.Channel.Id, name = "c", members = new[] { new { carrierId = Guid.NewGuid() } } }))
            .ShouldContain("no carrier");
        (await Rejected("/api/live-codes", new { channelId = setup.Channel.Id, name = "c", kind = "group", members = new[] { new { carrierId = setup.Accounts[0].Id } } }))
            .ShouldContain("group chats");
        (await Rejected("/api/live-codes", new
        {
            channelId = setup.Channel.Id, name = "c", members = new[] { new { carrierId = setup.Accounts[0].Id, hours = new { from = "9am", to = "18:00" } } },
        })).ShouldContain("HH:mm");

        // A channel with adds is archived, not deleted.
        await setup.CallbackOkAsync(setup.WeCom.AddExternalContact("xiaomei", "wmKeep", DateTimeOffset.UtcNow, setup.Code.Code.State));
        await setup.ProcessAsync();
        (await (await admin.DeleteAsync($"/api/channels/{setup.Channel.Id}")).ProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("archive");
        (await (await admin.DeleteAsync($"/api/live-codes/{setup.Code.Code.Id}")).ProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("paused");

        var spend = await (await admin.PostAsJsonAsync($"/api/channels/{setup.Channel.Id}/spend", new { spentOn = "2026-11-01", amount = 1234.56m, note = "印刷" }))
            .ReadAsync<SpendEntry>(HttpStatusCode.Created);
        spend.Amount.ShouldBe(1234.56m);
        (await admin.GetAsync<Channel>($"/api/channels/{setup.Channel.Id}")).TotalSpend.ShouldBe(1234.56m);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task QrImages_PointAtTheShortLink_AndTheLogoIsOptional(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var id = setup.Code.Code.Id;
        setup.Code.ShortLink.ShouldBe($"{server.BaseAddress.ToString().TrimEnd('/')}/c/{setup.Slug}");
        var png = await setup.Admin.GetAsync($"/api/live-codes/{id}/qr.png");
        png.Content.Headers.ContentType!.MediaType.ShouldBe("image/png");
        var path = Path.Combine(server.DataDirectory, "code.png");
        await File.WriteAllBytesAsync(path, await png.Content.ReadAsByteArrayAsync());
        (await QrCodeTests.DecodeAsync(path)).ShouldBe(setup.Code.ShortLink);

        (await setup.Admin.GetAsync($"/api/live-codes/{id}/qr.svg?logo=true")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var evil = new StringContent("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>", Encoding.UTF8, "image/svg+xml");
        (await setup.Admin.PutAsync("/api/brand/logo.svg", evil)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var logo = new StringContent("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><circle cx=\"5\" cy=\"5\" r=\"5\" fill=\"#e11d48\"/></svg>", Encoding.UTF8, "image/svg+xml");
        (await setup.Admin.PutAsync("/api/brand/logo.svg", logo)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var plain = await setup.Admin.GetStringAsync($"/api/live-codes/{id}/qr.svg");
        var branded = await setup.Admin.GetStringAsync($"/api/live-codes/{id}/qr.svg?logo=true");
        branded.ShouldStartWith("<svg");
        branded.ShouldNotBe(plain);
        branded.ShouldContain("e11d48");

        // The PNG has its own (raster) logo: set, drawn, still scannable; a file that is not a PNG is refused.
        (await setup.Admin.PutAsync("/api/brand/logo.png", new ByteArrayContent("not a png"u8.ToArray()))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await setup.Admin.PutAsync("/api/brand/logo.png", new ByteArrayContent(QrCodeTests.Logo().Encode()))).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var withLogo = await setup.Admin.GetByteArrayAsync($"/api/live-codes/{id}/qr.png?logo=true");
        var drawn = PngImage.Decode(withLogo);
        drawn.Get(drawn.Width / 2, drawn.Height / 2).R.ShouldBe((byte)225);
        await File.WriteAllBytesAsync(path, withLogo);
        (await QrCodeTests.DecodeAsync(path)).ShouldBe(setup.Code.ShortLink);
    }

    private static async Task SetStatusAsync(AcquisitionSetup setup, CarrierAccount account, string status) =>
        (await setup.Admin.PutAsJsonAsync($"/api/carriers/{account.Id}", new
        {
            kind = account.Kind, name = account.Name, externalId = account.ExternalId, ownerStaffId = account.OwnerStaffId, contactUrl = account.ContactUrl, status,
        })).StatusCode.ShouldBe(HttpStatusCode.OK);
}

public sealed class AcquisitionAccessTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task AnotherWorkspacesChannelsCodesAndCallbacks_AreUnknown_AndStaffSeeOnlyTheirOwnOutbox(DbEngine engine)
    {
        await using var server = await Pond.Tests.Workspaces.TestSignIn.StartServerAsync(engine);
        var theirs = await AcquisitionKit.SetUpAsync(server);
        await theirs.CallbackOkAsync(theirs.WeCom.AddExternalContact("xiaomei", "wmTheirs", DateTimeOffset.UtcNow, theirs.Code.Code.State, "W-1"));
        await theirs.ProcessAsync();
        await theirs.DispatchAsync();

        var other = await server.CreateWorkspaceAsync("other");
        var ours = other.AdminClient();
        var channel = theirs.Channel.Id;
        var code = theirs.Code.Code.Id;
        (await ours.GetAsync<List<Channel>>("/api/channels")).ShouldBeEmpty();
        (await ours.GetAsync<List<LiveCodeView>>("/api/live-codes")).ShouldBeEmpty();
        (await ours.GetAsync<List<OutboxMessage>>("/api/outbox")).ShouldBeEmpty();
        (await ours.GetAsync<List<Alert>>("/api/alerts")).ShouldBeEmpty();
        foreach (var url in new[] { $"/api/channels/{channel}", $"/api/channels/{channel}/spend", $"/api/live-codes/{code}", $"/api/live-codes/{code}/qr.png", $"/api/live-codes/{code}/qr.svg" })
            await (await ours.GetAsync(url)).ProblemAsync(HttpStatusCode.NotFound);
        await (await ours.PutAsJsonAsync($"/api/channels/{channel}", new { name = "改名", kind = "sms" })).ProblemAsync(HttpStatusCode.NotFound);
        await (await ours.DeleteAsync($"/api/channels/{channel}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await ours.PostAsJsonAsync($"/api/channels/{channel}/spend", new { spentOn = "2026-11-01", amount = 1 })).ProblemAsync(HttpStatusCode.NotFound);
        await (await ours.PutAsJsonAsync($"/api/live-codes/{code}", new { channelId = channel, name = "x", members = new[] { new { carrierId = theirs.Accounts[0].Id } } }))
            .ProblemAsync(HttpStatusCode.NotFound);
        await (await ours.DeleteAsync($"/api/live-codes/{code}")).ProblemAsync(HttpStatusCode.NotFound);
        (await (await ours.PostAsJsonAsync("/api/live-codes", new { channelId = channel, name = "借用", members = new[] { new { carrierId = theirs.Accounts[0].Id } } }))
            .ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("No channel");
        var ourChannel = await (await ours.PostAsJsonAsync("/api/channels", new { name = "我们的渠道", kind = "sms" })).ReadAsync<Channel>(HttpStatusCode.Created);
        (await (await ours.PostAsJsonAsync("/api/live-codes", new { channelId = ourChannel.Id, name = "借用", members = new[] { new { carrierId = theirs.Accounts[0].Id } } }))
            .ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("no carrier");

        // A callback signed with another workspace's Token does not verify here.
        var ourWeCom = new Pond.WeCom.WeComCallbackBuilder(AcquisitionKit.CorpId, "OtherToken99", AcquisitionKit.EncodingAesKey);
        var forged = ourWeCom.Sign(ourWeCom.AddExternalContact("xiaomei", "wmForged", DateTimeOffset.UtcNow, theirs.Code.Code.State), DateTimeOffset.UtcNow);
        using (var client = server.Client())
            (await client.PostAsync($"/hooks/wecom/{theirs.WorkspaceId}?{forged.Query}", new StringContent(forged.Body, Encoding.UTF8, "text/xml"))).StatusCode
                .ShouldBe(HttpStatusCode.Unauthorized);

        // Staff see the outbox messages of their own customers only, and cannot change channels.
        var mei = await server.Workspace.MemberClientAsync(Pond.Workspaces.Roles.Staff, theirs.Staff[0].Id);
        var lily = await server.Workspace.MemberClientAsync(Pond.Workspaces.Roles.Staff, theirs.Staff[2].Id);
        (await mei.GetAsync<List<OutboxMessage>>("/api/outbox")).ShouldHaveSingleItem();
        (await lily.GetAsync<List<OutboxMessage>>("/api/outbox")).ShouldBeEmpty();
        (await mei.PostAsJsonAsync("/api/channels", new { name = "导购的渠道", kind = "sms" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await mei.PutAsJsonAsync("/api/connections/wecom", new { corpId = "x", token = "y", encodingAesKey = AcquisitionKit.EncodingAesKey })).StatusCode
            .ShouldBe(HttpStatusCode.Forbidden);
    }
}
