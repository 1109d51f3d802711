using System.Data.Common;
using System.Text;
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
        DbConnection connection, DbTransaction transaction, Guid workspaceId,
        IReadOnlyCollection<Identity> attach, IReadOnlyCollection<Identity> lookupOnly,
        string messageId, DateTimeOffset occurredAt, DateTimeOffset now)
    {
        var wanted = attach.Concat(lookupOnly).Distinct().ToList();
        var matches = await FindAsync(connection, transaction, workspaceId, wanted);
        var customerIds = matches.Select(m => m.CustomerId).Distinct().ToList();

        CustomerRecord customer;
        if (customerIds.Count == 0)
        {
            customer = new CustomerRecord
            {
                Id = Guid.CreateVersion7(), WorkspaceId = workspaceId, FirstSeenAt = occurredAt, LastSeenAt = occurredAt,
                CreatedAt = now, UpdatedAt = now,
            };
            await connection.ExecuteAsync(
                """
                INSERT INTO customers (id, workspace_id, traits, depth, marketing_opt_out, first_seen_at, last_seen_at, created_at, updated_at)
                VALUES (@Id, @WorkspaceId, '{}', 0, @MarketingOptOut, @FirstSeenAt, @LastSeenAt, @CreatedAt, @UpdatedAt)
                """, customer, transaction);
        }
        else
        {
            var customers = new List<CustomerRecord>();
            foreach (var id in customerIds)
                customers.Add(await LoadAsync(connection, transaction, id) ?? throw new InvalidOperationException($"Identity points at missing customer {id}."));
            // Deterministic survivor: the oldest customer, then the smallest id.
            customers.Sort((a, b) => a.CreatedAt != b.CreatedAt ? a.CreatedAt.CompareTo(b.CreatedAt) : CompareIds(a.Id, b.Id));
            customer = customers[0];
            for (var i = 1; i < customers.Count; i++)
                await MergeAsync(connection, transaction, customer, customers[i], matches, messageId, now);
        }

        var known = matches.Select(m => m.Identity).ToHashSet();
        foreach (var identity in attach)
        {
            if (known.Contains(identity))
                continue;
            await connection.ExecuteAsync(
                """
                INSERT INTO identities (id, workspace_id, customer_id, kind, scope, value, created_at)
                VALUES (@id, @workspaceId, @customerId, @Kind, @Scope, @Value, @now) ON CONFLICT DO NOTHING
                """,
                new { id = Guid.CreateVersion7(), workspaceId, customerId = customer.Id, identity.Kind, identity.Scope, identity.Value, now },
                transaction);
        }

        return customer;
    }

    public static async Task<CustomerRecord?> LoadAsync(DbConnection connection, DbTransaction transaction, Guid id) =>
        await connection.QuerySingleOrDefaultAsync<CustomerRecord>($"SELECT {CustomerColumns} FROM customers WHERE id = @id", new { id }, transaction);

    public static Task SaveAsync(DbConnection connection, DbTransaction transaction, CustomerRecord c) =>
        connection.ExecuteAsync(
            """
            UPDATE customers SET display_name = @DisplayName, traits = @Traits, owner_staff_id = @OwnerStaffId, depth = @Depth,
                marketing_opt_out = @MarketingOptOut, opted_out_at = @OptedOutAt, first_seen_at = @FirstSeenAt, last_seen_at = @LastSeenAt,
                first_order_at = @FirstOrderAt, last_order_at = @LastOrderAt, updated_at = @UpdatedAt
            WHERE id = @Id
            """, c, transaction);

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
        DbConnection connection, DbTransaction transaction, CustomerRecord survivor, CustomerRecord merged,
        IReadOnlyList<Match> matches, string messageId, DateTimeOffset now)
    {
        var p = new { survivor = survivor.Id, merged = merged.Id, now };
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
        await connection.ExecuteAsync("UPDATE customer_events SET customer_id = @survivor WHERE customer_id = @merged", p, transaction);
        await connection.ExecuteAsync("UPDATE customer_merges SET survivor_id = @survivor WHERE survivor_id = @merged", p, transaction);
        foreach (var participant in _participants)
            await participant.MoveAsync(connection, transaction, survivor.WorkspaceId, survivor.Id, merged.Id);

        MergeProfile(survivor, merged);
        survivor.Depth = await DepthAsync(connection, transaction, survivor.Id);
        survivor.UpdatedAt = now;
        await SaveAsync(connection, transaction, survivor);
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

    private static async Task<List<Match>> FindAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, List<Identity> identities)
    {
        if (identities.Count == 0)
            return [];
        // One indexed lookup per identity (UNION ALL): an OR of the same terms makes SQLite scan the workspace's identities.
        var sql = new StringBuilder();
        var parameters = new DynamicParameters();
        parameters.Add("workspaceId", workspaceId);
        for (var i = 0; i < identities.Count; i++)
        {
            if (i > 0)
                sql.Append(" UNION ALL ");
            sql.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"SELECT customer_id, kind, scope, value FROM identities WHERE workspace_id = @workspaceId AND kind = @k{i} AND scope = @s{i} AND value = @v{i}");
            parameters.Add($"v{i}", identities[i].Value);
            parameters.Add($"k{i}", identities[i].Kind);
            parameters.Add($"s{i}", identities[i].Scope);
        }

        var rows = await connection.QueryAsync<IdentityRow>(sql.ToString(), parameters, transaction);
        return rows.Select(r => new Match(r.CustomerId, new Identity(r.Kind, r.Scope, r.Value))).ToList();
    }

    public sealed record Match(Guid CustomerId, Identity Identity);

    private sealed class IdentityRow
    {
        public Guid CustomerId { get; init; }
        public string Kind { get; init; } = "";
        public string Scope { get; init; } = "";
        public string Value { get; init; } = "";
    }
}
