using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pond.Audience;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Ingestion;
using Pond.Tests.Infrastructure;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Audience;

/// <summary>Segments over HTTP: defining them, live membership with entered/exited events, time passing, roles and isolation.</summary>
public sealed class SegmentTests
{
    private static readonly object ShanghaiBuyers = new
    {
        all = new object[]
        {
            new { trait = "city", op = "eq", value = "上海" },
            new { @event = "Order Completed", within_days = 30, op = "gte", value = 1 },
        },
    };

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OrderEvent_MovesACustomerIn_AndSegmentEnteredAppearsWithinOneSecond(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        using var tracking = server.Workspace.TrackingClient();
        await tracking.SendOkAsync("/v1/batch", new
        {
            batch = new object[]
            {
                new { type = "identify", userId = "u-lin", traits = new { name = "林小姐", city = "上海" } },
                new { type = "identify", userId = "u-wang", traits = new { name = "王先生", city = "杭州" } },
                new { type = "track", userId = "u-wang", @event = "Order Completed", properties = new { revenue = 99 } },
            },
        });
        var lin = await WaitForValueAsync(() => server.CustomerOfAsync(server.Workspace.Id, "user_id", "u-lin"));

        var created = await (await admin.PostAsJsonAsync("/api/segments", new { name = "上海买家", rule = ShanghaiBuyers }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created);
        var segmentId = created.GetProperty("id").GetGuid();
        created.GetProperty("memberCount").GetInt32().ShouldBe(0);

        // Two orders: the first moves her in; a second changes nothing.
        var clock = Stopwatch.StartNew();
        await tracking.SendOkAsync("/v1/track", new { userId = "u-lin", @event = "Order Completed", properties = new { revenue = 299, order_id = "A1" } });
        var entered = await WaitForAsync(async () =>
            (await admin.GetAsync<List<AudienceEvent>>($"/api/audience/events?segment={segmentId}")).FirstOrDefault(e => e.Kind == AudienceEngine.Entered));
        clock.Stop();
        entered.CustomerId.ShouldBe(lin);
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1), "segment.entered must follow the order within a second");
        await tracking.SendOkAsync("/v1/track", new { userId = "u-lin", @event = "Order Completed", properties = new { revenue = 10, order_id = "A2" } });
        await WaitForValueAsync(async () => await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE name = 'Order Completed'") == 3 ? true : (bool?)null);
        await server.Service<AudienceEngine>().CatchUpAsync();

        var events = await admin.GetAsync<List<AudienceEvent>>($"/api/audience/events?segment={segmentId}");
        events.Count.ShouldBe(1);
        var segment = await admin.GetAsync<JsonElement>($"/api/segments/{segmentId}");
        segment.GetProperty("memberCount").GetInt32().ShouldBe(1);
        var members = await admin.GetAsync<JsonElement>($"/api/segments/{segmentId}/members");
        members.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("id").GetGuid()).ShouldBe([lin]);

        // Moving to Beijing takes her out again.
        await tracking.SendOkAsync("/v1/identify", new { userId = "u-lin", traits = new { city = "北京" } });
        var exited = await WaitForAsync(async () =>
            (await admin.GetAsync<List<AudienceEvent>>($"/api/audience/events?segment={segmentId}")).FirstOrDefault(e => e.Kind == AudienceEngine.Exited));
        exited.CustomerId.ShouldBe(lin);
        (await admin.GetAsync<JsonElement>($"/api/segments/{segmentId}")).GetProperty("memberCount").GetInt32().ShouldBe(0);
        // Created today: one day of history, ending at 0.
        var sizes = await admin.GetAsync<JsonElement>($"/api/segments/{segmentId}/sizes?days=7");
        sizes.GetArrayLength().ShouldBe(1);
        sizes[0].GetProperty("size").GetInt32().ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TimeRelativeRules_AreReEvaluatedAsTimePasses(DbEngine engine)
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await PondServer.StartAsync(engine, (_, services) => services.AddSingleton<TimeProvider>(clock), runEngines: false);
        using var admin = server.Workspace.AdminClient();
        using var tracking = server.Workspace.TrackingClient();
        await tracking.SendOkAsync("/v1/batch", new
        {
            batch = new object[]
            {
                new { type = "track", userId = "u-1", @event = "Signed In", timestamp = clock.GetUtcNow().AddDays(-1) },
                new { type = "track", userId = "u-2", @event = "Signed In", timestamp = clock.GetUtcNow().AddDays(-10) },
            },
        });
        await server.ProcessAsync();
        var created = await (await admin.PostAsJsonAsync("/api/segments", new
        {
            name = "两周未登录",
            rule = new { @event = "Signed In", measure = "last", op = "not_within_days", value = 14 },
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        created.GetProperty("memberCount").GetInt32().ShouldBe(0);

        // Nothing happens, time passes: u-2 crosses 14 days first, then u-1.
        var engineService = server.Service<AudienceEngine>();
        clock.Advance(TimeSpan.FromDays(5));
        await engineService.TickAsync();
        var u2 = await server.CustomerOfAsync(server.Workspace.Id, "user_id", "u-2");
        (await admin.GetAsync<List<AudienceEvent>>("/api/audience/events")).Select(e => (e.Kind, e.CustomerId)).ShouldBe([(AudienceEngine.Entered, u2!.Value)]);
        clock.Advance(TimeSpan.FromDays(9));
        await engineService.TickAsync();
        (await admin.GetAsync<JsonElement>($"/api/segments/{created.GetProperty("id")}")).GetProperty("memberCount").GetInt32().ShouldBe(2);
        // Size over time: 0 on the day it was made, 1 five days later, 2 after fourteen; days without a change keep the size.
        var sizes = (await admin.GetAsync<List<JsonElement>>($"/api/segments/{created.GetProperty("id")}/sizes?days=30")).Select(s => s.GetProperty("size").GetInt32()).ToList();
        sizes.Count.ShouldBeInRange(15, 16);
        sizes[0].ShouldBe(0);
        sizes[^1].ShouldBe(2);
        sizes.Count(s => s == 1).ShouldBeInRange(8, 10);

        // Signing in again leaves the segment.
        await tracking.SendOkAsync("/v1/track", new { userId = "u-1", @event = "Signed In", timestamp = clock.GetUtcNow() });
        await server.ProcessAsync();
        await engineService.CatchUpAsync();
        var u1 = await server.CustomerOfAsync(server.Workspace.Id, "user_id", "u-1");
        (await admin.GetAsync<List<AudienceEvent>>("/api/audience/events")).Last().ShouldSatisfyAllConditions(
            e => e.Kind.ShouldBe(AudienceEngine.Exited),
            e => e.CustomerId.ShouldBe(u1!.Value),
            e => e.OccurredAt.ShouldBe(clock.GetUtcNow(), TimeSpan.FromMilliseconds(1)));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Segments_ValidateNameRuleAndDuplicates_AndPreviewCountsWithoutSaving(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        using var admin = server.Workspace.AdminClient();
        using var tracking = server.Workspace.TrackingClient();
        await tracking.SendOkAsync("/v1/batch", new
        {
            batch = Enumerable.Range(0, 10).Select(i => (object)new { type = "identify", userId = $"u{i}", traits = new { city = i < 3 ? "上海" : "杭州", age = 20 + i } }).ToArray(),
        });
        await server.ProcessAsync();

        var preview = await (await admin.PostAsJsonAsync("/api/segments/preview", new { rule = new { trait = "city", op = "eq", value = "上海" } })).ReadAsync<JsonElement>();
        preview.GetProperty("count").GetInt32().ShouldBe(3);
        preview.GetProperty("poolSize").GetInt32().ShouldBe(10);
        preview.GetProperty("sample").GetArrayLength().ShouldBe(3);
        (await server.CountAsync("SELECT COUNT(*) FROM segments")).ShouldBe(0);

        var bad = await (await admin.PostAsJsonAsync("/api/segments/preview", new { rule = new { all = new object[] { new { trait = "age", op = "gte", value = "old" } } } }))
            .ProblemAsync(HttpStatusCode.BadRequest);
        bad.GetProperty("field").GetString().ShouldBe("rule/all/0/value");
        bad.Detail().ShouldContain("number or a date");
        (await (await admin.PostAsJsonAsync("/api/segments", new { rule = new { tag = "x" } })).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("name is required");
        (await (await admin.PostAsJsonAsync("/api/segments", new { name = "x" })).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("rule is required");
        (await (await admin.PostAsJsonAsync("/api/segments", new { name = "x", rule = new { tag = "x" }, status = "sleeping" })).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail().ShouldContain("status must be");

        // The same name twice, concurrently: exactly one is created.
        var attempts = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => admin.PostAsJsonAsync("/api/segments", new { name = "年轻人", rule = new { trait = "age", op = "lt", value = 25 } })));
        attempts.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(1);
        attempts.Where(r => r.StatusCode != HttpStatusCode.Created).ShouldAllBe(r => r.StatusCode == HttpStatusCode.Conflict);
        var segments = await admin.GetAsync<List<JsonElement>>("/api/segments");
        segments.Count.ShouldBe(1);
        segments[0].GetProperty("memberCount").GetInt32().ShouldBe(5);
        (await server.CountAsync("SELECT COUNT(*) FROM segment_members")).ShouldBe(5);

        // Changing the rule re-evaluates at once; a rejected change keeps the old rule and members.
        var id = segments[0].GetProperty("id").GetGuid();
        var changed = await (await admin.PutJsonAsync($"/api/segments/{id}", new { rule = new { trait = "age", op = "lt", value = 22 } })).ReadAsync<JsonElement>();
        changed.GetProperty("memberCount").GetInt32().ShouldBe(2);
        (await (await admin.PutJsonAsync($"/api/segments/{id}", new { rule = new { trait = "age", op = "lt" } })).ProblemAsync(HttpStatusCode.BadRequest))
            .GetProperty("field").GetString().ShouldBe("rule/value");
        (await admin.GetAsync<JsonElement>($"/api/segments/{id}")).GetProperty("memberCount").GetInt32().ShouldBe(2);
        (await server.CountAsync("SELECT COUNT(*) FROM audience_events WHERE kind = 'segment.exited'")).ShouldBe(3);

        (await admin.DeleteAsync($"/api/segments/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await admin.GetAsync($"/api/segments/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await server.CountAsync("SELECT COUNT(*) FROM segment_members")).ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task SyncTag_FollowsMembership_AndMembersCanBeTaggedInBulk(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        using var admin = server.Workspace.AdminClient();
        using var tracking = server.Workspace.TrackingClient();
        await tracking.SendOkAsync("/v1/batch", new
        {
            batch = Enumerable.Range(0, 6).Select(i => (object)new { type = "identify", userId = $"u{i}", traits = new { city = i < 4 ? "上海" : "杭州" } }).ToArray(),
        });
        await server.ProcessAsync();

        var created = await (await admin.PostAsJsonAsync("/api/segments", new { name = "上海客户", syncTag = "上海客", rule = new { trait = "city", op = "eq", value = "上海" } }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        async Task<long> Tagged(string tag) => await server.CountAsync("SELECT COUNT(*) FROM customer_tags WHERE tag = @tag", new { tag });
        (await Tagged("上海客")).ShouldBe(4);
        (await server.CountAsync("SELECT COUNT(*) FROM tag_history WHERE tag = '上海客' AND source = 'segment:上海客户' AND action = 'added'")).ShouldBe(4);

        // Leaving the segment takes the tag away; the synced tag can be used in other rules at once.
        await tracking.SendOkAsync("/v1/identify", new { userId = "u0", traits = new { city = "杭州" } });
        await server.ProcessAsync();
        var engineService = server.Service<AudienceEngine>();
        await engineService.CatchUpAsync();
        (await Tagged("上海客")).ShouldBe(3);
        (await server.CountAsync("SELECT COUNT(*) FROM tag_history WHERE tag = '上海客' AND action = 'removed'")).ShouldBe(1);
        await engineService.CatchUpAsync();
        var preview = await (await admin.PostAsJsonAsync("/api/segments/preview", new { rule = new { tag = "上海客" } })).ReadAsync<JsonElement>();
        preview.GetProperty("count").GetInt32().ShouldBe(3);

        // Bulk: tag every member at once (source bulk), then take it off again.
        var bulk = await (await admin.PostAsJsonAsync($"/api/segments/{id}/tags", new { tag = "双11", action = "add" })).ReadAsync<JsonElement>();
        bulk.GetProperty("changed").GetInt32().ShouldBe(3);
        (await server.CountAsync("SELECT COUNT(*) FROM tag_history WHERE tag = '双11' AND source = 'bulk'")).ShouldBe(3);
        (await (await admin.PostAsJsonAsync($"/api/segments/{id}/tags", new { tag = "双11", action = "add" })).ReadAsync<JsonElement>()).GetProperty("changed").GetInt32().ShouldBe(0);
        (await (await admin.PostAsJsonAsync($"/api/segments/{id}/tags", new { tag = "双11", action = "drop" })).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("add' or 'remove");
        (await (await admin.PostAsJsonAsync($"/api/segments/{id}/tags", new { tag = "a|b", action = "add" })).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("'|'");
        (await (await admin.PostAsJsonAsync($"/api/segments/{id}/tags", new { tag = "双11", action = "remove" })).ReadAsync<JsonElement>()).GetProperty("changed").GetInt32().ShouldBe(3);
        (await Tagged("双11")).ShouldBe(0);

        // Changing the synced tag moves it: the old one leaves the members, the new one arrives.
        await (await admin.PutJsonAsync($"/api/segments/{id}", new { syncTag = "魔都" })).ReadAsync<JsonElement>();
        (await Tagged("上海客")).ShouldBe(0);
        (await Tagged("魔都")).ShouldBe(3);
    }

    [Fact]
    public async Task Segments_AreWorkspaceScoped_AndRefuseTheStaffRoleAndReadOnlyWrites()
    {
        await using var server = await PondServer.StartAsync(DbEngine.Sqlite, TestSignIn.Configure, runEngines: false);
        using var admin = server.Workspace.AdminClient();
        var created = await (await admin.PostAsJsonAsync("/api/segments", new { name = "全部", rule = new { all = Array.Empty<object>() } })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();

        var other = await server.CreateWorkspaceAsync("other");
        using var otherAdmin = other.AdminClient();
        (await otherAdmin.GetAsync($"/api/segments/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await otherAdmin.GetAsync<List<JsonElement>>("/api/segments")).ShouldBeEmpty();
        (await otherAdmin.DeleteAsync($"/api/segments/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var staff = await server.Workspace.MemberClientAsync(Roles.Staff, await new CustomerSeed(server.Workspace).StaffAsync("导购"));
        (await staff.GetAsync("/api/segments")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await staff.PostAsJsonAsync("/api/segments/preview", new { rule = new { tag = "x" } })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var analyst = await server.Workspace.MemberClientAsync(Roles.Analyst);
        (await analyst.GetAsync("/api/segments")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await analyst.PostAsJsonAsync("/api/segments", new { name = "y", rule = new { tag = "x" } })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    private static async Task<T> WaitForValueAsync<T>(Func<Task<T?>> probe, int timeoutMs = 10_000) where T : struct =>
        (await WaitForAsync(async () => await probe() is { } value ? (object)value : null, timeoutMs) as T?)!.Value;

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, int timeoutMs = 10_000) where T : class
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } found)
                return found;
            if (deadline.ElapsedMilliseconds > timeoutMs)
                throw new TimeoutException("The expected change did not happen in time.");
            await Task.Delay(20);
        }
    }
}
