using Pond.Commerce;

namespace Pond.Analytics;

/// <summary>
/// One channel over a period: what it cost, what it brought and what that was worth. Money is yuan, rates are
/// fractions; <see cref="Retained30"/> counts only adds made at least 30 days before today (null when none are).
/// </summary>
public sealed record ChannelRoiRow(
    string? Id,
    string Name,
    decimal Spend,
    long Visits,
    long Adds,
    decimal? AddRate,
    decimal? CostPerAdd,
    long Deletions,
    long Orders,
    decimal Gmv,
    decimal? Roi,
    long Matured30,
    decimal? Retained30);

public sealed record ChannelRoiReport(InsightPeriod Period, string Attribution, IReadOnlyList<ChannelRoiRow> Rows, ChannelRoiRow Totals);

/// <summary>One staff member over a period: the friends they hold now, who they gained and lost, the GMV credited to them and the tasks they did.</summary>
public sealed record StaffLeaderRow(
    string? Id,
    string Name,
    long HeldNow,
    long HeldAtStart,
    long Adds,
    long Deletions,
    decimal? DeletionRate,
    long Orders,
    long FirstOrders,
    decimal Gmv,
    long TasksDone);

public sealed record StaffLeaderboard(InsightPeriod Period, IReadOnlyList<StaffLeaderRow> Rows);

/// <summary>Channel ROI and the staff leaderboard, from the insight rollups.</summary>
public sealed class InsightReports(InsightReader reader, OpsDashboard dashboard)
{
    public async Task<ChannelRoiReport> ChannelRoiAsync(Guid workspaceId, DateOnly? from, DateOnly? to, string? attribution)
    {
        var model = string.IsNullOrWhiteSpace(attribution) ? AttributionModels.FirstTouch : attribution.Trim().ToLowerInvariant();
        if (!AttributionModels.IsValid(model))
            throw new ValidationFailedException($"Unknown attribution '{attribution}'; use {AttributionModels.FirstTouch} or {AttributionModels.LastTouch}.", "attribution");
        await reader.FreshenAsync(workspaceId);
        var zone = await reader.ZoneAsync(workspaceId);
        var today = reader.Today(zone);
        var period = InsightPeriod.Resolve(from, to, today);
        var gmvDim = model == AttributionModels.FirstTouch ? InsightDims.FirstChannel : InsightDims.LastChannel;

        var spend = await reader.SumAsync(workspaceId, InsightMetrics.Spend, InsightDims.Channel, period.From, period.To);
        var visits = await reader.SumAsync(workspaceId, InsightMetrics.Visits, InsightDims.Channel, period.From, period.To);
        var adds = await reader.SumAsync(workspaceId, InsightMetrics.Adds, InsightDims.Channel, period.From, period.To);
        var deletions = await reader.SumAsync(workspaceId, InsightMetrics.Deletions, InsightDims.Channel, period.From, period.To);
        var gmv = await reader.SumAsync(workspaceId, InsightMetrics.Gmv, gmvDim, period.From, period.To);
        var orders = await reader.SumAsync(workspaceId, InsightMetrics.Orders, gmvDim, period.From, period.To);
        // Retention only over add days old enough to tell.
        var maturedTo = Min(period.To, today.AddDays(-30));
        var matured = maturedTo >= period.From
            ? await reader.SumAsync(workspaceId, InsightMetrics.Adds, InsightDims.Channel, period.From, maturedTo)
            : new Dictionary<string, long>();
        var kept = maturedTo >= period.From
            ? await reader.SumAsync(workspaceId, InsightMetrics.Kept30, InsightDims.Channel, period.From, maturedTo)
            : new Dictionary<string, long>();
        var names = (await dashboard.NamesAsync(workspaceId)).Channels;

        ChannelRoiRow Row(string? id, string name, Func<IReadOnlyDictionary<string, long>, long> pick)
        {
            var cost = Money.FromFen(pick(spend));
            var channelAdds = pick(adds);
            var channelVisits = pick(visits);
            var value = Money.FromFen(pick(gmv));
            var maturedAdds = pick(matured);
            return new ChannelRoiRow(
                id, name, cost, channelVisits, channelAdds,
                channelVisits > 0 ? Math.Round(channelAdds / (decimal)channelVisits, 4) : null,
                channelAdds > 0 && cost > 0 ? Math.Round(cost / channelAdds, 2) : null,
                pick(deletions), pick(orders), value,
                cost > 0 ? Math.Round(value / cost, 2) : null,
                maturedAdds, maturedAdds > 0 ? Math.Round(pick(kept) / (decimal)maturedAdds, 4) : null);
        }

        var keys = spend.Keys.Union(visits.Keys).Union(adds.Keys).Union(gmv.Keys).Union(deletions.Keys).ToHashSet();
        var rows = keys
            .Select(key => Row(key.Length == 0 ? null : key, key.Length == 0 ? "" : names.GetValueOrDefault(key, key), d => d.GetValueOrDefault(key)))
            .OrderByDescending(r => r.Gmv).ThenByDescending(r => r.Adds).ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
        var totals = Row(null, "", d => d.Values.Sum());
        return new ChannelRoiReport(period, model, rows, totals);
    }

    public async Task<StaffLeaderboard> StaffAsync(Guid workspaceId, DateOnly? from, DateOnly? to)
    {
        await reader.FreshenAsync(workspaceId);
        var zone = await reader.ZoneAsync(workspaceId);
        var today = reader.Today(zone);
        var period = InsightPeriod.Resolve(from, to, today);
        await reader.EnsurePoolSnapshotAsync(workspaceId, today);
        var snapshot = (await reader.PoolAsync(workspaceId, today)).Day ?? today;

        var held = await reader.SumAsync(workspaceId, InsightMetrics.Held, InsightDims.Staff, snapshot, snapshot);
        // Held at the period's start: today's snapshot less what was gained and lost since.
        var addsSince = await reader.SumAsync(workspaceId, InsightMetrics.Adds, InsightDims.Staff, period.From, Max(snapshot, period.To));
        var deletionsSince = await reader.SumAsync(workspaceId, InsightMetrics.Deletions, InsightDims.Staff, period.From, Max(snapshot, period.To));
        var adds = await reader.SumAsync(workspaceId, InsightMetrics.Adds, InsightDims.Staff, period.From, period.To);
        var deletions = await reader.SumAsync(workspaceId, InsightMetrics.Deletions, InsightDims.Staff, period.From, period.To);
        var gmv = await reader.SumAsync(workspaceId, InsightMetrics.Gmv, InsightDims.Staff, period.From, period.To);
        var orders = await reader.SumAsync(workspaceId, InsightMetrics.Orders, InsightDims.Staff, period.From, period.To);
        var firstOrders = await reader.SumAsync(workspaceId, InsightMetrics.FirstOrders, InsightDims.Staff, period.From, period.To);
        var tasks = await reader.SumAsync(workspaceId, InsightMetrics.TasksDone, InsightDims.Staff, period.From, period.To);
        var names = (await dashboard.NamesAsync(workspaceId)).Staff;

        var keys = held.Keys.Union(adds.Keys).Union(gmv.Keys).Union(tasks.Keys).Union(deletions.Keys).Union(names.Keys).Where(k => k.Length > 0);
        var rows = keys.Select(key =>
            {
                var atStart = held.GetValueOrDefault(key) - addsSince.GetValueOrDefault(key) + deletionsSince.GetValueOrDefault(key);
                var lost = deletions.GetValueOrDefault(key);
                return new StaffLeaderRow(
                    key, names.GetValueOrDefault(key, key), held.GetValueOrDefault(key), atStart, adds.GetValueOrDefault(key), lost,
                    atStart > 0 ? Math.Round(lost / (decimal)atStart, 4) : null,
                    orders.GetValueOrDefault(key), firstOrders.GetValueOrDefault(key), Money.FromFen(gmv.GetValueOrDefault(key)), tasks.GetValueOrDefault(key));
            })
            .OrderByDescending(r => r.Gmv).ThenByDescending(r => r.HeldNow).ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
        return new StaffLeaderboard(period, rows);
    }

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;
}
