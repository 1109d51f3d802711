using Dapper;
using Pond.Storage;

namespace Pond.Fission;

/// <summary>
/// Poster views: a visitor opening a participant's short link (/r/{code}). The landing page calls
/// <see cref="RecordAsync"/> with a stable visitor key (its cookie); a view counts once per visitor, participant and
/// day in the workspace's zone (the table's unique key), and the participant's poster_views moves with it. These rows
/// are the "invitations sent" of the campaign's analytics (docs/fission.md).
/// </summary>
internal sealed class ReferralVisits(Database database)
{
    public const int MaxVisitorLength = 128;

    /// <summary>Records a view; false when this visitor had viewed this participant's poster that day already.</summary>
    public async Task<bool> RecordAsync(ReferralParticipant participant, string visitor, DateTimeOffset at)
    {
        if (string.IsNullOrWhiteSpace(visitor) || visitor.Length > MaxVisitorLength)
            throw new ValidationFailedException($"visitor must be 1 to {MaxVisitorLength} characters.", "visitor");
        await using var connection = await database.OpenAsync();
        var workspace = await connection.QuerySingleAsync<VisitScope>(
            """
            SELECT p.workspace_id, w.time_zone FROM referral_participants p JOIN workspaces w ON w.id = p.workspace_id WHERE p.id = @id
            """, new { id = participant.Id });
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(workspace.TimeZone, out var found) ? found : TimeZoneInfo.Utc;
        var day = Channels.Days.ToNumber(Channels.Days.Local(at, zone));
        return await CountAsync(connection, workspace.WorkspaceId, participant.CampaignId, participant.Id, visitor, day, at);
    }

    /// <summary>One view per participant, visitor and day (the unique key decides under concurrency); a new one raises the participant's count.</summary>
    internal static async Task<bool> CountAsync(System.Data.Common.DbConnection connection, Guid workspaceId, Guid campaignId, Guid participantId, string visitor,
        int day, DateTimeOffset at)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        var inserted = await connection.ExecuteAsync(
            """
            INSERT INTO referral_visits (id, workspace_id, campaign_id, participant_id, visitor, day, visited_at)
            VALUES (@id, @workspaceId, @campaignId, @participantId, @visitor, @day, @at) ON CONFLICT DO NOTHING
            """, new { id = Guid.CreateVersion7(at), workspaceId, campaignId, participantId, visitor, day, at }, transaction);
        if (inserted > 0)
        {
            await connection.ExecuteAsync("UPDATE referral_participants SET poster_views = poster_views + 1 WHERE id = @participantId", new { participantId }, transaction);
            await Analytics.InsightDirty.MarkAsync(connection, transaction, workspaceId, at, at);
        }
        await transaction.CommitAsync();
        return inserted > 0;
    }

    private sealed class VisitScope
    {
        public Guid WorkspaceId { get; init; }
        public string TimeZone { get; init; } = "";
    }
}
