using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Pond.Audience;
using Pond.Customers;
using Pond.Ingestion;
using Pond.Messaging;

namespace Pond.Channels;

/// <summary>
/// Credits every relationship that starts to the live code and channel it came through, inside the event
/// processor's transaction: the add is recorded once (keyed by the event's message id), the channel's tags are
/// applied, a customer without an owner gets the staff member who brought them, and the code's welcome message
/// goes to the outbox. The code is found by the state WeCom echoes back (contact-way State, official-account
/// qrscene_; a referral participant's 'pr_' state stands for their campaign's code), or, for a group join, by the
/// group live code the group belongs to.
/// </summary>
internal static class Acquisitions
{
    public static async Task StartedAsync(
        DbConnection connection, DbTransaction transaction, CustomerRecord customer, Guid carrierId, string carrierKind, JsonElement properties,
        string messageId, DateTimeOffset occurredAt, DateTimeOffset now)
    {
        var state = SegmentMessages.ReadString(properties, "state");
        var inviteCode = Fission.ReferralCodes.CodeOf(state);
        var code = inviteCode is not null
            // A referral participant's code: credited to the campaign's live code, like any add through it.
            ? await connection.QuerySingleOrDefaultAsync<CreditedCode>(
                $"{CodeSelect} JOIN referral_campaigns rc ON rc.live_code_id = l.id JOIN referral_participants rp ON rp.campaign_id = rc.id WHERE l.workspace_id = @workspaceId AND rp.invite_code = @inviteCode",
                new { workspaceId = customer.WorkspaceId, inviteCode }, transaction)
            : state is not null
            ? await connection.QuerySingleOrDefaultAsync<CreditedCode>(
                $"{CodeSelect} WHERE l.workspace_id = @workspaceId AND l.state = @state", new { workspaceId = customer.WorkspaceId, state }, transaction)
            : carrierKind == CarrierKinds.GroupChat
                ? await connection.QueryFirstOrDefaultAsync<CreditedCode>(
                    $"{CodeSelect} JOIN live_code_members m ON m.code_id = l.id WHERE l.workspace_id = @workspaceId AND m.carrier_id = @carrierId ORDER BY l.created_at",
                    new { workspaceId = customer.WorkspaceId, carrierId }, transaction)
                : null;
        var carrier = await connection.QuerySingleAsync<CreditedCarrier>(
            "SELECT k.owner_staff_id, k.name, s.name AS staff_name FROM carriers k LEFT JOIN staff s ON s.id = k.owner_staff_id WHERE k.id = @carrierId",
            new { carrierId }, transaction);

        var inserted = await connection.ExecuteAsync(
            """
            INSERT INTO acquisitions (id, workspace_id, customer_id, carrier_id, carrier_kind, code_id, channel_id, staff_id, message_id, acquired_at)
            VALUES (@id, @workspaceId, @customerId, @carrierId, @carrierKind, @codeId, @channelId, @staffId, @messageId, @occurredAt)
            ON CONFLICT DO NOTHING
            """,
            new
            {
                id = Guid.CreateVersion7(), workspaceId = customer.WorkspaceId, customerId = customer.Id, carrierId, carrierKind, codeId = code?.Id,
                channelId = code?.ChannelId, staffId = carrier.OwnerStaffId, messageId, occurredAt,
            }, transaction);
        if (inserted == 0 || code is null)
            return;

        await connection.ExecuteAsync(
            "UPDATE relationships SET source_channel = @name WHERE customer_id = @customerId AND carrier_id = @carrierId AND state = 'active' AND source_channel IS NULL",
            new { name = code.ChannelName, customerId = customer.Id, carrierId }, transaction);
        // Through the tag service, so each tag the channel applies is in the catalog and in the customer's tag history.
        foreach (var tag in JsonSerializer.Deserialize<List<string>>(code.ChannelTags) ?? [])
        {
            // Channels saved before tag names were checked may hold one the catalog refuses: skip it rather than stall the processor.
            if (TagNames.TryClean(tag, out var clean, out _))
                await CustomerTags.AddAsync(connection, transaction, customer.WorkspaceId, [customer.Id], clean, TagSources.Channel(code.ChannelName), null, occurredAt);
        }

        if (customer.OwnerStaffId is null && CarrierKinds.IsStaffAccount(carrierKind) && carrier.OwnerStaffId is { } staffId)
            customer.OwnerStaffId = staffId;

        var welcomeCode = SegmentMessages.ReadString(properties, "welcome_code");
        if (welcomeCode is not null && (code.WelcomeText is not null || code.WelcomeMaterial is not null))
        {
            // A coupon template id issues a real coupon to the new friend, in this transaction; plain text is shown as is.
            var coupon = await Commerce.Coupons.CouponWelcome.RenderAsync(connection, transaction, now, customer.WorkspaceId, customer.Id, code.WelcomeCoupon, messageId);
            var payload = new JsonObject
            {
                ["welcomeCode"] = welcomeCode,
                ["template"] = code.WelcomeText,
                ["material"] = code.WelcomeMaterial,
                ["coupon"] = coupon,
                ["staff"] = carrier.StaffName ?? carrier.Name,
                ["externalUserId"] = SegmentMessages.ReadString(properties, "external_userid"),
                ["codeId"] = code.Id.ToString(),
            };
            await Outbox.EnqueueAsync(connection, transaction, customer.WorkspaceId, customer.Id, OutboxChannels.WeComWelcome, $"welcome:{messageId}",
                payload.ToJsonString(), now);
        }
    }

    public static async Task EndedAsync(
        DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid customerId, Guid carrierId, string endedBy, DateTimeOffset occurredAt, DateTimeOffset now)
    {
        var acquiredAt = await connection.QueryAsync<DateTimeOffset>(
            "UPDATE acquisitions SET ended_at = @occurredAt, ended_by = @endedBy WHERE customer_id = @customerId AND carrier_id = @carrierId AND ended_at IS NULL RETURNING acquired_at",
            new { customerId, carrierId, endedBy, occurredAt }, transaction);
        // The add's own day counts how many of its adds were kept 7 and 30 days (channel retention): it changes too.
        await Analytics.InsightDirty.MarkAsync(connection, transaction, acquiredAt.Select(at => (workspaceId, at)), now);
    }

    private const string CodeSelect =
        """
        SELECT l.id, l.channel_id, c.name AS channel_name, c.tags AS channel_tags, l.welcome_text, l.welcome_material, l.welcome_coupon
        FROM live_codes l JOIN channels c ON c.id = l.channel_id
        """;

    private sealed class CreditedCarrier
    {
        public Guid? OwnerStaffId { get; init; }
        public string Name { get; init; } = "";
        public string? StaffName { get; init; }
    }

    private sealed class CreditedCode
    {
        public Guid Id { get; init; }
        public Guid ChannelId { get; init; }
        public string ChannelName { get; init; } = "";
        public string ChannelTags { get; init; } = "[]";
        public string? WelcomeText { get; init; }
        public string? WelcomeMaterial { get; init; }
        public string? WelcomeCoupon { get; init; }
    }
}

/// <summary>Moves a merged customer's acquisitions and outbox messages to the survivor (tags move with <see cref="TagMergeParticipant"/>).</summary>
internal sealed class AcquisitionMergeParticipant : ICustomerMergeParticipant
{
    public async Task MoveAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid survivorId, Guid mergedId)
    {
        var ids = new { workspaceId, survivorId, mergedId };
        await connection.ExecuteAsync("UPDATE acquisitions SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId", ids, transaction);
        await connection.ExecuteAsync("UPDATE outbox SET customer_id = @survivorId WHERE workspace_id = @workspaceId AND customer_id = @mergedId", ids, transaction);
    }
}
