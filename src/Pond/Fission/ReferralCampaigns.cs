using System.Data.Common;
using System.Text.Json;
using Dapper;
using Pond.Activities;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Fission;

/// <summary>
/// Referral campaigns (老带新, 任务宝): their window, audience, the live code that closes the path on a staff account
/// or group, what counts as a successful invitation, the rewards for both sides and the inviter's ladder.
/// docs/fission.md describes the rules.
/// </summary>
internal sealed class ReferralCampaigns(Database database, AuditLog audit, TimeProvider clock)
{
    public const int MaxLadderSteps = 10;
    public const int MaxDays = 365;

    public async Task<IReadOnlyList<ReferralCampaign>> ListAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var rows = (await connection.QueryAsync<CampaignRow>($"{Select} WHERE c.workspace_id = @workspaceId ORDER BY c.starts_at DESC, c.id DESC",
            new { workspaceId })).AsList();
        var steps = (await connection.QueryAsync<StepRow>(
            $"{StepSelect} WHERE s.campaign_id IN (SELECT id FROM referral_campaigns WHERE workspace_id = @workspaceId) ORDER BY s.position", new { workspaceId })).AsList();
        return rows.Select(r => r.ToCampaign(steps.Where(s => s.CampaignId == r.Id))).ToList();
    }

    public async Task<ReferralCampaign> GetAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await GetAsync(connection, null, workspaceId, id);
    }

    internal static async Task<ReferralCampaign> GetAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid id) =>
        await FindAsync(connection, transaction, workspaceId, id) ?? throw new NotFoundException($"No referral campaign {id} in this workspace.");

    /// <summary>One campaign; <paramref name="counted"/> false leaves out the participant and success counts (the engine's reads).</summary>
    internal static async Task<ReferralCampaign?> FindAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid id, bool counted = true)
    {
        var row = await connection.QuerySingleOrDefaultAsync<CampaignRow>($"{(counted ? Select : EngineSelect)} WHERE c.id = @id AND c.workspace_id = @workspaceId",
            new { id, workspaceId }, transaction);
        if (row is null)
            return null;
        var steps = await connection.QueryAsync<StepRow>($"{StepSelect} WHERE s.campaign_id = @id ORDER BY s.position", new { id }, transaction);
        return row.ToCampaign(steps);
    }

    public async Task<ReferralCampaign> CreateAsync(Guid workspaceId, ReferralCampaignInput input, string actor)
    {
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        await using var connection = await database.OpenAsync();
        var clean = await CleanAsync(connection, workspaceId, input, null);
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO referral_campaigns (id, workspace_id, name, kind, status, starts_at, ends_at, live_code_id, audience_segment_id, success_requires,
                success_within_days, revoke_within_days, reward_mode, invitee_reward_kind, invitee_reward_template_id, invitee_reward_points, invitee_reward_gift,
                invitee_reward_credit, invitee_reward_cost, invitee_reward_stock, velocity_per_hour, velocity_per_day, poster_title, poster_text,
                created_by, created_at, updated_at)
            VALUES (@id, @workspaceId, @Name, @Kind, @Status, @StartsAt, @EndsAt, @LiveCodeId, @AudienceSegmentId, @SuccessRequires,
                @SuccessWithinDays, @RevokeWithinDays, @RewardMode, @InviteeKind, @InviteeTemplateId, @InviteePoints, @InviteeGift,
                @InviteeCredit, @InviteeCost, @InviteeStock, @VelocityPerHour, @VelocityPerDay, @PosterTitle, @PosterText,
                @actor, @now, @now)
            """,
            new
            {
                id, workspaceId, clean.Name, clean.Kind, clean.Status, clean.StartsAt, clean.EndsAt, clean.LiveCodeId, clean.AudienceSegmentId,
                clean.SuccessRequires, clean.SuccessWithinDays, clean.RevokeWithinDays, clean.RewardMode, InviteeKind = clean.Invitee?.Kind,
                InviteeTemplateId = clean.Invitee?.TemplateId, InviteePoints = clean.Invitee?.Points, InviteeGift = clean.Invitee?.Gift,
                InviteeCredit = clean.Invitee?.Credit, InviteeCost = clean.Invitee?.Cost ?? 0, InviteeStock = clean.InviteeStock, clean.VelocityPerHour,
                clean.VelocityPerDay, clean.PosterTitle, clean.PosterText, actor, now,
            }, transaction);
        await InsertStepsAsync(connection, transaction, id, clean.Ladder);
        await transaction.CommitAsync();
        await audit.RecordAsync(workspaceId, actor, "referral_campaign.created", $"referral_campaign:{id}", new { clean.Name, clean.Kind });
        return await GetAsync(connection, null, workspaceId, id);
    }

    /// <summary>
    /// Changes a campaign. A step already granted to someone keeps its threshold and reward (only its stock may change, not
    /// below what was granted); steps nobody reached may be changed, added or removed.
    /// </summary>
    public async Task<ReferralCampaign> UpdateAsync(Guid workspaceId, Guid id, ReferralCampaignInput input, string actor)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        var current = await GetAsync(connection, null, workspaceId, id);
        var clean = await CleanAsync(connection, workspaceId, input, current);
        await using var transaction = await connection.BeginTransactionAsync();
        var updated = await connection.ExecuteAsync(
            """
            UPDATE referral_campaigns SET name = @Name, kind = @Kind, status = @Status, starts_at = @StartsAt, ends_at = @EndsAt, live_code_id = @LiveCodeId,
                audience_segment_id = @AudienceSegmentId, success_requires = @SuccessRequires, success_within_days = @SuccessWithinDays,
                revoke_within_days = @RevokeWithinDays, reward_mode = @RewardMode, invitee_reward_kind = @InviteeKind,
                invitee_reward_template_id = @InviteeTemplateId, invitee_reward_points = @InviteePoints, invitee_reward_gift = @InviteeGift,
                invitee_reward_credit = @InviteeCredit, invitee_reward_cost = @InviteeCost, invitee_reward_stock = @InviteeStock,
                velocity_per_hour = @VelocityPerHour, velocity_per_day = @VelocityPerDay, poster_title = @PosterTitle, poster_text = @PosterText,
                updated_at = @now
            WHERE id = @id AND (@InviteeStock IS NULL OR invitee_rewards_granted <= @InviteeStock)
            """,
            new
            {
                id, clean.Name, clean.Kind, clean.Status, clean.StartsAt, clean.EndsAt, clean.LiveCodeId, clean.AudienceSegmentId,
                clean.SuccessRequires, clean.SuccessWithinDays, clean.RevokeWithinDays, clean.RewardMode, InviteeKind = clean.Invitee?.Kind,
                InviteeTemplateId = clean.Invitee?.TemplateId, InviteePoints = clean.Invitee?.Points, InviteeGift = clean.Invitee?.Gift,
                InviteeCredit = clean.Invitee?.Credit, InviteeCost = clean.Invitee?.Cost ?? 0, InviteeStock = clean.InviteeStock, clean.VelocityPerHour,
                clean.VelocityPerDay, clean.PosterTitle, clean.PosterText, now,
            }, transaction);
        if (updated == 0)
            throw new ConflictException($"inviteeRewardStock cannot go below the {current.InviteeRewardsGranted} invitee rewards already granted.");

        var used = (await connection.QueryAsync<Guid>("SELECT DISTINCT step_id FROM referral_rewards WHERE campaign_id = @id AND step_id IS NOT NULL",
            new { id }, transaction)).ToHashSet();
        foreach (var step in current.Ladder.Where(s => used.Contains(s.Id)))
        {
            var kept = clean.Ladder.FirstOrDefault(s => s.Threshold == step.Threshold)
                ?? throw new ConflictException($"The step at {step.Threshold} invitations has been reached by participants: it cannot be removed (lower its stock to 0 to stop it).");
            if (kept.Reward.Kind != step.Reward.Kind || kept.Reward.TemplateId != step.Reward.TemplateId)
                throw new ConflictException($"The step at {step.Threshold} invitations has been reached by participants: its reward cannot change.");
            if (kept.Stock is { } stock && stock < step.Granted)
                throw new ConflictException($"The step at {step.Threshold} invitations has granted {step.Granted} rewards: its stock cannot go below that.");
        }

        await connection.ExecuteAsync("DELETE FROM referral_ladder_steps WHERE campaign_id = @id AND NOT (id IN (SELECT DISTINCT step_id FROM referral_rewards WHERE campaign_id = @id AND step_id IS NOT NULL))",
            new { id }, transaction);
        foreach (var step in current.Ladder.Where(s => used.Contains(s.Id)))
        {
            var kept = clean.Ladder.First(s => s.Threshold == step.Threshold);
            await connection.ExecuteAsync(
                """
                UPDATE referral_ladder_steps SET position = @Position, reward_points = @Points, reward_gift = @Gift, reward_credit = @Credit,
                    reward_cost = @Cost, stock = @Stock WHERE id = @id
                """,
                new { id = step.Id, kept.Position, kept.Reward.Points, kept.Reward.Gift, kept.Reward.Credit, kept.Reward.Cost, kept.Stock }, transaction);
        }

        await InsertStepsAsync(connection, transaction, id, clean.Ladder.Where(s => !current.Ladder.Any(c => used.Contains(c.Id) && c.Threshold == s.Threshold)));
        await transaction.CommitAsync();
        await audit.RecordAsync(workspaceId, actor, "referral_campaign.updated", $"referral_campaign:{id}", new { clean.Name, clean.Status });
        return await GetAsync(connection, null, workspaceId, id);
    }

    private static async Task InsertStepsAsync(DbConnection connection, DbTransaction transaction, Guid campaignId, IEnumerable<CleanStep> steps)
    {
        foreach (var step in steps)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO referral_ladder_steps (id, campaign_id, position, threshold, reward_kind, reward_template_id, reward_points, reward_gift,
                    reward_credit, reward_cost, stock)
                VALUES (@id, @campaignId, @Position, @Threshold, @Kind, @TemplateId, @Points, @Gift, @Credit, @Cost, @Stock)
                """,
                new
                {
                    id = Guid.CreateVersion7(), campaignId, step.Position, step.Threshold, step.Reward.Kind, step.Reward.TemplateId, step.Reward.Points,
                    step.Reward.Gift, step.Reward.Credit, step.Reward.Cost, step.Stock,
                }, transaction);
        }
    }

    private sealed record CleanReward(string Kind, Guid? TemplateId, long? Points, string? Gift, long? Credit, long Cost);

    private sealed record CleanStep(int Position, int Threshold, CleanReward Reward, int? Stock);

    private sealed record CleanCampaign(
        string Name, string Kind, string Status, DateTimeOffset StartsAt, DateTimeOffset EndsAt, Guid LiveCodeId, Guid? AudienceSegmentId,
        string SuccessRequires, int SuccessWithinDays, int RevokeWithinDays, string RewardMode, CleanReward? Invitee, int? InviteeStock,
        IReadOnlyList<CleanStep> Ladder, int? VelocityPerHour, int? VelocityPerDay, string? PosterTitle, string? PosterText);

    /// <summary>The input checked and completed (an update keeps what it does not name); every failure names its field.</summary>
    private static async Task<CleanCampaign> CleanAsync(DbConnection connection, Guid workspaceId, ReferralCampaignInput input, ReferralCampaign? current)
    {
        var name = ActivityInput.Text(input.Name ?? current?.Name, "name", 100, required: true)!;
        var kind = input.Kind?.Trim() ?? current?.Kind ?? ReferralKinds.Friend;
        if (!ReferralKinds.All.Contains(kind))
            throw new ValidationFailedException($"kind must be one of: {string.Join(", ", ReferralKinds.All)}.", "kind");
        var status = input.Status?.Trim() ?? current?.Status ?? ReferralStatuses.Draft;
        if (!ReferralStatuses.All.Contains(status))
            throw new ValidationFailedException($"status must be one of: {string.Join(", ", ReferralStatuses.All)}.", "status");
        var startsAt = input.StartsAt ?? current?.StartsAt ?? throw new ValidationFailedException("startsAt is required (ISO 8601 with offset).", "startsAt");
        var endsAt = input.EndsAt ?? current?.EndsAt ?? throw new ValidationFailedException("endsAt is required (ISO 8601 with offset).", "endsAt");
        ActivityInput.Window(startsAt, endsAt);

        var liveCodeId = input.LiveCodeId ?? current?.LiveCodeId
            ?? throw new ValidationFailedException("liveCodeId is required: the live code whose staff accounts (or groups) invitees add (or join).", "liveCodeId");
        var codeKind = await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT kind FROM live_codes WHERE id = @liveCodeId AND workspace_id = @workspaceId", new { liveCodeId, workspaceId })
            ?? throw new ValidationFailedException($"liveCodeId: no live code {liveCodeId} in this workspace.", "liveCodeId");
        var wantKind = kind == ReferralKinds.Group ? Channels.LiveCodeKinds.Group : Channels.LiveCodeKinds.Staff;
        if (codeKind != wantKind)
            throw new ValidationFailedException(kind == ReferralKinds.Group
                ? "liveCodeId: a group campaign needs a group live code (群活码), so joins switch groups at the cap."
                : "liveCodeId: a friend campaign needs a channel live code of staff accounts (渠道活码).", "liveCodeId");
        var segmentId = input.AudienceSegmentId is null ? current?.AudienceSegmentId : input.AudienceSegmentId == Guid.Empty ? null : input.AudienceSegmentId;
        if (segmentId is { } sid && await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM segments WHERE id = @sid AND workspace_id = @workspaceId",
                new { sid, workspaceId }) == 0)
            throw new ValidationFailedException($"audienceSegmentId: no segment {sid} in this workspace.", "audienceSegmentId");

        var requires = (input.SuccessRequires ?? current?.SuccessRequires.ToList()
            ?? [kind == ReferralKinds.Group ? ReferralRequirements.Group : ReferralRequirements.Add]).Select(r => r?.Trim() ?? "").Distinct().ToList();
        if (requires.Count == 0)
            throw new ValidationFailedException($"successRequires names at least one of: {string.Join(", ", ReferralRequirements.All)}.", "successRequires");
        if (requires.FirstOrDefault(r => !ReferralRequirements.All.Contains(r)) is { } bad)
            throw new ValidationFailedException($"successRequires: '{bad}' is not one of {string.Join(", ", ReferralRequirements.All)}.", "successRequires");
        if (kind == ReferralKinds.Friend && requires.Contains(ReferralRequirements.Group))
            throw new ValidationFailedException("successRequires: a friend campaign's invitees add a staff account; 'group' needs a group campaign.", "successRequires");
        if (kind == ReferralKinds.Group && requires.Contains(ReferralRequirements.Add))
            throw new ValidationFailedException("successRequires: a group campaign's invitees join a group; use 'group' rather than 'add'.", "successRequires");
        requires = ReferralRequirements.All.Where(requires.Contains).ToList();
        var successDays = Days(input.SuccessWithinDays ?? current?.SuccessWithinDays ?? 7, "successWithinDays", 1);
        var revokeDays = Days(input.RevokeWithinDays ?? current?.RevokeWithinDays ?? 7, "revokeWithinDays", 0);
        var mode = input.RewardMode?.Trim() ?? current?.RewardMode ?? RewardModes.Instant;
        if (!RewardModes.All.Contains(mode))
            throw new ValidationFailedException($"rewardMode must be one of: {string.Join(", ", RewardModes.All)}.", "rewardMode");

        var invitee = input.InviteeReward is not null
            ? input.InviteeReward.Kind is null or "" ? null : await RewardAsync(connection, workspaceId, input.InviteeReward, "inviteeReward")
            : current?.InviteeReward is { } r ? new CleanReward(r.Kind, r.TemplateId, r.Points, r.Gift, r.Credit is { } c ? Money.ToFen(c) : null, Money.ToFen(r.Cost)) : null;
        var inviteeStock = input.InviteeRewardStock ?? current?.InviteeRewardStock;
        if (inviteeStock is < 0 or > 10_000_000)
            throw new ValidationFailedException("inviteeRewardStock must be between 0 and 10,000,000 (leave it out for no limit).", "inviteeRewardStock");

        List<CleanStep> ladder;
        if (input.Ladder is null)
        {
            ladder = current?.Ladder.Select(s => new CleanStep(s.Position, s.Threshold, new CleanReward(s.Reward.Kind, s.Reward.TemplateId, s.Reward.Points,
                s.Reward.Gift, s.Reward.Credit is { } c ? Money.ToFen(c) : null, Money.ToFen(s.Reward.Cost)), s.Stock)).ToList() ?? [];
        }
        else
        {
            if (input.Ladder.Count > MaxLadderSteps)
                throw new ValidationFailedException($"ladder has at most {MaxLadderSteps} steps.", "ladder");
            ladder = [];
            for (var i = 0; i < input.Ladder.Count; i++)
            {
                var step = input.Ladder[i] ?? throw new ValidationFailedException($"ladder/{i} is empty.", $"ladder/{i}");
                var threshold = step.Threshold ?? throw new ValidationFailedException($"ladder/{i}/threshold is required: the successful invitations that unlock the step.", $"ladder/{i}/threshold");
                if (threshold is < 1 or > 10_000)
                    throw new ValidationFailedException($"ladder/{i}/threshold must be between 1 and 10,000.", $"ladder/{i}/threshold");
                if (ladder.Count > 0 && threshold <= ladder[^1].Threshold)
                    throw new ValidationFailedException($"ladder/{i}/threshold must be above the step before it ({ladder[^1].Threshold}): list the steps in rising order.", $"ladder/{i}/threshold");
                if (step.Stock is < 0 or > 10_000_000)
                    throw new ValidationFailedException($"ladder/{i}/stock must be between 0 and 10,000,000 (leave it out for no limit).", $"ladder/{i}/stock");
                var reward = await RewardAsync(connection, workspaceId, step.Reward ?? throw new ValidationFailedException($"ladder/{i}/reward is required.", $"ladder/{i}/reward"),
                    $"ladder/{i}/reward");
                ladder.Add(new CleanStep(i + 1, threshold, reward, step.Stock));
            }
        }

        if (ladder.Count == 0 && invitee is null)
            throw new ValidationFailedException("Give the campaign a reward: a ladder step for inviters, an invitee reward, or both.", "ladder");
        var perHour = Limit(input.VelocityPerHour ?? current?.VelocityPerHour, "velocityPerHour");
        var perDay = Limit(input.VelocityPerDay ?? current?.VelocityPerDay, "velocityPerDay");
        return new CleanCampaign(name, kind, status, startsAt, endsAt, liveCodeId, segmentId, JsonSerializer.Serialize(requires), successDays, revokeDays, mode,
            invitee, inviteeStock, ladder, perHour, perDay,
            ActivityInput.Text(input.PosterTitle ?? current?.PosterTitle, "posterTitle", 40, required: false),
            ActivityInput.Text(input.PosterText ?? current?.PosterText, "posterText", 120, required: false));
    }

    private static int Days(int days, string field, int min) =>
        days >= min && days <= MaxDays ? days : throw new ValidationFailedException($"{field} must be between {min} and {MaxDays} days.", field);

    private static int? Limit(int? value, string field) =>
        value is null or 0 ? null : value is >= 1 and <= 100_000 ? value : throw new ValidationFailedException($"{field} must be between 1 and 100,000 (0 or absent: no limit).", field);

    private static async Task<CleanReward> RewardAsync(DbConnection connection, Guid workspaceId, RewardSpec spec, string field)
    {
        var kind = spec.Kind?.Trim() ?? "";
        if (!RewardKinds.All.Contains(kind))
            throw new ValidationFailedException($"{field}/kind must be one of: {string.Join(", ", RewardKinds.All)}.", $"{field}/kind");
        var cost = ActivityInput.Price(spec.Cost, $"{field}/cost", required: false);
        switch (kind)
        {
            case RewardKinds.Coupon:
                var templateId = spec.TemplateId ?? throw new ValidationFailedException($"{field}/templateId is required for a coupon reward.", $"{field}/templateId");
                var template = await connection.QuerySingleOrDefaultAsync<TemplateFace>(
                    "SELECT kind, amount FROM coupon_templates WHERE id = @templateId AND workspace_id = @workspaceId", new { templateId, workspaceId })
                    ?? throw new ValidationFailedException($"{field}/templateId: no coupon template {templateId} in this workspace.", $"{field}/templateId");
                return new CleanReward(kind, templateId, null, null, null, cost ?? template.Amount ?? 0);
            case RewardKinds.Points:
                var points = spec.Points ?? throw new ValidationFailedException($"{field}/points is required for a points reward.", $"{field}/points");
                if (points is < 1 or > 1_000_000)
                    throw new ValidationFailedException($"{field}/points must be between 1 and 1,000,000.", $"{field}/points");
                return new CleanReward(kind, null, points, null, null, cost ?? 0);
            case RewardKinds.Gift:
                var gift = ActivityInput.Text(spec.Gift, $"{field}/gift", 100, required: true);
                return new CleanReward(kind, null, null, gift, null, cost ?? 0);
            default:
                var credit = ActivityInput.Price(spec.Credit, $"{field}/credit", required: true)!.Value;
                if (credit == 0)
                    throw new ValidationFailedException($"{field}/credit must be above 0 yuan.", $"{field}/credit");
                return new CleanReward(kind, null, null, null, credit, cost ?? credit);
        }
    }

    private sealed class TemplateFace
    {
        public string Kind { get; init; } = "";
        public long? Amount { get; init; }
    }

    private const string Select =
        """
        SELECT c.*, l.name AS live_code_name, g.name AS audience_segment_name, t.name AS invitee_template_name,
            (SELECT COUNT(*) FROM referral_participants p WHERE p.campaign_id = c.id) AS participants,
            (SELECT COUNT(*) FROM referral_invitations i WHERE i.campaign_id = c.id AND i.state = 'succeeded') AS successes
        FROM referral_campaigns c
        """ + " " + Joins;

    /// <summary>The campaign without its counts, for the engine, which reads it on every invitation.</summary>
    private const string EngineSelect =
        """
        SELECT c.*, l.name AS live_code_name, g.name AS audience_segment_name, t.name AS invitee_template_name
        FROM referral_campaigns c
        """ + " " + Joins;

    private const string Joins =
        """
        LEFT JOIN live_codes l ON l.id = c.live_code_id
        LEFT JOIN segments g ON g.id = c.audience_segment_id
        LEFT JOIN coupon_templates t ON t.id = c.invitee_reward_template_id
        """;

    private const string StepSelect = "SELECT s.*, t.name AS template_name FROM referral_ladder_steps s LEFT JOIN coupon_templates t ON t.id = s.reward_template_id";

    internal sealed class StepRow
    {
        public Guid Id { get; init; }
        public Guid CampaignId { get; init; }
        public int Position { get; init; }
        public int Threshold { get; init; }
        public string RewardKind { get; init; } = "";
        public Guid? RewardTemplateId { get; init; }
        public string? TemplateName { get; init; }
        public long? RewardPoints { get; init; }
        public string? RewardGift { get; init; }
        public long? RewardCredit { get; init; }
        public long RewardCost { get; init; }
        public int? Stock { get; init; }
        public int Granted { get; init; }

        public LadderStep ToStep() => new()
        {
            Id = Id, Position = Position, Threshold = Threshold, Stock = Stock, Granted = Granted,
            Reward = new RewardView
            {
                Kind = RewardKind, TemplateId = RewardTemplateId, TemplateName = TemplateName, Points = RewardPoints, Gift = RewardGift,
                Credit = RewardCredit is { } c ? Money.FromFen(c) : null, Cost = Money.FromFen(RewardCost),
            },
        };
    }

    internal sealed class CampaignRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
        public string Kind { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTimeOffset StartsAt { get; init; }
        public DateTimeOffset EndsAt { get; init; }
        public Guid LiveCodeId { get; init; }
        public string? LiveCodeName { get; init; }
        public Guid? AudienceSegmentId { get; init; }
        public string? AudienceSegmentName { get; init; }
        public string SuccessRequires { get; init; } = "[]";
        public int SuccessWithinDays { get; init; }
        public int RevokeWithinDays { get; init; }
        public string RewardMode { get; init; } = "";
        public string? InviteeRewardKind { get; init; }
        public Guid? InviteeRewardTemplateId { get; init; }
        public string? InviteeTemplateName { get; init; }
        public long? InviteeRewardPoints { get; init; }
        public string? InviteeRewardGift { get; init; }
        public long? InviteeRewardCredit { get; init; }
        public long InviteeRewardCost { get; init; }
        public int? InviteeRewardStock { get; init; }
        public int InviteeRewardsGranted { get; init; }
        public int? VelocityPerHour { get; init; }
        public int? VelocityPerDay { get; init; }
        public string? PosterTitle { get; init; }
        public string? PosterText { get; init; }
        public long Participants { get; init; }
        public long Successes { get; init; }
        public string? CreatedBy { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public ReferralCampaign ToCampaign(IEnumerable<StepRow> steps) => new()
        {
            Id = Id, Name = Name, Kind = Kind, Status = Status, StartsAt = StartsAt, EndsAt = EndsAt, LiveCodeId = LiveCodeId, LiveCodeName = LiveCodeName ?? "",
            AudienceSegmentId = AudienceSegmentId, AudienceSegmentName = AudienceSegmentName,
            SuccessRequires = JsonSerializer.Deserialize<List<string>>(SuccessRequires) ?? [], SuccessWithinDays = SuccessWithinDays,
            RevokeWithinDays = RevokeWithinDays, RewardMode = RewardMode,
            InviteeReward = InviteeRewardKind is null ? null : new RewardView
            {
                Kind = InviteeRewardKind, TemplateId = InviteeRewardTemplateId, TemplateName = InviteeTemplateName, Points = InviteeRewardPoints,
                Gift = InviteeRewardGift, Credit = InviteeRewardCredit is { } c ? Money.FromFen(c) : null, Cost = Money.FromFen(InviteeRewardCost),
            },
            InviteeRewardStock = InviteeRewardStock, InviteeRewardsGranted = InviteeRewardsGranted,
            Ladder = steps.Select(s => s.ToStep()).ToList(), VelocityPerHour = VelocityPerHour, VelocityPerDay = VelocityPerDay,
            PosterTitle = PosterTitle, PosterText = PosterText, Participants = (int)Participants, Successes = (int)Successes,
            CreatedBy = CreatedBy, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        };
    }
}
