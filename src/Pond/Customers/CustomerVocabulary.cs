namespace Pond.Customers;

/// <summary>
/// Kinds of identity that point at a customer. An identity is (kind, scope, value): scope is the
/// app id for per-app ids (wechat_openid) and empty otherwise.
/// </summary>
public static class IdentityKinds
{
    public const string Phone = "phone";
    public const string Email = "email";
    public const string WechatUnionId = "wechat_unionid";
    public const string WechatOpenId = "wechat_openid";
    public const string WecomExternalUserId = "wecom_external_userid";
    public const string UserId = "user_id";
    public const string AnonymousId = "anonymous_id";
    public const string TmallBuyerId = "tmall_buyer_id";
    public const string JdBuyerId = "jd_buyer_id";
    public const string DouyinBuyerId = "douyin_buyer_id";

    public static readonly IReadOnlyList<string> All =
        [Phone, Email, WechatUnionId, WechatOpenId, WecomExternalUserId, UserId, AnonymousId, TmallBuyerId, JdBuyerId, DouyinBuyerId];

    /// <summary>Kinds that need a scope (the app id that issued them).</summary>
    public static bool IsScoped(string kind) => kind == WechatOpenId;

    /// <summary>Kinds that are personal data and are masked in lists.</summary>
    public static bool IsPersonal(string kind) => kind is Phone or Email;

    public static bool IsValid(string kind) => All.Contains(kind);
}

/// <summary>Where a customer can be reached (载体).</summary>
public static class CarrierKinds
{
    public const string OfficialAccount = "official_account";
    public const string WecomAccount = "wecom_account";
    public const string WechatAccount = "wechat_account";
    public const string GroupChat = "group_chat";
    public const string MiniProgram = "mini_program";
    public const string App = "app";
    public const string Sms = "sms";
    public const string Email = "email";

    public static readonly IReadOnlyList<string> All = [OfficialAccount, WecomAccount, WechatAccount, GroupChat, MiniProgram, App, Sms, Email];

    public static bool IsValid(string kind) => All.Contains(kind);

    /// <summary>Staff-held accounts: a relationship with one makes the customer a friend (好友).</summary>
    public static bool IsStaffAccount(string kind) => kind is WecomAccount or WechatAccount;

    /// <summary>The depth a live relationship with a carrier of this kind gives.</summary>
    public static Depth DepthOf(string kind) => kind switch
    {
        WecomAccount or WechatAccount => Depth.Friend,
        GroupChat => Depth.Community,
        OfficialAccount => Depth.Fan,
        _ => Depth.None,
    };
}

/// <summary>Trust level of a relationship: a customer's depth is the deepest live one.</summary>
public enum Depth
{
    None = 0,
    Fan = 1,
    Community = 2,
    Friend = 3,
}

public static class CarrierStatuses
{
    public const string Active = "active";
    public const string Disabled = "disabled";
    public const string Banned = "banned";

    public static readonly IReadOnlyList<string> All = [Active, Disabled, Banned];
}

public static class RelationshipStates
{
    public const string Active = "active";
    public const string Ended = "ended";
}

/// <summary>Who ended a relationship.</summary>
public static class EndedBy
{
    public const string Customer = "customer";
    public const string Staff = "staff";
    public const string System = "system";
}
