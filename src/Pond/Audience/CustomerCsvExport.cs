using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using CsvHelper;
using Dapper;
using Pond.Customers;
using Pond.Storage;

namespace Pond.Audience;

/// <summary>How an export looks.</summary>
public sealed record CustomerExportOptions
{
    /// <summary>Mask phone and email the way customer lists do (138****5678, l***@example.com).</summary>
    public bool Mask { get; init; }

    /// <summary>The trait columns, in this order; null: every trait key the exported customers have, sorted.</summary>
    public IReadOnlyList<string>? TraitKeys { get; init; }
}

/// <summary>
/// Writes customers to CSV (UTF-8 with a BOM, so Excel shows Chinese correctly), reading them a thousand ids at a
/// time from any id sequence: the whole pool, a filtered list, a segment. The columns are the import format's
/// (docs/import.md), so an export can be edited and imported again: identities by kind, name, tags joined by |,
/// traits typed in the header (age:number). The read-only columns (id, depth, owner, consent, first/last seen and
/// order) are ignored by the importer.
/// </summary>
public sealed class CustomerCsvExport(Database database)
{
    public const int ChunkSize = 1000;

    /// <summary>Columns an export writes that describe Pond's view of the customer; an import skips them.</summary>
    public static readonly IReadOnlyList<string> ReadOnlyColumns =
        ["id", "depth", "owner_staff", "marketing_opt_out", "first_seen_at", "last_seen_at", "first_order_at", "last_order_at"];

    private static readonly string[] IdentityColumns =
    [
        IdentityKinds.Phone, IdentityKinds.Email, IdentityKinds.UserId, IdentityKinds.WechatUnionId, IdentityKinds.WecomExternalUserId,
        IdentityKinds.TmallBuyerId, IdentityKinds.JdBuyerId, IdentityKinds.DouyinBuyerId,
    ];

    /// <summary>
    /// Writes the customers <paramref name="ids"/> names (in its order; ids of other workspaces or unknown ids are
    /// skipped) and returns how many were written. <paramref name="ids"/> is enumerated twice when the trait columns
    /// are not given: once to find them, once to write.
    /// </summary>
    public async Task<long> WriteAsync(Guid workspaceId, Func<IAsyncEnumerable<Guid>> ids, Stream output, CustomerExportOptions options,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var openIdScopes = new SortedSet<string>(StringComparer.Ordinal);
        List<(string Key, string Header)> traits;
        if (options.TraitKeys is { } given)
        {
            traits = given.Select(k => (k, TraitHeader(k, TraitKind.String))).ToList();
            await foreach (var chunk in Chunks(ids(), cancellationToken))
                openIdScopes.UnionWith(await OpenIdScopesAsync(connection, workspaceId, chunk));
        }
        else
        {
            var kinds = new SortedDictionary<string, TraitKind>(StringComparer.Ordinal);
            await foreach (var chunk in Chunks(ids(), cancellationToken))
            {
                openIdScopes.UnionWith(await OpenIdScopesAsync(connection, workspaceId, chunk));
                foreach (var row in await CustomersAsync(connection, workspaceId, chunk))
                    Observe(kinds, row.Traits);
            }

            traits = kinds.Where(k => !IsReserved(k.Key)).Select(k => (k.Key, TraitHeader(k.Key, k.Value))).ToList();
        }

        await using var text = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), 1 << 16, leaveOpen: true);
        await using var csv = new CsvWriter(text, CultureInfo.InvariantCulture);
        foreach (var column in (string[])["id", "name", .. IdentityColumns])
            csv.WriteField(column);
        foreach (var scope in openIdScopes)
            csv.WriteField($"{IdentityKinds.WechatOpenId}@{scope}");
        foreach (var column in (string[])["tags", "depth", "owner_staff", "marketing_opt_out", "first_seen_at", "last_seen_at", "first_order_at", "last_order_at"])
            csv.WriteField(column);
        foreach (var (_, header) in traits)
            csv.WriteField(header);
        await csv.NextRecordAsync();

        long written = 0;
        await foreach (var chunk in Chunks(ids(), cancellationToken))
        {
            var rows = (await CustomersAsync(connection, workspaceId, chunk)).ToDictionary(r => r.Id);
            var identities = (await QueryChunkAsync<IdentityRow>(connection,
                    "SELECT customer_id, kind, scope, value FROM identities WHERE workspace_id = @ws AND customer_id", workspaceId, chunk))
                .OrderBy(i => i.Value, StringComparer.Ordinal).ToLookup(i => i.CustomerId);
            var tags = (await QueryChunkAsync<TagRow>(connection,
                    "SELECT customer_id, tag FROM customer_tags WHERE workspace_id = @ws AND customer_id", workspaceId, chunk))
                .OrderBy(t => t.Tag, StringComparer.Ordinal).ToLookup(t => t.CustomerId);
            foreach (var id in chunk)
            {
                if (!rows.TryGetValue(id, out var row))
                    continue;
                var own = identities[id].ToList();
                csv.WriteField(id.ToString());
                csv.WriteField(Defuse(row.DisplayName ?? ""));
                foreach (var kind in IdentityColumns)
                {
                    var value = own.FirstOrDefault(i => i.Kind == kind)?.Value ?? "";
                    csv.WriteField(options.Mask && value.Length > 0 ? Masking.Identity(kind, value) : Defuse(value));
                }

                foreach (var scope in openIdScopes)
                    csv.WriteField(own.FirstOrDefault(i => i.Kind == IdentityKinds.WechatOpenId && i.Scope == scope)?.Value ?? "");
                csv.WriteField(Defuse(string.Join('|', tags[id].Select(t => t.Tag))));
                csv.WriteField(DepthNames.Of((Depth)row.Depth));
                csv.WriteField(Defuse(row.OwnerStaffName ?? ""));
                csv.WriteField(row.MarketingOptOut ? "true" : "false");
                csv.WriteField(Time(row.FirstSeenAt));
                csv.WriteField(Time(row.LastSeenAt));
                csv.WriteField(Time(row.FirstOrderAt));
                csv.WriteField(Time(row.LastOrderAt));
                WriteTraits(csv, row.Traits, traits, options.Mask);
                await csv.NextRecordAsync();
                written++;
            }

            await csv.FlushAsync();
        }

        return written;
    }

    /// <summary>Every customer of the workspace (or of one owner), by id: keyset pages, never the whole list at once.</summary>
    public async IAsyncEnumerable<Guid> AllIdsAsync(Guid workspaceId, Guid? ownedBy, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Guid? after = null;
        while (true)
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            var page = (await connection.QueryAsync<Guid>(
                "SELECT id FROM customers WHERE workspace_id = @ws" + (ownedBy is null ? "" : " AND owner_staff_id = @owner")
                + (after is null ? "" : " AND id > @after") + " ORDER BY id LIMIT @take",
                new { ws = workspaceId, owner = ownedBy, after, take = ChunkSize })).AsList();
            foreach (var id in page)
                yield return id;
            if (page.Count < ChunkSize)
                yield break;
            after = page[^1];
        }
    }

    private static async IAsyncEnumerable<List<Guid>> Chunks(IAsyncEnumerable<Guid> ids, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var chunk = new List<Guid>(ChunkSize);
        await foreach (var id in ids.WithCancellation(cancellationToken))
        {
            chunk.Add(id);
            if (chunk.Count == ChunkSize)
            {
                yield return chunk;
                chunk = new List<Guid>(ChunkSize);
            }
        }

        if (chunk.Count > 0)
            yield return chunk;
    }

    private async Task<List<CustomerRow>> CustomersAsync(System.Data.Common.DbConnection connection, Guid workspaceId, List<Guid> chunk) =>
        await QueryChunkAsync<CustomerRow>(connection,
            """
            SELECT c.id, c.display_name, c.traits, c.depth, s.name AS owner_staff_name, c.marketing_opt_out,
                   c.first_seen_at, c.last_seen_at, c.first_order_at, c.last_order_at
            FROM customers c LEFT JOIN staff s ON s.id = c.owner_staff_id AND s.workspace_id = c.workspace_id
            WHERE c.workspace_id = @ws AND c.id
            """, workspaceId, chunk);

    private async Task<IEnumerable<string>> OpenIdScopesAsync(System.Data.Common.DbConnection connection, Guid workspaceId, List<Guid> chunk) =>
        (await QueryChunkAsync<IdentityRow>(connection,
            $"SELECT customer_id, kind, scope, value FROM identities WHERE workspace_id = @ws AND kind = '{IdentityKinds.WechatOpenId}' AND customer_id",
            workspaceId, chunk)).Select(i => i.Scope);

    /// <summary>Runs <paramref name="sql"/> (ending in the id column) for one chunk: a JSON array on SQLite, an array on PostgreSQL.</summary>
    private async Task<List<T>> QueryChunkAsync<T>(System.Data.Common.DbConnection connection, string sql, Guid workspaceId, List<Guid> chunk)
    {
        var ids = database.IsSqlite ? (object)JsonSerializer.Serialize(chunk.Select(id => id.ToString())) : chunk.ToArray();
        return (await connection.QueryAsync<T>(
            sql + (database.IsSqlite ? " IN (SELECT value FROM json_each(@ids))" : " = ANY(@ids)"), new { ws = workspaceId, ids })).AsList();
    }

    private enum TraitKind
    {
        None,
        Number,
        Bool,
        Date,
        String,
    }

    private static void Observe(SortedDictionary<string, TraitKind> kinds, string traitsJson)
    {
        using var document = Parse(traitsJson);
        if (document?.RootElement.ValueKind != JsonValueKind.Object)
            return;
        foreach (var property in document.RootElement.EnumerateObject())
        {
            var kind = property.Value.ValueKind switch
            {
                JsonValueKind.Number => TraitKind.Number,
                JsonValueKind.True or JsonValueKind.False => TraitKind.Bool,
                JsonValueKind.String when IsDate(property.Value.GetString()!) => TraitKind.Date,
                JsonValueKind.Null => TraitKind.None,
                _ => TraitKind.String,
            };
            kinds[property.Name] = kinds.TryGetValue(property.Name, out var seen) && seen != TraitKind.None && kind != TraitKind.None && seen != kind
                ? TraitKind.String
                : kind == TraitKind.None && kinds.TryGetValue(property.Name, out var before) ? before : kind;
        }
    }

    private static bool IsDate(string value) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
        || (value.Length > 10 && value[10] == 'T' && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            && (value.EndsWith('Z') || value.LastIndexOfAny(['+', '-']) > 10));

    /// <summary>Trait keys that an import would read as something else (identities, name, tags, the read-only columns).</summary>
    private static bool IsReserved(string key)
    {
        var lower = key.ToLowerInvariant();
        return lower is "name" or "tags" or "action" or "mobile" or "wechat_appid" || IdentityKinds.IsValid(lower) || ReadOnlyColumns.Contains(lower)
               || lower.StartsWith(IdentityKinds.WechatOpenId + "@", StringComparison.Ordinal);
    }

    private static string TraitHeader(string key, TraitKind kind) => kind switch
    {
        TraitKind.Number => key + ":number",
        TraitKind.Bool => key + ":bool",
        TraitKind.Date => key + ":date",
        // A key that holds a colon needs the type spelled out, or its tail would be read as the type.
        _ => key.Contains(':', StringComparison.Ordinal) ? key + ":string" : key,
    };

    private static void WriteTraits(CsvWriter csv, string traitsJson, List<(string Key, string Header)> columns, bool mask)
    {
        using var document = Parse(traitsJson);
        var root = document?.RootElement;
        foreach (var (key, _) in columns)
        {
            if (root is not { ValueKind: JsonValueKind.Object } r || !r.TryGetProperty(key, out var value))
            {
                csv.WriteField("");
                continue;
            }

            var text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString()!,
                JsonValueKind.Number => value.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                JsonValueKind.Null => "",
                _ => value.GetRawText(),
            };
            csv.WriteField(mask && Masking.IsPersonalTrait(key) && text.Length > 0 ? Masking.Trait(key, text) : Defuse(text));
        }
    }

    private static JsonDocument? Parse(string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Time(DateTimeOffset? value) => value?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";

    /// <summary>Text from people is kept from being read as a formula by a spreadsheet; the importer removes the mark again.</summary>
    public static string Defuse(string value) =>
        value.Length > 0 && "=+-@\t\r".Contains(value[0], StringComparison.Ordinal) && !decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? "'" + value
            : value;

    /// <summary>Undoes <see cref="Defuse"/>.</summary>
    public static string Undefuse(string value) =>
        value.Length > 1 && value[0] == '\'' && "=+-@\t\r".Contains(value[1], StringComparison.Ordinal) ? value[1..] : value;

    private sealed class CustomerRow
    {
        public Guid Id { get; init; }
        public string? DisplayName { get; init; }
        public string Traits { get; init; } = "{}";
        public int Depth { get; init; }
        public string? OwnerStaffName { get; init; }
        public bool MarketingOptOut { get; init; }
        public DateTimeOffset FirstSeenAt { get; init; }
        public DateTimeOffset LastSeenAt { get; init; }
        public DateTimeOffset? FirstOrderAt { get; init; }
        public DateTimeOffset? LastOrderAt { get; init; }
    }

    private sealed class IdentityRow
    {
        public Guid CustomerId { get; init; }
        public string Kind { get; init; } = "";
        public string Scope { get; init; } = "";
        public string Value { get; init; } = "";
    }

    private sealed class TagRow
    {
        public Guid CustomerId { get; init; }
        public string Tag { get; init; } = "";
    }
}
