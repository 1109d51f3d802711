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

    /// <summary>Sends the welcome message for a new friend, with the WelcomeCode from the add_external_contact callback (valid 20 s).</summary>
    /// <param name="materialUrl">A page to attach as a link card, or null.</param>
    public async Task SendWelcomeMessageAsync(string welcomeCode, string text, string? materialUrl = null, CancellationToken cancellationToken = default)
    {
        object[]? attachments = materialUrl is null ? null : [new { msgtype = "link", link = new { title = LinkTitle(text), url = materialUrl } }];
        var body = new { welcome_code = welcomeCode, text = string.IsNullOrEmpty(text) ? null : new { content = text }, attachments };
        using var _ = await PostAsync("cgi-bin/externalcontact/send_welcome_msg", body, cancellationToken);
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
