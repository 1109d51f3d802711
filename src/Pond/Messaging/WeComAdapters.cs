using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.Logging;
using Pond.Storage;
using Pond.WeCom;

namespace Pond.Messaging;

/// <summary>The welcome message (欢迎语) answering an add, with the WelcomeCode from the callback (valid 20 seconds).</summary>
internal sealed class WeComWelcomeAdapter(WeComConnections wecom, ILogger<WeComWelcomeAdapter> logger) : IChannelAdapter
{
    public string Channel => OutboxChannels.WeComWelcome;

    public async Task<ChannelResult> SendAsync(ChannelSend message, CancellationToken cancellationToken)
    {
        var connection = await wecom.GetAsync(message.WorkspaceId);
        var client = connection is null ? null : wecom.ClientFor(connection);
        var nickname = message.Recipient?.DisplayName;
        if (nickname is null && client is not null && message.Payload["externalUserId"]?.GetValue<string>() is { } externalUserId)
        {
            try
            {
                nickname = (await client.GetExternalContactAsync(externalUserId, cancellationToken)).Name;
            }
            catch (Exception e) when (e is WeComApiException or HttpRequestException)
            {
                logger.LogInformation("No nickname for {ExternalUserId}: {Error}", externalUserId, e.Message);
            }
        }

        var text = WelcomeMessages.Render(message.Payload["template"]?.GetValue<string>(), nickname, message.Payload["staff"]?.GetValue<string>(), message.Payload["coupon"]?.GetValue<string>());
        message.Payload["text"] = text;
        if (client is null)
            return ChannelResult.Hold("WeCom is not connected with an app secret, so Pond cannot send it; the message is kept here.");
        try
        {
            await client.SendWelcomeMessageAsync(message.Payload["welcomeCode"]!.GetValue<string>(), text, message.Payload["material"]?.GetValue<string>(), cancellationToken);
            return ChannelResult.Sent();
        }
        catch (WeComApiException e) when (e.ErrorCode == 41051)
        {
            // The welcome code was used or has expired: retrying cannot help.
            return ChannelResult.Fail($"Permanent: {e.Message}");
        }
        catch (Exception e) when (e is WeComApiException or HttpRequestException or TaskCanceledException)
        {
            logger.LogWarning("Welcome message {Id} failed: {Error}", message.MessageId, e.Message);
            return ChannelResult.Retry(e.Message);
        }
    }
}

/// <summary>
/// WeCom 群发 tasks through externalcontact/add_msg_template: chat_type single (wecom_message, to the customer's external
/// user id) or group (wecom_group_message, to payload chatIds), sent as the staff member (payload staffId, else the
/// customer's owner) by their WeCom user id. Material from the content library becomes WeCom attachments.
/// </summary>
internal sealed class WeComTaskAdapter(bool group, Database database, WeComConnections wecom, MessagingLinks links, ILogger<WeComTaskAdapter> logger) : IChannelAdapter
{
    public string Channel => group ? OutboxChannels.WeComGroupMessage : OutboxChannels.WeComMessage;

    public async Task<ChannelResult> SendAsync(ChannelSend message, CancellationToken cancellationToken)
    {
        var connection = await wecom.GetAsync(message.WorkspaceId);
        var client = connection is null ? null : wecom.ClientFor(connection);
        if (client is null)
            return ChannelResult.Hold();
        var sender = message.Recipient?.StaffWecomUserId;
        if (message.Payload["staffId"]?.GetValue<string>() is { } staffText && Guid.TryParse(staffText, out var staffId))
        {
            await using var db = await database.OpenAsync(cancellationToken);
            sender = await db.QuerySingleOrDefaultAsync<string?>(
                "SELECT wecom_user_id FROM staff WHERE workspace_id = @workspaceId AND id = @staffId", new { workspaceId = message.WorkspaceId, staffId });
        }

        if (string.IsNullOrEmpty(sender))
            return ChannelResult.Fail("No sender: the staff member has no WeCom user id (set it on the staff page).");
        var chatIds = message.Payload["chatIds"] is JsonArray chats ? chats.Select(c => c!.GetValue<string>()).ToList() : [];
        List<string> externals = [];
        if (!group)
        {
            if (message.Recipient?.WecomExternalUserId is not { } external)
                return ChannelResult.Suppress(OutboxReasons.NoAddress);
            externals.Add(external);
        }

        try
        {
            var attachments = message.Material is null ? [] : await AttachmentsAsync(client, message.Material, cancellationToken);
            var (msgId, failList) = await client.AddMessageTemplateAsync(group, sender, externals, chatIds, message.Text, attachments, cancellationToken);
            if (!group && failList.Contains(externals[0]))
                return ChannelResult.Fail($"WeCom could not include {externals[0]}: the customer is not a contact of {sender} (or reached WeCom's daily limit).");
            return ChannelResult.Sent(msgId);
        }
        catch (WeComApiException e) when (e.ErrorCode is 40003 or 40058 or 41048 or 90206 or 90207)
        {
            return ChannelResult.Fail(e.Message);
        }
        catch (Exception e) when (e is WeComApiException or HttpRequestException or TaskCanceledException or IOException)
        {
            logger.LogWarning("WeCom task {Id} failed: {Error}", message.MessageId, e.Message);
            return ChannelResult.Retry(e.Message);
        }
    }

    /// <summary>WeCom's attachment shapes: image (media_id or pic_url), link, miniprogram, video (media_id).</summary>
    private async Task<IReadOnlyList<object>> AttachmentsAsync(WeComApiClient client, ContentMaterial material, CancellationToken cancellationToken)
    {
        switch (material.Kind)
        {
            case "image" or "poster":
                if (material.FilePath is not null && File(material.FilePath) is { } imageFile)
                    return [new JsonObject { ["msgtype"] = "image", ["image"] = new JsonObject { ["media_id"] = await UploadAsync(client, "image", imageFile, material, cancellationToken) } }];
                return material.Url is null ? [] : [new JsonObject { ["msgtype"] = "image", ["image"] = new JsonObject { ["pic_url"] = material.Url } }];
            case "video":
                if (material.FilePath is not null && File(material.FilePath) is { } videoFile)
                    return [new JsonObject { ["msgtype"] = "video", ["video"] = new JsonObject { ["media_id"] = await UploadAsync(client, "video", videoFile, material, cancellationToken) } }];
                return material.Url is null ? [] : [Link(material)];
            case "link" or "article":
                return material.Url is null ? [] : [Link(material)];
            case "mini_program":
                var appId = material.DataValue("appid") ?? material.DataValue("appId");
                var page = material.DataValue("page") ?? material.Url;
                var picMediaId = material.DataValue("pic_media_id") ?? material.DataValue("picMediaId");
                if (picMediaId is null && material.FilePath is not null && File(material.FilePath) is { } cover)
                    picMediaId = await UploadAsync(client, "image", cover, material, cancellationToken);
                return appId is null || page is null || picMediaId is null
                    ? []
                    : [new JsonObject { ["msgtype"] = "miniprogram", ["miniprogram"] = new JsonObject { ["title"] = material.Title, ["pic_media_id"] = picMediaId, ["appid"] = appId, ["page"] = page } }];
            default:
                return [];
        }
    }

    private static JsonObject Link(ContentMaterial material)
    {
        var link = new JsonObject { ["title"] = material.Title, ["url"] = material.Url };
        if (material.Body is { Length: > 0 } desc)
            link["desc"] = desc.Length > 120 ? desc[..120] : desc;
        if (material.DataValue("picurl") is { } pic)
            link["picurl"] = pic;
        return new JsonObject { ["msgtype"] = "link", ["link"] = link };
    }

    private string? File(string path)
    {
        var full = Path.IsPathRooted(path) ? path : links.DataDirectory is null ? null : Path.Combine(links.DataDirectory, path);
        return full is not null && System.IO.File.Exists(full) ? full : null;
    }

    private static async Task<string> UploadAsync(WeComApiClient client, string type, string path, ContentMaterial material, CancellationToken cancellationToken)
    {
        await using var stream = System.IO.File.OpenRead(path);
        return await client.UploadMediaAsync(type, Path.GetFileName(path), stream, material.FileType ?? "application/octet-stream", cancellationToken);
    }
}
