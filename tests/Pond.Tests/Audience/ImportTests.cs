using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Pond.Audience.Import;
using Pond.Customers;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Audience;

/// <summary>CSV imports over HTTP: the worker reads the upload, the event processor applies what it logged.</summary>
public sealed class ImportTests
{
    /// <summary>Good rows, and one bad row of every kind the format names; the comment is the expected reason's start.</summary>
    private const string Customers =
        """
        phone,email,user_id,wechat_openid@wxapp1,name,tags,age:number,vip:bool,birthday:date,city
        13800000001,amy@example.com,u-1,oAmy,张三,高净值|复购,28,true,1990-05-01,上海
        13800000002,,,,李四,,abc,false,1991-01-01,北京
        +86 138 0000 0003,bea@example.com,,,王五,新客,30.5,yes,1992/02/03,深圳
        1380000000x,,,,坏电话,,,,,
        ,,,,无身份,,,,,
        13800000006,not-an-email,,,坏邮箱,,,,,
        13800000007,,,,"bad quote,x,,,,,
        13800000008,,,,日期坏,,,,1990-13-45,
        13800000009,,,,太多列,,,,,,x
        13800000010,,,,布尔坏,,,maybe,,
        13800000011,,,,"%%LONG%%",,,,,
        13800000001,,,,张三新名,VIP,,,,杭州

        ,bea@example.com,u-3,,王五改,,,,,
        """;

    private static string CustomersCsv => Customers.Replace("%%LONG%%", new string('长', 1001), StringComparison.Ordinal) + "\n";

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task CustomerImport_RejectsExactlyTheBadLines_AndTheGoodOnesBecomeCustomersWithTypedTraits(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var admin = server.Workspace.AdminClient();

        var job = await admin.ImportAsync(ImportKinds.Customers, CustomersCsv, "客户.csv");

        job.State.ShouldBe(ImportStates.Done, job.Error);
        job.FileName.ShouldBe("客户.csv");
        (job.Accepted, job.Rejected).ShouldBe((4, 9));
        job.LinesRead.ShouldBe(14, "13 rows and one blank line after the header");
        job.BytesRead.ShouldBe(job.TotalBytes);
        job.Progress.ShouldBe(1);
        var rejects = await admin.RejectsAsync(job.Id);
        rejects.Select(r => r.Line).ShouldBe([3, 5, 6, 7, 8, 9, 10, 11, 12]);
        var reasons = rejects.ToDictionary(r => r.Line, r => r.Reason);
        reasons[3].ShouldBe("age: 'abc' is not a number");
        reasons[5].ShouldStartWith("phone '1380000000x' is not a phone number");
        reasons[6].ShouldStartWith("no identity: fill at least one of phone, email, user_id, wechat_openid@wxapp1");
        reasons[7].ShouldBe("email 'not-an-email' is not an email address");
        reasons[8].ShouldStartWith("malformed quoted field");
        reasons[9].ShouldStartWith("birthday: '1990-13-45' is not a date");
        reasons[10].ShouldStartWith("too many columns: 11, the header has 10");
        reasons[11].ShouldStartWith("vip: 'maybe' is not a boolean");
        reasons[12].ShouldStartWith("name: the field is 1001 characters; a field may be at most 1000");
        rejects.Single(r => r.Line == 3).Row.ShouldBe("13800000002,,,,李四,,abc,false,1991-01-01,北京");
        rejects.Single(r => r.Line == 8).Row.ShouldBe("13800000007,,,,\"bad quote,x,,,,,");

        await server.ProcessAsync();
        var zhang = await CustomerAsync(server, admin, IdentityKinds.Phone, "13800000001");
        zhang.DisplayName.ShouldBe("张三新名", "line 13 names the same phone: the same customer, the later row wins");
        Trait(zhang, "age").GetDecimal().ShouldBe(28m);
        Trait(zhang, "vip").GetBoolean().ShouldBeTrue();
        Trait(zhang, "birthday").GetString().ShouldBe("1990-05-01");
        Trait(zhang, "city").GetString().ShouldBe("杭州");
        zhang.Identities.Select(i => (i.Kind, i.Scope, i.Value)).ShouldBe(
            [(IdentityKinds.Email, "", "amy@example.com"), (IdentityKinds.Phone, "", "13800000001"), (IdentityKinds.UserId, "", "u-1"),
             (IdentityKinds.WechatOpenId, "wxapp1", "oAmy")], ignoreOrder: true);

        // Line 15 names Wang's email with a new user id: merged into Wang, not a new customer.
        var wang = await CustomerAsync(server, admin, IdentityKinds.Phone, "13800000003");
        wang.DisplayName.ShouldBe("王五改");
        Trait(wang, "age").GetDecimal().ShouldBe(30.5m);
        Trait(wang, "birthday").GetString().ShouldBe("1992-02-03");
        wang.Identities.Select(i => i.Value).ShouldBe(["13800000003", "bea@example.com", "u-3"], ignoreOrder: true);
        (await server.CountAsync("SELECT COUNT(*) FROM customers WHERE workspace_id = @ws", new { ws = server.Workspace.Id })).ShouldBe(2);

        // Tags travel as Tag Added events with the row's identities, applied by the processor in order with other traffic.
        var tagEvents = await server.QueryAsync<string>(
            "SELECT payload FROM event_log WHERE workspace_id = @ws AND type = 'track' ORDER BY seq", new { ws = server.Workspace.Id });
        tagEvents.Count.ShouldBe(3);
        using (var first = JsonDocument.Parse(tagEvents[0]))
        {
            var root = first.RootElement;
            root.GetProperty("event").GetString().ShouldBe("Tag Added");
            root.GetProperty("messageId").GetString().ShouldBe($"import:{job.Id:N}:2:tags");
            root.GetProperty("userId").GetString().ShouldBe("u-1");
            root.GetProperty("properties").GetProperty("tags").EnumerateArray().Select(t => t.GetString()).ShouldBe(["高净值", "复购"]);
            root.GetProperty("context").GetProperty("externalIds").EnumerateArray().Select(e => e.GetProperty("type").GetString())
                .ShouldBe([IdentityKinds.Phone, IdentityKinds.Email, IdentityKinds.WechatOpenId]);
        }

        var tagged = (await server.QueryAsync<Guid>(
            "SELECT customer_id FROM customer_events WHERE workspace_id = @ws AND name = 'Tag Added'", new { ws = server.Workspace.Id })).Distinct().ToList();
        tagged.ShouldBe([zhang.Id, wang.Id], ignoreOrder: true);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task CustomerImport_RunAgainOrImportedTwice_ChangesNothing(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var admin = server.Workspace.AdminClient();
        var job = await admin.ImportAsync(ImportKinds.Customers, CustomersCsv);
        await server.ProcessAsync();
        var events = await server.CountAsync("SELECT COUNT(*) FROM event_log");
        var before = await SnapshotAsync(server);

        // The same job again (a retry, or a resume after a restart): the same message ids, nothing stored twice.
        var imports = server.Service<ImportService>();
        var again = await imports.RunAsync(await imports.GetAsync(server.Workspace.Id, job.Id));
        (again.State, again.Accepted, again.Rejected).ShouldBe((ImportStates.Done, 4L, 9L));
        (await server.CountAsync("SELECT COUNT(*) FROM event_log")).ShouldBe(events);

        // The same file as a new import: new events, but the customers come out the same.
        var second = await admin.ImportAsync(ImportKinds.Customers, CustomersCsv);
        (second.Accepted, second.Rejected).ShouldBe((4, 9));
        await server.ProcessAsync();
        (await SnapshotAsync(server)).ShouldBe(before);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TagImport_AppliesToExistingCustomers_AndRejectsUnknownIdentities(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var admin = server.Workspace.AdminClient();
        await admin.ImportAsync(ImportKinds.Customers, "phone,name\n13900000001,甲\n13900000002,乙\n");
        await server.ProcessAsync();

        var job = await admin.ImportAsync(ImportKinds.Tags,
            """
            phone,tags,action
            13900000001,会员|活跃,add
            13900000002,流失,remove
            13900000099,会员,add
            13900000001,会员,delete
            13900000002,,add
            +86 139-0000-0002,回流,
            """ + "\n");

        job.State.ShouldBe(ImportStates.Done, job.Error);
        (job.Accepted, job.Rejected).ShouldBe((3, 3));
        var rejects = await admin.RejectsAsync(job.Id);
        rejects.Select(r => (r.Line, r.Reason)).ShouldBe(
        [
            (5, "action 'delete' is neither add nor remove"),
            (6, "no tags: fill the tags column (several separated by |)"),
            (4, "no customer has phone 13900000099"),
        ]);
        var events = await server.QueryAsync<string>(
            "SELECT payload FROM event_log WHERE workspace_id = @ws AND message_id LIKE @prefix ORDER BY seq",
            new { ws = server.Workspace.Id, prefix = $"import:{job.Id:N}:%" });
        var shapes = events.Select(e =>
        {
            using var doc = JsonDocument.Parse(e);
            var root = doc.RootElement;
            return (root.GetProperty("event").GetString(), root.GetProperty("context").GetProperty("externalIds")[0].GetProperty("id").GetString(),
                string.Join('|', root.GetProperty("properties").GetProperty("tags").EnumerateArray().Select(t => t.GetString())));
        }).ToList();
        shapes.ShouldBe([("Tag Added", "13900000001", "会员|活跃"), ("Tag Removed", "13900000002", "流失"), ("Tag Added", "13900000002", "回流")]);

        await server.ProcessAsync();
        var first = await server.CustomerOfAsync(server.Workspace.Id, IdentityKinds.Phone, "13900000001");
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE customer_id = @first AND name = 'Tag Added'", new { first })).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM customers")).ShouldBe(2, "a tag import never creates customers");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Upload_WithAnUnusableHeader_Is400NamingTheColumn(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var admin = server.Workspace.AdminClient();

        (await (await admin.UploadAsync(ImportKinds.Customers, "name,city\n张三,上海\n")).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail().ShouldStartWith("The header names no identity column");
        (await (await admin.UploadAsync(ImportKinds.Customers, "phone,age:years\n13800000001,3\n")).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail().ShouldContain("unknown type 'years'");
        (await (await admin.UploadAsync(ImportKinds.Customers, "phone,wechat_openid\n13800000001,o1\n")).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail().ShouldContain("wechat_openid@");
        (await (await admin.UploadAsync(ImportKinds.Tags, "phone,email,tags\n1,2,3\n")).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail().ShouldContain("exactly one identity column");
        (await (await admin.UploadAsync("people", "phone\n1\n")).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("kind must be");
        (await (await admin.UploadAsync(ImportKinds.Customers, "")).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("empty");
        (await admin.GetAsync<List<ImportJob>>("/api/imports")).ShouldBeEmpty("refused uploads leave no job");
        Directory.GetFiles(Path.Combine(server.DataDirectory, "imports")).ShouldBeEmpty("nor a file");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task InterruptedJob_IsResumedByTheWorker_WithoutStoringAnythingTwice(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var imports = server.Service<ImportService>();
        var file = Path.Combine(server.DataDirectory, "resume.csv");
        await File.WriteAllTextAsync(file, "phone,name\n13700000001,一\n13700000002,二\n");
        // A job claimed by a node that then died: running, with a heartbeat long gone, half its rows already logged.
        var job = await imports.StartFileAsync(server.Workspace.Id, ImportKinds.Customers, file, "test");
        await server.Service<Pond.Ingestion.EventLogWriter>().AppendAsync(
        [
            new Pond.Ingestion.EventRecord(server.Workspace.Id, $"import:{job.Id:N}:2", "identify", DateTimeOffset.UtcNow, job.CreatedAt,
                "{\"type\":\"identify\",\"context\":{\"externalIds\":[{\"id\":\"13700000001\",\"type\":\"phone\"}]},\"traits\":{\"name\":\"一\"}}"),
        ]);
        await server.ExecuteAsync("UPDATE imports SET heartbeat_at = @old WHERE id = @id", new { id = job.Id, old = DateTimeOffset.UtcNow.AddMinutes(-5) });

        var done = await server.Workspace.AdminClient().WaitAsync(job.Id);

        done.State.ShouldBe(ImportStates.Done);
        done.Attempts.ShouldBe(2);
        done.Accepted.ShouldBe(2);
        done.Error.ShouldBeNull();
        (await server.CountAsync("SELECT COUNT(*) FROM event_log WHERE workspace_id = @ws", new { ws = server.Workspace.Id })).ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Roles_OnlyOperateRolesUpload_AndTheConsoleCookieNeedsTheAntiforgeryHeader(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var analyst = await server.Workspace.MemberClientAsync(Roles.Analyst);
        var operatorClient = await server.Workspace.MemberClientAsync(Roles.Operator);

        (await analyst.UploadAsync(ImportKinds.Customers, "phone\n13800000001\n")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await (await operatorClient.UploadAsync(ImportKinds.Customers, "phone\n13800000001\n")).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail().ShouldContain("antiforgery");

        var job = await server.Workspace.AdminClient().ImportAsync(ImportKinds.Customers, "phone\n13800000001\nbad\n");
        (await analyst.GetAsync<ImportJob>($"/api/imports/{job.Id}")).Rejected.ShouldBe(1);
        (await analyst.GetAsync($"/api/imports/{job.Id}/rejects.csv")).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "rejected rows hold personal data");
        (await operatorClient.RejectsAsync(job.Id)).Single().Line.ShouldBe(3);

        var other = await server.CreateWorkspaceAsync("other");
        (await other.AdminClient().GetAsync($"/api/imports/{job.Id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.AdminClient().GetAsync($"/api/imports/{job.Id}/rejects.csv")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.AdminClient().GetAsync<List<ImportJob>>("/api/imports")).ShouldBeEmpty();
    }

    internal static async Task<CustomerDetail> CustomerAsync(PondServer server, HttpClient admin, string kind, string value)
    {
        var id = await server.CustomerOfAsync(server.Workspace.Id, kind, value);
        id.ShouldNotBeNull($"no customer has {kind} {value}");
        return await admin.GetAsync<CustomerDetail>($"/api/customers/{id}");
    }

    private static JsonElement Trait(CustomerDetail customer, string key)
    {
        customer.Traits.ShouldContainKey(key);
        return customer.Traits[key];
    }

    /// <summary>Every customer as names, traits and identities: what an import decides.</summary>
    private static async Task<List<string>> SnapshotAsync(PondServer server) =>
        (await server.QueryAsync<string>(
            """
            SELECT c.display_name || ' ' || c.traits || ' ' || (SELECT COUNT(*) FROM identities i WHERE i.customer_id = c.id)
            FROM customers c WHERE c.workspace_id = @ws ORDER BY c.display_name
            """, new { ws = server.Workspace.Id })).ToList();
}
