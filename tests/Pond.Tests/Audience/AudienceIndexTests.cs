using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Pond.Audience;
using Pond.Storage;
using Pond.Tests.Ingestion;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Audience;

/// <summary>
/// The columnar index must answer every rule exactly as the plain evaluator over the database does,
/// whether evaluated for everyone at once or one customer at a time, and whether it was built from
/// scratch or kept current change by change.
/// </summary>
public sealed class AudienceIndexTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task RandomRules_IndexAgreesWithPlainEvaluation(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var now = DateTimeOffset.UtcNow;
        var scene = await AudienceScene.BuildAsync(server, customers: 220, seed: 7, now);
        var audience = await server.Service<AudienceIndex>().GetAsync(server.Workspace.Id);
        var reference = await ReferenceEvaluator.LoadAsync(server.Service<Database>(), server.Workspace.Id);

        var random = new Random(11);
        var nonTrivial = 0;
        for (var i = 0; i < 400; i++)
        {
            var json = scene.RandomRule(random);
            var rule = SegmentRuleParser.Parse(AudienceScene.Element(json), Shanghai);
            var expected = reference.Members(rule, now);
            var bulk = Members(audience, RuleEvaluator.Evaluate(audience, rule, now));
            bulk.ShouldBe(expected, ignoreOrder: true, customMessage: json.ToJsonString());
            var one = Enumerable.Range(0, audience.Count).Where(o => RuleEvaluator.Matches(audience, rule, o, now)).Select(audience.IdOf).ToHashSet();
            one.ShouldBe(expected, ignoreOrder: true, customMessage: "one by one: " + json.ToJsonString());
            if (expected.Count > 0 && expected.Count < audience.PoolSize)
                nonTrivial++;
        }

        // The generator must produce rules that split the pool, or agreement would prove little.
        nonTrivial.ShouldBeGreaterThan(150);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task KeptCurrent_GivesTheSameMembershipsAsARebuild(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var now = DateTimeOffset.UtcNow;
        var scene = await AudienceScene.BuildAsync(server, customers: 150, seed: 3, now);
        var engineIndex = server.Service<AudienceIndex>();
        var live = await engineIndex.GetAsync(server.Workspace.Id);

        // Changes of every kind after the index was built: new customers, new events, changed traits,
        // ended relationships, opt-outs, and merges (an alias joining two customers with events).
        await AudienceScene.BuildAsync(server, customers: 60, seed: 4, now, onto: scene);
        using (var client = server.Workspace.TrackingClient())
        {
            var batch = new List<object>();
            for (var i = 0; i < 40; i++)
            {
                var user = scene.UserIds[i];
                batch.Add(new { type = "identify", userId = user, traits = new { city = i % 2 == 0 ? "深圳" : null, age = 30 + i, marketing_opt_out = i % 7 == 0 } });
                batch.Add(new { type = "track", userId = user, @event = "Order Completed", properties = new { revenue = 99.5 + i, channel = "store" } });
                batch.Add(new { type = "track", userId = user, @event = "Relationship Ended", properties = new { carrier_kind = "wecom_account", carrier_id = "wx-a" } });
            }

            for (var i = 40; i < 50; i++)
                batch.Add(new { type = "alias", userId = scene.UserIds[i], previousId = $"user-4-{i}" });
            await client.SendOkAsync("/v1/batch", new { batch });
        }

        await server.ProcessAsync();
        await server.Service<AudienceEngine>().CatchUpAsync();

        var rebuilt = await new AudienceIndex(new AudienceStore(server.Service<Database>()), NullLogger<AudienceIndex>.Instance).GetAsync(server.Workspace.Id);
        var reference = await ReferenceEvaluator.LoadAsync(server.Service<Database>(), server.Workspace.Id);
        rebuilt.PoolSize.ShouldBe(live.PoolSize);
        var random = new Random(5);
        for (var i = 0; i < 300; i++)
        {
            var json = scene.RandomRule(random);
            var rule = SegmentRuleParser.Parse(AudienceScene.Element(json), Shanghai);
            var expected = reference.Members(rule, now);
            Members(live, RuleEvaluator.Evaluate(live, rule, now)).ShouldBe(expected, ignoreOrder: true, customMessage: "kept current: " + json.ToJsonString());
            Members(rebuilt, RuleEvaluator.Evaluate(rebuilt, rule, now)).ShouldBe(expected, ignoreOrder: true, customMessage: "rebuilt: " + json.ToJsonString());
        }
    }

    [Fact]
    public void InvalidRules_NameTheBadNode()
    {
        (string Rule, string Field, string Says)[] cases =
        [
            ("""[1]""", "rule", "must be an object"),
            ("""{"all": [{"trait": "city", "op": "eq", "value": "上海"}, {"trait": "age", "op": "gte"}]}""", "rule/all/1/value", "needs a number"),
            ("""{"any": [{"all": [{"tag": "x", "op": "maybe"}]}]}""", "rule/any/0/all/0/op", "'maybe' is not an op"),
            ("""{"all": [{"event": "Order Completed", "op": "gte", "value": 1.5}]}""", "rule/all/0/value", "whole number"),
            ("""{"not": {"depth": "deep"}}""", "rule/not/depth", "'deep' is not a depth"),
            ("""{"all": [{"trait": "city", "tag": "x"}]}""", "rule/all/0", "exactly one thing"),
            ("""{"all": [{"trait": "name", "op": "regex", "value": "(unclosed"}]}""", "rule/all/0/value", "not a valid regular expression"),
            ("""{"all": [{"rfm": "champions"}]}""", "rule/all/0/rfm", "'champions' is not one of"),
            ("""{"all": [{"event": "Signed In", "measure": "last", "within_days": 3, "op": "never"}]}""", "rule/all/0/within_days", "does not apply"),
            ("""{"all": [{"staff": "someone"}]}""", "rule/all/0/staff", "staff id"),
            ("""{"all": [], "any": []}""", "rule/any", "a group has only"),
            ("""{"all": [{"trait": "birthday", "op": "between", "value": [1, "2020-01-01"]}]}""", "rule/all/0/value", "both ends"),
        ];
        foreach (var (rule, field, says) in cases)
        {
            var error = Should.Throw<ValidationFailedException>(() => SegmentRuleParser.Parse(rule, Shanghai), rule);
            error.Field.ShouldBe(field, rule);
            error.Message.ShouldContain(says, Case.Insensitive, rule);
        }
    }

    [Fact]
    public void DeeplyNestedOrHugeRules_AreRefused()
    {
        JsonNode nested = new JsonObject { ["tag"] = "x" };
        for (var i = 0; i < 12; i++)
            nested = new JsonObject { ["not"] = nested };
        Should.Throw<ValidationFailedException>(() => SegmentRuleParser.Parse(AudienceScene.Element(nested), Shanghai)).Message.ShouldContain("levels deep");
        var many = new JsonArray();
        for (var i = 0; i < 101; i++)
            many.Add(new JsonObject { ["tag"] = $"t{i}" });
        Should.Throw<ValidationFailedException>(() => SegmentRuleParser.Parse(AudienceScene.Element(new JsonObject { ["any"] = many }), Shanghai))
            .Message.ShouldContain("at most 100 conditions");
    }

    private static HashSet<Guid> Members(WorkspaceAudience audience, BitSet set) => set.Ordinals().Select(audience.IdOf).ToHashSet();
}
