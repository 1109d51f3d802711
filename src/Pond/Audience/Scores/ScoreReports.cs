using Dapper;
using Pond.Storage;

namespace Pond.Audience.Scores;

public sealed record RfmCellReport(
    string Code, string NameZh, string NameEn, bool HighR, bool HighF, bool HighM, long Customers, decimal Monetary, decimal AverageOrderValue, double Share);

public sealed record RfmCellsReport(long Pool, long Buyers, long Scored, IReadOnlyList<RfmCellReport> Cells);

public sealed record RfmGridCell(int R, int F, long Customers, decimal AverageMonetary);

public sealed record RfmGridReport(long Scored, IReadOnlyList<RfmGridCell> Cells);

public sealed record LifecycleStageCount(string Code, string NameZh, string NameEn, long Customers, double Share);

public sealed record LifecycleTransition(string From, string To, long Count);

public sealed record LifecycleOverview(long Pool, IReadOnlyList<LifecycleStageCount> Stages, int TransitionDays, IReadOnlyList<LifecycleTransition> Transitions);

/// <summary>A customer's scores as the 360 page shows them; null fields while they have no order in the RFM window.</summary>
public sealed class CustomerScore
{
    public int? RecencyDays { get; init; }
    public int? Frequency { get; init; }
    public long? Monetary { get; init; }
    public int? R { get; init; }
    public int? F { get; init; }
    public int? M { get; init; }
    public string? RfmCell { get; init; }
    public string LifecycleStage { get; init; } = LifecycleStages.New;
    public DateTimeOffset? StageSince { get; init; }
}

/// <summary>
/// Read models over customer_scores for the API and the console. <c>owner</c> narrows every figure to one staff
/// member's customers (the staff role sees only its own).
/// </summary>
public sealed class ScoreReports(Database database, TimeProvider clock)
{
    public const int TransitionDays = 30;

    public async Task<RfmCellsReport> CellsAsync(Guid workspaceId, Guid? owner = null)
    {
        await using var connection = await database.OpenAsync();
        var pool = await PoolAsync(connection, workspaceId, owner);
        var rows = (await connection.QueryAsync<CellRow>(
            $"""
            SELECT s.rfm_cell AS Cell, COUNT(*) AS Customers, CAST(COALESCE(SUM(s.monetary), 0) AS BIGINT) AS Fen,
                   CAST(COALESCE(SUM(s.frequency), 0) AS BIGINT) AS Orders
            FROM customer_scores s {OwnerJoin(owner)}
            WHERE s.workspace_id = @workspaceId
            GROUP BY s.rfm_cell
            """, new { workspaceId, owner })).AsList();
        var byCell = rows.Where(r => r.Cell is not null).ToDictionary(r => r.Cell!);
        var cells = RfmCells.All.Select(c =>
        {
            byCell.TryGetValue(c.Code, out var row);
            var customers = row?.Customers ?? 0;
            var fen = row?.Fen ?? 0;
            var orders = row?.Orders ?? 0;
            return new RfmCellReport(c.Code, c.NameZh, c.NameEn, c.HighR, c.HighF, c.HighM, customers, fen / 100m,
                orders == 0 ? 0m : decimal.Round(fen / 100m / orders, 2), pool == 0 ? 0 : (double)customers / pool);
        }).ToList();
        return new RfmCellsReport(pool, rows.Sum(r => r.Customers), rows.Where(r => r.Cell is not null).Sum(r => r.Customers), cells);
    }

    public async Task<RfmGridReport> GridAsync(Guid workspaceId, Guid? owner = null)
    {
        await using var connection = await database.OpenAsync();
        var rows = (await connection.QueryAsync<GridRow>(
            $"""
            SELECT s.r AS R, s.f AS F, COUNT(*) AS Customers, CAST(COALESCE(SUM(s.monetary), 0) AS BIGINT) AS Fen
            FROM customer_scores s {OwnerJoin(owner)}
            WHERE s.workspace_id = @workspaceId AND s.r IS NOT NULL
            GROUP BY s.r, s.f
            """, new { workspaceId, owner })).AsList();
        var cells = new List<RfmGridCell>(25);
        for (var r = 1; r <= 5; r++)
        {
            for (var f = 1; f <= 5; f++)
            {
                var row = rows.FirstOrDefault(x => x.R == r && x.F == f);
                cells.Add(new RfmGridCell(r, f, row?.Customers ?? 0, row is null || row.Customers == 0 ? 0m : decimal.Round(row.Fen / 100m / row.Customers, 2)));
            }
        }

        return new RfmGridReport(rows.Sum(r => r.Customers), cells);
    }

    public async Task<LifecycleOverview> OverviewAsync(Guid workspaceId, Guid? owner = null)
    {
        await using var connection = await database.OpenAsync();
        var pool = await PoolAsync(connection, workspaceId, owner);
        var counts = (await connection.QueryAsync<StageRow>(
            $"""
            SELECT s.lifecycle_stage AS Stage, COUNT(*) AS Customers FROM customer_scores s {OwnerJoin(owner)}
            WHERE s.workspace_id = @workspaceId GROUP BY s.lifecycle_stage
            """, new { workspaceId, owner })).ToDictionary(r => r.Stage, r => r.Customers);
        var buyers = counts.Values.Sum();
        var stages = LifecycleStages.All.Select(s =>
        {
            var n = s.Code == LifecycleStages.New ? Math.Max(0, pool - buyers) : counts.GetValueOrDefault(s.Code);
            return new LifecycleStageCount(s.Code, s.NameZh, s.NameEn, n, pool == 0 ? 0 : (double)n / pool);
        }).ToList();
        var since = clock.GetUtcNow().AddDays(-TransitionDays);
        var transitions = (await connection.QueryAsync<TransitionRow>(
            $"""
            SELECT e.detail AS Detail, e.subject AS Subject, COUNT(*) AS Count
            FROM audience_events e {(owner is null ? "" : "JOIN customers c ON c.id = e.customer_id AND c.owner_staff_id = @owner")}
            WHERE e.workspace_id = @workspaceId AND e.kind = 'lifecycle.changed' AND e.occurred_at >= @since
            GROUP BY e.detail, e.subject
            """, new { workspaceId, owner, since })).AsList();
        var list = transitions
            .Select(t => new LifecycleTransition(From(t.Detail), t.Subject, t.Count))
            .GroupBy(t => (t.From, t.To))
            .Select(g => new LifecycleTransition(g.Key.From, g.Key.To, g.Sum(t => t.Count)))
            .OrderByDescending(t => t.Count).ThenBy(t => t.From, StringComparer.Ordinal).ThenBy(t => t.To, StringComparer.Ordinal)
            .ToList();
        return new LifecycleOverview(pool, stages, TransitionDays, list);
    }

    public async Task<CustomerScore> CustomerAsync(Guid workspaceId, Guid customerId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<CustomerScore>(
            """
            SELECT recency_days AS RecencyDays, frequency AS Frequency, monetary AS Monetary, r AS R, f AS F, m AS M, rfm_cell AS RfmCell,
                   lifecycle_stage AS LifecycleStage, stage_since AS StageSince
            FROM customer_scores WHERE workspace_id = @workspaceId AND customer_id = @customerId
            """, new { workspaceId, customerId }) ?? new CustomerScore();
    }

    private static string From(string? detail)
    {
        if (detail is null)
            return LifecycleStages.New;
        using var document = System.Text.Json.JsonDocument.Parse(detail);
        return document.RootElement.TryGetProperty("from", out var from) && from.GetString() is { } text ? text : LifecycleStages.New;
    }

    private static string OwnerJoin(Guid? owner) => owner is null ? "" : "JOIN customers c ON c.id = s.customer_id AND c.owner_staff_id = @owner";

    private static async Task<long> PoolAsync(System.Data.Common.DbConnection connection, Guid workspaceId, Guid? owner) =>
        await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM customers WHERE workspace_id = @workspaceId" + (owner is null ? "" : " AND owner_staff_id = @owner"), new { workspaceId, owner });

    private sealed class CellRow
    {
        public string? Cell { get; init; }
        public long Customers { get; init; }
        public long Fen { get; init; }
        public long Orders { get; init; }
    }

    private sealed class GridRow
    {
        public int R { get; init; }
        public int F { get; init; }
        public long Customers { get; init; }
        public long Fen { get; init; }
    }

    private sealed class StageRow
    {
        public string Stage { get; init; } = "";
        public long Customers { get; init; }
    }

    private sealed class TransitionRow
    {
        public string? Detail { get; init; }
        public string Subject { get; init; } = "";
        public long Count { get; init; }
    }
}
