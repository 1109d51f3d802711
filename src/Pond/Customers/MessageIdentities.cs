using System.Text.Json;

namespace Pond.Customers;

/// <summary>
/// Which identities a Segment message names (see docs/tracking-api.md, "Identity resolution").
/// Values are normalised so the same person written two ways is one identity.
/// </summary>
public static class MessageIdentities
{
    private static readonly (string Trait, string Kind)[] TraitKinds =
    [
        ("phone", IdentityKinds.Phone),
        ("email", IdentityKinds.Email),
        ("wechat_unionid", IdentityKinds.WechatUnionId),
        ("wechat_openid", IdentityKinds.WechatOpenId),
        ("wecom_external_userid", IdentityKinds.WecomExternalUserId),
        ("tmall_buyer_id", IdentityKinds.TmallBuyerId),
        ("jd_buyer_id", IdentityKinds.JdBuyerId),
        ("douyin_buyer_id", IdentityKinds.DouyinBuyerId),
    ];

    /// <summary>External id types Segment users commonly send, mapped to Pond's kinds.</summary>
    private static readonly Dictionary<string, string> ExternalTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["phone"] = IdentityKinds.Phone, ["mobile"] = IdentityKinds.Phone, ["email"] = IdentityKinds.Email,
        ["user_id"] = IdentityKinds.UserId, ["userId"] = IdentityKinds.UserId, ["anonymous_id"] = IdentityKinds.AnonymousId,
        ["unionid"] = IdentityKinds.WechatUnionId, ["wechat_unionid"] = IdentityKinds.WechatUnionId,
        ["openid"] = IdentityKinds.WechatOpenId, ["wechat_openid"] = IdentityKinds.WechatOpenId,
        ["wecom_external_userid"] = IdentityKinds.WecomExternalUserId, ["external_userid"] = IdentityKinds.WecomExternalUserId,
        ["tmall_buyer_id"] = IdentityKinds.TmallBuyerId, ["jd_buyer_id"] = IdentityKinds.JdBuyerId, ["douyin_buyer_id"] = IdentityKinds.DouyinBuyerId,
    };

    /// <summary>The kind used for context.externalIds whose type Pond does not know; the type becomes the scope.</summary>
    public const string OtherExternalKind = "external_id";

    public static List<Identity> From(JsonElement message, string type)
    {
        var found = new List<Identity>();
        Add(found, IdentityKinds.UserId, "", Id(message, "userId"));
        Add(found, IdentityKinds.AnonymousId, "", Id(message, "anonymousId"));

        var context = Object(message, "context");
        var appId = context is { } c && Object(c, "app") is { } app ? Id(app, "id") : null;
        // identify's traits describe the person; other calls may carry them in context.traits.
        if (type == "identify" && Object(message, "traits") is { } traits)
            FromTraits(found, traits, appId);
        if (context is { } ctx && Object(ctx, "traits") is { } contextTraits)
            FromTraits(found, contextTraits, appId);

        if (context is { } cx && cx.TryGetProperty("externalIds", out var externalIds) && externalIds.ValueKind == JsonValueKind.Array)
        {
            foreach (var external in externalIds.EnumerateArray())
            {
                if (external.ValueKind != JsonValueKind.Object || Id(external, "id") is not { } id || Id(external, "type") is not { } externalType)
                    continue;
                var collection = Id(external, "collection");
                if (ExternalTypes.TryGetValue(externalType, out var kind))
                {
                    // A per-app openid names its app in collection when it is not Segment's default "users".
                    var scope = kind == IdentityKinds.WechatOpenId && collection is not (null or "users") ? collection : appId ?? "";
                    Add(found, kind, IdentityKinds.IsScoped(kind) ? scope : "", id);
                }
                else
                {
                    Add(found, OtherExternalKind, externalType.ToLowerInvariant(), id);
                }
            }
        }

        return found.Distinct().ToList();
    }

    private static void FromTraits(List<Identity> found, JsonElement traits, string? appId)
    {
        var scope = Id(traits, "wechat_appid") ?? appId ?? "";
        foreach (var (trait, kind) in TraitKinds)
            Add(found, kind, IdentityKinds.IsScoped(kind) ? scope : "", Id(traits, trait));
    }

    private static void Add(List<Identity> found, string kind, string scope, string? raw)
    {
        if (raw is null)
            return;
        var value = Normalise(kind, raw);
        if (value.Length > 0)
            found.Add(new Identity(kind, scope, value));
    }

    public static string Normalise(string kind, string raw) => kind switch
    {
        IdentityKinds.Phone => NormalisePhone(raw),
        IdentityKinds.Email => raw.Trim().ToLowerInvariant(),
        _ => raw.Trim(),
    };

    /// <summary>Digits only; a Chinese mobile written with its country code (+86, 86, 0086) is stored as its 11 digits.</summary>
    public static string NormalisePhone(string raw)
    {
        var digits = new string(raw.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length == 15 && digits.StartsWith("0086", StringComparison.Ordinal) && digits[4] == '1')
            return digits[4..];
        if (digits.Length == 13 && digits.StartsWith("86", StringComparison.Ordinal) && digits[2] == '1')
            return digits[2..];
        return digits;
    }

    private static JsonElement? Object(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    private static string? Id(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var value))
            return null;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
    }
}
