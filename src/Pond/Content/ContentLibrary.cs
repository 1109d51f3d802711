using System.Data.Common;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dapper;
using Pond.Messaging;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Content;

/// <summary>
/// The content library (素材库, docs/content.md): folders, items of every kind, their files, tags, search and the
/// checks on what a script may say. Tracked links are kept current here whenever an item's URL or body changes.
/// </summary>
internal sealed partial class ContentLibrary(Database database, ContentFiles files, ContentLinks links, AuditLog audit, TimeProvider clock)
{
    public const int MaxTitle = 100;
    public const int MaxBody = 4000;
    public const int MaxTags = 20;
    public const int MaxTagLength = 30;
    public const int MaxFolderName = 50;
    public const int MaxFolderDepth = 5;

    private const string ItemColumns =
        "id, workspace_id, folder_id, kind, title, body, url, file_path, file_type, file_size, data, tags, usage_count, archived, created_by, created_at, updated_at";

    // ---- folders ----

    public async Task<IReadOnlyList<ContentFolder>> ListFoldersAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<ContentFolder>(
            $"""
            SELECT f.id, f.workspace_id, f.parent_id, f.name, f.created_at,
                (SELECT COUNT(*) FROM content_items i WHERE i.folder_id = f.id AND i.archived = {False}) AS item_count
            FROM content_folders f WHERE f.workspace_id = @workspaceId ORDER BY f.name
            """, new { workspaceId })).AsList();
    }

    private string False => database.IsSqlite ? "0" : "false";

    private static async Task<ContentFolder> FolderAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid id, string field = "folderId") =>
        await connection.QuerySingleOrDefaultAsync<ContentFolder>(
            "SELECT id, workspace_id, parent_id, name, created_at FROM content_folders WHERE id = @id AND workspace_id = @workspaceId",
            new { id, workspaceId }, transaction)
        ?? throw (field == "id" ? new NotFoundException($"No content folder {id} in this workspace.") : new ValidationFailedException($"{field}: no content folder {id} in this workspace.", field));

    private static string FolderName(string? name)
    {
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length is 0 or > MaxFolderName)
            throw new ValidationFailedException($"name: a folder name is 1–{MaxFolderName} characters.", "name");
        if (trimmed.Contains('/'))
            throw new ValidationFailedException("name: a folder name may not contain '/'.", "name");
        return trimmed;
    }

    /// <summary>The folders from <paramref name="id"/> up to the top (itself first).</summary>
    private static async Task<List<Guid>> AncestryAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid id)
    {
        var chain = new List<Guid>();
        Guid? current = id;
        while (current is { } at && chain.Count <= MaxFolderDepth + 1)
        {
            chain.Add(at);
            current = await connection.ExecuteScalarAsync<Guid?>(
                "SELECT parent_id FROM content_folders WHERE id = @at AND workspace_id = @workspaceId", new { at, workspaceId }, transaction);
        }

        return chain;
    }

    public async Task<ContentFolder> CreateFolderAsync(Guid workspaceId, string? name, Guid? parentId, string actor)
    {
        var folderName = FolderName(name);
        await using var connection = await database.OpenAsync();
        if (parentId is { } parent)
        {
            await FolderAsync(connection, null, workspaceId, parent, "parentId");
            if ((await AncestryAsync(connection, null, workspaceId, parent)).Count >= MaxFolderDepth)
                throw new ValidationFailedException($"parentId: folders nest at most {MaxFolderDepth} deep.", "parentId");
        }

        var folder = new ContentFolder { Id = Guid.CreateVersion7(), WorkspaceId = workspaceId, ParentId = parentId, Name = folderName, CreatedAt = clock.GetUtcNow() };
        try
        {
            await connection.ExecuteAsync(
                "INSERT INTO content_folders (id, workspace_id, parent_id, name, created_at) VALUES (@Id, @WorkspaceId, @ParentId, @Name, @CreatedAt)", folder);
        }
        catch (DbException e) when (Database.IsUniqueViolation(e))
        {
            throw new ConflictException($"A folder named {folderName} is already there; choose another name.");
        }

        await audit.RecordAsync(workspaceId, actor, "content.folder.created", $"content_folder:{folder.Id}", new { folder.Name, folder.ParentId });
        return folder;
    }

    /// <summary>Renames a folder and/or moves it under another (<see cref="Guid.Empty"/>: to the top level).</summary>
    public async Task<ContentFolder> UpdateFolderAsync(Guid workspaceId, Guid id, string? name, Guid? parentId, string actor)
    {
        await using var connection = await database.OpenAsync();
        var folder = await FolderAsync(connection, null, workspaceId, id, "id");
        var newName = name is null ? folder.Name : FolderName(name);
        var newParent = parentId is null ? folder.ParentId : parentId == Guid.Empty ? null : parentId;
        if (newParent is { } parent && parent != folder.ParentId)
        {
            await FolderAsync(connection, null, workspaceId, parent, "parentId");
            var ancestry = await AncestryAsync(connection, null, workspaceId, parent);
            if (ancestry.Contains(id))
                throw new ValidationFailedException("parentId: a folder cannot move into itself or one of its own subfolders.", "parentId");
            if (ancestry.Count + await DepthBelowAsync(connection, workspaceId, id) > MaxFolderDepth)
                throw new ValidationFailedException($"parentId: folders nest at most {MaxFolderDepth} deep.", "parentId");
        }

        try
        {
            await connection.ExecuteAsync("UPDATE content_folders SET name = @newName, parent_id = @newParent WHERE id = @id AND workspace_id = @workspaceId",
                new { newName, newParent, id, workspaceId });
        }
        catch (DbException e) when (Database.IsUniqueViolation(e))
        {
            throw new ConflictException($"A folder named {newName} is already there; choose another name.");
        }

        await audit.RecordAsync(workspaceId, actor, "content.folder.updated", $"content_folder:{id}", new { name = newName, parentId = newParent });
        return new ContentFolder { Id = id, WorkspaceId = workspaceId, ParentId = newParent, Name = newName, CreatedAt = folder.CreatedAt };
    }

    /// <summary>How many levels of subfolders hang below a folder, counting itself (1 when it has none).</summary>
    private static async Task<int> DepthBelowAsync(DbConnection connection, Guid workspaceId, Guid id) =>
        await connection.ExecuteScalarAsync<int>(
            """
            WITH RECURSIVE below (id, depth) AS (
                SELECT id, 1 FROM content_folders WHERE id = @id AND workspace_id = @workspaceId
                UNION ALL
                SELECT f.id, b.depth + 1 FROM content_folders f JOIN below b ON f.parent_id = b.id WHERE b.depth < 20
            )
            SELECT MAX(depth) FROM below
            """, new { id, workspaceId });

    /// <summary>Deletes an empty folder (no subfolders, no items, archived ones included): 409 names what is left in it.</summary>
    public async Task DeleteFolderAsync(Guid workspaceId, Guid id, string actor)
    {
        await using var connection = await database.OpenAsync();
        var folder = await FolderAsync(connection, null, workspaceId, id, "id");
        var children = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM content_folders WHERE parent_id = @id", new { id });
        var items = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM content_items WHERE folder_id = @id AND workspace_id = @workspaceId", new { id, workspaceId });
        if (children > 0 || items > 0)
            throw new ConflictException($"The folder {folder.Name} still holds {children} folder(s) and {items} item(s) (archived ones count); move or delete them first.");
        // Conditional on still being empty, so an item moved in meanwhile is not orphaned.
        var deleted = await connection.ExecuteAsync(
            """
            DELETE FROM content_folders WHERE id = @id AND workspace_id = @workspaceId
              AND NOT EXISTS (SELECT 1 FROM content_items WHERE folder_id = @id)
              AND NOT EXISTS (SELECT 1 FROM content_folders c WHERE c.parent_id = @id)
            """, new { id, workspaceId });
        if (deleted == 0)
            throw new ConflictException($"The folder {folder.Name} is no longer empty.");
        await audit.RecordAsync(workspaceId, actor, "content.folder.deleted", $"content_folder:{id}", new { folder.Name });
    }

    // ---- items ----

    public async Task<ContentItem> GetAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await GetAsync(connection, null, workspaceId, id);
    }

    internal static async Task<ContentItem> GetAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid id) =>
        await connection.QuerySingleOrDefaultAsync<ContentItem>(
            $"SELECT {ItemColumns} FROM content_items WHERE id = @id AND workspace_id = @workspaceId", new { id, workspaceId }, transaction)
        ?? throw new NotFoundException($"No content item {id} in this workspace.");

    /// <summary>Items for the library grid and the pickers: newest change first; a folder includes its subfolders.</summary>
    public async Task<IReadOnlyList<ContentItem>> ListAsync(Guid workspaceId, ContentQuery query)
    {
        var limit = Math.Clamp(query.Limit, 1, 500);
        var where = new StringBuilder("i.workspace_id = @workspaceId");
        var parameters = new DynamicParameters(new { workspaceId, limit });
        where.Append(query.Archived ? $" AND i.archived <> {False}" : $" AND i.archived = {False}");
        if (query.Kind is { } kind)
        {
            if (!ContentKinds.All.Contains(kind))
                throw new ValidationFailedException($"kind must be one of {string.Join(", ", ContentKinds.All)}.", "kind");
            where.Append(" AND i.kind = @kind");
            parameters.Add("kind", kind);
        }

        var prefix = "";
        if (query.FolderId is { } folderId)
        {
            prefix = """
                WITH RECURSIVE tree (id, depth) AS (
                    SELECT id, 1 FROM content_folders WHERE id = @folderId AND workspace_id = @workspaceId
                    UNION ALL
                    SELECT f.id, t.depth + 1 FROM content_folders f JOIN tree t ON f.parent_id = t.id WHERE t.depth < 20
                )
                """;
            where.Append(" AND i.folder_id IN (SELECT id FROM tree)");
            parameters.Add("folderId", folderId);
        }

        if (!string.IsNullOrWhiteSpace(query.Tag))
        {
            where.Append(database.IsSqlite
                ? " AND EXISTS (SELECT 1 FROM json_each(i.tags) WHERE value = @tag)"
                : " AND i.tags::jsonb @> jsonb_build_array(@tag::text)");
            parameters.Add("tag", query.Tag.Trim());
        }

        if (!string.IsNullOrWhiteSpace(query.Q))
        {
            var like = "%" + query.Q.Trim().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
                .Replace("_", "\\_", StringComparison.Ordinal) + "%";
            var op = database.IsSqlite ? "LIKE" : "ILIKE";
            where.Append($" AND (i.title {op} @like ESCAPE '\\' OR i.body {op} @like ESCAPE '\\')");
            parameters.Add("like", like);
        }

        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<ContentItem>(
            $"{prefix} SELECT {string.Join(", ", ItemColumns.Split(", ").Select(c => "i." + c))} FROM content_items i WHERE {where} ORDER BY i.updated_at DESC, i.id DESC LIMIT @limit",
            parameters)).AsList();
    }

    /// <summary>Every tag the workspace's items carry, with how many (not archived) items carry it.</summary>
    public async Task<IReadOnlyList<(string Tag, int Items)>> TagsAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<string>($"SELECT tags FROM content_items WHERE workspace_id = @workspaceId AND archived = {False} AND tags <> '[]'", new { workspaceId });
        return rows.SelectMany(t => JsonSerializer.Deserialize<List<string>>(t) ?? []).GroupBy(t => t, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Count())).OrderByDescending(t => t.Item2).ThenBy(t => t.Key, StringComparer.Ordinal).ToList();
    }

    private static string Title(string? title)
    {
        var trimmed = title?.Trim() ?? "";
        if (trimmed.Length is 0 or > MaxTitle)
            throw new ValidationFailedException($"title: a title is 1–{MaxTitle} characters.", "title");
        return trimmed;
    }

    private static string TagsJson(IReadOnlyList<string>? tags)
    {
        var list = (tags ?? []).Select(t => t?.Trim() ?? "").Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (list.Count > MaxTags)
            throw new ValidationFailedException($"tags: at most {MaxTags} tags per item.", "tags");
        if (list.FirstOrDefault(t => t.Length > MaxTagLength || t.Contains(',')) is { } bad)
            throw new ValidationFailedException($"tags: '{bad}' is too long or holds a comma; a tag is 1–{MaxTagLength} characters without commas.", "tags");
        return JsonSerializer.Serialize(list);
    }

    /// <summary>Throws a 400 listing the known variables when the text uses one Pond cannot fill.</summary>
    public static void CheckVariables(string? text, string field)
    {
        var unknown = MessageVariables.Unknown(text);
        if (unknown.Count > 0)
        {
            throw new ValidationFailedException(
                $"{field}: unknown variable{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(v => "{" + v + "}"))}. " +
                $"Known variables: {string.Join(", ", MessageVariables.All.Select(v => "{" + v + "}"))} and {{trait.KEY}} for any trait (e.g. {{trait.city}}).",
                field);
        }
    }

    private static string Url(string? url, string field = "url")
    {
        var trimmed = url?.Trim() ?? "";
        if (trimmed.Length == 0)
            throw new ValidationFailedException($"{field}: this kind needs a URL (https://…).", field);
        if (trimmed.Length > 2000 || !Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw new ValidationFailedException($"{field}: '{trimmed}' is not an http(s) URL such as https://shop.example.com/item/1.", field);
        return trimmed;
    }

    [GeneratedRegex("^wx[0-9a-f]{16}$")]
    private static partial Regex AppIdPattern();

    /// <summary>Validates a create (stored is null) or an edit and returns the row's new body, url and data.</summary>
    private static (string? Body, string? Url, JsonObject Data) Shape(string kind, ContentItemInput input, ContentItem? stored)
    {
        var data = stored?.DataObject() ?? [];
        var body = input.Body ?? stored?.Body;
        var url = input.Url ?? stored?.Url;
        if (body is { Length: > MaxBody })
            throw new ValidationFailedException($"body: at most {MaxBody} characters.", "body");
        switch (kind)
        {
            case ContentKinds.Text:
                if (string.IsNullOrWhiteSpace(body))
                    throw new ValidationFailedException("body: a text script needs its words.", "body");
                CheckVariables(body, "body");
                if (input.TrackLinks is { } track)
                    data["trackLinks"] = track;
                url = null;
                break;
            case ContentKinds.Link:
            case ContentKinds.Article:
                url = Url(url);
                CheckVariables(body, "body");
                if (input.Summary is { } summary)
                {
                    if (summary.Length > 200)
                        throw new ValidationFailedException("summary: at most 200 characters.", "summary");
                    data["summary"] = summary.Trim();
                }

                break;
            case ContentKinds.MiniProgram:
                var appId = (input.AppId ?? (string?)data["appId"])?.Trim() ?? "";
                if (!AppIdPattern().IsMatch(appId))
                    throw new ValidationFailedException("appId: a mini-program appid is 'wx' and 16 hex characters, e.g. wx1234567890abcdef.", "appId");
                var page = (input.PagePath ?? (string?)data["pagePath"])?.Trim().TrimStart('/') ?? "";
                if (page.Length is 0 or > 500 || page.Contains(' ', StringComparison.Ordinal))
                    throw new ValidationFailedException("pagePath: the mini-program page, e.g. pages/product/index?sku=LL-DR-01 (no spaces, at most 500 characters).", "pagePath");
                data["appId"] = appId;
                data["pagePath"] = page;
                CheckVariables(body, "body");
                url = null;
                break;
            default:
                // Images, posters, videos: the file is the item; a caption may go in the body.
                CheckVariables(body, "body");
                url = null;
                break;
        }

        return (string.IsNullOrWhiteSpace(body) ? null : body, url, data);
    }

    private static async Task CheckFolderAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid? folderId)
    {
        if (folderId is { } id && id != Guid.Empty)
            await FolderAsync(connection, transaction, workspaceId, id);
    }

    /// <summary>Creates an item of a kind without a required file (text, link, article, mini_program); file kinds use <see cref="UploadAsync"/>.</summary>
    public async Task<ContentItem> CreateAsync(Guid workspaceId, ContentItemInput input, string actor)
    {
        var kind = input.Kind?.Trim() ?? "";
        if (!ContentKinds.All.Contains(kind))
            throw new ValidationFailedException($"kind must be one of {string.Join(", ", ContentKinds.All)}.", "kind");
        if (ContentKinds.IsFileKind(kind))
            throw new ValidationFailedException($"kind: a {kind} item is created by uploading its file (POST /api/content/files, multipart with kind and file).", "kind");
        var title = Title(input.Title);
        var (body, url, data) = Shape(kind, input, null);
        var tags = TagsJson(input.Tags);
        var now = clock.GetUtcNow();
        var item = new ContentItem
        {
            Id = Guid.CreateVersion7(), WorkspaceId = workspaceId, FolderId = input.FolderId == Guid.Empty ? null : input.FolderId, Kind = kind, Title = title,
            Body = body, Url = url, Data = data.ToJsonString(), Tags = tags, CreatedBy = actor, CreatedAt = now, UpdatedAt = now,
        };
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await CheckFolderAsync(connection, transaction, workspaceId, item.FolderId);
        await InsertAsync(connection, transaction, item);
        await links.SyncAsync(connection, transaction, item);
        await transaction.CommitAsync();
        await audit.RecordAsync(workspaceId, actor, "content.item.created", $"content_item:{item.Id}", new { item.Kind, item.Title });
        return item;
    }

    private static Task<int> InsertAsync(DbConnection connection, DbTransaction transaction, ContentItem item) =>
        connection.ExecuteAsync(
            """
            INSERT INTO content_items (id, workspace_id, folder_id, kind, title, body, url, file_path, file_type, file_size, data, tags, usage_count, archived, created_by, created_at, updated_at)
            VALUES (@Id, @WorkspaceId, @FolderId, @Kind, @Title, @Body, @Url, @FilePath, @FileType, @FileSize, @Data, @Tags, 0, @Archived, @CreatedBy, @CreatedAt, @UpdatedAt)
            """, item, transaction);

    /// <summary>Creates an image, poster or video item from its uploaded file (title defaults to the file's name).</summary>
    public async Task<ContentItem> UploadAsync(Guid workspaceId, string? kind, string? title, Guid? folderId, IReadOnlyList<string>? tags, string? body,
        Stream content, long? length, string? fileName, string actor)
    {
        kind = kind?.Trim() ?? "";
        if (!ContentKinds.IsFileKind(kind))
            throw new ValidationFailedException("kind: upload creates an image, poster or video item; other kinds are created with POST /api/content/items (a cover goes to PUT /api/content/items/{id}/file).", "kind");
        var itemTitle = Title(string.IsNullOrWhiteSpace(title) ? Path.GetFileNameWithoutExtension(fileName ?? "") is { Length: > 0 } n ? n[..Math.Min(n.Length, MaxTitle)] : null : title);
        var tagsJson = TagsJson(tags);
        if (body is { Length: > MaxBody })
            throw new ValidationFailedException($"body: at most {MaxBody} characters.", "body");
        CheckVariables(body, "body");
        await using var connection = await database.OpenAsync();
        await CheckFolderAsync(connection, null, workspaceId, folderId);
        var id = Guid.CreateVersion7();
        var stored = await files.SaveAsync(workspaceId, id, kind, content, length, fileName);
        var now = clock.GetUtcNow();
        var item = new ContentItem
        {
            Id = id, WorkspaceId = workspaceId, FolderId = folderId == Guid.Empty ? null : folderId, Kind = kind, Title = itemTitle,
            Body = string.IsNullOrWhiteSpace(body) ? null : body, FilePath = stored.RelativePath, FileType = stored.ContentType, FileSize = stored.Size,
            Data = FileData([], stored).ToJsonString(), Tags = tagsJson, CreatedBy = actor, CreatedAt = now, UpdatedAt = now,
        };
        try
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await InsertAsync(connection, transaction, item);
            await transaction.CommitAsync();
        }
        catch
        {
            files.Delete(stored.RelativePath);
            throw;
        }

        await audit.RecordAsync(workspaceId, actor, "content.item.created", $"content_item:{item.Id}", new { item.Kind, item.Title, item.FileType, item.FileSize });
        return item;
    }

    private static JsonObject FileData(JsonObject data, StoredFile stored)
    {
        data["fileName"] = stored.FileName;
        data["width"] = stored.Width;
        data["height"] = stored.Height;
        return data;
    }

    /// <summary>Replaces an item's file (or sets a mini-program/article cover). A refused upload leaves the old file in place.</summary>
    public async Task<ContentItem> ReplaceFileAsync(Guid workspaceId, Guid id, Stream content, long? length, string? fileName, string actor)
    {
        await using var connection = await database.OpenAsync();
        var item = await GetAsync(connection, null, workspaceId, id);
        var stored = await files.SaveAsync(workspaceId, id, item.Kind, content, length, fileName);
        var data = FileData(item.DataObject(), stored).ToJsonString();
        var now = clock.GetUtcNow();
        int updated;
        try
        {
            // Conditional on the path this request replaced: of two concurrent uploads, the loser's file is removed, not orphaned.
            updated = await connection.ExecuteAsync(
                """
                UPDATE content_items SET file_path = @path, file_type = @type, file_size = @size, data = @data, updated_at = @now
                WHERE id = @id AND workspace_id = @workspaceId AND (file_path = @old OR (file_path IS NULL AND @oldMissing = 1))
                """, new { path = stored.RelativePath, type = stored.ContentType, size = stored.Size, data, now, id, workspaceId, old = item.FilePath ?? "", oldMissing = item.FilePath is null ? 1 : 0 });
        }
        catch
        {
            files.Delete(stored.RelativePath);
            throw;
        }

        if (updated == 0)
        {
            files.Delete(stored.RelativePath);
            throw new ConflictException("The file was replaced by someone else meanwhile; reload and upload again.");
        }

        files.Delete(item.FilePath);
        await audit.RecordAsync(workspaceId, actor, "content.item.file_replaced", $"content_item:{id}", new { stored.ContentType, stored.Size, stored.FileName });
        return await GetAsync(connection, null, workspaceId, id);
    }

    /// <summary>Edits an item: null fields keep their value; folderId <see cref="Guid.Empty"/> moves it to the top level.</summary>
    public async Task<ContentItem> UpdateAsync(Guid workspaceId, Guid id, ContentItemInput input, string actor)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var item = await GetAsync(connection, transaction, workspaceId, id);
        if (input.Kind is { } kind && kind != item.Kind)
            throw new ValidationFailedException($"kind: an item's kind cannot change (it is {item.Kind}); create a new item instead.", "kind");
        var title = input.Title is null ? item.Title : Title(input.Title);
        var (body, url, data) = Shape(item.Kind, input, item);
        var tags = input.Tags is null ? item.Tags : TagsJson(input.Tags);
        var folderId = input.FolderId is null ? item.FolderId : input.FolderId == Guid.Empty ? null : input.FolderId;
        await CheckFolderAsync(connection, transaction, workspaceId, folderId);
        var updated = new ContentItem
        {
            Id = item.Id, WorkspaceId = workspaceId, FolderId = folderId, Kind = item.Kind, Title = title, Body = body, Url = url, FilePath = item.FilePath,
            FileType = item.FileType, FileSize = item.FileSize, Data = data.ToJsonString(), Tags = tags, UsageCount = item.UsageCount, Archived = item.Archived,
            CreatedBy = item.CreatedBy, CreatedAt = item.CreatedAt, UpdatedAt = clock.GetUtcNow(),
        };
        await connection.ExecuteAsync(
            """
            UPDATE content_items SET folder_id = @FolderId, title = @Title, body = @Body, url = @Url, data = @Data, tags = @Tags, updated_at = @UpdatedAt
            WHERE id = @Id AND workspace_id = @WorkspaceId
            """, updated, transaction);
        await links.SyncAsync(connection, transaction, updated);
        await transaction.CommitAsync();
        await audit.RecordAsync(workspaceId, actor, "content.item.updated", $"content_item:{id}", new { updated.Title, updated.FolderId });
        return updated;
    }

    /// <summary>Moves items into a folder (<see cref="Guid.Empty"/>: the top level); every id must be in the workspace.</summary>
    public async Task<int> MoveAsync(Guid workspaceId, IReadOnlyList<Guid> itemIds, Guid folderId, string actor)
    {
        if (itemIds.Count is 0 or > 500)
            throw new ValidationFailedException("itemIds: 1–500 item ids to move.", "itemIds");
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await CheckFolderAsync(connection, transaction, workspaceId, folderId);
        var ids = itemIds.Distinct().ToList();
        var idsSql = database.IsSqlite ? "IN (SELECT value FROM json_each(@ids))" : "= ANY(@ids)";
        object idsParameter = database.IsSqlite ? JsonSerializer.Serialize(ids) : ids.ToArray();
        var found = await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM content_items WHERE workspace_id = @workspaceId AND id {idsSql}",
            new { workspaceId, ids = idsParameter }, transaction);
        if (found != ids.Count)
            throw new ValidationFailedException($"itemIds: {ids.Count - found} of the ids are not content items of this workspace.", "itemIds");
        var moved = await connection.ExecuteAsync($"UPDATE content_items SET folder_id = @folder, updated_at = @now WHERE workspace_id = @workspaceId AND id {idsSql}",
            new { folder = folderId == Guid.Empty ? (Guid?)null : folderId, now = clock.GetUtcNow(), workspaceId, ids = idsParameter }, transaction);
        await transaction.CommitAsync();
        await audit.RecordAsync(workspaceId, actor, "content.items.moved", folderId == Guid.Empty ? "content_folder:top" : $"content_folder:{folderId}", new { items = moved });
        return moved;
    }

    /// <summary>Archives (hides from pickers; tracked links keep redirecting) or restores an item.</summary>
    public async Task<ContentItem> SetArchivedAsync(Guid workspaceId, Guid id, bool archived, string actor)
    {
        await using var connection = await database.OpenAsync();
        var changed = await connection.ExecuteAsync("UPDATE content_items SET archived = @archived, updated_at = @now WHERE id = @id AND workspace_id = @workspaceId",
            new { archived, now = clock.GetUtcNow(), id, workspaceId });
        if (changed == 0)
            throw new NotFoundException($"No content item {id} in this workspace.");
        await audit.RecordAsync(workspaceId, actor, archived ? "content.item.archived" : "content.item.restored", $"content_item:{id}", null);
        return await GetAsync(connection, null, workspaceId, id);
    }

    /// <summary>The item's file for the console, the API and channel adapters; null when it has none.</summary>
    public async Task<(string Path, string ContentType, string? FileName)?> FileAsync(Guid workspaceId, Guid id)
    {
        var item = await GetAsync(workspaceId, id);
        if (item.FilePath is null || item.FileType is null)
            return null;
        var path = files.FullPath(item.FilePath);
        return File.Exists(path) ? (path, item.FileType, item.DataString("fileName")) : null;
    }
}
