using Pond.WeCom;

namespace Pond.WeChat;

/// <summary>
/// A follow event from a WeChat official account (公众号). subscribe carries EventKey "qrscene_{scene}" when the
/// person followed by scanning a parametric QR code; SCAN is a follower scanning one again (EventKey = scene).
/// Pond maps the scene to a channel code.
/// </summary>
public sealed record OfficialAccountEvent(string AccountId, string OpenId, string Event, string? Scene, string? Ticket, DateTimeOffset CreatedAt)
{
    public bool IsSubscribe => Event == "subscribe";

    public bool IsUnsubscribe => Event == "unsubscribe";
}

public static class OfficialAccountCallback
{
    /// <summary>WeChat's server check: SHA1 (hex) of token, timestamp and nonce sorted and concatenated.</summary>
    public static bool VerifySignature(string token, string signature, string timestamp, string nonce) =>
        TencentSignature.Matches(TencentSignature.Compute(token, timestamp, nonce), signature);

    /// <summary>Parses an event message (plain mode, or the decrypted body in safe mode). Other messages are refused.</summary>
    public static OfficialAccountEvent ParseEvent(string xml)
    {
        var root = TencentXml.Load(xml);
        if (TencentXml.Field(root, "MsgType") != "event")
            throw new CallbackRejectedException("Expected an official-account event message.");
        var name = TencentXml.Field(root, "Event")?.ToLowerInvariant() ?? throw new CallbackRejectedException("The event has no <Event>.");
        var key = TencentXml.Field(root, "EventKey");
        var scene = name switch
        {
            "subscribe" when key is not null && key.StartsWith("qrscene_", StringComparison.Ordinal) => key["qrscene_".Length..],
            "scan" => string.IsNullOrEmpty(key) ? null : key,
            _ => null,
        };
        return new OfficialAccountEvent(
            TencentXml.Field(root, "ToUserName") ?? "",
            TencentXml.Field(root, "FromUserName") ?? throw new CallbackRejectedException("The event has no <FromUserName> (openid)."),
            name,
            scene,
            TencentXml.Field(root, "Ticket"),
            TencentXml.Time(root));
    }
}
