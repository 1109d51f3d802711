using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Pond.Audience.Import;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Audience;

/// <summary>GET /api/customers/export.csv, and an export imported again.</summary>
public sealed class ExportTests
{
    private static readonly string Source = string.Join('\n',
        "phone,email,user_id,wechat_openid@wxapp1,name,tags,age:number,vip:bool,birthday:date,city,motto",
        "13800000001,amy@example.com,u-1,oAmy,张三,高净值|复购,28,true,1990-05-01,上海,\"=1+1, really\"",
        "13800000002,,u-2,,\"李四, Jr.\",新客,41.5,false,,北京,",
        ",bea@example.com,,,王五,,,,1992-02-03,,\"say \"\"hi\"\"\"");

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Export_ImportedIntoAnotherWorkspace_GivesTheSameCustomers(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var admin = server.Workspace.AdminClient();
        (await admin.ImportAsync(ImportKinds.Customers, Source + "\n")).Accepted.ShouldBe(3);
        await server.ProcessAsync();
        // The import's Tag Added events may already have applied these; written here too so the export's tags column is exercised either way.
        var zhang = await server.CustomerOfAsync(server.Workspace.Id, "phone", "13800000001");
        await server.ExecuteAsync("INSERT INTO customer_tags (workspace_id, customer_id, tag, source, created_at) VALUES (@ws, @zhang, '高净值', 'import', 0), (@ws, @zhang, '复购', 'import', 0) ON CONFLICT DO NOTHING",
            new { ws = server.Workspace.Id, zhang });

        var (header, rows, bytes) = await ExportAsync(admin, "/api/customers/export.csv");

        bytes.Take(3).ShouldBe(new byte[] { 0xEF, 0xBB, 0xBF }, "a BOM, so Excel reads the Chinese as UTF-8");
        header.ShouldBe(
        [
            "id", "name", "phone", "email", "user_id", "wechat_unionid", "wecom_external_userid", "tmall_buyer_id", "jd_buyer_id", "douyin_buyer_id",
            "wechat_openid@wxapp1", "tags", "depth", "owner_staff", "marketing_opt_out", "first_seen_at", "last_seen_at", "first_order_at", "last_order_at",
            "age:number", "birthday:date", "city", "motto", "vip:bool",
        ]);
        rows.Count.ShouldBe(3);
        var first = rows.Single(r => r["phone"] == "13800000001");
        first["id"].ShouldBe(zhang.ToString());
        (first["name"], first["email"], first["user_id"], first["wechat_openid@wxapp1"]).ShouldBe(("张三", "amy@example.com", "u-1", "oAmy"));
        (first["tags"], first["age:number"], first["vip:bool"], first["birthday:date"]).ShouldBe(("复购|高净值", "28", "true", "1990-05-01"));
        first["motto"].ShouldBe("'=1+1, really", "a formula-like value is defused for spreadsheets");
        rows.Single(r => r["email"] == "bea@example.com")["motto"].ShouldBe("say \"hi\"");

        var other = await server.CreateWorkspaceAsync("other");
        var reimport = await other.AdminClient().ImportAsync(ImportKinds.Customers, Encoding.UTF8.GetString(bytes), "export.csv");
        (reimport.State, reimport.Accepted, reimport.Rejected).ShouldBe((ImportStates.Done, 3L, 0L), reimport.Error);
        await server.ProcessAsync();
        var (header2, rows2, _) = await ExportAsync(other.AdminClient(), "/api/customers/export.csv");

        header2.ShouldBe(header);
        string[] generated = ["id", "tags", "first_seen_at", "last_seen_at"];
        Comparable(rows2, generated).ShouldBe(Comparable(rows, generated));
        // The tags came back as Tag Added events, and the processor applied them: the other workspace's 张 carries both.
        var tagEvents = await server.QueryAsync<string>("SELECT payload FROM event_log WHERE workspace_id = @ws AND type = 'track'", new { ws = other.Id });
        tagEvents.Select(e => JsonDocument.Parse(e).RootElement.GetProperty("properties").GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).Order().ToList())
            .ShouldContain(tags => tags.SequenceEqual(new[] { "复购", "高净值" }.Order()));
        var theirZhang = await server.CustomerOfAsync(other.Id, "phone", "13800000001");
        (await server.QueryAsync<string>("SELECT tag FROM customer_tags WHERE customer_id = @theirZhang", new { theirZhang })).ShouldBe(["复购", "高净值"], ignoreOrder: true);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Export_MasksForReadOnlyRoles_FiltersLikeTheList_AndStaffGetOnlyTheirOwn(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var amy = await seed.StaffAsync("安安");
        await seed.CustomerAsync("甲", owner: amy, phone: "13800000001", email: "jia@example.com");
        await seed.CustomerAsync("乙", phone: "13800000002");
        var admin = server.Workspace.AdminClient();

        (await ExportAsync(admin, "/api/customers/export.csv")).Rows.Select(r => r["phone"]).ShouldBe(["13800000001", "13800000002"], ignoreOrder: true);
        (await ExportAsync(admin, "/api/customers/export.csv?mask=true")).Rows.Select(r => r["phone"]).ShouldBe(["138****0001", "138****0002"], ignoreOrder: true);
        var analyst = await server.Workspace.MemberClientAsync(Roles.Analyst);
        var masked = (await ExportAsync(analyst, "/api/customers/export.csv")).Rows;
        masked.Select(r => r["phone"]).ShouldBe(["138****0001", "138****0002"], ignoreOrder: true);
        masked.Single(r => r["name"] == "甲")["email"].ShouldBe("j***@example.com");

        var filtered = (await ExportAsync(admin, "/api/customers/export.csv?search=0002")).Rows;
        filtered.Single()["name"].ShouldBe("乙");
        (await ExportAsync(admin, $"/api/customers/export.csv?staff={amy}")).Rows.Single()["owner_staff"].ShouldBe("安安");
        var staff = await server.Workspace.MemberClientAsync(Roles.Staff, amy);
        (await ExportAsync(staff, "/api/customers/export.csv")).Rows.Single()["name"].ShouldBe("甲");

        (await (await admin.GetAsync("/api/customers/export.csv?depth=deep")).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("depth");
        (await (await admin.GetAsync($"/api/customers/export.csv?staff={Guid.NewGuid()}")).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("staff");
        (await server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE workspace_id = @ws AND action = 'customers.export'", new { ws = server.Workspace.Id }))
            .ShouldBe(6, "every export is in the audit log (PIPL)");
    }

    private static async Task<(string[] Header, List<Dictionary<string, string>> Rows, byte[] Bytes)> ExportAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8);
        using var csv = new CsvHelper.CsvParser(reader, CultureInfo.InvariantCulture);
        csv.Read().ShouldBeTrue();
        var header = csv.Record!;
        var rows = new List<Dictionary<string, string>>();
        while (csv.Read())
            rows.Add(header.Select((h, i) => (h, csv.Record![i])).ToDictionary(p => p.h, p => p.Item2));
        return (header, rows, bytes);
    }

    private static List<string> Comparable(List<Dictionary<string, string>> rows, string[] skip) =>
        rows.Select(r => string.Join(" | ", r.Where(p => !skip.Contains(p.Key)).Select(p => $"{p.Key}={p.Value}"))).Order(StringComparer.Ordinal).ToList();
}
