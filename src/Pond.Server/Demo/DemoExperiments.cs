using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Pond.Channels;
using Pond.Customers;
using Pond.Experiments;
using Pond.Ingestion;
using Pond.Storage;

namespace Pond.Server.Demo;

/// <summary>
/// A hook A/B test on the demo brand: two dedicated live codes of the package-card channel (a ¥20 coupon against a ¥5
/// red packet), 2,400 visitors through the experiment's link (assigned by hash, routed by the variant's code), and the
/// adds WeCom reports for about 18% and 25% of them, applied through the event log like real callbacks. The planned
/// sample is reached, so the result page shows a verdict.
/// </summary>
internal static class DemoExperiments
{
    public const int Visitors = 2_400;

    public static async Task<Guid> SetUpAsync(IServiceProvider services, Guid workspaceId)
    {
        var database = services.GetRequiredService<Database>();
        var clock = services.GetRequiredService<TimeProvider>();
        var book = services.GetService<ExperimentBook>() ?? ActivatorUtilities.CreateInstance<ExperimentBook>(services);
        var codes = services.GetService<LiveCodeLanding>() ?? ActivatorUtilities.CreateInstance<LiveCodeLanding>(services);
        var landing = services.GetService<ExperimentLanding>() ?? ActivatorUtilities.CreateInstance<ExperimentLanding>(services, book, codes);

        Guid channelId;
        List<Guid> accounts;
        await using (var connection = await database.OpenAsync())
        {
            channelId = await connection.QueryFirstAsync<Guid>(
                "SELECT id FROM channels WHERE workspace_id = @workspaceId ORDER BY created_at", new { workspaceId });
            accounts = (await connection.QueryAsync<Guid>(
                "SELECT id FROM carriers WHERE workspace_id = @workspaceId AND kind = 'wecom_account' AND status = 'active' ORDER BY created_at LIMIT 3",
                new { workspaceId })).AsList();
            var now = clock.GetUtcNow();
            foreach (var (name, slug) in new[] { ("包裹卡 A/B·满减券", "demo-ab-coupon"), ("包裹卡 A/B·红包", "demo-ab-redpacket") })
            {
                var codeId = Guid.CreateVersion7();
                await connection.ExecuteAsync(
                    """
                    INSERT INTO live_codes (id, workspace_id, channel_id, kind, name, slug, state, strategy, created_at, updated_at)
                    VALUES (@codeId, @workspaceId, @channelId, 'staff', @name, @slug, @state, 'round_robin', @now, @now)
                    """, new { codeId, workspaceId, channelId, name, slug, state = "ab_" + slug, now });
                foreach (var (account, position) in accounts.Select((a, i) => (a, i)))
                    await connection.ExecuteAsync(
                        "INSERT INTO live_code_members (code_id, carrier_id, position, weight) VALUES (@codeId, @account, @position, 1)",
                        new { codeId, account, position });
            }
        }

        await using var read = await database.OpenAsync();
        var variantCodes = (await read.QueryAsync<CodeRow>(
            "SELECT id, state FROM live_codes WHERE workspace_id = @workspaceId AND slug IN ('demo-ab-coupon', 'demo-ab-redpacket') ORDER BY slug",
            new { workspaceId })).ToDictionary(c => c.Id);
        var coupon = variantCodes.Values.Single(c => c.State == "ab_demo-ab-coupon");
        var redPacket = variantCodes.Values.Single(c => c.State == "ab_demo-ab-redpacket");
        var experiment = await book.CreateAsync(workspaceId, new ExperimentInput
        {
            Name = "包裹卡钩子：满减券 vs 红包",
            Hypothesis = "A ¥5 red packet brings more adds per scan than a ¥20 coupon on the package card.",
            Kind = ExperimentKinds.LiveCode,
            PrimaryMetric = ExperimentMetrics.AddRate,
            Variants =
            [
                new VariantInput { Name = "满减券", CodeId = coupon.Id, Hook = "扫码领 ¥20 无门槛券" },
                new VariantInput { Name = "红包", CodeId = redPacket.Id, Hook = "扫码领 ¥5 微信红包" },
            ],
            SamplePerGroup = 1_000,
        }, "demo");
        experiment = await book.StartAsync(workspaceId, experiment.Id, "demo");

        var externalIds = (await read.QueryAsync<CarrierRow>(
            "SELECT id, external_id FROM carriers WHERE workspace_id = @workspaceId AND kind = 'wecom_account'", new { workspaceId })).ToDictionary(c => c.Id, c => c.ExternalId);
        var adds = new List<EventRecord>();
        for (var i = 0; i < Visitors; i++)
        {
            var visitor = $"demo-ab-visitor-{i}";
            var visit = await landing.EnterAsync(experiment.Slug!, visitor, null);
            if (visit?.Landing.Target is not { } target || !externalIds.TryGetValue(target.CarrierId, out var userId))
                continue;
            // The red packet converts better: about 25% of its visitors add, against 18% for the coupon.
            var rate = visit.Variant.Position == 0 ? 18 : 25;
            if (Bucket(visitor) >= rate)
                continue;
            var at = clock.GetUtcNow();
            var messageId = $"demo-ab-add-{i}";
            var message = new JsonObject
            {
                ["type"] = "track",
                ["event"] = TrackedEvents.RelationshipStarted,
                ["messageId"] = messageId,
                ["timestamp"] = at.ToString("O"),
                ["context"] = new JsonObject { ["traits"] = new JsonObject { ["wecom_external_userid"] = $"wm-ab-{i}" } },
                ["properties"] = new JsonObject
                {
                    ["carrier_kind"] = CarrierKinds.WecomAccount, ["carrier_id"] = userId, ["external_userid"] = $"wm-ab-{i}",
                    ["state"] = visit.Variant.Position == 0 ? coupon.State : redPacket.State, ["source"] = "wecom",
                },
            };
            adds.Add(new EventRecord(workspaceId, messageId, "track", at, at, message.ToJsonString()));
        }

        await using var events = new DemoEvents(services);
        await events.ApplyAsync(adds);
        return experiment.Id;
    }

    private static int Bucket(string visitor) => (int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(visitor)), 0) % 100);

    private sealed class CodeRow
    {
        public Guid Id { get; init; }
        public string State { get; init; } = "";
    }

    private sealed class CarrierRow
    {
        public Guid Id { get; init; }
        public string ExternalId { get; init; } = "";
    }
}
