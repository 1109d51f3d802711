using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pond.Bench.Channels;
using Pond.Customers;
using Pond.Fission;
using Pond.Ingestion;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Testing;
using Pond.Workspaces;

namespace Pond.Bench.Fission;

/// <summary>
/// What referral attribution costs the event processor: the same number of new-friend adds ("Relationship Started"
/// through /v1/track) applied in two workspaces of one server — plain adds through a live code's state, and adds
/// through referral participants' states, where each add also runs the anti-fraud checks, records the invitation,
/// issues the invitee's points and climbs the inviter's ladder (points at 3 and 10). Only the processor's apply time
/// is compared; afterwards the run checks that every referral add succeeded once and the ladders granted exactly
/// what the counts reached.
/// </summary>
internal static class ReferralBench
{
    public sealed record Settings(int Adds = 20_000, int Participants = 1_000, int Senders = 8);

    public sealed record Result(string Engine, int Adds, double PlainSeconds, double ReferralSeconds, long Invitations, long Rewards, bool Consistent)
    {
        public double PlainRate => Adds / PlainSeconds;
        public double ReferralRate => Adds / ReferralSeconds;
    }

    public static async Task<Result> RunAsync(DbEngine engine, Settings settings)
    {
        var root = Path.Combine(Path.GetTempPath(), $"pond-bench-{Guid.NewGuid():N}");
        try
        {
            var (app, address) = await BenchServer.StartAsync(engine, root);
            await using var _ = app;
            var processor = app.Services.GetRequiredService<EventProcessor>();
            var workspaces = app.Services.GetRequiredService<WorkspaceService>();
            var database = app.Services.GetRequiredService<Database>();

            var plain = await CallbackBench.SetUpAsync(app.Services, "plain");
            var referral = await CallbackBench.SetUpAsync(app.Services, "referral");
            var campaign = await app.Services.GetRequiredService<ReferralCampaigns>().CreateAsync(referral.Id, new ReferralCampaignInput
            {
                Name = "老带新 bench", Kind = ReferralKinds.Friend, Status = ReferralStatuses.Active, LiveCodeId = referral.CodeId,
                StartsAt = DateTimeOffset.UtcNow.AddDays(-1), EndsAt = DateTimeOffset.UtcNow.AddDays(30),
                InviteeReward = new RewardSpec { Kind = RewardKinds.Points, Points = 10 },
                Ladder = [new LadderStepInput { Threshold = 3, Reward = new RewardSpec { Kind = RewardKinds.Points, Points = 100 } },
                    new LadderStepInput { Threshold = 10, Reward = new RewardSpec { Kind = RewardKinds.Points, Points = 500 } }],
            }, "bench");

            // Inviters: existing customers (first seen a month ago), each joined to the campaign.
            var inviters = Enumerable.Range(0, settings.Participants).Select(_ => Guid.CreateVersion7()).ToList();
            await using (var connection = await database.OpenAsync())
            {
                await using var transaction = await connection.BeginTransactionAsync();
                var monthAgo = DateTimeOffset.UtcNow.AddDays(-30);
                await connection.ExecuteAsync(
                    "INSERT INTO customers (id, workspace_id, traits, first_seen_at, last_seen_at, created_at, updated_at) VALUES (@id, @ws, '{}', @at, @at, @at, @at)",
                    inviters.Select(id => new { id, ws = referral.Id, at = monthAgo }), transaction);
                await transaction.CommitAsync();
            }

            var participants = app.Services.GetRequiredService<ReferralParticipants>();
            var states = new List<string>();
            foreach (var inviter in inviters)
                states.Add((await participants.JoinAsync(referral.Id, campaign.Id, inviter)).Participant.State);

            var plainKey = await workspaces.CreateKeyAsync(plain.Id, ApiKeyKinds.Write, "bench", "bench");
            var referralKey = await workspaces.CreateKeyAsync(referral.Id, ApiKeyKinds.Write, "bench", "bench");
            var start = DateTimeOffset.UtcNow.AddMinutes(-30);
            List<byte[]> Adds(string prefix, Func<int, string> state) => Enumerable.Range(0, settings.Adds).Select(i => JsonSerializer.SerializeToUtf8Bytes(new
            {
                messageId = $"{prefix}-{i}", anonymousId = $"wm{prefix}{i:D7}", @event = TrackedEvents.RelationshipStarted,
                timestamp = start.AddMilliseconds(i).ToString("O", CultureInfo.InvariantCulture),
                context = new { traits = new { wecom_external_userid = $"wm{prefix}{i:D7}" } },
                properties = new { carrier_kind = CarrierKinds.WecomAccount, carrier_id = CallbackBench.UserIds[i % CallbackBench.UserIds.Length], state = state(i) },
            })).ToList();

            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = settings.Senders };
            using var client = new HttpClient(handler) { BaseAddress = address };
            Console.WriteLine($"{engine}: sending {settings.Adds:N0} plain and {settings.Adds:N0} referral adds…");
            await SendAllAsync(client, plainKey.PlainText, Adds("plain", _ => plain.State), settings.Senders);
            var plainSeconds = await ApplyAsync(processor, settings.Adds);
            await SendAllAsync(client, referralKey.PlainText, Adds("ref", i => states[i % states.Count]), settings.Senders);
            var referralSeconds = await ApplyAsync(processor, settings.Adds);

            await using var check = await database.OpenAsync();
            var succeeded = await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM referral_invitations WHERE campaign_id = @id AND state = 'succeeded'", new { id = campaign.Id });
            var successes = await check.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(successes), 0) FROM referral_participants WHERE campaign_id = @id", new { id = campaign.Id });
            var rewards = await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM referral_rewards WHERE campaign_id = @id AND state = 'issued'", new { id = campaign.Id });
            // Each participant brings adds / participants friends (round robin): both ladder steps where that reaches them.
            var perInviter = Enumerable.Range(0, settings.Participants).Select(p => settings.Adds / settings.Participants + (p < settings.Adds % settings.Participants ? 1 : 0));
            var expectedRewards = settings.Adds + perInviter.Sum(n => (n >= 3 ? 1 : 0) + (n >= 10 ? 1 : 0));
            var consistent = succeeded == settings.Adds && successes == settings.Adds && rewards == expectedRewards;
            Console.WriteLine($"{engine}: plain {settings.Adds / plainSeconds:N0} adds/s, referral {settings.Adds / referralSeconds:N0} adds/s; " +
                $"{succeeded:N0} invitations, {rewards:N0} rewards (expected {expectedRewards:N0})");
            await app.StopAsync();
            return new Result(engine.ToString(), settings.Adds, plainSeconds, referralSeconds, succeeded, rewards, consistent);
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    public static string Table(Settings settings, IReadOnlyList<Result> results)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{settings.Adds:N0} new-friend adds per side, {settings.Participants:N0} inviters. Load average at the end: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown")} on {Environment.ProcessorCount} cores.");
        text.AppendLine();
        text.AppendLine("| engine | plain adds applied/s | referral adds applied/s | referral ÷ plain | invitations | rewards issued | books consistent |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var r in results)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Engine} | {r.PlainRate:N0} | {r.ReferralRate:N0} | {r.ReferralRate / r.PlainRate:N2}× | {r.Invitations:N0} | {r.Rewards:N0} | {(r.Consistent ? "yes" : "NO")} |");
        return text.ToString();
    }

    private static async Task<double> ApplyAsync(EventProcessor processor, int expected)
    {
        var clock = Stopwatch.StartNew();
        var applied = await processor.ProcessPendingAsync();
        if (applied != expected)
            throw new InvalidOperationException($"applied {applied} of {expected} events.");
        return clock.Elapsed.TotalSeconds;
    }

    private static async Task SendAllAsync(HttpClient client, string key, List<byte[]> bodies, int senders)
    {
        var auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":")));
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, senders).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < bodies.Count)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = new ByteArrayContent(bodies[i]) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Authorization = auth;
                using var response = await client.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.OK)
                    throw new InvalidOperationException($"/v1/track: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }));
    }
}
