using System.Globalization;
using Pond.Fission;
using Pond.Server.Components.Pages.Activities;

namespace Pond.Server.Components.Pages.Fission;

/// <summary>A reward as the editor posts it: the kind and the one field that kind needs, all text.</summary>
public sealed class RewardForm
{
    public string? Kind { get; set; }
    public string? TemplateId { get; set; }
    public string? Points { get; set; }
    public string? Gift { get; set; }
    public string? Credit { get; set; }
    public string? Cost { get; set; }

    internal RewardSpec ToSpec(string field) => new()
    {
        Kind = Kind,
        TemplateId = Kind == RewardKinds.Coupon && Guid.TryParse(TemplateId, out var template) ? template : null,
        Points = Kind == RewardKinds.Points && FormValues.Int(Points, $"{field}/points") is { } points ? points : null,
        Gift = Kind == RewardKinds.Gift ? Gift : null,
        Credit = Kind == RewardKinds.Credit ? FormValues.Decimal(Credit, $"{field}/credit") : null,
        Cost = FormValues.Decimal(Cost, $"{field}/cost"),
    };

    internal static RewardForm From(RewardView? reward) => reward is null ? new RewardForm { Kind = "" } : new RewardForm
    {
        Kind = reward.Kind, TemplateId = reward.TemplateId?.ToString(), Points = reward.Points?.ToString(CultureInfo.InvariantCulture), Gift = reward.Gift,
        Credit = reward.Credit?.ToString("0.##", CultureInfo.InvariantCulture), Cost = reward.Cost == 0 ? null : reward.Cost.ToString("0.##", CultureInfo.InvariantCulture),
    };
}

public sealed class LadderStepForm
{
    public string? Threshold { get; set; }
    public string? Stock { get; set; }
    public RewardForm Reward { get; set; } = new();
}

/// <summary>The campaign editor's form as posted; times are local to the workspace (datetime-local inputs).</summary>
public sealed class ReferralCampaignForm
{
    public string? Name { get; set; }
    public string? Kind { get; set; } = ReferralKinds.Friend;
    public string? Status { get; set; } = ReferralStatuses.Draft;
    public string? StartsAt { get; set; }
    public string? EndsAt { get; set; }
    public string? LiveCodeId { get; set; }
    public string? AudienceSegmentId { get; set; }
    public List<string> SuccessRequires { get; set; } = [];
    public string? SuccessWithinDays { get; set; } = "7";
    public string? RevokeWithinDays { get; set; } = "7";
    public string? RewardMode { get; set; } = RewardModes.Instant;
    public RewardForm InviteeReward { get; set; } = new();
    public string? InviteeRewardStock { get; set; }
    public List<LadderStepForm> Ladder { get; set; } = [];
    public string? VelocityPerHour { get; set; }
    public string? VelocityPerDay { get; set; }
    public string? PosterTitle { get; set; }
    public string? PosterText { get; set; }

    internal ReferralCampaignInput ToInput(TimeZoneInfo zone) => new()
    {
        Name = Name, Kind = Kind, Status = Status,
        StartsAt = FormValues.LocalTime(StartsAt, zone, "startsAt"), EndsAt = FormValues.LocalTime(EndsAt, zone, "endsAt"),
        LiveCodeId = Guid.TryParse(LiveCodeId, out var code) ? code : null,
        // Empty means "anyone": the service reads Guid.Empty as clearing the audience.
        AudienceSegmentId = Guid.TryParse(AudienceSegmentId, out var segment) ? segment : Guid.Empty,
        SuccessRequires = SuccessRequires.Where(r => !string.IsNullOrWhiteSpace(r)).ToList(),
        SuccessWithinDays = FormValues.Int(SuccessWithinDays, "successWithinDays"), RevokeWithinDays = FormValues.Int(RevokeWithinDays, "revokeWithinDays"),
        RewardMode = RewardMode,
        InviteeReward = string.IsNullOrEmpty(InviteeReward.Kind) ? null : InviteeReward.ToSpec("inviteeReward"),
        InviteeRewardStock = FormValues.Int(InviteeRewardStock, "inviteeRewardStock"),
        Ladder = Ladder.Where(s => !string.IsNullOrWhiteSpace(s.Threshold) || !string.IsNullOrWhiteSpace(s.Reward.Kind))
            .Select((s, i) => new LadderStepInput
            {
                Threshold = FormValues.Int(s.Threshold, $"ladder/{i}/threshold"), Stock = FormValues.Int(s.Stock, $"ladder/{i}/stock"), Reward = s.Reward.ToSpec($"ladder/{i}/reward"),
            }).ToList(),
        // Empty means no limit (0 clears it in the service).
        VelocityPerHour = FormValues.Int(VelocityPerHour, "velocityPerHour") ?? 0, VelocityPerDay = FormValues.Int(VelocityPerDay, "velocityPerDay") ?? 0,
        PosterTitle = PosterTitle ?? "", PosterText = PosterText ?? "",
    };

    internal static ReferralCampaignForm From(ReferralCampaign c, TimeZoneInfo zone) => new()
    {
        Name = c.Name, Kind = c.Kind, Status = c.Status, StartsAt = FormValues.Local(c.StartsAt, zone), EndsAt = FormValues.Local(c.EndsAt, zone),
        LiveCodeId = c.LiveCodeId.ToString(), AudienceSegmentId = c.AudienceSegmentId?.ToString(), SuccessRequires = c.SuccessRequires.ToList(),
        SuccessWithinDays = c.SuccessWithinDays.ToString(CultureInfo.InvariantCulture), RevokeWithinDays = c.RevokeWithinDays.ToString(CultureInfo.InvariantCulture),
        RewardMode = c.RewardMode, InviteeReward = RewardForm.From(c.InviteeReward), InviteeRewardStock = c.InviteeRewardStock?.ToString(CultureInfo.InvariantCulture),
        Ladder = c.Ladder.Select(s => new LadderStepForm
        {
            Threshold = s.Threshold.ToString(CultureInfo.InvariantCulture), Stock = s.Stock?.ToString(CultureInfo.InvariantCulture), Reward = RewardForm.From(s.Reward),
        }).ToList(),
        VelocityPerHour = c.VelocityPerHour?.ToString(CultureInfo.InvariantCulture), VelocityPerDay = c.VelocityPerDay?.ToString(CultureInfo.InvariantCulture),
        PosterTitle = c.PosterTitle, PosterText = c.PosterText,
    };
}

/// <summary>How referral pages show statuses, kinds, requirements and rewards.</summary>
internal static class ReferralDisplay
{
    public static string Status(Localization.Text t, string status) => status switch
    {
        ReferralStatuses.Draft => t["Draft"],
        ReferralStatuses.Active => t["In progress"],
        ReferralStatuses.Paused => t["Paused"],
        ReferralStatuses.Ended => t["Ended"],
        _ => status,
    };

    public static string Badge(string status) => status switch
    {
        ReferralStatuses.Active => "badge-ok",
        ReferralStatuses.Paused => "badge-warn",
        ReferralStatuses.Draft => "badge-community",
        _ => "badge-muted",
    };

    public static string Kind(Localization.Text t, string kind) => kind == ReferralKinds.Group ? t["Group fission"] : t["Friend referral"];

    public static string Requirement(Localization.Text t, string requirement) => requirement switch
    {
        ReferralRequirements.Add => t["Adds a staff account"],
        ReferralRequirements.Group => t["Joins a group"],
        ReferralRequirements.FirstOrder => t["Places a first order"],
        _ => requirement,
    };

    public static string RewardKind(Localization.Text t, string kind) => kind switch
    {
        RewardKinds.Coupon => t["Coupon"],
        RewardKinds.Points => t["Points"],
        RewardKinds.Gift => t["Gift"],
        RewardKinds.Credit => t["Credit (yuan)"],
        _ => kind,
    };

    public static string RewardMode(Localization.Text t, string mode) => mode == RewardModes.Claim ? t["Claimed by the participant"] : t["Issued at once"];

    public static string Reward(Localization.Text t, RewardView? reward) => reward is null ? t["none"] : reward.Kind switch
    {
        RewardKinds.Coupon => $"{t["Coupon"]} · {reward.TemplateName}",
        RewardKinds.Points => $"{reward.Points:N0} {t["Points"]}",
        RewardKinds.Gift => $"{t["Gift"]} · {reward.Gift}",
        RewardKinds.Credit => $"{t["Credit (yuan)"]} · ¥{reward.Credit:0.##}",
        _ => reward.Kind,
    };
}
