using System.Net;
using System.Net.Http.Json;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Workspaces;
using Pond.Workspaces;
using static Pond.Tests.Commerce.Coupons.CouponKit;

namespace Pond.Tests.Commerce.Coupons;

/// <summary>The coupon console pages render the template, its metrics and coupons, in both languages; staff see only the 360 section.</summary>
public sealed class CouponPagesTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Pages_ShowTemplatesMetricsAndCustomerCoupons(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        using var admin = server.Workspace.AdminClient();
        var seed = new CustomerSeed(server.Workspace);
        var lin = await seed.CustomerAsync("林小姐");
        var template = await admin.TemplateIdAsync(new { name = "满200减30", kind = "threshold", threshold = 200, amount = 30, validDays = 7 });
        var code = await admin.IssueAsync(template, lin);
        await admin.IssueAsync(template, await seed.CustomerAsync("王先生"));
        (await admin.RedeemAsync(code, Cart(lin, "P-1", ("serum", null, 250m, 1)))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var operatorClient = await server.Workspace.MemberClientAsync(Roles.Operator);
        operatorClient.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");
        var list = await operatorClient.PageAsync("/commerce/coupons");
        list.ShouldContain("满200减30");
        list.ShouldContain("50.0%");
        var detail = await operatorClient.PageAsync($"/commerce/coupons/{template}");
        detail.ShouldContain("Redemption rate");
        detail.ShouldContain(code);
        detail.ShouldContain("data-daily");
        detail.ShouldContain("P-1");
        (await operatorClient.PageAsync("/commerce/coupons/new")).ShouldContain("data-testid=\"coupon-template-form\"");
        (await operatorClient.PageAsync($"/commerce/coupons/{template}/edit")).ShouldContain("value=\"200\"");

        var chinese = await server.Workspace.MemberClientAsync(Roles.Operator);
        chinese.DefaultRequestHeaders.AcceptLanguage.ParseAdd("zh-CN");
        (await chinese.PageAsync($"/commerce/coupons/{template}")).ShouldContain("核销率");
        var customer = await chinese.PageAsync($"/customers/{lin}");
        customer.ShouldContain("data-testid=\"customer-coupons\"");
        customer.ShouldContain(code);

        var analyst = await server.Workspace.MemberClientAsync(Roles.Analyst);
        (await analyst.PageAsync($"/commerce/coupons/{template}")).ShouldNotContain("data-testid=\"issue-segment\"");
    }
}
