using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Pond.Storage;

namespace Pond.Server.Demo;

/// <summary>
/// Loads many rows fast: binary COPY on PostgreSQL, one prepared INSERT in a transaction on SQLite.
/// Values are CLR-typed as the column is (Guid, long, short, bool, string, null); times as unix ms.
/// </summary>
internal sealed class BulkInserter(Database database)
{
    public async Task InsertAsync(string table, string[] columns, IEnumerable<object?[]> rows, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        if (connection is NpgsqlConnection postgres)
        {
            await using var importer = await postgres.BeginBinaryImportAsync(
                $"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken);
            foreach (var row in rows)
            {
                await importer.StartRowAsync(cancellationToken);
                foreach (var value in row)
                {
                    if (value is null)
                        await importer.WriteNullAsync(cancellationToken);
                    else
                        await WriteAsync(importer, value, cancellationToken);
                }
            }

            await importer.CompleteAsync(cancellationToken);
            return;
        }

        // Index pages of a large load do not fit the default 2 MB cache; without room SQLite rereads them from disk.
        await using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA cache_size = -262144";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var command = ((SqliteConnection)connection).CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => $"$p{i}"))})";
        var parameters = columns.Select((_, i) => command.Parameters.Add(new SqliteParameter($"$p{i}", null))).ToArray();
        command.Prepare();
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
                parameters[i].Value = row[i] switch
                {
                    null => DBNull.Value,
                    Guid guid => guid.ToString(),
                    bool flag => flag ? 1L : 0L,
                    var other => other,
                };
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        // The connection goes back to the pool: give the memory back too.
        await using var reset = connection.CreateCommand();
        reset.CommandText = "PRAGMA cache_size = -2000";
        await reset.ExecuteNonQueryAsync(cancellationToken);
    }

    private static Task WriteAsync(NpgsqlBinaryImporter importer, object value, CancellationToken cancellationToken) => value switch
    {
        Guid guid => importer.WriteAsync(guid, NpgsqlTypes.NpgsqlDbType.Uuid, cancellationToken),
        long number => importer.WriteAsync(number, NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken),
        short number => importer.WriteAsync(number, NpgsqlTypes.NpgsqlDbType.Smallint, cancellationToken),
        bool flag => importer.WriteAsync(flag, NpgsqlTypes.NpgsqlDbType.Boolean, cancellationToken),
        string text => importer.WriteAsync(text, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken),
        _ => throw new ArgumentException($"BulkInserter cannot write a {value.GetType().Name}."),
    };
}
