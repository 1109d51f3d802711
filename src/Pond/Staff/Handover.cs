using System.Data.Common;
using Dapper;
using Pond.Customers;
using Pond.Storage;
using Pond.WeCom;
using Pond.Workspaces;

namespace Pond.Staff;

/// <summary>
/// Moves one staff member's customers and groups to other staff (在职转接 while they stay, 离职继承 when they leave):
/// customers are the brand's, not the staff member's. With a WeCom connection that may call the API, WeCom moves
/// WeCom friends itself (within 24 hours, unless the customer refuses) and Pond applies each move when WeCom reports
/// it done; everything else (the embedded default, personal WeChat accounts) moves at once. History stays: the ended
/// relationship remains on record and attribution (acquisitions) is never rewritten.
/// </summary>
internal sealed class StaffHandover(Database database, AuditLog audit, WeComConnections wecom, TimeProvider clock)
{
    public const int MaxCustomers = 10_000;
    private const int MaxTargets = 100;
    private const int MaxTransferMessage = 200;

    // ---- start ------------------------------------------------------------------------------

    public async Task<HandoverDetail> StartAsync(Guid workspaceId, HandoverRequest request, string actor)
    {
        var clean = Validate(request);
        var now = clock.GetUtcNow();
        var connectionInfo = await wecom.GetAsync(workspaceId);
        var client = connectionInfo is null ? null : wecom.ClientFor(connectionInfo);

        var id = Guid.CreateVersion7(now);
        List<PlannedTransfer> viaWeCom;
        List<GroupRow> wecomGroups = [];
        var groupResults = new List<GroupTransfer>();
        StaffRow firstTarget;
        IReadOnlyList<CarrierRow> firstTargetAccounts;
        await using (var connection = await database.OpenAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            // Two handovers of the same person at once would plan the same customers twice. SQLite's write transaction
            // already serialises them; on PostgreSQL the from-staff row is locked until this one commits.
            if (!database.IsSqlite)
            {
                await connection.ExecuteAsync(
                    "SELECT id FROM staff WHERE workspace_id = @workspaceId AND id = @From FOR UPDATE", new { workspaceId, clean.From }, transaction);
            }

            var staff = (await connection.QueryAsync<StaffRow>(
                "SELECT id, name, status, wecom_user_id FROM staff WHERE workspace_id = @workspaceId",
                new { workspaceId }, transaction)).ToDictionary(s => s.Id);
            var from = staff.GetValueOrDefault(clean.From)
                ?? throw new ValidationFailedException($"No staff member {clean.From} in this workspace; take fromStaffId from GET /api/staff.", "fromStaffId");
            if (clean.Kind == HandoverKinds.InService && from.Status != StaffStatuses.Active)
                throw new ValidationFailedException(
                    $"{from.Name} is {from.Status}; an in_service handover (在职转接) is for someone who stays. Use kind 'resigned' (离职继承) for someone who has left.", "kind");

            var accounts = (await connection.QueryAsync<CarrierRow>(
                """
                SELECT id, kind, name, external_id, owner_staff_id, status FROM carriers
                WHERE workspace_id = @workspaceId AND owner_staff_id IS NOT NULL AND kind IN ('wecom_account', 'wechat_account')
                """, new { workspaceId }, transaction))
                .OrderBy(c => c.Kind == CarrierKinds.WecomAccount ? 0 : 1).ThenBy(c => c.Id.ToString(), StringComparer.Ordinal)
                .ToLookup(c => c.OwnerStaffId);
            var targets = new List<(StaffRow Staff, IReadOnlyList<CarrierRow> Accounts)>();
            foreach (var targetId in clean.Targets)
            {
                var target = staff.GetValueOrDefault(targetId)
                    ?? throw new ValidationFailedException($"No staff member {targetId} in this workspace; take toStaffIds from GET /api/staff.", "toStaffIds");
                if (target.Status != StaffStatuses.Active)
                    throw new ValidationFailedException($"{target.Name} is {target.Status} and cannot take over customers; choose an active staff member.", "toStaffIds");
                var live = accounts[targetId].Where(c => c.Status == CarrierStatuses.Active).ToList();
                if (live.Count == 0)
                    throw new ValidationFailedException(
                        $"{target.Name} holds no active WeCom or WeChat account to receive customers; add one under Staff & accounts (POST /api/carriers) first.", "toStaffIds");
                targets.Add((target, live));
            }

            firstTarget = targets[0].Staff;
            firstTargetAccounts = targets[0].Accounts;
            var fromAccounts = accounts[clean.From].ToList();

            var held = await HeldCustomersAsync(connection, transaction, workspaceId, clean.From);
            var selected = Select(held, clean.CustomerIds, from);
            var waiting = (await connection.QueryAsync<Guid>(
                """
                SELECT DISTINCT t.customer_id FROM handover_transfers t
                WHERE t.workspace_id = @workspaceId AND t.status = 'waiting' AND t.customer_id IN (
                    SELECT r.customer_id FROM relationships r JOIN carriers k ON k.id = r.carrier_id
                    WHERE r.workspace_id = @workspaceId AND r.state = 'active' AND k.owner_staff_id = @from
                    UNION SELECT c.id FROM customers c WHERE c.workspace_id = @workspaceId AND c.owner_staff_id = @from)
                """, new { workspaceId, from = clean.From }, transaction)).ToHashSet();
            var blocked = selected.Where(c => waiting.Contains(c.CustomerId)).ToList();
            if (blocked.Count > 0)
                throw new ConflictException(
                    $"{blocked.Count} of these customers (e.g. {blocked[0].CustomerId}) still wait for WeCom to complete an earlier handover; refresh that handover first or leave them out.");

            // Groups move only when the whole book moves: handing over a few customers leaves the groups with their owner.
            var groups = clean.CustomerIds is null
                ? (await connection.QueryAsync<GroupRow>(
                    "SELECT id, name, external_id FROM carriers WHERE workspace_id = @workspaceId AND owner_staff_id = @from AND kind = 'group_chat' ORDER BY name, id",
                    new { workspaceId, from = clean.From }, transaction)).AsList()
                : [];
            if (selected.Count == 0 && groups.Count == 0)
                throw new ConflictException($"{from.Name} holds no customers or group chats to hand over.");

            var fallbackFrom = fromAccounts.FirstOrDefault()?.Id ?? Guid.Empty;
            var plan = new List<PlannedTransfer>(selected.Count);
            for (var i = 0; i < selected.Count; i++)
            {
                var customer = selected[i];
                var (target, targetAccounts) = targets[i % targets.Count];
                var fromCarrier = customer.FromCarrierId is { } fc ? fromAccounts.FirstOrDefault(a => a.Id == fc) : null;
                var toCarrier = targetAccounts.FirstOrDefault(a => a.Kind == fromCarrier?.Kind) ?? targetAccounts[0];
                var wecomBound = client is not null && customer.ExternalUserId is not null
                    && fromCarrier?.Kind == CarrierKinds.WecomAccount && toCarrier.Kind == CarrierKinds.WecomAccount;
                plan.Add(new PlannedTransfer(Guid.CreateVersion7(now), customer.CustomerId, customer.ExternalUserId,
                    fromCarrier?.Id ?? fallbackFrom, fromCarrier?.ExternalId, toCarrier.Id, toCarrier.ExternalId, target.Id, wecomBound,
                    fromCarrier is null ? null : customer.RelationshipId, customer.SourceChannel));
            }

            await connection.ExecuteAsync(
                "INSERT INTO handovers (id, workspace_id, kind, from_staff_id, actor, created_at) VALUES (@id, @workspaceId, @Kind, @From, @actor, @now)",
                new { id, workspaceId, clean.Kind, clean.From, actor, now }, transaction);
            await InsertRowsAsync(connection, transaction,
                "handover_transfers (id, handover_id, workspace_id, customer_id, external_user_id, from_carrier_id, to_carrier_id, to_staff_id, status, updated_at)",
                plan, p => [p.Id, id, workspaceId, p.CustomerId, p.ExternalUserId, p.FromCarrierId, p.ToCarrierId, p.ToStaffId,
                    p.ViaWeCom ? TransferStatuses.Waiting : TransferStatuses.Transferred, now]);
            await ApplyAtOnceAsync(connection, transaction, workspaceId, plan.Where(p => !p.ViaWeCom).ToList(), now);

            if (client is null)
            {
                await MoveGroupsAsync(connection, transaction, workspaceId, groups.Select(g => g.Id), firstTarget.Id, now);
                groupResults.AddRange(groups.Select(g => new GroupTransfer(g.Id, g.Name, g.ExternalId, true, null)));
            }
            else
            {
                wecomGroups = groups;
            }

            await audit.RecordAsync(workspaceId, actor, "handover.start", id.ToString(), new
            {
                clean.Kind, from = clean.From, to = clean.Targets, customers = plan.Count, viaWeCom = plan.Count(p => p.ViaWeCom),
                groups = groups.Select(g => g.ExternalId),
            }, connection, transaction);
            await transaction.CommitAsync();
            viaWeCom = plan.Where(p => p.ViaWeCom).ToList();
        }

        // WeCom is called after the commit, so no database lock is held while waiting on the network.
        if (client is not null)
        {
            await SendTransfersAsync(client, clean, viaWeCom);
            if (wecomGroups.Count > 0)
                groupResults.AddRange(await TransferGroupsAsync(client, workspaceId, clean.Kind, wecomGroups, firstTarget, firstTargetAccounts, actor, id));
        }

        var detail = await GetAsync(workspaceId, id);
        return With(detail, groupResults);
    }

    private async Task SendTransfersAsync(WeComApiClient client, CleanRequest request, List<PlannedTransfer> transfers)
    {
        foreach (var pair in transfers.GroupBy(t => (From: t.FromUserId!, To: t.ToUserId)))
        {
            foreach (var batch in pair.Chunk(WeComApiClient.MaxTransferBatch))
            {
                var externalIds = batch.Select(t => t.ExternalUserId!).ToList();
                Dictionary<string, string?> failures;
                try
                {
                    var outcomes = request.Kind == HandoverKinds.Resigned
                        ? await client.ResignedTransferCustomerAsync(pair.Key.From, pair.Key.To, externalIds)
                        : await client.TransferCustomerAsync(pair.Key.From, pair.Key.To, externalIds, request.TransferMessage);
                    var answered = outcomes.GroupBy(o => o.ExternalUserId).ToDictionary(g => g.Key, g => g.First().ErrorCode);
                    failures = externalIds.Where(e => answered.GetValueOrDefault(e, -1) != 0)
                        .ToDictionary(e => e, e => (string?)(answered.TryGetValue(e, out var code) ? $"WeCom errcode {code}" : "WeCom did not answer for this customer"));
                }
                catch (Exception e) when (e is WeComApiException or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
                {
                    // The whole batch failed; each row says why so the operator can start another handover for them.
                    var reason = e is WeComApiException api ? $"WeCom errcode {api.ErrorCode}" : "WeCom could not be reached";
                    failures = externalIds.ToDictionary(x => x, _ => (string?)reason);
                }

                if (failures.Count == 0)
                    continue;
                await using var connection = await database.OpenAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                foreach (var transfer in batch.Where(t => failures.ContainsKey(t.ExternalUserId!)))
                    await SetStatusAsync(connection, transaction, transfer.Id, TransferStatuses.Failed, failures[transfer.ExternalUserId!], clock.GetUtcNow());
                await transaction.CommitAsync();
            }
        }
    }

    private async Task<List<GroupTransfer>> TransferGroupsAsync(
        WeComApiClient client, Guid workspaceId, string kind, List<GroupRow> groups, StaffRow newOwner, IReadOnlyList<CarrierRow> newOwnerAccounts,
        string actor, Guid handoverId)
    {
        var results = new List<GroupTransfer>();
        var ownerUserId = newOwnerAccounts.FirstOrDefault(a => a.Kind == CarrierKinds.WecomAccount)?.ExternalId ?? newOwner.WecomUserId;
        if (ownerUserId is null)
        {
            results.AddRange(groups.Select(g => new GroupTransfer(g.Id, g.Name, g.ExternalId, false, $"{newOwner.Name} has no WeCom account to own the group")));
        }
        else
        {
            var wecomKind = kind == HandoverKinds.Resigned ? WeComTransferKind.Resigned : WeComTransferKind.OnJob;
            foreach (var batch in groups.Chunk(WeComApiClient.MaxTransferBatch))
            {
                Dictionary<string, string> failed;
                try
                {
                    failed = (await client.GroupChatTransferAsync(wecomKind, batch.Select(g => g.ExternalId).ToList(), ownerUserId))
                        .ToDictionary(f => f.ChatId, f => $"WeCom errcode {f.ErrorCode}");
                }
                catch (Exception e) when (e is WeComApiException or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
                {
                    var reason = e is WeComApiException api ? $"WeCom errcode {api.ErrorCode}" : "WeCom could not be reached";
                    failed = batch.ToDictionary(g => g.ExternalId, _ => reason);
                }

                results.AddRange(batch.Select(g => new GroupTransfer(g.Id, g.Name, g.ExternalId, !failed.ContainsKey(g.ExternalId), failed.GetValueOrDefault(g.ExternalId))));
            }
        }

        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await MoveGroupsAsync(connection, transaction, workspaceId, results.Where(r => r.Moved).Select(r => r.CarrierId), newOwner.Id, clock.GetUtcNow());
        await audit.RecordAsync(workspaceId, actor, "handover.groups", handoverId.ToString(), new
        {
            moved = results.Where(r => r.Moved).Select(r => r.ChatId),
            failed = results.Where(r => !r.Moved).Select(r => new { r.ChatId, r.FailReason }),
        }, connection, transaction);
        await transaction.CommitAsync();
        return results;
    }

    private static async Task MoveGroupsAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, IEnumerable<Guid> groupIds, Guid owner, DateTimeOffset now)
    {
        foreach (var groupId in groupIds)
        {
            await connection.ExecuteAsync(
                "UPDATE carriers SET owner_staff_id = @owner, updated_at = @now WHERE workspace_id = @workspaceId AND id = @groupId",
                new { workspaceId, groupId, owner, now }, transaction);
        }
    }

    /// <summary>
    /// Applies a handover's at-once transfers a few hundred rows per statement, so even 10,000 customers hold the
    /// write lock briefly: old relationships end, new ones start with the same source channel, owners change.
    /// The depth stays: a staff account replaces a staff account.
    /// </summary>
    private static async Task ApplyAtOnceAsync(
        DbConnection connection, DbTransaction transaction, Guid workspaceId, List<PlannedTransfer> transfers, DateTimeOffset now)
    {
        // Rows are named by primary key, never by a join: on tables just filled, PostgreSQL's estimates can pick a
        // nested loop over thousands of rows.
        await ByIdsAsync(connection, transaction,
            "UPDATE relationships SET state = 'ended', ended_at = @now, ended_by = 'system' WHERE state = 'active' AND id IN",
            transfers.Where(t => t.RelationshipId is not null).Select(t => t.RelationshipId!.Value).ToList(), new { now });
        // A customer already befriended by the target's account keeps that relationship (the unique live index skips the new one).
        await InsertRowsAsync(connection, transaction,
            "relationships (id, workspace_id, customer_id, carrier_id, state, since, source_channel, created_at)",
            transfers.Where(t => t.RelationshipId is not null).ToList(),
            t => [Guid.CreateVersion7(now), workspaceId, t.CustomerId, t.ToCarrierId, RelationshipStates.Active, now, t.SourceChannel, now],
            " ON CONFLICT DO NOTHING");
        foreach (var target in transfers.GroupBy(t => t.ToStaffId))
        {
            await ByIdsAsync(connection, transaction,
                "UPDATE customers SET owner_staff_id = @owner, updated_at = @now WHERE workspace_id = @workspaceId AND id IN",
                target.Select(t => t.CustomerId).ToList(), new { owner = target.Key, now, workspaceId });
        }
    }

    /// <summary>Runs a statement ending in "IN" over ids, 200 at a time, each id its own parameter (the same SQL on both engines).</summary>
    private static async Task ByIdsAsync(DbConnection connection, DbTransaction transaction, string sqlEndingInIn, IReadOnlyList<Guid> ids, object shared)
    {
        foreach (var chunk in ids.Chunk(200))
        {
            var parameters = new DynamicParameters(shared);
            var names = new List<string>(chunk.Length);
            for (var i = 0; i < chunk.Length; i++)
            {
                parameters.Add($"id{i}", chunk[i]);
                names.Add($"@id{i}");
            }

            await connection.ExecuteAsync($"{sqlEndingInIn} ({string.Join(", ", names)})", parameters, transaction);
        }
    }

    /// <summary>
    /// Multi-row INSERTs (both engines accept them): one round trip per 25 rows. Larger statements cost more than they
    /// save, as parameter collections look names up one by one.
    /// </summary>
    private static async Task InsertRowsAsync<T>(
        DbConnection connection, DbTransaction transaction, string tableAndColumns, IReadOnlyList<T> rows, Func<T, object?[]> values, string suffix = "")
    {
        foreach (var chunk in rows.Chunk(25))
        {
            var parameters = new DynamicParameters();
            var sql = new System.Text.StringBuilder("INSERT INTO ").Append(tableAndColumns).Append(" VALUES ");
            for (var row = 0; row < chunk.Length; row++)
            {
                var cells = values(chunk[row]);
                sql.Append(row == 0 ? "(" : ", (");
                for (var column = 0; column < cells.Length; column++)
                {
                    var name = $"p{row}_{column}";
                    sql.Append(column == 0 ? "@" : ", @").Append(name);
                    parameters.Add(name, cells[column]);
                }

                sql.Append(')');
            }

            await connection.ExecuteAsync(sql.Append(suffix).ToString(), parameters, transaction);
        }
    }

    /// <summary>
    /// Moves one customer: the old relationship ends (by the system, kept on record), a live one with the target
    /// account starts now with the same source channel, and the target becomes the owner. A customer the staff
    /// member only owned (no live relationship) just changes owner: no friendship is invented.
    /// </summary>
    private static async Task ApplyAsync(
        DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid customerId, Guid fromCarrierId, Guid toCarrierId, Guid toStaffId, DateTimeOffset now)
    {
        var old = await connection.QueryFirstOrDefaultAsync<OldRelationship>(
            "SELECT id, source_channel FROM relationships WHERE workspace_id = @workspaceId AND customer_id = @customerId AND carrier_id = @fromCarrierId AND state = 'active'",
            new { workspaceId, customerId, fromCarrierId }, transaction);
        if (old is not null)
        {
            await connection.ExecuteAsync(
                "UPDATE relationships SET state = 'ended', ended_at = @now, ended_by = @endedBy WHERE id = @Id",
                new { old.Id, now, endedBy = EndedBy.System }, transaction);
            await connection.ExecuteAsync(
                """
                INSERT INTO relationships (id, workspace_id, customer_id, carrier_id, state, since, source_channel, created_at)
                SELECT @id, @workspaceId, @customerId, @toCarrierId, 'active', @now, @SourceChannel, @now
                WHERE NOT EXISTS (SELECT 1 FROM relationships WHERE customer_id = @customerId AND carrier_id = @toCarrierId AND state = 'active')
                """, new { id = Guid.CreateVersion7(now), workspaceId, customerId, toCarrierId, now, old.SourceChannel }, transaction);
        }

        var depth = await IdentityResolver.DepthAsync(connection, transaction, customerId);
        await connection.ExecuteAsync(
            "UPDATE customers SET owner_staff_id = @toStaffId, depth = @depth, updated_at = @now WHERE workspace_id = @workspaceId AND id = @customerId",
            new { workspaceId, customerId, toStaffId, depth = (short)depth, now }, transaction);
    }

    private static async Task SetStatusAsync(DbConnection connection, DbTransaction transaction, Guid transferId, string status, string? reason, DateTimeOffset now) =>
        await connection.ExecuteAsync(
            "UPDATE handover_transfers SET status = @status, fail_reason = @reason, updated_at = @now WHERE id = @transferId",
            new { transferId, status, reason, now }, transaction);

    // ---- refresh and WeCom's callbacks ------------------------------------------------------

    /// <summary>Asks WeCom where each waiting transfer of a handover stands and applies the ones it completed.</summary>
    public async Task<HandoverDetail> RefreshAsync(Guid workspaceId, Guid handoverId)
    {
        string kind;
        List<WaitingTransfer> waiting;
        await using (var connection = await database.OpenAsync())
        {
            kind = await connection.QuerySingleOrDefaultAsync<string?>(
                "SELECT kind FROM handovers WHERE workspace_id = @workspaceId AND id = @handoverId", new { workspaceId, handoverId })
                ?? throw HandoverNotFound(handoverId);
            waiting = (await connection.QueryAsync<WaitingTransfer>(
                """
                SELECT t.id, t.customer_id, t.external_user_id, t.from_carrier_id, t.to_carrier_id, t.to_staff_id,
                       fk.external_id AS from_user_id, tk.external_id AS to_user_id
                FROM handover_transfers t
                JOIN carriers fk ON fk.id = t.from_carrier_id
                JOIN carriers tk ON tk.id = t.to_carrier_id
                WHERE t.workspace_id = @workspaceId AND t.handover_id = @handoverId AND t.status = 'waiting' AND t.external_user_id IS NOT NULL
                """, new { workspaceId, handoverId })).AsList();
        }

        var connectionInfo = waiting.Count == 0 ? null : await wecom.GetAsync(workspaceId);
        var client = connectionInfo is null ? null : wecom.ClientFor(connectionInfo);
        if (client is null)
            return await GetAsync(workspaceId, handoverId);

        var wecomKind = kind == HandoverKinds.Resigned ? WeComTransferKind.Resigned : WeComTransferKind.OnJob;
        foreach (var pair in waiting.GroupBy(w => (w.FromUserId, w.ToUserId)))
        {
            var byExternal = pair.GroupBy(w => w.ExternalUserId).ToDictionary(g => g.Key, g => g.First());
            string? cursor = null;
            do
            {
                CustomerTransferPage page;
                try
                {
                    page = await client.TransferResultAsync(wecomKind, pair.Key.FromUserId, pair.Key.ToUserId, cursor);
                }
                catch (Exception e) when (e is WeComApiException or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
                {
                    // What was applied before stays applied; the rest keeps waiting for the next refresh.
                    throw new ConflictException(
                        $"WeCom could not report where the transfers stand ({(e is WeComApiException api ? $"errcode {api.ErrorCode}" : "unreachable")}); they stay waiting, try again later.");
                }

                await using var connection = await database.OpenAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                var now = clock.GetUtcNow();
                foreach (var state in page.Customers)
                {
                    if (!byExternal.Remove(state.ExternalUserId, out var transfer))
                        continue;
                    if (state.Status == 1)
                    {
                        await ApplyAsync(connection, transaction, workspaceId, transfer.CustomerId, transfer.FromCarrierId, transfer.ToCarrierId, transfer.ToStaffId, now);
                        await SetStatusAsync(connection, transaction, transfer.Id, TransferStatuses.Transferred, null, now);
                    }
                    else if (ResultFailure(state.Status) is { } reason)
                    {
                        await SetStatusAsync(connection, transaction, transfer.Id, TransferStatuses.Failed, reason, now);
                    }
                }

                await transaction.CommitAsync();
                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }

        return await GetAsync(workspaceId, handoverId);
    }

    private static string? ResultFailure(int status) => status switch
    {
        3 => "customer refused",
        4 => "takeover staff reached the customer limit",
        5 => "no transfer record",
        _ => null, // 2: still waiting; anything undocumented is left for the next refresh
    };

    /// <summary>
    /// WeCom's transfer_fail callback (change_external_contact, FailReason customer_refused or customer_limit_exceed):
    /// the latest waiting transfer of the external contact away from that WeCom user fails. A repeated callback changes nothing.
    /// </summary>
    public async Task TransferFailedAsync(Guid workspaceId, string handoverUserId, string externalUserId, string failReason, DateTimeOffset at)
    {
        var reason = failReason switch
        {
            "customer_refused" => "customer refused",
            "customer_limit_exceed" => "takeover staff reached the customer limit",
            _ => string.IsNullOrWhiteSpace(failReason) ? "WeCom reported the transfer failed" : failReason.Trim(),
        };
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var transfer = await connection.QueryFirstOrDefaultAsync<Guid?>(
            """
            SELECT t.id FROM handover_transfers t
            JOIN handovers h ON h.id = t.handover_id
            JOIN carriers k ON k.id = t.from_carrier_id
            WHERE t.workspace_id = @workspaceId AND t.external_user_id = @externalUserId AND t.status = 'waiting'
              AND k.kind = 'wecom_account' AND k.external_id = @handoverUserId
            ORDER BY h.created_at DESC, t.updated_at DESC
            LIMIT 1
            """, new { workspaceId, externalUserId, handoverUserId }, transaction);
        if (transfer is not { } id)
            return;
        await SetStatusAsync(connection, transaction, id, TransferStatuses.Failed, reason, at);
        await audit.RecordAsync(workspaceId, "wecom", "handover.transfer_failed", id.ToString(), new { externalUserId, handoverUserId, failReason }, connection, transaction);
        await transaction.CommitAsync();
    }

    // ---- reading ----------------------------------------------------------------------------

    private const string SummarySelect =
        """
        SELECT h.id, h.kind, h.from_staff_id, s.name AS from_staff_name, h.actor, h.created_at,
               COUNT(t.id) AS total,
               COUNT(CASE WHEN t.status = 'waiting' THEN 1 END) AS waiting,
               COUNT(CASE WHEN t.status = 'transferred' THEN 1 END) AS transferred,
               COUNT(CASE WHEN t.status = 'failed' THEN 1 END) AS failed
        FROM handovers h
        LEFT JOIN staff s ON s.id = h.from_staff_id
        LEFT JOIN handover_transfers t ON t.handover_id = h.id
        """;

    private const string SummaryGroup = " GROUP BY h.id, h.kind, h.from_staff_id, s.name, h.actor, h.created_at";

    public async Task<IReadOnlyList<HandoverSummary>> ListAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<HandoverSummary>(
            $"{SummarySelect} WHERE h.workspace_id = @workspaceId{SummaryGroup} ORDER BY h.created_at DESC, h.id DESC", new { workspaceId });
        return rows.AsList();
    }

    public async Task<HandoverDetail> GetAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        var summary = await connection.QuerySingleOrDefaultAsync<HandoverSummary>(
            $"{SummarySelect} WHERE h.workspace_id = @workspaceId AND h.id = @id{SummaryGroup}", new { workspaceId, id })
            ?? throw HandoverNotFound(id);
        var transfers = await connection.QueryAsync<CustomerTransfer>(
            """
            SELECT t.id, t.customer_id, c.display_name AS customer_name, t.external_user_id,
                   t.from_carrier_id, fk.name AS from_carrier_name, fs.name AS from_staff_name,
                   t.to_carrier_id, tk.name AS to_carrier_name, t.to_staff_id, ts.name AS to_staff_name,
                   t.status, t.fail_reason, t.updated_at
            FROM handover_transfers t
            JOIN handovers h ON h.id = t.handover_id
            LEFT JOIN customers c ON c.id = t.customer_id AND c.workspace_id = t.workspace_id
            LEFT JOIN carriers fk ON fk.id = t.from_carrier_id
            LEFT JOIN staff fs ON fs.id = h.from_staff_id
            LEFT JOIN carriers tk ON tk.id = t.to_carrier_id
            LEFT JOIN staff ts ON ts.id = t.to_staff_id
            WHERE t.workspace_id = @workspaceId AND t.handover_id = @id
            ORDER BY ts.name, c.display_name, t.customer_id
            """, new { workspaceId, id });
        return new HandoverDetail
        {
            Id = summary.Id, Kind = summary.Kind, FromStaffId = summary.FromStaffId, FromStaffName = summary.FromStaffName,
            Actor = summary.Actor, CreatedAt = summary.CreatedAt, Total = summary.Total, Waiting = summary.Waiting,
            Transferred = summary.Transferred, Failed = summary.Failed, Transfers = transfers.AsList(),
        };
    }

    private static HandoverDetail With(HandoverDetail detail, IReadOnlyList<GroupTransfer> groups) => new()
    {
        Id = detail.Id, Kind = detail.Kind, FromStaffId = detail.FromStaffId, FromStaffName = detail.FromStaffName, Actor = detail.Actor,
        CreatedAt = detail.CreatedAt, Total = detail.Total, Waiting = detail.Waiting, Transferred = detail.Transferred, Failed = detail.Failed,
        Transfers = detail.Transfers, Groups = groups,
    };

    private static NotFoundException HandoverNotFound(Guid id) => new($"No handover {id} in this workspace.");

    /// <summary>How many customers each staff member holds (live friends on their WeCom/WeChat accounts, or owned): what a handover would move.</summary>
    public async Task<IReadOnlyDictionary<Guid, int>> HeldCountsAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<HeldCount>(
            """
            SELECT x.staff_id, COUNT(*) AS customers FROM (
                SELECT k.owner_staff_id AS staff_id, r.customer_id FROM relationships r JOIN carriers k ON k.id = r.carrier_id
                WHERE r.workspace_id = @workspaceId AND r.state = 'active' AND k.owner_staff_id IS NOT NULL AND k.kind IN ('wecom_account', 'wechat_account')
                UNION
                SELECT c.owner_staff_id AS staff_id, c.id AS customer_id FROM customers c WHERE c.workspace_id = @workspaceId AND c.owner_staff_id IS NOT NULL
            ) x GROUP BY x.staff_id
            """, new { workspaceId });
        return rows.ToDictionary(r => r.StaffId, r => r.Customers);
    }

    // ---- choosing the customers -------------------------------------------------------------

    /// <summary>
    /// Everyone the staff member holds: a live relationship with one of their WeCom/WeChat accounts (the WeCom one
    /// when both), or ownership alone. Ordered by customer id (creation order) so the round robin is stable.
    /// </summary>
    private static async Task<List<HeldCustomer>> HeldCustomersAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid from)
    {
        var relationships = await connection.QueryAsync<HeldRelationship>(
            """
            SELECT r.id, r.customer_id, r.carrier_id, r.source_channel, k.kind FROM relationships r JOIN carriers k ON k.id = r.carrier_id
            WHERE r.workspace_id = @workspaceId AND r.state = 'active' AND k.owner_staff_id = @from AND k.kind IN ('wecom_account', 'wechat_account')
            """, new { workspaceId, from }, transaction);
        var owned = await connection.QueryAsync<Guid>(
            "SELECT id FROM customers WHERE workspace_id = @workspaceId AND owner_staff_id = @from", new { workspaceId, from }, transaction);
        var external = (await connection.QueryAsync<CustomerIdentity>(
            """
            SELECT i.customer_id, i.value FROM identities i
            WHERE i.workspace_id = @workspaceId AND i.kind = 'wecom_external_userid' AND i.customer_id IN (
                SELECT r.customer_id FROM relationships r JOIN carriers k ON k.id = r.carrier_id
                WHERE r.workspace_id = @workspaceId AND r.state = 'active' AND k.owner_staff_id = @from
                UNION SELECT c.id FROM customers c WHERE c.workspace_id = @workspaceId AND c.owner_staff_id = @from)
            """, new { workspaceId, from }, transaction))
            .GroupBy(i => i.CustomerId)
            .ToDictionary(g => g.Key, g => g.Select(i => i.Value).Order(StringComparer.Ordinal).First());

        var held = new Dictionary<Guid, HeldRelationship?>();
        foreach (var r in relationships.OrderBy(r => r.Kind == CarrierKinds.WecomAccount ? 0 : 1).ThenBy(r => r.CarrierId.ToString(), StringComparer.Ordinal))
            held.TryAdd(r.CustomerId, r);
        foreach (var customerId in owned)
            held.TryAdd(customerId, null);
        return held
            .Select(h => new HeldCustomer(h.Key, h.Value?.Id, h.Value?.CarrierId, h.Value?.SourceChannel, external.GetValueOrDefault(h.Key)))
            .OrderBy(h => h.CustomerId.ToString(), StringComparer.Ordinal)
            .ToList();
    }

    private static List<HeldCustomer> Select(List<HeldCustomer> held, IReadOnlyList<Guid>? wanted, StaffRow from)
    {
        if (wanted is null)
        {
            if (held.Count > MaxCustomers)
                throw new ValidationFailedException(
                    $"{from.Name} holds {held.Count:N0} customers; one handover moves at most {MaxCustomers:N0}. Pass customerIds to move them in parts.", "customerIds");
            return held;
        }

        var byId = held.ToDictionary(h => h.CustomerId);
        var missing = wanted.Where(id => !byId.ContainsKey(id)).ToList();
        if (missing.Count > 0)
            throw new ValidationFailedException(
                $"{missing.Count} customer(s) are not held by {from.Name} (no live relationship with their WeCom/WeChat account and not owned by them): " +
                $"{string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", …" : "")}. Take ids from GET /api/customers?staff={from.Id}.", "customerIds");
        var set = wanted.ToHashSet();
        return held.Where(h => set.Contains(h.CustomerId)).ToList();
    }

    // ---- validation -------------------------------------------------------------------------

    private sealed record CleanRequest(string Kind, Guid From, IReadOnlyList<Guid> Targets, IReadOnlyList<Guid>? CustomerIds, string? TransferMessage);

    private static CleanRequest Validate(HandoverRequest request)
    {
        var kind = request.Kind?.Trim().ToLowerInvariant();
        if (kind is null || !HandoverKinds.All.Contains(kind))
            throw new ValidationFailedException(
                $"kind must be 'in_service' (在职转接: the staff member stays) or 'resigned' (离职继承: they have left){(string.IsNullOrWhiteSpace(request.Kind) ? "" : $", not '{request.Kind}'")}.", "kind");
        if (request.FromStaffId is not { } from || from == Guid.Empty)
            throw new ValidationFailedException("fromStaffId is required: the staff member whose customers move (take it from GET /api/staff).", "fromStaffId");
        var targets = (request.ToStaffIds ?? []).Distinct().ToList();
        if (targets.Count == 0)
            throw new ValidationFailedException("toStaffIds needs at least one staff member to take over the customers (接替成员).", "toStaffIds");
        if (targets.Count > MaxTargets)
            throw new ValidationFailedException($"toStaffIds names {targets.Count} staff members; at most {MaxTargets}.", "toStaffIds");
        if (targets.Contains(from))
            throw new ValidationFailedException("The staff member handing over cannot also take over; remove them from toStaffIds.", "toStaffIds");
        var customers = request.CustomerIds?.Distinct().ToList();
        if (customers is { Count: 0 })
            throw new ValidationFailedException("customerIds is empty; leave it out to hand over every customer, or list the ones to move.", "customerIds");
        if (customers is { Count: > MaxCustomers })
            throw new ValidationFailedException($"customerIds lists {customers.Count:N0} customers; one handover moves at most {MaxCustomers:N0}. Split them into several handovers.", "customerIds");
        var message = string.IsNullOrWhiteSpace(request.TransferMessage) ? null : request.TransferMessage.Trim();
        if (message is not null && kind == HandoverKinds.Resigned)
            throw new ValidationFailedException("transferMessage is only for in_service handovers; WeCom shows no message when a departed member's customers move.", "transferMessage");
        if (message is { Length: > MaxTransferMessage })
            throw new ValidationFailedException($"transferMessage is at most {MaxTransferMessage} characters (WeCom's limit).", "transferMessage");
        return new CleanRequest(kind, from, targets, customers, message);
    }

    private sealed class StaffRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
        public string Status { get; init; } = "";
        public string? WecomUserId { get; init; }
    }

    private sealed class CarrierRow
    {
        public Guid Id { get; init; }
        public string Kind { get; init; } = "";
        public string Name { get; init; } = "";
        public string ExternalId { get; init; } = "";
        public Guid? OwnerStaffId { get; init; }
        public string Status { get; init; } = "";
    }

    private sealed class GroupRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
        public string ExternalId { get; init; } = "";
    }

    private sealed class OldRelationship
    {
        public Guid Id { get; init; }
        public string? SourceChannel { get; init; }
    }

    private sealed class WaitingTransfer
    {
        public Guid Id { get; init; }
        public Guid CustomerId { get; init; }
        public string ExternalUserId { get; init; } = "";
        public Guid FromCarrierId { get; init; }
        public Guid ToCarrierId { get; init; }
        public Guid ToStaffId { get; init; }
        public string FromUserId { get; init; } = "";
        public string ToUserId { get; init; } = "";
    }

    private sealed class HeldCount
    {
        public Guid StaffId { get; init; }
        public int Customers { get; init; }
    }

    private sealed class HeldRelationship
    {
        public Guid Id { get; init; }
        public Guid CustomerId { get; init; }
        public Guid CarrierId { get; init; }
        public string? SourceChannel { get; init; }
        public string Kind { get; init; } = "";
    }

    private sealed class CustomerIdentity
    {
        public Guid CustomerId { get; init; }
        public string Value { get; init; } = "";
    }

    private sealed record HeldCustomer(Guid CustomerId, Guid? RelationshipId, Guid? FromCarrierId, string? SourceChannel, string? ExternalUserId);

    private sealed record PlannedTransfer(
        Guid Id, Guid CustomerId, string? ExternalUserId, Guid FromCarrierId, string? FromUserId, Guid ToCarrierId, string ToUserId, Guid ToStaffId, bool ViaWeCom,
        Guid? RelationshipId, string? SourceChannel);
}

/// <summary>When two customers merge, their handover history goes with the survivor.</summary>
internal sealed class HandoverMergeParticipant : ICustomerMergeParticipant
{
    public Task MoveAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid survivorId, Guid mergedId) =>
        connection.ExecuteAsync(
            "UPDATE handover_transfers SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId",
            new { workspaceId, survivorId, mergedId }, transaction);
}
