using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Pond.Storage;

namespace Pond.Ingestion;

/// <summary>
/// Group commit for the event log. Requests hand over their validated rows and wait; one writer loop
/// takes everything queued, writes it in one transaction and then completes every waiting request.
/// One durable commit (an fsync on SQLite) is shared by many requests, which is what lets acknowledged-
/// means-durable run at tens of thousands of events a second. A request's rows never straddle two
/// transactions, so a batch is stored whole or not at all.
/// </summary>
public sealed class EventLogWriter : IAsyncDisposable
{
    // Enough rows per transaction to amortise the commit, few enough that waiting requests are not starved.
    private const int MaxRowsPerCommit = 5000;

    private readonly Database _database;
    private readonly ILogger<EventLogWriter> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(2000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });
    private readonly Channel<bool> _appended = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Thread _thread;

    public EventLogWriter(Database database, ILogger<EventLogWriter> logger)
    {
        _database = database;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "pond-event-log-writer" };
        _thread.Start();
    }

    /// <summary>Signalled after a commit that stored new events; the event processor waits on it when idle.</summary>
    public ChannelReader<bool> Appended => _appended.Reader;

    /// <summary>For writers that put rows on the log in their own transaction (the order book): wakes the processor after their commit.</summary>
    public void NotifyAppended() => _appended.Writer.TryWrite(true);

    /// <summary>Completes once the rows are committed. Rows whose message id is already stored are skipped (a resend).</summary>
    public async Task AppendAsync(IReadOnlyList<EventRecord> rows, CancellationToken cancellationToken = default)
    {
        if (rows.Count == 0)
            return;
        var pending = new Pending(rows, new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        // Not cancelled with the request: once queued the rows will be written, and the caller may retry anyway.
        await pending.Done.Task;
    }

    // The writer owns a thread rather than borrowing the pool's: each commit blocks for an fsync, and on a
    // two-core machine a pool thread blocked that often starves the requests that feed it.
    private void Run()
    {
        var group = new List<Pending>();
        using var sink = _database.IsSqlite ? (Sink)new SqliteSink(_database) : new PostgresSink(_database);
        while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            group.Clear();
            var rows = 0;
            while (rows < MaxRowsPerCommit && _queue.Reader.TryRead(out var next))
            {
                group.Add(next);
                rows += next.Rows.Count;
            }

            try
            {
                var inserted = sink.Write(group, rows);
                foreach (var pending in group)
                    pending.Done.TrySetResult(pending.Rows.Count);
                if (inserted > 0)
                    _appended.Writer.TryWrite(true);
            }
#pragma warning disable CA1031 // The loop must survive a failed commit; the requests that were in it get the error.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogError(e, "Writing {Rows} events to the event log failed", rows);
                foreach (var pending in group)
                    pending.Done.TrySetException(e);
                sink.Reset();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.Run(_thread.Join);
    }

    private sealed record Pending(IReadOnlyList<EventRecord> Rows, TaskCompletionSource<int> Done);

    private abstract class Sink : IDisposable
    {
        public abstract int Write(List<Pending> group, int rows);

        public abstract void Reset();

        public void Dispose() => Reset();
    }

    /// <summary>One connection and one prepared INSERT reused for every row: the fastest SQLite path.</summary>
    private sealed class SqliteSink(Database database) : Sink
    {
        private SqliteConnection? _connection;
        private SqliteCommand? _insert;

        public override int Write(List<Pending> group, int rows)
        {
            if (_connection is null)
            {
                _connection = (SqliteConnection)database.Open();
                // The log's unique (workspace, message id) index is inserted into at random places; a larger
                // page cache for this one long-lived connection keeps those pages in memory.
                using (var pragma = _connection.CreateCommand())
                {
                    pragma.CommandText = "PRAGMA cache_size = -65536";
                    pragma.ExecuteNonQuery();
                }

                _insert = _connection.CreateCommand();
                _insert.CommandText = EventLogSql.SqliteInsert;
                foreach (var name in EventLogSql.SqliteParameters)
                    _insert.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            // BEGIN IMMEDIATE takes the write lock up front instead of failing to upgrade a read lock.
            using var transaction = _connection.BeginTransaction(deferred: false);
            _insert!.Transaction = transaction;
            var inserted = 0;
            foreach (var pending in group)
            {
                foreach (var row in pending.Rows)
                    inserted += EventLogSql.InsertSqlite(_insert, row);
            }

            transaction.Commit();
            return inserted;
        }

        public override void Reset()
        {
            _insert?.Dispose();
            _connection?.Dispose();
            _connection = null;
            _insert = null;
        }
    }

    /// <summary>One multi-row INSERT … SELECT FROM unnest(arrays) per commit: one round trip for the whole group.</summary>
    private sealed class PostgresSink(Database database) : Sink
    {
        public override int Write(List<Pending> group, int rows)
        {
            var all = new List<EventRecord>(rows);
            foreach (var pending in group)
                all.AddRange(pending.Rows);
            using var connection = (NpgsqlConnection)database.Open();
            using var command = EventLogSql.PostgresInsert(connection, all);
            return command.ExecuteNonQuery();
        }

        public override void Reset()
        {
        }
    }
}

/// <summary>The event log's INSERT on each engine; shared with the benchmark's direct-insert baseline.</summary>
public static class EventLogSql
{
    public const string SqliteInsert =
        """
        INSERT INTO event_log (workspace_id, message_id, type, received_at, occurred_at, payload)
        VALUES ($w, $m, $t, $r, $o, $p) ON CONFLICT DO NOTHING
        """;

    public static readonly string[] SqliteParameters = ["$w", "$m", "$t", "$r", "$o", "$p"];

    public static int InsertSqlite(SqliteCommand insert, EventRecord row)
    {
        var p = insert.Parameters;
        p[0].Value = row.WorkspaceId.ToString();
        p[1].Value = row.MessageId;
        p[2].Value = row.Type;
        p[3].Value = DbTime.ToDb(row.ReceivedAt);
        p[4].Value = DbTime.ToDb(row.OccurredAt);
        p[5].Value = row.Payload;
        return insert.ExecuteNonQuery();
    }

    public static async Task<int> InsertPostgresAsync(NpgsqlConnection connection, IReadOnlyList<EventRecord> rows)
    {
        await using var command = PostgresInsert(connection, rows);
        return await command.ExecuteNonQueryAsync();
    }

    public static NpgsqlCommand PostgresInsert(NpgsqlConnection connection, IReadOnlyList<EventRecord> rows)
    {
        var n = rows.Count;
        var workspaces = new Guid[n];
        var messages = new string[n];
        var types = new string[n];
        var received = new long[n];
        var occurred = new long[n];
        var payloads = new string[n];
        for (var i = 0; i < n; i++)
        {
            var row = rows[i];
            workspaces[i] = row.WorkspaceId;
            messages[i] = row.MessageId;
            types[i] = row.Type;
            received[i] = DbTime.ToDb(row.ReceivedAt);
            occurred[i] = DbTime.ToDb(row.OccurredAt);
            payloads[i] = row.Payload;
        }

        var command = new NpgsqlCommand(
            """
            INSERT INTO event_log (workspace_id, message_id, type, received_at, occurred_at, payload)
            SELECT * FROM unnest(@w, @m, @t, @r, @o, @p)
            ON CONFLICT DO NOTHING
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("w", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = workspaces });
        command.Parameters.Add(new NpgsqlParameter<string[]>("m", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = messages });
        command.Parameters.Add(new NpgsqlParameter<string[]>("t", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = types });
        command.Parameters.Add(new NpgsqlParameter<long[]>("r", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = received });
        command.Parameters.Add(new NpgsqlParameter<long[]>("o", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = occurred });
        command.Parameters.Add(new NpgsqlParameter<string[]>("p", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = payloads });
        return command;
    }
}
