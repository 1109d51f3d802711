using System.Data.Common;
using Dapper;

namespace Pond.Loyalty;

/// <summary>
/// When two customers turn out to be one person, the merged customer's points move to the survivor inside the merge's
/// transaction: ledger rows, unused lots, check-ins, gifts, grants and tier history follow the customer, and the
/// balances (balance, debt, totals) are added together, so the survivor's ledger still adds up to its balance. The
/// merged customer's tier row is dropped; the survivor's tier is re-evaluated on its next order or the nightly run.
/// </summary>
internal sealed class LoyaltyMergeParticipant : Customers.ICustomerMergeParticipant
{
    public async Task MoveAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid survivorId, Guid mergedId)
    {
        var p = new { workspaceId, survivorId, mergedId };
        var merged = await connection.QuerySingleOrDefaultAsync<BalanceRow>(
            "SELECT balance AS Balance, debt AS Debt, earned_total AS EarnedTotal, spent_total AS SpentTotal, updated_at AS UpdatedAt FROM points_balances WHERE customer_id = @mergedId AND workspace_id = @workspaceId",
            p, transaction);
        if (merged is not null)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO points_balances (customer_id, workspace_id, balance, debt, earned_total, spent_total, updated_at)
                VALUES (@survivorId, @workspaceId, 0, 0, 0, 0, @at) ON CONFLICT (customer_id) DO NOTHING
                """, new { survivorId, workspaceId, at = merged.UpdatedAt }, transaction);
            await connection.ExecuteAsync(
                """
                UPDATE points_balances SET balance = balance + @Balance, debt = debt + @Debt, earned_total = earned_total + @EarnedTotal,
                    spent_total = spent_total + @SpentTotal WHERE customer_id = @survivorId
                """, new { merged.Balance, merged.Debt, merged.EarnedTotal, merged.SpentTotal, survivorId }, transaction);
            await connection.ExecuteAsync("DELETE FROM points_balances WHERE customer_id = @mergedId", p, transaction);
        }

        await connection.ExecuteAsync(
            """
            UPDATE points_ledger SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId;
            UPDATE points_lots SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId;
            DELETE FROM points_checkins WHERE customer_id = @mergedId AND day IN (SELECT day FROM points_checkins WHERE customer_id = @survivorId);
            UPDATE points_checkins SET customer_id = @survivorId WHERE customer_id = @mergedId;
            UPDATE points_gifts SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId;
            DELETE FROM loyalty_grants WHERE workspace_id = @workspaceId AND customer_id = @mergedId
                AND grant_key IN (SELECT grant_key FROM loyalty_grants WHERE workspace_id = @workspaceId AND customer_id = @survivorId);
            UPDATE loyalty_grants SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId;
            UPDATE tier_changes SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId;
            DELETE FROM customer_tiers WHERE customer_id = @mergedId;
            """, p, transaction);
    }

    private sealed class BalanceRow
    {
        public long Balance { get; init; }
        public long Debt { get; init; }
        public long EarnedTotal { get; init; }
        public long SpentTotal { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
    }
}
