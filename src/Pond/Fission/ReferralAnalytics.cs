using System.Data.Common;
using System.Text.Json;
using Dapper;
using Pond.Channels;
using Pond.Storage;

namespace Pond.Fission;

/// <summary>
/// A referral campaign's numbers (docs/fission.md, "Analytics"): the funnel from poster views to new customers,
/// K-factor and fission rate, generations, ladder completion, reward cost and a daily series; a participant's fission
/// tree; the review queue across campaigns. Read-only: the database counts, this class divides.
/// </summary>
internal sealed class ReferralAnalytics(Database database, TimeProvider clock)
{
    /// <summary>The daily series covers at most this many days (the last ones of the campaign's window up to today).</summary>
    public const int MaxDays = 120;

    /// <summary>Time buckets of a quarter hour: every time zone's offset is a whole number of them.</summary>
    private const long BucketMs = 15 * 60 * 1000;

    public async Task<ReferralCampaignAnalytics> CampaignAsync(Guid workspaceId, Guid campaignId)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        var campaign = await ReferralCampaigns.GetAsync(connection, null, workspaceId, campaignId);
        var zoneId = await connection.ExecuteScalarAsync<string>("SELECT time_zone FROM workspaces WHERE id = @workspaceId", new { workspaceId }) ?? "UTC";
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var found) ? found : TimeZoneInfo.Utc;
        var id = campaign.Id;

        var participants = (await connection.QueryAsync<GenerationRow>(
            """
            SELECT generation, COUNT(*) AS participants, SUM(CASE WHEN successes > 0 THEN 1 ELSE 0 END) AS active
            FROM referral_participants WHERE campaign_id = @id GROUP BY generation
            """, new { id })).AsList();
        var invitations = (await connection.QueryAsync<InvitationCountRow>(
            """
            SELECT p.generation, i.state, i.reason, i.is_new, COUNT(*) AS count
            FROM referral_invitations i JOIN referral_participants p ON p.id = i.participant_id
            WHERE i.campaign_id = @id GROUP BY p.generation, i.state, i.reason, i.is_new
            """, new { id })).AsList();
        var views = await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM referral_visits WHERE campaign_id = @id", new { id });
        var costFen = await connection.ExecuteScalarAsync<long?>(
            "SELECT SUM(cost) FROM referral_rewards WHERE campaign_id = @id AND state IN ('issued', 'unlocked')", new { id }) ?? 0;

        int Count(Func<InvitationCountRow, bool> where) => invitations.Where(where).Sum(r => r.Count);
        var seeds = participants.Where(p => p.Generation == 1).Sum(p => p.Participants);
        var totalParticipants = participants.Sum(p => p.Participants);
        var successful = Count(r => r.State == InvitationStates.Succeeded);
        var newCustomers = Count(r => r.State == InvitationStates.Succeeded && r.IsNew);
        var recorded = Count(_ => true);

        var depth = participants.Count == 0 ? 0 : participants.Max(p => p.Generation);
        var generations = Enumerable.Range(1, depth).Select(g => new ReferralGeneration(
            g,
            participants.Where(p => p.Generation == g).Sum(p => p.Participants),
            Count(r => r.Generation == g),
            Count(r => r.Generation == g && r.State == InvitationStates.Succeeded),
            Count(r => r.Generation == g && r.State == InvitationStates.Succeeded && r.IsNew))).ToList();

        return new ReferralCampaignAnalytics
        {
            CampaignId = id, Name = campaign.Name, Status = campaign.Status, StartsAt = campaign.StartsAt, EndsAt = campaign.EndsAt, TimeZone = zoneId,
            GeneratedAt = now,
            Participants = totalParticipants, SeedParticipants = seeds, ActiveInviters = participants.Sum(p => p.Active),
            PosterViews = views, InvitationsRecorded = recorded, Successful = successful, NewCustomers = newCustomers,
            Pending = Count(r => r.State == InvitationStates.Pending),
            HeldForReview = Count(r => r.State == InvitationStates.Review),
            Rejected = Count(r => r.State == InvitationStates.Rejected),
            Revoked = Count(r => r.State == InvitationStates.Revoked),
            Expired = Count(r => r.State == InvitationStates.Expired),
            RejectedByReason = invitations.Where(r => r.State == InvitationStates.Rejected)
                .GroupBy(r => r.Reason ?? "unknown").OrderByDescending(g => g.Sum(r => r.Count)).ThenBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Sum(r => r.Count)),
            InvitationsPerParticipant = Ratio(views, totalParticipants),
            Conversion = Ratio(successful, views),
            // (views ÷ participants) × (successful ÷ views): the views cancel, so K is defined whenever there are participants.
            KFactor = Ratio(successful, totalParticipants),
            FissionRate = Ratio(newCustomers, seeds),
            ViewToInvitationRate = Ratio(recorded, views),
            SuccessRate = Ratio(successful, recorded),
            RewardCost = Money.FromFen(costFen),
            CostPerNewCustomer = newCustomers == 0 ? null : decimal.Round(Money.FromFen(costFen) / newCustomers, 2, MidpointRounding.AwayFromZero),
            Depth = depth,
            Generations = generations,
            Ladder = await LadderAsync(connection, campaign),
            Daily = await DailyAsync(connection, campaign, zone, now),
        };
    }

    /// <summary>
    /// A participant's tree, breadth first: their invitees with each invitation's state, and for invitees who joined as
    /// participants, their invitees, down to <see cref="ReferralTree.MaxDepth"/> generations below the root and
    /// <see cref="ReferralTree.MaxInvitees"/> invitees in all (earliest first); what is cut is counted on its node.
    /// </summary>
    public async Task<ReferralTree> TreeAsync(Guid workspaceId, Guid participantId)
    {
        await using var connection = await database.OpenAsync();
        var root = await connection.QuerySingleOrDefaultAsync<TreeParticipantRow>(
            $"{ParticipantSelect} WHERE p.id = @participantId AND p.workspace_id = @workspaceId", new { participantId, workspaceId })
            ?? throw new NotFoundException($"No referral participant {participantId} in this workspace.");
        var campaignName = await connection.ExecuteScalarAsync<string>("SELECT name FROM referral_campaigns WHERE id = @id", new { id = root.CampaignId }) ?? "";
        var rootNode = root.ToNode();
        var level = new List<ReferralTreeNode> { rootNode };
        var shown = 0;
        var truncated = false;
        for (var depth = 1; level.Count > 0; depth++)
        {
            var ids = level.Select(n => n.ParticipantId).ToList();
            var invitations = (await connection.QueryAsync<TreeInvitationRow>(
                $"""
                SELECT i.id, i.participant_id, i.invitee_customer_id, c.display_name AS invitee_name, i.state, i.reason, i.is_new, i.invited_at
                FROM referral_invitations i LEFT JOIN customers c ON c.id = i.invitee_customer_id
                WHERE i.participant_id {InList("ids")} ORDER BY i.invited_at, i.id
                """, new { ids = IdList(ids) })).AsList();
            var children = (await connection.QueryAsync<TreeParticipantRow>(
                $"{ParticipantSelect} WHERE p.parent_participant_id {InList("ids")} ORDER BY p.joined_at, p.id", new { ids = IdList(ids) })).AsList();
            var next = new List<ReferralTreeNode>();
            foreach (var node in level)
            {
                var mine = invitations.Where(i => i.ParticipantId == node.ParticipantId).ToList();
                var joined = children.Where(c => c.ParentParticipantId == node.ParticipantId).ToDictionary(c => c.CustomerId);
                var invitees = mine.Select(i => new ReferralTreeInvitee
                {
                    InvitationId = i.Id, CustomerId = i.InviteeCustomerId, CustomerName = i.InviteeName, State = i.State, Reason = i.Reason, IsNew = i.IsNew,
                    InvitedAt = i.InvitedAt,
                }).ToList();
                // A participant whose invitation row is gone still belongs under their parent.
                invitees.AddRange(joined.Values.Where(c => mine.All(i => i.InviteeCustomerId != c.CustomerId))
                    .Select(c => new ReferralTreeInvitee { CustomerId = c.CustomerId, CustomerName = c.CustomerName }));
                if (depth > ReferralTree.MaxDepth)
                {
                    node.Omitted = invitees.Count;
                    truncated |= invitees.Count > 0;
                    continue;
                }

                foreach (var invitee in invitees)
                {
                    if (shown >= ReferralTree.MaxInvitees)
                    {
                        node.Omitted++;
                        truncated = true;
                        continue;
                    }

                    shown++;
                    if (joined.TryGetValue(invitee.CustomerId, out var child))
                    {
                        invitee.Participant = child.ToNode();
                        next.Add(invitee.Participant);
                    }

                    node.Invitees.Add(invitee);
                }
            }

            level = next;
        }

        return new ReferralTree { CampaignId = root.CampaignId, CampaignName = campaignName, Root = rootNode, Shown = shown, Truncated = truncated };
    }

    /// <summary>Invitations held for review across the workspace's campaigns, oldest first (the order a reviewer works in).</summary>
    public async Task<IReadOnlyList<ReviewQueueItem>> ReviewQueueAsync(Guid workspaceId, Guid? campaignId, int limit)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<ReviewQueueItem>(
            $"""
            SELECT i.id, i.campaign_id, rc.name AS campaign_name, i.participant_id, i.inviter_customer_id, a.display_name AS inviter_name,
                i.invitee_customer_id, b.display_name AS invitee_name, i.reason, i.is_new, i.invited_at,
                (SELECT COUNT(*) FROM referral_invitations o WHERE o.participant_id = i.participant_id AND o.invited_at <= i.invited_at
                    AND o.invited_at > i.invited_at - 3600000 AND o.id <> i.id AND o.state <> 'rejected') AS inviter_last_hour
            FROM referral_invitations i JOIN referral_campaigns rc ON rc.id = i.campaign_id
                LEFT JOIN customers a ON a.id = i.inviter_customer_id LEFT JOIN customers b ON b.id = i.invitee_customer_id
            WHERE i.workspace_id = @workspaceId AND i.state = 'review'{(campaignId is null ? "" : " AND i.campaign_id = @campaignId")}
            ORDER BY i.invited_at, i.id LIMIT @limit
            """, new { workspaceId, campaignId, limit })).AsList();
    }

    /// <summary>How many invitations wait for review in the workspace (the queue's badge).</summary>
    public async Task<int> ReviewCountAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM referral_invitations WHERE workspace_id = @workspaceId AND state = 'review'", new { workspaceId });
    }

    private static async Task<IReadOnlyList<ReferralLadderCompletion>> LadderAsync(DbConnection connection, ReferralCampaign campaign)
    {
        if (campaign.Ladder.Count == 0)
            return [];
        var successes = (await connection.QueryAsync<int>("SELECT successes FROM referral_participants WHERE campaign_id = @id AND successes > 0",
            new { id = campaign.Id })).AsList();
        var rewards = (await connection.QueryAsync<StepRewardRow>(
            "SELECT step_id, state, COUNT(*) AS count FROM referral_rewards WHERE campaign_id = @id AND step_id IS NOT NULL GROUP BY step_id, state",
            new { id = campaign.Id })).AsList();
        int Rewards(Guid step, params string[] states) => rewards.Where(r => r.StepId == step && states.Contains(r.State)).Sum(r => r.Count);
        return campaign.Ladder.OrderBy(s => s.Threshold).Select(s => new ReferralLadderCompletion(
            s.Id, s.Position, s.Threshold, s.Reward.Kind,
            successes.Count(n => n >= s.Threshold),
            Rewards(s.Id, RewardStates.Issued, RewardStates.Unlocked),
            Rewards(s.Id, RewardStates.OutOfStock),
            Rewards(s.Id, RewardStates.Withheld))).ToList();
    }

    /// <summary>Every day of the campaign's window up to today (at most <see cref="MaxDays"/>, the latest), zero when nothing happened.</summary>
    private static async Task<IReadOnlyList<ReferralDailyPoint>> DailyAsync(DbConnection connection, ReferralCampaign campaign, TimeZoneInfo zone, DateTimeOffset now)
    {
        var first = Days.Local(campaign.StartsAt, zone);
        var last = Days.Local(campaign.EndsAt < now ? campaign.EndsAt.AddTicks(-1) : now, zone);
        if (last < first)
            return [];
        if (last.DayNumber - first.DayNumber + 1 > MaxDays)
            first = last.AddDays(1 - MaxDays);
        var (from, to) = (Days.Start(first, zone), Days.Start(last.AddDays(1), zone));
        var days = new SortedDictionary<DateOnly, int[]>();
        for (var day = first; day <= last; day = day.AddDays(1))
            days[day] = new int[3];

        async Task AddAsync(int index, string sql)
        {
            var buckets = await connection.QueryAsync<BucketRow>(sql, new { id = campaign.Id, from, to, bucket = BucketMs });
            foreach (var b in buckets)
            {
                if (days.TryGetValue(Days.Local(DateTimeOffset.FromUnixTimeMilliseconds(b.Bucket * BucketMs), zone), out var counts))
                    counts[index] += b.Count;
            }
        }

        await AddAsync(0, "SELECT visited_at / @bucket AS bucket, COUNT(*) AS count FROM referral_visits WHERE campaign_id = @id AND visited_at >= @from AND visited_at < @to GROUP BY 1");
        await AddAsync(1, "SELECT invited_at / @bucket AS bucket, COUNT(*) AS count FROM referral_invitations WHERE campaign_id = @id AND invited_at >= @from AND invited_at < @to GROUP BY 1");
        await AddAsync(2, """
            SELECT succeeded_at / @bucket AS bucket, COUNT(*) AS count FROM referral_invitations
            WHERE campaign_id = @id AND state = 'succeeded' AND succeeded_at >= @from AND succeeded_at < @to GROUP BY 1
            """);
        return days.Select(d => new ReferralDailyPoint(d.Key, d.Value[0], d.Value[1], d.Value[2])).ToList();
    }

    private static double? Ratio(int numerator, int denominator) => denominator == 0 ? null : (double)numerator / denominator;

    private string InList(string name) => database.IsSqlite ? $"IN (SELECT value FROM json_each(@{name}))" : $"= ANY(@{name})";

    private object IdList(List<Guid> ids) => database.IsSqlite ? JsonSerializer.Serialize(ids) : ids.ToArray();

    private const string ParticipantSelect =
        """
        SELECT p.id, p.campaign_id, p.customer_id, c.display_name AS customer_name, p.parent_participant_id, p.generation, p.successes, p.invitations,
            p.poster_views, p.joined_at
        FROM referral_participants p LEFT JOIN customers c ON c.id = p.customer_id
        """;

    private sealed class GenerationRow
    {
        public int Generation { get; init; }
        public int Participants { get; init; }
        public int Active { get; init; }
    }

    private sealed class InvitationCountRow
    {
        public int Generation { get; init; }
        public string State { get; init; } = "";
        public string? Reason { get; init; }
        public bool IsNew { get; init; }
        public int Count { get; init; }
    }

    private sealed class StepRewardRow
    {
        public Guid StepId { get; init; }
        public string State { get; init; } = "";
        public int Count { get; init; }
    }

    private sealed class BucketRow
    {
        public long Bucket { get; init; }
        public int Count { get; init; }
    }

    private sealed class TreeParticipantRow
    {
        public Guid Id { get; init; }
        public Guid CampaignId { get; init; }
        public Guid CustomerId { get; init; }
        public string? CustomerName { get; init; }
        public Guid? ParentParticipantId { get; init; }
        public int Generation { get; init; }
        public int Successes { get; init; }
        public int Invitations { get; init; }
        public int PosterViews { get; init; }
        public DateTimeOffset JoinedAt { get; init; }

        public ReferralTreeNode ToNode() => new()
        {
            ParticipantId = Id, CustomerId = CustomerId, CustomerName = CustomerName, Generation = Generation, Successes = Successes,
            Invitations = Invitations, PosterViews = PosterViews, JoinedAt = JoinedAt,
        };
    }

    private sealed class TreeInvitationRow
    {
        public Guid Id { get; init; }
        public Guid ParticipantId { get; init; }
        public Guid InviteeCustomerId { get; init; }
        public string? InviteeName { get; init; }
        public string State { get; init; } = "";
        public string? Reason { get; init; }
        public bool IsNew { get; init; }
        public DateTimeOffset InvitedAt { get; init; }
    }
}
