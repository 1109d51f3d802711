using Pond.Channels;
using Pond.Customers;

namespace Pond.Tests.Channels;

public sealed class GroupRouterTests
{
    private static readonly Guid First = Guid.CreateVersion7();
    private static readonly Guid Second = Guid.CreateVersion7();
    private static readonly Guid Third = Guid.CreateVersion7();

    [Fact]
    public void Scans_FillTheFirstGroup_ThenSwitchAtTheCap()
    {
        var members = new Dictionary<Guid, int> { [First] = 198, [Second] = 0 };
        var order = new List<Guid>();
        for (var scan = 0; scan < 4; scan++)
        {
            var decision = GroupRouter.Route([new(First, CarrierStatuses.Active, members[First]), new(Second, CarrierStatuses.Active, members[Second])]);
            order.Add(decision.Group!.CarrierId);
            members[decision.Group.CarrierId]++;
        }

        order.ShouldBe([First, First, Second, Second]);
        members[First].ShouldBe(GroupRouter.DefaultCapacity);
    }

    [Fact]
    public void AGroupAddedLater_TakesOverWhenTheOthersAreFull_AndTheAlertClears()
    {
        GroupSlot[] full = [new(First, CarrierStatuses.Active, 200), new(Second, CarrierStatuses.Active, 200)];
        var none = GroupRouter.Route(full);
        none.Group.ShouldBeNull();
        none.NoGroupReason.ShouldBe("Every group of the code is full; add a group to the code.");

        var added = GroupRouter.Route([.. full, new(Third, CarrierStatuses.Active, 0)]);
        added.Group!.CarrierId.ShouldBe(Third);
        added.NearlyFull.ShouldBeFalse();
    }

    [Fact]
    public void NearlyFull_WarnsWhenTenPercentOfSeatsOrFewerAreLeft_AndSkipsDismissedGroups()
    {
        GroupRouter.Route([new(First, CarrierStatuses.Active, 150), new(Second, CarrierStatuses.Active, 150)]).NearlyFull.ShouldBeFalse();
        GroupRouter.Route([new(First, CarrierStatuses.Active, 200), new(Second, CarrierStatuses.Active, 160)]).NearlyFull.ShouldBeTrue();

        var decision = GroupRouter.Route([new(First, CarrierStatuses.Disabled, 10), new(Second, CarrierStatuses.Active, 10)]);
        decision.Group!.CarrierId.ShouldBe(Second);
        GroupRouter.Route([new(First, CarrierStatuses.Disabled, 10)]).NoGroupReason.ShouldBe("Every group of the code is disabled or dismissed.");
    }
}
