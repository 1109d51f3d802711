using System.Globalization;
using Pond.Commerce.Coupons;
using Pond.Fission.Assists;
using Pond.Fission.Lotteries;
using Pond.Server.Components.Pages.Activities;

namespace Pond.Server.Components.Pages.Fission;

/// <summary>A reward as the console's forms post it: kind, and the template, points or gift that kind needs.</summary>
public class RewardFields
{
    public string? RewardKind { get; set; } = GameRewardKinds.Coupon;
    public string? RewardTemplateId { get; set; }
    public string? RewardPoints { get; set; }
    public string? RewardGift { get; set; }

    internal GameRewardInput Reward(string field) => new()
    {
        Kind = RewardKind, TemplateId = Guid.TryParse(RewardTemplateId, out var template) ? template : null,
        Points = FormValues.Int(RewardPoints, $"{field}.points"), Gift = RewardGift,
    };
}

public sealed class AssistForm : RewardFields
{
    public string? Name { get; set; }
    public string? TargetHelps { get; set; } = "5";
    public string? TimeLimitHours { get; set; } = "24";
    public string? RewardStock { get; set; }
    public string? HelperDailyCap { get; set; }
    public bool NewHelpersOnly { get; set; }
    public string? SegmentId { get; set; }
    public string? StartsAt { get; set; }
    public string? EndsAt { get; set; }

    internal AssistCampaignInput ToInput(TimeZoneInfo zone) => new()
    {
        Name = Name, TargetHelps = FormValues.Int(TargetHelps, "targetHelps"),
        TimeLimitMinutes = FormValues.Decimal(TimeLimitHours, "timeLimitHours") is { } hours ? (int)Math.Round(hours * 60) : null,
        Reward = Reward("reward"), RewardStock = FormValues.Int(RewardStock, "rewardStock"), HelperDailyCap = FormValues.Int(HelperDailyCap, "helperDailyCap"),
        NewHelpersOnly = NewHelpersOnly, SegmentId = Guid.TryParse(SegmentId, out var segment) ? segment : null,
        StartsAt = FormValues.LocalTime(StartsAt, zone, "startsAt"), EndsAt = FormValues.LocalTime(EndsAt, zone, "endsAt"),
    };
}

public sealed class BargainForm
{
    public string? Name { get; set; }
    public string? Sku { get; set; }
    public string? ProductName { get; set; }
    public string? OriginalPrice { get; set; }
    public string? FloorPrice { get; set; }
    public string? MaxHelps { get; set; } = "8";
    public string? FirstCutPercent { get; set; } = "50";
    public string? TimeLimitHours { get; set; } = "24";
    public string? Stock { get; set; }
    public string? HelperDailyCap { get; set; }
    public bool NewHelpersOnly { get; set; }
    public string? SegmentId { get; set; }
    public string? StartsAt { get; set; }
    public string? EndsAt { get; set; }

    internal BargainItemInput ToInput(TimeZoneInfo zone) => new()
    {
        Name = Name, Sku = Sku, ProductName = ProductName,
        OriginalPrice = FormValues.Decimal(OriginalPrice, "originalPrice"), FloorPrice = FormValues.Decimal(FloorPrice, "floorPrice"),
        MaxHelps = FormValues.Int(MaxHelps, "maxHelps"), FirstCutPercent = FormValues.Int(FirstCutPercent, "firstCutPercent"),
        TimeLimitMinutes = FormValues.Decimal(TimeLimitHours, "timeLimitHours") is { } hours ? (int)Math.Round(hours * 60) : null,
        Stock = FormValues.Int(Stock, "stock"), HelperDailyCap = FormValues.Int(HelperDailyCap, "helperDailyCap"), NewHelpersOnly = NewHelpersOnly,
        SegmentId = Guid.TryParse(SegmentId, out var segment) ? segment : null,
        StartsAt = FormValues.LocalTime(StartsAt, zone, "startsAt"), EndsAt = FormValues.LocalTime(EndsAt, zone, "endsAt"),
    };
}

public sealed class PrizeRow : RewardFields
{
    public string? Id { get; set; }
    public string? Name { get; set; }
    public string? Probability { get; set; }
    public string? Stock { get; set; }

    public bool Blank => string.IsNullOrWhiteSpace(Name) && string.IsNullOrWhiteSpace(Probability) && string.IsNullOrWhiteSpace(Stock);
}

public sealed class LotteryForm
{
    public const int Rows = 6;

    public string? Name { get; set; }
    public string? PointsCost { get; set; } = "10";
    public string? SegmentId { get; set; }
    public string? StartsAt { get; set; }
    public string? EndsAt { get; set; }
    public List<PrizeRow> Prizes { get; set; } = [];

    /// <summary>The filled prize rows; blank rows of the form are left out.</summary>
    internal LotteryInput ToInput(TimeZoneInfo zone) => new()
    {
        Name = Name, PointsCost = FormValues.Int(PointsCost, "pointsCost"), SegmentId = Guid.TryParse(SegmentId, out var segment) ? segment : null,
        StartsAt = FormValues.LocalTime(StartsAt, zone, "startsAt"), EndsAt = FormValues.LocalTime(EndsAt, zone, "endsAt"),
        Prizes = Prizes.Where(p => !p.Blank).Select((p, i) => new LotteryPrizeInput
        {
            Name = p.Name, Probability = FormValues.Decimal(p.Probability, $"prizes[{i}].probability"), Stock = FormValues.Int(p.Stock, $"prizes[{i}].stock"),
            Reward = p.Reward($"prizes[{i}].reward"),
        }).ToList(),
    };
}

/// <summary>The lottery detail page's editor: status and each prize's probability and stock.</summary>
public sealed class LotteryEditForm
{
    public string? Status { get; set; }
    public List<PrizeRow> Prizes { get; set; } = [];

    internal LotteryInput ToInput() => new()
    {
        Status = Status,
        Prizes = Prizes.Where(p => Guid.TryParse(p.Id, out _)).Select((p, i) => new LotteryPrizeInput
        {
            Id = Guid.Parse(p.Id!), Probability = FormValues.Decimal(p.Probability, $"prizes[{i}].probability"), Stock = FormValues.Int(p.Stock, $"prizes[{i}].stock"),
        }).ToList(),
    };
}

/// <summary>How the fission-game pages show states, reasons and rewards.</summary>
internal static class GameDisplay
{
    public static string State(Localization.Text t, string state) => state switch
    {
        "scheduled" => t["Upcoming"],
        "running" => t["Running"],
        "ended" => t["Ended"],
        "sold_out" => t["Sold out"],
        GameStatuses.Paused => t["Paused"],
        AssistRequestStates.Open => t["In progress"],
        AssistRequestStates.Complete => t["Target reached"],
        AssistRequestStates.Expired => t["Expired"],
        BargainStates.Reached => t["At the floor price"],
        BargainStates.Purchased => t["Bought"],
        DrawOutcomes.Won => t["Won"],
        DrawOutcomes.NoPrize => t["No prize"],
        DrawOutcomes.OutOfStock => t["Prize out of stock"],
        _ => state,
    };

    public static string Badge(string state) => state switch
    {
        "running" or AssistRequestStates.Open => "badge-ok",
        AssistRequestStates.Complete or BargainStates.Reached or BargainStates.Purchased or DrawOutcomes.Won => "badge-warn",
        "scheduled" => "badge-community",
        _ => "badge-muted",
    };

    public static string Reward(Localization.Text t, GameReward reward, IReadOnlyDictionary<Guid, string> templates) => reward.Kind switch
    {
        GameRewardKinds.Coupon => t["Coupon: {0}", reward.TemplateId is { } id && templates.TryGetValue(id, out var name) ? name : reward.TemplateId?.ToString() ?? ""],
        GameRewardKinds.Points => t["{0} points", reward.Points?.ToString("N0", CultureInfo.InvariantCulture) ?? "0"],
        _ => t["Gift: {0}", reward.Gift ?? ""],
    };

    public static string RewardState(Localization.Text t, string? state) => state switch
    {
        GameRewardStates.Issued => t["Reward issued"],
        GameRewardStates.OutOfStock => t["Rewards ran out"],
        GameRewardStates.Failed => t["Reward failed"],
        _ => "—",
    };

    public static Dictionary<Guid, string> Templates(IEnumerable<CouponTemplate> templates) => templates.ToDictionary(t => t.Id, t => t.Name);

    public static string Percent(decimal value) => value.ToString("0.####", CultureInfo.InvariantCulture) + "%";
}
