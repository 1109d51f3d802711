using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pond.Tests.WeCom;

/// <summary>
/// WeCom's customer and group transfer APIs (在职继承 / 离职继承) as a local stand-in: each request is checked
/// the way WeCom's documentation describes it (分配在职/离职成员的客户, 查询客户接替状态, 分配在职/离职成员的客户群)
/// and answered in its format. Transfers it accepted wait (status 2) until a test says how they ended.
/// </summary>
internal sealed class WeComTransferStandIn
{
    public const int StatusDone = 1;
    public const int StatusWaiting = 2;
    public const int StatusRefused = 3;
    public const int StatusLimitReached = 4;
    public const int StatusNoRecord = 5;

    /// <summary>Every accepted call: path and body.</summary>
    public ConcurrentQueue<(string Path, JsonElement Body)> Calls { get; } = new();

    /// <summary>External contacts WeCom refuses at transfer time, with the errcode it answers for each.</summary>
    public ConcurrentDictionary<string, int> Refuse { get; } = new();

    /// <summary>Group chats WeCom refuses to hand over, with the errcode.</summary>
    public ConcurrentDictionary<string, int> RefuseChats { get; } = new();

    /// <summary>Where each accepted transfer stands, keyed by (handover, takeover, external user).</summary>
    public ConcurrentDictionary<(string Handover, string Takeover, string External), int> Transfers { get; } = new();

    /// <summary>How many customers one transfer_result page holds (WeCom: up to 1000); small in tests to exercise the cursor.</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>Sets the state of every transfer of this external contact.</summary>
    public void Finish(string externalUserId, int status)
    {
        foreach (var key in Transfers.Keys.Where(k => k.External == externalUserId))
            Transfers[key] = status;
    }

    /// <summary>Maps the transfer endpoints; <paramref name="rejected"/> checks the access token (null when it is good).</summary>
    public void Map(IEndpointRouteBuilder app, Func<HttpRequest, IResult?> rejected)
    {
        app.MapPost("/cgi-bin/externalcontact/transfer_customer", (HttpRequest request) => TransferAsync(request, rejected, onJob: true));
        app.MapPost("/cgi-bin/externalcontact/resigned/transfer_customer", (HttpRequest request) => TransferAsync(request, rejected, onJob: false));
        app.MapPost("/cgi-bin/externalcontact/transfer_result", (HttpRequest request) => ResultAsync(request, rejected));
        app.MapPost("/cgi-bin/externalcontact/resigned/transfer_result", (HttpRequest request) => ResultAsync(request, rejected));
        app.MapPost("/cgi-bin/externalcontact/groupchat/onjob_transfer", (HttpRequest request) => GroupAsync(request, rejected));
        app.MapPost("/cgi-bin/externalcontact/groupchat/transfer", (HttpRequest request) => GroupAsync(request, rejected));
    }

    private static IResult Invalid(string why) => Results.Json(new { errcode = 40058, errmsg = $"invalid parameter: {why}" });

    private static string? Text(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0 ? value.GetString() : null;

    private static async Task<(JsonElement Body, IResult? Rejection)> ReadAsync(HttpRequest request, Func<HttpRequest, IResult?> rejected)
    {
        if (rejected(request) is { } rejection)
            return (default, rejection);
        if (request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true)
            return (default, Invalid("body must be JSON"));
        var body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body);
        return body.ValueKind == JsonValueKind.Object ? (body, null) : (default, Invalid("body must be a JSON object"));
    }

    private async Task<IResult> TransferAsync(HttpRequest request, Func<HttpRequest, IResult?> rejected, bool onJob)
    {
        var (body, rejection) = await ReadAsync(request, rejected);
        if (rejection is not null)
            return rejection;
        var handover = Text(body, "handover_userid");
        var takeover = Text(body, "takeover_userid");
        if (handover is null || takeover is null)
            return Invalid("handover_userid and takeover_userid are required");
        if (handover == takeover)
            return Results.Json(new { errcode = 40097, errmsg = "handover and takeover user are the same" });
        if (!body.TryGetProperty("external_userid", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() is 0 or > 100)
            return Invalid("external_userid must list 1-100 external contacts");
        if (body.TryGetProperty("transfer_success_msg", out var message))
        {
            // Only the on-job API shows the customer a message; the resigned one documents no such field.
            if (!onJob || message.ValueKind != JsonValueKind.String || message.GetString()!.Length > 200)
                return Invalid("transfer_success_msg");
        }

        Calls.Enqueue((request.Path, body.Clone()));
        var customers = new List<object>();
        foreach (var item in list.EnumerateArray())
        {
            var external = item.GetString()!;
            if (Refuse.TryGetValue(external, out var code))
            {
                customers.Add(new { external_userid = external, errcode = code });
                continue;
            }

            Transfers[(handover, takeover, external)] = StatusWaiting;
            customers.Add(new { external_userid = external, errcode = 0 });
        }

        return Results.Json(new { errcode = 0, errmsg = "ok", customer = customers });
    }

    private async Task<IResult> ResultAsync(HttpRequest request, Func<HttpRequest, IResult?> rejected)
    {
        var (body, rejection) = await ReadAsync(request, rejected);
        if (rejection is not null)
            return rejection;
        var handover = Text(body, "handover_userid");
        var takeover = Text(body, "takeover_userid");
        if (handover is null || takeover is null)
            return Invalid("handover_userid and takeover_userid are required");
        Calls.Enqueue((request.Path, body.Clone()));
        var start = Text(body, "cursor") is { } cursor ? int.Parse(cursor, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var all = Transfers.Where(t => t.Key.Handover == handover && t.Key.Takeover == takeover).OrderBy(t => t.Key.External, StringComparer.Ordinal).ToList();
        var page = all.Skip(start).Take(PageSize)
            .Select(t => new { external_userid = t.Key.External, status = t.Value, takeover_time = t.Value == StatusDone ? 1_798_000_000L : 0L })
            .ToList();
        var next = start + page.Count < all.Count ? (start + page.Count).ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
        return Results.Json(new { errcode = 0, errmsg = "ok", customer = page, next_cursor = next });
    }

    private async Task<IResult> GroupAsync(HttpRequest request, Func<HttpRequest, IResult?> rejected)
    {
        var (body, rejection) = await ReadAsync(request, rejected);
        if (rejection is not null)
            return rejection;
        if (Text(body, "new_owner") is null)
            return Invalid("new_owner is required");
        if (!body.TryGetProperty("chat_id_list", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() is 0 or > 100)
            return Invalid("chat_id_list must list 1-100 chats");
        Calls.Enqueue((request.Path, body.Clone()));
        var failed = list.EnumerateArray().Select(c => c.GetString()!)
            .Where(RefuseChats.ContainsKey)
            .Select(c => new { chat_id = c, errcode = RefuseChats[c], errmsg = "the chat cannot be transferred" })
            .ToList();
        return Results.Json(new { errcode = 0, errmsg = "ok", failed_chat_list = failed });
    }
}

/// <summary>
/// A whole stand-in WeCom server for tests that go through Pond: the token endpoint, the transfer APIs, and whatever
/// other endpoints a test maps (given the access-token check to apply).
/// </summary>
internal sealed class WeComServerStandIn : IAsyncDisposable
{
    public const string CorpId = "ww5823bf96d3bd56c7";
    public const string Secret = "contact-secret";
    private readonly WebApplication _app;
    private int _tokensIssued;

    private WeComServerStandIn(WebApplication app) => _app = app;

    public WeComTransferStandIn WeCom { get; } = new();
    public Uri BaseUrl { get; private set; } = null!;

    public static async Task<WeComServerStandIn> StartAsync(Action<WebApplication, Func<HttpRequest, IResult?>>? mapMore = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var server = new WeComServerStandIn(builder.Build());
        server._app.MapGet("/cgi-bin/gettoken", (string? corpid, string? corpsecret) =>
            corpid == CorpId && corpsecret == Secret
                ? Results.Json(new { errcode = 0, errmsg = "ok", access_token = $"TOKEN-{Interlocked.Increment(ref server._tokensIssued)}", expires_in = 7200 })
                : Results.Json(new { errcode = 40001, errmsg = "invalid credential" }));
        IResult? Rejected(HttpRequest request) =>
            request.Query["access_token"].ToString() == $"TOKEN-{server._tokensIssued}" ? null : Results.Json(new { errcode = 40014, errmsg = "invalid access_token" });
        server.WeCom.Map(server._app, Rejected);
        mapMore?.Invoke(server._app, Rejected);
        await server._app.StartAsync();
        server.BaseUrl = new Uri(server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
