using System.Text.Json;
using Dapper;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Audience.Scores;

/// <summary>RFM and lifecycle settings per workspace (defaults until someone saves). Saving moves the version, which the score engine watches.</summary>
public sealed class ScoreSettingsStore(Database database, AuditLog audit, TimeProvider clock)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<RfmSettings> RfmAsync(Guid workspaceId) => (await LoadAsync(workspaceId)).Rfm;

    public async Task<LifecycleSettings> LifecycleAsync(Guid workspaceId) => (await LoadAsync(workspaceId)).Lifecycle;

    internal async Task<(RfmSettings Rfm, LifecycleSettings Lifecycle, int Version)> LoadAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var row = await connection.QuerySingleOrDefaultAsync<SettingsRow>(
            "SELECT rfm AS Rfm, lifecycle AS Lifecycle, version AS Version FROM rfm_settings WHERE workspace_id = @workspaceId", new { workspaceId });
        return (
            row?.Rfm is { } rfm ? JsonSerializer.Deserialize<RfmSettings>(rfm, Json)! : RfmSettings.Default,
            row?.Lifecycle is { } lifecycle ? JsonSerializer.Deserialize<LifecycleSettings>(lifecycle, Json)! : LifecycleSettings.Default,
            row?.Version ?? 0);
    }

    public async Task<RfmSettings> SaveRfmAsync(Guid workspaceId, RfmSettings settings, string actor)
    {
        settings = settings.Validate();
        // Fixed breakpoints are kept with quintile scoring too, so switching back restores them.
        var current = await RfmAsync(workspaceId);
        settings = settings with
        {
            RecencyDays = settings.RecencyDays ?? current.RecencyDays,
            Frequency = settings.Frequency ?? current.Frequency,
            Monetary = settings.Monetary ?? current.Monetary,
        };
        await SaveAsync(workspaceId, "rfm", JsonSerializer.Serialize(settings, Json), actor, "rfm.settings_changed", settings);
        return settings;
    }

    public async Task<LifecycleSettings> SaveLifecycleAsync(Guid workspaceId, LifecycleSettings settings, string actor)
    {
        settings = settings.Validate();
        await SaveAsync(workspaceId, "lifecycle", JsonSerializer.Serialize(settings, Json), actor, "lifecycle.settings_changed", settings);
        return settings;
    }

    private async Task SaveAsync(Guid workspaceId, string column, string json, string actor, string action, object details)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var now = clock.GetUtcNow();
        await connection.ExecuteAsync(
            $"""
            INSERT INTO rfm_settings (workspace_id, {column}, version, updated_by, updated_at) VALUES (@workspaceId, @json, 1, @actor, @now)
            ON CONFLICT (workspace_id) DO UPDATE SET {column} = excluded.{column}, version = rfm_settings.version + 1,
                updated_by = excluded.updated_by, updated_at = excluded.updated_at
            """, new { workspaceId, json, actor, now }, transaction);
        await audit.RecordAsync(workspaceId, actor, action, null, details, connection, transaction);
        await transaction.CommitAsync();
    }

    private sealed class SettingsRow
    {
        public string? Rfm { get; init; }
        public string? Lifecycle { get; init; }
        public int Version { get; init; }
    }
}
