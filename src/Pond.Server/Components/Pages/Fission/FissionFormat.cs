using Pond.Fission;
using Pond.Server.Localization;

namespace Pond.Server.Components.Pages.Fission;

/// <summary>The fission pages' words for states, reasons and rewards, in the operator's language.</summary>
internal static class FissionFormat
{
    public static string InvitationState(Text t, string state) => state switch
    {
        InvitationStates.Pending => t["Pending"],
        InvitationStates.Succeeded => t["Succeeded"],
        InvitationStates.Review => t["Held for review"],
        InvitationStates.Rejected => t["Rejected"],
        InvitationStates.Revoked => t["Invitation revoked"],
        InvitationStates.Expired => t["Expired"],
        _ => state,
    };

    public static string InvitationBadge(string state) => state switch
    {
        InvitationStates.Succeeded => "badge badge-ok",
        InvitationStates.Review => "badge badge-warn",
        InvitationStates.Rejected or InvitationStates.Revoked => "badge badge-danger",
        _ => "badge",
    };

    public static string Reason(Text t, string? reason) => reason switch
    {
        null => "",
        InvitationReasons.SelfInvite => t["Self-invitation"],
        InvitationReasons.AlreadyInPool => t["Already in the pool"],
        InvitationReasons.Velocity => t["Too many invitations too fast"],
        InvitationReasons.OutsideWindow => t["Outside the campaign window"],
        InvitationReasons.Left => t["Left within the window"],
        InvitationReasons.Reviewer => t["Rejected by a reviewer"],
        InvitationReasons.Duplicate => t["Invited twice (merged identities)"],
        _ => reason,
    };

    public static string RewardState(Text t, string state) => state switch
    {
        RewardStates.Unlocked => t["Unlocked, unclaimed"],
        RewardStates.Issued => t["Issued"],
        RewardStates.Withheld => t["Withheld"],
        RewardStates.OutOfStock => t["Out of stock"],
        RewardStates.Failed => t["Failed"],
        _ => state,
    };

    /// <summary>What a reward is, in a few words: "券 新人20元", "500 积分", "定制帆布袋", "¥10.00 现金".</summary>
    public static string Reward(Text t, string kind, string? templateName, long? points, string? gift, decimal? credit) => kind switch
    {
        RewardKinds.Coupon => t["Coupon {0}", templateName ?? ""],
        RewardKinds.Points => t["{0} points", points ?? 0],
        RewardKinds.Gift => gift ?? t["Gift"],
        RewardKinds.Credit => t["{0} credit", $"¥{credit ?? 0:0.00}"],
        _ => kind,
    };
}
