using System.Globalization;
using Pond.Customers;
using Pond.Server.Localization;
using Pond.Workspaces;

namespace Pond.Server.Components;

/// <summary>How the console shows values every page shows the same way: local times, translated names of domain values.</summary>
internal static class Display
{
    /// <summary>Times are stored in UTC and read in the workspace's zone: operators think in local shop hours.</summary>
    public static string Time(DateTimeOffset? value, TimeZoneInfo zone) =>
        value is { } v ? TimeZoneInfo.ConvertTime(v, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "—";

    public static TimeZoneInfo Zone(Workspace? workspace) =>
        workspace is not null && TimeZoneInfo.TryFindSystemTimeZoneById(workspace.TimeZone, out var zone) ? zone : TimeZoneInfo.Utc;

    public static string Role(Text t, string role) => role switch
    {
        Roles.Owner => t["Owner"],
        Roles.Admin => t["Admin"],
        Roles.Operator => t["Operator"],
        Roles.Staff => t["Staff"],
        Roles.Analyst => t["Analyst"],
        _ => role,
    };

    public static string Initial(string email) =>
        email.Length == 0 ? "?" : email[..1].ToUpperInvariant();

    public static string Depth(Text t, string depth) => depth switch
    {
        DepthNames.Friend => t["Friends"],
        DepthNames.Community => t["Community"],
        DepthNames.Fan => t["Fans"],
        _ => t["Not reached"],
    };

    public static string CarrierKind(Text t, string? kind) => kind switch
    {
        CarrierKinds.OfficialAccount => t["Official account"],
        CarrierKinds.WecomAccount => t["WeCom account"],
        CarrierKinds.WechatAccount => t["WeChat account"],
        CarrierKinds.GroupChat => t["Group chat"],
        CarrierKinds.MiniProgram => t["Mini-program"],
        CarrierKinds.App => t["App"],
        CarrierKinds.Sms => t["SMS"],
        CarrierKinds.Email => t["Email channel"],
        null => t["Unknown carrier"],
        _ => kind,
    };

    public static string Status(Text t, string status) => status switch
    {
        CarrierStatuses.Active => t["Active"],
        CarrierStatuses.Disabled => t["Disabled"],
        CarrierStatuses.Banned => t["Banned"],
        _ => status,
    };

    public static string RelationshipState(Text t, string state) => state switch
    {
        RelationshipStates.Active => t["Live"],
        RelationshipStates.Ended => t["Ended"],
        _ => state,
    };

    public static string EndedBy(Text t, string? endedBy) => endedBy switch
    {
        Pond.Customers.EndedBy.Customer => t["Customer"],
        Pond.Customers.EndedBy.Staff => t["Staff"],
        Pond.Customers.EndedBy.System => t["System"],
        null => "—",
        _ => endedBy,
    };

    public static string IdentityKind(Text t, string kind) => kind switch
    {
        IdentityKinds.Phone => t["Phone"],
        IdentityKinds.Email => t["Email"],
        IdentityKinds.WechatUnionId => t["WeChat unionid"],
        IdentityKinds.WechatOpenId => t["WeChat openid"],
        IdentityKinds.WecomExternalUserId => t["WeCom external contact id"],
        IdentityKinds.UserId => t["User id"],
        IdentityKinds.AnonymousId => t["Anonymous id"],
        IdentityKinds.TmallBuyerId => t["Tmall buyer id"],
        IdentityKinds.JdBuyerId => t["JD buyer id"],
        IdentityKinds.DouyinBuyerId => t["Douyin buyer id"],
        _ => kind,
    };
}
