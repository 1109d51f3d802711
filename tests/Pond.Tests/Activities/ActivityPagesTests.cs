using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Activities;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Activities;

/// <summary>The console's activity pages: creating through the form, live counter fragments, the staff role kept out.</summary>
public sealed class ActivityPagesTests
{
    /// <summary>A datetime-local value in the workspace's zone (Asia/Shanghai).</summary>
    private static string Local(DateTimeOffset at) => at.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task FlashSaleForm_CreatesASale_AndItsCounterFragmentFollowsAttempts(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var buyers = await server.Workspace.CustomersAsync(3);
        using var owner = await server.Workspace.SignedInClientAsync(server.Workspace.OwnerEmail);
        var form = await CustomerPagesTests.FormAsync(owner, "/activities/flash-sales", "flash-sale-create", new()
        {
            ["NewSale.Name"] = "周年庆秒杀", ["NewSale.ProductName"] = "真丝睡衣", ["NewSale.Sku"] = "PJ-01", ["NewSale.OriginalPrice"] = "499",
            ["NewSale.FlashPrice"] = "99.9", ["NewSale.Stock"] = "2", ["NewSale.PerCustomerLimit"] = "1", ["NewSale.PaymentTimeoutMinutes"] = "10",
            ["NewSale.StartsAt"] = Local(ScoreKit.Now.AddHours(-1)), ["NewSale.EndsAt"] = Local(ScoreKit.Now.AddDays(1)),
        });
        var created = await owner.PostAsync("/activities/flash-sales", form);
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var location = created.Headers.Location!.ToString();
        var saleId = Guid.Parse(location.Split('/')[^1]);

        using var admin = server.Workspace.AdminClient();
        await admin.ReservedAsync(saleId, buyers[0]);
        await admin.ReservedAsync(saleId, buyers[1]);
        (await (await admin.AttemptAsync(saleId, buyers[2])).RefusalAsync()).ShouldBe(RefusalReasons.SoldOut);

        var page = await owner.PageAsync(location);
        page.ShouldContain("周年庆秒杀");
        page.ShouldContain("hx-trigger=\"every 2s\"");
        var fragment = await owner.PageAsync($"/activities/flash-sales/{saleId}/counters");
        fragment.ShouldContain("data-remaining=\"0\"");
        fragment.ShouldContain("已抢光");
        fragment.ShouldNotContain("<html");
        (await owner.PageAsync("/activities/flash-sales")).ShouldContain("周年庆秒杀");

        var bad = await owner.PostAsync("/activities/flash-sales", await CustomerPagesTests.FormAsync(owner, "/activities/flash-sales", "flash-sale-create", new()
        {
            ["NewSale.Name"] = "x", ["NewSale.Sku"] = "x", ["NewSale.OriginalPrice"] = "10", ["NewSale.FlashPrice"] = "20", ["NewSale.Stock"] = "1",
            ["NewSale.StartsAt"] = Local(ScoreKit.Now.AddHours(-1)), ["NewSale.EndsAt"] = Local(ScoreKit.Now.AddDays(1)),
        }));
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).ShouldContain("flashPrice must not be above originalPrice");

        using var staff = await server.Workspace.MemberClientAsync(Roles.Staff, await new CustomerSeed(server.Workspace).StaffAsync("导购"));
        (await staff.GetAsync($"/activities/flash-sales/{saleId}/counters")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var staffPage = await staff.PageAsync(location);
        staffPage.ShouldContain("营销活动涉及所有客户");
        staffPage.ShouldNotContain("周年庆秒杀");
        (await staff.PageAsync("/activities/flash-sales")).ShouldNotContain("周年庆秒杀");
        (await staff.PageAsync("/tasks")).ShouldNotContain("/activities/flash-sales"); // the staff role's home: "/" redirects there
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task GroupBuyPage_ShowsFormingGroupsWithSeatsLeft_AndClosedOnes(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var people = await server.Workspace.CustomersAsync(4, "团友");
        using var admin = server.Workspace.AdminClient();
        var buy = await (await admin.PostAsJsonAsync("/api/group-buys", new
        {
            name = "两人团 · 丝巾", sku = "SILK-2", originalPrice = 199m, groupPrice = 129m, groupSize = 2, startsAt = ScoreKit.Now.AddHours(-1), endsAt = ScoreKit.Now.AddDays(1),
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var buyId = buy.GetProperty("id").GetGuid();
        var forming = await (await admin.PostAsJsonAsync($"/api/group-buys/{buyId}/groups", new { customerId = people[0] })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var complete = await (await admin.PostAsJsonAsync($"/api/group-buys/{buyId}/groups", new { customerId = people[1] })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        (await admin.PostAsJsonAsync($"/api/group-buys/groups/{complete.GetProperty("code").GetString()}/join", new { customerId = people[2] })).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var owner = await server.Workspace.SignedInClientAsync(server.Workspace.OwnerEmail);
        var page = await owner.PageAsync($"/activities/group-buys/{buyId}");
        page.ShouldContain(forming.GetProperty("code").GetString()!);
        page.ShouldContain("还差 1 人");
        page.ShouldContain("拼团成功");
        page.ShouldContain($"GB-{complete.GetProperty("code").GetString()}-2");
        var live = await owner.PageAsync($"/activities/group-buys/{buyId}/live");
        live.ShouldContain("data-testid=\"open-group\"");
        (await owner.PageAsync("/activities/group-buys")).ShouldContain("两人团 · 丝巾");
    }
}

public sealed class DemoActivitiesTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Demo_RunningSalePartlySold_PastSaleSoldOut_GroupsFormingCompleteAndExpired(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: false);
        await server.Workspace.CustomersAsync(400);
        await Pond.Server.Demo.DemoActivities.SetUpAsync(server.App.Services, server.Workspace.Id);

        var sales = await server.Service<FlashSales>().ListAsync(server.Workspace.Id);
        var now = DateTimeOffset.UtcNow;
        var running = sales.Single(s => s.StateAt(now) == FlashSaleStates.Running);
        running.Sold.ShouldBeGreaterThan(100);
        running.Remaining.ShouldBeGreaterThan(0);
        var past = sales.Single(s => s.StateAt(now) == FlashSaleStates.Ended);
        (past.Sold, past.Reserved, past.Remaining).ShouldBe((past.Stock, 0, 0));
        sales.Count(s => s.StateAt(now) == FlashSaleStates.Scheduled).ShouldBe(1);

        var buy = (await server.Service<GroupBuys>().ListAsync(server.Workspace.Id)).Single();
        var counters = await server.Service<GroupBuys>().CountersAsync(server.Workspace.Id, buy.Id);
        counters.OpenGroups.ShouldBeGreaterThan(0);
        counters.CompleteGroups.ShouldBeGreaterThan(0);
        counters.ExpiredGroups.ShouldBeGreaterThan(0);
        counters.Refunds.ShouldBeGreaterThan(0);
        (counters.Sold).ShouldBe(counters.CompleteGroups * 3);
    }
}
