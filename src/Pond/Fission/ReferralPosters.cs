using Dapper;
using Microsoft.Extensions.Caching.Memory;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Fission;

/// <summary>
/// Invitation posters: the campaign's background (uploaded, checked, stored with the campaign) and each participant's
/// poster drawn from it with their nickname and the QR code of their personal link. Posters are drawn on request —
/// the name or the campaign's words may change — and kept in a bounded memory cache keyed by everything drawn on them, so a
/// poster shared to a busy group is drawn once, not once per viewer (drawing one takes ~0.1 s of CPU).
/// </summary>
internal sealed class ReferralPosters(Database database, WorkspaceService workspaces, AuditLog audit, TimeProvider clock) : IDisposable
{
    /// <summary>Posters are ~250 KB: room for a few hundred of the most viewed ones.</summary>
    private readonly MemoryCache _drawn = new(new MemoryCacheOptions { SizeLimit = 64L * 1024 * 1024 });

    /// <summary>What the preview shows in place of a participant.</summary>
    public const string SampleNickname = "林小姐";
    public const string SampleCode = "sample7x2k";

    /// <summary>Stores the campaign's background; an image that fails the checks is refused (400) and the old one stays.</summary>
    public async Task<PosterBackgroundInfo> SetBackgroundAsync(Guid workspaceId, Guid campaignId, byte[] image, string actor)
    {
        await using var connection = await database.OpenAsync();
        await ReferralCampaigns.GetAsync(connection, null, workspaceId, campaignId);
        var info = PosterRenderer.Inspect(image);
        await connection.ExecuteAsync(
            """
            INSERT INTO referral_poster_backgrounds (campaign_id, workspace_id, content_type, image, width, height, updated_by, updated_at)
            VALUES (@campaignId, @workspaceId, @ContentType, @image, @Width, @Height, @actor, @now)
            ON CONFLICT (campaign_id) DO UPDATE SET content_type = excluded.content_type, image = excluded.image, width = excluded.width,
                height = excluded.height, updated_by = excluded.updated_by, updated_at = excluded.updated_at
            """, new { campaignId, workspaceId, info.ContentType, image, info.Width, info.Height, actor, now = clock.GetUtcNow() });
        await audit.RecordAsync(workspaceId, actor, "referral_campaign.poster_background.set", $"referral_campaign:{campaignId}",
            new { info.ContentType, info.Width, info.Height, bytes = image.Length });
        return info;
    }

    /// <summary>Removes the background: posters go back to Pond's own design.</summary>
    public async Task DeleteBackgroundAsync(Guid workspaceId, Guid campaignId, string actor)
    {
        await using var connection = await database.OpenAsync();
        await ReferralCampaigns.GetAsync(connection, null, workspaceId, campaignId);
        await connection.ExecuteAsync("DELETE FROM referral_poster_backgrounds WHERE campaign_id = @campaignId", new { campaignId });
        await audit.RecordAsync(workspaceId, actor, "referral_campaign.poster_background.removed", $"referral_campaign:{campaignId}", null);
    }

    public async Task<PosterBackground?> BackgroundAsync(Guid workspaceId, Guid campaignId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<PosterBackground>(
            "SELECT content_type, image, width, height, updated_at FROM referral_poster_backgrounds WHERE campaign_id = @campaignId AND workspace_id = @workspaceId",
            new { campaignId, workspaceId });
    }

    /// <summary>
    /// The campaign's poster with a sample participant. <paramref name="title"/> and <paramref name="text"/>, when given,
    /// stand in for the saved ones (the editor's live preview shows words not saved yet).
    /// </summary>
    public async Task<byte[]> PreviewAsync(Guid workspaceId, Guid campaignId, Func<string, string> linkOf, string? title = null, string? text = null)
    {
        await using var connection = await database.OpenAsync();
        var campaign = await ReferralCampaigns.GetAsync(connection, null, workspaceId, campaignId);
        var background = await BackgroundAsync(workspaceId, campaignId);
        return PosterRenderer.Render(
            new PosterContent(await BrandAsync(workspaceId), Words(title, 40) ?? campaign.PosterTitle, Words(text, 120) ?? campaign.PosterText, SampleNickname,
                SampleCode, linkOf(SampleCode)),
            background?.Image);
    }

    /// <summary>A poster for a campaign not saved yet: Pond's design with the words typed so far.</summary>
    public async Task<byte[]> DraftPreviewAsync(Guid workspaceId, Func<string, string> linkOf, string? title, string? text) =>
        PosterRenderer.Render(new PosterContent(await BrandAsync(workspaceId), Words(title, 40), Words(text, 120), SampleNickname, SampleCode, linkOf(SampleCode)), null);

    /// <summary>A participant's poster (the console and admin API).</summary>
    public async Task<byte[]> PosterAsync(Guid workspaceId, Guid participantId, Func<string, string> linkOf)
    {
        await using var connection = await database.OpenAsync();
        var participant = await connection.QuerySingleOrDefaultAsync<PosterRow>($"{PosterSelect} WHERE p.id = @participantId AND p.workspace_id = @workspaceId",
            new { participantId, workspaceId }) ?? throw new NotFoundException($"No referral participant {participantId} in this workspace.");
        return await RenderAsync(participant, linkOf);
    }

    /// <summary>The poster behind an invite code (public: the mini-program shows and shares it), or null when no participant has the code.</summary>
    public async Task<byte[]?> PosterByCodeAsync(string code, Func<string, string> linkOf)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 32)
            return null;
        await using var connection = await database.OpenAsync();
        var participant = await connection.QuerySingleOrDefaultAsync<PosterRow>($"{PosterSelect} WHERE p.invite_code = @code", new { code });
        return participant is null ? null : await RenderAsync(participant, linkOf);
    }

    private async Task<byte[]> RenderAsync(PosterRow participant, Func<string, string> linkOf)
    {
        var content = new PosterContent(await BrandAsync(participant.WorkspaceId), participant.PosterTitle, participant.PosterText, participant.Nickname,
            participant.InviteCode, linkOf(participant.InviteCode));
        // The key holds everything the poster shows; a new background changes its stamp, so a stale poster is never served.
        var key = (content, participant.BackgroundStamp);
        if (_drawn.TryGetValue(key, out byte[]? cached) && cached is not null)
            return cached;
        var background = participant.BackgroundStamp is null ? null : await BackgroundAsync(participant.WorkspaceId, participant.CampaignId);
        var png = PosterRenderer.Render(content, background?.Image);
        _drawn.Set(key, png, new MemoryCacheEntryOptions { Size = png.Length, SlidingExpiration = TimeSpan.FromMinutes(30) });
        return png;
    }

    public void Dispose() => _drawn.Dispose();

    private async Task<string> BrandAsync(Guid workspaceId) => (await workspaces.FindWorkspaceAsync(workspaceId))?.Name ?? "Pond";

    private static string? Words(string? value, int max)
    {
        var trimmed = value?.Trim();
        return string.IsNullOrEmpty(trimmed) ? null : trimmed.Length <= max ? trimmed : trimmed[..max];
    }

    private const string PosterSelect =
        """
        SELECT p.workspace_id, p.campaign_id, p.invite_code, c.display_name AS nickname, rc.poster_title, rc.poster_text,
            (SELECT b.updated_at FROM referral_poster_backgrounds b WHERE b.campaign_id = p.campaign_id) AS background_stamp
        FROM referral_participants p JOIN referral_campaigns rc ON rc.id = p.campaign_id LEFT JOIN customers c ON c.id = p.customer_id
        """;

    private sealed class PosterRow
    {
        public Guid WorkspaceId { get; init; }
        public Guid CampaignId { get; init; }
        public string InviteCode { get; init; } = "";
        public string? Nickname { get; init; }
        public string? PosterTitle { get; init; }
        public string? PosterText { get; init; }
        /// <summary>When the background was last set (a raw unix-ms number), or null when the campaign uses Pond's design.</summary>
        public long? BackgroundStamp { get; init; }
    }
}

/// <summary>A stored poster background.</summary>
public sealed class PosterBackground
{
    public string ContentType { get; init; } = "";
    public byte[] Image { get; init; } = [];
    public int Width { get; init; }
    public int Height { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}
