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

/// <summary>
/// WeCom's customer-contact ways as a local stand-in, checked as WeCom documents them: 配置客户联系「联系我」方式
/// (add_contact_way), 配置客户群进群方式 (groupchat/add_join_way, get_join_way) and 获取客户群详情 (groupchat/get), whose
/// member list carries, for each member who came through a join way, that way's state. A test says who joined which group
/// through which way (<see cref="Join"/>); the callback it then sends is WeCom's add_member event.
/// </summary>
internal sealed class WeComWaysStandIn
{
    private int _ways;

    /// <summary>Every accepted call: path and body.</summary>
    public ConcurrentQueue<(string Path, JsonElement Body)> Calls { get; } = new();

    /// <summary>Contact ways by config id: the users and state they were made with.</summary>
    public ConcurrentDictionary<string, (string[] Users, string? State)> ContactWays { get; } = new();

    /// <summary>Join ways by config id: their groups and state.</summary>
    public ConcurrentDictionary<string, (string[] Chats, string? State)> JoinWays { get; } = new();

    /// <summary>Each group's members: user id, type (1 staff, 2 external), join scene, and the state of the way they came through.</summary>
    public ConcurrentDictionary<string, ConcurrentQueue<(string UserId, int Type, int JoinScene, string? State)>> Chats { get; } = new();

    /// <summary>Records that someone joined a group: by scanning a join way (its state is listed), or without one.</summary>
    public void Join(string chatId, string userId, string? joinWayConfigId = null, int type = 2)
    {
        var state = joinWayConfigId is null ? null : JoinWays[joinWayConfigId].State;
        Chats.GetOrAdd(chatId, _ => new()).Enqueue((userId, type, joinWayConfigId is null ? 1 : 3, state));
    }

    public void Map(IEndpointRouteBuilder app, Func<HttpRequest, IResult?> rejected)
    {
        app.MapPost("/cgi-bin/externalcontact/add_contact_way", (HttpRequest request) => AddContactWayAsync(request, rejected));
        app.MapPost("/cgi-bin/externalcontact/groupchat/add_join_way", (HttpRequest request) => AddJoinWayAsync(request, rejected));
        app.MapPost("/cgi-bin/externalcontact/groupchat/get_join_way", (HttpRequest request) => GetJoinWayAsync(request, rejected));
        app.MapPost("/cgi-bin/externalcontact/groupchat/get", (HttpRequest request) => GetChatAsync(request, rejected));
    }

    private static IResult Invalid(string why) => Results.Json(new { errcode = 40058, errmsg = $"invalid parameter: {why}" });

    private async Task<(JsonElement Body, IResult? Rejection)> ReadAsync(HttpRequest request, Func<HttpRequest, IResult?> rejected)
    {
        if (rejected(request) is { } rejection)
            return (default, rejection);
        var body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body);
        if (body.ValueKind != JsonValueKind.Object)
            return (default, Invalid("body must be a JSON object"));
        Calls.Enqueue((request.Path, body.Clone()));
        return (body, null);
    }

    private static string? State(JsonElement body) =>
        body.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.String ? state.GetString() : null;

    private async Task<IResult> AddContactWayAsync(HttpRequest request, Func<HttpRequest, IResult?> rejected)
    {
        var (body, rejection) = await ReadAsync(request, rejected);
        if (rejection is not null)
            return rejection;
        // type 1: one member; 2: several. scene 1: 小程序 plugin; 2: QR code (the only scene with a qr_code).
        var type = body.TryGetProperty("type", out var t) ? t.GetInt32() : 0;
        var scene = body.TryGetProperty("scene", out var s) ? s.GetInt32() : 0;
        if (type is not (1 or 2) || scene is not (1 or 2))
            return Invalid("type and scene must be 1 or 2");
        if (!body.TryGetProperty("user", out var user) || user.ValueKind != JsonValueKind.Array || user.GetArrayLength() == 0 || (type == 1 && user.GetArrayLength() != 1))
            return Invalid("user must list one member for type 1, one or more for type 2");
        if (State(body) is { Length: > 30 })
            return Invalid("state exceeds 30 characters");
        var configId = $"cw-{Interlocked.Increment(ref _ways)}";
        ContactWays[configId] = (user.EnumerateArray().Select(u => u.GetString()!).ToArray(), State(body));
        return scene == 2
            ? Results.Json(new { errcode = 0, errmsg = "ok", config_id = configId, qr_code = $"https://wework.qpic.cn/wwpic/contact/{configId}" })
            : Results.Json(new { errcode = 0, errmsg = "ok", config_id = configId });
    }

    private async Task<IResult> AddJoinWayAsync(HttpRequest request, Func<HttpRequest, IResult?> rejected)
    {
        var (body, rejection) = await ReadAsync(request, rejected);
        if (rejection is not null)
            return rejection;
        // scene 1: 群的小程序插件; 2: 群的二维码插件. chat_id_list: at most 5 groups. state: at most 30 characters.
        if (!body.TryGetProperty("scene", out var scene) || scene.GetInt32() is not (1 or 2))
            return Invalid("scene must be 1 or 2");
        if (!body.TryGetProperty("chat_id_list", out var chats) || chats.ValueKind != JsonValueKind.Array || chats.GetArrayLength() is 0 or > 5)
            return Invalid("chat_id_list must list 1-5 groups");
        if (State(body) is { Length: > 30 })
            return Invalid("state exceeds 30 characters");
        if (body.TryGetProperty("remark", out var remark) && remark.ValueKind == JsonValueKind.String && remark.GetString()!.Length > 30)
            return Invalid("remark exceeds 30 characters");
        var configId = $"jw-{Interlocked.Increment(ref _ways)}";
        JoinWays[configId] = (chats.EnumerateArray().Select(c => c.GetString()!).ToArray(), State(body));
        return Results.Json(new { errcode = 0, errmsg = "ok", config_id = configId });
    }

    private async Task<IResult> GetJoinWayAsync(HttpRequest request, Func<HttpRequest, IResult?> rejected)
    {
        var (body, rejection) = await ReadAsync(request, rejected);
        if (rejection is not null)
            return rejection;
        var configId = body.TryGetProperty("config_id", out var id) ? id.GetString() : null;
        if (configId is null || !JoinWays.TryGetValue(configId, out var way))
            return Results.Json(new { errcode = 41044, errmsg = "invalid config_id" });
        return Results.Json(new
        {
            errcode = 0, errmsg = "ok",
            join_way = new
            {
                config_id = configId, scene = 2, auto_create_room = 0, chat_id_list = way.Chats, state = way.State,
                qr_code = $"https://wework.qpic.cn/wwpic/join/{configId}",
            },
        });
    }

    private async Task<IResult> GetChatAsync(HttpRequest request, Func<HttpRequest, IResult?> rejected)
    {
        var (body, rejection) = await ReadAsync(request, rejected);
        if (rejection is not null)
            return rejection;
        var chatId = body.TryGetProperty("chat_id", out var id) ? id.GetString() : null;
        if (chatId is null || !Chats.TryGetValue(chatId, out var members))
            return Results.Json(new { errcode = 40050, errmsg = "chatid not exist" });
        return Results.Json(new
        {
            errcode = 0, errmsg = "ok",
            group_chat = new
            {
                chat_id = chatId, name = $"群 {chatId}", owner = "xiaomei", create_time = 1_798_000_000L,
                member_list = members.Select(m => new
                {
                    userid = m.UserId, type = m.Type, join_time = 1_798_000_100L, join_scene = m.JoinScene, invitor = new { userid = "xiaomei" },
                    state = m.State,
                }).ToList(),
                admin_list = Array.Empty<object>(),
            },
        });
    }
}
