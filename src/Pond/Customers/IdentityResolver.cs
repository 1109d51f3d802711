using System.Data.Common;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;

namespace Pond.Customers;

/// <summary>An identity a message names: (kind, scope, value), as stored in the identities table.</summary>
public readonly record struct Identity(string Kind, string Scope, string Value)
{
    public override string ToString() => Scope.Length > 0 ? $"{Kind}:{Scope}:{Value}" : $"{Kind}:{Value}";
}

/// <summary>A customers row as the event processor reads and writes it.</summary>
public sealed class CustomerRecord
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public string? DisplayName { get; set; }
    public string Traits { get; set; } = "{}";
    public Guid? OwnerStaffId { get; set; }
    public int Depth { get; set; }
    public bool MarketingOptOut { get; set; }
    public DateTimeOffset? OptedOutAt { get; set; }
    public DateTimeOffset FirstSeenAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    public DateTimeOffset? FirstOrderAt { get; set; }
    public DateTimeOffset? LastOrderAt { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// Lets a feature that keeps its own rows per customer (orders, tags, points…) move them when two
/// customers merge. Called inside the merge's transaction, before the merged customer is deleted.
/// </summary>
public interface ICustomerMergeParticipant
{
    Task MoveAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid survivorId, Guid mergedId);
}

/// <summary>
/// Finds the customer a message is about from the identities it names, creating one for strangers and
/// merging customers when one message names identities of several. Works inside the caller's
/// transaction so a merge is applied whole together with the event that caused it.
/// </summary>
public sealed class IdentityResolver(IEnumerable<ICustomerMergeParticipant> participants)
{
    private const string CustomerColumns =
        "id, workspace_id, display_name, traits, owner_staff_id, depth, marketing_opt_out, opted_out_at, first_seen_at, last_seen_at, first_order_at, last_order_at, created_at, updated_at";

    /// <summary>Stored JSON keeps Chinese text readable instead of \u-escaping it.</summary>
    public static readonly JsonSerializerOptions StoredJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ICustomerMergeParticipant[] _participants = participants.ToArray();

    /// <summary>
    /// The one customer for these identities. <paramref name="attach"/> are recorded on the customer;
    /// <paramref name="lookupOnly"/> only take part in finding it (alias's previousId, which may be either kind).
    /// </summary>
    public async Task<CustomerRecord> ResolveAsync(
        Statements statements, Guid workspaceId,
        IReadOnlyCollection<Identity> attach, IReadOnlyCollection<Identity> lookupOnly,
        string messageId, DateTimeOffset occurredAt, DateTimeOffset now)
    {
        var (connection, transaction) = (statements.Connection, statements.Transaction);
        var wanted = attach.Concat(lookupOnly).Distinct().ToList();
        var matches = await FindAsync(statements, workspaceId, wanted);
        var customerIds = matches.Select(m => m.CustomerId).Distinct().ToList();

        CustomerRecord customer;
        if (customerIds.Count == 0)
        {
            customer = new CustomerRecord
            {
                Id = Guid.CreateVersion7(), WorkspaceId = workspaceId, FirstSeenAt = occurredAt, LastSeenAt = occurredAt,
                CreatedAt = now, UpdatedAt = now,
            };
            await statements.ExecuteAsync(
                """
                INSERT INTO customers (id, workspace_id, traits, depth, marketing_opt_out, first_seen_at, last_seen_at, created_at, updated_at)
                VALUES (@id, @workspace, '{}', 0, @optOut, @firstSeen, @lastSeen, @created, @updated)
                """,
                ("id", customer.Id), ("workspace", workspaceId), ("optOut", false), ("firstSeen", occurredAt), ("lastSeen", occurredAt),
                ("created", now), ("updated", now));
        }
        else
        {
            var customers = new List<CustomerRecord>();
            foreach (var id in customerIds)
                customers.Add(await LoadAsync(statements, id) ?? throw new InvalidOperationException($"Identity points at missing customer {id}."));
            // Deterministic survivor: the oldest customer, then the smallest id.
            customers.Sort((a, b) => a.CreatedAt != b.CreatedAt ? a.CreatedAt.CompareTo(b.CreatedAt) : CompareIds(a.Id, b.Id));
            customer = customers[0];
            for (var i = 1; i < customers.Count; i++)
                await MergeAsync(statements, customer, customers[i], matches, messageId, now);
        }

        var known = matches.Select(m => m.Identity).ToHashSet();
        foreach (var identity in attach)
        {
            if (known.Contains(identity))
                continue;
            await statements.ExecuteAsync(
                """
                INSERT INTO identities (id, workspace_id, customer_id, kind, scope, value, created_at)
                VALUES (@id, @workspace, @customer, @kind, @scope, @value, @now) ON CONFLICT DO NOTHING
                """,
                ("id", Guid.CreateVersion7()), ("workspace", workspaceId), ("customer", customer.Id), ("kind", identity.Kind),
                ("scope", identity.Scope), ("value", identity.Value), ("now", now));
        }

        return customer;
    }

    public static async Task<CustomerRecord?> LoadAsync(Statements statements, Guid id)
    {
        await using var reader = await statements.Command($"SELECT {CustomerColumns} FROM customers WHERE id = @id", ("id", id)).ExecuteReaderAsync();
        return await reader.ReadAsync() ? ReadCustomer(reader) : null;
    }

    /// <summary>The SELECT list that <see cref="ReadCustomer"/> reads.</summary>
    internal static string CustomerSelect => $"SELECT {CustomerColumns} FROM customers";

    internal static CustomerRecord ReadCustomer(DbDataReader reader)
    {
        static DateTimeOffset Time(DbDataReader r, int i) => DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));
        static DateTimeOffset? TimeOrNull(DbDataReader r, int i) => r.IsDBNull(i) ? null : Time(r, i);
        return new CustomerRecord
        {
            Id = reader.GetGuid(0),
            WorkspaceId = reader.GetGuid(1),
            DisplayName = reader.IsDBNull(2) ? null : reader.GetString(2),
            Traits = reader.GetString(3),
            OwnerStaffId = reader.IsDBNull(4) ? null : reader.GetGuid(4),
            Depth = Convert.ToInt32(reader.GetValue(5), System.Globalization.CultureInfo.InvariantCulture),
            MarketingOptOut = reader.GetBoolean(6),
            OptedOutAt = TimeOrNull(reader, 7),
            FirstSeenAt = Time(reader, 8),
            LastSeenAt = Time(reader, 9),
            FirstOrderAt = TimeOrNull(reader, 10),
            LastOrderAt = TimeOrNull(reader, 11),
            CreatedAt = Time(reader, 12),
            UpdatedAt = Time(reader, 13),
        };
    }

    public static Task SaveAsync(Statements statements, CustomerRecord c) =>
        statements.ExecuteAsync(
            """
            UPDATE customers SET display_name = @name, traits = @traits, owner_staff_id = @owner, depth = @depth,
                marketing_opt_out = @optOut, opted_out_at = @optedOutAt, first_seen_at = @firstSeen, last_seen_at = @lastSeen,
                first_order_at = @firstOrder, last_order_at = @lastOrder, updated_at = @updated
            WHERE id = @id
            """,
            ("name", c.DisplayName), ("traits", c.Traits), ("owner", c.OwnerStaffId), ("depth", (short)c.Depth), ("optOut", c.MarketingOptOut),
            ("optedOutAt", c.OptedOutAt), ("firstSeen", c.FirstSeenAt), ("lastSeen", c.LastSeenAt), ("firstOrder", c.FirstOrderAt),
            ("lastOrder", c.LastOrderAt), ("updated", c.UpdatedAt), ("id", c.Id));

    /// <summary>The deepest live relationship, from the carriers the customer is actively related to.</summary>
    public static async Task<int> DepthAsync(DbConnection connection, DbTransaction transaction, Guid customerId)
    {
        var kinds = await connection.QueryAsync<string>(
            """
            SELECT DISTINCT c.kind FROM relationships r JOIN carriers c ON c.id = r.carrier_id
            WHERE r.customer_id = @customerId AND r.state = 'active'
            """, new { customerId }, transaction);
        return kinds.Select(k => (int)CarrierKinds.DepthOf(k)).DefaultIfEmpty(0).Max();
    }

    private async Task MergeAsync(
        Statements statements, CustomerRecord survivor, CustomerRecord merged,
        IReadOnlyList<Match> matches, string messageId, DateTimeOffset now)
    {
        var (connection, transaction) = (statements.Connection, statements.Transaction);
        var p = new { workspace = survivor.WorkspaceId, survivor = survivor.Id, merged = merged.Id, now };
        await connection.ExecuteAsync("UPDATE identities SET customer_id = @survivor WHERE customer_id = @merged", p, transaction);

        // Both were related to the same carrier: keep one live relationship (the survivor's, dated from
        // the earlier start) and end the duplicate as a system action, so history is kept and the
        // one-active-per-carrier rule holds.
        await connection.ExecuteAsync(
            """
            UPDATE relationships SET since = (
                SELECT MIN(d.since) FROM relationships d
                WHERE d.customer_id IN (@survivor, @merged) AND d.carrier_id = relationships.carrier_id AND d.state = 'active')
            WHERE customer_id = @survivor AND state = 'active'
              AND carrier_id IN (SELECT carrier_id FROM relationships WHERE customer_id = @merged AND state = 'active')
            """, p, transaction);
        await connection.ExecuteAsync(
            """
            UPDATE relationships SET state = 'ended', ended_at = @now, ended_by = 'system'
            WHERE customer_id = @merged AND state = 'active'
              AND carrier_id IN (SELECT carrier_id FROM relationships WHERE customer_id = @survivor AND state = 'active')
            """, p, transaction);
        await connection.ExecuteAsync("UPDATE relationships SET customer_id = @survivor WHERE customer_id = @merged", p, transaction);
        await connection.ExecuteAsync("UPDATE customer_events SET customer_id = @survivor WHERE workspace_id = @workspace AND customer_id = @merged", p, transaction);
        await connection.ExecuteAsync("UPDATE customer_merges SET survivor_id = @survivor WHERE survivor_id = @merged", p, transaction);
        foreach (var participant in _participants)
            await participant.MoveAsync(connection, transaction, survivor.WorkspaceId, survivor.Id, merged.Id);

        MergeProfile(survivor, merged);
        survivor.Depth = await DepthAsync(connection, transaction, survivor.Id);
        survivor.UpdatedAt = now;
        await SaveAsync(statements, survivor);
        await connection.ExecuteAsync("DELETE FROM customers WHERE id = @merged", p, transaction);

        var cause = matches
            .Where(m => m.CustomerId == survivor.Id || m.CustomerId == merged.Id)
            .Select(m => new { kind = m.Identity.Kind, scope = m.Identity.Scope, value = m.Identity.Value, customer = m.CustomerId == survivor.Id ? "survivor" : "merged" });
        await connection.ExecuteAsync(
            """
            INSERT INTO customer_merges (id, workspace_id, survivor_id, merged_id, identities, message_id, merged_at)
            VALUES (@id, @workspaceId, @survivor, @merged, @identities, @messageId, @now)
            """,
            new { id = Guid.CreateVersion7(), workspaceId = survivor.WorkspaceId, survivor = survivor.Id, merged = merged.Id, identities = JsonSerializer.Serialize(cause, StoredJson), messageId, now },
            transaction);
    }

    /// <summary>
    /// Traits: the union; where both have a key, the customer seen more recently wins (ties: the survivor),
    /// because the newer profile is the likelier truth. Consent: opted out if either opted out.
    /// </summary>
    internal static void MergeProfile(CustomerRecord survivor, CustomerRecord merged)
    {
        var mergedIsNewer = merged.LastSeenAt > survivor.LastSeenAt;
        var (older, newer) = mergedIsNewer ? (survivor, merged) : (merged, survivor);
        var traits = ParseObject(older.Traits);
        foreach (var (key, value) in ParseObject(newer.Traits))
            traits[key] = value?.DeepClone();
        survivor.Traits = traits.ToJsonString(IdentityResolver.StoredJson);
        survivor.DisplayName = newer.DisplayName ?? older.DisplayName;
        survivor.OwnerStaffId ??= merged.OwnerStaffId;
        if (merged.MarketingOptOut && (!survivor.MarketingOptOut || merged.OptedOutAt < survivor.OptedOutAt))
            survivor.OptedOutAt = merged.OptedOutAt;
        survivor.MarketingOptOut |= merged.MarketingOptOut;
        survivor.FirstSeenAt = Min(survivor.FirstSeenAt, merged.FirstSeenAt);
        survivor.LastSeenAt = Max(survivor.LastSeenAt, merged.LastSeenAt);
        survivor.FirstOrderAt = MinOrNull(survivor.FirstOrderAt, merged.FirstOrderAt);
        survivor.LastOrderAt = MaxOrNull(survivor.LastOrderAt, merged.LastOrderAt);
    }

    public static JsonObject ParseObject(string json) =>
        JsonNode.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json) as JsonObject ?? [];

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;

    private static DateTimeOffset? MinOrNull(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : Min(a.Value, b.Value);

    private static DateTimeOffset? MaxOrNull(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : Max(a.Value, b.Value);

    // The same order as the databases sort uuids (PostgreSQL: bytes; SQLite: lowercase hex text).
    private static int CompareIds(Guid a, Guid b) => string.CompareOrdinal(a.ToString(), b.ToString());

    private static async Task<List<Match>> FindAsync(Statements statements, Guid workspaceId, List<Identity> identities)
    {
        var matches = new List<Match>();
        foreach (var identity in identities)
        {
            var found = await statements.Command(
                "SELECT customer_id FROM identities WHERE workspace_id = @workspace AND kind = @kind AND scope = @scope AND value = @value",
                ("workspace", workspaceId), ("kind", identity.Kind), ("scope", identity.Scope), ("value", identity.Value)).ExecuteScalarAsync();
            if (found is not null and not DBNull)
                matches.Add(new Match(found as Guid? ?? Guid.Parse((string)found), identity));
        }

        return matches;
    }

    public sealed record Match(Guid CustomerId, Identity Identity);
}
