using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pond.WeCom;

namespace Pond.Tests.WeCom;

/// <summary>
/// The client against a local stand-in for qyapi.weixin.qq.com that checks each request as WeCom's server API
/// documentation describes it (获取access_token, 配置客户联系「联系我」方式, 发送新客户欢迎语, 获取客户详情, and the transfer
/// APIs of <see cref="WeComTransferStandIn"/>) and answers in its format.
/// </summary>
public sealed class WeComApiClientTests : IAsyncLifetime
{
    private const string CorpId = "ww5823bf96d3bd56c7";
    private const string Secret = "contact-secret";
    private WebApplication _wecom = null!;
    private Uri _baseUrl = null!;
    private int _tokensIssued;
    private readonly ConcurrentQueue<JsonElement> _bodies = new();
    private readonly WeComTransferStandIn _transfers = new();

    /// <summary>When set, the next call with the current token is answered "access_token expired" (42001).</summary>
    private volatile bool _expireNextToken;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _wecom = builder.Build();
        _wecom.MapGet("/cgi-bin/gettoken", (string? corpid, string? corpsecret) =>
            corpid == CorpId && corpsecret == Secret
                ? Results.Json(new { errcode = 0, errmsg = "ok", access_token = $"TOKEN-{Interlocked.Increment(ref _tokensIssued)}", expires_in = 7200 })
                : Results.Json(new { errcode = 40001, errmsg = "invalid credential" }));
        _wecom.MapPost("/cgi-bin/externalcontact/add_contact_way", async (HttpRequest request) =>
        {
            if (Rejected(request) is { } rejection)
                return rejection;
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body);
            _bodies.Enqueue(body);
            var users = body.GetProperty("user").GetArrayLength();
            var valid = body.GetProperty("type").GetInt32() == (users == 1 ? 1 : 2) && body.GetProperty("scene").GetInt32() == 2 && users > 0;
            return valid
                ? Results.Json(new { errcode = 0, errmsg = "ok", config_id = "42b34949e138eb6e027c123cba77fAAA", qr_code = "http://p.qpic.cn/wwhead/duc2TvpEgSdicZ9RrdUtBkv2UiaA/0" })
                : Results.Json(new { errcode = 40058, errmsg = "invalid parameter" });
        });
        _wecom.MapPost("/cgi-bin/externalcontact/send_welcome_msg", async (HttpRequest request) =>
        {
            if (Rejected(request) is { } rejection)
                return rejection;
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body);
            _bodies.Enqueue(body);
            return body.TryGetProperty("welcome_code", out var code) && code.GetString() == "CALLBACK_CODE"
                ? Results.Json(new { errcode = 0, errmsg = "ok" })
                : Results.Json(new { errcode = 41051, errmsg = "externaluser has started chatting" });
        });
        _wecom.MapGet("/cgi-bin/externalcontact/get", (HttpRequest request, string? external_userid) =>
            Rejected(request) ?? Results.Json(new
            {
                errcode = 0,
                errmsg = "ok",
                external_contact = new { external_userid, name = "李四", type = 1, gender = 2, unionid = "ozynqsulJFCZ2z1aYeS8h-nuasdAAA" },
                follow_user = new[] { new { userid = "rocky", remark = "李部长", createtime = 1525779812, state = "lily-pkg-card" } },
            }));
        _transfers.Map(_wecom, Rejected);
        await _wecom.StartAsync();
        _baseUrl = new Uri(_wecom.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
    }

    public async Task DisposeAsync() => await _wecom.DisposeAsync();

    private IResult? Rejected(HttpRequest request)
    {
        var token = request.Query["access_token"].ToString();
        if (token != $"TOKEN-{_tokensIssued}")
            return Results.Json(new { errcode = 40014, errmsg = "invalid access_token" });
        if (_expireNextToken)
        {
            _expireNextToken = false;
            return Results.Json(new { errcode = 42001, errmsg = "access_token expired" });
        }

        return null;
    }

    private WeComApiClient Client(string secret = Secret) =>
        new(new HttpClient(), new WeComApiOptions(CorpId, secret, _baseUrl), TimeProvider.System);

    [Fact]
    public async Task AddContactWay_SendsTheDocumentedBody_AndReusesOneToken()
    {
        using var client = Client();

        var one = await client.AddContactWayAsync(["LilyGuide01"], "pkg-card-2026");
        var many = await client.AddContactWayAsync(["LilyGuide01", "LilyGuide02"], "pkg-card-2026");

        one.ConfigId.ShouldBe("42b34949e138eb6e027c123cba77fAAA");
        one.QrCode.ShouldNotBeNull();
        many.ConfigId.ShouldBe(one.ConfigId);
        _tokensIssued.ShouldBe(1);
        var first = _bodies.First();
        first.GetProperty("state").GetString().ShouldBe("pkg-card-2026");
        first.GetProperty("skip_verify").GetBoolean().ShouldBeTrue();
        first.GetProperty("user")[0].GetString().ShouldBe("LilyGuide01");
    }

    [Fact]
    public async Task ExpiredToken_IsRefreshedOnce_AndTheCallSucceeds()
    {
        using var client = Client();
        await client.AddContactWayAsync(["LilyGuide01"], "a");
        _expireNextToken = true;

        await client.SendWelcomeMessageAsync("CALLBACK_CODE", "你好 {nickname}，欢迎来到莉莉女装！");

        _tokensIssued.ShouldBe(2);
        _bodies.Last().GetProperty("text").GetProperty("content").GetString().ShouldStartWith("你好");
    }

    [Fact]
    public async Task WeComErrors_SurfaceWithTheirCode()
    {
        using var client = Client();
        (await Should.ThrowAsync<WeComApiException>(() => client.SendWelcomeMessageAsync("STALE_CODE", "hi"))).ErrorCode.ShouldBe(41051);
        using var wrongSecret = Client("not-the-secret");
        (await Should.ThrowAsync<WeComApiException>(() => wrongSecret.AddContactWayAsync(["LilyGuide01"], "a"))).ErrorCode.ShouldBe(40001);
        await Should.ThrowAsync<ValidationFailedException>(() => client.AddContactWayAsync([], "a"));
        await Should.ThrowAsync<ValidationFailedException>(() => client.AddContactWayAsync(["u"], new string('x', 31)));
    }

    [Fact]
    public async Task GetExternalContact_ReadsTheContactAndWhoAddedThemWithWhichState()
    {
        using var client = Client();

        var contact = await client.GetExternalContactAsync("woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA");

        contact.ExternalUserId.ShouldBe("woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA");
        contact.Name.ShouldBe("李四");
        contact.UnionId.ShouldBe("ozynqsulJFCZ2z1aYeS8h-nuasdAAA");
        contact.FollowUsers.Single().UserId.ShouldBe("rocky");
        contact.FollowUsers.Single().State.ShouldBe("lily-pkg-card");
        contact.FollowUsers.Single().AddedAt.ShouldBe(DateTimeOffset.FromUnixTimeSeconds(1525779812));
    }

    [Fact]
    public async Task TransferCustomer_SendsBothUserIdsTheContactsAndTheMessage_AndReadsEachCustomersErrcode()
    {
        using var client = Client();
        _transfers.Refuse["wmRefused"] = 40096;

        var outcomes = await client.TransferCustomerAsync("LilyGuide01", "LilyGuide02", ["wmOne", "wmRefused"], "您好，您的服务顾问已更换为小美。");

        outcomes.ShouldBe([new CustomerTransferOutcome("wmOne", 0), new CustomerTransferOutcome("wmRefused", 40096)]);
        var (path, body) = _transfers.Calls.Single();
        path.ShouldBe("/cgi-bin/externalcontact/transfer_customer");
        body.GetProperty("handover_userid").GetString().ShouldBe("LilyGuide01");
        body.GetProperty("takeover_userid").GetString().ShouldBe("LilyGuide02");
        body.GetProperty("external_userid").EnumerateArray().Select(e => e.GetString()).ShouldBe(["wmOne", "wmRefused"]);
        body.GetProperty("transfer_success_msg").GetString().ShouldStartWith("您好");
    }

    [Fact]
    public async Task ResignedTransferCustomer_UsesTheResignedApi_WithoutAMessage()
    {
        using var client = Client();

        var outcomes = await client.ResignedTransferCustomerAsync("LeftGuide", "LilyGuide02", ["wmOne"]);

        outcomes.Single().ErrorCode.ShouldBe(0);
        var (path, body) = _transfers.Calls.Single();
        path.ShouldBe("/cgi-bin/externalcontact/resigned/transfer_customer");
        body.TryGetProperty("transfer_success_msg", out _).ShouldBeFalse();
        await Should.ThrowAsync<ValidationFailedException>(() => client.ResignedTransferCustomerAsync("a", "b", []));
        await Should.ThrowAsync<ValidationFailedException>(() => client.ResignedTransferCustomerAsync("a", "b", Enumerable.Range(0, 101).Select(i => $"wm{i}").ToList()));
        await Should.ThrowAsync<ValidationFailedException>(() => client.TransferCustomerAsync("a", "b", ["wm"], new string('x', 201)));
    }

    [Fact]
    public async Task TransferResult_PagesThroughWithTheCursor()
    {
        using var client = Client();
        await client.TransferCustomerAsync("LilyGuide01", "LilyGuide02", ["wmA", "wmB", "wmC"]);
        _transfers.Finish("wmA", WeComTransferStandIn.StatusDone);
        _transfers.Finish("wmC", WeComTransferStandIn.StatusRefused);
        _transfers.PageSize = 2;

        var first = await client.TransferResultAsync(WeComTransferKind.OnJob, "LilyGuide01", "LilyGuide02");
        var second = await client.TransferResultAsync(WeComTransferKind.OnJob, "LilyGuide01", "LilyGuide02", first.NextCursor);

        first.Customers.Select(c => (c.ExternalUserId, c.Status)).ShouldBe([("wmA", 1), ("wmB", 2)]);
        first.Customers[0].TakeoverAt.ShouldNotBeNull();
        first.NextCursor.ShouldNotBeNull();
        second.Customers.Select(c => (c.ExternalUserId, c.Status)).ShouldBe([("wmC", 3)]);
        second.NextCursor.ShouldBeNull();
        _transfers.Calls.Select(c => c.Path).ShouldContain("/cgi-bin/externalcontact/transfer_result");
        _transfers.PageSize = 1000;
        (await client.TransferResultAsync(WeComTransferKind.Resigned, "LilyGuide01", "LilyGuide02")).Customers.Count.ShouldBe(3);
        _transfers.Calls.Last().Path.ShouldBe("/cgi-bin/externalcontact/resigned/transfer_result");
    }

    [Fact]
    public async Task GroupChatTransfer_OnJobAndResigned_ReportTheChatsWeComRefused()
    {
        using var client = Client();
        _transfers.RefuseChats["wrChatB"] = 90500;

        var onJob = await client.GroupChatTransferAsync(WeComTransferKind.OnJob, ["wrChatA", "wrChatB"], "LilyGuide02");
        var resigned = await client.GroupChatTransferAsync(WeComTransferKind.Resigned, ["wrChatC"], "LilyGuide02");

        onJob.Single().ShouldBe(new GroupChatTransferFailure("wrChatB", 90500, "the chat cannot be transferred"));
        resigned.ShouldBeEmpty();
        _transfers.Calls.Select(c => c.Path).ShouldBe(["/cgi-bin/externalcontact/groupchat/onjob_transfer", "/cgi-bin/externalcontact/groupchat/transfer"]);
        _transfers.Calls.First().Body.GetProperty("new_owner").GetString().ShouldBe("LilyGuide02");
        _transfers.Calls.First().Body.GetProperty("chat_id_list").GetArrayLength().ShouldBe(2);
    }

    [Fact]
    public async Task TransferCalls_CarryTheCurrentAccessToken()
    {
        using var client = Client();
        await client.TransferCustomerAsync("LilyGuide01", "LilyGuide02", ["wmOne"]);
        _expireNextToken = true;

        var page = await client.TransferResultAsync(WeComTransferKind.OnJob, "LilyGuide01", "LilyGuide02");

        page.Customers.Single().Status.ShouldBe(WeComTransferStandIn.StatusWaiting);
        _tokensIssued.ShouldBe(2);
    }
}
