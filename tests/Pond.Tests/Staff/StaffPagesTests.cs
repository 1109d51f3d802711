using System.Net;
using Pond.Customers;
using Pond.Staff;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Staff;

public sealed class StaffPagesTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task StaffPage_OperatorAddsStaffAndAccounts_WithErrorsShownInPlace(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var op = await server.Workspace.MemberClientAsync(Roles.Operator);

        var page = await op.PageAsync("/staff");
        page.ShouldContain("data-testid=\"staff-create\"");
        page.ShouldContain("data-testid=\"carrier-create\"");

        var created = await op.PostAsync("/staff", await CustomerPagesTests.FormAsync(op, "/staff", "staff-create",
            new() { ["NewStaff.Name"] = "小美", ["NewStaff.WecomUserId"] = "xiaomei", ["NewStaff.Status"] = "active" }));
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var mei = (await server.Workspace.AdminClient().GetAsync<List<StaffMember>>("/api/staff")).ShouldHaveSingleItem();
        mei.Name.ShouldBe("小美");

        var account = await op.PostAsync("/staff", await CustomerPagesTests.FormAsync(op, "/staff", "carrier-create",
            new() { ["NewCarrier.Kind"] = "wecom_account", ["NewCarrier.Name"] = "小美的企业微信", ["NewCarrier.ExternalId"] = "xiaomei",
                ["NewCarrier.OwnerStaffId"] = mei.Id.ToString(), ["NewCarrier.Status"] = "active" }));
        account.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var listed = await op.PageAsync("/staff");
        listed.ShouldContain("小美的企业微信");
        listed.ShouldContain("企业微信");

        var duplicate = await op.PostAsync("/staff", await CustomerPagesTests.FormAsync(op, "/staff", "carrier-create",
            new() { ["NewCarrier.Kind"] = "wecom_account", ["NewCarrier.Name"] = "重复", ["NewCarrier.ExternalId"] = "xiaomei",
                ["NewCarrier.OwnerStaffId"] = mei.Id.ToString() }));
        duplicate.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await duplicate.Content.ReadAsStringAsync()).ShouldContain("data-testid=\"form-error\"");

        var carrier = (await server.Workspace.AdminClient().GetAsync<List<CarrierAccount>>("/api/carriers")).ShouldHaveSingleItem();
        var banned = await op.PostAsync($"/staff/carriers/{carrier.Id}", await CustomerPagesTests.FormAsync(op, $"/staff/carriers/{carrier.Id}", "carrier-edit",
            new() { ["Input.Kind"] = "wecom_account", ["Input.Name"] = "小美的企业微信", ["Input.ExternalId"] = "xiaomei",
                ["Input.OwnerStaffId"] = mei.Id.ToString(), ["Input.Status"] = "banned" }));
        banned.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await server.Workspace.AdminClient().GetAsync<CarrierAccount>($"/api/carriers/{carrier.Id}")).Status.ShouldBe(CarrierStatuses.Banned);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task StaffPage_IsReadOnlyForAnalysts(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var mei = await seed.StaffAsync("小美");
        await seed.CarrierAsync(CarrierKinds.GroupChat, "会员1群", "wrGroup1", mei);
        var analyst = await server.Workspace.MemberClientAsync(Roles.Analyst);

        var page = await analyst.PageAsync("/staff");
        page.ShouldContain("会员1群");
        page.ShouldNotContain("data-testid=\"staff-create\"");
        page.ShouldNotContain("/staff/carriers/");
        (await analyst.GetAsync($"/staff/{mei}")).StatusCode.ShouldBe(HttpStatusCode.Redirect); // to the forbidden page
    }
}
