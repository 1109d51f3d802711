using System.Data.Common;
using Dapper;
using Pond.Customers;

namespace Pond.Activities;

/// <summary>The buyer named by a shop's request: a Pond customer id, or the shop's own user id (the user_id identity).</summary>
internal static class ActivityCustomers
{
    public static async Task<Guid> ResolveAsync(DbConnection connection, Guid workspaceId, Guid? customerId, string? userId)
    {
        if (customerId is { } id && id != Guid.Empty)
        {
            var known = await connection.ExecuteScalarAsync<int>(
                "SELECT COUNT(*) FROM customers WHERE id = @id AND workspace_id = @workspaceId", new { id, workspaceId });
            return known > 0 ? id : throw new NotFoundException($"No customer {id} in this workspace.");
        }

        if (string.IsNullOrWhiteSpace(userId))
            throw new ValidationFailedException("Name the buyer: customerId (a Pond customer id) or userId (your shop's user id).", "customerId");
        var value = userId.Trim();
        var found = await connection.QueryFirstOrDefaultAsync<Guid?>(
            "SELECT customer_id FROM identities WHERE workspace_id = @workspaceId AND kind = @kind AND scope = '' AND value = @value",
            new { workspaceId, kind = IdentityKinds.UserId, value });
        return found ?? throw new NotFoundException($"No customer with userId '{value}' in this workspace; identify them through the tracking API first.");
    }
}
