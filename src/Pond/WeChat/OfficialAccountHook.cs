using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Pond.Customers;
using Pond.Ingestion;
using Pond.Storage;
using Pond.WeCom;
using Pond.Workspaces;

namespace Pond.WeChat;

/// <summary>A workspace's official account (公众号): its app id (openids are scoped to it) and the server Token.</summary>
public sealed class OfficialAccountConnection
{
    public Guid WorkspaceId { get; init; }
    public string AppId { get; init; } = "";
    public string Token { get; init; } = "";
    public DateTimeOffset UpdatedAt { get; init; }
}

public sealed class OfficialAccountConnectionInput
{
    public string? AppId { get; set; }
    public string? Token { get; set; }
}

/// <summary>
/// The official-account callback: the signature check, then follow events written to the event log. subscribe
/// starts a fan relationship (credited to the live code whose state is the QR scene), unsubscribe ends it, and a
/// follower's SCAN of a parametric code is kept on their timeline.
/// </summary>
public sealed class OfficialAccountHook(Database database, EventLogWriter log, AuditLog audit, TimeProvider clock)
{
    public async Task<OfficialAccountConnection?> ConnectionAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<OfficialAccountConnection>(
            "SELECT workspace_id, app_id, token, updated_at FROM official_account_connections WHERE workspace_id = @workspaceId", new { workspaceId });
    }

    public async Task<OfficialAccountConnection> SaveAsync(Guid workspaceId, OfficialAccountConnectionInput input, string actor)
    {
        var appId = input.AppId?.Trim();
        if (string.IsNullOrEmpty(appId) || appId.Length > 64)
            throw new ValidationFailedException("appId is required: the official account's AppID (wx…), from 设置与开发 → 基本配置.", "appId");
        var token = input.Token?.Trim();
        if (string.IsNullOrEmpty(token) || token.Length is < 3 or > 32 || !token.All(char.IsAsciiLetterOrDigit))
            throw new ValidationFailedException("token is required: the server Token set in 基本配置, 3–32 letters and digits.", "token");
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO official_account_connections (workspace_id, app_id, token, updated_at) VALUES (@workspaceId, @appId, @token, @now)
            ON CONFLICT (workspace_id) DO UPDATE SET app_id = excluded.app_id, token = excluded.token, updated_at = excluded.updated_at
            """, new { workspaceId, appId, token, now = clock.GetUtcNow() }, transaction);
        await audit.RecordAsync(workspaceId, actor, "official_account.connect", appId, null, connection, transaction);
        await transaction.CommitAsync();
        return (await ConnectionAsync(workspaceId))!;
    }

    public async Task<string> VerifyUrlAsync(Guid workspaceId, string? signature, string? timestamp, string? nonce, string? echo)
    {
        await AuthenticateAsync(workspaceId, signature, timestamp, nonce);
        return echo ?? throw new CallbackRejectedException("echostr is missing.");
    }

    public async Task<int> ReceiveAsync(Guid workspaceId, string? signature, string? timestamp, string? nonce, string body)
    {
        var account = await AuthenticateAsync(workspaceId, signature, timestamp, nonce);
        var callback = OfficialAccountCallback.ParseEvent(body);
        var key = "wechat-oa:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)))[..32];
        var now = clock.GetUtcNow();
        var properties = new JsonObject { ["carrier_kind"] = CarrierKinds.OfficialAccount, ["carrier_id"] = account.AppId, ["source"] = "wechat_oa" };
        string name;
        if (callback.IsSubscribe)
        {
            name = TrackedEvents.RelationshipStarted;
            properties["state"] = callback.Scene;
        }
        else if (callback.IsUnsubscribe)
        {
            name = TrackedEvents.RelationshipEnded;
            properties["ended_by"] = EndedBy.Customer;
        }
        else if (callback.Event == "scan")
        {
            name = "Scanned QR Code";
            properties = new JsonObject { ["state"] = callback.Scene, ["source"] = "wechat_oa" };
        }
        else
        {
            return 0;
        }

        var occurredAt = callback.CreatedAt.ToUnixTimeSeconds() == 0 || callback.CreatedAt > now ? now : callback.CreatedAt;
        var message = new JsonObject
        {
            ["type"] = "track",
            ["event"] = name,
            ["messageId"] = key,
            ["timestamp"] = occurredAt.ToString("O"),
            ["context"] = new JsonObject { ["traits"] = new JsonObject { ["wechat_openid"] = callback.OpenId, ["wechat_appid"] = account.AppId } },
            ["properties"] = properties,
        };
        await log.AppendAsync([new EventRecord(workspaceId, key, "track", now, occurredAt, message.ToJsonString())]);
        return 1;
    }

    private async Task<OfficialAccountConnection> AuthenticateAsync(Guid workspaceId, string? signature, string? timestamp, string? nonce)
    {
        var account = await ConnectionAsync(workspaceId)
            ?? throw new NotFoundException("No official account is connected to this workspace: set its AppID and Token under Settings → Connections first.");
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(nonce))
            throw new CallbackSignatureException("signature, timestamp and nonce are required.");
        if (!OfficialAccountCallback.VerifySignature(account.Token, signature, timestamp, nonce))
            throw new CallbackSignatureException("The signature does not match: check the Token configured in the official account.");
        return account;
    }
}
