using System.Data.Common;
using Dapper;

namespace Pond.Fission.Assists;

/// <summary>
/// When two customers turn out to be one person, their assists, bargains and lottery draws follow the survivor inside
/// the merge's transaction. Where both hold the same "once" (an open request or live session in one campaign, a help
/// or cut on one request, a draw on one day), the survivor's stays: the merged one's open request or live session is
/// expired, and its duplicate help, cut or draw stays recorded under the merged id as history.
/// </summary>
internal sealed class GameMergeParticipant : Customers.ICustomerMergeParticipant
{
    public async Task MoveAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid survivorId, Guid mergedId) =>
        await connection.ExecuteAsync(
            """
            UPDATE assist_requests SET state = 'expired' WHERE workspace_id = @workspaceId AND customer_id = @mergedId AND state = 'open'
                AND campaign_id IN (SELECT campaign_id FROM assist_requests WHERE customer_id = @survivorId AND state = 'open');
            UPDATE assist_requests SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId;
            UPDATE assist_helps SET helper_customer_id = @survivorId WHERE workspace_id = @workspaceId AND helper_customer_id = @mergedId
                AND request_id NOT IN (SELECT request_id FROM assist_helps WHERE helper_customer_id = @survivorId);
            UPDATE bargain_sessions SET state = 'expired' WHERE workspace_id = @workspaceId AND customer_id = @mergedId AND state IN ('open', 'reached')
                AND item_id IN (SELECT item_id FROM bargain_sessions WHERE customer_id = @survivorId AND state IN ('open', 'reached'));
            UPDATE bargain_sessions SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId;
            UPDATE bargain_cuts SET helper_customer_id = @survivorId WHERE workspace_id = @workspaceId AND helper_customer_id = @mergedId
                AND session_id NOT IN (SELECT session_id FROM bargain_cuts WHERE helper_customer_id = @survivorId);
            UPDATE lottery_entries SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId
                AND NOT EXISTS (SELECT 1 FROM lottery_entries s WHERE s.lottery_id = lottery_entries.lottery_id AND s.customer_id = @survivorId AND s.day = lottery_entries.day);
            UPDATE game_helper_days SET helper_customer_id = @survivorId WHERE helper_customer_id = @mergedId
                AND NOT EXISTS (SELECT 1 FROM game_helper_days s WHERE s.activity_id = game_helper_days.activity_id AND s.helper_customer_id = @survivorId AND s.day = game_helper_days.day);
            """, new { workspaceId, survivorId, mergedId }, transaction);
}
