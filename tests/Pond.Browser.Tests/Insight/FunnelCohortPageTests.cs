using Dapper;
using Microsoft.Playwright;
using Pond.Analytics;
using Pond.Browser.Tests.Infrastructure;
using Pond.Storage;
using Pond.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Insight;

/// <summary>
/// An analyst opens the funnels from the navigation, reads the standard funnel, builds a custom funnel, and opens the
/// cohort heat map with its metric switch and the LTV curves, in Chinese and in English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class FunnelCohortPageTests(BrowserFixture fixture)
{
    [Fact]
    public async Task FunnelAndCohortPages_DrawTheirCharts_InChineseAndEnglish()
    {
        var workspace = await fixture.Server.CreateWorkspaceAsync("funnels");
        var seed = new Seed(fixture.Server.Service<Database>(), workspace.Id);
        await seed.WriteAsync();
        await fixture.Server.Service<InsightRefresher>().RebuildAsync(workspace.Id, seed.Today.AddMonths(-6).AddDays(-2), seed.Today);

        var page = await fixture.NewPageAsync();
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GetByTestId("nav-funnels").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("转化漏斗");
        await page.GetByTestId("funnel-by").SelectOptionAsync("channel");
        await page.GetByRole(AriaRole.Button, new() { Name = "查询" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("by=channel", StringComparison.Ordinal));
        await Expect(page.Locator("[data-step=reached] [data-metric=count]")).ToHaveTextAsync(seed.VisitsLast30.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Locator("[data-step=added] [data-metric=count]")).ToHaveTextAsync(seed.AddsLast30.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.GetByTestId("funnel-row")).ToHaveCountAsync(2);
        var chart = page.GetByTestId("funnel-chart");
        await Expect(chart).ToHaveAttributeAsync("data-rendered", "true");
        await Expect(chart.Locator("canvas")).ToBeVisibleAsync();
        await ConsoleSteps.ScreenshotAsync(fixture, page, "funnel-standard.zh-CN");
        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Funnels");
        await Expect(page.GetByTestId("funnel-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "funnel-standard.en");

        // A custom funnel of three events, by first channel.
        await page.GetByTestId("tab-custom").ClickAsync();
        await page.GetByTestId("custom-steps").FillAsync("Product Viewed\nAdded to Cart\nCheckout Started");
        await page.GetByTestId("custom-by").SelectOptionAsync("channel");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Expect(page.Locator("[data-testid=custom-step][data-step='1'] [data-metric=customers]")).ToHaveTextAsync(seed.Viewers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Locator("[data-testid=custom-step][data-step='3'] [data-metric=customers]")).ToHaveTextAsync(seed.Checkouts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.GetByTestId("funnel-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "funnel-custom.en");
        await page.GetByRole(AriaRole.Button, new() { Name = "中文" }).ClickAsync();
        await Expect(page.GetByTestId("custom-groups")).ToContainTextAsync("包裹卡");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "funnel-custom.zh-CN");

        // Cohorts: the heat map of retention, then repurchase; the LTV curves.
        await page.GetByTestId("tab-cohorts").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("同期群分析");
        await Expect(page.GetByTestId("cohort-row")).ToHaveCountAsync(12);
        var heatmap = page.GetByTestId("cohort-heatmap");
        await Expect(heatmap).ToHaveAttributeAsync("data-rendered", "true");
        await Expect(page.GetByTestId("cohort-ltv")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "cohorts-retention.zh-CN");
        await page.GetByTestId("cohort-metric").SelectOptionAsync("repurchase");
        await page.GetByRole(AriaRole.Button, new() { Name = "查询" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("metric=repurchase", StringComparison.Ordinal));
        await Expect(page.GetByTestId("cohort-csv")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("metric=repurchase"));
        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Cohorts");
        await Expect(page.GetByTestId("cohort-heatmap")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "cohorts-repurchase.en");
    }

    /// <summary>
    /// Six months of a small brand, written straight into the tables (the refresher then builds the rollups): two
    /// channels with a live code each, two staff accounts and a group, 8–16 adds a month, some deletions, first and
    /// repeat orders, visits, and shop events for the custom funnel.
    /// </summary>
    private sealed class Seed(Database database, Guid workspaceId)
    {
        private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

        public DateOnly Today { get; } = DateOnly.FromDateTime(DateTimeOffset.UtcNow.ToOffset(Shanghai).DateTime);
        public long VisitsLast30 { get; private set; }
        public long AddsLast30 { get; private set; }
        public int Viewers { get; private set; }
        public int Checkouts { get; private set; }

        private static DateTimeOffset At(DateOnly day, int hour, int minute = 0)
        {
            var at = new DateTimeOffset(day.ToDateTime(new TimeOnly(hour, minute)), Shanghai);
            var now = DateTimeOffset.UtcNow.AddMinutes(-5);
            return at > now ? now : at;
        }

        public async Task WriteAsync()
        {
            await using var connection = await database.OpenAsync();
            var random = new Random(8);
            var created = At(Today.AddMonths(-7), 9);
            var staff = new[] { (Id: Guid.CreateVersion7(), Name: "小美"), (Id: Guid.CreateVersion7(), Name: "阿杰") };
            var accounts = staff.Select(_ => Guid.CreateVersion7()).ToArray();
            var groupId = Guid.CreateVersion7();
            var channels = new[] { (Id: Guid.CreateVersion7(), Name: "包裹卡", Code: Guid.CreateVersion7()), (Id: Guid.CreateVersion7(), Name: "小红书 KOL", Code: Guid.CreateVersion7()) };
            for (var i = 0; i < staff.Length; i++)
            {
                await connection.ExecuteAsync("INSERT INTO staff (id, workspace_id, name, status, created_at, updated_at) VALUES (@id, @workspaceId, @name, 'active', @created, @created)",
                    new { id = staff[i].Id, workspaceId, name = staff[i].Name, created });
                await connection.ExecuteAsync(
                    "INSERT INTO carriers (id, workspace_id, kind, name, external_id, owner_staff_id, status, created_at, updated_at) VALUES (@id, @workspaceId, 'wecom_account', @name, @external, @owner, 'active', @created, @created)",
                    new { id = accounts[i], workspaceId, name = staff[i].Name + "的企业微信", external = accounts[i].ToString("N"), owner = staff[i].Id, created });
            }

            await connection.ExecuteAsync(
                "INSERT INTO carriers (id, workspace_id, kind, name, external_id, status, created_at, updated_at) VALUES (@id, @workspaceId, 'group_chat', '会员福利群', @external, 'active', @created, @created)",
                new { id = groupId, workspaceId, external = groupId.ToString("N"), created });
            foreach (var channel in channels)
            {
                await connection.ExecuteAsync("INSERT INTO channels (id, workspace_id, name, kind, created_at, updated_at) VALUES (@id, @workspaceId, @name, 'package_card', @created, @created)",
                    new { id = channel.Id, workspaceId, name = channel.Name, created });
                await connection.ExecuteAsync(
                    """
                    INSERT INTO live_codes (id, workspace_id, channel_id, kind, name, slug, state, strategy, created_at, updated_at)
                    VALUES (@id, @workspaceId, @channel, 'staff', @name, @slug, @state, 'round_robin', @created, @created)
                    """, new { id = channel.Code, workspaceId, channel = channel.Id, name = channel.Name + "活码", slug = channel.Code.ToString("N"), state = "s" + channel.Code.ToString("N"), created });
            }

            var orders = 0;
            var since30 = Today.AddDays(-29);
            for (var back = 180; back >= 0; back--)
            {
                var day = Today.AddDays(-back);
                var visits = random.Next(3, 9);
                for (var v = 0; v < visits; v++)
                {
                    var channel = channels[random.Next(2)];
                    await connection.ExecuteAsync(
                        "INSERT INTO live_code_visits (id, workspace_id, code_id, visitor, day, carrier_id, visited_at) VALUES (@id, @workspaceId, @code, @visitor, @dayKey, @carrier, @at)",
                        new { id = Guid.CreateVersion7(), workspaceId, code = channel.Code, visitor = $"v{back}-{v}", dayKey = InsightDays.Key(day), carrier = accounts[0], at = At(day, 8, v) });
                    if (day >= since30)
                        VisitsLast30++;
                }

                if (random.NextDouble() > 0.45)
                    continue;
                // A new customer: added by a staff account through a channel's code; some join the group, some leave, some buy.
                var customer = Guid.CreateVersion7();
                var who = random.Next(2);
                var via = channels[random.Next(2)];
                var joined = At(day, 10);
                await connection.ExecuteAsync(
                    "INSERT INTO customers (id, workspace_id, display_name, owner_staff_id, depth, first_seen_at, last_seen_at, created_at, updated_at) VALUES (@id, @workspaceId, @name, @owner, 3, @joined, @joined, @joined, @joined)",
                    new { id = customer, workspaceId, name = $"客户{back}", owner = staff[who].Id, joined });
                DateTimeOffset? ended = random.NextDouble() < 0.3 ? joined.AddDays(random.Next(1, 90)) : null;
                if (ended > DateTimeOffset.UtcNow.AddMinutes(-5))
                    ended = null;
                await Acquire(connection, customer, accounts[who], "wecom_account", via.Code, via.Id, staff[who].Id, joined, ended);
                if (day >= since30)
                    AddsLast30++;
                if (random.NextDouble() < 0.5)
                    await Acquire(connection, customer, groupId, "group_chat", via.Code, via.Id, null, joined.AddHours(2), null);
                if (random.NextDouble() < 0.6)
                {
                    var placed = joined.AddDays(random.Next(0, 20));
                    for (var n = 0; n < 1 + random.Next(0, 4) && placed < DateTimeOffset.UtcNow.AddMinutes(-5); n++)
                    {
                        await connection.ExecuteAsync(
                            """
                            INSERT INTO orders (id, workspace_id, order_id, customer_id, placed_at, sales_channel, private_domain, currency, subtotal, discount, shipping,
                                paid, refunded, status, staff_id, first_channel_id, last_channel_id, source, created_at, updated_at)
                            VALUES (@id, @workspaceId, @orderId, @customer, @placed, 'mini_program', @yes, 'CNY', @fen, 0, 0, @fen, 0, 'completed', @staff, @channel, @channel, 'api', @placed, @placed)
                            """, new { id = Guid.CreateVersion7(), workspaceId, orderId = $"B-{++orders}", customer, placed, yes = true, fen = random.Next(49, 400) * 100L, staff = staff[who].Id, channel = via.Id });
                        placed = placed.AddDays(random.Next(10, 60));
                    }
                }

                // Shop events for the custom funnel, within the last 60 days.
                if (back <= 60)
                {
                    var viewed = At(day, 12);
                    await Event(connection, customer, "Product Viewed", viewed);
                    Viewers += day >= since30 ? 1 : 0;
                    if (random.NextDouble() < 0.7)
                    {
                        var carted = await Event(connection, customer, "Added to Cart", viewed.AddMinutes(random.Next(2, 300)));
                        if (random.NextDouble() < 0.6 && await Event(connection, customer, "Checkout Started", viewed.AddHours(random.Next(5, 100))) && carted && day >= since30)
                            Checkouts++;
                    }
                }
            }
        }

        private async Task Acquire(System.Data.Common.DbConnection connection, Guid customer, Guid carrier, string kind, Guid code, Guid channel, Guid? staff, DateTimeOffset at, DateTimeOffset? ended) =>
            await connection.ExecuteAsync(
                """
                INSERT INTO acquisitions (id, workspace_id, customer_id, carrier_id, carrier_kind, code_id, channel_id, staff_id, message_id, acquired_at, ended_at, ended_by)
                VALUES (@id, @workspaceId, @customer, @carrier, @kind, @code, @channel, @staff, @message, @at, @ended, @endedBy)
                """, new { id = Guid.CreateVersion7(), workspaceId, customer, carrier, kind, code, channel, staff, message = Guid.NewGuid().ToString("N"), at, ended, endedBy = ended is null ? null : "customer" });

        private async Task<bool> Event(System.Data.Common.DbConnection connection, Guid customer, string name, DateTimeOffset at)
        {
            if (at > DateTimeOffset.UtcNow.AddMinutes(-1))
                return false;
            await connection.ExecuteAsync(
                "INSERT INTO customer_events (workspace_id, customer_id, message_id, type, name, occurred_at, properties) VALUES (@workspaceId, @customer, @message, 'track', @name, @at, '{}')",
                new { workspaceId, customer, message = Guid.NewGuid().ToString("N"), name, at });
            return true;
        }
    }
}
