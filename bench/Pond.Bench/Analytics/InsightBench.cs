using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pond.Analytics;
using Pond.Bench.Audience;
using Pond.Server.Hosting;
using Pond.Testing;
using Pond.Workspaces;

namespace Pond.Bench.Analytics;

/// <summary>
/// The insight reports at scale on PostgreSQL: a year of a 1,000,000-customer brand with 20,000,000 timeline events
/// (AudienceData), and from it the acquisitions (one per relationship, 15% later deleted), private-domain orders (one per
/// Order Completed event), landing visits and referral visits, and daily spend per channel. The rollups are rebuilt for
/// the year; then each report is read from them (median of the runs) and, side by side, the same figures are computed
/// by direct SQL over the source tables. The figures of both must agree.
/// </summary>
internal static class InsightBench
{
    public sealed record Settings(int Customers = 1_000_000, long Events = 20_000_000, int Runs = 15, int SqlRuns = 5);

    public sealed record Row(string Report, double RollupMedianMs, double SqlMedianMs, bool Agree)
    {
        public double Ratio => SqlMedianMs / RollupMedianMs;
    }

    public static async Task<(IReadOnlyList<Row> Rows, string Load)> RunAsync(Settings settings)
    {
        var connectionString = PostgresCluster.Instance.CreateDatabase();
        var options = new PondOptions
        {
            DataDirectory = Path.Combine(Path.GetTempPath(), $"pond-bench-{Guid.NewGuid():N}"), Db = connectionString, Urls = "http://127.0.0.1:0", RunEngines = false,
        };
        await using var app = await PondHost.CreateAsync(options, services => services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning)));
        var services = app.Services;
        var workspace = await services.GetRequiredService<WorkspaceService>().CreateWorkspaceAsync("bench", "Bench brand");
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        var load = Stopwatch.StartNew();
        var data = new AudienceData(connectionString, workspace.Id, now);
        var loaded = await data.LoadAsync(settings.Customers, settings.Events);
        await using (var connection = await data.OpenAsync())
        {
            await connection.ExecuteAsync("SET maintenance_work_mem = '1GB'");
            await DeriveAsync(connection, workspace.Id, now);
            await AudienceData.TimedAsync(connection, "VACUUM ANALYZE", "VACUUM ANALYZE customers, customer_events, acquisitions, orders, live_code_visits, referral_visits, channel_spend");
        }

        var refresher = services.GetRequiredService<InsightRefresher>();
        var span = await refresher.ActivitySpanAsync(workspace.Id) ?? throw new InvalidOperationException("Nothing loaded.");
        var rebuild = Stopwatch.StartNew();
        await refresher.RebuildAsync(workspace.Id, span.From, span.To);
        rebuild.Stop();
        var loadLine = string.Create(CultureInfo.InvariantCulture,
            $"{loaded.Customers:N0} customers, {loaded.Events:N0} events, loaded and derived in {load.Elapsed.TotalSeconds - rebuild.Elapsed.TotalSeconds:N0} s; rollups for {span.To.DayNumber - span.From.DayNumber + 1} days rebuilt in {rebuild.Elapsed.TotalSeconds:N1} s");
        Console.WriteLine($"[insight] {loadLine}");

        var dashboard = services.GetRequiredService<OpsDashboard>();
        var reports = services.GetRequiredService<InsightReports>();
        var zone = InsightDays.Zone("Asia/Shanghai");
        var today = InsightDays.Of(now, zone);
        var period = new InsightPeriod(today.AddDays(-29), today);
        var direct = new DirectSql(connectionString, workspace.Id, zone);

        var rows = new List<Row>();
        OpsDashboardReport? report = null;
        rows.Add(await CompareAsync("dashboard + GMV equation (30 days vs the 30 before)", settings,
            async () => report = await dashboard.LoadAsync(workspace.Id, period.From, period.To),
            () => direct.DashboardAsync(period),
            figures => Agree("dashboard", report!, figures)));
        ChannelRoiReport? roi = null;
        rows.Add(await CompareAsync("channel ROI (30 days, first touch)", settings,
            async () => roi = await reports.ChannelRoiAsync(workspace.Id, period.From, period.To, null),
            () => direct.ChannelsAsync(period, today),
            figures => Agree("channels", roi!, figures)));
        StaffLeaderboard? staff = null;
        rows.Add(await CompareAsync("staff leaderboard (30 days)", settings,
            async () => staff = await reports.StaffAsync(workspace.Id, period.From, period.To),
            () => direct.StaffAsync(period),
            figures => Agree("staff", staff!, figures)));
        StandardFunnelReport? funnel = null;
        rows.Add(await CompareAsync("standard funnel (30 days, by channel)", settings,
            async () => funnel = await services.GetRequiredService<StandardFunnels>().StandardFunnelAsync(workspace.Id, new FunnelPeriod(period.From, period.To), FunnelBreakdowns.Channel),
            () => direct.FunnelAsync(period),
            figures => Same("funnel", funnel!.Steps.Select(s => s.Count).ToList(), figures)));
        var toMonth = InsightDays.MonthKey(today);
        var fromMonth = InsightDays.MonthKey(today.AddMonths(-13));
        CohortReport? cohorts = null;
        rows.Add(await CompareAsync("cohorts (14 join months, retention, repurchase, LTV)", settings,
            async () => cohorts = await services.GetRequiredService<Cohorts>().CohortsAsync(workspace.Id, fromMonth, toMonth),
            () => direct.CohortsAsync(fromMonth, toMonth),
            figures => Same("cohorts", cohorts!.Rows.Select(r => new DirectSql.CohortFigures(r.Cohort, r.Size, r.Cells[^1].Gmv)).ToList(), figures)));
        return (rows, loadLine);
    }

    public static string Table(Settings settings, IReadOnlyList<Row> rows, string load)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Insight reports on PostgreSQL — {load}; median of {settings.Runs} reads (rollups) and {settings.SqlRuns} (direct SQL)");
        text.AppendLine("| report | from rollups | direct SQL | ratio | same figures |");
        text.AppendLine("|---|---:|---:|---:|---|");
        foreach (var row in rows)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Report} | {row.RollupMedianMs:N1} ms | {row.SqlMedianMs:N0} ms | {row.Ratio:N0}× | {(row.Agree ? "yes" : "NO")} |");
        return text.ToString();
    }

    private static async Task<Row> CompareAsync<T>(string name, Settings settings, Func<Task> rollup, Func<Task<T>> sql, Func<T, bool> agree)
    {
        await rollup();
        var rollupTimes = new List<double>();
        for (var i = 0; i < settings.Runs; i++)
            rollupTimes.Add(await TimeAsync(rollup));
        T figures = default!;
        var sqlTimes = new List<double>();
        for (var i = 0; i < settings.SqlRuns; i++)
            sqlTimes.Add(await TimeAsync(async () => figures = await sql()));
        var row = new Row(name, Median(rollupTimes), Median(sqlTimes), agree(figures));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[insight] {name}: rollups {row.RollupMedianMs:N1} ms, direct SQL {row.SqlMedianMs:N0} ms, agree {row.Agree}"));
        return row;
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        return clock.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static bool Agree(string what, OpsDashboardReport report, DirectSql.DashboardFigures sql)
    {
        var mine = new DirectSql.DashboardFigures(
            Period(report.Current), Period(report.Previous), report.Pool.Fans, report.Pool.Community, report.Pool.Friends,
            report.TopChannels.Select(c => new DirectSql.TopChannel(c.Id!, c.Adds, c.Gmv)).ToList());
        return Same(what, mine, sql);
    }

    private static DirectSql.PeriodCounts Period(PeriodFigures f) =>
        new(f.Adds, f.Deletions, f.Joined, f.Left, f.Visits, f.FissionVisits, f.Gmv, f.Orders, f.Buyers, f.RepeatBuyers, f.FirstOrders);

    private static bool Agree(string what, ChannelRoiReport report, IReadOnlyList<DirectSql.ChannelFigures> sql) =>
        Same(what, report.Rows.Where(r => r.Id is not null).Select(r => new DirectSql.ChannelFigures(r.Id!, r.Spend, r.Visits, r.Adds, r.Deletions, r.Orders, r.Gmv, r.Matured30, r.Retained30))
            .OrderBy(r => r.Id, StringComparer.Ordinal).ToList(), sql.OrderBy(r => r.Id, StringComparer.Ordinal).ToList());

    private static bool Agree(string what, StaffLeaderboard report, IReadOnlyList<DirectSql.StaffFigures> sql) =>
        Same(what, report.Rows.Select(r => new DirectSql.StaffFigures(r.Id!, r.HeldNow, r.Adds, r.Deletions, r.Orders, r.FirstOrders, r.Gmv))
            .OrderBy(r => r.Id, StringComparer.Ordinal).ToList(), sql.OrderBy(r => r.Id, StringComparer.Ordinal).ToList());

    private static bool Same<T>(string what, T rollups, T sql)
    {
        var a = System.Text.Json.JsonSerializer.Serialize(rollups);
        var b = System.Text.Json.JsonSerializer.Serialize(sql);
        if (a == b)
            return true;
        Console.WriteLine($"[insight] {what} differ:\n  rollups: {a}\n  sql:     {b}");
        return false;
    }

    /// <summary>Acquisitions, orders, visits and spend derived from the loaded customers, relationships and events, set-based.</summary>
    private static async Task DeriveAsync(Npgsql.NpgsqlConnection connection, Guid workspaceId, DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var args = new { workspaceId, nowMs, created = nowMs - (400L * 86_400_000) };
        await AudienceData.TimedAsync(connection, "channels and live codes", $"""
            INSERT INTO channels (id, workspace_id, name, kind, created_at, updated_at)
            SELECT md5('channel' || n)::uuid, '{workspaceId}', '渠道 ' || n, 'package_card', {args.created}, {args.created} FROM generate_series(1, 20) n;
            INSERT INTO live_codes (id, workspace_id, channel_id, kind, name, slug, state, strategy, created_at, updated_at)
            SELECT md5('code' || n)::uuid, '{workspaceId}', md5('channel' || n)::uuid, 'staff', '活码 ' || n, 'bench' || n, 'state' || n, 'round_robin', {args.created}, {args.created}
            FROM generate_series(1, 20) n;
            """);
        // One acquisition per relationship, credited to a code by the customer's hash; 15% ended 1 to 60 days later (not after now).
        await AudienceData.TimedAsync(connection, "acquisitions", $"""
            INSERT INTO acquisitions (id, workspace_id, customer_id, carrier_id, carrier_kind, code_id, channel_id, staff_id, message_id, acquired_at, ended_at, ended_by)
            SELECT r.id, r.workspace_id, r.customer_id, r.carrier_id, k.kind,
                md5('code' || (1 + abs(hashtext(r.customer_id::text)) % 20))::uuid, md5('channel' || (1 + abs(hashtext(r.customer_id::text)) % 20))::uuid,
                k.owner_staff_id, 'add-' || r.id, r.since, e.ended, CASE WHEN e.ended IS NULL THEN NULL ELSE 'customer' END
            FROM relationships r JOIN carriers k ON k.id = r.carrier_id
            CROSS JOIN LATERAL (SELECT CASE WHEN abs(hashtext(r.id::text)) % 100 < 15
                AND r.since + (1 + abs(hashtext(r.id::text || 'e')) % 60) * 86400000::bigint < {nowMs}
                THEN r.since + (1 + abs(hashtext(r.id::text || 'e')) % 60) * 86400000::bigint END AS ended) e
            WHERE r.workspace_id = '{workspaceId}';
            """);
        await AudienceData.TimedAsync(connection, "orders", $"""
            INSERT INTO orders (id, workspace_id, order_id, customer_id, placed_at, sales_channel, private_domain, currency, subtotal, discount, shipping, paid,
                status, staff_id, first_channel_id, last_channel_id, source, created_at, updated_at)
            SELECT md5(e.message_id)::uuid, e.workspace_id, e.message_id, e.customer_id, e.occurred_at, 'mini_program', true, 'CNY',
                p.paid, 0, 0, p.paid, 'completed', c.owner_staff_id,
                md5('channel' || (1 + abs(hashtext(e.customer_id::text)) % 20))::uuid, md5('channel' || (1 + abs(hashtext(e.message_id)) % 20))::uuid,
                'import', e.occurred_at, e.occurred_at
            FROM customer_events e JOIN customers c ON c.id = e.customer_id
            CROSS JOIN LATERAL (SELECT 2000 + abs(hashtext(e.message_id)) % 60000 AS paid) p
            WHERE e.workspace_id = '{workspaceId}' AND e.name = 'Order Completed';
            """);
        // Three landing visits per coded add, spread over the day before it, and a referral visit for every tenth.
        await AudienceData.TimedAsync(connection, "landing visits", $"""
            INSERT INTO live_code_visits (id, workspace_id, code_id, visitor, day, visited_at)
            SELECT gen_random_uuid(), a.workspace_id, a.code_id, a.id::text || '-' || n,
                to_char(to_timestamp((a.acquired_at - n * 3600000) / 1000.0) AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')::int, a.acquired_at - n * 3600000
            FROM acquisitions a CROSS JOIN generate_series(1, 3) n WHERE a.workspace_id = '{workspaceId}';
            INSERT INTO referral_campaigns (id, workspace_id, name, kind, status, starts_at, ends_at, live_code_id, success_requires, success_within_days,
                revoke_within_days, reward_mode, created_at, updated_at)
            VALUES (md5('campaign')::uuid, '{workspaceId}', '老带新', 'friend', 'active', {args.created}, {nowMs}, md5('code1')::uuid, '["add"]', 7, 7, 'instant', {args.created}, {args.created});
            INSERT INTO referral_visits (id, workspace_id, campaign_id, participant_id, visitor, day, visited_at)
            SELECT gen_random_uuid(), a.workspace_id, md5('campaign')::uuid, a.customer_id, a.id::text,
                to_char(to_timestamp((a.acquired_at - 1800000) / 1000.0) AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')::int, a.acquired_at - 1800000
            FROM acquisitions a WHERE a.workspace_id = '{workspaceId}' AND abs(hashtext(a.id::text)) % 10 = 0;
            """);
        await AudienceData.TimedAsync(connection, "spend", $"""
            INSERT INTO channel_spend (id, workspace_id, channel_id, spent_on, amount_fen, created_by, created_at)
            SELECT gen_random_uuid(), '{workspaceId}', md5('channel' || n)::uuid,
                to_char((now() AT TIME ZONE 'Asia/Shanghai')::date - d, 'YYYYMMDD')::int, 10000 + (n * 997 + d * 31) % 90000, 'bench', {nowMs}
            FROM generate_series(1, 20) n CROSS JOIN generate_series(0, 399) d;
            """);
    }
}
