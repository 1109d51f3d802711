using System.Net;
using System.Net.Http.Json;
using System.Text;
using Pond.Channels;
using Pond.Customers;
using Pond.Messaging;
using Pond.Server.Channels;
using Pond.Staff;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.WeCom;

namespace Pond.Tests.Channels;

/// <summary>A workspace with WeCom connected, three staff with WeCom accounts, a channel with tags and a round-robin code across them.</summary>
internal sealed record AcquisitionSetup(
    PondServer Server, HttpClient Admin, WeComCallbackBuilder WeCom, List<StaffMember> Staff, List<CarrierAccount> Accounts, Channel Channel, LiveCodeView Code)
{
    public Guid WorkspaceId => Server.Workspace.Id;

    public string Slug => Code.Code.Slug;
}

internal static class AcquisitionKit
{
    public const string CorpId = "ww5823bf96d3bd56c7";
    public const string Token = "PondToken2026";
    public const string EncodingAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

    public static async Task<AcquisitionSetup> SetUpAsync(PondServer server, string? welcome = "你好 {nickname}，我是{staff}，送你一张{coupon}", string? secret = null, string? apiBaseUrl = null)
    {
        var admin = server.Workspace.AdminClient();
        (await admin.PutAsJsonAsync("/api/connections/wecom", new { corpId = CorpId, token = Token, encodingAesKey = EncodingAesKey, secret, apiBaseUrl }))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        var staff = new List<StaffMember>();
        var accounts = new List<CarrierAccount>();
        foreach (var (name, userId) in new[] { ("小美", "xiaomei"), ("阿杰", "ajie"), ("Lily", "lily") })
        {
            var member = await (await admin.PostAsJsonAsync("/api/staff", new { name, wecomUserId = userId })).ReadAsync<StaffMember>(HttpStatusCode.Created);
            staff.Add(member);
            accounts.Add(await (await admin.PostAsJsonAsync("/api/carriers", new
            {
                kind = CarrierKinds.WecomAccount, name = $"{name}的企业微信", externalId = userId, ownerStaffId = member.Id,
                contactUrl = $"https://work.weixin.qq.com/ca/{userId}",
            })).ReadAsync<CarrierAccount>(HttpStatusCode.Created));
        }

        var channel = await (await admin.PostAsJsonAsync("/api/channels", new
        {
            name = "双11包裹卡", kind = ChannelKinds.PackageCard, hook = "扫码领取 ¥20 无门槛券", tags = new[] { "包裹卡", "双11" },
        })).ReadAsync<Channel>(HttpStatusCode.Created);
        var code = await (await admin.PostAsJsonAsync("/api/live-codes", new
        {
            channelId = channel.Id, kind = LiveCodeKinds.Staff, name = "包裹卡-11月", strategy = RoutingStrategies.RoundRobin,
            welcomeText = welcome, welcomeCoupon = "20元无门槛券",
            members = accounts.Select(a => new { carrierId = a.Id }).ToArray(),
        })).ReadAsync<LiveCodeView>(HttpStatusCode.Created);
        return new AcquisitionSetup(server, admin, new WeComCallbackBuilder(CorpId, Token, EncodingAesKey), staff, accounts, channel, code);
    }

    /// <summary>Posts a signed, encrypted callback to /hooks/wecom as WeCom would.</summary>
    public static async Task<HttpResponseMessage> CallbackAsync(this AcquisitionSetup setup, string eventXml, DateTimeOffset? at = null)
    {
        var signed = setup.WeCom.Sign(eventXml, at ?? DateTimeOffset.UtcNow);
        using var client = setup.Server.Client();
        return await client.PostAsync($"/hooks/wecom/{setup.WorkspaceId}?{signed.Query}", new StringContent(signed.Body, Encoding.UTF8, "text/xml"));
    }

    public static async Task CallbackOkAsync(this AcquisitionSetup setup, string eventXml, DateTimeOffset? at = null)
    {
        using var response = await setup.CallbackAsync(eventXml, at);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        body.ShouldBe("success");
    }

    /// <summary>A visitor opening the short link: the landing page and the account it shows (null for the fallback page).</summary>
    public static async Task<(string Html, Guid? CarrierId)> VisitAsync(this AcquisitionSetup setup, Visitor visitor, string? slug = null)
    {
        var html = await visitor.Client.PageAsync($"/c/{slug ?? setup.Slug}");
        var marker = "data-carrier-id=\"";
        var at = html.IndexOf(marker, StringComparison.Ordinal);
        return (html, at < 0 ? null : Guid.Parse(html.AsSpan(at + marker.Length, 36)));
    }

    public static Visitor NewVisitor(this AcquisitionSetup setup) => new(setup.Server.BaseAddress);

    public static async Task<List<OutboxMessage>> OutboxAsync(this AcquisitionSetup setup) =>
        await setup.Admin.GetAsync<List<OutboxMessage>>("/api/outbox");

    public static Task<int> DispatchAsync(this AcquisitionSetup setup) => setup.Server.Service<OutboxDispatcher>().DispatchDueAsync();

    public static Task<int> ProcessAsync(this AcquisitionSetup setup) => setup.Server.ProcessAsync();
}

/// <summary>A phone with its own cookie jar.</summary>
internal sealed class Visitor(Uri baseAddress) : IDisposable
{
    public HttpClient Client { get; } = new(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = baseAddress };

    public void Dispose() => Client.Dispose();
}
