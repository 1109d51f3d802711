using System.Net;
using System.Net.Http.Json;
using Pond.Customers;
using Pond.Staff;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Workspaces;

namespace Pond.Tests.Workspaces;

/// <summary>No request can read or change another workspace's data: every endpoint, addressed by the other workspace's ids.</summary>
public sealed class WorkspaceIsolationTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task EveryEndpoint_TreatsAnotherWorkspacesIdsAsUnknown(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var other = await server.CreateWorkspaceAsync("other");
        var seed = new CustomerSeed(other);
        var theirStaff = await seed.StaffAsync("别家导购");
        var theirCarrier = await seed.CarrierAsync(CarrierKinds.WecomAccount, "别家企业微信", "other-wecom", theirStaff);
        var theirCustomer = await seed.CustomerAsync("别家客户", Depth.Friend, owner: theirStaff, phone: "13700000000");
        await seed.RelationshipAsync(theirCustomer, theirCarrier, seed.Next());
        await seed.EventAsync(theirCustomer, "Order Completed", seed.Next());
        var theirMerged = Guid.CreateVersion7();
        await seed.MergeAsync(theirCustomer, theirMerged, seed.Next());
        var theirAdmin = other.AdminClient();
        var theirKey = (await theirAdmin.GetAsync<List<ApiKey>>("/api/keys")).First(k => k.Kind == ApiKeyKinds.Secret);
        var theirOwner = (await theirAdmin.GetAsync<List<WorkspaceService.MemberRow>>("/api/members")).Single();

        var ours = server.Workspace.AdminClient();
        await new CustomerSeed(server.Workspace).CustomerAsync("我们的客户");

        // Lists show only our own rows.
        (await ours.GetAsync<CustomerPage>("/api/customers")).Items.Select(c => c.DisplayName).ShouldBe(["我们的客户"]);
        (await ours.GetAsync<CustomerPage>("/api/customers?search=13700000000")).Items.ShouldBeEmpty();
        (await ours.GetAsync<List<StaffMember>>("/api/staff")).ShouldBeEmpty();
        (await ours.GetAsync<List<CarrierAccount>>("/api/carriers")).ShouldBeEmpty();
        (await ours.GetAsync<List<ApiKey>>("/api/keys")).ShouldNotContain(k => k.Id == theirKey.Id);
        (await ours.GetAsync<List<WorkspaceService.MemberRow>>("/api/members")).ShouldNotContain(m => m.UserId == theirOwner.UserId);
        (await ours.GetAsync<List<AuditLog.Entry>>("/api/audit")).ShouldNotContain(e => e.Target == theirKey.Prefix);

        // Their ids are unknown here: 404 (or 400 where an id is a filter), never their data.
        await (await ours.GetAsync($"/api/customers/{theirCustomer}")).ProblemAsync(HttpStatusCode.NotFound);
        var merged = await (await ours.GetAsync($"/api/customers/{theirMerged}")).ProblemAsync(HttpStatusCode.NotFound);
        merged.TryGetProperty("mergedInto", out _).ShouldBeFalse();
        await (await ours.GetAsync($"/api/customers/{theirCustomer}/events")).ProblemAsync(HttpStatusCode.NotFound);
        await (await ours.PutAsJsonAsync($"/api/customers/{theirCustomer}/consent", new { marketingOptOut = true })).ProblemAsync(HttpStatusCode.NotFound);
        await (await ours.GetAsync($"/api/customers?carrier={theirCarrier}")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await ours.GetAsync($"/api/customers?staff={theirStaff}")).ProblemAsync(HttpStatusCode.BadRequest);

        await (await ours.GetAsync($"/api/staff/{theirStaff}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await ours.PutAsJsonAsync($"/api/staff/{theirStaff}", new { name = "改名" })).ProblemAsync(HttpStatusCode.NotFound);
        await (await ours.DeleteAsync($"/api/staff/{theirStaff}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await ours.GetAsync($"/api/carriers/{theirCarrier}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await ours.PutAsJsonAsync($"/api/carriers/{theirCarrier}", new { kind = "wecom_account", name = "改名", externalId = "x", ownerStaffId = theirStaff }))
            .ProblemAsync(HttpStatusCode.NotFound);
        await (await ours.DeleteAsync($"/api/carriers/{theirCarrier}")).ProblemAsync(HttpStatusCode.NotFound);
        (await ours.GetAsync<List<CarrierAccount>>($"/api/carriers?staff={theirStaff}")).ShouldBeEmpty();
        (await (await ours.PostAsJsonAsync("/api/carriers", new { kind = "wecom_account", name = "借用", externalId = "borrow", ownerStaffId = theirStaff }))
            .ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("No staff member");

        await (await ours.DeleteAsync($"/api/keys/{theirKey.Id}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await ours.PutAsJsonAsync($"/api/members/{theirOwner.UserId}", new { role = "analyst" })).ProblemAsync(HttpStatusCode.NotFound);
        await (await ours.DeleteAsync($"/api/members/{theirOwner.UserId}")).ProblemAsync(HttpStatusCode.NotFound);
        (await (await ours.PostAsJsonAsync("/api/members", new { email = "spy@lily.test", password = "long-enough-1", role = "staff", staffId = theirStaff }))
            .ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("staffId");

        // Nothing of theirs changed.
        (await theirAdmin.GetAsync("/api/customers")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var theirs = await theirAdmin.GetAsync<CustomerDetail>($"/api/customers/{theirCustomer}");
        theirs.Consent.MarketingOptOut.ShouldBeFalse();
        theirs.Relationships.ShouldHaveSingleItem();
        (await theirAdmin.GetAsync<StaffMember>($"/api/staff/{theirStaff}")).Name.ShouldBe("别家导购");
        (await theirAdmin.GetAsync<CarrierAccount>($"/api/carriers/{theirCarrier}")).Name.ShouldBe("别家企业微信");
        (await theirAdmin.GetAsync<List<WorkspaceService.MemberRow>>("/api/members")).Single().Role.ShouldBe(Roles.Owner);
        // Their order, and the lifecycle stage it moved them to (the score engine's own timeline row): nothing of ours.
        (await theirAdmin.GetAsync<TimelinePage>($"/api/customers/{theirCustomer}/events")).Items
            .Where(e => e.Name != "Lifecycle Stage Changed").ShouldHaveSingleItem();
    }
}
