using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Workspaces;

namespace Pond.Tests.Workspaces;

public sealed class WorkspaceAdminApiTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Keys_PlainTextShownOnceOnly_AndARevokedKeyFailsAtOnce(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var admin = server.Workspace.AdminClient();

        var created = await (await admin.PostAsJsonAsync("/api/keys", new { kind = "secret", name = "erp" })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var plain = created.GetProperty("plainText").GetString()!;
        var id = created.GetProperty("key").GetProperty("id").GetGuid();
        plain.ShouldStartWith("sk_");
        created.GetProperty("key").GetProperty("prefix").GetString().ShouldBe(plain[..10]);

        using var erp = server.Client();
        erp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", plain);
        (await erp.GetAsync("/api/customers")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var listed = await (await admin.GetAsync("/api/keys")).Content.ReadAsStringAsync();
        listed.ShouldNotContain(plain);
        listed.ShouldContain(plain[..10]);
        var keys = JsonSerializer.Deserialize<List<ApiKey>>(listed, JsonSerializerOptions.Web)!;
        keys.Single(k => k.Id == id).Name.ShouldBe("erp");

        (await admin.DeleteAsync($"/api/keys/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await erp.GetAsync("/api/customers")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await (await admin.DeleteAsync($"/api/keys/{id}")).ProblemAsync(HttpStatusCode.NotFound);
        (await admin.GetAsync<List<ApiKey>>("/api/keys")).Single(k => k.Id == id).RevokedAt.ShouldNotBeNull();

        (await (await admin.PostAsJsonAsync("/api/keys", new { kind = "master", name = "x" })).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("secret");
        (await (await admin.PostAsJsonAsync("/api/keys", new { kind = "write", name = "" })).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("name");

        var audit = await admin.GetAsync<List<AuditLog.Entry>>("/api/audit?limit=50");
        audit.Select(e => e.Action).ShouldContain("key.revoke");
        await (await admin.GetAsync("/api/audit?limit=0")).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Members_AddChangeRoleRemove_KeepsAnOwner(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var admin = server.Workspace.AdminClient();

        var added = await (await admin.PostAsJsonAsync("/api/members", new { email = "ops@lily.test", password = "long-enough-1", role = "operator", displayName = "运营小王" }))
            .ReadAsync<WorkspaceService.MemberRow>(HttpStatusCode.Created);
        added.Role.ShouldBe(Roles.Operator);
        added.DisplayName.ShouldBe("运营小王");
        await (await admin.PostAsJsonAsync("/api/members", new { email = "ops@lily.test", role = "analyst" })).ProblemAsync(HttpStatusCode.Conflict);
        (await (await admin.PostAsJsonAsync("/api/members", new { email = "new@lily.test", role = "analyst" })).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail().ShouldContain("password");
        (await (await admin.PostAsJsonAsync("/api/members", new { email = "x@lily.test", password = "long-enough-1", role = "boss" })).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail().ShouldContain("operator");
        (await (await admin.PutAsJsonAsync($"/api/members/{added.UserId}", new { role = "staff" })).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail().ShouldContain("staffId");

        (await (await admin.PutAsJsonAsync($"/api/members/{added.UserId}", new { role = "analyst" })).ReadAsync<WorkspaceService.MemberRow>()).Role.ShouldBe(Roles.Analyst);
        var members = await admin.GetAsync<List<WorkspaceService.MemberRow>>("/api/members");
        members.Select(m => (m.Email, m.Role)).ShouldBe([("ops@lily.test", Roles.Analyst), (server.Workspace.OwnerEmail, Roles.Owner)], ignoreOrder: true);

        (await admin.DeleteAsync($"/api/members/{added.UserId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await admin.DeleteAsync($"/api/members/{added.UserId}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await admin.PutAsJsonAsync($"/api/members/{Guid.CreateVersion7()}", new { role = "analyst" })).ProblemAsync(HttpStatusCode.NotFound);

        // The last owner cannot be demoted, even by themselves.
        var owner = members.Single(m => m.Role == Roles.Owner);
        var ownerClient = await server.Workspace.SignedInClientAsync(server.Workspace.OwnerEmail);
        (await (await ownerClient.PutAsJsonAsync($"/api/members/{owner.UserId}", new { role = "admin" })).ProblemAsync(HttpStatusCode.Conflict))
            .Detail().ShouldContain("owner");

        var audit = await admin.GetAsync<List<AuditLog.Entry>>("/api/audit");
        audit.Select(e => e.Action).ShouldContain("member.remove");
        audit.Count(e => e.Action == "member.set" && e.Target == "ops@lily.test").ShouldBe(2);
    }
}
