using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;
using Pond.Channels;
using Pond.Customers;
using Pond.Storage;
using Pond.WeCom;
using Pond.Workspaces;

namespace Pond.Fission;

/// <summary>What the invitation landing page (/r/{code}) shows.</summary>
internal sealed class ReferralLandingView
{
    public required string WorkspaceName { get; init; }
    public required ReferralCampaign Campaign { get; init; }
    public required ReferralParticipant Participant { get; init; }
    /// <summary>Who invites, as the page greets with it (a neutral name when the participant has none).</summary>
    public required string InviterName { get; init; }
    /// <summary>The campaign code's hook (its channel's), shown under the campaign's own words.</summary>
    public string? Hook { get; init; }
    /// <summary>The staff account or group the visitor is routed to, like a scan of the campaign's live code.</summary>
    public LiveCodeMember? Target { get; init; }
    /// <summary>
    /// What the page's QR code and button open: the participant's own WeCom contact way or join way (its state makes the
    /// invitation exact) when WeCom is connected, else the routed account's or group's own link.
    /// </summary>
    public string? JoinUrl { get; init; }
    /// <summary>Whether <see cref="JoinUrl"/> is the participant's own WeCom way (so the add carries their state).</summary>
    public bool Personal { get; init; }
    public string? FallbackReason { get; init; }
    /// <summary>False when this visitor had opened the link today already (the view was not counted again).</summary>
    public bool NewView { get; init; }
}

/// <summary>
/// A visit to a participant's invitation link: counts a poster view once per visitor and day, routes the visitor like a
/// scan of the campaign's live code (staff strategy, or the group router that moves on at the cap), and gives them the
/// participant's own WeCom way in — a 联系我 contact way for the routed account, or a 加入群聊 join way for the routed
/// group — created on first use and kept, each carrying the participant's state so WeCom attributes the add exactly.
/// </summary>
internal sealed class ReferralLanding(
    Database database, LiveCodeLanding codes, WorkspaceService workspaces, WeComConnections wecom, TimeProvider clock, ILogger<ReferralLanding> logger)
{
    public const string KindContact = "contact";
    public const string KindJoin = "join";

    public async Task<ReferralLandingView?> VisitAsync(string code, string visitor, string? region)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 32)
            return null;
        var now = clock.GetUtcNow();
        ReferralParticipant? participant;
        ReferralCampaign? campaign;
        string? slug;
        bool newView;
        Guid workspaceId;
        string workspaceName;
        await using (var connection = await database.OpenAsync())
        {
            participant = await ReferralParticipants.FindByCodeAsync(connection, null, code);
            if (participant is null)
                return null;
            workspaceId = await connection.ExecuteScalarAsync<Guid>("SELECT workspace_id FROM referral_participants WHERE id = @id", new { id = participant.Id });
            campaign = await ReferralCampaigns.FindAsync(connection, null, workspaceId, participant.CampaignId);
            if (campaign is null)
                return null;
            slug = await connection.ExecuteScalarAsync<string?>("SELECT slug FROM live_codes WHERE id = @id", new { id = campaign.LiveCodeId });
            var workspace = await workspaces.FindWorkspaceAsync(workspaceId);
            workspaceName = workspace?.Name ?? "";
            var zone = TimeZoneInfo.FindSystemTimeZoneById(workspace?.TimeZone ?? "Asia/Shanghai");
            newView = await ReferralVisits.CountAsync(connection, workspaceId, campaign.Id, participant.Id, visitor, Days.ToNumber(Days.Local(now, zone)), now);
        }

        var inviter = string.IsNullOrWhiteSpace(participant.CustomerName) ? PosterRenderer.AnonymousNickname : participant.CustomerName.Trim();
        if (!campaign.IsRunning(now))
        {
            return new ReferralLandingView
            {
                WorkspaceName = workspaceName, Campaign = campaign, Participant = participant, InviterName = inviter, NewView = newView,
                FallbackReason = now >= campaign.EndsAt || campaign.Status == ReferralStatuses.Ended ? "ended" : "not_running",
            };
        }

        // Routed exactly as a scan of the campaign's code: the same visitor keeps the same account or group today.
        var landing = slug is null ? null : await codes.ScanAsync(slug, visitor, region, now);
        var target = landing?.Target;
        var (joinUrl, personal) = (target?.ContactUrl, false);
        if (target is not null && await PersonalWayAsync(workspaceId, campaign, participant, target) is { } way)
            (joinUrl, personal) = (way, true);
        return new ReferralLandingView
        {
            WorkspaceName = workspaceName, Campaign = campaign, Participant = participant, InviterName = inviter, Hook = landing?.Hook, Target = target,
            JoinUrl = joinUrl, Personal = personal, NewView = newView, FallbackReason = target is null ? landing?.FallbackReason ?? "no_code" : null,
        };
    }

    /// <summary>
    /// The participant's own way in for the routed account (friend campaigns) or group (group campaigns), when Pond may call
    /// WeCom: read from the table, else created now and stored. When WeCom refuses, null (the page falls back to the plain
    /// link; the add is then credited to the code but not to the inviter, which the log says).
    /// </summary>
    private async Task<string?> PersonalWayAsync(Guid workspaceId, ReferralCampaign campaign, ReferralParticipant participant, LiveCodeMember target)
    {
        if (target.ExternalId is null || await wecom.GetAsync(workspaceId) is not { } connection || wecom.ClientFor(connection) is not { } client)
            return null;
        var group = campaign.Kind == ReferralKinds.Group;
        if (group != (target.CarrierKind == CarrierKinds.GroupChat) || (!group && target.CarrierKind != CarrierKinds.WecomAccount))
            return null;
        var kind = group ? KindJoin : KindContact;
        var key = target.CarrierId.ToString();
        await using var db = await database.OpenAsync();
        var stored = await db.QuerySingleOrDefaultAsync<string?>(
            "SELECT qr_code FROM referral_invite_ways WHERE participant_id = @participantId AND kind = @kind AND target = @key",
            new { participantId = participant.Id, kind, key });
        if (stored is not null)
            return stored;
        string configId;
        string? qr;
        try
        {
            if (group)
            {
                configId = await client.AddJoinWayAsync([target.ExternalId], participant.State, $"裂变 {participant.InviteCode}");
                qr = (await client.GetJoinWayAsync(configId)).QrCode;
            }
            else
            {
                var way = await client.AddContactWayAsync([target.ExternalId], participant.State);
                (configId, qr) = (way.ConfigId, way.QrCode);
            }
        }
        catch (Exception e) when (e is WeComApiException or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            logger.LogWarning(e, "WeCom refused a {Kind} way for referral participant {Participant} on {Target}", kind, participant.Id, target.CarrierName);
            return null;
        }

        if (string.IsNullOrEmpty(qr))
            return null;
        try
        {
            await db.ExecuteAsync(
                """
                INSERT INTO referral_invite_ways (id, workspace_id, participant_id, kind, target, config_id, qr_code, created_at)
                VALUES (@id, @workspaceId, @participantId, @kind, @key, @configId, @qr, @now)
                """, new { id = Guid.CreateVersion7(), workspaceId, participantId = participant.Id, kind, key, configId, qr, now = clock.GetUtcNow() });
            return qr;
        }
        catch (DbException e) when (Database.IsUniqueViolation(e))
        {
            // A parallel visit made one first: everyone uses the stored way (this one stays unused in WeCom).
            return await db.QuerySingleAsync<string?>(
                "SELECT qr_code FROM referral_invite_ways WHERE participant_id = @participantId AND kind = @kind AND target = @key",
                new { participantId = participant.Id, kind, key });
        }
    }
}
