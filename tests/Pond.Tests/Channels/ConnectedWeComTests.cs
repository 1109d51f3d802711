using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pond.Messaging;
using Pond.Server.Channels;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.WeCom;

namespace Pond.Tests.Channels;

/// <summary>
/// With the app secret set, Pond calls WeCom: a contact way (联系我) per account of a live code, carrying the code's
/// state, and the welcome message on add. WeCom is a local stand-in that checks each request as WeCom documents it.
/// </summary>
public sealed class ConnectedWeComTests : IAsyncLifetime
{
    private WeComServerStandIn _wecom = null!;
    private readonly ConcurrentQueue<(string Path, JsonElement Body)> _calls = new();

    private static string Secret => WeComServerStandIn.Secret;

    public async Task InitializeAsync() => _wecom = await WeComServerStandIn.StartAsync((app, rejected) =>
    {
        app.MapPost("/cgi-bin/externalcontact/add_contact_way", async (HttpRequest request) =>
        {
            if (rejected(request) is { } rejection)
                return rejection;
            var body = await ReadAsync(request);
            var user = body.GetProperty("user");
            // 配置客户联系「联系我」方式: type 1 (one member), scene 2 (QR code), state ≤ 30 characters.
            var valid = body.GetProperty("type").GetInt32() == 1 && body.GetProperty("scene").GetInt32() == 2 && user.GetArrayLength() == 1
                        && body.GetProperty("state").GetString() is { Length: > 0 and <= 30 };
            var userId = user[0].GetString();
            return valid
                ? Results.Json(new { errcode = 0, errmsg = "ok", config_id = $"cfg-{userId}", qr_code = $"https://wework.qpic.cn/wwpic/{userId}" })
                : Results.Json(new { errcode = 40058, errmsg = "invalid parameter" });
        });
        app.MapPost("/cgi-bin/externalcontact/send_welcome_msg", async (HttpRequest request) =>
        {
            if (rejected(request) is { } rejection)
                return rejection;
            var body = await ReadAsync(request);
            return body.GetProperty("welcome_code").GetString() == "FRESH"
                ? Results.Json(new { errcode = 0, errmsg = "ok" })
                : Results.Json(new { errcode = 41051, errmsg = "externaluser has started chatting" });
        });
        app.MapGet("/cgi-bin/externalcontact/get", (HttpRequest request, string? external_userid) =>
        {
            _calls.Enqueue((request.Path, JsonSerializer.SerializeToElement(new { external_userid })));
            return rejected(request) ?? Results.Json(new
            {
                errcode = 0, errmsg = "ok", external_contact = new { external_userid, name = "王小丫", type = 1, gender = 2 }, follow_user = Array.Empty<object>(),
            });
        });
    });

    private async Task<JsonElement> ReadAsync(HttpRequest request)
    {
        var body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body);
        _calls.Enqueue((request.Path, body));
        return body;
    }

    public async Task DisposeAsync() => await _wecom.DisposeAsync();

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task LiveCode_GetsAContactWayPerAccount_AndTheWelcomeMessageIsSentWithTheNickname(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server, secret: Secret, apiBaseUrl: _wecom.BaseUrl.ToString());

        var code = (await setup.Admin.GetAsync<LiveCodeView>($"/api/live-codes/{setup.Code.Code.Id}")).Code;
        code.Members.Select(m => m.ContactWayId).ShouldBe(["cfg-xiaomei", "cfg-ajie", "cfg-lily"]);
        code.Members.Select(m => m.ContactUrl).ShouldAllBe(url => url!.StartsWith("https://wework.qpic.cn/wwpic/", StringComparison.Ordinal));
        _calls.Where(c => c.Path.EndsWith("add_contact_way", StringComparison.Ordinal)).Select(c => c.Body.GetProperty("state").GetString())
            .ShouldAllBe(state => state == code.State);

        // The landing page shows the contact way's QR link, not the account's own link.
        using (var visitor = setup.NewVisitor())
            (await setup.VisitAsync(visitor)).Html.ShouldContain("https://wework.qpic.cn/wwpic/");

        await setup.CallbackOkAsync(setup.WeCom.AddExternalContact("ajie", "wmConnected", DateTimeOffset.UtcNow, code.State, "FRESH"));
        await setup.CallbackOkAsync(setup.WeCom.AddExternalContact("lily", "wmStale", DateTimeOffset.UtcNow, code.State, "STALE"));
        await setup.ProcessAsync();
        (await setup.DispatchAsync()).ShouldBe(2);

        var welcome = _calls.Single(c => c.Path.EndsWith("send_welcome_msg", StringComparison.Ordinal) && c.Body.GetProperty("welcome_code").GetString() == "FRESH").Body;
        welcome.GetProperty("text").GetProperty("content").GetString().ShouldBe("你好 王小丫，我是阿杰，送你一张20元无门槛券");
        var outbox = await setup.OutboxAsync();
        outbox.Single(m => m.Text!.Contains("阿杰", StringComparison.Ordinal)).State.ShouldBe(OutboxStates.Sent);
        // A used or expired welcome code cannot succeed later: failed at once, not retried.
        var stale = outbox.Single(m => m.Text!.Contains("Lily", StringComparison.Ordinal));
        (stale.State, stale.Attempts).ShouldBe((OutboxStates.Failed, 1));
        stale.Reason!.ShouldContain("41051");
        (await setup.DispatchAsync()).ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task WeComRefusingAContactWay_SavesTheCodeAnyway_AndRaisesAnAlert(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server, secret: "wrong-secret", apiBaseUrl: _wecom.BaseUrl.ToString());
        setup.Code.Code.Members.ShouldAllBe(m => m.ContactWayId == null);
        var alerts = await setup.Admin.GetAsync<List<Pond.Alerts.Alert>>("/api/alerts");
        alerts.Single().Kind.ShouldBe(Pond.Alerts.AlertKinds.ContactWayFailed);
        alerts.Single().Message.ShouldContain("40001");
        (await setup.Admin.GetAsync($"/api/live-codes/{setup.Code.Code.Id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
