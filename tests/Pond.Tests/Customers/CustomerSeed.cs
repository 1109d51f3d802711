using System.Text.Json;
using Dapper;
using Pond.Customers;
using Pond.Storage;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Customers;

/// <summary>
/// Writes customer-pool rows straight into the database (on either engine), the way ingestion would leave them,
/// so admin API tests do not depend on the event processor.
/// </summary>
internal sealed class CustomerSeed(Database database, Guid workspaceId)
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 8, 0, 0, TimeSpan.Zero);
    private int _clock;

    public CustomerSeed(TestWorkspace workspace) : this(workspace.Server.Service<Database>(), workspace.Id)
    {
    }

    /// <summary>A strictly increasing time, so ids made from it sort in creation order.</summary>
    public DateTimeOffset Next() => Start.AddMinutes(++_clock);

    public async Task<Guid> StaffAsync(string name)
    {
        var id = Guid.CreateVersion7(Next());
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(
            "INSERT INTO staff (id, workspace_id, name, status, created_at, updated_at) VALUES (@id, @workspaceId, @name, 'active', @now, @now)",
            new { id, workspaceId, name, now = Start });
        return id;
    }

    public async Task<Guid> CarrierAsync(string kind, string name, string externalId, Guid? ownerStaffId = null)
    {
        var id = Guid.CreateVersion7(Next());
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO carriers (id, workspace_id, kind, name, external_id, owner_staff_id, status, created_at, updated_at)
            VALUES (@id, @workspaceId, @kind, @name, @externalId, @ownerStaffId, 'active', @now, @now)
            """,
            new { id, workspaceId, kind, name, externalId, ownerStaffId, now = Start });
        return id;
    }

    public async Task<Guid> CustomerAsync(string? name, Depth depth = Depth.None, Guid? owner = null, bool optedOut = false,
        string? phone = null, string? email = null, object? traits = null)
    {
        var at = Next();
        var id = Guid.CreateVersion7(at);
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO customers (id, workspace_id, display_name, traits, owner_staff_id, depth, marketing_opt_out, opted_out_at,
                                   first_seen_at, last_seen_at, created_at, updated_at)
            VALUES (@id, @workspaceId, @name, @traits, @owner, @depth, @optedOut, @optedOutAt, @at, @at, @at, @at)
            """,
            new
            {
                id, workspaceId, name, owner, depth = (short)depth, optedOut, at,
                traits = JsonSerializer.Serialize(traits ?? new { }),
                optedOutAt = optedOut ? at : (DateTimeOffset?)null,
            });
        if (phone is not null)
            await IdentityAsync(id, IdentityKinds.Phone, phone);
        if (email is not null)
            await IdentityAsync(id, IdentityKinds.Email, email);
        return id;
    }

    public async Task IdentityAsync(Guid customerId, string kind, string value, string scope = "")
    {
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(
            "INSERT INTO identities (id, workspace_id, customer_id, kind, scope, value, created_at) VALUES (@id, @workspaceId, @customerId, @kind, @scope, @value, @now)",
            new { id = Guid.CreateVersion7(), workspaceId, customerId, kind, scope, value, now = Next() });
    }

    public async Task<Guid> RelationshipAsync(Guid customerId, Guid carrierId, DateTimeOffset since, DateTimeOffset? endedAt = null,
        string? endedBy = null, string? sourceChannel = null)
    {
        var id = Guid.CreateVersion7(since);
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO relationships (id, workspace_id, customer_id, carrier_id, state, since, ended_at, ended_by, source_channel, created_at)
            VALUES (@id, @workspaceId, @customerId, @carrierId, @state, @since, @endedAt, @endedBy, @sourceChannel, @since)
            """,
            new
            {
                id, workspaceId, customerId, carrierId, since, endedAt, endedBy, sourceChannel,
                state = endedAt is null ? RelationshipStates.Active : RelationshipStates.Ended,
            });
        return id;
    }

    public async Task EventAsync(Guid customerId, string name, DateTimeOffset occurredAt, object? properties = null, string type = "track")
    {
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO customer_events (workspace_id, customer_id, message_id, type, name, occurred_at, properties)
            VALUES (@workspaceId, @customerId, @messageId, @type, @name, @occurredAt, @properties)
            """,
            new
            {
                workspaceId, customerId, messageId = Guid.NewGuid().ToString(), type, name, occurredAt,
                properties = JsonSerializer.Serialize(properties ?? new { }),
            });
    }

    /// <summary>Records that <paramref name="mergedId"/> (no longer a customer row) was merged into <paramref name="survivorId"/>.</summary>
    public async Task MergeAsync(Guid survivorId, Guid mergedId, DateTimeOffset mergedAt, params (string Kind, string Value)[] identities)
    {
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO customer_merges (id, workspace_id, survivor_id, merged_id, identities, message_id, merged_at)
            VALUES (@id, @workspaceId, @survivorId, @mergedId, @identities, @messageId, @mergedAt)
            """,
            new
            {
                id = Guid.CreateVersion7(mergedAt), workspaceId, survivorId, mergedId, mergedAt, messageId = Guid.NewGuid().ToString(),
                identities = JsonSerializer.Serialize(identities.Select(i => new { kind = i.Kind, scope = "", value = i.Value })),
            });
    }
}
