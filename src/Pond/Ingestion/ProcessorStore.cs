using System.Data.Common;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Pond.Customers;
using Pond.Storage;

namespace Pond.Ingestion;

/// <summary>
/// The processor's batch reads and writes. PostgreSQL gets one statement per table and batch (arrays
/// through unnest), because each round trip costs more than the row; SQLite runs in-process, where a
/// reused prepared statement per row is as fast, so it keeps those.
/// </summary>
internal sealed class ProcessorStore(Statements statements)
{
    private readonly bool _sqlite = statements.Connection is not NpgsqlConnection;

    internal sealed record NewIdentity(Guid Id, Guid WorkspaceId, Guid CustomerId, Identity Identity, DateTimeOffset CreatedAt);

    internal sealed record TimelineRow(Guid WorkspaceId, Guid CustomerId, string MessageId, string Type, string? Name, DateTimeOffset OccurredAt, string Properties);

    /// <summary>Which of <paramref name="identities"/> exist in the workspace, and whose they are.</summary>
    public async Task<List<(Identity Identity, Guid CustomerId)>> FindIdentitiesAsync(Guid workspaceId, IReadOnlySet<Identity> identities)
    {
        var found = new List<(Identity, Guid)>();
        var wanted = identities.ToList();
        await using var command = _sqlite ? SqliteFindIdentities(workspaceId, wanted) : PostgresFindIdentities(workspaceId, wanted);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var identity = new Identity(reader.GetString(0), reader.GetString(1), reader.GetString(2));
            if (identities.Contains(identity))
                found.Add((identity, reader.GetGuid(3)));
        }

        return found;
    }

    // The index is on (workspace, value); kind and scope are checked by the caller.
    private DbCommand SqliteFindIdentities(Guid workspaceId, List<Identity> identities)
    {
        var command = statements.Connection.CreateCommand();
        command.Transaction = statements.Transaction;
        command.CommandText = "SELECT kind, scope, value, customer_id FROM identities WHERE workspace_id = @workspace AND value "
            + InList(command, "value", identities.Select(i => i.Value).Distinct().ToList());
        AddParameter(command, "workspace", workspaceId.ToString());
        return command;
    }

    // Joined on the whole unique key: with "value = ANY(…)" PostgreSQL picks a slow plan.
    private NpgsqlCommand PostgresFindIdentities(Guid workspaceId, List<Identity> identities)
    {
        var command = new NpgsqlCommand(
            """
            SELECT i.kind, i.scope, i.value, i.customer_id
            FROM unnest(@kind, @scope, @value) AS w(kind, scope, value)
            JOIN identities i ON i.workspace_id = @workspace AND i.kind = w.kind AND i.scope = w.scope AND i.value = w.value
            """, (NpgsqlConnection)statements.Connection, (NpgsqlTransaction)statements.Transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("workspace", workspaceId));
        AddArray(command, "kind", NpgsqlDbType.Text, identities, i => i.Kind);
        AddArray(command, "scope", NpgsqlDbType.Text, identities, i => i.Scope);
        AddArray(command, "value", NpgsqlDbType.Text, identities, i => i.Value);
        return command;
    }

    /// <summary>
    /// The customers with these ids. PostgreSQL locks them for the batch, so a concurrent edit (say, by
    /// staff) waits instead of being overwritten by the batch's save; SQLite's batch holds the write lock already.
    /// </summary>
    public async Task<List<CustomerRecord>> LoadCustomersAsync(List<Guid> ids)
    {
        var customers = new List<CustomerRecord>(ids.Count);
        if (ids.Count == 0)
            return customers;
        await using var command = statements.Connection.CreateCommand();
        command.Transaction = statements.Transaction;
        command.CommandText = $"{IdentityResolver.CustomerSelect} WHERE id {InList(command, "id", ids)}" + (_sqlite ? "" : " FOR UPDATE");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            customers.Add(IdentityResolver.ReadCustomer(reader));

        return customers;
    }

    public async Task InsertCustomersAsync(List<CustomerRecord> customers)
    {
        if (customers.Count == 0)
            return;
        if (_sqlite)
        {
            foreach (var c in customers)
            {
                await statements.ExecuteAsync(
                    """
                    INSERT INTO customers (id, workspace_id, display_name, traits, owner_staff_id, depth, marketing_opt_out, opted_out_at,
                        first_seen_at, last_seen_at, first_order_at, last_order_at, created_at, updated_at)
                    VALUES (@id, @workspace, @name, @traits, @owner, @depth, @optOut, @optedOutAt, @firstSeen, @lastSeen, @firstOrder, @lastOrder, @created, @updated)
                    """,
                    ("id", c.Id), ("workspace", c.WorkspaceId), ("name", c.DisplayName), ("traits", c.Traits), ("owner", c.OwnerStaffId),
                    ("depth", (short)c.Depth), ("optOut", c.MarketingOptOut), ("optedOutAt", c.OptedOutAt), ("firstSeen", c.FirstSeenAt),
                    ("lastSeen", c.LastSeenAt), ("firstOrder", c.FirstOrderAt), ("lastOrder", c.LastOrderAt), ("created", c.CreatedAt), ("updated", c.UpdatedAt));
            }

            return;
        }

        await using var command = PostgresCustomers(
            """
            INSERT INTO customers (id, workspace_id, display_name, traits, owner_staff_id, depth, marketing_opt_out, opted_out_at,
                first_seen_at, last_seen_at, first_order_at, last_order_at, created_at, updated_at)
            SELECT * FROM unnest(@id, @workspace, @name, @traits, @owner, @depth, @optOut, @optedOutAt, @firstSeen, @lastSeen, @firstOrder, @lastOrder, @created, @updated)
            """, customers);
        await command.ExecuteNonQueryAsync();
    }

    public async Task UpdateCustomersAsync(List<CustomerRecord> customers)
    {
        if (customers.Count == 0)
            return;
        if (_sqlite)
        {
            foreach (var customer in customers)
                await IdentityResolver.SaveAsync(statements, customer);
            return;
        }

        await using var command = PostgresCustomers(
            """
            UPDATE customers c SET display_name = u.name, traits = u.traits, owner_staff_id = u.owner, depth = u.depth,
                marketing_opt_out = u.opt_out, opted_out_at = u.opted_out_at, first_seen_at = u.first_seen, last_seen_at = u.last_seen,
                first_order_at = u.first_order, last_order_at = u.last_order, updated_at = u.updated
            FROM unnest(@id, @workspace, @name, @traits, @owner, @depth, @optOut, @optedOutAt, @firstSeen, @lastSeen, @firstOrder, @lastOrder, @created, @updated)
                AS u(id, workspace, name, traits, owner, depth, opt_out, opted_out_at, first_seen, last_seen, first_order, last_order, created, updated)
            WHERE c.id = u.id
            """, customers);
        await command.ExecuteNonQueryAsync();
    }

    public async Task InsertIdentitiesAsync(List<NewIdentity> identities)
    {
        if (identities.Count == 0)
            return;
        if (_sqlite)
        {
            foreach (var i in identities)
            {
                await statements.ExecuteAsync(
                    """
                    INSERT INTO identities (id, workspace_id, customer_id, kind, scope, value, created_at)
                    VALUES (@id, @workspace, @customer, @kind, @scope, @value, @now) ON CONFLICT DO NOTHING
                    """,
                    ("id", i.Id), ("workspace", i.WorkspaceId), ("customer", i.CustomerId), ("kind", i.Identity.Kind),
                    ("scope", i.Identity.Scope), ("value", i.Identity.Value), ("now", i.CreatedAt));
            }

            return;
        }

        await using var command = new NpgsqlCommand(
            """
            INSERT INTO identities (id, workspace_id, customer_id, kind, scope, value, created_at)
            SELECT * FROM unnest(@id, @workspace, @customer, @kind, @scope, @value, @created) ON CONFLICT DO NOTHING
            """, (NpgsqlConnection)statements.Connection, (NpgsqlTransaction)statements.Transaction);
        AddArray(command, "id", NpgsqlDbType.Uuid, identities, i => i.Id);
        AddArray(command, "workspace", NpgsqlDbType.Uuid, identities, i => i.WorkspaceId);
        AddArray(command, "customer", NpgsqlDbType.Uuid, identities, i => i.CustomerId);
        AddArray(command, "kind", NpgsqlDbType.Text, identities, i => i.Identity.Kind);
        AddArray(command, "scope", NpgsqlDbType.Text, identities, i => i.Identity.Scope);
        AddArray(command, "value", NpgsqlDbType.Text, identities, i => i.Identity.Value);
        AddArray(command, "created", NpgsqlDbType.Bigint, identities, i => DbTime.ToDb(i.CreatedAt));
        await command.ExecuteNonQueryAsync();
    }

    public async Task InsertTimelineAsync(List<TimelineRow> rows)
    {
        if (rows.Count == 0)
            return;
        if (_sqlite)
        {
            foreach (var r in rows)
            {
                await statements.ExecuteAsync(
                    """
                    INSERT INTO customer_events (workspace_id, customer_id, message_id, type, name, occurred_at, properties)
                    VALUES (@workspace, @customer, @message, @type, @name, @occurred, @properties) ON CONFLICT DO NOTHING
                    """,
                    ("workspace", r.WorkspaceId), ("customer", r.CustomerId), ("message", r.MessageId), ("type", r.Type), ("name", r.Name),
                    ("occurred", r.OccurredAt), ("properties", r.Properties));
            }

            return;
        }

        await using var command = new NpgsqlCommand(
            """
            INSERT INTO customer_events (workspace_id, customer_id, message_id, type, name, occurred_at, properties)
            SELECT * FROM unnest(@workspace, @customer, @message, @type, @name, @occurred, @properties) ON CONFLICT DO NOTHING
            """, (NpgsqlConnection)statements.Connection, (NpgsqlTransaction)statements.Transaction);
        AddArray(command, "workspace", NpgsqlDbType.Uuid, rows, r => r.WorkspaceId);
        AddArray(command, "customer", NpgsqlDbType.Uuid, rows, r => r.CustomerId);
        AddArray(command, "message", NpgsqlDbType.Text, rows, r => r.MessageId);
        AddArray(command, "type", NpgsqlDbType.Text, rows, r => r.Type);
        AddArray(command, "name", NpgsqlDbType.Text, rows, r => r.Name);
        AddArray(command, "occurred", NpgsqlDbType.Bigint, rows, r => DbTime.ToDb(r.OccurredAt));
        AddArray(command, "properties", NpgsqlDbType.Text, rows, r => r.Properties);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A PostgreSQL command with every customers column as an array parameter, for unnest.</summary>
    private NpgsqlCommand PostgresCustomers(string sql, List<CustomerRecord> customers)
    {
        var command = new NpgsqlCommand(sql, (NpgsqlConnection)statements.Connection, (NpgsqlTransaction)statements.Transaction);
        AddArray(command, "id", NpgsqlDbType.Uuid, customers, c => c.Id);
        AddArray(command, "workspace", NpgsqlDbType.Uuid, customers, c => c.WorkspaceId);
        AddArray(command, "name", NpgsqlDbType.Text, customers, c => c.DisplayName);
        AddArray(command, "traits", NpgsqlDbType.Text, customers, c => c.Traits);
        AddArray(command, "owner", NpgsqlDbType.Uuid, customers, c => c.OwnerStaffId);
        AddArray(command, "depth", NpgsqlDbType.Smallint, customers, c => (short)c.Depth);
        AddArray(command, "optOut", NpgsqlDbType.Boolean, customers, c => c.MarketingOptOut);
        AddArray(command, "optedOutAt", NpgsqlDbType.Bigint, customers, c => ToDb(c.OptedOutAt));
        AddArray(command, "firstSeen", NpgsqlDbType.Bigint, customers, c => DbTime.ToDb(c.FirstSeenAt));
        AddArray(command, "lastSeen", NpgsqlDbType.Bigint, customers, c => DbTime.ToDb(c.LastSeenAt));
        AddArray(command, "firstOrder", NpgsqlDbType.Bigint, customers, c => ToDb(c.FirstOrderAt));
        AddArray(command, "lastOrder", NpgsqlDbType.Bigint, customers, c => ToDb(c.LastOrderAt));
        AddArray(command, "created", NpgsqlDbType.Bigint, customers, c => DbTime.ToDb(c.CreatedAt));
        AddArray(command, "updated", NpgsqlDbType.Bigint, customers, c => DbTime.ToDb(c.UpdatedAt));
        return command;
    }

    private static void AddArray<TRow, T>(NpgsqlCommand command, string name, NpgsqlDbType type, List<TRow> rows, Func<TRow, T> value) =>
        command.Parameters.Add(new NpgsqlParameter<T[]>(name, NpgsqlDbType.Array | type) { TypedValue = rows.Select(value).ToArray() });

    private static long? ToDb(DateTimeOffset? time) => time is { } t ? DbTime.ToDb(t) : null;

    /// <summary>
    /// "IN (…)" over one JSON array parameter on SQLite (binding one parameter per value costs more than
    /// the lookups), "= ANY(array)" on PostgreSQL.
    /// </summary>
    private string InList<T>(DbCommand command, string name, List<T> values) where T : notnull
    {
        if (!_sqlite)
        {
            command.Parameters.Add(new NpgsqlParameter<T[]>(name, values.ToArray()));
            return $"= ANY(@{name})";
        }

        AddParameter(command, name, JsonSerializer.Serialize(values.Select(v => v is Guid id ? id.ToString() : v.ToString())));
        return $"IN (SELECT value FROM json_each(@{name}))";
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

}
