using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Pond.Analytics;
using Pond.Audience;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;

namespace Pond.Tests.Analytics;

/// <summary>Custom ordered funnels over events sent through the tracking API, with counts and times worked out by hand.</summary>
public sealed class CustomFunnelTests
{
    private const string A = "Landing Viewed";
    private const string B = "Coupon Claimed";
    private const string C = "Checkout Started";

    /// <summary>
    /// Ten customers, window 7 days, t0 ten days ago:
    /// u1 A, B +1h, C +3h (all three); u2 A, B +2h, C +2d (all); u3 A, B +30m, C +8d (C outside the window);
    /// u4 A, C +1h (no B); u5 B −1h, A, B +4h, C +5h (the early B does not count); u6 A, A +1d, B +1d1h (B counted from the first A);
    /// u7 B only (never entered); u8 A, B +6d, C +7d −1m (just inside); u9 A before the period (not entered); u10 A, B +1h, C +1h.
    /// Entered 8; B 7 (u1 u2 u3 u5 u6 u8 u10); C 5 (u1 u2 u5 u8 u10).
    /// A→B gaps 1800 3600 3600 7200 14400 90000 518400: median (rank 4) 7200, p75 (rank 6) 90000.
    /// B→C gaps 0 3600 7200 86340 165600: median 7200, p75 86340. A→C 3600 10800 18000 172800 604740: median 18000.
    /// </summary>
    private static List<(string User, string Event, TimeSpan After)> Events() =>
    [
        ("u1", A, TimeSpan.Zero), ("u1", B, TimeSpan.FromHours(1)), ("u1", C, TimeSpan.FromHours(3)),
        ("u2", A, TimeSpan.Zero), ("u2", B, TimeSpan.FromHours(2)), ("u2", C, TimeSpan.FromDays(2)),
        ("u3", A, TimeSpan.Zero), ("u3", B, TimeSpan.FromMinutes(30)), ("u3", C, TimeSpan.FromDays(8)),
        ("u4", A, TimeSpan.Zero), ("u4", C, TimeSpan.FromHours(1)),
        ("u5", B, TimeSpan.FromHours(-1)), ("u5", A, TimeSpan.Zero), ("u5", B, TimeSpan.FromHours(4)), ("u5", C, TimeSpan.FromHours(5)),
        ("u6", A, TimeSpan.Zero), ("u6", A, TimeSpan.FromDays(1)), ("u6", B, TimeSpan.FromHours(25)),
        ("u7", B, TimeSpan.Zero),
        ("u8", A, TimeSpan.Zero), ("u8", B, TimeSpan.FromDays(6)), ("u8", C, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1)),
        ("u9", A, TimeSpan.FromDays(-3)), ("u9", B, TimeSpan.FromHours(1)), ("u9", C, TimeSpan.FromHours(2)),
        ("u10", A, TimeSpan.Zero), ("u10", B, TimeSpan.FromHours(1)), ("u10", C, TimeSpan.FromHours(1)),
    ];

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task CustomFunnel_CountsEachCustomerOncePerStep_InOrder_WithinTheWindow(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        using var tracking = server.Workspace.TrackingClient();
        var zone = await server.Service<InsightReader>().ZoneAsync(server.Workspace.Id);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).DateTime);
        // t0: noon, ten days ago, local; the period starts the day before t0, so u9's first step (three days earlier) is outside it.
        var t0Local = today.AddDays(-10).ToDateTime(new TimeOnly(12, 0));
        var t0 = new DateTimeOffset(t0Local, zone.GetUtcOffset(t0Local));
        var from = today.AddDays(-11);

        var batch = new List<object>();
        foreach (var user in new[] { "u1", "u2", "u3" })
            batch.Add(new { type = "identify", userId = user, traits = new { vip = true } });
        var n = 0;
        foreach (var (user, name, after) in Events())
            batch.Add(new { type = "track", userId = user, @event = name, messageId = $"m{++n}", timestamp = IngestionKit.Iso(t0 + after) });
        await tracking.SendOkAsync("/v1/batch", new { batch });
        await server.ProcessAsync();
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE name IN ('Landing Viewed', 'Coupon Claimed', 'Checkout Started')")).ShouldBe(n);

        var segment = await (await admin.PostAsJsonAsync("/api/segments", new { name = "VIP", rule = new { trait = "vip", op = "eq", value = true } }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created);
        await server.Service<AudienceEngine>().CatchUpAsync();
        (await admin.GetAsync<JsonElement>($"/api/segments/{segment.GetProperty("id").GetGuid()}")).GetProperty("memberCount").GetInt32().ShouldBe(3);

        var query = $"steps={Uri.EscapeDataString(A)}&steps={Uri.EscapeDataString(B)}&steps={Uri.EscapeDataString(C)}&from={from:yyyy-MM-dd}&to={today:yyyy-MM-dd}&windowDays=7";
        var report = await admin.GetAsync<CustomFunnelReport>($"/api/insight/funnels/custom?{query}&by=segment&segment=VIP");
        report.Steps.Select(s => s.Customers).ShouldBe([8L, 7L, 5L]);
        report.Steps.Select(s => s.FromPrevious).ShouldBe([null, 0.875m, 0.7143m]);
        report.Steps.Select(s => s.FromFirst).ShouldBe([null, 0.875m, 0.625m]);
        report.Steps.Select(s => s.MedianSecondsFromPrevious).ShouldBe([null, 7200L, 7200L]);
        report.Steps.Select(s => s.P75SecondsFromPrevious).ShouldBe([null, 90000L, 86340L]);
        report.Conversion.ShouldBe(0.625m);
        report.MedianSecondsToConvert.ShouldBe(18000L);
        // VIP: u1 u2 u3 entered, B all three, C u1 u2 (A→C 10800 and 172800: median rank 1 = 10800). The rest: 5, 4, 3.
        var vip = report.Groups.Single(g => g.Name == "VIP");
        vip.Customers.ShouldBe([3L, 3L, 2L]);
        vip.Conversion.ShouldBe(0.6667m);
        vip.MedianSecondsToConvert.ShouldBe(10800L);
        var rest = report.Groups.Single(g => g.Id is null);
        rest.Customers.ShouldBe([5L, 4L, 3L]);
        rest.MedianSecondsToConvert.ShouldBe(18000L, "u5 18000, u8 604740, u10 3600");

        // A shorter window: u2 (C after 2 days) and u8 drop out of the last step; u6's B after 25 hours stays out of a one-day window.
        var oneDay = await admin.GetAsync<CustomFunnelReport>($"/api/insight/funnels/custom?steps={Uri.EscapeDataString(A)}&steps={Uri.EscapeDataString(B)}&steps={Uri.EscapeDataString(C)}&from={from:yyyy-MM-dd}&to={today:yyyy-MM-dd}&windowDays=1");
        oneDay.Steps.Select(s => s.Customers).ShouldBe([8L, 5L, 3L], "B: u1 u2 u3 u5 u10; C: u1 u5 u10");

        // Repeating an event needs a second occurrence: A → A is u6 only.
        var twice = await admin.GetAsync<CustomFunnelReport>($"/api/insight/funnels/custom?steps={Uri.EscapeDataString(A)}&steps={Uri.EscapeDataString(A)}&from={from:yyyy-MM-dd}&to={today:yyyy-MM-dd}");
        twice.Steps.Select(s => s.Customers).ShouldBe([8L, 1L]);
        twice.Steps[1].MedianSecondsFromPrevious.ShouldBe(86400L);

        // The CSV: a byte-order mark, the step table, then the groups.
        using var csv = await admin.GetAsync($"/api/insight/funnels/custom.csv?{query}&by=segment&segment=VIP");
        csv.StatusCode.ShouldBe(HttpStatusCode.OK);
        csv.Content.Headers.ContentType?.MediaType.ShouldBe("text/csv");
        var bytes = await csv.Content.ReadAsByteArrayAsync();
        bytes.Take(3).ShouldBe(Encoding.UTF8.GetPreamble());
        var lines = Encoding.UTF8.GetString(bytes.AsSpan(3)).Split("\r\n");
        lines[0].ShouldBe("step,event,customers,from_previous_step,from_first_step,median_seconds_from_previous,p75_seconds_from_previous");
        lines[2].ShouldBe("2,Coupon Claimed,7,0.875,0.875,7200,90000");
        lines.ShouldContain("Total,,8,7,5,0.625,18000");
        lines.ShouldContain($"VIP,{segment.GetProperty("id").GetGuid()},3,3,2,0.6667,10800");

        // The event names offered to the form.
        var names = await admin.GetAsync<List<string>>("/api/insight/funnels/events");
        names.ShouldContain(A);
        names.ShouldContain(B);
        names.ShouldContain(C);
        names.ShouldBe(names.Distinct().ToList());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task CustomFunnel_BadInput_Is400NamingTheField(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        using var tracking = server.Workspace.TrackingClient();
        await tracking.SendOkAsync("/v1/track", new { userId = "u1", @event = A });
        await tracking.SendOkAsync("/v1/track", new { userId = "u1", @event = B });
        await server.ProcessAsync();
        var steps = $"steps={Uri.EscapeDataString(A)}&steps={Uri.EscapeDataString(B)}";

        async Task Bad(string url, string field, string words)
        {
            var problem = await (await admin.GetAsync(url)).ProblemAsync(HttpStatusCode.BadRequest);
            problem.GetProperty("field").GetString().ShouldBe(field);
            problem.Detail().ShouldContain(words);
        }

        await Bad("/api/insight/funnels/custom", "steps", "empty");
        await Bad($"/api/insight/funnels/custom?steps={Uri.EscapeDataString(A)}", "steps", "at least two");
        await Bad($"/api/insight/funnels/custom?{steps}&steps=Nope", "steps", "'Nope'");
        await Bad($"/api/insight/funnels/custom?{steps}&windowDays=0", "windowDays", "1 to 90");
        await Bad($"/api/insight/funnels/custom?{steps}&windowDays=-3", "windowDays", "1 to 90");
        await Bad($"/api/insight/funnels/custom?{steps}&from=2026-03-10&to=2026-03-01", "from", "after to");
        await Bad($"/api/insight/funnels/custom?{steps}&from=2026-01-01&to=2026-04-30", "to", "at most 92 days");
        await Bad($"/api/insight/funnels/custom?{steps}&from=March", "from", "yyyy-MM-dd");
        await Bad($"/api/insight/funnels/custom?{steps}&by=city", "by", "segment");
        await Bad($"/api/insight/funnels/custom?{steps}&by=segment", "segment", "segment ids or names");
        await Bad($"/api/insight/funnels/custom?{steps}&by=segment&segment=Nobody", "segment", "'Nobody'");
        await Bad("/api/insight/funnels/standard?by=city", "by", "channel or staff");
        await Bad("/api/insight/funnels/standard?from=2025-01-01&to=2026-06-30", "to", "at most 366 days");
        await Bad("/api/insight/cohorts?from=2026-05&to=2026-01", "from", "after to");
        await Bad("/api/insight/cohorts?from=2020-01&to=2026-01", "to", "at most 36");
        await Bad("/api/insight/cohorts?from=2026-13", "from", "yyyy-MM");
        await Bad("/api/insight/cohorts?basis=weekly", "basis", "first_order");
        await Bad("/api/insight/cohorts.csv?metric=arpu", "metric", "ltv");
        // Exactly 92 days is allowed.
        (await admin.GetAsync($"/api/insight/funnels/custom?{steps}&from=2026-01-01&to=2026-04-02")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
