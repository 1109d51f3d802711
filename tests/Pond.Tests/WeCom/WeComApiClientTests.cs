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
/// documentation describes it (获取access_token, 配置客户联系「联系我」方式, 发送新客户欢迎语, 获取客户详情) and answers in its format.
/// </summary>
public sealed class WeComApiClientTests : IAsyncLifetime
{
    private const string CorpId = "ww5823bf96d3bd56c7";
    private const string Secret = "contact-secret";
    private WebApplication _wecom = null!;
    private Uri _baseUrl = null!;
    private int _tokensIssued;
    private readonly ConcurrentQueue<JsonElement> _bodies = new();

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
}
