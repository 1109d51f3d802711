using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Pond.Storage;

namespace Pond.Content;

/// <summary>
/// Tracked links (docs/content.md#tracked-links): one short code per (item, target URL). /l/{code}?c={token} counts the
/// click — the customer when the token is valid, else the browser's visitor cookie — and redirects. A conversion is an
/// order (not fully refunded) by a customer who clicked one of the item's links at most <see cref="ConversionWindow"/>
/// before placing it; each order counts once per item however often its customer clicked.
/// </summary>
internal sealed partial class ContentLinks(Database database, TimeProvider clock)
{
    public static readonly TimeSpan ConversionWindow = TimeSpan.FromDays(7);

    /// <summary>No 0/o/1/l/i: a code read aloud or retyped from a poster stays unambiguous.</summary>
    private const string Alphabet = "23456789abcdefghjkmnpqrstuvwxyz";
    public const int CodeLength = 8;

    [GeneratedRegex(@"https?://[^\s<>""'，。！？、）)】]+", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPattern();

    /// <summary>The URLs an item's tracked links lead to, in order.</summary>
    public static IReadOnlyList<string> Targets(ContentItem item) => item.Kind switch
    {
        ContentKinds.Link or ContentKinds.Article when item.Url is { } url => [url],
        ContentKinds.Text when item.TrackLinks => UrlsIn(item.Body),
        _ => [],
    };

    public static IReadOnlyList<string> UrlsIn(string? text) =>
        text is null ? [] : UrlPattern().Matches(text).Select(m => m.Value.TrimEnd('.', ',', ';', ':')).Distinct(StringComparer.Ordinal).ToList();

    private static string NewCode() => string.Create(CodeLength, 0, (span, _) =>
    {
        for (var i = 0; i < span.Length; i++)
            span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
    });

    /// <summary>Gives every current target of the item a code. Old codes stay: messages already sent keep working.</summary>
    public async Task SyncAsync(DbConnection connection, DbTransaction transaction, ContentItem item)
    {
        foreach (var target in Targets(item))
        {
            for (var attempt = 0; ; attempt++)
            {
                // DO NOTHING on either unique key: the (item, target) pair already coded, or (rarely) a code taken.
                await connection.ExecuteAsync(
                    """
                    INSERT INTO content_links (id, workspace_id, item_id, code, target_url, created_at)
                    VALUES (@id, @workspaceId, @itemId, @code, @target, @now) ON CONFLICT DO NOTHING
                    """, new { id = Guid.CreateVersion7(), workspaceId = item.WorkspaceId, itemId = item.Id, code = NewCode(), target, now = clock.GetUtcNow() }, transaction);
                var coded = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM content_links WHERE item_id = @itemId AND target_url = @target",
                    new { itemId = item.Id, target }, transaction);
                if (coded > 0)
                    break;
                if (attempt > 5)
                    throw new InvalidOperationException("Could not find a free short code for a tracked link.");
            }
        }
    }

    public async Task<IReadOnlyList<ContentLink>> ForItemAsync(Guid workspaceId, Guid itemId)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<ContentLink>(
            "SELECT id, workspace_id, item_id, code, target_url, created_at FROM content_links WHERE item_id = @itemId AND workspace_id = @workspaceId ORDER BY created_at, code",
            new { itemId, workspaceId })).AsList();
    }

    // ---- customer tokens ----

    private async Task<byte[]> SecretAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        // First use makes the key; a concurrent first use keeps whichever row landed first.
        await connection.ExecuteAsync("INSERT INTO content_link_keys (workspace_id, secret, created_at) VALUES (@workspaceId, @secret, @now) ON CONFLICT DO NOTHING",
            new { workspaceId, secret, now = clock.GetUtcNow() });
        return Convert.FromBase64String(await connection.ExecuteScalarAsync<string>("SELECT secret FROM content_link_keys WHERE workspace_id = @workspaceId", new { workspaceId })
            ?? throw new InvalidOperationException("The tracked-link key was not stored."));
    }

    private static string Sign(byte[] secret, Guid workspaceId, Guid customerId)
    {
        var mac = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes($"{workspaceId:N}:{customerId:N}"));
        return Convert.ToBase64String(mac, 0, 9).Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The c= value for a customer: their id and a signature, so a click cannot be credited to someone else by hand.</summary>
    public async Task<string> TokenAsync(Guid workspaceId, Guid customerId) => $"{customerId:N}.{Sign(await SecretAsync(workspaceId), workspaceId, customerId)}";

    private static Guid? Verify(byte[] secret, Guid workspaceId, string? token)
    {
        if (token is null || token.Length != 45 || token[32] != '.' || !Guid.TryParseExact(token.AsSpan(0, 32), "N", out var customerId))
            return null;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, workspaceId, customerId));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(token[33..])) ? customerId : null;
    }

    /// <summary>A personal URL for a tracked link: /l/{code} with the customer's token when there is a customer.</summary>
    public static string PersonalUrl(string origin, string code, string? token) =>
        $"{origin.TrimEnd('/')}/l/{code}" + (token is null ? "" : $"?c={Uri.EscapeDataString(token)}");

    /// <summary>
    /// The item's words as a customer receives them: a text script's tracked URLs (and a link's URL) replaced by personal
    /// short links. Variables are left for the sender to fill (MessageVariables.Render).
    /// </summary>
    public async Task<(string? Body, string? Url)> PersonalizeAsync(ContentItem item, Guid? customerId, string origin)
    {
        var coded = (await ForItemAsync(item.WorkspaceId, item.Id)).ToDictionary(l => l.TargetUrl, l => l.Code, StringComparer.Ordinal);
        var token = customerId is { } id ? await TokenAsync(item.WorkspaceId, id) : null;
        string? Swap(string? url) => url is not null && coded.TryGetValue(url, out var code) ? PersonalUrl(origin, code, token) : url;
        var body = item.Kind == ContentKinds.Text && item.TrackLinks && item.Body is { } text
            ? UrlPattern().Replace(text, m =>
            {
                var url = m.Value.TrimEnd('.', ',', ';', ':');
                return Swap(url) + m.Value[url.Length..];
            })
            : item.Body;
        return (body, Swap(item.Url));
    }

    // ---- clicks ----

    private sealed class LinkRow
    {
        public Guid Id { get; init; }
        public Guid WorkspaceId { get; init; }
        public Guid ItemId { get; init; }
        public string TargetUrl { get; init; } = "";
        public string TimeZone { get; init; } = "Asia/Shanghai";
        public string? Secret { get; init; }
    }

    /// <summary>
    /// Counts a click and returns where to send the browser; null for an unknown code. <paramref name="visitor"/> is the
    /// browser's visitor id (a cookie), used when the link carries no valid customer token.
    /// </summary>
    public async Task<string?> ClickAsync(string code, string? token, string visitor)
    {
        if (code.Length != CodeLength)
            return null;
        await using var connection = await database.OpenAsync();
        var link = await connection.QuerySingleOrDefaultAsync<LinkRow>(
            """
            SELECT l.id, l.workspace_id, l.item_id, l.target_url, w.time_zone, k.secret
            FROM content_links l JOIN workspaces w ON w.id = l.workspace_id LEFT JOIN content_link_keys k ON k.workspace_id = l.workspace_id
            WHERE l.code = @code
            """, new { code });
        if (link is null)
            return null;
        Guid? customerId = null;
        if (token is not null && link.Secret is not null && Verify(Convert.FromBase64String(link.Secret), link.WorkspaceId, token) is { } signed
            && await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customers WHERE id = @signed AND workspace_id = @WorkspaceId", new { signed, link.WorkspaceId }) > 0)
            customerId = signed;
        var now = clock.GetUtcNow();
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(link.TimeZone, out var z) ? z : TimeZoneInfo.Utc;
        var local = TimeZoneInfo.ConvertTime(now, zone);
        await connection.ExecuteAsync(
            """
            INSERT INTO content_link_clicks (id, workspace_id, link_id, item_id, customer_id, visitor, day, at)
            VALUES (@id, @WorkspaceId, @linkId, @ItemId, @customerId, @visitor, @day, @now)
            """, new
            {
                id = Guid.CreateVersion7(), link.WorkspaceId, linkId = link.Id, link.ItemId, customerId,
                visitor = customerId is { } c ? $"c:{c:N}" : $"v:{visitor}", day = (local.Year * 10000) + (local.Month * 100) + local.Day, now,
            });
        return link.TargetUrl;
    }

    // ---- figures ----

    private (string Sql, object Value) Ids(IReadOnlyCollection<Guid> ids) => database.IsSqlite
        ? ("IN (SELECT value FROM json_each(@ids))", JsonSerializer.Serialize(ids))
        : ("= ANY(@ids)", ids.ToArray());

    /// <summary>Clicks, unique clickers, conversions and their GMV for each of the items.</summary>
    public async Task<IReadOnlyDictionary<Guid, ContentLinkStats>> StatsAsync(Guid workspaceId, IReadOnlyCollection<Guid> itemIds)
    {
        if (itemIds.Count == 0)
            return new Dictionary<Guid, ContentLinkStats>();
        var (idsSql, ids) = Ids(itemIds);
        await using var connection = await database.OpenAsync();
        var clicks = (await connection.QueryAsync<ContentLinkStats>(
            $"""
            SELECT item_id, COUNT(*) AS clicks, COUNT(DISTINCT visitor) AS unique_clickers
            FROM content_link_clicks WHERE workspace_id = @workspaceId AND item_id {idsSql} GROUP BY item_id
            """, new { workspaceId, ids })).ToDictionary(s => s.ItemId);
        var conversions = (await connection.QueryAsync<ContentLinkStats>(
            $"""
            SELECT x.item_id, COUNT(*) AS conversions, COALESCE(SUM(x.net), 0) AS conversion_gmv_fen FROM (
                SELECT DISTINCT c.item_id, o.id, o.paid - o.refunded AS net
                FROM content_link_clicks c
                JOIN orders o ON o.workspace_id = c.workspace_id AND o.customer_id = c.customer_id
                WHERE c.workspace_id = @workspaceId AND c.item_id {idsSql} AND c.customer_id IS NOT NULL
                  AND o.placed_at >= c.at AND o.placed_at <= c.at + @window AND o.status <> 'refunded'
            ) x GROUP BY x.item_id
            """, new { workspaceId, ids, window = (long)ConversionWindow.TotalMilliseconds })).ToDictionary(s => s.ItemId);
        return itemIds.Distinct().ToDictionary(id => id, id => new ContentLinkStats
        {
            ItemId = id,
            Clicks = clicks.GetValueOrDefault(id)?.Clicks ?? 0,
            UniqueClickers = clicks.GetValueOrDefault(id)?.UniqueClickers ?? 0,
            Conversions = conversions.GetValueOrDefault(id)?.Conversions ?? 0,
            ConversionGmvFen = conversions.GetValueOrDefault(id)?.ConversionGmvFen ?? 0,
        });
    }

    /// <summary>Clicks and unique visitors per local day, the last <paramref name="days"/> days with clicks.</summary>
    public async Task<IReadOnlyList<ContentClickDay>> DaysAsync(Guid workspaceId, Guid itemId, int days = 30)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<ContentClickDay>(
            """
            SELECT day, COUNT(*) AS clicks, COUNT(DISTINCT visitor) AS unique_visitors
            FROM content_link_clicks WHERE workspace_id = @workspaceId AND item_id = @itemId AND at >= @from
            GROUP BY day ORDER BY day
            """, new { workspaceId, itemId, from = clock.GetUtcNow().AddDays(-days) })).AsList();
    }

    /// <summary>Each link of the item with its clicks and unique visitors.</summary>
    public async Task<IReadOnlyList<ContentLinkCount>> LinkCountsAsync(Guid workspaceId, Guid itemId)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<ContentLinkCount>(
            """
            SELECT l.id AS link_id, l.code, l.target_url, COUNT(c.id) AS clicks, COUNT(DISTINCT c.visitor) AS unique_visitors
            FROM content_links l LEFT JOIN content_link_clicks c ON c.link_id = l.id
            WHERE l.workspace_id = @workspaceId AND l.item_id = @itemId
            GROUP BY l.id, l.code, l.target_url, l.created_at ORDER BY l.created_at, l.code
            """, new { workspaceId, itemId })).AsList();
    }
}
