using System.Xml.Linq;

namespace Pond.WeCom;

/// <summary>The outer XML WeCom posts to a callback URL: who it is for and the encrypted message.</summary>
public sealed record WeComEnvelope(string ToUserName, string Encrypt, string? AgentId);

/// <summary>
/// A decrypted WeCom event, with the fields Pond acts on. External-contact events (change_external_contact):
/// add_external_contact, add_half_external_contact, edit_external_contact, del_external_contact (the staff
/// member removed the customer), del_follow_user (the customer deleted the staff member), transfer_fail.
/// Group events (change_external_chat): create, update (UpdateDetail add_member, del_member, …), dismiss.
/// </summary>
public sealed record WeComEvent
{
    public required string Event { get; init; }
    public string? ChangeType { get; init; }
    public string? UserId { get; init; }
    public string? ExternalUserId { get; init; }
    public string? State { get; init; }
    public string? WelcomeCode { get; init; }
    public string? FailReason { get; init; }
    public string? ChatId { get; init; }
    public string? UpdateDetail { get; init; }
    public int? JoinScene { get; init; }
    public int? QuitScene { get; init; }
    public int? MemberChangeCount { get; init; }
    public IReadOnlyList<string> MemberChangeList { get; init; } = [];
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Reads WeCom's callback XML safely (no DTDs, no external entities) into Pond's records.</summary>
public static class WeComCallback
{
    /// <summary>Callback bodies are small; anything larger is not WeCom.</summary>
    public const int MaxBodyBytes = TencentXml.MaxCharacters;

    public static WeComEnvelope ParseEnvelope(string xml)
    {
        var root = TencentXml.Load(xml);
        var encrypt = TencentXml.Field(root, "Encrypt") ?? throw new CallbackRejectedException("The callback has no <Encrypt> element.");
        return new WeComEnvelope(TencentXml.Field(root, "ToUserName") ?? "", encrypt, TencentXml.Field(root, "AgentID"));
    }

    public static WeComEvent ParseEvent(string xml)
    {
        var root = TencentXml.Load(xml);
        var type = TencentXml.Field(root, "MsgType");
        var name = TencentXml.Field(root, "Event");
        if (type != "event" || name is null)
            throw new CallbackRejectedException($"Expected an event message, got MsgType '{type}'.");
        return new WeComEvent
        {
            Event = name,
            ChangeType = TencentXml.Field(root, "ChangeType"),
            UserId = TencentXml.Field(root, "UserID"),
            ExternalUserId = TencentXml.Field(root, "ExternalUserID"),
            State = TencentXml.Field(root, "State"),
            WelcomeCode = TencentXml.Field(root, "WelcomeCode"),
            FailReason = TencentXml.Field(root, "FailReason"),
            ChatId = TencentXml.Field(root, "ChatId"),
            UpdateDetail = TencentXml.Field(root, "UpdateDetail"),
            JoinScene = TencentXml.Number(root, "JoinScene"),
            QuitScene = TencentXml.Number(root, "QuitScene"),
            MemberChangeCount = TencentXml.Number(root, "MemChangeCnt"),
            MemberChangeList = root.Element("MemChangeList")?.Elements("Item").Select(i => i.Value.Trim()).Where(v => v.Length > 0).ToList() ?? [],
            CreatedAt = TencentXml.Time(root),
        };
    }
}
