using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Pond.Customers;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Workspaces;

namespace Pond.Tests.Workspaces;

public sealed class RoleEnforcementTests
{
    private static readonly object NewStaff = new { name = "新导购" };

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Analyst_ReadsButCannotWriteAnything(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var customer = await seed.CustomerAsync("王小美");
        var staff = await seed.StaffAsync("小美");
        var analyst = await server.Workspace.MemberClientAsync(Roles.Analyst);

        (await analyst.GetAsync("/api/customers")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await analyst.GetAsync($"/api/customers/{customer}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await analyst.GetAsync("/api/staff")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await analyst.GetAsync("/api/carriers")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await analyst.PostAsJsonAsync("/api/staff", NewStaff)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await analyst.PutAsJsonAsync($"/api/staff/{staff}", NewStaff)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await analyst.DeleteAsync($"/api/staff/{staff}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await analyst.PostAsJsonAsync("/api/carriers", new { kind = "sms", name = "短信", externalId = "1069" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await analyst.PutAsJsonAsync($"/api/customers/{customer}/consent", new { marketingOptOut = true })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await analyst.GetAsync("/api/keys")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await analyst.GetAsync("/api/audit")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await server.Workspace.AdminClient().GetAsync<List<Pond.Staff.StaffMember>>("/api/staff")).ShouldHaveSingleItem();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Operator_RunsStaffAndCustomersButCannotManageKeysOrMembers(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var customer = await new CustomerSeed(server.Workspace).CustomerAsync("王小美", phone: "13812345678");
        var op = await server.Workspace.MemberClientAsync(Roles.Operator);

        (await op.PostAsJsonAsync("/api/staff", NewStaff)).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await op.PutAsJsonAsync($"/api/customers/{customer}/consent", new { marketingOptOut = true })).StatusCode.ShouldBe(HttpStatusCode.OK);
        // Operators may see personal data in full on the customer 360.
        (await op.GetAsync<CustomerDetail>($"/api/customers/{customer}")).Identities.Single().Value.ShouldBe("13812345678");

        (await op.GetAsync("/api/keys")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await op.PostAsJsonAsync("/api/keys", new { kind = "secret", name = "mine" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await op.DeleteAsync($"/api/keys/{Guid.CreateVersion7()}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await op.GetAsync("/api/members")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await op.PostAsJsonAsync("/api/members", new { email = "a@b.test", password = "long-enough-1", role = "admin" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await op.GetAsync("/api/audit")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task StaffRole_SeesOnlyTheirOwnCustomers(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var mei = await seed.StaffAsync("小美");
        var lan = await seed.StaffAsync("小兰");
        var mine = await seed.CustomerAsync("小美的客户", Depth.Friend, owner: mei, phone: "13812345678");
        var theirs = await seed.CustomerAsync("小兰的客户", Depth.Friend, owner: lan);
        var nobodys = await seed.CustomerAsync("无主客户");
        await seed.EventAsync(theirs, "Order Completed", seed.Next());
        var mergedIntoTheirs = Guid.CreateVersion7();
        await seed.MergeAsync(theirs, mergedIntoTheirs, seed.Next());
        var mergedIntoMine = Guid.CreateVersion7();
        await seed.MergeAsync(mine, mergedIntoMine, seed.Next());
        var staff = await server.Workspace.MemberClientAsync(Roles.Staff, mei);

        (await staff.GetAsync<CustomerPage>("/api/customers")).Items.Select(c => c.Id).ShouldBe([mine]);
        (await staff.GetAsync<CustomerPage>("/api/customers?search=客户")).Items.Select(c => c.Id).ShouldBe([mine]);
        (await staff.GetAsync<CustomerPage>($"/api/customers?staff={lan}")).Items.ShouldBeEmpty();
        var detail = await staff.GetAsync<CustomerDetail>($"/api/customers/{mine}");
        detail.Identities.Single().Value.ShouldBe("138****5678");
        await (await staff.GetAsync($"/api/customers/{theirs}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await staff.GetAsync($"/api/customers/{nobodys}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await staff.GetAsync($"/api/customers/{theirs}/events")).ProblemAsync(HttpStatusCode.NotFound);
        var hidden = await (await staff.GetAsync($"/api/customers/{mergedIntoTheirs}")).ProblemAsync(HttpStatusCode.NotFound);
        hidden.TryGetProperty("mergedInto", out _).ShouldBeFalse();
        (await (await staff.GetAsync($"/api/customers/{mergedIntoMine}")).ProblemAsync(HttpStatusCode.NotFound)).GetProperty("mergedInto").GetGuid().ShouldBe(mine);
        (await staff.PutAsJsonAsync($"/api/customers/{mine}/consent", new { marketingOptOut = true })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await staff.PostAsJsonAsync("/api/staff", NewStaff)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task WriteKeyAndAnonymousCallers_AreRejectedWith401(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        using var anonymous = server.Client();
        var writeKey = server.Workspace.TrackingClient();
        using var wrongBearer = server.Client();
        wrongBearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Workspace.WriteKey);

        foreach (var path in new[] { "/api/customers", "/api/staff", "/api/carriers", "/api/keys", "/api/members", "/api/audit" })
        {
            (await anonymous.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, path);
            (await writeKey.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, path);
            (await wrongBearer.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, path);
        }

        (await writeKey.PostAsync("/api/staff", new StringContent("{\"name\":\"x\"}", Encoding.UTF8, "application/json"))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Admin_CannotGrantOrRemoveOwnership(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var admin = await server.Workspace.MemberClientAsync(Roles.Admin);
        var owner = (await admin.GetAsync<List<WorkspaceService.MemberRow>>("/api/members")).Single(m => m.Role == Roles.Owner);
        var me = (await admin.GetAsync<List<WorkspaceService.MemberRow>>("/api/members")).Single(m => m.Role == Roles.Admin);

        (await (await admin.PutAsJsonAsync($"/api/members/{me.UserId}", new { role = "owner" })).ProblemAsync(HttpStatusCode.Forbidden)).Detail().ShouldContain("owner");
        await (await admin.DeleteAsync($"/api/members/{owner.UserId}")).ProblemAsync(HttpStatusCode.Forbidden);
        await (await admin.PutAsJsonAsync($"/api/members/{owner.UserId}", new { role = "analyst" })).ProblemAsync(HttpStatusCode.Forbidden);
        (await admin.PostAsJsonAsync("/api/keys", new { kind = "write", name = "app" })).StatusCode.ShouldBe(HttpStatusCode.Created);
    }
}
