using System.Globalization;
using System.Xml;
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
    public const int MaxBodyBytes = 64 * 1024;

    public static WeComEnvelope ParseEnvelope(string xml)
    {
        var root = Load(xml);
        var encrypt = Field(root, "Encrypt") ?? throw new WeComCallbackException("The callback has no <Encrypt> element.");
        return new WeComEnvelope(Field(root, "ToUserName") ?? "", encrypt, Field(root, "AgentID"));
    }

    public static WeComEvent ParseEvent(string xml)
    {
        var root = Load(xml);
        var type = Field(root, "MsgType");
        var name = Field(root, "Event");
        if (type != "event" || name is null)
            throw new WeComCallbackException($"Expected an event message, got MsgType '{type}'.");
        return new WeComEvent
        {
            Event = name,
            ChangeType = Field(root, "ChangeType"),
            UserId = Field(root, "UserID"),
            ExternalUserId = Field(root, "ExternalUserID"),
            State = Field(root, "State"),
            WelcomeCode = Field(root, "WelcomeCode"),
            FailReason = Field(root, "FailReason"),
            ChatId = Field(root, "ChatId"),
            UpdateDetail = Field(root, "UpdateDetail"),
            JoinScene = Number(root, "JoinScene"),
            QuitScene = Number(root, "QuitScene"),
            MemberChangeCount = Number(root, "MemChangeCnt"),
            MemberChangeList = root.Element("MemChangeList")?.Elements("Item").Select(i => i.Value.Trim()).Where(v => v.Length > 0).ToList() ?? [],
            CreatedAt = DateTimeOffset.FromUnixTimeSeconds(long.Parse(Field(root, "CreateTime") ?? "0", CultureInfo.InvariantCulture)),
        };
    }

    private static XElement Load(string xml)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = MaxBodyBytes };
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            var root = XElement.Load(reader);
            return root.Name.LocalName == "xml" ? root : throw new WeComCallbackException("The callback's root element is not <xml>.");
        }
        catch (XmlException e)
        {
            throw new WeComCallbackException($"The callback is not well-formed XML: {e.Message}");
        }
    }

    private static string? Field(XElement root, string name) => root.Element(name)?.Value.Trim();

    private static int? Number(XElement root, string name) =>
        int.TryParse(Field(root, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
}
