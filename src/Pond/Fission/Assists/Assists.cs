using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;
using Pond.Activities;
using Pond.Audience;
using Pond.Loyalty;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Fission.Assists;

/// <summary>
/// Friend assist (好友助力): a participant opens a request, friends help through its share code; each distinct friend
/// counts once (UNIQUE (request, helper)); helps grow only by UPDATE ... WHERE helps &lt; target, so the help that reaches
/// the target is exactly one, and it completes the request and issues the reward (stock by a conditional UPDATE) in its
/// own transaction. Docs: docs/fission-games.md.
/// </summary>
internal sealed class Assists(Database database, AuditLog audit, TimeProvider clock, GameRewards rewards, AudienceChanges changes, ILogger<Assists> logger)
{
    public async Task<IReadOnlyList<AssistCampaign>> ListAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<AssistCampaign>(
            "SELECT * FROM assist_campaigns WHERE workspace_id = @workspaceId ORDER BY starts_at DESC, id DESC", new { workspaceId })).AsList();
    }

    public async Task<AssistCampaign> GetAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await GetAsync(connection, null, workspaceId, id);
    }

    private static async Task<AssistCampaign> GetAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid id) =>
        await connection.QuerySingleOrDefaultAsync<AssistCampaign>(
            "SELECT * FROM assist_campaigns WHERE id = @id AND workspace_id = @workspaceId", new { id, workspaceId }, transaction)
        ?? throw new NotFoundException($"No assist campaign {id} in this workspace.");

    public async Task<AssistCampaign> CreateAsync(Guid workspaceId, AssistCampaignInput input, string actor)
    {
        var now = clock.GetUtcNow();
        var name = ActivityInput.Text(input.Name, "name", 100, required: true)!;
        var status = Status(input.Status ?? GameStatuses.Active);
        var target = Target(input.TargetHelps ?? throw new ValidationFailedException("targetHelps is required: how many distinct friends must help (1 to 100).", "targetHelps"));
        var minutes = TimeLimit(input.TimeLimitMinutes ?? 1440);
        var startsAt = input.StartsAt ?? throw new ValidationFailedException("startsAt is required (ISO 8601 with offset).", "startsAt");
        var endsAt = input.EndsAt ?? throw new ValidationFailedException("endsAt is required (ISO 8601 with offset).", "endsAt");
        ActivityInput.Window(startsAt, endsAt);
        var stock = Stock(input.RewardStock);
        var cap = Cap(input.HelperDailyCap);
        var id = Guid.CreateVersion7(now);
        await using (var connection = await database.OpenAsync())
        {
            var segmentId = await ActivityInput.SegmentAsync(connection, workspaceId, input.SegmentId);
            var reward = await GameRewards.CheckAsync(connection, workspaceId, input.Reward, "reward");
            await connection.ExecuteAsync(
                """
                INSERT INTO assist_campaigns (id, workspace_id, name, status, starts_at, ends_at, segment_id, target_helps, time_limit_minutes, reward_kind,
                    reward_template_id, reward_points, reward_gift, reward_stock, new_helpers_only, helper_daily_cap, created_by, created_at, updated_at)
                VALUES (@id, @workspaceId, @name, @status, @startsAt, @endsAt, @segmentId, @target, @minutes, @Kind, @TemplateId, @Points, @Gift, @stock,
                    @newOnly, @cap, @actor, @now, @now)
                """,
                new
                {
                    id, workspaceId, name, status, startsAt, endsAt, segmentId, target, minutes, reward.Kind, reward.TemplateId, reward.Points, reward.Gift,
                    stock, newOnly = input.NewHelpersOnly ?? false, cap, actor, now,
                });
        }
        await audit.RecordAsync(workspaceId, actor, "assist_campaign.created", $"assist_campaign:{id}", new { name, target });
        return await GetAsync(workspaceId, id);
    }

    /// <summary>Changes a campaign. Requests already open keep the target they were opened with.</summary>
    public async Task<AssistCampaign> UpdateAsync(Guid workspaceId, Guid id, AssistCampaignInput input, string actor)
    {
        await using var connection = await database.OpenAsync();
        var current = await GetAsync(connection, null, workspaceId, id);
        var name = input.Name is null ? current.Name : ActivityInput.Text(input.Name, "name", 100, required: true)!;
        var status = input.Status is null ? current.Status : Status(input.Status);
        var target = input.TargetHelps is { } t ? Target(t) : current.TargetHelps;
        var minutes = input.TimeLimitMinutes is { } m ? TimeLimit(m) : current.TimeLimitMinutes;
        var startsAt = input.StartsAt ?? current.StartsAt;
        var endsAt = input.EndsAt ?? current.EndsAt;
        ActivityInput.Window(startsAt, endsAt);
        var stock = input.RewardStock is null ? current.RewardStock : input.RewardStock == 0 ? null : Stock(input.RewardStock);
        var cap = input.HelperDailyCap is null ? current.HelperDailyCap : input.HelperDailyCap == 0 ? null : Cap(input.HelperDailyCap);
        var segmentId = input.SegmentId is null ? current.SegmentId : await ActivityInput.SegmentAsync(connection, workspaceId, input.SegmentId);
        var reward = input.Reward is null ? current.Reward : await GameRewards.CheckAsync(connection, workspaceId, input.Reward, "reward");
        var changed = await connection.ExecuteAsync(
            """
            UPDATE assist_campaigns SET name = @name, status = @status, starts_at = @startsAt, ends_at = @endsAt, segment_id = @segmentId, target_helps = @target,
                time_limit_minutes = @minutes, reward_kind = @Kind, reward_template_id = @TemplateId, reward_points = @Points, reward_gift = @Gift,
                reward_stock = @stock, new_helpers_only = @newOnly, helper_daily_cap = @cap, updated_at = @now
            WHERE id = @id AND workspace_id = @workspaceId AND (@stock IS NULL OR rewards_issued <= @stock)
            """,
            new
            {
                id, workspaceId, name, status, startsAt, endsAt, segmentId, target, minutes, reward.Kind, reward.TemplateId, reward.Points, reward.Gift, stock,
                newOnly = input.NewHelpersOnly ?? current.NewHelpersOnly, cap, now = clock.GetUtcNow(),
            });
        if (changed == 0)
            throw new ConflictException($"rewardStock cannot go below the {(await GetAsync(connection, null, workspaceId, id)).RewardsIssued} rewards already issued.");
        await audit.RecordAsync(workspaceId, actor, "assist_campaign.updated", $"assist_campaign:{id}", new { name, status, target, stock });
        return await GetAsync(connection, null, workspaceId, id);
    }

    private static string Status(string status) =>
        GameStatuses.All.Contains(status.Trim().ToLowerInvariant()) ? status.Trim().ToLowerInvariant()
            : throw new ValidationFailedException("status is active or paused.", "status");

    private static int Target(int target) =>
        target is >= 1 and <= 100 ? target : throw new ValidationFailedException("targetHelps must be between 1 and 100.", "targetHelps");

    private static int TimeLimit(int minutes) =>
        minutes is >= 1 and <= 43200 ? minutes : throw new ValidationFailedException("timeLimitMinutes must be between 1 and 43200 (30 days).", "timeLimitMinutes");

    private static int? Stock(int? stock) => stock switch
    {
        null => null,
        >= 1 and <= 1_000_000 => stock,
        _ => throw new ValidationFailedException("rewardStock must be between 1 and 1,000,000 (or left out for no limit).", "rewardStock"),
    };

    private static int? Cap(int? cap) => cap switch
    {
        null => null,
        >= 1 and <= 1000 => cap,
        _ => throw new ValidationFailedException("helperDailyCap must be between 1 and 1000 helps a day (or left out for no cap).", "helperDailyCap"),
    };

    /// <summary>
    /// Opens a request for the participant. A participant holds at most one open request per campaign (a partial
    /// UNIQUE index); asking again answers the open one (Created false).
    /// </summary>
    public async Task<AssistOpenOutcome> OpenAsync(Guid workspaceId, Guid campaignId, Guid? customerId, string? userId)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        var campaign = await GetAsync(connection, null, workspaceId, campaignId);
        var customer = await ActivityCustomers.ResolveAsync(connection, workspaceId, customerId, userId);
        if (campaign.Status == GameStatuses.Paused)
            return new(null, false, GameRefusals.Paused, "The campaign is paused.");
        if (now < campaign.StartsAt)
            return new(null, false, GameRefusals.NotStarted, $"The campaign starts at {campaign.StartsAt:u}.");
        if (now >= campaign.EndsAt)
            return new(null, false, GameRefusals.Ended, $"The campaign ended at {campaign.EndsAt:u}.");
        if (campaign.SegmentId is { } segmentId && !await GameRules.InSegmentAsync(connection, segmentId, customer))
            return new(null, false, GameRefusals.NotInAudience, "This customer is not in the campaign's audience segment.");

        await connection.ExecuteAsync(
            "UPDATE assist_requests SET state = 'expired' WHERE campaign_id = @campaignId AND customer_id = @customer AND state = 'open' AND expires_at <= @now",
            new { campaignId, customer, now });
        if (await OpenRequestAsync(connection, campaignId, customer) is { } open)
            return new(await RequestAsync(connection, workspaceId, open), false, null, null);
        var id = Guid.CreateVersion7(now);
        var expires = now.AddMinutes(campaign.TimeLimitMinutes);
        try
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO assist_requests (id, workspace_id, campaign_id, customer_id, code, state, target, helps, opened_at, expires_at)
                VALUES (@id, @workspaceId, @campaignId, @customer, @code, 'open', @target, 0, @now, @expires)
                """, new { id, workspaceId, campaignId, customer, code = GameRules.NewCode(), target = campaign.TargetHelps, now, expires = expires < campaign.EndsAt ? expires : campaign.EndsAt });
        }
        catch (DbException e) when (Database.IsUniqueViolation(e))
        {
            var raced = await OpenRequestAsync(connection, campaignId, customer) ?? throw new ConflictException("The request clashed with a concurrent one; try again.");
            return new(await RequestAsync(connection, workspaceId, raced), false, null, null);
        }
        return new(await RequestAsync(connection, workspaceId, id), true, null, null);
    }

    private static Task<Guid?> OpenRequestAsync(DbConnection connection, Guid campaignId, Guid customer) =>
        connection.QuerySingleOrDefaultAsync<Guid?>(
            "SELECT id FROM assist_requests WHERE campaign_id = @campaignId AND customer_id = @customer AND state = 'open'", new { campaignId, customer });

    /// <summary>
    /// A friend helps through the request's share code. In one transaction: the request's count rises by a conditional
    /// UPDATE (open, not expired, below target), the help row is written (UNIQUE per friend), the helper's daily cap is
    /// taken; the help that reaches the target completes the request and issues the reward.
    /// </summary>
    public async Task<AssistHelpOutcome> HelpAsync(Guid? workspaceId, string code, Guid? helperId, string? userId)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        var request = await ByCodeAsync(connection, code);
        if (request is null || (workspaceId is { } ws && request.WorkspaceId != ws))
            throw new NotFoundException($"No assist request with code '{code}'.");
        var campaign = await GetAsync(connection, null, request.WorkspaceId, request.CampaignId);
        var helper = await ActivityCustomers.ResolveAsync(connection, request.WorkspaceId, helperId, userId);
        if (helper == request.CustomerId)
            return AssistHelpOutcome.Refused(GameRefusals.SelfHelp, "The participant cannot help their own request; share it with friends.");
        if (await HelpedAsync(connection, request.Id, helper))
            return new(await RequestAsync(connection, request.WorkspaceId, request.Id), false, false, GameRefusals.AlreadyHelped, "This friend already helped; a friend counts once.");
        if (request.State == AssistRequestStates.Complete)
            return AssistHelpOutcome.Refused(GameRefusals.Complete, $"The request already reached its target of {request.Target}.");
        if (request.StateAt(now) == AssistRequestStates.Expired)
            return AssistHelpOutcome.Refused(GameRefusals.Expired, "The request ran out of time.");
        if (campaign.Status == GameStatuses.Paused)
            return AssistHelpOutcome.Refused(GameRefusals.Paused, "The campaign is paused.");
        if (campaign.NewHelpersOnly && !await GameRules.IsNewAsync(connection, helper, request.OpenedAt))
            return AssistHelpOutcome.Refused(GameRefusals.NotNewCustomer, "Only new customers may help in this campaign, and this friend was already a customer.");
        var zone = await LoyaltyDb.ZoneAsync(connection, null, request.WorkspaceId);
        var day = LoyaltyDb.DayNumber(LoyaltyDb.LocalDay(now, zone));

        var touched = new List<Guid>();
        var completed = false;
        await using (var transaction = await LoyaltyDb.BeginAsync(database, connection))
        {
            var seq = await connection.QuerySingleOrDefaultAsync<int?>(
                """
                UPDATE assist_requests SET helps = helps + 1
                WHERE id = @id AND state = 'open' AND helps < target AND expires_at > @now
                RETURNING helps
                """, new { id = request.Id, now }, transaction);
            if (seq is not { } taken)
            {
                await transaction.RollbackAsync();
                var latest = (await ByCodeAsync(connection, code))!;
                return latest.State == AssistRequestStates.Complete
                    ? AssistHelpOutcome.Refused(GameRefusals.Complete, $"The request already reached its target of {latest.Target}.")
                    : AssistHelpOutcome.Refused(GameRefusals.Expired, "The request ran out of time.");
            }
            try
            {
                await connection.ExecuteAsync(
                    """
                    INSERT INTO assist_helps (id, workspace_id, campaign_id, request_id, helper_customer_id, seq, day, helped_at)
                    VALUES (@id, @workspaceId, @campaignId, @requestId, @helper, @seq, @day, @now)
                    """,
                    new { id = Guid.CreateVersion7(now), workspaceId = request.WorkspaceId, campaignId = campaign.Id, requestId = request.Id, helper, seq = taken, day, now },
                    transaction);
            }
            catch (DbException e) when (Database.IsUniqueViolation(e))
            {
                await transaction.RollbackAsync();
                return new(await RequestAsync(connection, request.WorkspaceId, request.Id), false, false, GameRefusals.AlreadyHelped, "This friend already helped; a friend counts once.");
            }
            if (campaign.HelperDailyCap is { } cap && !await GameRules.TakeDailyHelpAsync(connection, transaction, campaign.Id, helper, day, cap))
            {
                await transaction.RollbackAsync();
                return AssistHelpOutcome.Refused(GameRefusals.DailyCap, $"This friend already gave {cap} help(s) in this campaign today; come back tomorrow.");
            }
            if (taken == request.Target)
            {
                completed = true;
                await CompleteAsync(connection, transaction, campaign, request, now, touched);
            }
            await transaction.CommitAsync();
        }
        if (touched.Count > 0)
            changes.Touch(request.WorkspaceId, touched);
        return new(await RequestAsync(connection, request.WorkspaceId, request.Id), true, completed, null, null);
    }

    private async Task CompleteAsync(DbConnection connection, DbTransaction transaction, AssistCampaign campaign, AssistRequest request, DateTimeOffset now, List<Guid> touched)
    {
        var stocked = await connection.ExecuteAsync(
            "UPDATE assist_campaigns SET rewards_issued = rewards_issued + 1 WHERE id = @Id AND (reward_stock IS NULL OR rewards_issued < reward_stock)",
            new { campaign.Id }, transaction) == 1;
        string state, reason = "";
        string? reference = null;
        if (!stocked)
        {
            state = GameRewardStates.OutOfStock;
            reason = $"All {campaign.RewardStock} rewards were already given.";
        }
        else
        {
            try
            {
                var issued = await rewards.IssueAsync(connection, transaction, now, campaign.WorkspaceId, request.CustomerId, campaign.Reward,
                    $"assist:{request.Id:N}", $"Friend assist: {campaign.Name}");
                (state, reference) = (GameRewardStates.Issued, issued.Reference);
                if (campaign.RewardKind != GameRewardKinds.Gift)
                    touched.Add(request.CustomerId);
            }
            catch (Exception e) when (e is ConflictException or NotFoundException or ValidationFailedException)
            {
                logger.LogWarning("Assist reward for request {RequestId} could not be issued: {Reason}", request.Id, e.Message);
                await connection.ExecuteAsync("UPDATE assist_campaigns SET rewards_issued = rewards_issued - 1 WHERE id = @Id", new { campaign.Id }, transaction);
                (state, reason) = (GameRewardStates.Failed, e.Message);
            }
        }
        await connection.ExecuteAsync(
            """
            UPDATE assist_requests SET state = 'complete', completed_at = @now, reward_state = @state, reward_ref = @reference, reward_reason = @reason
            WHERE id = @id
            """, new { id = request.Id, now, state, reference, reason = reason.Length == 0 ? null : reason }, transaction);
    }

    private static async Task<bool> HelpedAsync(DbConnection connection, Guid requestId, Guid helper) =>
        await connection.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM assist_helps WHERE request_id = @requestId AND helper_customer_id = @helper", new { requestId, helper }) > 0;

    private static Task<AssistRequest?> ByCodeAsync(DbConnection connection, string code) =>
        connection.QuerySingleOrDefaultAsync<AssistRequest>("SELECT * FROM assist_requests WHERE code = @code", new { code = GameRules.NormalizeCode(code) });

    private const string RequestSelect =
        "SELECT r.*, c.display_name AS DisplayName FROM assist_requests r LEFT JOIN customers c ON c.id = r.customer_id";

    private static async Task<AssistRequest> RequestAsync(DbConnection connection, Guid workspaceId, Guid requestId)
    {
        var request = await connection.QuerySingleOrDefaultAsync<AssistRequest>(
            $"{RequestSelect} WHERE r.id = @requestId AND r.workspace_id = @workspaceId", new { requestId, workspaceId })
            ?? throw new NotFoundException($"No assist request {requestId} in this workspace.");
        request.HelpList = (await connection.QueryAsync<AssistHelp>(
            """
            SELECT h.id AS Id, h.request_id AS RequestId, h.helper_customer_id AS HelperCustomerId, c.display_name AS DisplayName, h.seq AS Seq, h.helped_at AS HelpedAt
            FROM assist_helps h LEFT JOIN customers c ON c.id = h.helper_customer_id WHERE h.request_id = @requestId ORDER BY h.seq
            """, new { requestId })).AsList();
        return request;
    }

    public async Task<AssistRequest> GetRequestAsync(Guid workspaceId, Guid requestId)
    {
        await using var connection = await database.OpenAsync();
        return await RequestAsync(connection, workspaceId, requestId);
    }

    /// <summary>A request by its share code, for a share page (the code is the key; no workspace needed).</summary>
    public async Task<(AssistRequest Request, AssistCampaign Campaign)?> FindAsync(string code)
    {
        if (code.Length is 0 or > 32)
            return null;
        await using var connection = await database.OpenAsync();
        if (await ByCodeAsync(connection, code) is not { } found)
            return null;
        return (await RequestAsync(connection, found.WorkspaceId, found.Id), await GetAsync(connection, null, found.WorkspaceId, found.CampaignId));
    }

    /// <summary>A campaign's requests, newest first, optionally in one state.</summary>
    public async Task<IReadOnlyList<AssistRequest>> ListRequestsAsync(Guid workspaceId, Guid campaignId, string? state, int limit)
    {
        if (state is not null && !AssistRequestStates.All.Contains(state))
            throw new ValidationFailedException("state is open, complete or expired.", "state");
        await using var connection = await database.OpenAsync();
        await GetAsync(connection, null, workspaceId, campaignId);
        var now = clock.GetUtcNow();
        var filter = state switch
        {
            null => "",
            AssistRequestStates.Open => "AND r.state = 'open' AND r.expires_at > @now",
            AssistRequestStates.Expired => "AND (r.state = 'expired' OR (r.state = 'open' AND r.expires_at <= @now))",
            _ => "AND r.state = @state",
        };
        return (await connection.QueryAsync<AssistRequest>(
            $"{RequestSelect} WHERE r.campaign_id = @campaignId AND r.workspace_id = @workspaceId {filter} ORDER BY r.opened_at DESC, r.id DESC LIMIT @limit",
            new { campaignId, workspaceId, state, now, limit = Math.Clamp(limit, 1, 500) })).AsList();
    }

    public async Task<AssistCounters> CountersAsync(Guid workspaceId, Guid campaignId)
    {
        await using var connection = await database.OpenAsync();
        var campaign = await GetAsync(connection, null, workspaceId, campaignId);
        var now = clock.GetUtcNow();
        var rows = await connection.QuerySingleAsync<RequestCounts>(
            """
            SELECT COUNT(*) AS Requests,
                   COALESCE(SUM(CASE WHEN state = 'open' AND expires_at > @now THEN 1 ELSE 0 END), 0) AS Open,
                   COALESCE(SUM(CASE WHEN state = 'complete' THEN 1 ELSE 0 END), 0) AS Complete,
                   COALESCE(SUM(CASE WHEN state = 'expired' OR (state = 'open' AND expires_at <= @now) THEN 1 ELSE 0 END), 0) AS Expired,
                   COALESCE(SUM(helps), 0) AS Helps,
                   (SELECT COUNT(DISTINCT helper_customer_id) FROM assist_helps WHERE campaign_id = @campaignId) AS Helpers
            FROM assist_requests WHERE campaign_id = @campaignId
            """, new { campaignId, now });
        return new AssistCounters(campaign.Id, campaign.StateAt(now), (int)rows.Requests, (int)rows.Open, (int)rows.Complete, (int)rows.Expired,
            (int)rows.Helps, (int)rows.Helpers, campaign.RewardsIssued, campaign.RewardStock, campaign.RewardsLeft);
    }

    /// <summary>Marks open requests whose time ran out as expired (all workspaces); returns how many.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE assist_requests SET state = 'expired' WHERE state = 'open' AND expires_at <= @now", new { now = clock.GetUtcNow() });
    }

    private sealed class RequestCounts
    {
        public long Requests { get; init; }
        public long Open { get; init; }
        public long Complete { get; init; }
        public long Expired { get; init; }
        public long Helps { get; init; }
        public long Helpers { get; init; }
    }
}
