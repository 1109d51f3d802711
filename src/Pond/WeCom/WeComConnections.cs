using System.Collections.Concurrent;
using Dapper;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.WeCom;

/// <summary>A workspace's WeCom app: what the callback needs (token, AES key, corp id) and, optionally, what API calls need (secret).</summary>
public sealed class WeComConnection
{
    public Guid WorkspaceId { get; init; }
    public string CorpId { get; init; } = "";
    public string Token { get; init; } = "";
    public string EncodingAesKey { get; init; } = "";
    public string? Secret { get; init; }
    public string? ApiBaseUrl { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Without the app secret Pond receives callbacks but cannot call WeCom (welcome messages wait in the console outbox).</summary>
    public bool CanCallApi => !string.IsNullOrEmpty(Secret);

    public WeComCrypto Crypto() => new(Token, EncodingAesKey, CorpId);
}

/// <summary>What an admin sends to connect WeCom.</summary>
public sealed class WeComConnectionInput
{
    public string? CorpId { get; set; }
    public string? Token { get; set; }
    public string? EncodingAesKey { get; set; }
    public string? Secret { get; set; }
    public string? ApiBaseUrl { get; set; }
}

/// <summary>
/// Stores each workspace's WeCom connection and hands out one API client per connection, so the access
/// token is cached across calls. Secrets never leave through the API (callers see whether one is set).
/// </summary>
public sealed class WeComConnections(Database database, AuditLog audit, TimeProvider clock) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(15) };
    private readonly ConcurrentDictionary<(Guid, string, string, string), WeComApiClient> _clients = new();
    private readonly ConcurrentDictionary<Guid, (WeComConnection? Connection, DateTimeOffset Read)> _cache = new();

    /// <summary>Callbacks arrive in bursts; the connection is read at most once a second per workspace.</summary>
    public async Task<WeComConnection?> GetAsync(Guid workspaceId)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(workspaceId, out var cached) && now - cached.Read < TimeSpan.FromSeconds(1))
            return cached.Connection;
        await using var connection = await database.OpenAsync();
        var row = await connection.QuerySingleOrDefaultAsync<WeComConnection>(
            "SELECT workspace_id, corp_id, token, encoding_aes_key, secret, api_base_url, updated_at FROM wecom_connections WHERE workspace_id = @workspaceId",
            new { workspaceId });
        _cache[workspaceId] = (row, now);
        return row;
    }

    public async Task<WeComConnection> SaveAsync(Guid workspaceId, WeComConnectionInput input, string actor)
    {
        var corpId = input.CorpId?.Trim();
        if (string.IsNullOrEmpty(corpId) || corpId.Length > 64)
            throw new ValidationFailedException("corpId is required: the 企业ID from WeCom's admin console (My Company), at most 64 characters.", "corpId");
        var token = input.Token?.Trim();
        if (string.IsNullOrEmpty(token) || token.Length > 32 || !token.All(char.IsAsciiLetterOrDigit))
            throw new ValidationFailedException("token is required: the callback Token set in WeCom, up to 32 letters and digits.", "token");
        var aesKey = input.EncodingAesKey?.Trim() ?? "";
        _ = new WeComCrypto(token, aesKey, corpId); // validates the key's length and alphabet
        var secret = string.IsNullOrWhiteSpace(input.Secret) ? null : input.Secret.Trim();
        var baseUrl = string.IsNullOrWhiteSpace(input.ApiBaseUrl) ? null : input.ApiBaseUrl.Trim();
        if (baseUrl is not null && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            throw new ValidationFailedException("apiBaseUrl must be an absolute http(s) URL, e.g. https://qyapi.weixin.qq.com/ (leave it empty for WeCom itself).", "apiBaseUrl");
        if (baseUrl is not null && !baseUrl.EndsWith('/'))
            baseUrl += "/";

        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        // Leaving the secret empty keeps the one already stored: the console never shows it back.
        await connection.ExecuteAsync(
            """
            INSERT INTO wecom_connections (workspace_id, corp_id, token, encoding_aes_key, secret, api_base_url, updated_at)
            VALUES (@workspaceId, @corpId, @token, @aesKey, @secret, @baseUrl, @now)
            ON CONFLICT (workspace_id) DO UPDATE SET corp_id = excluded.corp_id, token = excluded.token,
                encoding_aes_key = excluded.encoding_aes_key, secret = COALESCE(excluded.secret, wecom_connections.secret),
                api_base_url = excluded.api_base_url, updated_at = excluded.updated_at
            """, new { workspaceId, corpId, token, aesKey, secret, baseUrl, now }, transaction);
        await audit.RecordAsync(workspaceId, actor, "wecom.connect", corpId, new { corpId, secretChanged = secret is not null, baseUrl }, connection, transaction);
        await transaction.CommitAsync();
        _cache.TryRemove(workspaceId, out _);
        return (await GetAsync(workspaceId))!;
    }

    public async Task DeleteAsync(Guid workspaceId, string actor)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("DELETE FROM wecom_connections WHERE workspace_id = @workspaceId", new { workspaceId }, transaction);
        await audit.RecordAsync(workspaceId, actor, "wecom.disconnect", null, null, connection, transaction);
        await transaction.CommitAsync();
        _cache.TryRemove(workspaceId, out _);
    }

    /// <summary>The API client for a connection with a secret, or null when Pond may not call WeCom for this workspace.</summary>
    public WeComApiClient? ClientFor(WeComConnection connection)
    {
        if (!connection.CanCallApi)
            return null;
        var baseUrl = connection.ApiBaseUrl ?? WeComApiOptions.DefaultBaseUrl.ToString();
        return _clients.GetOrAdd((connection.WorkspaceId, connection.CorpId, connection.Secret!, baseUrl),
            key => new WeComApiClient(_http, new WeComApiOptions(key.Item2, key.Item3, new Uri(key.Item4)), clock));
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
            client.Dispose();
        _http.Dispose();
    }
}
