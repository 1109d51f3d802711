using System.Net;
using System.Net.Http.Json;
using Pond.Staff;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Staff;

/// <summary>The handover pages as each role sees them, and how WeCom's failure reasons read in Chinese.</summary>
public sealed class HandoverPagesTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Roles_StaffAreKeptOut_AnalystsRead_OperatorsStart(DbEngine engine)
    {
        await using var scene = await HandoverScene.StartAsync(engine, customers: 2, signIn: true);
        var handover = await (await scene.Admin.PostAsJsonAsync("/api/handovers", new { kind = "resigned", fromStaffId = scene.Amy.Id, toStaffIds = new[] { scene.Bea.Id } }))
            .ReadAsync<HandoverDetail>(HttpStatusCode.Created);

        var guide = await scene.Server.Workspace.MemberClientAsync(Roles.Staff, scene.Bea.Id);
        await (await guide.GetAsync("/api/handovers")).ProblemAsync(HttpStatusCode.Forbidden);
        await (await guide.GetAsync($"/api/handovers/{handover.Id}")).ProblemAsync(HttpStatusCode.Forbidden);
        var hidden = await guide.GetAsync($"/staff/handovers/{handover.Id}");
        hidden.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        WebUtility.HtmlDecode(await hidden.Content.ReadAsStringAsync()).ShouldNotContain("客户 customer-1");
        (await guide.PageAsync("/staff")).ShouldNotContain("data-testid=\"handovers-link\"");

        var analyst = await scene.Server.Workspace.MemberClientAsync(Roles.Analyst);
        (await analyst.GetAsync<List<HandoverSummary>>("/api/handovers")).Single().Id.ShouldBe(handover.Id);
        var list = await analyst.PageAsync("/staff/handovers");
        list.ShouldContain("离职继承");
        list.ShouldNotContain("data-testid=\"handover-start\"");
        await (await analyst.PostAsJsonAsync("/api/handovers", new { kind = "resigned", fromStaffId = scene.Bea.Id, toStaffIds = new[] { scene.Cat.Id } }))
            .ProblemAsync(HttpStatusCode.Forbidden);

        var operatorClient = await scene.Server.Workspace.MemberClientAsync(Roles.Operator);
        (await operatorClient.PageAsync("/staff/handovers")).ShouldContain("data-testid=\"handover-start\"");
        (await operatorClient.PageAsync("/staff")).ShouldContain("data-testid=\"handovers-link\"");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task DetailPage_ShowsEachCustomersStatus_WithWeComReasonsInChinese(DbEngine engine)
    {
        await using var scene = await HandoverScene.StartAsync(engine, customers: 3, signIn: true);
        var handover = await (await scene.Admin.PostAsJsonAsync("/api/handovers", new { kind = "in_service", fromStaffId = scene.Amy.Id, toStaffIds = new[] { scene.Bea.Id } }))
            .ReadAsync<HandoverDetail>(HttpStatusCode.Created);
        // Settled the way WeCom would leave them: one refused, one rejected with an errcode, one waiting.
        await scene.Server.ExecuteAsync("UPDATE handover_transfers SET status = 'failed', fail_reason = 'customer refused' WHERE customer_id = @id", new { id = scene.Customers[0] });
        await scene.Server.ExecuteAsync("UPDATE handover_transfers SET status = 'failed', fail_reason = 'WeCom errcode 40096' WHERE customer_id = @id", new { id = scene.Customers[1] });
        await scene.Server.ExecuteAsync("UPDATE handover_transfers SET status = 'waiting' WHERE customer_id = @id", new { id = scene.Customers[2] });
        var owner = await scene.Server.Workspace.SignedInClientAsync(scene.Server.Workspace.OwnerEmail);

        var html = await owner.PageAsync($"/staff/handovers/{handover.Id}");

        html.ShouldContain("在职转接 · 安安");
        html.ShouldContain("客户拒绝");
        html.ShouldContain("企业微信错误码 40096");
        html.ShouldContain("等待接替");
        html.ShouldContain("data-testid=\"handover-refresh\"");
        html.ShouldContain("客户 customer-1");
        (await owner.PageAsync("/staff/handovers")).ShouldContain($"data-handover-id=\"{handover.Id}\"");
        (await owner.PageAsync($"/staff/handovers/{Guid.NewGuid()}")).ShouldContain("转接记录不存在");
    }
}
