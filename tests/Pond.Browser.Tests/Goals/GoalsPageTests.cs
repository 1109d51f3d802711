using System.Net.Http.Json;
using Microsoft.Playwright;
using Pond.Browser.Tests.Infrastructure;
using Pond.Goals;
using Pond.Storage;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using static Microsoft.Playwright.Assertions;

namespace Pond.Browser.Tests.Goals;

/// <summary>
/// An operator sets this year's goal (seasonal, with 618 and 双11 peaks) on a brand with a year of adds, deletions and
/// orders written through the tracking API and /api/orders; the page shows the monthly table, both charts and the
/// month's pace, and the home page's alert links to it. Photographed in Chinese and English.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class GoalsPageTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Operator_SetsTheYearsGoal_SeesMonthlyTargetsActualsAndForecast()
    {
        await using var server = await PondServer.StartAsync(DbEngine.Sqlite, runEngines: false);
        var shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, shanghai).DateTime);
        var year = today.Year;

        // A year of history: more adds each month, a few deletions, orders; the current month only up to yesterday.
        var batch = new List<object>();
        using var admin = server.Workspace.AdminClient();
        var customer = 0;
        for (var month = 1; month <= today.Month; month++)
        {
            var day = month == today.Month ? Math.Max(1, today.Day - 1) : 10;
            var stamp = $"{year}-{month:00}-{day:00}T10:00:00+08:00";
            for (var i = 0; i < 12 + (3 * month); i++)
            {
                customer++;
                batch.Add(new { type = "identify", userId = $"u{customer}", messageId = $"u{customer}-id", timestamp = stamp, traits = new { name = $"客户 {customer}" } });
                batch.Add(new
                {
                    type = "track", userId = $"u{customer}", messageId = $"u{customer}-add", timestamp = stamp, @event = "Relationship Started",
                    properties = new { carrier_kind = "wecom_account", carrier_id = "guide-mei" },
                });
            }

            for (var i = 0; i < 2; i++)
            {
                var gone = customer - (5 * i) - 1;
                batch.Add(new
                {
                    type = "track", userId = $"u{gone}", messageId = $"u{gone}-gone", timestamp = stamp.Replace("T10", "T18", StringComparison.Ordinal),
                    @event = "Relationship Ended", properties = new { carrier_kind = "wecom_account", carrier_id = "guide-mei" },
                });
            }
        }

        await server.Workspace.TrackingClient().SendOkAsync("/v1/batch", new { batch });
        await server.ProcessAsync();
        for (var month = 1; month <= today.Month; month++)
        {
            var day = month == today.Month ? Math.Max(1, today.Day - 1) : 12;
            for (var i = 0; i < 3 + (month % 4); i++)
            {
                (await admin.PostAsJsonAsync("/api/orders", new
                {
                    orderId = $"O-{month}-{i}", userId = $"u{(month * 10) + i}", placedAt = $"{year}-{month:00}-{day:00}T12:00:00+08:00", salesChannel = "mini_program",
                    items = new[] { new { sku = "SERUM-30", name = "精华", price = 268m, quantity = 1 + (i % 2) } },
                })).EnsureSuccessStatusCode();
            }
        }

        var page = await fixture.NewPageAsync(server.BaseAddress);
        await ConsoleSteps.SignInAndLandOnHomeAsync(page, server.Workspace.OwnerEmail, PondServer.OwnerPassword);
        await page.GetByTestId("nav-goals").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("目标拆解");
        await page.GetByTestId("goal-pool-target").FillAsync("400");
        await page.GetByTestId("goal-gmv-target").FillAsync("30000");
        await page.GetByTestId("goal-method").SelectOptionAsync("seasonal");
        await Expect(page.GetByTestId("goal-weights")).ToBeVisibleAsync();
        decimal[] weights = [7, 6, 8, 8, 9, 12, 7, 7, 8, 9, 15, 10];
        for (var i = 0; i < 12; i++)
            await page.Locator($"input[name='Input.Weights[{i}]']").FillAsync(weights[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByTestId("goal-save").ClickAsync();

        await Expect(page.GetByTestId("goal-month")).ToHaveCountAsync(12);
        await Expect(page.GetByTestId("goal-pool-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await Expect(page.GetByTestId("goal-gmv-chart")).ToHaveAttributeAsync("data-rendered", "true");
        var goal = (await server.Service<GoalBook>().ListAsync(server.Workspace.Id)).ShouldHaveSingleItem();
        goal.Year.ShouldBe(year);
        goal.Method.ShouldBe(GoalMethods.Seasonal);
        goal.WeightList.ShouldBe(weights);
        goal.GmvTarget.ShouldBe(3_000_000);
        var report = await server.Service<GoalReports>().ReportAsync(goal);
        await Expect(page.GetByTestId("goal-month").Nth(0).Locator("[data-metric=gross-adds]")).ToHaveTextAsync(report.Months[0].GrossAdds!.Value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.GetByTestId("goal-month").Nth(today.Month - 1)).ToHaveAttributeAsync("data-state", "current");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "goals.zh-CN");

        // Behind this month's pace (if far enough into the month): the home page's alert opens the goal.
        if (report.Pace?.Behind == true)
        {
            await page.GotoAsync("/");
            await Expect(page.Locator("[data-testid=alert][data-kind=goal_behind]")).ToBeVisibleAsync();
            await page.Locator("[data-testid=alert][data-kind=goal_behind] a").ClickAsync();
            await Expect(page.Locator("h1")).ToHaveTextAsync("目标拆解");
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "EN" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Goals");
        await Expect(page.GetByTestId("goal-pool-chart")).ToHaveAttributeAsync("data-rendered", "true");
        await ConsoleSteps.ScreenshotAsync(fixture, page, "goals.en");

        // Bad input keeps the form with what to fix.
        await page.GetByTestId("goal-rate").FillAsync("120");
        await page.GetByTestId("goal-save").ClickAsync();
        await Expect(page.GetByTestId("form-error")).ToContainTextAsync("monthlyDeletionRate");
    }
}
