using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Pond.Alerts;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Channels;

/// <summary>What the landing page shows: the account or group to add, or why there is none.</summary>
internal sealed class Landing
{
    public required string WorkspaceName { get; init; }
    public required LiveCode Code { get; init; }
    public string? Hook { get; init; }
    public LiveCodeMember? Target { get; init; }
    public string? FallbackReason { get; init; }
    /// <summary>False when the visitor had been here today already (the visit was not counted again).</summary>
    public bool NewVisit { get; init; }
}

/// <summary>
/// A scan of a live code's QR or a click on its short link: chooses the account (or group) by the code's
/// strategy, records the visit once per visitor and day, and keeps the console's alert in step with whether
/// the code can route anyone. A visitor who comes back the same day sees the same account.
/// </summary>
internal sealed class LiveCodeLanding(Database database, ChannelCatalog catalog, WorkspaceService workspaces, AlertBoard alerts, TimeProvider clock)
{
    public async Task<Landing?> ScanAsync(string slug, string visitor, string? region, DateTimeOffset? at = null)
    {
        var now = at ?? clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        if (await catalog.FindCodeBySlugAsync(connection, slug) is not { } code)
            return null;
        var workspace = await workspaces.FindWorkspaceAsync(code.WorkspaceId)
            ?? throw new InvalidOperationException($"Live code {code.Id} belongs to no workspace.");
        var zone = TimeZoneInfo.FindSystemTimeZoneById(workspace.TimeZone);
        var today = Days.Local(now, zone);
        var day = Days.ToNumber(today);

        var previous = await connection.QuerySingleOrDefaultAsync<Guid?>(
            "SELECT carrier_id FROM live_code_visits WHERE code_id = @codeId AND visitor = @visitor AND day = @day",
            new { codeId = code.Id, visitor, day });
        var newVisit = previous is null;
        LiveCodeMember? target = null;
        string? reason;
        if (code.Status != LiveCodeStatuses.Active)
            reason = "The code is paused.";
        else if (code.Kind == LiveCodeKinds.Group)
            (target, reason) = await RouteGroupAsync(connection, code.WorkspaceId, code, previous);
        else
            (target, reason) = await RouteStaffAsync(connection, code.WorkspaceId, code, previous, visitor, region, now, zone, today);

        if (newVisit)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO live_code_visits (id, workspace_id, code_id, visitor, day, carrier_id, region, visited_at)
                VALUES (@id, @workspaceId, @codeId, @visitor, @day, @carrierId, @region, @now) ON CONFLICT DO NOTHING
                """,
                new { id = Guid.CreateVersion7(), workspaceId = code.WorkspaceId, codeId = code.Id, visitor, day, carrierId = target?.CarrierId, region, now });
            await Analytics.InsightDirty.MarkAsync(connection, null, code.WorkspaceId, now, now);
        }
        else if (target is not null && target.CarrierId != previous)
        {
            await connection.ExecuteAsync("UPDATE live_code_visits SET carrier_id = @carrierId WHERE code_id = @codeId AND visitor = @visitor AND day = @day",
                new { carrierId = target.CarrierId, codeId = code.Id, visitor, day });
        }

        if (code.Status == LiveCodeStatuses.Active)
        {
            if (target is null && !code.BrokenAlert)
                await alerts.RaiseAsync(code.WorkspaceId, AlertKinds.LiveCodeBroken, code.Id, $"{code.Name}: {reason}");
            else if (target is not null && code.BrokenAlert)
                await alerts.ResolveAsync(code.WorkspaceId, AlertKinds.LiveCodeBroken, code.Id);
        }

        return new Landing
        {
            WorkspaceName = workspace.Name, Code = code, Hook = code.ChannelHook, Target = target,
            FallbackReason = target is null ? reason : null, NewVisit = newVisit,
        };
    }

    private async Task<(LiveCodeMember?, string?)> RouteStaffAsync(
        DbConnection connection, Guid workspaceId, LiveCode code, Guid? previous, string visitor, string? region, DateTimeOffset now, TimeZoneInfo zone, DateOnly today)
    {
        var since = Days.Start(today, zone);
        var addsToday = (await connection.QueryAsync<CarrierAdds>(
            $"""
            SELECT carrier_id, COUNT(*) AS adds FROM acquisitions
            WHERE workspace_id = @workspaceId AND acquired_at >= @since AND carrier_id {(database.IsSqlite ? "IN (SELECT value FROM json_each(@ids))" : "= ANY(@ids)")}
            GROUP BY carrier_id
            """,
            new
            {
                workspaceId, since,
                ids = database.IsSqlite ? (object)System.Text.Json.JsonSerializer.Serialize(code.Members.Select(m => m.CarrierId)) : code.Members.Select(m => m.CarrierId).ToArray(),
            })).ToDictionary(r => r.CarrierId, r => (int)r.Adds);
        var candidates = code.Members.Select(m => new RouteCandidate(
            m.CarrierId, m.CarrierStatus, m.Weight, addsToday.GetValueOrDefault(m.CarrierId), m.DailyCap, m.Regions,
            ChannelCatalog.ToWorkingHours(m.Hours))).ToList();

        // Same visitor, same day: the same account, while it can still take people.
        if (previous is { } carrierId && candidates.FirstOrDefault(c => c.CarrierId == carrierId) is { IsEligible: true })
            return (code.Members.First(m => m.CarrierId == carrierId), null);

        var scan = await connection.ExecuteScalarAsync<long>("UPDATE live_codes SET scans = scans + 1 WHERE id = @id RETURNING scans", new { id = code.Id });
        var decision = StaffRouter.Route(RoutingStrategies.Parse(code.Strategy), candidates,
            new RouteRequest(now, zone, scan - 1, VisitorKey(visitor), region, region));
        return decision.Found ? (code.Members.First(m => m.CarrierId == decision.Chosen!.CarrierId), null) : (null, decision.NoAccountReason);
    }

    private async Task<(LiveCodeMember?, string?)> RouteGroupAsync(DbConnection connection, Guid workspaceId, LiveCode code, Guid? previous)
    {
        await connection.ExecuteAsync("UPDATE live_codes SET scans = scans + 1 WHERE id = @id", new { id = code.Id });
        var slots = code.Members.Select(m => new GroupSlot(m.CarrierId, m.CarrierStatus, m.Members, m.Capacity ?? GroupRouter.DefaultCapacity)).ToList();
        var decision = GroupRouter.Route(slots);
        // Written only when the state changes: scans are the hot path and must not write an alert each time.
        if (decision.NearlyFull && !code.NearlyFullAlert)
            await alerts.RaiseAsync(workspaceId, AlertKinds.GroupCodeNearlyFull, code.Id, $"{code.Name}: The groups are nearly full; add a group to the code.");
        else if (!decision.NearlyFull && code.NearlyFullAlert)
            await alerts.ResolveAsync(workspaceId, AlertKinds.GroupCodeNearlyFull, code.Id);
        if (previous is { } carrierId && slots.FirstOrDefault(s => s.CarrierId == carrierId) is { } earlier
            && earlier.Status == Customers.CarrierStatuses.Active && earlier.Members < earlier.Capacity)
            return (code.Members.First(m => m.CarrierId == carrierId), null);
        return decision.Group is { } group ? (code.Members.First(m => m.CarrierId == group.CarrierId), null) : (null, decision.NoGroupReason);
    }

    /// <summary>A stable number per visitor, so weighted routing keeps someone on the same account.</summary>
    private static ulong VisitorKey(string visitor) => BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(visitor)), 0);

    private sealed class CarrierAdds
    {
        public Guid CarrierId { get; init; }
        public long Adds { get; init; }
    }

}
