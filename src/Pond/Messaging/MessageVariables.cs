using System.Text.RegularExpressions;

namespace Pond.Messaging;

/// <summary>
/// The {variables} a message template, a content-library script or an SOP entry may use. The dispatcher fills them for
/// the recipient when the message is sent; the content library lists them and checks templates against them.
/// </summary>
public static partial class MessageVariables
{
    /// <summary>The customer's display name.</summary>
    public const string Name = "name";

    /// <summary>The WeCom/WeChat nickname (the display name when Pond has no nickname): welcome messages have used it since issue 3.</summary>
    public const string Nickname = "nickname";

    /// <summary>The customer's owner (staff member) name.</summary>
    public const string Staff = "staff";

    /// <summary>The code of the coupon the same journey run issued last (or the welcome coupon).</summary>
    public const string Coupon = "coupon";

    /// <summary>The customer's points balance.</summary>
    public const string Points = "points";

    /// <summary>The customer's member tier name.</summary>
    public const string Tier = "tier";

    /// <summary>The customer's personal unsubscribe link.</summary>
    public const string Unsubscribe = "unsubscribe";

    /// <summary>Prefix for any trait: {trait.city}.</summary>
    public const string TraitPrefix = "trait.";

    public static readonly IReadOnlyList<string> All = [Name, Nickname, Staff, Coupon, Points, Tier, Unsubscribe];

    /// <summary>The variables a template uses, in order of first use.</summary>
    public static IReadOnlyList<string> Used(string? template) =>
        template is null ? [] : Variable().Matches(template).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Variables in the template that Pond does not know (so the editor can say which to fix).</summary>
    public static IReadOnlyList<string> Unknown(string? template) =>
        Used(template).Where(v => !All.Contains(v) && !(v.StartsWith(TraitPrefix, StringComparison.Ordinal) && v.Length > TraitPrefix.Length)).ToList();

    /// <summary>Fills every {variable} from <paramref name="value"/>; one it has no value for becomes empty.</summary>
    public static string Render(string? template, Func<string, string?> value) =>
        Variable().Replace(template ?? "", m => value(m.Groups[1].Value) ?? "").Trim();

    [GeneratedRegex(@"\{([a-z_]+(?:\.[A-Za-z0-9_]+)?)\}")]
    private static partial Regex Variable();
}
