using System.Net;
using System.Net.Http.Json;
using Pond.Audience;
using Pond.Customers;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Audience;

/// <summary>The console's tag pages as each role gets them: who sees forms, whose counts they see.</summary>
public sealed class TagPagesTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TagsPage_OperatorsGetForms_StaffAndAnalystsReadTheirCounts(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var mei = await seed.StaffAsync("小美");
        var hers = await seed.CustomerAsync("小美的客户", owner: mei);
        var other = await seed.CustomerAsync("别人的客户");
        var admin = server.Workspace.AdminClient();
        var group = await (await admin.PostAsJsonAsync("/api/tag-groups", new { name = "肤质" })).ReadAsync<TagGroup>(HttpStatusCode.Created);
        await (await admin.PostAsJsonAsync("/api/tags", new { name = "油皮", groupId = group.Id })).ReadAsync<CatalogTag>(HttpStatusCode.Created);
        await (await admin.PostAsJsonAsync("/api/tags/bulk", new { tag = "油皮", action = "add", customerIds = new[] { hers, other } })).ReadAsync<TagChange>();

        var operatorPage = await (await server.Workspace.MemberClientAsync(Roles.Operator)).PageAsync("/audience/tags");
        operatorPage.ShouldContain("data-testid=\"tag-create\"");
        operatorPage.ShouldContain("data-testid=\"group-create\"");
        operatorPage.ShouldContain("data-group-name=\"肤质\"");
        operatorPage.ShouldContain("data-testid=\"tag-customers\">2<");

        var staff = await server.Workspace.MemberClientAsync(Roles.Staff, mei);
        var staffPage = await staff.PageAsync("/audience/tags");
        staffPage.ShouldNotContain("data-testid=\"tag-create\"");
        staffPage.ShouldContain("data-testid=\"tag-customers\">1<");
        staffPage.ShouldNotContain("别人的客户");
        // Staff tag their own customers on the 360.
        (await staff.PageAsync($"/customers/{hers}")).ShouldContain("data-testid=\"tag-add\"");

        var analyst = await server.Workspace.MemberClientAsync(Roles.Analyst);
        var analystPage = await analyst.PageAsync("/audience/tags");
        analystPage.ShouldNotContain("data-testid=\"tag-create\"");
        analystPage.ShouldContain("你的角色可以查看标签，但不能修改标签库。");
        var analyst360 = await analyst.PageAsync($"/customers/{hers}");
        analyst360.ShouldNotContain("data-testid=\"tag-add\"");
        analyst360.ShouldContain("data-testid=\"tag-history-row\"");
    }
}
