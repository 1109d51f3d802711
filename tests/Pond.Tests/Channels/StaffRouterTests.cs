using Pond.Channels;
using Pond.Customers;

namespace Pond.Tests.Channels;

public sealed class StaffRouterTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly Guid A = Guid.Parse("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid B = Guid.Parse("00000000-0000-0000-0000-00000000000b");
    private static readonly Guid C = Guid.Parse("00000000-0000-0000-0000-00000000000c");

    private static RouteRequest Scan(long number, ulong visitor = 0, string? province = null, DateTimeOffset? now = null) =>
        new(now ?? new DateTimeOffset(2026, 11, 23, 6, 0, 0, TimeSpan.Zero), Shanghai, number, visitor, province);

    private static Guid Pick(RoutingStrategy strategy, IReadOnlyList<RouteCandidate> candidates, RouteRequest request) =>
        StaffRouter.Route(strategy, candidates, request).Chosen!.CarrierId;

    [Fact]
    public void RoundRobin_TakesTurns_AndSkipsADisabledAccountAtOnce()
    {
        RouteCandidate[] three = [new(A, CarrierStatuses.Active), new(B, CarrierStatuses.Active), new(C, CarrierStatuses.Active)];
        Enumerable.Range(0, 6).Select(n => Pick(RoutingStrategy.RoundRobin, three, Scan(n))).ShouldBe([A, B, C, A, B, C]);

        RouteCandidate[] oneBanned = [new(A, CarrierStatuses.Active), new(B, CarrierStatuses.Banned), new(C, CarrierStatuses.Active)];
        Enumerable.Range(0, 4).Select(n => Pick(RoutingStrategy.RoundRobin, oneBanned, Scan(n))).ShouldBe([A, C, A, C]);
    }

    [Fact]
    public void NoAccountLeft_GivesNoChoiceAndSaysWhy()
    {
        RouteCandidate[] allOff = [new(A, CarrierStatuses.Disabled), new(B, CarrierStatuses.Banned)];
        var decision = StaffRouter.Route(RoutingStrategy.RoundRobin, allOff, Scan(1));
        decision.Found.ShouldBeFalse();
        decision.NoAccountReason.ShouldBe("Every staff account of the code is disabled or banned.");

        RouteCandidate[] full = [new(A, CarrierStatuses.Active, AddsToday: 50, DailyCap: 50)];
        StaffRouter.Route(RoutingStrategy.Weighted, full, Scan(1)).NoAccountReason.ShouldBe("Every active staff account of the code has reached its daily add cap.");
        StaffRouter.Route(RoutingStrategy.Region, [], Scan(1)).NoAccountReason.ShouldBe("The code has no staff accounts.");
    }

    [Fact]
    public void DailyCap_SendsPeopleToTheAccountsWithRoomLeft()
    {
        RouteCandidate[] candidates = [new(A, CarrierStatuses.Active, AddsToday: 100, DailyCap: 100), new(B, CarrierStatuses.Active, AddsToday: 3, DailyCap: 100)];
        Enumerable.Range(0, 5).Select(n => Pick(RoutingStrategy.RoundRobin, candidates, Scan(n))).ShouldAllBe(id => id == B);
    }

    [Fact]
    public void Weighted_SplitsVisitorsByWeight_AndKeepsAVisitorOnOneAccount()
    {
        RouteCandidate[] candidates = [new(A, CarrierStatuses.Active, Weight: 3), new(B, CarrierStatuses.Active, Weight: 1)];
        var random = new Random(7);
        var visitors = Enumerable.Range(0, 20_000).Select(_ => (ulong)random.NextInt64()).ToList();

        var toA = visitors.Count(v => Pick(RoutingStrategy.Weighted, candidates, Scan(0, v)) == A);

        (toA / 20_000.0).ShouldBe(0.75, 0.015);
        var visitor = visitors[0];
        Enumerable.Range(0, 5).Select(n => Pick(RoutingStrategy.Weighted, candidates, Scan(n, visitor))).Distinct().Count().ShouldBe(1);
    }

    [Fact]
    public void Region_PrefersAccountsServingTheScannersProvince_ElseEveryone()
    {
        RouteCandidate[] candidates =
        [
            new(A, CarrierStatuses.Active, Regions: ["上海"]),
            new(B, CarrierStatuses.Active, Regions: ["浙江", "江苏"]),
            new(C, CarrierStatuses.Active),
        ];

        Enumerable.Range(0, 4).Select(n => Pick(RoutingStrategy.Region, candidates, Scan(n, province: "浙江"))).ShouldAllBe(id => id == B);
        Enumerable.Range(0, 3).Select(n => Pick(RoutingStrategy.Region, candidates, Scan(n, province: "四川"))).ShouldBe([A, B, C]);
    }

    [Fact]
    public void WorkingHours_PrefersStaffOnDutyInTheWorkspaceZone_IncludingOvernightShifts()
    {
        var weekdays = new HashSet<DayOfWeek> { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday };
        var everyDay = Enum.GetValues<DayOfWeek>().ToHashSet();
        RouteCandidate[] candidates =
        [
            new(A, CarrierStatuses.Active, Hours: new WorkingHours(new TimeOnly(9, 0), new TimeOnly(18, 0), weekdays)),
            new(B, CarrierStatuses.Active, Hours: new WorkingHours(new TimeOnly(20, 0), new TimeOnly(2, 0), everyDay)),
        ];

        // Monday 2026-11-23 14:00 in Shanghai (06:00 UTC): only A is on duty.
        Pick(RoutingStrategy.WorkingHours, candidates, Scan(1, now: new DateTimeOffset(2026, 11, 23, 6, 0, 0, TimeSpan.Zero))).ShouldBe(A);
        // Tuesday 01:00 in Shanghai: B's Monday-night shift.
        Pick(RoutingStrategy.WorkingHours, candidates, Scan(1, now: new DateTimeOffset(2026, 11, 23, 17, 0, 0, TimeSpan.Zero))).ShouldBe(B);
        // Tuesday 05:00 in Shanghai: nobody on duty, so everyone by turns rather than a broken code.
        Enumerable.Range(0, 2).Select(n => Pick(RoutingStrategy.WorkingHours, candidates, Scan(n, now: new DateTimeOffset(2026, 11, 23, 21, 0, 0, TimeSpan.Zero))))
            .ShouldBe([A, B]);
    }
}
