using Dapper;
using Pond.Audience;
using Pond.Storage;

namespace Pond.Server.Demo;

/// <summary>
/// The demo brand's tag catalog — 肤质 (skin type), 兴趣 (occasions she dresses for), 生命周期 (left for the lifecycle
/// rules) — and tags on most customers, as a survey import would have put them: through the tag service, so the catalog
/// counts and every customer's tag history agree. Deterministic (a fixed seed).
/// </summary>
internal sealed class DemoTags(TagCatalog catalog, CustomerTags tags, Database database)
{
    private const string Actor = "demo";

    private static readonly (string Name, string Description, int Order, (string Tag, string Description, double Share)[] Tags)[] Groups =
    [
        ("肤质", "会员问卷里的皮肤类型，决定推荐哪些面料与护理赠品", 10,
        [
            ("混合皮", "T 区偏油、两颊偏干", 0.25), ("油皮", "全脸易出油", 0.19), ("干皮", "易紧绷起皮", 0.17), ("敏感肌", "易泛红，赠品避开香精", 0.11),
        ]),
        ("兴趣", "她为哪些场合买衣服：决定推送的穿搭内容", 20,
        [
            ("通勤", "职场通勤穿搭", 0.38), ("约会", "约会与聚会", 0.22), ("运动", "瑜伽、跑步与户外", 0.17), ("度假", "旅行度假", 0.13),
        ]),
        ("生命周期", "新客 → 首单 → 复购 → 忠诚 → 流失预警 → 流失，由生命周期规则维护", 30, []),
    ];

    public async Task SetUpAsync(Guid workspaceId, CancellationToken cancellationToken = default)
    {
        List<Guid> customers;
        await using (var connection = await database.OpenAsync(cancellationToken))
            customers = (await connection.QueryAsync<Guid>("SELECT id FROM customers WHERE workspace_id = @workspaceId ORDER BY id", new { workspaceId })).AsList();

        var random = new Random(20261124);
        foreach (var (name, description, order, groupTags) in Groups)
        {
            var group = await catalog.CreateGroupAsync(workspaceId, new TagGroupInput { Name = name, Description = description, SortOrder = order }, Actor, cancellationToken);
            foreach (var (tag, tagDescription, _) in groupTags)
                await catalog.CreateTagAsync(workspaceId, new TagInput { Name = tag, GroupId = group.Id, Description = tagDescription }, Actor, cancellationToken);
        }

        // Skin type: one per customer who answered the survey (the shares add up to 72%).
        var skin = Groups[0].Tags;
        var bySkin = skin.ToDictionary(t => t.Tag, _ => new List<Guid>());
        foreach (var customer in customers)
        {
            var draw = random.NextDouble();
            foreach (var (tag, _, share) in skin)
            {
                if (draw < share)
                {
                    bySkin[tag].Add(customer);
                    break;
                }

                draw -= share;
            }
        }

        // Occasions: independent, so a customer may have none, one or several.
        var byInterest = Groups[1].Tags.ToDictionary(t => t.Tag, t => customers.Where(_ => random.NextDouble() < t.Share).ToList());
        foreach (var (tag, ids) in bySkin.Concat(byInterest))
            await tags.AddAsync(workspaceId, ids, tag, TagSources.Import, Actor, cancellationToken: cancellationToken);
    }
}
