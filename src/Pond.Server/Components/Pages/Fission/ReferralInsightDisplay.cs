using System.Globalization;
using Pond.Fission;
using Pond.Server.Localization;

namespace Pond.Server.Components.Pages.Fission;

/// <summary>How the referral dashboard, tree and review queue show figures, states and reasons.</summary>
internal static class ReferralInsightDisplay
{
    public static string Count(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A ratio as a percentage ("37.5%"), or a dash when it is undefined (nothing to divide by).</summary>
    public static string Percent(double? ratio) => ratio is { } r ? (r * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%" : "—";

    /// <summary>The K-factor to two decimals ("0.86"), or a dash without participants.</summary>
    public static string Factor(double? value) => value is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "—";

    public static string Ratio(double? value) => value is { } v ? v.ToString("0.##", CultureInfo.InvariantCulture) : "—";

    public static string Yuan(decimal? value) => value is { } v ? "¥" + v.ToString("N2", CultureInfo.InvariantCulture) : "—";

    /// <summary>A stage's width in the funnel, relative to the widest stage (at least a sliver so a zero still shows).</summary>
    public static string Width(int value, int widest) =>
        (widest <= 0 ? 0 : Math.Max(2.0, 100.0 * value / widest)).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    public static string State(Text t, string? state) => state switch
    {
        InvitationStates.Pending => t["Pending"],
        InvitationStates.Succeeded => t["Succeeded"],
        InvitationStates.Review => t["Held for review"],
        InvitationStates.Rejected => t["Rejected"],
        InvitationStates.Revoked => t["Invitation revoked"],
        InvitationStates.Expired => t["Expired"],
        null => t["Joined as participant"],
        _ => state,
    };

    public static string Badge(string? state) => state switch
    {
        InvitationStates.Succeeded => "badge-ok",
        InvitationStates.Review => "badge-warn",
        InvitationStates.Rejected or InvitationStates.Revoked => "badge-danger",
        _ => "badge-muted",
    };

    public static string Reason(Text t, string? reason) => reason switch
    {
        InvitationReasons.SelfInvite => t["Self-invitation"],
        InvitationReasons.AlreadyInPool => t["Already in the pool"],
        InvitationReasons.Velocity => t["Too many invitations too fast"],
        InvitationReasons.OutsideWindow => t["Outside the campaign window"],
        InvitationReasons.Left => t["Left within the window"],
        InvitationReasons.Reviewer => t["Rejected by a reviewer"],
        InvitationReasons.Duplicate => t["Invited twice (merged identities)"],
        null => "",
        _ => reason,
    };

    public static string RewardKind(Text t, string kind) => kind switch
    {
        RewardKinds.Coupon => t["Coupon"],
        RewardKinds.Points => t["Points"],
        RewardKinds.Gift => t["Gift"],
        RewardKinds.Credit => t["Credit"],
        _ => kind,
    };

    public static string CampaignStatus(Text t, string status) => status switch
    {
        ReferralStatuses.Draft => t["Draft"],
        ReferralStatuses.Active => t["Running"],
        ReferralStatuses.Paused => t["Paused"],
        ReferralStatuses.Ended => t["Ended"],
        _ => status,
    };
}
