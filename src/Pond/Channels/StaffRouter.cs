using Pond.Customers;

namespace Pond.Channels;

/// <summary>How a channel live code (渠道活码) spreads the people who scan it over staff accounts.</summary>
public enum RoutingStrategy
{
    /// <summary>Each scan goes to the next account in turn.</summary>
    RoundRobin,

    /// <summary>Accounts get scans in proportion to their weight; the same visitor keeps the same account.</summary>
    Weighted,

    /// <summary>Accounts that serve the scanner's province or city first; everyone else by round robin.</summary>
    Region,

    /// <summary>Accounts whose staff are on duty now first; outside everyone's hours, by round robin.</summary>
    WorkingHours,
}

/// <summary>When a staff member answers new friends, in the workspace's time zone. From ≥ To spans midnight.</summary>
public sealed record WorkingHours(TimeOnly From, TimeOnly To, IReadOnlySet<DayOfWeek> Days)
{
    public bool Covers(DateTime local)
    {
        var time = TimeOnly.FromDateTime(local);
        if (From < To)
            return Days.Contains(local.DayOfWeek) && time >= From && time < To;
        // Overnight shift: the part after midnight belongs to the previous day's shift.
        return (time >= From && Days.Contains(local.DayOfWeek)) || (time < To && Days.Contains(local.AddDays(-1).DayOfWeek));
    }
}

/// <summary>A staff account a code may route to, with what the router needs to know about it today.</summary>
public sealed record RouteCandidate(
    Guid CarrierId,
    string Status,
    int Weight = 1,
    int AddsToday = 0,
    int? DailyCap = null,
    IReadOnlyList<string>? Regions = null,
    WorkingHours? Hours = null)
{
    /// <summary>Disabled or banned accounts leave the rotation at once; a full account waits for tomorrow.</summary>
    public bool IsEligible => Status == CarrierStatuses.Active && Weight > 0 && (DailyCap is null || AddsToday < DailyCap);
}

/// <summary>One scan: where the visitor is, when, and a stable number for the visitor (for stickiness).</summary>
public sealed record RouteRequest(DateTimeOffset Now, TimeZoneInfo Zone, long ScanNumber, ulong VisitorKey, string? Province = null, string? City = null);

/// <summary>The account chosen, or why none could be (the code then shows its fallback page and alerts).</summary>
public sealed record RouteDecision(RouteCandidate? Chosen, string? NoAccountReason)
{
    public bool Found => Chosen is not null;
}

/// <summary>
/// Chooses the staff account for a scan of a live code. Pure: the caller loads candidates (with today's
/// add counts) and the scan counter, and records the add. Every strategy falls back to round robin over
/// the eligible accounts rather than failing, so a code keeps working while any account can take people.
/// </summary>
public static class StaffRouter
{
    public static RouteDecision Route(RoutingStrategy strategy, IReadOnlyList<RouteCandidate> candidates, RouteRequest request)
    {
        // A stable order, so round robin means the same thing on every node and after a restart.
        var eligible = candidates.Where(c => c.IsEligible).OrderBy(c => c.CarrierId).ToList();
        if (eligible.Count == 0)
        {
            var reason = candidates.Count == 0 ? "The code has no staff accounts."
                : candidates.All(c => c.Status != CarrierStatuses.Active) ? "Every staff account of the code is disabled or banned."
                : "Every active staff account of the code has reached its daily add cap.";
            return new RouteDecision(null, reason);
        }

        var chosen = strategy switch
        {
            RoutingStrategy.Weighted => ByWeight(eligible, request.VisitorKey),
            RoutingStrategy.Region => RoundRobin(Preferred(eligible, c => ServesRegion(c, request)), request.ScanNumber),
            RoutingStrategy.WorkingHours => RoundRobin(Preferred(eligible, c => OnDuty(c, request)), request.ScanNumber),
            _ => RoundRobin(eligible, request.ScanNumber),
        };
        return new RouteDecision(chosen, null);
    }

    private static RouteCandidate RoundRobin(List<RouteCandidate> eligible, long scanNumber) =>
        eligible[(int)(((scanNumber % eligible.Count) + eligible.Count) % eligible.Count)];

    private static RouteCandidate ByWeight(List<RouteCandidate> eligible, ulong visitorKey)
    {
        var total = eligible.Sum(c => (long)c.Weight);
        var point = (long)(visitorKey % (ulong)total);
        foreach (var candidate in eligible)
        {
            point -= candidate.Weight;
            if (point < 0)
                return candidate;
        }

        return eligible[^1];
    }

    private static List<RouteCandidate> Preferred(List<RouteCandidate> eligible, Func<RouteCandidate, bool> preferred)
    {
        var matching = eligible.Where(preferred).ToList();
        return matching.Count > 0 ? matching : eligible;
    }

    private static bool ServesRegion(RouteCandidate candidate, RouteRequest request) =>
        candidate.Regions is { Count: > 0 } regions
        && regions.Any(r => string.Equals(r, request.Province, StringComparison.OrdinalIgnoreCase)
                            || string.Equals(r, request.City, StringComparison.OrdinalIgnoreCase));

    private static bool OnDuty(RouteCandidate candidate, RouteRequest request) =>
        candidate.Hours is { } hours && hours.Covers(TimeZoneInfo.ConvertTime(request.Now, request.Zone).DateTime);
}
