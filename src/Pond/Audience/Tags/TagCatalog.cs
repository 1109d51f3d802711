using System.Buffers.Text;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using Pond.Customers;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Audience;

/// <summary>
/// The tag catalog: groups (肤质, 兴趣, 生命周期…), the tags in them with how many customers carry each, renaming and
/// deleting a tag across every customer (with history), a customer's tags, and the tag history. Catalog changes go
/// to the audit log; changes to customers go to tag_history through <see cref="CustomerTags"/>.
/// </summary>
internal sealed class TagCatalog(Database database, AudienceChanges changes, AuditLog audit, TimeProvider clock)
{
    public const int DefaultHistoryLimit = 50;
    public const int MaxHistoryLimit = 200;
    private const int MaxDescription = 200;

    /// <summary>Groups by sort order, each with how many customers carry one of its tags (only <paramref name="onlyOwnedBy"/>'s when given).</summary>
    public async Task<IReadOnlyList<TagGroup>> ListGroupsAsync(Guid workspaceId, Guid? onlyOwnedBy = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var groups = await connection.QueryAsync<TagGroup>(
            $"{GroupSelect} WHERE g.workspace_id = @workspaceId ORDER BY g.sort_order, g.name", new { workspaceId });
        var owner = onlyOwnedBy is null ? "" : " AND ct.customer_id IN (SELECT c.id FROM customers c WHERE c.workspace_id = @workspaceId AND c.owner_staff_id = @owner)";
        var customers = (await connection.QueryAsync<GroupCountRow>(
            $"""
            SELECT t.group_id, COUNT(DISTINCT ct.customer_id) AS customers
            FROM customer_tags ct JOIN tags t ON t.workspace_id = ct.workspace_id AND t.name = ct.tag
            WHERE ct.workspace_id = @workspaceId AND t.group_id IS NOT NULL{owner}
            GROUP BY t.group_id
            """, new { workspaceId, owner = onlyOwnedBy })).ToDictionary(r => r.GroupId, r => r.Customers);
        return groups.Select(g => new TagGroup
        {
            Id = g.Id, Name = g.Name, Description = g.Description, SortOrder = g.SortOrder, CreatedAt = g.CreatedAt, Tags = g.Tags,
            Customers = customers.GetValueOrDefault(g.Id),
        }).ToList();
    }

    public async Task<TagGroup> GetGroupAsync(Guid workspaceId, Guid id, Guid? onlyOwnedBy = null, CancellationToken cancellationToken = default) =>
        (await ListGroupsAsync(workspaceId, onlyOwnedBy, cancellationToken)).FirstOrDefault(g => g.Id == id) ?? throw GroupNotFound(id);

    public async Task<TagGroup> CreateGroupAsync(Guid workspaceId, TagGroupInput input, string actor, CancellationToken cancellationToken = default)
    {
        var (name, description, sortOrder) = CleanGroup(input);
        var id = Guid.CreateVersion7();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await CustomerTags.BeginAsync(connection, cancellationToken);
        await UniqueAsync(() => connection.ExecuteAsync(
            """
            INSERT INTO tag_groups (id, workspace_id, name, description, sort_order, created_at)
            VALUES (@id, @workspaceId, @name, @description, @sortOrder, @now)
            """, new { id, workspaceId, name, description, sortOrder, now = clock.GetUtcNow() }, transaction), DuplicateGroup(name));
        await audit.RecordAsync(workspaceId, actor, "tag_group.create", id.ToString(), new { name, description, sortOrder }, connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        return await GetGroupAsync(workspaceId, id, cancellationToken: cancellationToken);
    }

    public async Task<TagGroup> UpdateGroupAsync(Guid workspaceId, Guid id, TagGroupInput input, string actor, CancellationToken cancellationToken = default)
    {
        var (name, description, sortOrder) = CleanGroup(input);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await CustomerTags.BeginAsync(connection, cancellationToken);
        var changed = await UniqueAsync(() => connection.ExecuteAsync(
            "UPDATE tag_groups SET name = @name, description = @description, sort_order = @sortOrder WHERE workspace_id = @workspaceId AND id = @id",
            new { id, workspaceId, name, description, sortOrder }, transaction), DuplicateGroup(name));
        if (changed == 0)
            throw GroupNotFound(id);
        await audit.RecordAsync(workspaceId, actor, "tag_group.update", id.ToString(), new { name, description, sortOrder }, connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        return await GetGroupAsync(workspaceId, id, cancellationToken: cancellationToken);
    }

    /// <summary>Deletes a group; its tags stay in the catalog (and on customers), ungrouped.</summary>
    public async Task DeleteGroupAsync(Guid workspaceId, Guid id, string actor, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await CustomerTags.BeginAsync(connection, cancellationToken);
        var group = await FindGroupAsync(connection, transaction, workspaceId, id) ?? throw GroupNotFound(id);
        await connection.ExecuteAsync("UPDATE tags SET group_id = NULL WHERE workspace_id = @workspaceId AND group_id = @id", new { workspaceId, id }, transaction);
        await connection.ExecuteAsync("DELETE FROM tag_groups WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id }, transaction);
        await audit.RecordAsync(workspaceId, actor, "tag_group.delete", id.ToString(), new { group.Name, ungroupedTags = group.Tags }, connection, transaction);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Every tag in the catalog, by group then name; customer counts only over <paramref name="onlyOwnedBy"/>'s customers when given.</summary>
    public async Task<IReadOnlyList<CatalogTag>> ListTagsAsync(Guid workspaceId, Guid? onlyOwnedBy = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var tags = await connection.QueryAsync<CatalogTag>(
            $"{TagSelect} WHERE t.workspace_id = @workspaceId ORDER BY g.sort_order, g.name, t.name", new { workspaceId });
        var counts = await CountsAsync(connection, null, workspaceId, onlyOwnedBy, null);
        return tags.Select(t => WithCount(t, counts)).ToList();
    }

    /// <summary>The catalog without counts (cheap): for pickers such as the customer 360's tag input.</summary>
    public async Task<IReadOnlyList<CatalogTag>> ListTagNamesAsync(Guid workspaceId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<CatalogTag>(
            $"{TagSelect} WHERE t.workspace_id = @workspaceId ORDER BY g.sort_order, g.name, t.name", new { workspaceId })).AsList();
    }

    public async Task<CatalogTag> GetTagAsync(Guid workspaceId, Guid id, Guid? onlyOwnedBy = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindTagAsync(connection, null, workspaceId, id, onlyOwnedBy) ?? throw TagNotFound(id);
    }

    public async Task<CatalogTag> CreateTagAsync(Guid workspaceId, TagInput input, string actor, CancellationToken cancellationToken = default)
    {
        var (name, description) = CleanTag(input);
        var id = Guid.CreateVersion7();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await CustomerTags.BeginAsync(connection, cancellationToken);
        await RequireGroupAsync(connection, transaction, workspaceId, input.GroupId);
        await UniqueAsync(() => connection.ExecuteAsync(
            """
            INSERT INTO tags (id, workspace_id, group_id, name, description, created_at, created_by)
            VALUES (@id, @workspaceId, @groupId, @name, @description, @now, @actor)
            """, new { id, workspaceId, groupId = input.GroupId, name, description, now = clock.GetUtcNow(), actor }, transaction), DuplicateTag(name));
        await audit.RecordAsync(workspaceId, actor, "tag.create", id.ToString(), new { name, input.GroupId, description }, connection, transaction);
        var created = (await FindTagAsync(connection, transaction, workspaceId, id, null))!;
        await transaction.CommitAsync(cancellationToken);
        return created;
    }

    /// <summary>
    /// Changes a tag's name, group and description. A new name is renamed on every customer carrying the tag, recorded in
    /// their history as the old name removed and the new one added (by <paramref name="source"/> and <paramref name="actor"/>).
    /// </summary>
    public async Task<CatalogTag> UpdateTagAsync(Guid workspaceId, Guid id, TagInput input, string source, string actor, CancellationToken cancellationToken = default)
    {
        var (name, description) = CleanTag(input);
        TagSources.Validate(source);
        IReadOnlyList<Guid> renamed = [];
        CatalogTag updated;
        await using (var connection = await database.OpenAsync(cancellationToken))
        await using (var transaction = await CustomerTags.BeginAsync(connection, cancellationToken))
        {
            var tag = await FindTagAsync(connection, transaction, workspaceId, id, null) ?? throw TagNotFound(id);
            await RequireGroupAsync(connection, transaction, workspaceId, input.GroupId);
            var now = clock.GetUtcNow();
            await UniqueAsync(() => connection.ExecuteAsync(
                "UPDATE tags SET name = @name, group_id = @groupId, description = @description WHERE workspace_id = @workspaceId AND id = @id",
                new { id, workspaceId, name, groupId = input.GroupId, description }, transaction), DuplicateTag(name));
            if (!string.Equals(tag.Name, name, StringComparison.Ordinal))
            {
                renamed = await CarriersOfAsync(connection, transaction, workspaceId, tag.Name);
                // The new name is not in the catalog (the update above would have failed), so no customer carries it yet.
                await connection.ExecuteAsync(
                    "UPDATE customer_tags SET tag = @name WHERE workspace_id = @workspaceId AND tag = @old",
                    new { workspaceId, name, old = tag.Name }, transaction);
                await CustomerTags.RecordAsync(connection, transaction, workspaceId, renamed, tag.Name, TagActions.Removed, source, actor, now);
                await CustomerTags.RecordAsync(connection, transaction, workspaceId, renamed, name, TagActions.Added, source, actor, now);
                // A segment keeping the tag in sync follows the new name.
                await connection.ExecuteAsync(
                    "UPDATE segments SET sync_tag = @name WHERE workspace_id = @workspaceId AND sync_tag = @old", new { workspaceId, name, old = tag.Name }, transaction);
            }

            await audit.RecordAsync(workspaceId, actor, "tag.update", id.ToString(),
                new { from = tag.Name, name, input.GroupId, description, customersRenamed = renamed.Count }, connection, transaction);
            updated = (await FindTagAsync(connection, transaction, workspaceId, id, null))!;
            await transaction.CommitAsync(cancellationToken);
        }

        changes.Touch(workspaceId, renamed);
        return updated;
    }

    /// <summary>Deletes a tag from the catalog and from every customer carrying it (each removal in their history). Returns how many customers lost it.</summary>
    public async Task<int> DeleteTagAsync(Guid workspaceId, Guid id, string source, string actor, CancellationToken cancellationToken = default)
    {
        TagSources.Validate(source);
        IReadOnlyList<Guid> removed;
        await using (var connection = await database.OpenAsync(cancellationToken))
        await using (var transaction = await CustomerTags.BeginAsync(connection, cancellationToken))
        {
            var tag = await FindTagAsync(connection, transaction, workspaceId, id, null) ?? throw TagNotFound(id);
            var segment = await connection.QueryFirstOrDefaultAsync<string?>(
                "SELECT name FROM segments WHERE workspace_id = @workspaceId AND sync_tag = @name ORDER BY name", new { workspaceId, name = tag.Name }, transaction);
            if (segment is not null)
                throw new ConflictException($"The segment '{segment}' keeps the tag '{tag.Name}' on its members; stop it syncing the tag first, or it would put the tag back.");
            var now = clock.GetUtcNow();
            removed = await CarriersOfAsync(connection, transaction, workspaceId, tag.Name);
            await connection.ExecuteAsync("DELETE FROM customer_tags WHERE workspace_id = @workspaceId AND tag = @name", new { workspaceId, name = tag.Name }, transaction);
            await CustomerTags.RecordAsync(connection, transaction, workspaceId, removed, tag.Name, TagActions.Removed, source, actor, now);
            await connection.ExecuteAsync("DELETE FROM tags WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id }, transaction);
            await audit.RecordAsync(workspaceId, actor, "tag.delete", id.ToString(), new { tag.Name, customersUntagged = removed.Count }, connection, transaction);
            await transaction.CommitAsync(cancellationToken);
        }

        changes.Touch(workspaceId, removed);
        return removed.Count;
    }

    /// <summary>The tag catalog entry by name, or null.</summary>
    public async Task<CatalogTag?> FindTagByNameAsync(Guid workspaceId, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var tag = await connection.QuerySingleOrDefaultAsync<CatalogTag>($"{TagSelect} WHERE t.workspace_id = @workspaceId AND t.name = @name", new { workspaceId, name });
        return tag is null ? null : WithCount(tag, await CountsAsync(connection, null, workspaceId, null, tag.Name));
    }

    /// <summary>A customer's current tags. 404 when the viewer cannot see the customer.</summary>
    public async Task<IReadOnlyList<TagView>> CustomerTagsAsync(Guid workspaceId, Guid customerId, Guid? onlyOwnedBy, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await RequireVisibleAsync(connection, workspaceId, customerId, onlyOwnedBy);
        return (await connection.QueryAsync<TagView>(
            "SELECT tag, source, created_at FROM customer_tags WHERE workspace_id = @workspaceId AND customer_id = @customerId ORDER BY created_at, tag",
            new { workspaceId, customerId })).AsList();
    }

    /// <summary>
    /// Tag history, newest first, of one customer or of one tag (or both), one page at a time; for the staff role only their
    /// own customers' entries. A customer the viewer cannot see is a 404.
    /// </summary>
    public async Task<TagHistoryPage> HistoryAsync(Guid workspaceId, Guid? customerId, string? tag, Guid? onlyOwnedBy, string? cursor, string? limit,
        CancellationToken cancellationToken = default)
    {
        var take = CustomerQuery.ParseLimit(limit, DefaultHistoryLimit, MaxHistoryLimit);
        (long At, long Id)? after = string.IsNullOrWhiteSpace(cursor) ? null : DecodeCursor(cursor);
        await using var connection = await database.OpenAsync(cancellationToken);
        if (customerId is { } id)
            await RequireVisibleAsync(connection, workspaceId, id, onlyOwnedBy);

        var sql = new StringBuilder(
            """
            SELECT h.id, h.customer_id, c.display_name AS customer_name, h.tag, h.action, h.source, h.actor, h.occurred_at
            FROM tag_history h LEFT JOIN customers c ON c.id = h.customer_id AND c.workspace_id = h.workspace_id
            WHERE h.workspace_id = @workspaceId
            """);
        if (customerId is not null)
            sql.Append(" AND h.customer_id = @customerId");
        if (tag is not null)
            sql.Append(" AND h.tag = @tag");
        if (onlyOwnedBy is not null)
            sql.Append(" AND c.owner_staff_id = @owner");
        if (after is not null)
            sql.Append(" AND (h.occurred_at < @at OR (h.occurred_at = @at AND h.id < @afterId))");
        sql.Append(" ORDER BY h.occurred_at DESC, h.id DESC LIMIT @take");
        var rows = (await connection.QueryAsync<TagHistoryEntry>(sql.ToString(), new
        {
            workspaceId, customerId, tag = tag?.Trim(), owner = onlyOwnedBy, at = after?.At ?? 0, afterId = after?.Id ?? 0, take = take + 1,
        })).AsList();
        var items = rows.Take(take).ToList();
        return new TagHistoryPage
        {
            Items = items,
            NextCursor = rows.Count > take ? EncodeCursor(items[^1].OccurredAt, items[^1].Id) : null,
        };
    }

    private static async Task RequireVisibleAsync(DbConnection connection, Guid workspaceId, Guid customerId, Guid? onlyOwnedBy)
    {
        var owner = onlyOwnedBy is null ? "" : " AND owner_staff_id = @owner";
        if (await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM customers WHERE workspace_id = @workspaceId AND id = @customerId{owner}",
                new { workspaceId, customerId, owner = onlyOwnedBy }) == 0)
            throw new NotFoundException($"No customer {customerId} in this workspace.");
    }

    private static async Task<IReadOnlyList<Guid>> CarriersOfAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, string tag) =>
        (await connection.QueryAsync<Guid>("SELECT customer_id FROM customer_tags WHERE workspace_id = @workspaceId AND tag = @tag", new { workspaceId, tag }, transaction)).AsList();

    private static async Task<Dictionary<string, long>> CountsAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid? onlyOwnedBy, string? tag)
    {
        var sql = onlyOwnedBy is null
            ? "SELECT ct.tag, COUNT(*) AS customers FROM customer_tags ct WHERE ct.workspace_id = @workspaceId"
            : "SELECT ct.tag, COUNT(*) AS customers FROM customer_tags ct JOIN customers c ON c.id = ct.customer_id WHERE ct.workspace_id = @workspaceId AND c.owner_staff_id = @owner";
        if (tag is not null)
            sql += " AND ct.tag = @tag";
        var rows = await connection.QueryAsync<CountRow>(sql + " GROUP BY ct.tag", new { workspaceId, owner = onlyOwnedBy, tag }, transaction);
        return rows.ToDictionary(r => r.Tag, r => r.Customers, StringComparer.Ordinal);
    }

    private static CatalogTag WithCount(CatalogTag tag, Dictionary<string, long> counts) => new()
    {
        Id = tag.Id, Name = tag.Name, GroupId = tag.GroupId, GroupName = tag.GroupName, Description = tag.Description,
        CreatedAt = tag.CreatedAt, CreatedBy = tag.CreatedBy, Customers = counts.GetValueOrDefault(tag.Name),
    };

    private static async Task<CatalogTag?> FindTagAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid id, Guid? onlyOwnedBy)
    {
        var tag = await connection.QuerySingleOrDefaultAsync<CatalogTag>($"{TagSelect} WHERE t.workspace_id = @workspaceId AND t.id = @id", new { workspaceId, id }, transaction);
        return tag is null ? null : WithCount(tag, await CountsAsync(connection, transaction, workspaceId, onlyOwnedBy, tag.Name));
    }

    private static Task<TagGroup?> FindGroupAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid id) =>
        connection.QuerySingleOrDefaultAsync<TagGroup?>($"{GroupSelect} WHERE g.workspace_id = @workspaceId AND g.id = @id", new { workspaceId, id }, transaction);

    private static async Task RequireGroupAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid? groupId)
    {
        if (groupId is { } id && await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM tag_groups WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id }, transaction) == 0)
            throw new ValidationFailedException($"No tag group {id} in this workspace; take groupId from GET /api/tag-groups, or send null to leave the tag ungrouped.", "groupId");
    }

    // A check-then-insert would race; the unique index settles it and the caller gets a 409 naming the clash.
    private static async Task<int> UniqueAsync(Func<Task<int>> write, ConflictException duplicate)
    {
        try
        {
            return await write();
        }
        catch (DbException e) when (e is SqliteException { SqliteErrorCode: 19 } or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            throw duplicate;
        }
    }

    private static (string Name, string? Description, int SortOrder) CleanGroup(TagGroupInput input)
    {
        var name = (input.Name ?? "").Trim();
        if (name.Length is 0 or > 50 || name.Any(char.IsControl))
            throw new ValidationFailedException("A tag group needs a name of 1–50 characters without line breaks, e.g. 肤质 or 兴趣.", "name");
        return (name, CleanDescription(input.Description), input.SortOrder ?? 0);
    }

    private static (string Name, string? Description) CleanTag(TagInput input) =>
        (TagNames.Clean(input.Name, "name"), CleanDescription(input.Description));

    private static string? CleanDescription(string? description)
    {
        var clean = description?.Trim();
        if (clean is { Length: > MaxDescription })
            throw new ValidationFailedException($"The description is {clean.Length} characters; keep it to {MaxDescription}.", "description");
        return string.IsNullOrEmpty(clean) ? null : clean;
    }

    private static ConflictException DuplicateGroup(string name) => new($"A tag group named '{name}' exists already; pick another name or edit that group.");

    private static ConflictException DuplicateTag(string name) => new($"A tag named '{name}' exists already; pick another name, or delete that tag first.");

    private static NotFoundException GroupNotFound(Guid id) => new($"No tag group {id} in this workspace.");

    private static NotFoundException TagNotFound(Guid id) => new($"No tag {id} in this workspace.");

    private const string BadCursor = "The cursor is not one this API issued; pass nextCursor from the previous page unchanged, or leave it out for the first page.";

    private static string EncodeCursor(DateTimeOffset occurredAt, long id) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"h1:{occurredAt.ToUnixTimeMilliseconds()}:{id}")));

    private static (long At, long Id) DecodeCursor(string cursor)
    {
        string? text;
        try
        {
            text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor.Trim()));
        }
        catch (FormatException)
        {
            text = null;
        }

        var parts = text?.Split(':');
        if (parts is not ["h1", var at, var id]
            || !long.TryParse(at, NumberStyles.Integer, CultureInfo.InvariantCulture, out var occurred)
            || !long.TryParse(id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var entry))
            throw new ValidationFailedException(BadCursor, "cursor");
        return (occurred, entry);
    }

    private const string GroupSelect =
        """
        SELECT g.id, g.name, g.description, g.sort_order, g.created_at, (SELECT COUNT(*) FROM tags t WHERE t.group_id = g.id) AS tags
        FROM tag_groups g
        """;

    private const string TagSelect =
        """
        SELECT t.id, t.name, t.group_id, g.name AS group_name, t.description, t.created_at, t.created_by
        FROM tags t LEFT JOIN tag_groups g ON g.id = t.group_id
        """;

    private sealed class GroupCountRow
    {
        public Guid GroupId { get; init; }
        public long Customers { get; init; }
    }

    private sealed class CountRow
    {
        public string Tag { get; init; } = "";
        public long Customers { get; init; }
    }
}

/// <summary>A merged customer's tag history moves to the survivor with their tags.</summary>
internal sealed class TagMergeParticipant : ICustomerMergeParticipant
{
    public async Task MoveAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid survivorId, Guid mergedId)
    {
        var ids = new { workspaceId, survivorId, mergedId };
        await connection.ExecuteAsync(
            """
            INSERT INTO customer_tags (workspace_id, customer_id, tag, source, created_at)
            SELECT workspace_id, @survivorId, tag, source, created_at FROM customer_tags WHERE workspace_id = @workspaceId AND customer_id = @mergedId
            ON CONFLICT DO NOTHING
            """, ids, transaction);
        await connection.ExecuteAsync("DELETE FROM customer_tags WHERE workspace_id = @workspaceId AND customer_id = @mergedId", ids, transaction);
        await connection.ExecuteAsync("UPDATE tag_history SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId", ids, transaction);
    }
}
