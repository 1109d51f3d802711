using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pond.Tests.Messaging;

/// <summary>A small HTTP server on 127.0.0.1 for a provider stand-in.</summary>
internal sealed class LocalHttp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LocalHttp(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public static async Task<LocalHttp> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LocalHttp(app, new Uri(address + "/"));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>A webhook receiver: records each request (headers, body) and answers the next queued status (200 when none is queued).</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private LocalHttp _http = null!;

    public ConcurrentQueue<(string Signature, string Body)> Received { get; } = new();
    public ConcurrentQueue<int> Answers { get; } = new();
    public Uri Url => new(_http.BaseUrl, "hook");

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        receiver._http = await LocalHttp.StartAsync(app => app.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            receiver.Received.Enqueue((request.Headers["Pond-Signature"].ToString(), body));
            return Results.StatusCode(receiver.Answers.TryDequeue(out var status) ? status : 200);
        }));
        return receiver;
    }

    /// <summary>Verifies a signature header as docs/messaging.md tells receivers to: HMAC-SHA256(secret, "{t}.{body}") in hex, v1.</summary>
    public static bool Verify(string header, string body, string secret, DateTimeOffset now, TimeSpan tolerance)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1) || !long.TryParse(t, out var timestamp))
            return false;
        if (Math.Abs(now.ToUnixTimeSeconds() - timestamp) > tolerance.TotalSeconds)
            return false;
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}")));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(v1));
    }

    public async ValueTask DisposeAsync() => await _http.DisposeAsync();
}

/// <summary>
/// Twilio's Messages API as a stand-in: POST /2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP Basic auth
/// (Account SID : Auth Token) and form fields To, From, Body, StatusCallback; answers 201 with the message resource
/// (sid SM…, status queued) or Twilio's error JSON (401 code 20003; 400 code 21211 for an invalid To).
/// </summary>
internal sealed class TwilioStandIn : IAsyncDisposable
{
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string AuthToken = "twilio-auth-token-0123456789abcd";
    private LocalHttp _http = null!;
    private int _sent;

    public ConcurrentQueue<Dictionary<string, string>> Sent { get; } = new();
    public Uri BaseUrl => _http.BaseUrl;

    public static async Task<TwilioStandIn> StartAsync()
    {
        var twilio = new TwilioStandIn();
        twilio._http = await LocalHttp.StartAsync(app => app.MapPost("/2010-04-01/Accounts/{sid}/Messages.json", async (string sid, HttpRequest request) =>
        {
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}"));
            if (sid != AccountSid || request.Headers.Authorization.ToString() != expected)
                return Results.Json(new { code = 20003, message = "Authenticate", more_info = "https://www.twilio.com/docs/errors/20003", status = 401 }, statusCode: 401);
            if (!request.HasFormContentType)
                return Results.Json(new { code = 21200, message = "Invalid request", status = 400 }, statusCode: 400);
            var form = (await request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString());
            if (!form.TryGetValue("To", out var to) || !to.StartsWith('+') || to.Length < 8)
                return Results.Json(new { code = 21211, message = $"The 'To' number {to} is not a valid phone number.", status = 400 }, statusCode: 400);
            if (!form.TryGetValue("From", out var from) || !form.TryGetValue("Body", out var body) || body.Length is 0 or > 1600)
                return Results.Json(new { code = 21602, message = "Message body is required.", status = 400 }, statusCode: 400);
            twilio.Sent.Enqueue(form);
            var messageSid = $"SM{Interlocked.Increment(ref twilio._sent):D32}";
            return Results.Json(new { sid = messageSid, account_sid = AccountSid, to, from, body, status = "queued", num_segments = "1", direction = "outbound-api" }, statusCode: 201);
        }));
        return twilio;
    }

    /// <summary>Posts a callback to Pond the way Twilio does: form-encoded, signed with X-Twilio-Signature.</summary>
    public static async Task<HttpResponseMessage> CallbackAsync(HttpClient client, Uri url, Dictionary<string, string> form, string? authToken = AuthToken)
    {
        var data = new StringBuilder(url.ToString());
        foreach (var (name, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
            data.Append(name).Append(value);
#pragma warning disable CA5350 // Twilio's documented callback signature is HMAC-SHA1.
        var signature = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken!), Encoding.UTF8.GetBytes(data.ToString())));
#pragma warning restore CA5350
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.TryAddWithoutValidation("X-Twilio-Signature", signature);
        return await client.SendAsync(request);
    }

    public async ValueTask DisposeAsync() => await _http.DisposeAsync();
}

/// <summary>
/// A tiny SMTP server (RFC 5321) on 127.0.0.1: greeting, EHLO/HELO, AUTH LOGIN and PLAIN (RFC 4954), MAIL FROM, RCPT TO,
/// DATA with dot-unstuffing, RSET, NOOP, QUIT. Mail is kept as received; recipients outside <see cref="RefuseDomain"/> are accepted.
/// </summary>
internal sealed class SmtpStandIn : IAsyncDisposable
{
    public const string User = "pond@lumilane.test";
    public const string Password = "smtp-password";
    public const string RefuseDomain = "refused.test";
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public sealed record Mail(string From, IReadOnlyList<string> To, string Data);

    public ConcurrentQueue<Mail> Received { get; } = new();
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static SmtpStandIn Start()
    {
        var smtp = new SmtpStandIn();
        smtp._listener.Start();
        smtp._loop = smtp.AcceptAsync();
        return smtp;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        await writer.WriteLineAsync("220 smtp.standin.test ESMTP ready");
        string? from = null;
        var to = new List<string>();
        var authenticated = false;
        while (await reader.ReadLineAsync() is { } line)
        {
            var verb = line.Split(' ', 2)[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    await writer.WriteLineAsync("250-smtp.standin.test greets you");
                    await writer.WriteLineAsync("250-8BITMIME");
                    await writer.WriteLineAsync("250 AUTH LOGIN PLAIN");
                    break;
                case "HELO":
                    await writer.WriteLineAsync("250 smtp.standin.test");
                    break;
                case "AUTH":
                    var parts = line.Split(' ');
                    if (parts.Length >= 2 && parts[1].Equals("LOGIN", StringComparison.OrdinalIgnoreCase))
                    {
                        string user;
                        if (parts.Length == 3)
                            user = Decode(parts[2]);
                        else
                        {
                            await writer.WriteLineAsync("334 " + Convert.ToBase64String(Encoding.ASCII.GetBytes("Username:")));
                            user = Decode(await reader.ReadLineAsync() ?? "");
                        }

                        await writer.WriteLineAsync("334 " + Convert.ToBase64String(Encoding.ASCII.GetBytes("Password:")));
                        var password = Decode(await reader.ReadLineAsync() ?? "");
                        authenticated = user == User && password == Password;
                    }
                    else if (parts.Length == 3 && parts[1].Equals("PLAIN", StringComparison.OrdinalIgnoreCase))
                    {
                        var fields = Decode(parts[2]).Split('\0');
                        authenticated = fields.Length == 3 && fields[1] == User && fields[2] == Password;
                    }

                    await writer.WriteLineAsync(authenticated ? "235 2.7.0 Authentication successful" : "535 5.7.8 Authentication credentials invalid");
                    break;
                case "MAIL":
                    if (!authenticated)
                    {
                        await writer.WriteLineAsync("530 5.7.0 Authentication required");
                        break;
                    }

                    from = Address(line);
                    to.Clear();
                    await writer.WriteLineAsync("250 2.1.0 Ok");
                    break;
                case "RCPT":
                    if (from is null)
                    {
                        await writer.WriteLineAsync("503 5.5.1 Need MAIL command");
                        break;
                    }

                    var recipient = Address(line);
                    if (recipient.EndsWith("@" + RefuseDomain, StringComparison.OrdinalIgnoreCase))
                    {
                        await writer.WriteLineAsync("550 5.1.1 Mailbox unavailable");
                        break;
                    }

                    to.Add(recipient);
                    await writer.WriteLineAsync("250 2.1.5 Ok");
                    break;
                case "DATA":
                    if (from is null || to.Count == 0)
                    {
                        await writer.WriteLineAsync("503 5.5.1 Need RCPT command");
                        break;
                    }

                    await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                    var data = new StringBuilder();
                    while (await reader.ReadLineAsync() is { } dataLine && dataLine != ".")
                        data.Append(dataLine.StartsWith("..", StringComparison.Ordinal) ? dataLine[1..] : dataLine).Append("\r\n");
                    Received.Enqueue(new Mail(from, to.ToList(), data.ToString()));
                    from = null;
                    to.Clear();
                    await writer.WriteLineAsync("250 2.0.0 Ok: queued");
                    break;
                case "RSET":
                    from = null;
                    to.Clear();
                    await writer.WriteLineAsync("250 2.0.0 Ok");
                    break;
                case "NOOP":
                    await writer.WriteLineAsync("250 2.0.0 Ok");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 2.0.0 Bye");
                    return;
                default:
                    await writer.WriteLineAsync("502 5.5.2 Command not recognized");
                    break;
            }
        }
    }

    private static string Decode(string base64) => Encoding.UTF8.GetString(Convert.FromBase64String(base64.Trim()));

    private static string Address(string line)
    {
        var start = line.IndexOf('<', StringComparison.Ordinal);
        var end = line.IndexOf('>', StringComparison.Ordinal);
        return start >= 0 && end > start ? line[(start + 1)..end] : line.Split(':', 2)[1].Trim();
    }

    /// <summary>A header's value, with RFC 2047 encoded words (=?utf-8?B?…?=, =?utf-8?Q?…?=) decoded.</summary>
    public static string Header(string data, string name)
    {
        var lines = data.Split("\r\n");
        var value = new StringBuilder();
        var inside = false;
        foreach (var line in lines)
        {
            if (line.Length == 0)
                break;
            if (inside && (line.StartsWith(' ') || line.StartsWith('\t')))
            {
                value.Append(line.TrimStart());
                continue;
            }

            inside = line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase);
            if (inside)
                value.Append(line[(name.Length + 1)..].Trim());
        }

        return System.Text.RegularExpressions.Regex.Replace(value.ToString(), @"=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*", m =>
        {
            var encoding = Encoding.GetEncoding(m.Groups[1].Value);
            return m.Groups[2].Value is "B" or "b"
                ? encoding.GetString(Convert.FromBase64String(m.Groups[3].Value))
                : QuotedPrintable(m.Groups[3].Value.Replace('_', ' '), encoding);
        });
    }

    /// <summary>The body, decoded from its Content-Transfer-Encoding (base64, quoted-printable, 7bit/8bit).</summary>
    public static string Body(string data)
    {
        var split = data.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var body = data[(split + 4)..];
        return Header(data, "Content-Transfer-Encoding").ToLowerInvariant() switch
        {
            "base64" => Encoding.UTF8.GetString(Convert.FromBase64String(body.Replace("\r\n", "", StringComparison.Ordinal))),
            "quoted-printable" => QuotedPrintable(body.Replace("=\r\n", "", StringComparison.Ordinal), Encoding.UTF8),
            _ => body,
        };
    }

    private static string QuotedPrintable(string text, Encoding encoding)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '=' && i + 2 < text.Length && Uri.IsHexDigit(text[i + 1]) && Uri.IsHexDigit(text[i + 2]))
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(encoding.GetBytes(text[i].ToString()));
            }
        }

        return encoding.GetString(bytes.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>
/// WeCom's 创建企业群发 (externalcontact/add_msg_template) and 上传临时素材 (media/upload) as a stand-in, checked as WeCom
/// documents them: chat_type single needs external_userid (≤ 10000) and a sender, group needs a sender; text.content
/// ≤ 4000 bytes; at most 9 attachments, each with a msgtype of image (media_id or pic_url), link (title, url), miniprogram
/// (title, pic_media_id, appid, page), video or file (media_id). External contacts in <see cref="NotFriends"/> land in fail_list.
/// </summary>
internal sealed class WeComMessageStandIn
{
    private int _tasks;
    private int _media;

    public ConcurrentQueue<JsonElement> Tasks { get; } = new();
    public ConcurrentDictionary<string, (string Type, string FileName, int Length)> Media { get; } = new();
    public ConcurrentBag<string> NotFriends { get; } = [];

    public void Map(WebApplication app, Func<HttpRequest, IResult?> rejected)
    {
        app.MapPost("/cgi-bin/externalcontact/add_msg_template", async (HttpRequest request) =>
        {
            if (rejected(request) is { } rejection)
                return rejection;
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body);
            if (Check(body) is { } why)
                return Results.Json(new { errcode = 40058, errmsg = $"invalid parameter: {why}" });
            Tasks.Enqueue(body.Clone());
            var failed = body.TryGetProperty("external_userid", out var externals)
                ? externals.EnumerateArray().Select(e => e.GetString()!).Where(NotFriends.Contains).ToList()
                : [];
            return Results.Json(new { errcode = 0, errmsg = "ok", fail_list = failed, msgid = $"msgGAgAAAA{Interlocked.Increment(ref _tasks)}" });
        });
        app.MapPost("/cgi-bin/media/upload", async (HttpRequest request, string? type) =>
        {
            if (rejected(request) is { } rejection)
                return rejection;
            if (type is not ("image" or "voice" or "video" or "file"))
                return Results.Json(new { errcode = 40004, errmsg = "invalid media type" });
            if (!request.HasFormContentType)
                return Results.Json(new { errcode = 41005, errmsg = "media data missing" });
            var form = await request.ReadFormAsync();
            var file = form.Files["media"];
            if (file is null || file.Length <= 5)
                return Results.Json(new { errcode = 41005, errmsg = "media data missing" });
            var id = $"3a8asd892asd8asd{Interlocked.Increment(ref _media)}";
            Media[id] = (type, file.FileName, (int)file.Length);
            return Results.Json(new { errcode = 0, errmsg = "ok", type, media_id = id, created_at = "1380000000" });
        });
    }

    private string? Check(JsonElement body)
    {
        var chatType = body.TryGetProperty("chat_type", out var ct) ? ct.GetString() : "single";
        if (chatType is not ("single" or "group"))
            return "chat_type";
        var sender = body.TryGetProperty("sender", out var s) ? s.GetString() : null;
        if (chatType == "single")
        {
            if (!body.TryGetProperty("external_userid", out var externals) || externals.ValueKind != JsonValueKind.Array || externals.GetArrayLength() is 0 or > 10000)
                return "external_userid";
            if (string.IsNullOrEmpty(sender))
                return "sender";
        }
        else if (string.IsNullOrEmpty(sender))
        {
            return "sender";
        }

        var hasText = body.TryGetProperty("text", out var text) && text.TryGetProperty("content", out var content) && content.GetString() is { Length: > 0 } c
            && Encoding.UTF8.GetByteCount(c) <= 4000;
        var attachments = body.TryGetProperty("attachments", out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().ToList() : [];
        if (!hasText && attachments.Count == 0)
            return "text or attachments";
        if (attachments.Count > 9)
            return "attachments";
        foreach (var a in attachments)
        {
            var type = a.GetProperty("msgtype").GetString();
            var ok = type switch
            {
                "image" => a.TryGetProperty("image", out var i) && (i.TryGetProperty("media_id", out var m) && Media.ContainsKey(m.GetString()!) || i.TryGetProperty("pic_url", out _)),
                "link" => a.TryGetProperty("link", out var l) && l.TryGetProperty("title", out _) && l.TryGetProperty("url", out _),
                "miniprogram" => a.TryGetProperty("miniprogram", out var p) && p.TryGetProperty("title", out _) && p.TryGetProperty("pic_media_id", out _)
                                 && p.TryGetProperty("appid", out _) && p.TryGetProperty("page", out _),
                "video" => a.TryGetProperty("video", out var v) && v.TryGetProperty("media_id", out var vm) && Media.ContainsKey(vm.GetString()!),
                "file" => a.TryGetProperty("file", out var f) && f.TryGetProperty("media_id", out _),
                _ => false,
            };
            if (!ok)
                return $"attachment {type}";
        }

        return null;
    }
}
