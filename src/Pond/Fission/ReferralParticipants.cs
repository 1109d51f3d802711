using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Pond.Storage;

namespace Pond.Fission;

/// <summary>
/// Who invites in a campaign: a customer joins (the mini-program or H5 page calls this when they ask for their
/// poster) and gets a personal invite code. Joining twice answers the same participant. A participant who was
/// themselves invited in the campaign is the next generation of their inviter's tree.
/// </summary>
internal sealed class ReferralParticipants(Database database, TimeProvider clock)
{
    /// <summary>No 0/O, 1/l/I: codes are read off posters and typed.</summary>
    private const string Alphabet = "23456789abcdefghjkmnpqrstuvwxyz";
    public const int CodeLength = 10;

    public async Task<(ReferralParticipant Participant, bool Created)> JoinAsync(Guid workspaceId, Guid campaignId, Guid customerId)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        var campaign = await ReferralCampaigns.GetAsync(connection, null, workspaceId, campaignId);
        if (await FindAsync(connection, null, campaignId, customerId) is { } existing)
            return (existing, false);
        if (!campaign.IsRunning(now))
            throw new ConflictException(campaign.Status != ReferralStatuses.Active
                ? $"The campaign is {campaign.Status}: participants join while it is active."
                : now < campaign.StartsAt ? $"The campaign starts at {campaign.StartsAt:O}." : "The campaign has ended.");
        if (await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM customers WHERE id = @customerId AND workspace_id = @workspaceId",
                new { customerId, workspaceId }) == 0)
            throw new NotFoundException($"No customer {customerId} in this workspace.");
        if (campaign.AudienceSegmentId is { } segmentId && await connection.ExecuteScalarAsync<int>(
                "SELECT COUNT(*) FROM segment_members WHERE segment_id = @segmentId AND customer_id = @customerId", new { segmentId, customerId }) == 0)
            throw new ConflictException($"This customer is not in the campaign's audience ({campaign.AudienceSegmentName}), so they cannot invite.");

        var parent = await connection.QuerySingleOrDefaultAsync<ParentRow>(
            """
            SELECT p.id, p.generation FROM referral_invitations i JOIN referral_participants p ON p.id = i.participant_id
            WHERE i.campaign_id = @campaignId AND i.invitee_customer_id = @customerId AND i.state IN ('pending', 'succeeded', 'review')
            """, new { campaignId, customerId });
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await connection.ExecuteAsync(
                    """
                    INSERT INTO referral_participants (id, workspace_id, campaign_id, customer_id, invite_code, parent_participant_id, generation, joined_at)
                    VALUES (@id, @workspaceId, @campaignId, @customerId, @code, @parentId, @generation, @now)
                    """,
                    new
                    {
                        id = Guid.CreateVersion7(now), workspaceId, campaignId, customerId, code = NewCode(), parentId = parent?.Id,
                        generation = (parent?.Generation ?? 0) + 1, now,
                    });
                return ((await FindAsync(connection, null, campaignId, customerId))!, true);
            }
            catch (DbException e) when (Database.IsUniqueViolation(e) && attempt < 5)
            {
                // A parallel join of the same customer won, or (rarely) the random code was taken: look, then retry.
                if (await FindAsync(connection, null, campaignId, customerId) is { } raced)
                    return (raced, false);
            }
        }
    }

    public async Task<ReferralParticipant> GetAsync(Guid workspaceId, Guid participantId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<ReferralParticipant>($"{Select} WHERE p.id = @participantId AND p.workspace_id = @workspaceId",
            new { participantId, workspaceId }) ?? throw new NotFoundException($"No referral participant {participantId} in this workspace.");
    }

    /// <summary>The participant behind an invite code (the public landing page and poster), in any workspace.</summary>
    public async Task<ReferralParticipant?> FindByCodeAsync(string code)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 32)
            return null;
        await using var connection = await database.OpenAsync();
        return await FindByCodeAsync(connection, null, code);
    }

    internal static Task<ReferralParticipant?> FindByCodeAsync(DbConnection connection, DbTransaction? transaction, string code) =>
        connection.QuerySingleOrDefaultAsync<ReferralParticipant>($"{Select} WHERE p.invite_code = @code", new { code }, transaction);

    internal static Task<ReferralParticipant?> FindAsync(DbConnection connection, DbTransaction? transaction, Guid campaignId, Guid customerId) =>
        connection.QuerySingleOrDefaultAsync<ReferralParticipant>($"{Select} WHERE p.campaign_id = @campaignId AND p.customer_id = @customerId",
            new { campaignId, customerId }, transaction);

    /// <summary>A campaign's participants, most successful first (then earliest), paged by offset.</summary>
    public async Task<IReadOnlyList<ReferralParticipant>> ListAsync(Guid workspaceId, Guid campaignId, int offset, int limit)
    {
        await using var connection = await database.OpenAsync();
        await ReferralCampaigns.GetAsync(connection, null, workspaceId, campaignId);
        return (await connection.QueryAsync<ReferralParticipant>(
            $"{Select} WHERE p.campaign_id = @campaignId ORDER BY p.successes DESC, p.joined_at, p.id LIMIT @limit OFFSET @offset",
            new { campaignId, limit, offset })).AsList();
    }

    private static string NewCode() => RandomNumberGenerator.GetString(Alphabet, CodeLength);

    private const string Select =
        """
        SELECT p.id, p.campaign_id, p.customer_id, c.display_name AS customer_name, p.invite_code, p.parent_participant_id, p.generation,
            p.successes, p.invitations, p.poster_views, p.joined_at
        FROM referral_participants p LEFT JOIN customers c ON c.id = p.customer_id
        """;

    private sealed class ParentRow
    {
        public Guid Id { get; init; }
        public int Generation { get; init; }
    }
}
