using System.Data.Common;
using System.Text;
using System.Text.Json;
using Dapper;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Customers;

/// <summary>
/// The read side of the customer pool for the admin API and the console: search and filter, the customer 360,
/// the event timeline, and the one write people make by hand (marketing consent). Ingestion owns every other write.
/// Every query is bound to the viewer's workspace, and to the viewer's own customers for the staff role.
/// </summary>
internal sealed class CustomerDirectory(Database database, AuditLog audit, TimeProvider clock)
{
    public const int DefaultTimelineLimit = 50;
    public const int MaxTimelineLimit = 200;

    // Merges can chain (A into B, later B into C); the hop limit guards against a cycle written by a bug.
    private const int MaxMergeHops = 32;

    public async Task<CustomerPage> ListAsync(CustomerViewer viewer, CustomerQuery query, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var sql = new StringBuilder(
            """
            SELECT c.id, c.display_name, c.depth, c.owner_staff_id, s.name AS owner_staff_name, c.marketing_opt_out,
                   c.first_seen_at, c.last_seen_at,
                   (SELECT MIN(i.value) FROM identities i WHERE i.customer_id = c.id AND i.kind = 'phone') AS phone,
                   (SELECT MIN(i.value) FROM identities i WHERE i.customer_id = c.id AND i.kind = 'email') AS email
            FROM customers c
            LEFT JOIN staff s ON s.id = c.owner_staff_id AND s.workspace_id = c.workspace_id
            WHERE c.workspace_id = @ws
            """);
        var args = new DynamicParameters();
        args.Add("ws", viewer.WorkspaceId);
        if (viewer.OnlyOwnedBy is { } owner)
        {
            sql.Append(" AND c.owner_staff_id = @owner");
            args.Add("owner", owner);
        }

        if (query.After is { } after)
        {
            sql.Append(" AND c.id < @after");
            args.Add("after", after);
        }

        if (query.Depth is { } depth)
        {
            sql.Append(" AND c.depth = @depth");
            args.Add("depth", (int)depth);
        }

        if (query.OptedOut is { } optedOut)
        {
            sql.Append(" AND c.marketing_opt_out = @optedOut");
            args.Add("optedOut", optedOut);
        }

        if (query.StaffId is { } staff)
        {
            await RequireExistsAsync(connection, "staff", viewer.WorkspaceId, staff, "staff", "staff member");
            sql.Append(" AND c.owner_staff_id = @staff");
            args.Add("staff", staff);
        }

        if (query.CarrierId is { } carrier)
        {
            await RequireExistsAsync(connection, "carriers", viewer.WorkspaceId, carrier, "carrier", "carrier");
            sql.Append(" AND EXISTS (SELECT 1 FROM relationships r WHERE r.customer_id = c.id AND r.workspace_id = @ws AND r.carrier_id = @carrier AND r.state = 'active')");
            args.Add("carrier", carrier);
        }

        if (query.SegmentId is { } segment)
        {
            sql.Append(" AND c.id IN (SELECT m.customer_id FROM segment_members m WHERE m.segment_id = @segment)");
            args.Add("segment", segment);
        }

        if (query.Ids is { } ids)
        {
            sql.Append(database.IsSqlite ? " AND c.id IN (SELECT value FROM json_each(@ids))" : " AND c.id = ANY(@ids)");
            args.Add("ids", database.IsSqlite ? JsonSerializer.Serialize(ids) : ids.ToArray());
        }

        if (query.Search is { } search)
        {
            // Name contains the text, or any identity equals it (phone, unionid, user id, email…), or — for
            // four or more digits — a phone number contains it: operators often search by the last four digits.
            sql.Append(
                """
                 AND (LOWER(c.display_name) LIKE @namePattern ESCAPE '\'
                      OR c.id IN (SELECT i.customer_id FROM identities i WHERE i.workspace_id = @ws AND (i.value = @term OR i.value = @termLower))
                """);
            args.Add("namePattern", "%" + EscapeLike(search.ToLowerInvariant()) + "%");
            args.Add("term", search);
            args.Add("termLower", search.ToLowerInvariant());
            if (search.Length >= 4 && search.All(char.IsAsciiDigit))
            {
                sql.Append(" OR c.id IN (SELECT i.customer_id FROM identities i WHERE i.workspace_id = @ws AND i.kind = 'phone' AND i.value LIKE @phonePattern ESCAPE '\\')");
                args.Add("phonePattern", "%" + search + "%");
            }

            sql.Append(')');
        }

        sql.Append(" ORDER BY c.id DESC LIMIT @take");
        args.Add("take", query.Limit + 1);

        var rows = (await connection.QueryAsync<SummaryRow>(sql.ToString(), args)).AsList();
        var page = rows.Take(query.Limit).Select(r => new CustomerSummary
        {
            Id = r.Id,
            DisplayName = r.DisplayName,
            Depth = DepthNames.Of((Depth)r.Depth),
            OwnerStaffId = r.OwnerStaffId,
            OwnerStaffName = r.OwnerStaffName,
            Phone = r.Phone is null ? null : Masking.Phone(r.Phone),
            Email = r.Email is null ? null : Masking.Email(r.Email),
            OptedOut = r.MarketingOptOut,
            FirstSeenAt = r.FirstSeenAt,
            LastSeenAt = r.LastSeenAt,
        }).ToList();
        return new CustomerPage
        {
            Items = page,
            NextCursor = rows.Count > query.Limit ? Cursors.EncodeCustomer(page[^1].Id) : null,
        };
    }

    /// <summary>The customer 360, or where a merged-away id went, or neither (unknown, other workspace, or not the staff member's).</summary>
    public async Task<CustomerLookup> FindAsync(CustomerViewer viewer, Guid id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await LoadRowAsync(connection, viewer, id);
        if (row is null)
        {
            var survivor = await FinalSurvivorAsync(connection, viewer.WorkspaceId, id);
            // Staff learn where a merged id went only if the survivor is theirs: otherwise it is just unknown.
            if (survivor is { } s && await LoadRowAsync(connection, viewer, s) is not null)
                return new CustomerLookup(null, s);
            return new CustomerLookup(null, null);
        }

        // Sorted here, not in SQL: an ORDER BY kind makes SQLite walk the (workspace, kind, scope, value) index instead of the customer's.
        var identities = (await connection.QueryAsync<IdentityView>(
            "SELECT kind, scope, value, created_at FROM identities WHERE workspace_id = @ws AND customer_id = @id",
            new { ws = viewer.WorkspaceId, id })).OrderBy(i => i.Kind, StringComparer.Ordinal).ThenBy(i => i.CreatedAt);
        var relationships = await connection.QueryAsync<RelationshipRow>(
            """
            SELECT r.id, r.carrier_id, k.name AS carrier_name, k.kind AS carrier_kind, r.state, r.since, r.ended_at, r.ended_by, r.source_channel
            FROM relationships r LEFT JOIN carriers k ON k.id = r.carrier_id AND k.workspace_id = r.workspace_id
            WHERE r.workspace_id = @ws AND r.customer_id = @id
            ORDER BY r.since DESC
            """, new { ws = viewer.WorkspaceId, id });

        return new CustomerLookup(new CustomerDetail
        {
            Id = row.Id,
            DisplayName = row.DisplayName,
            Depth = DepthNames.Of((Depth)row.Depth),
            OwnerStaffId = row.OwnerStaffId,
            OwnerStaffName = row.OwnerStaffName,
            Consent = new ConsentView { MarketingOptOut = row.MarketingOptOut, OptedOutAt = row.OptedOutAt },
            Traits = ReadTraits(row.Traits, viewer.SeesPersonalData),
            FirstSeenAt = row.FirstSeenAt,
            LastSeenAt = row.LastSeenAt,
            FirstOrderAt = row.FirstOrderAt,
            LastOrderAt = row.LastOrderAt,
            CreatedAt = row.CreatedAt,
            UpdatedAt = row.UpdatedAt,
            PersonalDataVisible = viewer.SeesPersonalData,
            Identities = identities.Select(i => Shown(i, viewer.SeesPersonalData)).ToList(),
            Relationships = relationships.Select(r => new RelationshipView
            {
                Id = r.Id,
                CarrierId = r.CarrierId,
                CarrierName = r.CarrierName,
                CarrierKind = r.CarrierKind,
                Depth = DepthNames.Of(r.CarrierKind is null ? Depth.None : CarrierKinds.DepthOf(r.CarrierKind)),
                State = r.State,
                Since = r.Since,
                EndedAt = r.EndedAt,
                EndedBy = r.EndedBy,
                SourceChannel = r.SourceChannel,
            }).ToList(),
            Merges = await MergeHistoryAsync(connection, viewer, id),
            Segments = (await connection.QueryAsync<SegmentMembershipView>(
                """
                SELECT s.id, s.name, m.entered_at FROM segment_members m JOIN segments s ON s.id = m.segment_id
                WHERE m.customer_id = @id AND s.workspace_id = @ws ORDER BY s.name
                """, new { ws = viewer.WorkspaceId, id })).AsList(),
            Tags = (await connection.QueryAsync<TagView>(
                "SELECT tag, source, created_at FROM customer_tags WHERE customer_id = @id AND workspace_id = @ws ORDER BY created_at, tag",
                new { ws = viewer.WorkspaceId, id })).AsList(),
            Acquisitions = (await connection.QueryAsync<AcquisitionView>(
                """
                SELECT a.carrier_id, k.name AS carrier_name, a.carrier_kind, a.channel_id, c.name AS channel_name, a.code_id, l.name AS code_name,
                       a.staff_id, s.name AS staff_name, a.acquired_at, a.ended_at, a.ended_by
                FROM acquisitions a
                LEFT JOIN carriers k ON k.id = a.carrier_id LEFT JOIN channels c ON c.id = a.channel_id
                LEFT JOIN live_codes l ON l.id = a.code_id LEFT JOIN staff s ON s.id = a.staff_id
                WHERE a.workspace_id = @ws AND a.customer_id = @id
                ORDER BY a.acquired_at DESC
                """, new { ws = viewer.WorkspaceId, id })).AsList(),
        }, null);
    }

    /// <summary>The customer's events, newest first. Throws <see cref="NotFoundException"/> when the viewer cannot see the customer.</summary>
    public async Task<TimelinePage> TimelineAsync(CustomerViewer viewer, Guid id, string? cursor, string? limit, CancellationToken cancellationToken = default)
    {
        var take = CustomerQuery.ParseLimit(limit, DefaultTimelineLimit, MaxTimelineLimit);
        (long At, long Id)? after = string.IsNullOrWhiteSpace(cursor) ? null : Cursors.DecodeTimeline(cursor);

        await using var connection = await database.OpenAsync(cancellationToken);
        if (await LoadRowAsync(connection, viewer, id) is null)
            throw new NotFoundException($"No customer {id} in this workspace.");

        var sql = new StringBuilder(
            "SELECT id, type, name, occurred_at, message_id, properties FROM customer_events WHERE workspace_id = @ws AND customer_id = @id");
        if (after is not null)
            sql.Append(" AND (occurred_at < @at OR (occurred_at = @at AND id < @eventId))");
        sql.Append(" ORDER BY occurred_at DESC, id DESC LIMIT @take");
        var rows = (await connection.QueryAsync<EventRow>(sql.ToString(),
            new { ws = viewer.WorkspaceId, id, at = after?.At ?? 0, eventId = after?.Id ?? 0, take = take + 1 })).AsList();

        var items = rows.Take(take).Select(r => new TimelineEvent
        {
            Id = r.Id,
            Type = r.Type,
            Name = r.Name,
            OccurredAt = r.OccurredAt,
            MessageId = r.MessageId,
            Properties = ParseJson(r.Properties),
        }).ToList();
        return new TimelinePage
        {
            Items = items,
            NextCursor = rows.Count > take ? Cursors.EncodeTimeline(items[^1].OccurredAt, items[^1].Id) : null,
        };
    }

    /// <summary>Opts a customer out of (or back into) marketing. Audited; the opt-out time is kept from the first opt-out.</summary>
    public async Task<ConsentView> SetConsentAsync(CustomerViewer viewer, Guid id, bool marketingOptOut, string actor, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var owner = viewer.OnlyOwnedBy is null ? "" : " AND owner_staff_id = @owner";
        var changed = await connection.ExecuteAsync(
            $"""
            UPDATE customers SET marketing_opt_out = @optOut,
                opted_out_at = CASE WHEN @optOut THEN COALESCE(opted_out_at, @now) ELSE NULL END,
                updated_at = @now
            WHERE workspace_id = @ws AND id = @id{owner}
            """,
            new { ws = viewer.WorkspaceId, id, optOut = marketingOptOut, now, owner = viewer.OnlyOwnedBy }, transaction);
        if (changed == 0)
            throw new NotFoundException($"No customer {id} in this workspace.");
        await audit.RecordAsync(viewer.WorkspaceId, actor, marketingOptOut ? "customer.opt_out" : "customer.opt_in", id.ToString(),
            new { marketingOptOut }, connection, transaction);
        var consent = await connection.QuerySingleAsync<ConsentRow>(
            "SELECT marketing_opt_out, opted_out_at FROM customers WHERE id = @id", new { id }, transaction);
        await transaction.CommitAsync(cancellationToken);
        return new ConsentView { MarketingOptOut = consent.MarketingOptOut, OptedOutAt = consent.OptedOutAt };
    }

    private static async Task<DetailRow?> LoadRowAsync(DbConnection connection, CustomerViewer viewer, Guid id)
    {
        var owner = viewer.OnlyOwnedBy is null ? "" : " AND c.owner_staff_id = @owner";
        return await connection.QuerySingleOrDefaultAsync<DetailRow>(
            $"""
            SELECT c.id, c.display_name, c.traits, c.depth, c.owner_staff_id, s.name AS owner_staff_name, c.marketing_opt_out, c.opted_out_at,
                   c.first_seen_at, c.last_seen_at, c.first_order_at, c.last_order_at, c.created_at, c.updated_at
            FROM customers c
            LEFT JOIN staff s ON s.id = c.owner_staff_id AND s.workspace_id = c.workspace_id
            WHERE c.workspace_id = @ws AND c.id = @id{owner}
            """, new { ws = viewer.WorkspaceId, id, owner = viewer.OnlyOwnedBy });
    }

    private static async Task<Guid?> FinalSurvivorAsync(DbConnection connection, Guid workspaceId, Guid mergedId)
    {
        Guid? survivor = null;
        var current = mergedId;
        for (var hop = 0; hop < MaxMergeHops; hop++)
        {
            var next = await connection.QueryFirstOrDefaultAsync<Guid?>(
                "SELECT survivor_id FROM customer_merges WHERE workspace_id = @ws AND merged_id = @current ORDER BY merged_at DESC LIMIT 1",
                new { ws = workspaceId, current });
            if (next is null)
                break;
            survivor = current = next.Value;
        }

        return survivor;
    }

    private static async Task<IReadOnlyList<MergeView>> MergeHistoryAsync(DbConnection connection, CustomerViewer viewer, Guid survivorId)
    {
        var merges = new List<MergeView>();
        var frontier = new Queue<Guid>([survivorId]);
        var seen = new HashSet<Guid> { survivorId };
        while (frontier.Count > 0 && seen.Count < MaxMergeHops * 8)
        {
            var into = frontier.Dequeue();
            var rows = await connection.QueryAsync<MergeRow>(
                "SELECT merged_id, survivor_id, identities, merged_at FROM customer_merges WHERE workspace_id = @ws AND survivor_id = @into",
                new { ws = viewer.WorkspaceId, into });
            foreach (var row in rows)
            {
                merges.Add(new MergeView
                {
                    MergedId = row.MergedId,
                    IntoId = row.SurvivorId,
                    MergedAt = row.MergedAt,
                    Identities = ReadMergedIdentities(row.Identities).Select(i => Shown(i, viewer.SeesPersonalData)).ToList(),
                });
                if (seen.Add(row.MergedId))
                    frontier.Enqueue(row.MergedId);
            }
        }

        return merges.OrderByDescending(m => m.MergedAt).ToList();
    }

    private static async Task RequireExistsAsync(DbConnection connection, string table, Guid workspaceId, Guid id, string field, string what)
    {
        var found = await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table} WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id });
        if (found == 0)
            throw new ValidationFailedException($"No {what} with id {id} in this workspace; take {field} from GET /api/{table}.", field);
    }

    private static IdentityView Shown(IdentityView identity, bool seesPersonalData) =>
        seesPersonalData || !IdentityKinds.IsPersonal(identity.Kind)
            ? identity
            : new IdentityView { Kind = identity.Kind, Scope = identity.Scope, Value = Masking.Identity(identity.Kind, identity.Value), CreatedAt = identity.CreatedAt };

    private static List<IdentityView> ReadMergedIdentities(string json)
    {
        var result = new List<IdentityView>();
        var parsed = ParseJson(json);
        if (parsed.ValueKind != JsonValueKind.Array)
            return result;
        foreach (var item in parsed.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
                continue;
            result.Add(new IdentityView
            {
                Kind = item.TryGetProperty("kind", out var kind) ? kind.GetString() ?? "" : "",
                Scope = item.TryGetProperty("scope", out var scope) ? scope.GetString() ?? "" : "",
                Value = item.TryGetProperty("value", out var value) ? value.ToString() : "",
            });
        }

        return result;
    }

    private static Dictionary<string, JsonElement> ReadTraits(string json, bool seesPersonalData)
    {
        var traits = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var parsed = ParseJson(json);
        if (parsed.ValueKind != JsonValueKind.Object)
            return traits;
        foreach (var property in parsed.EnumerateObject())
        {
            traits[property.Name] = !seesPersonalData && Masking.IsPersonalTrait(property.Name) && property.Value.ValueKind == JsonValueKind.String
                ? JsonSerializer.SerializeToElement(Masking.Trait(property.Name, property.Value.GetString() ?? ""))
                : property.Value.Clone();
        }

        return traits;
    }

    private static JsonElement ParseJson(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
            return JsonSerializer.SerializeToElement(new Dictionary<string, object>());
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            // Stored by ingestion from a caller's payload; show it as text rather than failing the whole page.
            return JsonSerializer.SerializeToElement(json);
        }
    }

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private sealed class SummaryRow
    {
        public Guid Id { get; init; }
        public string? DisplayName { get; init; }
        public int Depth { get; init; }
        public Guid? OwnerStaffId { get; init; }
        public string? OwnerStaffName { get; init; }
        public bool MarketingOptOut { get; init; }
        public DateTimeOffset FirstSeenAt { get; init; }
        public DateTimeOffset LastSeenAt { get; init; }
        public string? Phone { get; init; }
        public string? Email { get; init; }
    }

    private sealed class DetailRow
    {
        public Guid Id { get; init; }
        public string? DisplayName { get; init; }
        public string Traits { get; init; } = "{}";
        public int Depth { get; init; }
        public Guid? OwnerStaffId { get; init; }
        public string? OwnerStaffName { get; init; }
        public bool MarketingOptOut { get; init; }
        public DateTimeOffset? OptedOutAt { get; init; }
        public DateTimeOffset FirstSeenAt { get; init; }
        public DateTimeOffset LastSeenAt { get; init; }
        public DateTimeOffset? FirstOrderAt { get; init; }
        public DateTimeOffset? LastOrderAt { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
    }

    private sealed class RelationshipRow
    {
        public Guid Id { get; init; }
        public Guid CarrierId { get; init; }
        public string? CarrierName { get; init; }
        public string? CarrierKind { get; init; }
        public string State { get; init; } = "";
        public DateTimeOffset Since { get; init; }
        public DateTimeOffset? EndedAt { get; init; }
        public string? EndedBy { get; init; }
        public string? SourceChannel { get; init; }
    }

    private sealed class MergeRow
    {
        public Guid MergedId { get; init; }
        public Guid SurvivorId { get; init; }
        public string Identities { get; init; } = "[]";
        public DateTimeOffset MergedAt { get; init; }
    }

    private sealed class EventRow
    {
        public long Id { get; init; }
        public string Type { get; init; } = "";
        public string? Name { get; init; }
        public DateTimeOffset OccurredAt { get; init; }
        public string MessageId { get; init; } = "";
        public string? Properties { get; init; }
    }

    private sealed class ConsentRow
    {
        public bool MarketingOptOut { get; init; }
        public DateTimeOffset? OptedOutAt { get; init; }
    }
}
