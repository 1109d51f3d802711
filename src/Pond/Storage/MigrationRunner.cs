using System.Globalization;
using System.Reflection;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Pond.Storage;

/// <summary>
/// Versioned schema migrations: numbered SQL scripts per engine under Storage/Migrations/{sqlite,postgres},
/// applied in order, each in its own transaction, recorded in schema_migrations. Both folders must hold
/// the same versions (a test checks it), so a database on either engine has the same shape at a version.
/// </summary>
public sealed class MigrationRunner(Database database, ILogger<MigrationRunner> logger)
{
    public sealed record Migration(int Version, string Name, string Sql);

    public static IReadOnlyList<Migration> Available(DbEngine engine)
    {
        var folder = engine == DbEngine.Postgres ? "postgres" : "sqlite";
        var prefix = $"Pond.Migrations.{folder}.";
        var assembly = typeof(MigrationRunner).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(n => n.Replace('/', '.').Replace('\\', '.').StartsWith(prefix, StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n[prefix.Length..^".sql".Length];
                var version = int.Parse(file.AsSpan(0, file.IndexOf('_', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
                return new Migration(version, file, Read(assembly, n));
            })
            .OrderBy(m => m.Version)
            .ToList();
        return migrations.Count > 0 ? migrations : throw new InvalidOperationException($"No migrations are embedded for {engine}.");
    }

    public static int LatestVersion(DbEngine engine) => Available(engine)[^1].Version;

    public async Task<int> CurrentVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await EnsureTableAsync(connection);
        return await connection.ExecuteScalarAsync<int?>("SELECT MAX(version) FROM schema_migrations") ?? 0;
    }

    /// <summary>Applies every pending migration up to <paramref name="targetVersion"/> (default: all).</summary>
    public async Task<IReadOnlyList<Migration>> MigrateAsync(int? targetVersion = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await EnsureTableAsync(connection);
        if (database.Engine == DbEngine.Postgres)
        {
            // Several nodes may start at once; one migrates, the others wait for it.
            await connection.ExecuteAsync("SELECT pg_advisory_lock(80211)");
        }

        try
        {
            var current = await connection.ExecuteScalarAsync<int?>("SELECT MAX(version) FROM schema_migrations") ?? 0;
            var pending = Available(database.Engine)
                .Where(m => m.Version > current && (targetVersion is null || m.Version <= targetVersion))
                .ToList();
            foreach (var migration in pending)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(migration.Sql, transaction: transaction);
                await connection.ExecuteAsync(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)",
                    new { migration.Version, migration.Name, AppliedAt = DateTimeOffset.UtcNow },
                    transaction);
                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied migration {Migration} to {Database}", migration.Name, database.Description);
            }

            return pending;
        }
        finally
        {
            if (database.Engine == DbEngine.Postgres)
                await connection.ExecuteAsync("SELECT pg_advisory_unlock(80211)");
        }
    }

    private static async Task EnsureTableAsync(System.Data.Common.DbConnection connection) =>
        await connection.ExecuteAsync(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
