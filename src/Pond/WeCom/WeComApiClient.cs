using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pond.WeCom;

/// <summary>Where and as whom Pond calls WeCom. BaseUrl is configurable so tests and staging point elsewhere.</summary>
public sealed record WeComApiOptions(string CorpId, string Secret, Uri BaseUrl)
{
    public static readonly Uri DefaultBaseUrl = new("https://qyapi.weixin.qq.com/");
}

/// <summary>A WeCom API answer with errcode ≠ 0.</summary>
public sealed class WeComApiException(int errorCode, string errorMessage, string path)
    : Exception($"WeCom {path} answered errcode {errorCode}: {errorMessage}")
{
    public int ErrorCode { get; } = errorCode;
}

/// <summary>A contact way (联系我) as add_contact_way creates it: the QR a live code shows for one staff account.</summary>
public sealed record ContactWay(string ConfigId, string? QrCode);

public sealed record ExternalContact(string ExternalUserId, string? Name, string? UnionId, int? Gender, IReadOnlyList<FollowUser> FollowUsers);

public sealed record FollowUser(string UserId, string? State, DateTimeOffset? AddedAt);

/// <summary>A customer group join way (加入群聊): the QR code that admits people to one of its groups, tagged with a state.</summary>
public sealed record JoinWay(string ConfigId, string? QrCode, string? State, IReadOnlyList<string> ChatIds);

/// <summary>A member of a customer group as groupchat/get lists it: type 1 staff, 2 external contact; state is the join way's.</summary>
public sealed record GroupChatMember(string UserId, int Type, int? JoinScene, string? State, DateTimeOffset? JoinedAt);

/// <summary>A customer group's details (客户群详情).</summary>
public sealed record GroupChatDetail(string ChatId, string? Name, string? Owner, IReadOnlyList<GroupChatMember> Members);

/// <summary>Which of WeCom's two transfer APIs: 在职继承 (the member stays) or 离职继承 (the member has left).</summary>
public enum WeComTransferKind
{
    OnJob,
    Resigned,
}

/// <summary>WeCom's answer for one customer of a transfer request: errcode 0 means accepted (it completes within 24 h).</summary>
public sealed record CustomerTransferOutcome(string ExternalUserId, int ErrorCode);

/// <summary>
/// A customer's transfer state as transfer_result reports it: 1 接替完毕, 2 等待接替, 3 客户拒绝, 4 接替成员客户达到上限, 5 无接替记录.
/// </summary>
public sealed record CustomerTransferState(string ExternalUserId, int Status, DateTimeOffset? TakeoverAt);

/// <summary>One page of transfer_result; NextCursor is null on the last page.</summary>
public sealed record CustomerTransferPage(IReadOnlyList<CustomerTransferState> Customers, string? NextCursor);

/// <summary>A group chat WeCom would not hand to the new owner.</summary>
public sealed record GroupChatTransferFailure(string ChatId, int ErrorCode, string? ErrorMessage);

/// <summary>
/// The WeCom server API calls Pond makes (customer contact, 客户联系): access tokens, contact ways, welcome
/// messages, external contact details. Tokens are cached until shortly before they expire and refreshed once
/// when WeCom says a token is invalid or expired.
/// </summary>
public sealed class WeComApiClient(HttpClient http, WeComApiOptions options, TimeProvider clock) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private string? _token;
    private DateTimeOffset _tokenExpires;

    /// <summary>Creates a 联系我 QR for staff accounts (type 1 = one member, 2 = several), tagged with the live code's state.</summary>
    public async Task<ContactWay> AddContactWayAsync(IReadOnlyList<string> userIds, string state, bool skipVerify = true, CancellationToken cancellationToken = default)
    {
        if (userIds.Count == 0)
            throw new ValidationFailedException("A contact way needs at least one staff WeCom user id.", "userIds");
        if (state.Length > 30)
            throw new ValidationFailedException("WeCom limits a contact way's state to 30 characters.", "state");
        var body = new { type = userIds.Count == 1 ? 1 : 2, scene = 2, skip_verify = skipVerify, state, user = userIds };
        using var answer = await PostAsync("cgi-bin/externalcontact/add_contact_way", body, cancellationToken);
        var root = answer.RootElement;
        return new ContactWay(root.GetProperty("config_id").GetString()!, root.TryGetProperty("qr_code", out var qr) ? qr.GetString() : null);
    }

    /// <summary>WeCom's limit on a join way's state (配置客户群进群方式: state 不超过30个字符).</summary>
    public const int MaxJoinWayState = 30;

    /// <summary>
    /// Creates a 加入群聊 way (scene 2 = a QR code) for up to five groups, tagged with a state that WeCom then lists on each
    /// member who joins through it (groupchat/get member_list[].state). Returns its config id; <see cref="GetJoinWayAsync"/> has the QR.
    /// </summary>
    public async Task<string> AddJoinWayAsync(IReadOnlyList<string> chatIds, string state, string? remark = null, CancellationToken cancellationToken = default)
    {
        if (chatIds.Count is 0 or > 5)
            throw new ValidationFailedException("A join way names 1–5 group chats.", "chatIds");
        if (state.Length > MaxJoinWayState)
            throw new ValidationFailedException($"WeCom limits a join way's state to {MaxJoinWayState} characters.", "state");
        var body = new { scene = 2, remark = remark is { Length: > 30 } ? remark[..30] : remark, auto_create_room = 0, chat_id_list = chatIds, state };
        using var answer = await PostAsync("cgi-bin/externalcontact/groupchat/add_join_way", body, cancellationToken);
        return answer.RootElement.GetProperty("config_id").GetString()!;
    }

    /// <summary>A join way's settings, with the QR code WeCom made for it (获取客户群进群方式配置).</summary>
    public async Task<JoinWay> GetJoinWayAsync(string configId, CancellationToken cancellationToken = default)
    {
        using var answer = await PostAsync("cgi-bin/externalcontact/groupchat/get_join_way", new { config_id = configId }, cancellationToken);
        var way = answer.RootElement.GetProperty("join_way");
        return new JoinWay(
            way.GetProperty("config_id").GetString()!,
            way.TryGetProperty("qr_code", out var qr) ? qr.GetString() : null,
            way.TryGetProperty("state", out var state) ? state.GetString() : null,
            way.TryGetProperty("chat_id_list", out var chats) && chats.ValueKind == JsonValueKind.Array ? chats.EnumerateArray().Select(c => c.GetString()!).ToList() : []);
    }

    /// <summary>A customer group's details and members (获取客户群详情), with each member's join scene and join-way state.</summary>
    public async Task<GroupChatDetail> GetGroupChatAsync(string chatId, CancellationToken cancellationToken = default)
    {
        using var answer = await PostAsync("cgi-bin/externalcontact/groupchat/get", new { chat_id = chatId, need_name = 0 }, cancellationToken);
        var chat = answer.RootElement.GetProperty("group_chat");
        var members = chat.TryGetProperty("member_list", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(m => new GroupChatMember(
                m.GetProperty("userid").GetString()!,
                m.TryGetProperty("type", out var type) ? type.GetInt32() : 0,
                m.TryGetProperty("join_scene", out var scene) ? scene.GetInt32() : null,
                m.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.String && state.GetString()!.Length > 0 ? state.GetString() : null,
                m.TryGetProperty("join_time", out var joined) && joined.ValueKind == JsonValueKind.Number ? DateTimeOffset.FromUnixTimeSeconds(joined.GetInt64()) : null)).ToList()
            : [];
        return new GroupChatDetail(
            chat.GetProperty("chat_id").GetString()!,
            chat.TryGetProperty("name", out var name) ? name.GetString() : null,
            chat.TryGetProperty("owner", out var owner) ? owner.GetString() : null,
            members);
    }

    /// <summary>Sends the welcome message for a new friend, with the WelcomeCode from the add_external_contact callback (valid 20 s).</summary>
    /// <param name="materialUrl">A page to attach as a link card, or null.</param>
    public async Task SendWelcomeMessageAsync(string welcomeCode, string text, string? materialUrl = null, CancellationToken cancellationToken = default)
    {
        object[]? attachments = materialUrl is null ? null : [new { msgtype = "link", link = new { title = LinkTitle(text), url = materialUrl } }];
        var body = new { welcome_code = welcomeCode, text = string.IsNullOrEmpty(text) ? null : new { content = text }, attachments };
        using var _ = await PostAsync("cgi-bin/externalcontact/send_welcome_msg", body, cancellationToken);
    }

    /// <summary>
    /// Creates a 群发 task (创建企业群发, externalcontact/add_msg_template): chat_type single sends to the listed external contacts,
    /// group to the sender's (or the listed) customer groups; the sender confirms it in WeCom. Returns the msgid and the
    /// external contacts WeCom could not include (fail_list: not a friend of the sender, or over the limit).
    /// </summary>
    public async Task<(string MsgId, IReadOnlyList<string> FailList)> AddMessageTemplateAsync(
        bool group, string sender, IReadOnlyList<string> externalUserIds, IReadOnlyList<string> chatIds, string? text, IReadOnlyList<object> attachments,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(text) && attachments.Count == 0)
            throw new ValidationFailedException("A WeCom message task needs text or an attachment.", "text");
        if (attachments.Count > 9)
            throw new ValidationFailedException("WeCom takes at most 9 attachments on a message task.", "attachments");
        var body = new
        {
            chat_type = group ? "group" : "single",
            external_userid = group || externalUserIds.Count == 0 ? null : externalUserIds,
            chat_id_list = group && chatIds.Count > 0 ? chatIds : null,
            sender,
            allow_select = false,
            text = string.IsNullOrEmpty(text) ? null : new { content = text },
            attachments = attachments.Count == 0 ? null : attachments,
        };
        using var answer = await PostAsync("cgi-bin/externalcontact/add_msg_template", body, cancellationToken);
        var root = answer.RootElement;
        var failed = root.TryGetProperty("fail_list", out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().Select(f => f.GetString()!).ToList() : [];
        return (root.GetProperty("msgid").GetString()!, failed);
    }

    /// <summary>Uploads a temporary material (上传临时素材, media/upload: type image, voice, video or file; valid 3 days) and returns its media_id.</summary>
    public async Task<string> UploadMediaAsync(string type, string fileName, Stream content, string contentType, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        using var answer = await SendAsync(token =>
        {
            var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(buffer.ToArray());
            file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
            form.Add(file, "media", fileName);
            return new HttpRequestMessage(HttpMethod.Post, $"cgi-bin/media/upload?access_token={Uri.EscapeDataString(token)}&type={Uri.EscapeDataString(type)}") { Content = form };
        }, "cgi-bin/media/upload", cancellationToken);
        return answer.RootElement.GetProperty("media_id").GetString()!;
    }

    /// <summary>WeCom wants a link title of at most 128 bytes: the text's first line, shortened.</summary>
    private static string LinkTitle(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length == 0 ? "🔗" : line.Length <= 30 ? line : line[..30];
    }

    public async Task<ExternalContact> GetExternalContactAsync(string externalUserId, CancellationToken cancellationToken = default)
    {
        using var answer = await SendAsync(token => new HttpRequestMessage(HttpMethod.Get,
            $"cgi-bin/externalcontact/get?access_token={Uri.EscapeDataString(token)}&external_userid={Uri.EscapeDataString(externalUserId)}"),
            "cgi-bin/externalcontact/get", cancellationToken);
        var contact = answer.RootElement.GetProperty("external_contact");
        var follows = answer.RootElement.TryGetProperty("follow_user", out var list)
            ? list.EnumerateArray().Select(f => new FollowUser(
                f.GetProperty("userid").GetString()!,
                f.TryGetProperty("state", out var state) ? state.GetString() : null,
                f.TryGetProperty("createtime", out var created) ? DateTimeOffset.FromUnixTimeSeconds(created.GetInt64()) : null)).ToList()
            : [];
        return new ExternalContact(
            contact.GetProperty("external_userid").GetString()!,
            contact.TryGetProperty("name", out var name) ? name.GetString() : null,
            contact.TryGetProperty("unionid", out var union) ? union.GetString() : null,
            contact.TryGetProperty("gender", out var gender) ? gender.GetInt32() : null,
            follows);
    }

    /// <summary>WeCom takes at most 100 external contacts or group chats per transfer call.</summary>
    public const int MaxTransferBatch = 100;

    /// <summary>在职继承: hands customers of a member who stays to another member (分配在职成员的客户).</summary>
    public Task<IReadOnlyList<CustomerTransferOutcome>> TransferCustomerAsync(
        string handoverUserId, string takeoverUserId, IReadOnlyList<string> externalUserIds, string? transferSuccessMessage = null,
        CancellationToken cancellationToken = default)
    {
        if (transferSuccessMessage is { Length: > 200 })
            throw new ValidationFailedException("WeCom limits the message shown to a transferred customer to 200 characters.", "transferMessage");
        return TransferAsync("cgi-bin/externalcontact/transfer_customer", handoverUserId, takeoverUserId, externalUserIds,
            string.IsNullOrWhiteSpace(transferSuccessMessage) ? null : transferSuccessMessage, cancellationToken);
    }

    /// <summary>离职继承: hands customers of a member who has left to another member (分配离职成员的客户).</summary>
    public Task<IReadOnlyList<CustomerTransferOutcome>> ResignedTransferCustomerAsync(
        string handoverUserId, string takeoverUserId, IReadOnlyList<string> externalUserIds, CancellationToken cancellationToken = default) =>
        TransferAsync("cgi-bin/externalcontact/resigned/transfer_customer", handoverUserId, takeoverUserId, externalUserIds, null, cancellationToken);

    /// <summary>Where each customer of a transfer stands (查询客户接替状态), one page at a time.</summary>
    public async Task<CustomerTransferPage> TransferResultAsync(
        WeComTransferKind kind, string handoverUserId, string takeoverUserId, string? cursor = null, CancellationToken cancellationToken = default)
    {
        var path = kind == WeComTransferKind.Resigned ? "cgi-bin/externalcontact/resigned/transfer_result" : "cgi-bin/externalcontact/transfer_result";
        var body = new { handover_userid = handoverUserId, takeover_userid = takeoverUserId, cursor = string.IsNullOrEmpty(cursor) ? null : cursor };
        using var answer = await PostAsync(path, body, cancellationToken);
        var root = answer.RootElement;
        var customers = root.TryGetProperty("customer", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(c => new CustomerTransferState(
                c.GetProperty("external_userid").GetString()!,
                c.GetProperty("status").GetInt32(),
                c.TryGetProperty("takeover_time", out var at) && at.ValueKind == JsonValueKind.Number && at.GetInt64() > 0
                    ? DateTimeOffset.FromUnixTimeSeconds(at.GetInt64())
                    : null)).ToList()
            : [];
        var next = root.TryGetProperty("next_cursor", out var nextCursor) ? nextCursor.GetString() : null;
        return new CustomerTransferPage(customers, string.IsNullOrEmpty(next) ? null : next);
    }

    /// <summary>
    /// Hands group chats to a new owner: 分配在职成员的客户群 (onjob_transfer) or 分配离职成员的客户群 (transfer).
    /// Returns the chats WeCom refused; the others now belong to the new owner.
    /// </summary>
    public async Task<IReadOnlyList<GroupChatTransferFailure>> GroupChatTransferAsync(
        WeComTransferKind kind, IReadOnlyList<string> chatIds, string newOwner, CancellationToken cancellationToken = default)
    {
        if (chatIds.Count is 0 or > MaxTransferBatch)
            throw new ValidationFailedException($"A group chat transfer names 1–{MaxTransferBatch} chats.", "chatIds");
        var path = kind == WeComTransferKind.Resigned ? "cgi-bin/externalcontact/groupchat/transfer" : "cgi-bin/externalcontact/groupchat/onjob_transfer";
        using var answer = await PostAsync(path, new { chat_id_list = chatIds, new_owner = newOwner }, cancellationToken);
        return answer.RootElement.TryGetProperty("failed_chat_list", out var failed) && failed.ValueKind == JsonValueKind.Array
            ? failed.EnumerateArray().Select(f => new GroupChatTransferFailure(
                f.GetProperty("chat_id").GetString()!,
                f.GetProperty("errcode").GetInt32(),
                f.TryGetProperty("errmsg", out var message) ? message.GetString() : null)).ToList()
            : [];
    }

    private async Task<IReadOnlyList<CustomerTransferOutcome>> TransferAsync(
        string path, string handoverUserId, string takeoverUserId, IReadOnlyList<string> externalUserIds, string? message, CancellationToken cancellationToken)
    {
        if (externalUserIds.Count is 0 or > MaxTransferBatch)
            throw new ValidationFailedException($"A customer transfer names 1–{MaxTransferBatch} external contacts.", "externalUserIds");
        var body = new { handover_userid = handoverUserId, takeover_userid = takeoverUserId, external_userid = externalUserIds, transfer_success_msg = message };
        using var answer = await PostAsync(path, body, cancellationToken);
        return answer.RootElement.TryGetProperty("customer", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(c => new CustomerTransferOutcome(c.GetProperty("external_userid").GetString()!, c.GetProperty("errcode").GetInt32())).ToList()
            : [];
    }

    private Task<JsonDocument> PostAsync(string path, object body, CancellationToken cancellationToken) =>
        SendAsync(token => new HttpRequestMessage(HttpMethod.Post, $"{path}?access_token={Uri.EscapeDataString(token)}")
        {
            Content = JsonContent.Create(body, options: Json),
        }, path, cancellationToken);

    private async Task<JsonDocument> SendAsync(Func<string, HttpRequestMessage> request, string path, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var token = await TokenAsync(cancellationToken);
            using var message = request(token);
            message.RequestUri = new Uri(options.BaseUrl, message.RequestUri!);
            using var response = await http.SendAsync(message, cancellationToken);
            response.EnsureSuccessStatusCode();
            var answer = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var code = answer.RootElement.TryGetProperty("errcode", out var errcode) ? errcode.GetInt32() : 0;
            if (code == 0)
                return answer;
            var text = answer.RootElement.TryGetProperty("errmsg", out var errmsg) ? errmsg.GetString() ?? "" : "";
            answer.Dispose();
            // 40014 invalid access_token, 42001 access_token expired: fetch a new one and try once more.
            if (code is 40014 or 42001 && attempt == 0)
            {
                _token = null;
                continue;
            }

            throw new WeComApiException(code, text, path);
        }
    }

    private async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        if (_token is { } cached && clock.GetUtcNow() < _tokenExpires)
            return cached;
        await _tokenGate.WaitAsync(cancellationToken);
        try
        {
            if (_token is { } fresh && clock.GetUtcNow() < _tokenExpires)
                return fresh;
            var url = new Uri(options.BaseUrl, $"cgi-bin/gettoken?corpid={Uri.EscapeDataString(options.CorpId)}&corpsecret={Uri.EscapeDataString(options.Secret)}");
            using var answer = await http.GetFromJsonAsync<JsonDocument>(url, cancellationToken)
                ?? throw new WeComApiException(-1, "empty answer", "cgi-bin/gettoken");
            var root = answer.RootElement;
            var code = root.TryGetProperty("errcode", out var errcode) ? errcode.GetInt32() : 0;
            if (code != 0)
                throw new WeComApiException(code, root.GetProperty("errmsg").GetString() ?? "", "cgi-bin/gettoken");
            _token = root.GetProperty("access_token").GetString()!;
            // Refresh five minutes early so a call never goes out with a token about to lapse.
            _tokenExpires = clock.GetUtcNow().AddSeconds(root.GetProperty("expires_in").GetInt32() - 300);
            return _token;
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    public void Dispose() => _tokenGate.Dispose();
}
