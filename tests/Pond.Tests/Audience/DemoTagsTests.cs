using Dapper;
using Pond.Audience;
using Pond.Server.Demo;
using Pond.Storage;
using Pond.Tests.Infrastructure;
using Pond.Workspaces;

namespace Pond.Tests.Audience;

public sealed class DemoTagsTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task DemoTags_PutSkinAndOccasionTagsOnMostCustomers_AndTheHistoryAgrees(DbEngine engine)
    {
        using var database = await TestDatabase.CreateMigratedAsync(engine);
        var audit = new AuditLog(database, TimeProvider.System);
        var workspaces = new WorkspaceService(database, TimeProvider.System, audit);
        var loaded = await new DemoBrand(database, workspaces, TimeProvider.System).LoadAsync(1_000);
        var changes = new AudienceChanges();
        await new DemoTags(new TagCatalog(database, changes, audit, TimeProvider.System), new CustomerTags(database, changes, TimeProvider.System), database)
            .SetUpAsync(loaded.Workspace.Id);

        await using var connection = await database.OpenAsync();
        var groups = (await connection.QueryAsync<string>("SELECT name FROM tag_groups ORDER BY sort_order")).AsList();
        groups.ShouldBe(["肤质", "兴趣", "生命周期"]);
        var skinTagged = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(DISTINCT ct.customer_id) FROM customer_tags ct JOIN tags t ON t.name = ct.tag JOIN tag_groups g ON g.id = t.group_id WHERE g.name = '肤质'");
        skinTagged.ShouldBeInRange(620, 820);
        // One skin type each.
        (await connection.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM (SELECT ct.customer_id FROM customer_tags ct JOIN tags t ON t.name = ct.tag JOIN tag_groups g ON g.id = t.group_id
                                  WHERE g.name = '肤质' GROUP BY ct.customer_id HAVING COUNT(*) > 1) x
            """)).ShouldBe(0);
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customer_tags WHERE tag = '通勤'")).ShouldBeInRange(300, 460);
        // Every tag a customer carries has its "added" entry, from the import, by the demo.
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customer_tags")).ShouldBe(
            await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM tag_history WHERE action = 'added' AND source = 'import' AND actor = 'demo'"));
    }
}
