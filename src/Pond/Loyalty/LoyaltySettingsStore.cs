using System.Data.Common;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Loyalty;

/// <summary>The points and tier rules per workspace. Saving is audited.</summary>
public sealed class LoyaltySettingsStore(Database database, AuditLog audit, TimeProvider clock)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<LoyaltyRules> GetAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return await GetAsync(connection, null, workspaceId);
    }

    internal static async Task<LoyaltyRules> GetAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId)
    {
        var json = await connection.ExecuteScalarAsync<string?>(
            "SELECT rules FROM loyalty_settings WHERE workspace_id = @workspaceId", new { workspaceId }, transaction);
        return json is null ? LoyaltyRules.Default : JsonSerializer.Deserialize<LoyaltyRules>(json, Json)!;
    }

    public async Task<LoyaltyRules> SaveAsync(Guid workspaceId, LoyaltyRules? rules, string actor)
    {
        rules = (rules ?? throw new ValidationFailedException("A body with the rules is required.")).Validate();
        var json = JsonSerializer.Serialize(rules, Json);
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO loyalty_settings (workspace_id, rules, updated_by, updated_at) VALUES (@workspaceId, @json, @actor, @now)
            ON CONFLICT (workspace_id) DO UPDATE SET rules = excluded.rules, updated_by = excluded.updated_by, updated_at = excluded.updated_at
            """, new { workspaceId, json, actor, now = clock.GetUtcNow() }, transaction);
        await audit.RecordAsync(workspaceId, actor, "loyalty.rules_changed", null, rules, connection, transaction);
        await transaction.CommitAsync();
        return rules;
    }
}

/// <summary>Storage helpers the loyalty classes share.</summary>
internal static class LoyaltyDb
{
    /// <summary>A write transaction: BEGIN IMMEDIATE on SQLite (we read, then write), read committed on PostgreSQL with row locks.</summary>
    public static async Task<DbTransaction> BeginAsync(Database database, DbConnection connection) =>
        database.IsSqlite && connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: false)
            : await connection.BeginTransactionAsync();

    public static async Task<TimeZoneInfo> ZoneAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId)
    {
        var id = await connection.ExecuteScalarAsync<string?>("SELECT time_zone FROM workspaces WHERE id = @workspaceId", new { workspaceId }, transaction);
        return id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
    }

    public static DateOnly LocalDay(DateTimeOffset at, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);

    public static int DayNumber(DateOnly day) => (day.Year * 10000) + (day.Month * 100) + day.Day;

    /// <summary>
    /// The customer, if they are in the workspace (and owned by <paramref name="onlyOwnedBy"/> when the caller is staff);
    /// otherwise a 404 that says so.
    /// </summary>
    public static async Task RequireCustomerAsync(DbConnection connection, Guid workspaceId, Guid customerId, Guid? onlyOwnedBy)
    {
        var owner = onlyOwnedBy is null ? "" : " AND owner_staff_id = @onlyOwnedBy";
        var found = await connection.ExecuteScalarAsync<int>(
            $"SELECT COUNT(*) FROM customers WHERE workspace_id = @workspaceId AND id = @customerId{owner}", new { workspaceId, customerId, onlyOwnedBy });
        if (found == 0)
            throw new NotFoundException(onlyOwnedBy is null
                ? $"No customer {customerId} in this workspace."
                : $"No customer {customerId} among your own customers.");
    }
}
