using System.Net;
using System.Net.Http.Json;
using Pond.Customers;
using Pond.Staff;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Workspaces;

namespace Pond.Tests.Staff;

public sealed class StaffApiTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Staff_CreateReadUpdateDelete_IsAudited(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var client = server.Workspace.AdminClient();

        var created = await client.PostAsJsonAsync("/api/staff", new { name = " 小美 ", email = "XiaoMei@Lily.test", phone = "13800000001", wecomUserId = "xiaomei" });
        var mei = await created.ReadAsync<StaffMember>(HttpStatusCode.Created);
        created.Headers.Location!.ToString().ShouldBe($"/api/staff/{mei.Id}");
        mei.Name.ShouldBe("小美");
        mei.Email.ShouldBe("xiaomei@lily.test");
        mei.Status.ShouldBe(StaffStatuses.Active);

        (await client.GetAsync<List<StaffMember>>("/api/staff")).Select(s => s.Id).ShouldBe([mei.Id]);
        var updated = await (await client.PutAsJsonAsync($"/api/staff/{mei.Id}", new { name = "小美", status = "disabled" })).ReadAsync<StaffMember>();
        updated.Status.ShouldBe(StaffStatuses.Disabled);
        updated.Email.ShouldBeNull();
        (await client.GetAsync<StaffMember>($"/api/staff/{mei.Id}")).Status.ShouldBe(StaffStatuses.Disabled);

        (await client.DeleteAsync($"/api/staff/{mei.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await client.GetAsync($"/api/staff/{mei.Id}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"/api/staff/{mei.Id}")).ProblemAsync(HttpStatusCode.NotFound);

        var audit = await client.GetAsync<List<AuditLog.Entry>>("/api/audit");
        audit.Where(e => e.Target == mei.Id.ToString()).Select(e => e.Action).ShouldBe(["staff.create", "staff.update", "staff.delete"], ignoreOrder: true);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Staff_BadInput_Answers400Or409SayingWhatToFix(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var client = server.Workspace.AdminClient();

        async Task<string> Rejected(object body, HttpStatusCode status = HttpStatusCode.BadRequest) =>
            (await (await client.PostAsJsonAsync("/api/staff", body)).ProblemAsync(status)).Detail();

        (await Rejected(new { name = "" })).ShouldContain("name");
        (await Rejected(new { name = new string('x', 101) })).ShouldContain("1–100");
        (await Rejected(new { name = "小美", email = "not-an-email" })).ShouldContain("not an email");
        (await Rejected(new { name = "小美", phone = "call me" })).ShouldContain("phone number");
        (await Rejected(new { name = "小美", status = "retired" })).ShouldContain("active, disabled");

        var mei = await (await client.PostAsJsonAsync("/api/staff", new { name = "小美", wecomUserId = "xiaomei" })).ReadAsync<StaffMember>(HttpStatusCode.Created);
        (await Rejected(new { name = "另一个小美", wecomUserId = "xiaomei" }, HttpStatusCode.Conflict)).ShouldContain("小美");

        // Someone who holds an account is disabled, not deleted.
        (await client.PostAsJsonAsync("/api/carriers", new { kind = "wecom_account", name = "小美的企业微信", externalId = "xiaomei", ownerStaffId = mei.Id }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        (await (await client.DeleteAsync($"/api/staff/{mei.Id}")).ProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("disabled");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Carriers_CreateReadUpdateDelete_AndFilterByKindAndStaff(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var client = server.Workspace.AdminClient();
        var mei = await (await client.PostAsJsonAsync("/api/staff", new { name = "小美" })).ReadAsync<StaffMember>(HttpStatusCode.Created);

        var oa = await (await client.PostAsJsonAsync("/api/carriers", new { kind = "official_account", name = "莉莉公众号", externalId = "gh_lily", appId = "wx123" }))
            .ReadAsync<CarrierAccount>(HttpStatusCode.Created);
        oa.Status.ShouldBe(CarrierStatuses.Active);
        oa.AppId.ShouldBe("wx123");
        var wecom = await (await client.PostAsJsonAsync("/api/carriers", new { kind = "wecom_account", name = "小美的企业微信", externalId = "xiaomei", ownerStaffId = mei.Id }))
            .ReadAsync<CarrierAccount>(HttpStatusCode.Created);
        wecom.OwnerStaffName.ShouldBe("小美");
        var group = await (await client.PostAsJsonAsync("/api/carriers", new { kind = "group_chat", name = "会员1群", externalId = "wrGroup1", ownerStaffId = mei.Id, status = "disabled" }))
            .ReadAsync<CarrierAccount>(HttpStatusCode.Created);

        (await client.GetAsync<List<CarrierAccount>>("/api/carriers")).Count.ShouldBe(3);
        (await client.GetAsync<List<CarrierAccount>>("/api/carriers?kind=wecom_account")).Select(c => c.Id).ShouldBe([wecom.Id]);
        (await client.GetAsync<List<CarrierAccount>>($"/api/carriers?staff={mei.Id}")).Select(c => c.Id).ShouldBe([group.Id, wecom.Id], ignoreOrder: true);
        (await client.GetAsync<StaffMember>($"/api/staff/{mei.Id}")).Carriers.ShouldBe(2);

        var banned = await (await client.PutAsJsonAsync($"/api/carriers/{wecom.Id}", new { kind = "wecom_account", name = "小美的企业微信", externalId = "xiaomei", ownerStaffId = mei.Id, status = "banned" }))
            .ReadAsync<CarrierAccount>();
        banned.Status.ShouldBe(CarrierStatuses.Banned);
        (await client.GetAsync<CarrierAccount>($"/api/carriers/{wecom.Id}")).Status.ShouldBe(CarrierStatuses.Banned);

        (await client.DeleteAsync($"/api/carriers/{oa.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await client.GetAsync($"/api/carriers/{oa.Id}")).ProblemAsync(HttpStatusCode.NotFound);
        var audit = await client.GetAsync<List<AuditLog.Entry>>("/api/audit");
        audit.Select(e => e.Action).ShouldContain("carrier.delete");
        audit.Where(e => e.Target == wecom.Id.ToString()).Select(e => e.Action).ShouldBe(["carrier.create", "carrier.update"], ignoreOrder: true);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Carriers_BadInput_Answers400Or409SayingWhatToFix(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var client = server.Workspace.AdminClient();
        var mei = await (await client.PostAsJsonAsync("/api/staff", new { name = "小美" })).ReadAsync<StaffMember>(HttpStatusCode.Created);

        async Task<string> Rejected(object body, HttpStatusCode status = HttpStatusCode.BadRequest) =>
            (await (await client.PostAsJsonAsync("/api/carriers", body)).ProblemAsync(status)).Detail();

        (await Rejected(new { kind = "fax", name = "传真", externalId = "1" })).ShouldContain("official_account, wecom_account");
        (await Rejected(new { name = "无类型", externalId = "1" })).ShouldContain("kind");
        (await Rejected(new { kind = "group_chat", name = "", externalId = "1" })).ShouldContain("name");
        (await Rejected(new { kind = "group_chat", name = "群", externalId = "" })).ShouldContain("externalId");
        (await Rejected(new { kind = "wecom_account", name = "无主", externalId = "nobody" })).ShouldContain("ownerStaffId");
        (await Rejected(new { kind = "wecom_account", name = "谁的", externalId = "who", ownerStaffId = Guid.CreateVersion7() })).ShouldContain("No staff member");
        (await Rejected(new { kind = "sms", name = "短信", externalId = "10690000", status = "paused" })).ShouldContain("active, disabled, banned");
        await (await client.GetAsync("/api/carriers?kind=fax")).ProblemAsync(HttpStatusCode.BadRequest);

        var group = await (await client.PostAsJsonAsync("/api/carriers", new { kind = "group_chat", name = "会员1群", externalId = "wrGroup1" }))
            .ReadAsync<CarrierAccount>(HttpStatusCode.Created);
        (await Rejected(new { kind = "group_chat", name = "会员1群（重复）", externalId = "wrGroup1" }, HttpStatusCode.Conflict)).ShouldContain("wrGroup1");
        // The same external id under another kind is a different account.
        (await client.PostAsJsonAsync("/api/carriers", new { kind = "wecom_account", name = "同名", externalId = "wrGroup1", ownerStaffId = mei.Id }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var other = await (await client.PostAsJsonAsync("/api/carriers", new { kind = "group_chat", name = "会员2群", externalId = "wrGroup2" }))
            .ReadAsync<CarrierAccount>(HttpStatusCode.Created);
        await (await client.PutAsJsonAsync($"/api/carriers/{other.Id}", new { kind = "group_chat", name = "会员2群", externalId = "wrGroup1" }))
            .ProblemAsync(HttpStatusCode.Conflict);
        (await (await client.PutAsJsonAsync($"/api/carriers/{other.Id}", new { kind = "official_account", name = "会员2群", externalId = "wrGroup2" }))
            .ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("kind cannot change");

        // A carrier with customer history is disabled or banned, not deleted.
        var seed = new CustomerSeed(server.Workspace);
        var customer = await seed.CustomerAsync("群友", Depth.Community);
        await seed.RelationshipAsync(customer, group.Id, seed.Next());
        (await (await client.DeleteAsync($"/api/carriers/{group.Id}")).ProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("disabled");
        (await client.GetAsync<CarrierAccount>($"/api/carriers/{group.Id}")).ActiveRelationships.ShouldBe(1);
    }
}
