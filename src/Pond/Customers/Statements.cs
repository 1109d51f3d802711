using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Pond.Customers;

/// <summary>
/// The event processor's hot statements, each created once per transaction and reused for every event.
/// Microsoft.Data.Sqlite prepares a statement per command object, so a fresh command per event (as
/// Dapper makes) spends most of its time re-preparing the same SQL.
/// </summary>
public sealed class Statements(DbConnection connection, DbTransaction transaction) : IDisposable
{
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);
    private readonly bool _sqlite = connection is SqliteConnection;
    private readonly HashSet<DbCommand> _prepared = [];

    public DbConnection Connection => connection;

    public DbTransaction Transaction => transaction;

    /// <summary>The command for <paramref name="sql"/> with its parameters set to <paramref name="values"/> (name, value pairs in order).</summary>
    public DbCommand Command(string sql, params ReadOnlySpan<(string Name, object? Value)> values)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            command.Transaction = transaction;
            foreach (var (name, _) in values)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                command.Parameters.Add(parameter);
            }

            _commands[sql] = command;
        }

        var hasNull = false;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = Db(values[i].Value);
            hasNull |= values[i].Value is null;
        }

        // PostgreSQL: prepare once the values show every parameter's type (a null does not), so later
        // events skip parsing and planning. Npgsql keeps prepared statements on the pooled connection.
        if (!_sqlite && !hasNull && _prepared.Add(command))
            command.Prepare();
        return command;
    }

    public Task<int> ExecuteAsync(string sql, params ReadOnlySpan<(string Name, object? Value)> values) =>
        Command(sql, values).ExecuteNonQueryAsync();

    private object Db(object? value) => value switch
    {
        null => DBNull.Value,
        Guid id => _sqlite ? id.ToString() : id,
        DateTimeOffset time => time.ToUnixTimeMilliseconds(),
        _ => value,
    };

    public void Dispose()
    {
        foreach (var command in _commands.Values)
            command.Dispose();
        _commands.Clear();
    }
}
