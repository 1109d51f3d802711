using System.Net;
using System.Net.Http.Json;
using Dapper;
using Pond.Audience;
using Pond.Customers;
using Pond.Storage;
using Pond.Tests.Channels;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Audience;

/// <summary>
/// Tags over HTTP on both engines: the catalog (groups and tags), tagging by hand, in bulk, by event and by channel,
/// the tag history with who or what made each change, idempotency and concurrency, and who may see and change what.
/// </summary>
public sealed class TagsTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Catalog_GroupsAndTags_CreateUpdateMoveDelete_AndSayWhatToFix(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        var admin = server.Workspace.AdminClient();

        var skin = await (await admin.PostAsJsonAsync("/api/tag-groups", new { name = " 肤质 ", description = "皮肤类型", sortOrder = 10 })).ReadAsync<TagGroup>(HttpStatusCode.Created);
        var interest = await (await admin.PostAsJsonAsync("/api/tag-groups", new { name = "兴趣", sortOrder = 5 })).ReadAsync<TagGroup>(HttpStatusCode.Created);
        skin.Name.ShouldBe("肤质");
        (await admin.GetAsync<List<TagGroup>>("/api/tag-groups")).Select(g => g.Name).ShouldBe(["兴趣", "肤质"]);
        (await Problem(admin.PostAsJsonAsync("/api/tag-groups", new { name = "肤质" }), HttpStatusCode.Conflict)).ShouldContain("'肤质' exists already");
        (await Problem(admin.PostAsJsonAsync("/api/tag-groups", new { name = "" }), HttpStatusCode.BadRequest)).ShouldContain("1–50 characters");
        (await Problem(admin.PostAsJsonAsync("/api/tag-groups", new { name = "x", description = new string('d', 201) }), HttpStatusCode.BadRequest)).ShouldContain("200");

        var oily = await (await admin.PostAsJsonAsync("/api/tags", new { name = "油皮", groupId = skin.Id, description = "T 区出油" })).ReadAsync<CatalogTag>(HttpStatusCode.Created);
        (oily.GroupId, oily.GroupName, oily.Customers, oily.CreatedBy).ShouldBe((skin.Id, "肤质", 0L, "key:" + server.Workspace.SecretKey[..10]));
        var commute = await (await admin.PostAsJsonAsync("/api/tags", new { name = "通勤" })).ReadAsync<CatalogTag>(HttpStatusCode.Created);
        commute.GroupId.ShouldBeNull();

        // Tag names: what is wrong and what to do about it.
        (await Problem(admin.PostAsJsonAsync("/api/tags", new { name = "油皮" }), HttpStatusCode.Conflict)).ShouldContain("'油皮' exists already");
        (await Problem(admin.PostAsJsonAsync("/api/tags", new { name = "  " }), HttpStatusCode.BadRequest)).ShouldContain("1–50 characters");
        (await Problem(admin.PostAsJsonAsync("/api/tags", new { name = new string('长', 51) }), HttpStatusCode.BadRequest)).ShouldContain("51 characters long");
        (await Problem(admin.PostAsJsonAsync("/api/tags", new { name = "干皮|油皮" }), HttpStatusCode.BadRequest)).ShouldContain("'|' or ','");
        (await Problem(admin.PostAsJsonAsync("/api/tags", new { name = "干皮,油皮" }), HttpStatusCode.BadRequest)).ShouldContain("use another character");
        (await Problem(admin.PostAsJsonAsync("/api/tags", new { name = "干\n皮" }), HttpStatusCode.BadRequest)).ShouldContain("control character");
        (await Problem(admin.PostAsJsonAsync("/api/tags", new { name = "干皮", groupId = Guid.NewGuid() }), HttpStatusCode.BadRequest)).ShouldContain("No tag group");
        var field = await (await admin.PostAsJsonAsync("/api/tags", new { name = "a,b" })).ProblemAsync(HttpStatusCode.BadRequest);
        field.GetProperty("field").GetString().ShouldBe("name");

        // Move a tag to a group, rename a group, delete a group: its tags stay, ungrouped.
        var moved = await (await admin.PutAsJsonAsync($"/api/tags/{commute.Id}", new { name = "通勤", groupId = interest.Id })).ReadAsync<CatalogTag>();
        moved.GroupName.ShouldBe("兴趣");
        (await admin.GetAsync<TagGroup>($"/api/tag-groups/{interest.Id}")).Tags.ShouldBe(1);
        var renamed = await (await admin.PutAsJsonAsync($"/api/tag-groups/{interest.Id}", new { name = "兴趣爱好", sortOrder = 20 })).ReadAsync<TagGroup>();
        (renamed.Name, renamed.SortOrder).ShouldBe(("兴趣爱好", 20));
        (await Problem(admin.PutAsJsonAsync($"/api/tag-groups/{interest.Id}", new { name = "肤质" }), HttpStatusCode.Conflict)).ShouldContain("肤质");
        (await admin.DeleteAsync($"/api/tag-groups/{interest.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await admin.GetAsync<CatalogTag>($"/api/tags/{commute.Id}")).GroupId.ShouldBeNull();
        await (await admin.GetAsync($"/api/tag-groups/{interest.Id}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await admin.DeleteAsync($"/api/tag-groups/{interest.Id}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await admin.PutAsJsonAsync($"/api/tags/{Guid.NewGuid()}", new { name = "x" })).ProblemAsync(HttpStatusCode.NotFound);

        var tags = await admin.GetAsync<List<CatalogTag>>("/api/tags");
        tags.Select(t => (t.Name, t.GroupName)).ShouldBe([("通勤", null), ("油皮", "肤质")], ignoreOrder: true);
        var audit = await admin.GetAsync<List<AuditLog.Entry>>("/api/audit");
        audit.Select(e => e.Action).Where(a => a.StartsWith("tag", StringComparison.Ordinal))
            .ShouldBe(["tag_group.create", "tag_group.create", "tag.create", "tag.create", "tag.update", "tag_group.update", "tag_group.delete"], ignoreOrder: true);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ByHand_AddAndRemove_AreIdempotent_AndEveryChangeIsInTheHistory(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var admin = server.Workspace.AdminClient();
        var seed = new CustomerSeed(server.Workspace);
        var lily = await seed.CustomerAsync("莉莉");
        var operatorClient = await server.Workspace.MemberClientAsync(Roles.Operator);

        var tags = await (await admin.PostAsJsonAsync($"/api/customers/{lily}/tags", new { tags = new[] { " 油皮 ", "通勤", "通勤" } })).ReadAsync<List<TagView>>();
        tags.Select(t => (t.Tag, t.Source)).ShouldBe([("油皮", "api"), ("通勤", "api")], ignoreOrder: true);
        // Again: nothing changes and nothing is recorded.
        await (await admin.PostAsJsonAsync($"/api/customers/{lily}/tags", new { tags = new[] { "油皮" } })).ReadAsync<List<TagView>>();
        // By hand in the console's name (cookie), then removed.
        await (await operatorClient.PostAsJsonAsync($"/api/customers/{lily}/tags", new { tags = new[] { "约会" } })).ReadAsync<List<TagView>>();
        var left = await (await admin.DeleteAsync($"/api/customers/{lily}/tags/{Uri.EscapeDataString("通勤")}")).ReadAsync<List<TagView>>();
        left.Select(t => t.Tag).ShouldBe(["油皮", "约会"], ignoreOrder: true);
        await (await admin.DeleteAsync($"/api/customers/{lily}/tags/{Uri.EscapeDataString("通勤")}")).ReadAsync<List<TagView>>();

        var history = await admin.GetAsync<TagHistoryPage>($"/api/customers/{lily}/tag-history");
        history.Items.Select(h => (h.Tag, h.Action, h.Source)).ShouldBe([
            ("通勤", "removed", "api"), ("约会", "added", "manual"), ("通勤", "added", "api"), ("油皮", "added", "api"),
        ]);
        history.Items[1].Actor.ShouldStartWith("operator-");
        history.Items[0].Actor.ShouldStartWith("key:");
        history.Items.ShouldAllBe(h => h.CustomerId == lily && h.CustomerName == "莉莉");
        (await admin.GetAsync<List<TagView>>($"/api/customers/{lily}/tags")).Count.ShouldBe(2);

        // Cursor paging, one entry at a time, with no repeats and no gaps.
        var paged = new List<long>();
        string? cursor = null;
        do
        {
            var page = await admin.GetAsync<TagHistoryPage>($"/api/customers/{lily}/tag-history?limit=1" + (cursor is null ? "" : $"&cursor={cursor}"));
            paged.AddRange(page.Items.Select(i => i.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        paged.ShouldBe(history.Items.Select(i => i.Id).ToList());
        (await admin.GetAsync<TagHistoryPage>($"/api/tags/history?tag={Uri.EscapeDataString("通勤")}")).Items.Select(i => i.Action).ShouldBe(["removed", "added"]);

        // Tags used on customers are in the catalog, ungrouped, with their counts.
        var catalog = await admin.GetAsync<List<CatalogTag>>("/api/tags");
        catalog.Select(t => (t.Name, t.Customers)).ShouldBe([("油皮", 1L), ("约会", 1L), ("通勤", 0L)], ignoreOrder: true);
        catalog.ShouldAllBe(t => t.GroupId == null);

        (await Problem(admin.PostAsJsonAsync($"/api/customers/{lily}/tags", new { tags = new[] { "好|坏" } }), HttpStatusCode.BadRequest)).ShouldContain("'|' or ','");
        (await Problem(admin.PostAsJsonAsync($"/api/customers/{lily}/tags", new { tags = Array.Empty<string>() }), HttpStatusCode.BadRequest)).ShouldContain("at least one");
        (await Problem(admin.GetAsync($"/api/customers/{lily}/tag-history?cursor=nonsense"), HttpStatusCode.BadRequest)).ShouldContain("cursor");
        var stranger = Guid.NewGuid();
        (await Problem(admin.PostAsJsonAsync($"/api/customers/{stranger}/tags", new { tags = new[] { "油皮" } }), HttpStatusCode.NotFound)).ShouldContain(stranger.ToString());
        await (await admin.GetAsync($"/api/customers/{stranger}/tag-history")).ProblemAsync(HttpStatusCode.NotFound);
        (await server.CountAsync("SELECT COUNT(*) FROM tag_history")).ShouldBe(4);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Bulk_TenThousandCustomers_AddsOnce_RemovesOnce_AndRefusesStrangersOrTooMany(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        var admin = server.Workspace.AdminClient();
        var ids = await ManyCustomersAsync(server, server.Workspace.Id, 10_000);
        // Two already carry the tag: they do not change and get no history entry.
        await (await admin.PostAsJsonAsync($"/api/customers/{ids[0]}/tags", new { tags = new[] { "618 复购" } })).ReadAsync<List<TagView>>();
        await (await admin.PostAsJsonAsync($"/api/customers/{ids[9_999]}/tags", new { tags = new[] { "618 复购" } })).ReadAsync<List<TagView>>();

        var added = await (await admin.PostAsJsonAsync("/api/tags/bulk", new { tag = "618 复购", action = "add", customerIds = ids })).ReadAsync<TagChange>();
        (added.Requested, added.Changed, added.Action).ShouldBe((10_000, 9_998, "added"));
        (await server.CountAsync("SELECT COUNT(*) FROM customer_tags WHERE tag = '618 复购'")).ShouldBe(10_000);
        (await server.CountAsync("SELECT COUNT(*) FROM tag_history WHERE tag = '618 复购' AND source = 'bulk'")).ShouldBe(9_998);
        (await admin.GetAsync<List<CatalogTag>>("/api/tags")).Single().Customers.ShouldBe(10_000);

        var again = await (await admin.PostAsJsonAsync("/api/tags/bulk", new { tag = "618 复购", action = "add", customerIds = ids })).ReadAsync<TagChange>();
        again.Changed.ShouldBe(0);

        // One stranger among them: 404 naming it, and nothing is removed.
        var stranger = Guid.NewGuid();
        var withStranger = ids.Take(700).Append(stranger).ToList();
        (await Problem(admin.PostAsJsonAsync("/api/tags/bulk", new { tag = "618 复购", action = "remove", customerIds = withStranger }), HttpStatusCode.NotFound))
            .ShouldContain(stranger.ToString());
        (await server.CountAsync("SELECT COUNT(*) FROM customer_tags WHERE tag = '618 复购'")).ShouldBe(10_000);

        var removed = await (await admin.PostAsJsonAsync("/api/tags/bulk", new { tag = "618 复购", action = "remove", customerIds = ids })).ReadAsync<TagChange>();
        removed.Changed.ShouldBe(10_000);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_tags")).ShouldBe(0);
        (await server.CountAsync("SELECT COUNT(*) FROM tag_history WHERE action = 'removed'")).ShouldBe(10_000);

        var tooMany = ids.Append(Guid.NewGuid()).ToList();
        (await Problem(admin.PostAsJsonAsync("/api/tags/bulk", new { tag = "x", action = "add", customerIds = tooMany }), HttpStatusCode.BadRequest)).ShouldContain("at most 10,000");
        (await Problem(admin.PostAsJsonAsync("/api/tags/bulk", new { tag = "x", action = "toggle", customerIds = ids.Take(1) }), HttpStatusCode.BadRequest)).ShouldContain("\"add\" or \"remove\"");
        (await Problem(admin.PostAsJsonAsync("/api/tags/bulk", new { tag = "x", action = "add", customerIds = Array.Empty<Guid>() }), HttpStatusCode.BadRequest)).ShouldContain("customerIds is empty");
        (await Problem(admin.PostAsJsonAsync("/api/tags/bulk", new { tag = "x,y", action = "add", customerIds = ids.Take(1) }), HttpStatusCode.BadRequest)).ShouldContain("'|' or ','");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ByEvent_TagAddedAndRemoved_ThroughTheTrackingApi_SkipInvalidNames(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var tracking = server.Workspace.TrackingClient();
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        await tracking.SendOkAsync("/v1/track", new { userId = "u-1", @event = "Tag Added", properties = new { tag = "敏感肌" }, timestamp = IngestionKit.Iso(at) });
        await tracking.SendOkAsync("/v1/track", new
        {
            userId = "u-1", @event = "Tag Added", properties = new { tags = new object[] { "通勤", "坏|标签", 42, " 约会 ", "" } }, timestamp = IngestionKit.Iso(at.AddSeconds(1)),
        });
        await tracking.SendOkAsync("/v1/track", new { userId = "u-1", @event = "Tag Removed", properties = new { tags = new[] { "通勤", "从没有过" } }, timestamp = IngestionKit.Iso(at.AddSeconds(2)) });
        await tracking.SendOkAsync("/v1/track", new { userId = "u-1", @event = "Tag Added", properties = new { tag = "敏感肌" }, timestamp = IngestionKit.Iso(at.AddSeconds(3)) });
        await server.ProcessAsync();

        var customer = (await server.CustomerOfAsync(server.Workspace.Id, IdentityKinds.UserId, "u-1"))!.Value;
        var admin = server.Workspace.AdminClient();
        var detail = await admin.GetAsync<CustomerDetail>($"/api/customers/{customer}");
        detail.Tags.Select(t => (t.Tag, t.Source)).ShouldBe([("敏感肌", "event"), ("约会", "event")], ignoreOrder: true);
        detail.Tags.Single(t => t.Tag == "敏感肌").CreatedAt.ToUnixTimeMilliseconds().ShouldBe(at.ToUnixTimeMilliseconds());
        var history = await admin.GetAsync<TagHistoryPage>($"/api/customers/{customer}/tag-history");
        history.Items.Select(h => (h.Tag, h.Action)).ShouldBe([("通勤", "removed"), ("约会", "added"), ("通勤", "added"), ("敏感肌", "added")]);
        history.Items.ShouldAllBe(h => h.Source == "event" && h.Actor == null);
        // Every event is on the timeline, the one with a bad name too.
        (await admin.GetAsync<TimelinePage>($"/api/customers/{customer}/events")).Items.Count(e => e.Name is "Tag Added" or "Tag Removed").ShouldBe(4);
        (await admin.GetAsync<List<CatalogTag>>("/api/tags")).Select(t => t.Name).ShouldBe(["敏感肌", "约会", "通勤"], ignoreOrder: true);

        // Replaying the log applies nothing twice.
        await server.ExecuteAsync("UPDATE processor_checkpoints SET position = 0");
        await server.ProcessAsync();
        (await server.CountAsync("SELECT COUNT(*) FROM tag_history")).ShouldBe(4);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ByChannel_TheChannelsTags_AreInTheHistory_AsChannelSource(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        using var visitor = setup.NewVisitor();
        var (_, carrier) = await setup.VisitAsync(visitor);
        var account = setup.Accounts.Single(a => a.Id == carrier);
        await setup.CallbackOkAsync(setup.WeCom.AddExternalContact(account.ExternalId, "wmTagged", DateTimeOffset.UtcNow, setup.Code.Code.State, "WELCOME-T"));
        await setup.ProcessAsync();

        var customer = (await server.CustomerOfAsync(setup.WorkspaceId, IdentityKinds.WecomExternalUserId, "wmTagged"))!.Value;
        var history = await setup.Admin.GetAsync<TagHistoryPage>($"/api/customers/{customer}/tag-history");
        history.Items.Select(h => (h.Tag, h.Action, h.Source, h.Actor)).ShouldBe(
            [("包裹卡", "added", "channel:双11包裹卡", null), ("双11", "added", "channel:双11包裹卡", null)], ignoreOrder: true);
        (await setup.Admin.GetAsync<List<CatalogTag>>("/api/tags")).Select(t => (t.Name, t.Customers)).ShouldBe([("包裹卡", 1L), ("双11", 1L)], ignoreOrder: true);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ConcurrentAdds_OfTheSameTag_GiveOneRowAndOneHistoryEntry(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        var admin = server.Workspace.AdminClient();
        var lily = await new CustomerSeed(server.Workspace).CustomerAsync("莉莉");
        var others = await ManyCustomersAsync(server, server.Workspace.Id, 600);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => i % 2 == 0
            ? admin.PostAsJsonAsync($"/api/customers/{lily}/tags", new { tags = new[] { "双11" } })
            : admin.PostAsJsonAsync("/api/tags/bulk", new { tag = "双11", action = "add", customerIds = others.Append(lily) })));
        foreach (var response in responses)
            response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());

        (await server.CountAsync("SELECT COUNT(*) FROM customer_tags WHERE customer_id = @lily", new { lily })).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM tag_history WHERE customer_id = @lily", new { lily })).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM tag_history")).ShouldBe(601);
        (await server.CountAsync("SELECT COUNT(*) FROM tags")).ShouldBe(1);
        var bulkChanges = 0;
        foreach (var response in responses.Where((_, i) => i % 2 == 1))
            bulkChanges += (await response.ReadAsync<TagChange>()).Changed;
        bulkChanges.ShouldBeLessThanOrEqualTo(601);
        bulkChanges.ShouldBeGreaterThanOrEqualTo(600);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Roles_StaffTagOnlyTheirOwnCustomers_AnalystsOnlyRead(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var mei = await seed.StaffAsync("小美");
        var hers = await seed.CustomerAsync("小美的客户", owner: mei);
        var notHers = await seed.CustomerAsync("别人的客户");
        var admin = server.Workspace.AdminClient();
        await (await admin.PostAsJsonAsync($"/api/customers/{notHers}/tags", new { tags = new[] { "油皮" } })).ReadAsync<List<TagView>>();
        var staff = await server.Workspace.MemberClientAsync(Roles.Staff, mei);
        var analyst = await server.Workspace.MemberClientAsync(Roles.Analyst);

        var tagged = await (await staff.PostAsJsonAsync($"/api/customers/{hers}/tags", new { tags = new[] { "油皮" } })).ReadAsync<List<TagView>>();
        tagged.Single().Source.ShouldBe("manual");
        await (await staff.PostAsJsonAsync($"/api/customers/{notHers}/tags", new { tags = new[] { "干皮" } })).ProblemAsync(HttpStatusCode.NotFound);
        await (await staff.DeleteAsync($"/api/customers/{notHers}/tags/{Uri.EscapeDataString("油皮")}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await staff.GetAsync($"/api/customers/{notHers}/tag-history")).ProblemAsync(HttpStatusCode.NotFound);
        await (await staff.PostAsJsonAsync("/api/tags/bulk", new { tag = "干皮", action = "add", customerIds = new[] { hers, notHers } })).ProblemAsync(HttpStatusCode.NotFound);
        (await staff.PostAsJsonAsync("/api/tags/bulk", new { tag = "干皮", action = "add", customerIds = new[] { hers } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        // Staff read the catalog with counts over their own customers, and only their customers' history.
        (await staff.GetAsync<List<CatalogTag>>("/api/tags")).Single(t => t.Name == "油皮").Customers.ShouldBe(1);
        (await admin.GetAsync<List<CatalogTag>>("/api/tags")).Single(t => t.Name == "油皮").Customers.ShouldBe(2);
        (await staff.GetAsync<TagHistoryPage>("/api/tags/history")).Items.ShouldAllBe(h => h.CustomerId == hers);
        // The catalog is the operators' to change.
        (await staff.PostAsJsonAsync("/api/tag-groups", new { name = "肤质" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await staff.PostAsJsonAsync("/api/tags", new { name = "x" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        (await analyst.GetAsync<List<CatalogTag>>("/api/tags")).Count.ShouldBe(2);
        (await analyst.GetAsync<TagHistoryPage>($"/api/customers/{hers}/tag-history")).Items.Count.ShouldBe(2);
        (await Problem(analyst.PostAsJsonAsync($"/api/customers/{hers}/tags", new { tags = new[] { "x" } }), HttpStatusCode.Forbidden)).ShouldContain("read tags but not change");
        (await analyst.DeleteAsync($"/api/customers/{hers}/tags/{Uri.EscapeDataString("油皮")}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await analyst.PostAsJsonAsync("/api/tags/bulk", new { tag = "x", action = "add", customerIds = new[] { hers } })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await analyst.PostAsJsonAsync("/api/tag-groups", new { name = "肤质" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_tags")).ShouldBe(3);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Workspaces_SeeAndChangeOnlyTheirOwnTags(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        var other = await server.CreateWorkspaceAsync("rose");
        var lily = await new CustomerSeed(server.Workspace).CustomerAsync("莉莉");
        var rose = await new CustomerSeed(other).CustomerAsync("玫瑰");
        var admin = server.Workspace.AdminClient();
        var otherAdmin = other.AdminClient();
        var group = await (await admin.PostAsJsonAsync("/api/tag-groups", new { name = "肤质" })).ReadAsync<TagGroup>(HttpStatusCode.Created);
        var tag = await (await admin.PostAsJsonAsync("/api/tags", new { name = "油皮", groupId = group.Id })).ReadAsync<CatalogTag>(HttpStatusCode.Created);
        await (await admin.PostAsJsonAsync($"/api/customers/{lily}/tags", new { tags = new[] { "油皮" } })).ReadAsync<List<TagView>>();

        // The same names are free in another workspace.
        await (await otherAdmin.PostAsJsonAsync("/api/tag-groups", new { name = "肤质" })).ReadAsync<TagGroup>(HttpStatusCode.Created);
        await (await otherAdmin.PostAsJsonAsync($"/api/customers/{rose}/tags", new { tags = new[] { "油皮" } })).ReadAsync<List<TagView>>();

        await (await otherAdmin.PostAsJsonAsync($"/api/customers/{lily}/tags", new { tags = new[] { "x" } })).ProblemAsync(HttpStatusCode.NotFound);
        await (await otherAdmin.PostAsJsonAsync("/api/tags/bulk", new { tag = "x", action = "add", customerIds = new[] { lily } })).ProblemAsync(HttpStatusCode.NotFound);
        await (await otherAdmin.GetAsync($"/api/customers/{lily}/tag-history")).ProblemAsync(HttpStatusCode.NotFound);
        await (await otherAdmin.GetAsync($"/api/tags/{tag.Id}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await otherAdmin.PutAsJsonAsync($"/api/tags/{tag.Id}", new { name = "干皮" })).ProblemAsync(HttpStatusCode.NotFound);
        await (await otherAdmin.DeleteAsync($"/api/tags/{tag.Id}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await otherAdmin.DeleteAsync($"/api/tag-groups/{group.Id}")).ProblemAsync(HttpStatusCode.NotFound);
        (await Problem(otherAdmin.PostAsJsonAsync("/api/tags", new { name = "干皮", groupId = group.Id }), HttpStatusCode.BadRequest)).ShouldContain("No tag group");

        (await otherAdmin.GetAsync<List<CatalogTag>>("/api/tags")).Single().Customers.ShouldBe(1);
        (await otherAdmin.GetAsync<TagHistoryPage>("/api/tags/history")).Items.Single().CustomerId.ShouldBe(rose);
        (await admin.GetAsync<List<CatalogTag>>("/api/tags")).Single().GroupName.ShouldBe("肤质");
        (await admin.GetAsync<TagHistoryPage>("/api/tags/history")).Items.Single().CustomerId.ShouldBe(lily);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task RenameAndDelete_ReachEveryCustomer_WithHistory(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        var admin = server.Workspace.AdminClient();
        var seed = new CustomerSeed(server.Workspace);
        var a = await seed.CustomerAsync("甲");
        var b = await seed.CustomerAsync("乙");
        var c = await seed.CustomerAsync("丙");
        await (await admin.PostAsJsonAsync("/api/tags/bulk", new { tag = "敏感", action = "add", customerIds = new[] { a, b } })).ReadAsync<TagChange>();
        await (await admin.PostAsJsonAsync("/api/tags/bulk", new { tag = "干皮", action = "add", customerIds = new[] { c } })).ReadAsync<TagChange>();
        var sensitive = (await admin.GetAsync<List<CatalogTag>>("/api/tags")).Single(t => t.Name == "敏感");
        var dry = (await admin.GetAsync<List<CatalogTag>>("/api/tags")).Single(t => t.Name == "干皮");

        (await Problem(admin.PutAsJsonAsync($"/api/tags/{sensitive.Id}", new { name = "干皮" }), HttpStatusCode.Conflict)).ShouldContain("'干皮' exists already");
        var renamed = await (await admin.PutAsJsonAsync($"/api/tags/{sensitive.Id}", new { name = "敏感肌" })).ReadAsync<CatalogTag>();
        (renamed.Name, renamed.Customers).ShouldBe(("敏感肌", 2L));
        foreach (var id in new[] { a, b })
        {
            (await admin.GetAsync<List<TagView>>($"/api/customers/{id}/tags")).Single().Tag.ShouldBe("敏感肌");
            var history = await admin.GetAsync<TagHistoryPage>($"/api/customers/{id}/tag-history");
            history.Items.Select(h => (h.Tag, h.Action, h.Source)).ShouldBe([("敏感肌", "added", "api"), ("敏感", "removed", "api"), ("敏感", "added", "bulk")]);
        }

        (await admin.DeleteAsync($"/api/tags/{dry.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await admin.GetAsync<List<TagView>>($"/api/customers/{c}/tags")).ShouldBeEmpty();
        (await admin.GetAsync<TagHistoryPage>($"/api/customers/{c}/tag-history")).Items[0].ShouldSatisfyAllConditions(
            h => h.Tag.ShouldBe("干皮"), h => h.Action.ShouldBe("removed"), h => h.Actor.ShouldNotBeNull());
        (await admin.GetAsync<List<CatalogTag>>("/api/tags")).Select(t => t.Name).ShouldBe(["敏感肌"]);
        var audit = await admin.GetAsync<List<AuditLog.Entry>>("/api/audit");
        audit.Single(e => e.Action == "tag.update").Details!.ShouldContain("\"customersRenamed\":2");
        audit.Single(e => e.Action == "tag.delete").Details!.ShouldContain("\"customersUntagged\":1");

        // A segment that keeps a tag in sync holds on to it: deleting it would only see it come back.
        await server.ExecuteAsync(
            "INSERT INTO segments (id, workspace_id, name, rule, sync_tag, created_at, updated_at) VALUES (@id, @ws, '敏感人群', '{}', '敏感肌', 0, 0)",
            new { id = Guid.NewGuid(), ws = server.Workspace.Id });
        (await Problem(admin.DeleteAsync($"/api/tags/{sensitive.Id}"), HttpStatusCode.Conflict)).ShouldContain("敏感人群");
        await (await admin.PutAsJsonAsync($"/api/tags/{sensitive.Id}", new { name = "敏感肌肤" })).ReadAsync<CatalogTag>();
        (await server.ScalarAsync<string>("SELECT sync_tag FROM segments")).ShouldBe("敏感肌肤");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Service_TouchesTheAudience_OnlyForCustomersThatChanged(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        var seed = new CustomerSeed(server.Workspace);
        var a = await seed.CustomerAsync("甲");
        var b = await seed.CustomerAsync("乙");
        var tags = server.Service<CustomerTags>();
        var reader = server.Service<AudienceChanges>().Reader;
        while (reader.TryRead(out _))
        {
        }

        (await tags.AddAsync(server.Workspace.Id, [a], "通勤", TagSources.Import, null)).ShouldBe(1);
        (await tags.AddAsync(server.Workspace.Id, [a, b], "通勤", TagSources.Import, null)).ShouldBe(1);
        (await tags.RemoveAsync(server.Workspace.Id, [a, b], "通勤", TagSources.Segment("通勤族"), null)).ShouldBe(2);
        (await tags.RemoveAsync(server.Workspace.Id, [a, b], "通勤", TagSources.Segment("通勤族"), null)).ShouldBe(0);
        var touched = new List<IReadOnlyCollection<Guid>>();
        while (reader.TryRead(out var change))
            touched.Add(change.CustomerIds!);
        touched.Select(t => t.OrderBy(i => i).ToList()).ShouldBe([[a], [b], new[] { a, b }.Order().ToList()]);
        (await server.QueryAsync<string>("SELECT source FROM tag_history ORDER BY id")).ShouldBe(["import", "import", "segment:通勤族", "segment:通勤族"]);
    }

    private static async Task<string> Problem(Task<HttpResponseMessage> request, HttpStatusCode status) => (await (await request).ProblemAsync(status)).Detail();

    /// <summary>Customers straight into the table in one transaction (the seed's one-by-one inserts would take minutes).</summary>
    internal static async Task<List<Guid>> ManyCustomersAsync(PondServer server, Guid workspaceId, int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7()).ToList();
        await using var connection = await server.Service<Database>().OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var at = DateTimeOffset.UtcNow;
        foreach (var chunk in ids.Chunk(500))
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO customers (id, workspace_id, display_name, traits, depth, marketing_opt_out, first_seen_at, last_seen_at, created_at, updated_at)
                VALUES (@id, @workspaceId, @name, '{}', 0, FALSE, @at, @at, @at, @at)
                """, chunk.Select(id => new { id, workspaceId, name = "客户", at }), transaction);
        }

        await transaction.CommitAsync();
        return ids;
    }
}
