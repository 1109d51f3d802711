using System.Text.Json;
using Dapper;
using Pond.Messaging;
using Pond.Storage;

namespace Pond.Content;

/// <summary>A customer the editor's preview may fill a script for.</summary>
public sealed class PreviewCustomer
{
    public Guid Id { get; init; }
    public string? DisplayName { get; init; }
    public string? OwnerName { get; init; }
}

/// <summary>A script filled with one customer's values, and the values used.</summary>
public sealed record ContentPreviewResult(string Text, IReadOnlyDictionary<string, string?> Values, IReadOnlyList<string> Unknown, PreviewCustomer? Customer);

/// <summary>
/// The editor's preview: a script's {variables} filled from a chosen customer as the database holds them now (name,
/// owner staff name, points balance, tier, traits). {coupon} is the code of the customer's newest usable coupon, and
/// {unsubscribe} a marker: both are made at send time.
/// </summary>
internal sealed class ContentPreview(Database database)
{
    private sealed class Row
    {
        public Guid Id { get; init; }
        public string? DisplayName { get; init; }
        public string Traits { get; init; } = "{}";
        public string? OwnerName { get; init; }
        public long? Points { get; init; }
        public string? Tier { get; init; }
        public string? Coupon { get; init; }
    }

    /// <summary>Customers whose name starts with <paramref name="q"/> (or whose id it is), for the preview's picker.</summary>
    public async Task<IReadOnlyList<PreviewCustomer>> FindCustomersAsync(Guid workspaceId, string? q, Guid? onlyOwnedBy, int limit = 10)
    {
        await using var connection = await database.OpenAsync();
        var owned = onlyOwnedBy is null ? "" : " AND c.owner_staff_id = @onlyOwnedBy";
        var text = q?.Trim() ?? "";
        if (Guid.TryParse(text, out var id))
        {
            return (await connection.QueryAsync<PreviewCustomer>(
                $"SELECT c.id, c.display_name, s.name AS owner_name FROM customers c LEFT JOIN staff s ON s.id = c.owner_staff_id WHERE c.workspace_id = @workspaceId AND c.id = @id{owned}",
                new { workspaceId, id, onlyOwnedBy })).AsList();
        }

        var prefix = text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
        return (await connection.QueryAsync<PreviewCustomer>(
            $"""
            SELECT c.id, c.display_name, s.name AS owner_name FROM customers c LEFT JOIN staff s ON s.id = c.owner_staff_id
            WHERE c.workspace_id = @workspaceId AND c.display_name LIKE @prefix ESCAPE '\'{owned}
            ORDER BY c.display_name, c.id LIMIT @limit
            """, new { workspaceId, prefix, onlyOwnedBy, limit = Math.Clamp(limit, 1, 50) })).AsList();
    }

    /// <summary>Every variable's value for one customer (traits as trait.KEY); 404 when the customer is not the caller's to see.</summary>
    public async Task<(PreviewCustomer Customer, Dictionary<string, string?> Values)> ValuesAsync(Guid workspaceId, Guid customerId, Guid? onlyOwnedBy, DateTimeOffset now)
    {
        await using var connection = await database.OpenAsync();
        var row = await connection.QuerySingleOrDefaultAsync<Row>(
            """
            SELECT c.id, c.display_name, c.traits, s.name AS owner_name, p.balance AS points, t.name AS tier,
                (SELECT k.code FROM coupons k WHERE k.customer_id = c.id AND k.workspace_id = c.workspace_id AND k.status = 'unused' AND k.valid_to > @now
                 ORDER BY k.issued_at DESC LIMIT 1) AS coupon
            FROM customers c
            LEFT JOIN staff s ON s.id = c.owner_staff_id
            LEFT JOIN points_balances p ON p.customer_id = c.id
            LEFT JOIN customer_tiers ct ON ct.customer_id = c.id
            LEFT JOIN tiers t ON t.id = ct.tier_id
            WHERE c.id = @customerId AND c.workspace_id = @workspaceId
            """, new { customerId, workspaceId, now });
        if (row is null || (onlyOwnedBy is { } staff && await connection.ExecuteScalarAsync<Guid?>(
                "SELECT owner_staff_id FROM customers WHERE id = @customerId", new { customerId }) != staff))
            throw new NotFoundException($"No customer {customerId} in this workspace that you can see.");
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [MessageVariables.Name] = row.DisplayName,
            [MessageVariables.Nickname] = row.DisplayName,
            [MessageVariables.Staff] = row.OwnerName,
            [MessageVariables.Points] = (row.Points ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
            [MessageVariables.Tier] = row.Tier,
            [MessageVariables.Coupon] = row.Coupon,
            [MessageVariables.Unsubscribe] = null,
        };
        using var traits = JsonDocument.Parse(row.Traits);
        if (traits.RootElement.ValueKind == JsonValueKind.Object)
        {
            foreach (var trait in traits.RootElement.EnumerateObject())
            {
                values[MessageVariables.TraitPrefix + trait.Name] = trait.Value.ValueKind switch
                {
                    JsonValueKind.String => trait.Value.GetString(),
                    JsonValueKind.Null => null,
                    _ => trait.Value.GetRawText(),
                };
                if (trait.Name == "nickname" && trait.Value.ValueKind == JsonValueKind.String)
                    values[MessageVariables.Nickname] = trait.Value.GetString();
            }
        }

        return (new PreviewCustomer { Id = row.Id, DisplayName = row.DisplayName, OwnerName = row.OwnerName }, values);
    }

    /// <summary>
    /// Fills the text for the customer. Values Pond makes at send time (an unsubscribe link, a coupon the customer does not
    /// hold yet) show as the <paramref name="sendTime"/> marker of that variable.
    /// </summary>
    public async Task<ContentPreviewResult> PreviewAsync(Guid workspaceId, string? text, Guid? customerId, Guid? onlyOwnedBy, DateTimeOffset now,
        Func<string, string> sendTime)
    {
        var unknown = MessageVariables.Unknown(text);
        if (customerId is not { } id)
            return new ContentPreviewResult(MessageVariables.Render(text, v => MessageVariables.All.Contains(v) || v.StartsWith(MessageVariables.TraitPrefix, StringComparison.Ordinal) ? "{" + v + "}" : null),
                new Dictionary<string, string?>(), unknown, null);
        var (customer, values) = await ValuesAsync(workspaceId, id, onlyOwnedBy, now);
        var used = MessageVariables.Used(text).ToDictionary(v => v, v => values.GetValueOrDefault(v) ?? (v is MessageVariables.Unsubscribe or MessageVariables.Coupon ? sendTime(v) : null),
            StringComparer.Ordinal);
        return new ContentPreviewResult(MessageVariables.Render(text, v => used.GetValueOrDefault(v)), used, unknown, customer);
    }
}
