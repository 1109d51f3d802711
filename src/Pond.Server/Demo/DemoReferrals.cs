using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Pond.Commerce.Coupons;
using Pond.Customers;
using Pond.Fission;
using Pond.Ingestion;
using Pond.Storage;

namespace Pond.Server.Demo;

/// <summary>
/// The demo brand's fission (裂变): a running 老带新 campaign on one of the shopping guides' live codes with a 3 / 10 / 30
/// ladder (coupon, points, gift) and a coupon for every invited friend, and an earlier campaign that has ended. Seeds are
/// the brand's WeCom friends; they join, their posters are viewed, and their friends add the guide through the
/// participant's state: every invitation is a Relationship Started event on the event log, applied by the event processor
/// like a real WeCom add. Some invitees share their own poster (generations 2 and 3), a few delete the guide within the
/// revoke window, three eager inviters trip the velocity limit (held for review), one seed adds through their own code
/// (rejected) and a few existing customers come in again (already in the pool). Deterministic (a fixed seed).
/// </summary>
internal static class DemoReferrals
{
    private const string Actor = "demo";

    internal sealed record Result(Guid RunningCampaignId, Guid EndedCampaignId, int Participants, int Invitations, int Views);

    private static readonly string[] Surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗"];
    private static readonly string[] Given = ["小雨", "思琪", "佳怡", "欣然", "雨桐", "梦瑶", "诗涵", "可馨", "一诺", "语嫣", "晓彤", "子涵", "婉清", "静怡", "若曦", "安然", "乐瑶", "心怡"];

    public static async Task<Result> SetUpAsync(IServiceProvider services, Guid workspaceId)
    {
        var database = services.GetRequiredService<Database>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var campaigns = services.GetRequiredService<ReferralCampaigns>();
        var participants = services.GetRequiredService<ReferralParticipants>();
        var templates = services.GetRequiredService<CouponTemplates>();
        var visits = services.GetService<ReferralVisits>() ?? new ReferralVisits(database);
        await using var pipeline = new DemoEvents(services);

        List<CodeRow> codes;
        List<FriendRow> friends;
        await using (var connection = await database.OpenAsync())
        {
            codes = (await connection.QueryAsync<CodeRow>(
                """
                SELECT l.id, k.external_id FROM live_codes l JOIN live_code_members m ON m.code_id = l.id JOIN carriers k ON k.id = m.carrier_id
                WHERE l.workspace_id = @workspaceId AND l.kind = 'staff' AND l.status = 'active' AND k.kind = 'wecom_account' AND k.status = 'active'
                ORDER BY l.created_at, l.id, k.external_id
                """, new { workspaceId })).AsList();
            friends = (await connection.QueryAsync<FriendRow>(
                """
                SELECT i.customer_id, i.value AS external_id FROM identities i
                WHERE i.workspace_id = @workspaceId AND i.kind = 'wecom_external_userid' ORDER BY i.value LIMIT 5000
                """, new { workspaceId })).AsList();
        }

        var codeIds = codes.Select(c => c.Id).Distinct().ToList();
        if (codeIds.Count == 0 || friends.Count < 30)
            throw new ValidationFailedException("The demo's referral campaigns need a staff live code and at least 30 WeCom friends: set up acquisition first.");
        var random = new Random(20261126);
        var running = codeIds[0];
        var earlier = codeIds.Count > 1 ? codeIds[1] : codeIds[0];
        string AccountOf(Guid code) => codes.First(c => c.Id == code).ExternalId;

        var inviteeCoupon = await templates.CreateAsync(workspaceId, new CouponTemplateInput
        {
            Name = "好友见面礼 满99减15", Description = "老带新：被邀请的好友加导购企微后发放", Kind = CouponKinds.Threshold, Threshold = 99, Amount = 15, ValidDays = 14,
            PerCustomerLimit = 2, Stacking = CouponStacking.Stackable,
        }, Actor);
        var ladderCoupon = await templates.CreateAsync(workspaceId, new CouponTemplateInput
        {
            Name = "邀请有礼 满199减30", Description = "老带新阶梯奖励：成功邀请 3 位好友", Kind = CouponKinds.Threshold, Threshold = 199, Amount = 30, ValidDays = 30,
            PerCustomerLimit = 3, Stacking = CouponStacking.Exclusive,
        }, Actor);

        var shuffled = friends.OrderBy(_ => random.Next()).ToList();
        var seedCount = Math.Min(200, friends.Count / 3);
        var endedSeeds = shuffled.Skip(seedCount).Take(Math.Min(60, friends.Count / 6)).ToList();
        var outsiders = shuffled.Skip(seedCount + endedSeeds.Count).Take(12).ToList();
        var seeds = shuffled.Take(seedCount).ToList();
        var result = new Counter();
        var sim = new Simulation(database, workspaceId, now, random, visits, pipeline, result);

        // The earlier campaign: 双11 warm-up, five weeks ago, ended. It runs (and counts) while its invitations happen, then ends.
        var ended = await campaigns.CreateAsync(workspaceId, new ReferralCampaignInput
        {
            Name = "双11预热 · 老带新", Kind = ReferralKinds.Friend, Status = ReferralStatuses.Active, StartsAt = now.AddDays(-60), EndsAt = now.AddHours(1),
            LiveCodeId = earlier, SuccessRequires = [ReferralRequirements.Add], SuccessWithinDays = 7, RevokeWithinDays = 7, RewardMode = RewardModes.Instant,
            InviteeReward = new RewardSpec { Kind = RewardKinds.Coupon, TemplateId = inviteeCoupon.Id },
            Ladder = [new LadderStepInput { Threshold = 5, Reward = new RewardSpec { Kind = RewardKinds.Points, Points = 300, Cost = 3 } }],
            PosterTitle = "双11 提前购", PosterText = "邀好友加导购，各得满减券",
        }, Actor);
        var endedAt = now.AddDays(-32);
        await sim.SpreadAsync(ended.Id, AccountOf(earlier), await sim.JoinAsync(participants, ended.Id, endedSeeds, now.AddDays(-60), now.AddDays(-48)), endedAt, 1.0, bursts: 0);
        await campaigns.UpdateAsync(workspaceId, ended.Id, new ReferralCampaignInput { Status = ReferralStatuses.Ended, EndsAt = endedAt }, Actor);

        // The running campaign: three weeks in, ten days to go.
        var campaign = await campaigns.CreateAsync(workspaceId, new ReferralCampaignInput
        {
            Name = "冬季焕新 · 老带新", Kind = ReferralKinds.Friend, Status = ReferralStatuses.Active, StartsAt = now.AddDays(-21), EndsAt = now.AddDays(10),
            LiveCodeId = running, SuccessRequires = [ReferralRequirements.Add], SuccessWithinDays = 7, RevokeWithinDays = 7, RewardMode = RewardModes.Instant,
            InviteeReward = new RewardSpec { Kind = RewardKinds.Coupon, TemplateId = inviteeCoupon.Id },
            Ladder =
            [
                new LadderStepInput { Threshold = 3, Reward = new RewardSpec { Kind = RewardKinds.Coupon, TemplateId = ladderCoupon.Id } },
                new LadderStepInput { Threshold = 10, Reward = new RewardSpec { Kind = RewardKinds.Points, Points = 1000, Cost = 10 } },
                new LadderStepInput { Threshold = 30, Reward = new RewardSpec { Kind = RewardKinds.Gift, Gift = "羊绒围巾（驼色）", Cost = 129 }, Stock = 20 },
            ],
            VelocityPerHour = 6, VelocityPerDay = 30, PosterTitle = "冬季焕新 邀友同享", PosterText = "好友加导购领 15 元券，你邀满 3 / 10 / 30 人得好礼",
        }, Actor);
        var account = AccountOf(running);
        var generation = await sim.JoinAsync(participants, campaign.Id, seeds, now.AddDays(-21), now.AddDays(-9));
        var invitees = await sim.SpreadAsync(campaign.Id, account, generation, now, 1.0, bursts: 3);
        // Some invitees share their own poster a day or three after they came: generations 2 and 3.
        for (var (depth, share) = (2, 0.16); depth <= 3; depth++, share = 0.22)
        {
            var sharers = invitees.Where(i => random.NextDouble() < share && i.State == InvitationStates.Succeeded && i.At < now.AddDays(-3)).ToList();
            generation = [];
            foreach (var sharer in sharers)
            {
                var joined = await sim.JoinInviteeAsync(participants, campaign.Id, sharer, sharer.At.AddHours(12 + (random.NextDouble() * 48)));
                if (joined is not null)
                    generation.Add(joined);
            }

            invitees = await sim.SpreadAsync(campaign.Id, account, generation, now, depth == 2 ? 0.8 : 0.6, bursts: 0);
        }

        // A few leave the guide within the week (revoked); one seed adds through their own code; some customers come in again.
        var events = new List<EventRecord>();
        foreach (var (external, at) in sim.Invited.Where(i => i.CampaignId == campaign.Id && !sim.Joined.Contains(i.External) && random.NextDouble() < 0.06)
                     .Select(i => (i.External, At: i.At.AddHours(6 + (random.NextDouble() * 24 * 5)))).Where(i => i.At < now))
            events.Add(sim.Event(TrackedEvents.RelationshipEnded, external, at, new JsonObject { ["carrier_kind"] = CarrierKinds.WecomAccount, ["carrier_id"] = account, ["ended_by"] = EndedBy.Customer }));
        var firsts = sim.Participants.Where(p => p.CampaignId == campaign.Id && p.Generation == 1).ToList();
        foreach (var seed in firsts)
        {
            if (await sim.FriendOfAsync(seed.Participant.CustomerId, account))
                continue;
            events.Add(sim.Added(seed.External!, account, seed.Participant.State, now.AddDays(-2)));
            break;
        }

        var again = 0;
        foreach (var outsider in outsiders)
        {
            if (again == 4)
                break;
            if (await sim.FriendOfAsync(outsider.CustomerId, account))
                continue;
            events.Add(sim.Added(outsider.ExternalId, account, firsts[again % firsts.Count].Participant.State, now.AddDays(-4 + again)));
            again++;
        }
        await sim.ApplyAsync(events);

        return new Result(campaign.Id, ended.Id, result.Participants, result.Invitations, result.Views);
    }

    private sealed class Counter
    {
        public int Participants { get; set; }
        public int Invitations { get; set; }
        public int Views { get; set; }
    }

    private sealed record Sharer(Guid CampaignId, ReferralParticipant Participant, string? External, int Generation, DateTimeOffset From);

    private sealed record Invitee(Guid CampaignId, Guid CustomerId, string External, DateTimeOffset At, string? State = null);

    private sealed class Simulation(Database database, Guid workspaceId, DateTimeOffset now, Random random, ReferralVisits visits, DemoEvents pipeline, Counter counter)
    {
        public List<Sharer> Participants { get; } = [];
        public List<Invitee> Invited { get; } = [];
        public HashSet<string> Joined { get; } = new(StringComparer.Ordinal);

        public async Task<List<Sharer>> JoinAsync(ReferralParticipants participants, Guid campaignId, List<FriendRow> seeds, DateTimeOffset from, DateTimeOffset to)
        {
            var joined = new List<Sharer>();
            foreach (var seed in seeds)
            {
                var at = from + ((to - from) * random.NextDouble());
                var (participant, _) = await participants.JoinAsync(workspaceId, campaignId, seed.CustomerId);
                await BackdateAsync(participant.Id, at);
                joined.Add(new Sharer(campaignId, participant, seed.ExternalId, 1, at));
            }

            Participants.AddRange(joined);
            counter.Participants += joined.Count;
            return joined;
        }

        /// <summary>An invitee joins to share their own poster: the participant is their inviter's next generation.</summary>
        public async Task<Sharer?> JoinInviteeAsync(ReferralParticipants participants, Guid campaignId, Invitee invitee, DateTimeOffset at)
        {
            if (at >= now.AddHours(-6))
                return null;
            var (participant, _) = await participants.JoinAsync(workspaceId, campaignId, invitee.CustomerId);
            await BackdateAsync(participant.Id, at);
            var sharer = new Sharer(campaignId, participant, invitee.External, participant.Generation, at);
            Participants.Add(sharer);
            Joined.Add(invitee.External);
            counter.Participants++;
            return sharer;
        }

        /// <summary>
        /// Each sharer's poster is viewed (most share a little, a few a lot) and about one view in five becomes an add
        /// through their state; <paramref name="bursts"/> eager sharers bring nine friends within the hour. Returns the invitees.
        /// </summary>
        public async Task<List<Invitee>> SpreadAsync(Guid campaignId, string account, List<Sharer> sharers, DateTimeOffset until, double intensity, int bursts)
        {
            var events = new List<EventRecord>();
            var added = new List<(Sharer Sharer, string External, DateTimeOffset At)>();
            foreach (var (sharer, index) in sharers.Select((s, i) => (s, i)))
            {
                var roll = random.NextDouble();
                var views = (int)Math.Round((roll < 0.4 ? random.Next(0, 3) : roll < 0.85 ? random.Next(3, 13) : random.Next(15, 45)) * intensity);
                var span = Math.Max(0.5, Math.Min(9, (until - sharer.From).TotalDays));
                for (var v = 0; v < views; v++)
                {
                    var at = sharer.From.AddDays(Math.Pow(random.NextDouble(), 1.6) * span);
                    if (at >= until || at >= now)
                        continue;
                    if (await visits.RecordAsync(sharer.Participant, $"demo-visitor-{random.NextInt64():x}", at))
                        counter.Views++;
                    if (random.NextDouble() < 0.2)
                        added.Add((sharer, NewExternal(), at.AddMinutes(2 + random.Next(40))));
                }

                // An eager sharer posts in a busy group: nine adds inside the hour, past the campaign's 6 an hour.
                if (index < bursts)
                {
                    var start = sharer.From.AddDays(1 + random.NextDouble());
                    for (var b = 0; b < 9 && start < now; b++)
                        added.Add((sharer, NewExternal(), start.AddMinutes(b * 5 + random.Next(4))));
                }
            }

            var invitees = new List<Invitee>();
            foreach (var (sharer, external, at) in added.Where(a => a.At < until && a.At < now))
            {
                events.Add(Added(external, account, sharer.Participant.State, at));
                // Their name, as the mini-program reports it once they open it.
                events.Add(Identify(external, Surnames[random.Next(Surnames.Length)] + Given[random.Next(Given.Length)], at.AddMinutes(3)));
                invitees.Add(new Invitee(campaignId, Guid.Empty, external, at));
            }

            await ApplyAsync(events);
            counter.Invitations += invitees.Count;
            var resolved = await ResolveAsync(invitees);
            Invited.AddRange(resolved);
            return resolved;
        }

        public EventRecord Added(string external, string account, string state, DateTimeOffset at) =>
            Event(TrackedEvents.RelationshipStarted, external, at,
                new JsonObject { ["carrier_kind"] = CarrierKinds.WecomAccount, ["carrier_id"] = account, ["state"] = state, ["source"] = "wecom" });

        public EventRecord Event(string name, string external, DateTimeOffset at, JsonObject properties)
        {
            var id = $"demo-referral-{name.Replace(' ', '-').ToLowerInvariant()}-{external}-{at.ToUnixTimeMilliseconds()}";
            var message = new JsonObject
            {
                ["type"] = "track", ["event"] = name, ["messageId"] = id, ["timestamp"] = at.ToString("O", CultureInfo.InvariantCulture),
                ["context"] = new JsonObject { ["traits"] = new JsonObject { ["wecom_external_userid"] = external } },
                ["properties"] = properties,
            };
            return new EventRecord(workspaceId, id, "track", now, at, message.ToJsonString());
        }

        private EventRecord Identify(string external, string name, DateTimeOffset at)
        {
            var id = $"demo-referral-name-{external}";
            var message = new JsonObject
            {
                ["type"] = "identify", ["messageId"] = id, ["anonymousId"] = "demo-ref-" + external, ["timestamp"] = at.ToString("O", CultureInfo.InvariantCulture),
                ["traits"] = new JsonObject { ["name"] = name, ["wecom_external_userid"] = external },
            };
            return new EventRecord(workspaceId, id, "identify", now, at, message.ToJsonString());
        }

        public Task ApplyAsync(List<EventRecord> batch) => pipeline.ApplyAsync(batch);

        private string NewExternal() => "wmRef" + random.NextInt64().ToString("x14", CultureInfo.InvariantCulture);

        private async Task<List<Invitee>> ResolveAsync(List<Invitee> invitees)
        {
            var found = new List<Invitee>();
            await using var connection = await database.OpenAsync();
            foreach (var invitee in invitees)
            {
                var customerId = await connection.ExecuteScalarAsync<Guid?>(
                    "SELECT customer_id FROM identities WHERE workspace_id = @workspaceId AND kind = 'wecom_external_userid' AND value = @value",
                    new { workspaceId, value = invitee.External });
                if (customerId is not { } id)
                    continue;
                var state = await connection.ExecuteScalarAsync<string?>(
                    "SELECT state FROM referral_invitations WHERE campaign_id = @campaignId AND invitee_customer_id = @id", new { campaignId = invitee.CampaignId, id });
                found.Add(invitee with { CustomerId = id, State = state });
            }

            return found;
        }

        /// <summary>Whether the customer is a friend of the account now (a new add to it would not start a relationship).</summary>
        public async Task<bool> FriendOfAsync(Guid customerId, string account)
        {
            await using var connection = await database.OpenAsync();
            return await connection.ExecuteScalarAsync<int>(
                """
                SELECT COUNT(*) FROM relationships r JOIN carriers k ON k.id = r.carrier_id
                WHERE r.customer_id = @customerId AND r.state = 'active' AND k.kind = 'wecom_account' AND k.external_id = @account AND k.workspace_id = @workspaceId
                """, new { customerId, account, workspaceId }) > 0;
        }

        /// <summary>Joining happens now; the story has them join earlier.</summary>
        private async Task BackdateAsync(Guid participantId, DateTimeOffset at)
        {
            await using var connection = await database.OpenAsync();
            await connection.ExecuteAsync("UPDATE referral_participants SET joined_at = @at WHERE id = @participantId", new { at, participantId });
        }
    }

    private sealed class CodeRow
    {
        public Guid Id { get; init; }
        public string ExternalId { get; init; } = "";
    }

    private sealed class FriendRow
    {
        public Guid CustomerId { get; init; }
        public string ExternalId { get; init; } = "";
    }
}
