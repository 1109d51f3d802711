using System.Data.Common;
using Dapper;

namespace Pond.Fission;

/// <summary>
/// When two customers turn out to be one person, their referral history follows the survivor inside the merge's
/// transaction. Anti-fraud gets a second look: an invitation whose inviter and invitee are now the same person was a
/// self-invitation all along, so it is rejected and taken back (its count and unclaimed rewards). Where both were
/// invited in one campaign, the survivor's invitation stays and the other is revoked as a duplicate; where both invite
/// in one campaign, the merged participant is folded into the survivor's (invitations, counts, views, invitees), and
/// their old poster code stops counting.
/// </summary>
internal sealed class ReferralMergeParticipant(TimeProvider clock) : Customers.ICustomerMergeParticipant
{
    public async Task MoveAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid survivorId, Guid mergedId)
    {
        var p = new { workspaceId, survivorId, mergedId };
        var now = clock.GetUtcNow();
        var work = new ReferralWork(connection, transaction, workspaceId, now, []);

        // Invited in the same campaign under both identities: the survivor's invitation keeps the person.
        var duplicates = await connection.QueryAsync<Ended>(
            """
            SELECT m.id, m.participant_id, m.state FROM referral_invitations m
            WHERE m.workspace_id = @workspaceId AND m.invitee_customer_id = @mergedId
              AND m.campaign_id IN (SELECT campaign_id FROM referral_invitations WHERE invitee_customer_id = @survivorId)
            """, p, transaction);
        foreach (var duplicate in duplicates)
        {
            if (duplicate.State is InvitationStates.Pending or InvitationStates.Succeeded or InvitationStates.Review)
                await ReferralEngine.TakeBackAsync(work, duplicate.Id, duplicate.ParticipantId, duplicate.State, InvitationStates.Revoked, InvitationReasons.Duplicate, now);
        }

        await connection.ExecuteAsync(
            """
            UPDATE referral_invitations SET invitee_customer_id = @survivorId WHERE workspace_id = @workspaceId AND invitee_customer_id = @mergedId
                AND campaign_id NOT IN (SELECT campaign_id FROM referral_invitations WHERE invitee_customer_id = @survivorId);
            UPDATE referral_invitations SET inviter_customer_id = @survivorId WHERE workspace_id = @workspaceId AND inviter_customer_id = @mergedId;
            UPDATE referral_rewards SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId;
            """, p, transaction);

        // Both invite in one campaign: fold the merged participant into the survivor's.
        var folds = (await connection.QueryAsync<Fold>(
            """
            SELECT m.id AS merged_participant_id, s.id AS survivor_participant_id, m.successes, m.invitations, m.poster_views
            FROM referral_participants m JOIN referral_participants s ON s.campaign_id = m.campaign_id AND s.customer_id = @survivorId
            WHERE m.workspace_id = @workspaceId AND m.customer_id = @mergedId
            """, p, transaction)).AsList();
        foreach (var fold in folds)
        {
            var f = new { from = fold.MergedParticipantId, to = fold.SurvivorParticipantId, fold.Successes, fold.Invitations, fold.PosterViews };
            await connection.ExecuteAsync(
                """
                UPDATE referral_invitations SET participant_id = @to WHERE participant_id = @from;
                UPDATE referral_visits SET participant_id = @to WHERE participant_id = @from
                    AND NOT EXISTS (SELECT 1 FROM referral_visits v WHERE v.participant_id = @to AND v.visitor = referral_visits.visitor AND v.day = referral_visits.day);
                DELETE FROM referral_visits WHERE participant_id = @from;
                UPDATE referral_participants SET parent_participant_id = @to WHERE parent_participant_id = @from;
                UPDATE referral_rewards SET participant_id = @to WHERE participant_id = @from
                    AND (step_id IS NULL OR step_id NOT IN (SELECT step_id FROM referral_rewards WHERE participant_id = @to AND step_id IS NOT NULL));
                UPDATE referral_participants SET successes = successes + @Successes, invitations = invitations + @Invitations, poster_views = poster_views + @PosterViews
                    WHERE id = @to;
                DELETE FROM referral_participants WHERE id = @from;
                """, f, transaction);
        }

        await connection.ExecuteAsync(
            "UPDATE referral_participants SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId", p, transaction);

        // Now one person on both sides: a self-invitation found late.
        var selfInvites = await connection.QueryAsync<Ended>(
            """
            SELECT id, participant_id, state FROM referral_invitations
            WHERE workspace_id = @workspaceId AND inviter_customer_id = @survivorId AND invitee_customer_id = @survivorId AND state IN ('pending', 'succeeded', 'review')
            """, p, transaction);
        foreach (var self in selfInvites)
            await ReferralEngine.TakeBackAsync(work, self.Id, self.ParticipantId, self.State, InvitationStates.Rejected, InvitationReasons.SelfInvite, now);
    }

    private sealed class Ended
    {
        public Guid Id { get; init; }
        public Guid ParticipantId { get; init; }
        public string State { get; init; } = "";
    }

    private sealed class Fold
    {
        public Guid MergedParticipantId { get; init; }
        public Guid SurvivorParticipantId { get; init; }
        public int Successes { get; init; }
        public int Invitations { get; init; }
        public int PosterViews { get; init; }
    }
}
