using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Channels;
using Pond.Customers;
using Pond.Experiments;
using Pond.Server.Channels;
using Pond.Staff;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Experiments;

/// <summary>An A/B test of a package-card hook read in the console: the verdict, the per-variant table, the CI chart, in Chinese and English.</summary>
[Collection(BrowserTests.Name)]
public sealed class ExperimentPagesTests(BrowserFixture fixture)
{
    [Fact]
    public async Task ExperimentResult_ShowsTheWinnerWithItsInterval_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("abtest");
        var admin = workspace.AdminClient();
        var staff = await (await admin.PostAsJsonAsync("/api/staff", new { name = "小美", wecomUserId = "xiaomei" })).ReadAsync<StaffMember>(HttpStatusCode.Created);
        var account = await (await admin.PostAsJsonAsync("/api/carriers", new
        {
            kind = CarrierKinds.WecomAccount, name = "小美的企业微信", externalId = "xiaomei", ownerStaffId = staff.Id, contactUrl = "https://work.weixin.qq.com/ca/xiaomei",
        })).ReadAsync<CarrierAccount>(HttpStatusCode.Created);
        var channel = await (await admin.PostAsJsonAsync("/api/channels", new { name = "双11包裹卡", kind = ChannelKinds.PackageCard, hook = "扫码领小样" }))
            .ReadAsync<Channel>(HttpStatusCode.Created);
        var codes = new List<LiveCodeView>();
        foreach (var name in new[] { "包裹卡-小样", "包裹卡-红包" })
        {
            codes.Add(await (await admin.PostAsJsonAsync("/api/live-codes", new
            {
                channelId = channel.Id, kind = LiveCodeKinds.Staff, name, strategy = RoutingStrategies.RoundRobin, members = new[] { new { carrierId = account.Id } },
            })).ReadAsync<LiveCodeView>(HttpStatusCode.Created));
        }

        var created = await (await admin.PostAsJsonAsync("/api/experiments", new
        {
            name = "包裹卡钩子：小样 vs 红包", hypothesis = "¥5 红包比小样更能让人加好友", kind = "live_code",
            variants = new object[] { new { name = "小样", codeId = codes[0].Code.Id }, new { name = "红包", codeId = codes[1].Code.Id, hook = "扫码领 ¥5 红包" } },
            baseline = 0.3, mde = 0.05,
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var id = created.GetProperty("experiment").GetProperty("id").GetGuid();
        (await admin.PostAsync($"/api/experiments/{id}/start", null)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Visitors assigned by the link's hash and adds credited to each code (written as the landing and the processor would).
        var now = DateTimeOffset.UtcNow;
        await using (var connection = await fixture.Server.Service<Database>().OpenAsync())
        {
            var counts = new int[2];
            for (var i = 0; i < 2900; i++)
            {
                var variant = ExperimentAssignment.Variant(id, $"visitor{i}", [1, 1]);
                counts[variant]++;
                await connection.ExecuteAsync("INSERT INTO experiment_assignments (experiment_id, visitor, variant, assigned_at) VALUES (@id, @visitor, @variant, @now)",
                    new { id, visitor = $"visitor{i}", variant, now });
            }

            for (var variant = 0; variant < 2; variant++)
            {
                var adds = (int)(counts[variant] * (variant == 0 ? 0.30 : 0.37));
                for (var i = 0; i < adds; i++)
                {
                    await connection.ExecuteAsync(
                        """
                        INSERT INTO acquisitions (id, workspace_id, customer_id, carrier_id, carrier_kind, code_id, channel_id, staff_id, message_id, acquired_at)
                        VALUES (@id, @workspaceId, @customerId, @carrierId, 'wecom_account', @codeId, @channelId, @staffId, @messageId, @now)
                        """,
                        new
                        {
                            id = Guid.CreateVersion7(), workspaceId = workspace.Id, customerId = Guid.CreateVersion7(), carrierId = account.Id, codeId = codes[variant].Code.Id,
                            channelId = channel.Id, staffId = staff.Id, messageId = $"ab-{variant}-{i}", now,
                        });
                }
            }
        }

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GetByTestId("nav-experiments").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("实验");
        await page.GetByRole(AriaRole.Link, new() { Name = "包裹卡钩子：小样 vs 红包" }).ClickAsync();
        await Expect(page.GetByTestId("verdict")).ToHaveAttributeAsync("data-verdict", "wins");
        await Expect(page.GetByTestId("verdict")).ToContainTextAsync("红包 在加粉率上胜出");
        await Expect(page.GetByTestId("srm")).ToContainTextAsync("正常");
        await Expect(page.GetByTestId("metric-add_rate").GetByTestId("variant-row")).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("experiment-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "experiment-result.zh-CN");

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await page.GotoAsync($"/experiments/{id}");
        await Expect(page.GetByTestId("verdict")).ToContainTextAsync("红包 wins on Add rate");
        await Expect(page.GetByTestId("experiment-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "experiment-result.en");
        await page.GetByRole(AriaRole.Button, new() { Name = "中文" }).ClickAsync();

        // The create form's calculator answers as the fields change.
        await page.GotoAsync("/experiments/new");
        await page.GetByTestId("ex-baseline").FillAsync("30");
        await page.GetByTestId("ex-mde").FillAsync("3");
        await Expect(page.GetByTestId("calculator-n")).ToHaveTextAsync(ExperimentStatistics.SampleSizeForProportions(0.3, 0.03).ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        await ConsoleSteps.ScreenshotAsync(fixture, page, "experiment-create.zh-CN");
    }
}
