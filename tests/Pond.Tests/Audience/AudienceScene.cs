using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pond.Customers;
using Pond.Tests.Customers;
using Pond.Tests.Ingestion;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Audience;

/// <summary>
/// A workspace of randomly varied customers, built through the tracking API and the event processor like
/// real traffic: traits of every kind, relationships with staff accounts, a group and the official
/// account, tags, orders and sign-ins spread over the last 200 days.
/// </summary>
internal sealed class AudienceScene
{
    public static readonly string[] Cities = ["上海", "杭州", "北京", "成都", "Shanghai"];
    public static readonly string[] TagNames = ["敏感肌", "油皮", "通勤", "约会", "VIP", "新客"];
    public static readonly string[] Channels = ["mini_program", "tmall", "store"];

    public required Guid StaffA { get; init; }
    public required Guid StaffB { get; init; }
    public required Guid[] Carriers { get; init; }
    public required List<string> UserIds { get; init; }

    /// <summary>Builds the scene; with <paramref name="onto"/>, adds more customers to an existing one (same staff and carriers).</summary>
    public static async Task<AudienceScene> BuildAsync(PondServer server, int customers, int seed, DateTimeOffset now, AudienceScene? onto = null)
    {
        var random = new Random(seed);
        var ws = new CustomerSeed(server.Workspace);
        var staffA = onto?.StaffA ?? await ws.StaffAsync("导购A");
        var staffB = onto?.StaffB ?? await ws.StaffAsync("导购B");
        var carriers = onto?.Carriers ??
        [
            await ws.CarrierAsync(CarrierKinds.WecomAccount, "A的企微", "wx-a", staffA),
            await ws.CarrierAsync(CarrierKinds.WecomAccount, "B的企微", "wx-b", staffB),
            await ws.CarrierAsync(CarrierKinds.GroupChat, "福利群", "group-1", staffA),
            await ws.CarrierAsync(CarrierKinds.OfficialAccount, "公众号", "oa-1"),
        ];
        (string Kind, string External)[] carrierRefs =
            [(CarrierKinds.WecomAccount, "wx-a"), (CarrierKinds.WecomAccount, "wx-b"), (CarrierKinds.GroupChat, "group-1"), (CarrierKinds.OfficialAccount, "oa-1")];

        var messages = new List<object>();
        var userIds = new List<string>();
        var n = 0;
        string At(double daysAgo) => now.AddDays(-daysAgo).AddSeconds(-random.Next(0, 3600)).ToString("O", CultureInfo.InvariantCulture);
        for (var i = 0; i < customers; i++)
        {
            var userId = $"user-{seed}-{i}";
            userIds.Add(userId);
            var traits = new JsonObject();
            if (random.NextDouble() < 0.9)
                traits["gender"] = random.NextDouble() < 0.8 ? "female" : "male";
            if (random.NextDouble() < 0.85)
                traits["city"] = Cities[random.Next(Cities.Length)];
            if (random.NextDouble() < 0.8)
                traits["age"] = random.Next(16, 60);
            if (random.NextDouble() < 0.5)
                traits["age_text"] = random.Next(16, 60).ToString(CultureInfo.InvariantCulture);
            if (random.NextDouble() < 0.7)
                traits["birthday"] = now.AddDays(-random.Next(0, 40 * 365)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (random.NextDouble() < 0.3)
                traits["last_visit"] = now.AddDays(-random.Next(0, 90)).AddHours(-random.Next(0, 24)).ToString("O", CultureInfo.InvariantCulture);
            if (random.NextDouble() < 0.6)
                traits["vip"] = random.NextDouble() < 0.5;
            if (random.NextDouble() < 0.6)
                traits["nickname"] = random.NextDouble() < 0.5 ? $"Lily{random.Next(100)}" : $"小{(char)('a' + random.Next(26))}";
            if (random.NextDouble() < 0.1)
                traits["address"] = new JsonObject { ["street"] = "南京路" };
            if (random.NextDouble() < 0.05)
                traits["marketing_opt_out"] = true;
            messages.Add(new { type = "identify", userId, traits, messageId = $"m{seed}-{n++}", timestamp = At(random.Next(100, 300)) });
            foreach (var carrier in carrierRefs)
            {
                if (random.NextDouble() < 0.35)
                {
                    messages.Add(Track(userId, "Relationship Started", new { carrier_kind = carrier.Kind, carrier_id = carrier.External }, At(random.Next(50, 100))));
                    if (random.NextDouble() < 0.2)
                        messages.Add(Track(userId, "Relationship Ended", new { carrier_kind = carrier.Kind, carrier_id = carrier.External, ended_by = "customer" }, At(random.Next(1, 49))));
                }
            }

            var orders = random.Next(0, 5);
            for (var o = 0; o < orders; o++)
                messages.Add(Track(userId, "Order Completed", new { order_id = $"o{seed}-{i}-{o}", revenue = Math.Round(random.NextDouble() * 800, 2), channel = Channels[random.Next(3)], first = random.NextDouble() < 0.3 }, At(random.Next(0, 200))));
            var signIns = random.Next(0, 4);
            for (var s = 0; s < signIns; s++)
                messages.Add(Track(userId, "Signed In", new { source = random.NextDouble() < 0.7 ? "mini_program" : "app" }, At(random.Next(0, 60))));
            if (random.NextDouble() < 0.5)
                messages.Add(Track(userId, "Tag Added", new { tags = TagNames.Where(_ => random.NextDouble() < 0.3).ToArray() }, At(random.Next(0, 60))));
        }

        object Track(string userId, string name, object properties, string timestamp) =>
            new { type = "track", userId, @event = name, properties, messageId = $"m{seed}-{n++}", timestamp };

        using var client = server.Workspace.TrackingClient();
        foreach (var chunk in messages.Chunk(400))
            await client.SendOkAsync("/v1/batch", new { batch = chunk });
        await server.ProcessAsync();
        // RFM cells and lifecycle stages, as the score engine keeps them.
        await server.Service<Pond.Audience.Scores.ScoreEngine>().RecomputeAsync(server.Workspace.Id);
        return new AudienceScene { StaffA = staffA, StaffB = staffB, Carriers = carriers, UserIds = userIds };
    }

    /// <summary>A random rule over everything the scene has (and a few things it does not), as the JSON an operator would send.</summary>
    public JsonNode RandomRule(Random random, int depth = 0)
    {
        if (depth < 3 && random.NextDouble() < 0.35)
        {
            var children = new JsonArray();
            var count = random.Next(0, 4);
            for (var i = 0; i < count; i++)
                children.Add(RandomRule(random, depth + 1));
            return random.Next(3) switch
            {
                0 => new JsonObject { ["all"] = children },
                1 => new JsonObject { ["any"] = children },
                _ => new JsonObject { ["not"] = RandomRule(random, depth + 1) },
            };
        }

        T Pick<T>(params T[] items) => items[random.Next(items.Length)];
        var date = DateTimeOffset.UtcNow.AddDays(-random.Next(0, 15000)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return random.Next(15) switch
        {
            0 => new JsonObject { ["trait"] = "gender", ["op"] = Pick("eq", "ne"), ["value"] = Pick("female", "male", "x") },
            1 => new JsonObject { ["trait"] = Pick("city", "nickname"), ["op"] = Pick("in", "not_in"), ["value"] = new JsonArray(Pick(Cities), Pick(Cities), "Lily5") },
            2 => new JsonObject { ["trait"] = Pick("city", "nickname", "address"), ["op"] = Pick("contains", "regex", "exists", "not_exists"), ["value"] = Pick("海", "^Lily[0-4]", "小", "SHANG") },
            3 => new JsonObject { ["trait"] = Pick("age", "age_text", "missing"), ["op"] = Pick("gt", "gte", "lt", "lte", "eq", "ne"), ["value"] = random.Next(15, 62) },
            4 => new JsonObject { ["trait"] = "age", ["op"] = "between", ["value"] = new JsonArray(random.Next(15, 40), random.Next(30, 62)) },
            5 => new JsonObject { ["trait"] = Pick("birthday", "last_visit"), ["op"] = Pick("gt", "lt", "gte", "lte"), ["value"] = date },
            6 => new JsonObject { ["trait"] = Pick("birthday", "last_visit"), ["op"] = Pick("within_days", "older_than_days"), ["value"] = random.Next(0, 100) },
            7 => new JsonObject { ["trait"] = "vip", ["op"] = Pick("eq", "ne"), ["value"] = random.NextDouble() < 0.5 },
            8 => new JsonObject { ["tag"] = Pick([.. TagNames, "没有的标签"]), ["op"] = Pick("has", "lacks") },
            9 => Pick<JsonNode>(
                new JsonObject { ["depth"] = Pick("none", "fan", "community", "friend"), ["op"] = Pick("eq", "gte", "lte") },
                new JsonObject { ["carrier"] = Pick(Carriers).ToString() },
                new JsonObject { ["carrier_kind"] = Pick(CarrierKinds.WecomAccount, CarrierKinds.GroupChat, CarrierKinds.OfficialAccount, CarrierKinds.Sms) },
                new JsonObject { ["staff"] = Pick("any", StaffA.ToString(), StaffB.ToString()) },
                new JsonObject { ["owner"] = Pick("none", StaffA.ToString(), StaffB.ToString()) }),
            10 => RandomEvent(random),
            11 => new JsonObject { ["consent"] = Pick("subscribed", "opted_out") },
            12 => new JsonObject { ["lifecycle"] = new JsonArray(Pick("new", "first_order", "repeat", "loyal", "at_risk", "lost"), Pick("new", "repeat")) },
            13 => new JsonObject { ["rfm"] = new JsonArray(Pick(["important_value", "important_develop", "important_keep", "important_retain", "general_value", "general_develop", "general_keep", "general_retain"]), "general_retain") },
            _ => new JsonObject { ["rfm_score"] = Pick("r", "f", "m"), ["op"] = Pick("gte", "lt", "eq"), ["value"] = random.Next(1, 6) },
        };
    }

    private static JsonObject RandomEvent(Random random)
    {
        T Pick<T>(params T[] items) => items[random.Next(items.Length)];
        var e = new JsonObject { ["event"] = Pick("Order Completed", "Order Completed", "Signed In", "Never Sent") };
        if (random.NextDouble() < 0.4)
        {
            e["where"] = new JsonArray(Pick<JsonNode>(
                new JsonObject { ["property"] = "channel", ["op"] = Pick("eq", "ne"), ["value"] = Pick(Channels) },
                new JsonObject { ["property"] = "channel", ["op"] = Pick("in", "not_in"), ["value"] = new JsonArray(Pick(Channels), Pick(Channels)) },
                new JsonObject { ["property"] = "revenue", ["op"] = Pick("gt", "lte"), ["value"] = random.Next(0, 800) },
                new JsonObject { ["property"] = "source", ["op"] = Pick("eq", "contains"), ["value"] = Pick("mini", "mini_program", "app") },
                new JsonObject { ["property"] = Pick("first", "missing"), ["op"] = Pick("eq", "exists"), ["value"] = true }));
        }

        switch (random.Next(3))
        {
            case 0:
                e["measure"] = "count";
                if (random.NextDouble() < 0.6)
                    e["within_days"] = random.Next(1, 200);
                e["op"] = Pick("eq", "ne", "gt", "gte", "lt", "lte");
                e["value"] = random.Next(0, 4);
                break;
            case 1:
                e["measure"] = "sum";
                e["property"] = "revenue";
                if (random.NextDouble() < 0.5)
                    e["within_days"] = random.Next(1, 200);
                e["op"] = Pick("gte", "lt", "between");
                e["value"] = (string)e["op"]! == "between" ? new JsonArray(random.Next(0, 500), random.Next(500, 2000)) : random.Next(0, 2000);
                break;
            default:
                e["measure"] = "last";
                e["op"] = Pick("within_days", "older_than_days", "not_within_days", "never");
                e["value"] = random.Next(0, 120);
                break;
        }

        return e;
    }

    public static JsonElement Element(JsonNode node) => JsonSerializer.SerializeToElement(node);
}
