using System.Net;
using System.Text.RegularExpressions;
using Pond.Customers;
using Pond.Storage;
using Pond.Tests.Infrastructure;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Customers;

public sealed partial class CustomerPagesTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task CustomerList_RendersSearchFiltersMaskedRowsAndLoadMore(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var mei = await seed.StaffAsync("小美");
        for (var i = 0; i < 51; i++)
            await seed.CustomerAsync($"客户{i:00}");
        var xiaomei = await seed.CustomerAsync("王小美", Depth.Friend, owner: mei, phone: "13812345678", email: "lily@example.com");
        var owner = await server.Workspace.SignedInClientAsync(server.Workspace.OwnerEmail);

        var html = await owner.PageAsync("/customers");
        html.ShouldContain("data-testid=\"customer-search\"");
        Rows(html).Count.ShouldBe(50);
        Rows(html)[0].ShouldBe(xiaomei);
        html.ShouldContain("138****5678");
        html.ShouldContain("l***@example.com");
        html.ShouldNotContain("13812345678");
        html.ShouldContain("负责导购"); // zh-CN is the default culture
        html.ShouldContain("badge badge-friend");
        html.ShouldContain("data-testid=\"load-more\"");

        var more = LoadMoreUrl().Match(html).Groups[1].Value.Replace("&amp;", "&", StringComparison.Ordinal);
        var next = await owner.PageAsync(more);
        Rows(next).Count.ShouldBe(2);
        next.ShouldNotContain("data-testid=\"load-more\"");

        var found = await owner.PageAsync("/customers?search=5678&depth=friend");
        Rows(found).ShouldBe([xiaomei]);
        (await owner.PageAsync("/customers?cursor=broken")).ShouldContain("nextCursor");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Customer360_ShowsEverySectionAndMasksForAnalysts(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var mei = await seed.StaffAsync("小美");
        var account = await seed.CarrierAsync(CarrierKinds.WecomAccount, "小美的企业微信", "xiaomei", mei);
        var id = await seed.CustomerAsync("王小美", Depth.Friend, owner: mei, phone: "13812345678", traits: new { city = "上海" });
        await seed.RelationshipAsync(id, account, seed.Next(), sourceChannel: "package_card");
        await seed.EventAsync(id, "Order Completed", seed.Next(), new { revenue = 199 });
        var older = seed.Next().AddYears(-1);
        for (var i = 0; i < 20; i++)
            await seed.EventAsync(id, $"Old Event {i:00}", older.AddMinutes(i));
        var merged = Guid.CreateVersion7();
        await seed.MergeAsync(id, merged, seed.Next(), (IdentityKinds.TmallBuyerId, "tb001"));
        var owner = await server.Workspace.SignedInClientAsync(server.Workspace.OwnerEmail);

        var html = await owner.PageAsync($"/customers/{id}");
        foreach (var testId in new[] { "customer-360", "identities", "relationships", "timeline", "merges", "consent-toggle" })
            html.ShouldContain($"data-testid=\"{testId}\"");
        html.ShouldContain("13812345678");
        html.ShouldContain("小美的企业微信");
        html.ShouldContain("package_card");
        html.ShouldContain("Order Completed");
        html.ShouldContain(merged.ToString());
        html.ShouldContain("上海");
        html.ShouldNotContain("Old Event 00"); // the 21st event is on the next timeline page
        var more = Regex.Match(html, "href=\"(/customers/[^\"]+\\?events=[^\"]+)\"").Groups[1].Value;
        more.ShouldNotBeEmpty();
        (await owner.PageAsync(more)).ShouldContain("Old Event 00");

        var analyst = await server.Workspace.MemberClientAsync(Roles.Analyst);
        var masked = await analyst.PageAsync($"/customers/{id}");
        masked.ShouldContain("138****5678");
        masked.ShouldNotContain("13812345678");
        masked.ShouldNotContain("data-testid=\"consent-toggle\"");

        var mergedPage = await owner.PageAsync($"/customers/{merged}");
        mergedPage.ShouldContain("data-testid=\"merged-into\"");
        mergedPage.ShouldContain($"href=\"/customers/{id}\"");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Customer360_ConsentForm_OptsOutWithAntiforgery(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var id = await new CustomerSeed(server.Workspace).CustomerAsync("王小美");
        var owner = await server.Workspace.SignedInClientAsync(server.Workspace.OwnerEmail);

        var response = await owner.PostAsync($"/customers/{id}", await FormAsync(owner, $"/customers/{id}", "consent", new() { ["OptOut"] = "true" }));
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await server.Workspace.AdminClient().GetAsync<CustomerDetail>($"/api/customers/{id}")).Consent.MarketingOptOut.ShouldBeTrue();
        (await owner.PageAsync($"/customers/{id}")).ShouldContain("已退订");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task StaffRole_SeesOnlyOwnCustomersInTheConsole(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var mei = await seed.StaffAsync("小美");
        var mine = await seed.CustomerAsync("小美的客户", owner: mei);
        var theirs = await seed.CustomerAsync("别人的客户");
        var staff = await server.Workspace.MemberClientAsync(Roles.Staff, mei);

        var html = await staff.PageAsync("/customers");
        Rows(html).ShouldBe([mine]);
        html.ShouldNotContain("data-testid=\"filter-staff\"");
        var hidden = await staff.PageAsync($"/customers/{theirs}");
        hidden.ShouldContain("data-testid=\"customer-missing\"");
        hidden.ShouldNotContain("别人的客户");
        (await staff.PageAsync($"/customers/{mine}")).ShouldContain("data-testid=\"customer-360\"");
    }

    [Fact]
    public async Task Pages_RedirectAnonymousVisitorsToSignIn()
    {
        await using var server = await PondServer.StartAsync(DbEngine.Sqlite);
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        foreach (var path in new[] { "/customers", $"/customers/{Guid.CreateVersion7()}", "/staff" })
        {
            var response = await client.GetAsync(path);
            response.StatusCode.ShouldBe(HttpStatusCode.Redirect, path);
            response.Headers.Location!.ToString().ShouldContain("/signin");
        }
    }

    internal static List<Guid> Rows(string html) =>
        CustomerRow().Matches(html).Select(m => Guid.Parse(m.Groups[1].Value)).ToList();

    /// <summary>Fills a Blazor SSR form as a browser would: the page's antiforgery token, the form name, and the fields.</summary>
    internal static async Task<FormUrlEncodedContent> FormAsync(HttpClient client, string page, string formName, Dictionary<string, string> fields)
    {
        var html = await client.GetStringAsync(page);
        var token = AntiforgeryToken().Match(html);
        token.Success.ShouldBeTrue("the page renders an antiforgery token");
        var values = new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
            ["_handler"] = formName,
        };
        foreach (var (key, value) in fields)
            values[key] = value;
        return new FormUrlEncodedContent(values);
    }

    [GeneratedRegex("data-testid=\"customer-row\" data-customer-id=\"([0-9a-f-]{36})\"")]
    private static partial Regex CustomerRow();

    [GeneratedRegex("<a class=\"btn\" href=\"(/customers\\?[^\"]+)\"")]
    private static partial Regex LoadMoreUrl();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
