using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Pond.Storage;

public enum DbEngine
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The one place that knows which engine Pond is running on. Features open connections here and
/// write SQL that both engines accept; the few statements that differ branch on <see cref="Engine"/>.
/// </summary>
public sealed class Database : IDisposable
{
    private readonly NpgsqlDataSource? _postgres;

    public Database(string connectionString)
    {
        DapperSetup.EnsureRegistered();
        Engine = DetectEngine(connectionString);
        if (Engine == DbEngine.Postgres)
        {
            var builder = new NpgsqlConnectionStringBuilder(ToNpgsqlConnectionString(connectionString));
            // Pond repeats a small set of statements (ingestion, processing); server-side prepared
            // statements save the planning on each, unless the operator chose otherwise.
            if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase))
                builder.MaxAutoPrepare = 64;
            ConnectionString = builder.ConnectionString;
            _postgres = NpgsqlDataSource.Create(builder.ConnectionString);
            Description = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}";
        }
        else
        {
            var builder = new SqliteConnectionStringBuilder(connectionString)
            {
                Pooling = true,
                DefaultTimeout = 30,
            };
            if (builder.DataSource is { Length: > 0 } file && file != ":memory:")
            {
                var dir = Path.GetDirectoryName(Path.GetFullPath(file));
                if (dir is not null)
                    Directory.CreateDirectory(dir);
            }
            ConnectionString = builder.ConnectionString;
            Description = $"SQLite {builder.DataSource}";
        }
    }

    public DbEngine Engine { get; }

    public string ConnectionString { get; }

    /// <summary>A human-readable name of the store, without secrets.</summary>
    public string Description { get; }

    public bool IsSqlite => Engine == DbEngine.Sqlite;

    /// <summary>A write refused by a unique constraint, on either engine: the caller lost a race or repeated itself.</summary>
    public static bool IsUniqueViolation(Exception e) =>
        e is SqliteException { SqliteErrorCode: 19 } or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public static DbEngine DetectEngine(string connectionString) =>
        connectionString.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || connectionString.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || connectionString.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            ? DbEngine.Postgres
            : DbEngine.Sqlite;

    public static string SqliteFile(string dataDirectory) =>
        $"Data Source={Path.Combine(dataDirectory, "pond.db")}";

    public DbConnection Open()
    {
        if (_postgres is not null)
            return _postgres.OpenConnection();
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        ConfigureSqlite(connection);
        return connection;
    }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (_postgres is not null)
            return await _postgres.OpenConnectionAsync(cancellationToken);
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        ConfigureSqlite(connection);
        return connection;
    }

    // WAL lets the console read while ingestion writes; synchronous=FULL makes a commit survive
    // power loss, which is what "acknowledged = durable" promises the tracking API's callers.
    private static void ConfigureSqlite(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        command.ExecuteNonQuery();
    }

    private static string ToNpgsqlConnectionString(string value)
    {
        if (!value.Contains("://", StringComparison.Ordinal))
            return value;
        var uri = new Uri(value);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = uri.AbsolutePath.Trim('/'),
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length > 1)
                builder.Password = Uri.UnescapeDataString(parts[1]);
        }
        return builder.ConnectionString;
    }

    public void Dispose() => _postgres?.Dispose();
}
