using System.Data.Common;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Pond.Storage;

namespace Pond.Audience;

/// <summary>
/// The one way to put tags on customers and take them off: the console, the admin API, bulk actions, channels,
/// events, imports and rule-synced segments all come here, so every change lands in tag_history with who or what
/// made it, and every tag in use is in the catalog. Adding a tag a customer has, or removing one they lack, changes
/// and records nothing; concurrent adds of the same tag insert one row (ON CONFLICT DO NOTHING) and the history
/// follows only the rows a statement actually inserted or deleted.
/// </summary>
internal sealed class CustomerTags(Database database, AudienceChanges changes, TimeProvider clock)
{
    /// <summary>Customer ids per statement: one JSON array (SQLite) or array parameter (PostgreSQL).</summary>
    public const int BatchSize = 500;

    /// <summary>
    /// Adds the tag to the customers in its own transaction and returns how many customers gained it. Every id must be a
    /// customer of the workspace (and owned by <paramref name="onlyOwnedBy"/> when given), else 404 naming one and nothing changes.
    /// </summary>
    public Task<int> AddAsync(Guid workspaceId, IReadOnlyCollection<Guid> customerIds, string tag, string source, string? actor,
        Guid? onlyOwnedBy = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(true, workspaceId, customerIds, tag, source, actor, onlyOwnedBy, cancellationToken);

    /// <summary>Removes the tag from the customers; returns how many customers lost it. Ids are checked as for <see cref="AddAsync(Guid, IReadOnlyCollection{Guid}, string, string, string?, Guid?, CancellationToken)"/>.</summary>
    public Task<int> RemoveAsync(Guid workspaceId, IReadOnlyCollection<Guid> customerIds, string tag, string source, string? actor,
        Guid? onlyOwnedBy = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(false, workspaceId, customerIds, tag, source, actor, onlyOwnedBy, cancellationToken);

    /// <summary>
    /// Inside the caller's transaction (the event processor, channel credits, imports): adds the tag and returns the
    /// customers that gained it. Customer ids are not checked, and the audience is not told: the caller does both.
    /// </summary>
    public static async Task<IReadOnlyList<Guid>> AddAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId,
        IReadOnlyCollection<Guid> customerIds, string tag, string source, string? actor, DateTimeOffset at)
    {
        tag = TagNames.Clean(tag);
        TagSources.Validate(source);
        await EnsureInCatalogAsync(connection, transaction, workspaceId, tag, actor, at);
        var sqlite = connection is SqliteConnection;
        var sql = sqlite
            ? """
              INSERT INTO customer_tags (workspace_id, customer_id, tag, source, created_at)
              SELECT @workspaceId, value, @tag, @source, @at FROM json_each(@ids) WHERE true
              ON CONFLICT DO NOTHING RETURNING customer_id
              """
            : """
              INSERT INTO customer_tags (workspace_id, customer_id, tag, source, created_at)
              SELECT @workspaceId, u.id, @tag, @source, @at FROM unnest(@ids) AS u(id)
              ON CONFLICT DO NOTHING RETURNING customer_id
              """;
        var changed = new List<Guid>();
        foreach (var chunk in Chunks(customerIds))
        {
            var inserted = (await connection.QueryAsync<Guid>(sql, new { workspaceId, tag, source, at, ids = Ids(sqlite, chunk) }, transaction)).AsList();
            await RecordAsync(connection, transaction, workspaceId, inserted, tag, TagActions.Added, source, actor, at);
            changed.AddRange(inserted);
        }

        return changed;
    }

    /// <summary>Inside the caller's transaction: removes the tag and returns the customers that lost it (see the add overload).</summary>
    public static async Task<IReadOnlyList<Guid>> RemoveAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId,
        IReadOnlyCollection<Guid> customerIds, string tag, string source, string? actor, DateTimeOffset at)
    {
        tag = TagNames.Clean(tag);
        TagSources.Validate(source);
        var sqlite = connection is SqliteConnection;
        var sql = "DELETE FROM customer_tags WHERE workspace_id = @workspaceId AND tag = @tag AND customer_id "
                  + (sqlite ? "IN (SELECT value FROM json_each(@ids))" : "= ANY(@ids)") + " RETURNING customer_id";
        var changed = new List<Guid>();
        foreach (var chunk in Chunks(customerIds))
        {
            var deleted = (await connection.QueryAsync<Guid>(sql, new { workspaceId, tag, ids = Ids(sqlite, chunk) }, transaction)).AsList();
            await RecordAsync(connection, transaction, workspaceId, deleted, tag, TagActions.Removed, source, actor, at);
            changed.AddRange(deleted);
        }

        return changed;
    }

    /// <summary>Writes history rows for customers whose tag changed (the caller already changed customer_tags).</summary>
    internal static async Task RecordAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, IReadOnlyCollection<Guid> customerIds,
        string tag, string action, string source, string? actor, DateTimeOffset at)
    {
        if (customerIds.Count == 0)
            return;
        var sqlite = connection is SqliteConnection;
        var sql = sqlite
            ? """
              INSERT INTO tag_history (workspace_id, customer_id, tag, action, source, actor, occurred_at)
              SELECT @workspaceId, value, @tag, @action, @source, @actor, @at FROM json_each(@ids)
              """
            : """
              INSERT INTO tag_history (workspace_id, customer_id, tag, action, source, actor, occurred_at)
              SELECT @workspaceId, u.id, @tag, @action, @source, @actor, @at FROM unnest(@ids) AS u(id)
              """;
        foreach (var chunk in Chunks(customerIds))
            await connection.ExecuteAsync(sql, new { workspaceId, tag, action, source, actor, at, ids = Ids(sqlite, chunk) }, transaction);
    }

    /// <summary>A tag in use is always in the catalog: an unknown one joins it ungrouped.</summary>
    internal static Task EnsureInCatalogAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, string tag, string? actor, DateTimeOffset at) =>
        connection.ExecuteAsync(
            """
            INSERT INTO tags (id, workspace_id, group_id, name, description, created_at, created_by)
            VALUES (@id, @workspaceId, NULL, @tag, NULL, @at, @actor)
            ON CONFLICT (workspace_id, name) DO NOTHING
            """, new { id = Guid.CreateVersion7(), workspaceId, tag, at, actor }, transaction);

    /// <summary>A transaction that holds the write lock from the start on SQLite (a deferred one can fail to upgrade under concurrency).</summary>
    internal static async Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken) =>
        connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : await connection.BeginTransactionAsync(cancellationToken);

    /// <summary>
    /// Throws <see cref="NotFoundException"/> naming the first id that is not a customer of the workspace (or not owned by
    /// <paramref name="onlyOwnedBy"/>): callers learn nothing about other workspaces' or other staff members' customers.
    /// </summary>
    internal static async Task RequireCustomersAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId,
        IReadOnlyCollection<Guid> customerIds, Guid? onlyOwnedBy)
    {
        var sqlite = connection is SqliteConnection;
        var sql = "SELECT id FROM customers WHERE workspace_id = @workspaceId AND id "
                  + (sqlite ? "IN (SELECT value FROM json_each(@ids))" : "= ANY(@ids)")
                  + (onlyOwnedBy is null ? "" : " AND owner_staff_id = @owner");
        foreach (var chunk in Chunks(customerIds))
        {
            var found = (await connection.QueryAsync<Guid>(sql, new { workspaceId, ids = Ids(sqlite, chunk), owner = onlyOwnedBy }, transaction)).ToHashSet();
            if (found.Count < chunk.Length)
                throw new NotFoundException($"No customer {chunk.First(id => !found.Contains(id))} in this workspace; nothing was changed.");
        }
    }

    private async Task<int> ChangeAsync(bool add, Guid workspaceId, IReadOnlyCollection<Guid> customerIds, string tag, string source, string? actor,
        Guid? onlyOwnedBy, CancellationToken cancellationToken)
    {
        tag = TagNames.Clean(tag);
        TagSources.Validate(source);
        if (customerIds.Count == 0)
            return 0;
        IReadOnlyList<Guid> changed;
        await using (var connection = await database.OpenAsync(cancellationToken))
        await using (var transaction = await BeginAsync(connection, cancellationToken))
        {
            await RequireCustomersAsync(connection, transaction, workspaceId, customerIds, onlyOwnedBy);
            var now = clock.GetUtcNow();
            changed = add
                ? await AddAsync(connection, transaction, workspaceId, customerIds, tag, source, actor, now)
                : await RemoveAsync(connection, transaction, workspaceId, customerIds, tag, source, actor, now);
            await transaction.CommitAsync(cancellationToken);
        }

        changes.Touch(workspaceId, changed);
        return changed.Count;
    }

    // Sorted, so two transactions touching overlapping customers lock their rows in the same order.
    private static IEnumerable<Guid[]> Chunks(IEnumerable<Guid> ids) => ids.Distinct().Order().Chunk(BatchSize);

    private static object Ids(bool sqlite, Guid[] chunk) => sqlite ? JsonSerializer.Serialize(chunk) : chunk;
}
