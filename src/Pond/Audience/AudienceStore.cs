using System.Data.Common;
using System.Text.Json;
using Dapper;
using Pond.Storage;

namespace Pond.Audience;

/// <summary>Reads what the audience index holds from the database, for a whole workspace or a set of customers.</summary>
internal sealed class AudienceStore(Database database)
{
    private const int Chunk = 900;

    public async Task<List<Guid>> WorkspacesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<Guid>("SELECT id FROM workspaces ORDER BY created_at")).AsList();
    }

    public async Task<TimeZoneInfo> ZoneAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var id = await connection.QuerySingleOrDefaultAsync<string>("SELECT time_zone FROM workspaces WHERE id = @workspaceId", new { workspaceId })
            ?? throw new NotFoundException($"No workspace {workspaceId}.");
        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
    }

    public async Task<Dictionary<Guid, CarrierFacts>> CarriersAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<CarrierRow>("SELECT id, kind, owner_staff_id FROM carriers WHERE workspace_id = @workspaceId", new { workspaceId });
        return rows.ToDictionary(r => r.Id, r => new CarrierFacts(r.Kind, r.OwnerStaffId));
    }

    public async Task<int> CustomerCountAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM customers WHERE workspace_id = @workspaceId", new { workspaceId });
    }

    /// <summary>The newest timeline row now, so a load and the tail that follows it neither miss nor repeat an event.</summary>
    public async Task<long> EventWatermarkAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.ExecuteScalarAsync<long?>("SELECT MAX(id) FROM customer_events WHERE workspace_id = @workspaceId", new { workspaceId }) ?? 0;
    }

    /// <summary>Profiles, tags, live relationships and scores of the customers (all of the workspace's when <paramref name="ids"/> is null).</summary>
    public async Task<CustomerFacts> FactsAsync(Guid workspaceId, IReadOnlyCollection<Guid>? ids, Action<ProfileRow>? onProfile = null)
    {
        var facts = new CustomerFacts();
        await using var connection = await database.OpenAsync();
        foreach (var chunk in ids is null ? [null] : ids.Chunk(Chunk).Select(c => (Guid[]?)c))
        {
            var (filter, parameters) = Filter(workspaceId, chunk, "id");
            await foreach (var row in connection.QueryUnbufferedAsync<ProfileRow>(
                "SELECT id, traits, owner_staff_id, depth, marketing_opt_out FROM customers WHERE workspace_id = @workspaceId" + filter, parameters))
            {
                if (onProfile is not null)
                    onProfile(row);
                else
                    facts.Profiles.Add(row);
            }

            (filter, parameters) = Filter(workspaceId, chunk, "customer_id");
            facts.Tags.AddRange(await connection.QueryAsync<TagRow>(
                "SELECT customer_id, tag FROM customer_tags WHERE workspace_id = @workspaceId" + filter, parameters));
            facts.Relationships.AddRange(await connection.QueryAsync<RelationshipRow>(
                "SELECT customer_id, carrier_id FROM relationships WHERE workspace_id = @workspaceId AND state = 'active'" + filter, parameters));
            facts.Scores.AddRange(await connection.QueryAsync<ScoreRow>(
                "SELECT customer_id, r, f, m, rfm_cell, lifecycle_stage FROM customer_scores WHERE workspace_id = @workspaceId" + filter, parameters));
            facts.Loyalty.AddRange(await connection.QueryAsync<LoyaltyRow>(
                "SELECT customer_id, balance, NULL AS tier_id FROM points_balances WHERE workspace_id = @workspaceId" + filter, parameters));
            facts.Loyalty.AddRange(await connection.QueryAsync<LoyaltyRow>(
                "SELECT customer_id, NULL AS balance, tier_id FROM customer_tiers WHERE workspace_id = @workspaceId" + filter, parameters));
            facts.Coupons.AddRange(await connection.QueryAsync<CouponRow>(
                "SELECT customer_id, template_id, status, valid_to, redeemed_at, expired_at FROM coupons WHERE workspace_id = @workspaceId AND status <> 'revoked'" + filter,
                parameters));
        }

        facts.TierNames = (await connection.QueryAsync<NamedRow>("SELECT id, name FROM tiers WHERE workspace_id = @workspaceId", new { workspaceId }))
            .GroupBy(r => r.Name).ToDictionary(g => g.Key, g => g.First().Id, StringComparer.Ordinal);
        facts.TemplateNames = (await connection.QueryAsync<NamedRow>("SELECT id, name FROM coupon_templates WHERE workspace_id = @workspaceId", new { workspaceId }))
            .GroupBy(r => r.Name).ToDictionary(g => g.Key, g => g.First().Id, StringComparer.Ordinal);

        return facts;
    }

    /// <summary>
    /// Streams timeline rows in id order: after <paramref name="afterId"/>, up to <paramref name="upToId"/>,
    /// of one customer or all. Track events come with their name; other rows (identify, page…) with a null
    /// name, so a reader still learns that the customer changed. Returns the last id read.
    /// </summary>
    public async Task<long> ReadEventsAsync(
        Guid workspaceId, long afterId, long upToId, Guid? customerId, Action<Guid, string?, long, ReadOnlyMemory<byte>> onEvent, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT id, customer_id, CASE WHEN type = 'track' THEN name END, occurred_at, properties FROM customer_events WHERE workspace_id = @w AND id > @after AND id <= @upTo"
            + (customerId is null ? "" : " AND customer_id = @c") + " ORDER BY id";
        Add(command, "@w", database.IsSqlite ? workspaceId.ToString() : workspaceId);
        Add(command, "@after", afterId);
        Add(command, "@upTo", upToId);
        if (customerId is { } c)
            Add(command, "@c", database.IsSqlite ? c.ToString() : c);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var last = afterId;
        var buffer = new byte[4096];
        while (await reader.ReadAsync(cancellationToken))
        {
            last = reader.GetInt64(0);
            var customer = reader.GetGuid(1);
            var name = reader.IsDBNull(2) ? null : reader.GetString(2);
            if (name is null)
            {
                onEvent(customer, null, 0, ReadOnlyMemory<byte>.Empty);
                continue;
            }

            var occurredAt = reader.GetInt64(3);
            var properties = reader.GetString(4);
            var length = System.Text.Encoding.UTF8.GetMaxByteCount(properties.Length);
            if (length > buffer.Length)
                buffer = new byte[Math.Max(length, buffer.Length * 2)];
            var written = System.Text.Encoding.UTF8.GetBytes(properties, buffer);
            onEvent(customer, name, occurredAt, buffer.AsMemory(0, written));
        }

        return last;
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private (string Sql, object Parameters) Filter(Guid workspaceId, Guid[]? ids, string column)
    {
        if (ids is null)
            return ("", new { workspaceId });
        return database.IsSqlite
            ? ($" AND {column} IN (SELECT value FROM json_each(@ids))", new { workspaceId, ids = JsonSerializer.Serialize(ids) })
            : ($" AND {column} = ANY(@ids)", new { workspaceId, ids });
    }

    private sealed class CarrierRow
    {
        public Guid Id { get; init; }
        public string Kind { get; init; } = "";
        public Guid? OwnerStaffId { get; init; }
    }
}

internal sealed class TagRow
{
    public Guid CustomerId { get; init; }
    public string Tag { get; init; } = "";
}

internal sealed class RelationshipRow
{
    public Guid CustomerId { get; init; }
    public Guid CarrierId { get; init; }
}

internal sealed class NamedRow
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
}

internal sealed class CustomerFacts
{
    public List<LoyaltyRow> Loyalty { get; } = [];
    public List<CouponRow> Coupons { get; } = [];
    public Dictionary<string, Guid> TierNames { get; set; } = [];
    public Dictionary<string, Guid> TemplateNames { get; set; } = [];
    public List<ProfileRow> Profiles { get; } = [];
    public List<TagRow> Tags { get; } = [];
    public List<RelationshipRow> Relationships { get; } = [];
    public List<ScoreRow> Scores { get; } = [];
}
