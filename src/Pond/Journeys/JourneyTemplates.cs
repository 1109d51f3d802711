using System.Text.Json;
using System.Text.Json.Nodes;
using Pond.Commerce.Coupons;
using Pond.Messaging;

namespace Pond.Journeys;

public sealed record JourneyTemplateInfo(string Key, string Name, string Description, string Trigger, int Steps);

/// <summary>
/// The journeys Pond ships, each ready to adapt: the Luckin coupon ladder (DOMAIN.md), new friend → first order within
/// 3 days, follow-up 3 days after the first order, replenishment by usage cycle, birthday gift, win-back. Creating one
/// makes a draft and the coupon templates it issues (reused by name when the workspace already has them).
/// </summary>
internal sealed class JourneyTemplates(JourneyCatalog catalog, CouponTemplates coupons)
{
    private const string OrderCompleted = "Order Completed";

    private sealed record CouponSpec(string Name, string Kind, int? Percent = null, decimal? Amount = null, decimal? Threshold = null, int ValidDays = 7);

    private sealed record Template(string Key, string Name, string Description, CouponSpec[] Coupons, Func<Func<string, Guid>, JourneyDefinition> Build);

    private static readonly Template[] All =
    [
        new("luckin_ladder", "瑞幸阶梯券 · Luckin coupon ladder",
            "A member a month without a purchase gets 85折, then 4.3折, then 2.8折 a week apart until they buy; once they buy, each next purchase steps the coupon back up: 4.3折, 5.8折, 9.5折.",
            [new("阶梯券 85折", CouponKinds.Percent, 85), new("阶梯券 4.3折", CouponKinds.Percent, 43), new("阶梯券 2.8折", CouponKinds.Percent, 28),
             new("阶梯券 5.8折", CouponKinds.Percent, 58), new("阶梯券 9.5折", CouponKinds.Percent, 95)],
            coupon => new JourneyDefinition
            {
                Trigger = new JourneyTrigger { Kind = TriggerKinds.Event, Event = "Signed Up" },
                Start = "first_month",
                Steps =
                [
                    WaitForOrder("first_month", "No purchase in the first month?", 30, next: "buyer_43", timeout: "coupon_85"),
                    Coupon("coupon_85", "85折", coupon("阶梯券 85折"), "msg_85"),
                    Message("msg_85", "{name}，送你一张85折券，本周内有效：{coupon}", "after_85"),
                    WaitForOrder("after_85", "A purchase within a week?", 7, next: "buyer_43", timeout: "coupon_43"),
                    Coupon("coupon_43", "4.3折", coupon("阶梯券 4.3折"), "msg_43"),
                    Message("msg_43", "{name}，想你了！4.3折券已到账：{coupon}", "after_43"),
                    WaitForOrder("after_43", "A purchase within a week?", 7, next: "buyer_43", timeout: "coupon_28"),
                    Coupon("coupon_28", "2.8折", coupon("阶梯券 2.8折"), "msg_28"),
                    Message("msg_28", "{name}，最后一张2.8折券，错过不再有：{coupon}", "after_28"),
                    WaitForOrder("after_28", "A purchase within two weeks?", 14, next: "buyer_43", timeout: "no_purchase"),
                    new JourneyStep { Id = "no_purchase", Kind = StepKinds.Exit, Name = "Never bought" },
                    Coupon("buyer_43", "After the purchase: 4.3折", coupon("阶梯券 4.3折"), "msg_buyer_43"),
                    Message("msg_buyer_43", "感谢下单！下一杯4.3折：{coupon}", "second_order"),
                    WaitForOrder("second_order", "Buys again within 30 days?", 30, next: "buyer_58", timeout: "lapsed"),
                    Coupon("buyer_58", "5.8折", coupon("阶梯券 5.8折"), "msg_buyer_58"),
                    Message("msg_buyer_58", "又见面了！下一杯5.8折：{coupon}", "third_order"),
                    WaitForOrder("third_order", "Buys again within 30 days?", 30, next: "buyer_95", timeout: "lapsed"),
                    Coupon("buyer_95", "9.5折", coupon("阶梯券 9.5折"), "msg_buyer_95"),
                    Message("msg_buyer_95", "老朋友专享9.5折：{coupon}", null),
                    new JourneyStep { Id = "lapsed", Kind = StepKinds.Exit, Name = "Stopped buying" },
                ],
            }),
        new("first_order_3_days", "新客3天首单 · First order within 3 days",
            "A new friend gets a new-customer coupon at once, a reminder on day 2, and their guide a follow-up task on day 3; the first order ends the journey as a conversion.",
            [new("新客券 满49减10", CouponKinds.Threshold, Amount: 10m, Threshold: 49m, ValidDays: 3)],
            coupon => new JourneyDefinition
            {
                Trigger = new JourneyTrigger { Kind = TriggerKinds.Event, Event = "Relationship Started" },
                Goal = new JourneyGoal { Event = OrderCompleted },
                Start = "welcome_coupon",
                Steps =
                [
                    Coupon("welcome_coupon", "New-customer coupon", coupon("新客券 满49减10"), "welcome_msg"),
                    Message("welcome_msg", "{name}你好，我是{staff}～新人券已放进你的账户：{coupon}，3天内有效哦", "two_days"),
                    Wait("two_days", 2, "reminder"),
                    Message("reminder", "{name}，你的新人券明天就过期啦：{coupon}", "one_day"),
                    Wait("one_day", 1, "guide_task"),
                    new JourneyStep
                    {
                        Id = "guide_task", Kind = StepKinds.Task, Name = "Guide follows up", Title = "新客3天未下单：一对一跟进", DueHours = 24,
                        Text = "问问{name}有没有看中的商品，推荐爆款并提醒新人券。",
                    },
                ],
            }),
        new("post_purchase_follow_up", "首单后3天回访 · Follow-up 3 days after the first order",
            "Three days after a customer's first order: a care message, and a task for their guide to ask how it went.",
            [],
            _ => new JourneyDefinition
            {
                Trigger = new JourneyTrigger { Kind = TriggerKinds.Date, DateTrait = DateTraits.FirstOrder, Days = 3, At = "10:00" },
                Start = "care",
                Steps =
                [
                    Message("care", "{name}，收到宝贝了吗？用起来怎么样，有问题随时找{staff}～", "ask"),
                    new JourneyStep
                    {
                        Id = "ask", Kind = StepKinds.Task, Name = "Guide asks for feedback", Title = "首单回访：询问使用体验", DueHours = 48,
                        Text = "询问{name}的使用感受，记录反馈，邀请进会员群。",
                    },
                ],
            }),
        new("replenishment", "复购提醒 · Replenishment reminder",
            "An order of a product with a usage cycle (here 25 days, set the wait to the product's cycle and filter the trigger by sku or category): when it should be running out and no new order came, a reminder and a coupon.",
            [new("复购券 9折", CouponKinds.Percent, 90, ValidDays: 10)],
            coupon => new JourneyDefinition
            {
                Trigger = new JourneyTrigger
                {
                    Kind = TriggerKinds.Event, Event = OrderCompleted,
                    Where = [new PropertyFilter { Property = "category", Op = "eq", Value = JsonValue.Create("护肤") }],
                },
                Reentry = new JourneyReentry { Policy = ReentryPolicies.Always },
                Start = "usage_cycle",
                Steps =
                [
                    Wait("usage_cycle", 25, "bought_again"),
                    new JourneyStep
                    {
                        Id = "bought_again", Kind = StepKinds.Condition, Name = "Ordered again since?",
                        Condition = new JourneyCondition { Kind = ConditionKinds.Event, Event = OrderCompleted }, Yes = "done", No = "coupon",
                    },
                    new JourneyStep { Id = "done", Kind = StepKinds.Exit, Name = "Already replenished" },
                    Coupon("coupon", "Replenishment coupon", coupon("复购券 9折"), "remind"),
                    Message("remind", "{name}，上次买的快用完了吧？补货享9折：{coupon}", null),
                ],
            }),
        new("birthday_gift", "生日礼 · Birthday gift",
            "On the customer's birthday (trait birthday, YYYY-MM-DD or MM-DD) at 09:00: 200 points, a birthday coupon and a greeting; every year.",
            [new("生日券 无门槛20元", CouponKinds.Amount, Amount: 20m, ValidDays: 30)],
            coupon => new JourneyDefinition
            {
                Trigger = new JourneyTrigger { Kind = TriggerKinds.Date, DateTrait = DateTraits.Birthday, Days = 0, At = "09:00" },
                Reentry = new JourneyReentry { Policy = ReentryPolicies.Always },
                Start = "points",
                Steps =
                [
                    new JourneyStep { Id = "points", Kind = StepKinds.Points, Name = "Birthday points", Points = 200, Reason = "生日礼", Next = "coupon" },
                    Coupon("coupon", "Birthday coupon", coupon("生日券 无门槛20元"), "greeting"),
                    Message("greeting", "{name}，生日快乐！🎂 200积分和一张20元生日券已送上：{coupon}", "tag"),
                    new JourneyStep { Id = "tag", Kind = StepKinds.Tag, Name = "Tag", Tag = "生日礼已送" },
                ],
            }),
        new("win_back", "沉睡唤醒 · Win back at-risk customers",
            "No order for 60 days: a ¥20 coupon and a message; an order within two weeks tags them as won back, otherwise their guide gets a task.",
            [new("唤醒券 满99减20", CouponKinds.Threshold, Amount: 20m, Threshold: 99m, ValidDays: 14)],
            coupon => new JourneyDefinition
            {
                Trigger = new JourneyTrigger { Kind = TriggerKinds.Inactivity, Event = OrderCompleted, Days = 60 },
                Reentry = new JourneyReentry { Policy = ReentryPolicies.After, Days = 90 },
                Start = "coupon",
                Steps =
                [
                    Coupon("coupon", "Win-back coupon", coupon("唤醒券 满99减20"), "message"),
                    Message("message", "{name}，好久不见！送你一张满99减20券，14天内有效：{coupon}", "wait_order"),
                    WaitForOrder("wait_order", "Orders within two weeks?", 14, next: "won_back", timeout: "guide"),
                    new JourneyStep { Id = "won_back", Kind = StepKinds.Tag, Name = "Won back", Tag = "已唤醒" },
                    new JourneyStep
                    {
                        Id = "guide", Kind = StepKinds.Task, Name = "Guide reaches out", Title = "沉睡客户唤醒未成功：一对一联系", DueHours = 72,
                        Text = "{name} 60天未下单，唤醒券也未使用。了解原因，推荐新品。",
                    },
                ],
            }),
    ];

    public static IReadOnlyList<JourneyTemplateInfo> List() =>
        All.Select(t =>
        {
            var definition = t.Build(_ => Guid.Empty);
            return new JourneyTemplateInfo(t.Key, t.Name, t.Description, definition.Trigger.Kind, definition.Steps.Count);
        }).ToList();

    /// <summary>Creates a draft from the template, with the coupon templates it needs.</summary>
    public async Task<Journey> CreateAsync(Guid workspaceId, string key, string? name, string actor)
    {
        var template = All.FirstOrDefault(t => t.Key == key)
            ?? throw new NotFoundException($"No journey template '{key}'; the templates are {string.Join(", ", All.Select(t => t.Key))}.");
        var existing = (await coupons.ListAsync(workspaceId, includeArchived: false)).GroupBy(c => c.Name).ToDictionary(g => g.Key, g => g.First().Id);
        var ids = new Dictionary<string, Guid>();
        foreach (var spec in template.Coupons)
        {
            ids[spec.Name] = existing.TryGetValue(spec.Name, out var id) ? id : (await coupons.CreateAsync(workspaceId, new CouponTemplateInput
            {
                Name = spec.Name, Kind = spec.Kind, Percent = spec.Percent, Amount = spec.Amount, Threshold = spec.Threshold, ValidDays = spec.ValidDays,
                Description = $"Issued by the journey template {template.Name}",
            }, actor)).Id;
        }

        var definition = template.Build(couponName => ids[couponName]);
        Layout(definition);
        return await catalog.CreateAsync(workspaceId, new JourneyInput
        {
            Name = string.IsNullOrWhiteSpace(name) ? template.Name : name,
            Description = template.Description,
            Definition = JsonSerializer.SerializeToElement(definition, JourneyDefinition.Json),
        }, actor, template.Key);
    }

    /// <summary>Positions for the editor: steps laid out by depth from the start, branches side by side.</summary>
    private static void Layout(JourneyDefinition definition)
    {
        var depth = new Dictionary<string, int> { [definition.Start!] = 0 };
        var queue = new Queue<string>([definition.Start!]);
        while (queue.Count > 0)
        {
            var id = queue.Dequeue();
            foreach (var next in definition.Step(id)!.Exits)
            {
                // The longest path from the start: a step goes below every step that leads to it (the graph is acyclic).
                var below = depth[id] + 1;
                if (depth.TryGetValue(next, out var known) && known >= below)
                    continue;
                depth[next] = below;
                queue.Enqueue(next);
            }
        }

        foreach (var row in definition.Steps.GroupBy(s => depth.GetValueOrDefault(s.Id)))
        {
            var column = 0;
            foreach (var step in row)
                step.Position = [80 + column++ * 260, 60 + row.Key * 130];
        }
    }

    private static JourneyStep Wait(string id, int days, string? next) =>
        new() { Id = id, Kind = StepKinds.Wait, Name = $"Wait {days} d", Duration = new JourneyDuration { Days = days }, Next = next };

    private static JourneyStep WaitForOrder(string id, string name, int days, string next, string timeout) => new()
    {
        Id = id, Kind = StepKinds.WaitForEvent, Name = name, Event = OrderCompleted, Duration = new JourneyDuration { Days = days },
        Next = next, TimeoutNext = timeout,
    };

    private static JourneyStep Coupon(string id, string name, Guid templateId, string? next) =>
        new() { Id = id, Kind = StepKinds.Coupon, Name = name, TemplateId = templateId, Next = next };

    private static JourneyStep Message(string id, string text, string? next) =>
        new() { Id = id, Kind = StepKinds.Message, Name = "Message", Channel = OutboxChannels.WeComMessage, Text = text, Next = next };
}
