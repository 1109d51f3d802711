using System.Globalization;
using System.Security;
using System.Security.Cryptography;

namespace Pond.WeCom;

/// <summary>A callback as WeCom sends it: the query string with msg_signature, timestamp and nonce, and the encrypted XML body.</summary>
public sealed record SignedCallback(string Query, string Body);

/// <summary>
/// Writes WeCom callbacks the way WeCom does (event XML, encrypted and signed with the app's Token and
/// EncodingAESKey), for the acquisition simulator, the tests and the benchmark. The XML layouts follow WeCom's
/// documentation of 客户联系 events (change_external_contact, change_external_chat).
/// </summary>
public sealed class WeComCallbackBuilder(string corpId, string token, string encodingAesKey)
{
    private readonly WeComCrypto _crypto = new(token, encodingAesKey, corpId);

    public SignedCallback Sign(string eventXml, DateTimeOffset at)
    {
        var encrypted = _crypto.Encrypt(eventXml);
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = RandomNumberGenerator.GetInt32(100_000_000, 999_999_999).ToString(CultureInfo.InvariantCulture);
        var signature = _crypto.Sign(timestamp, nonce, encrypted);
        var body = $"<xml><ToUserName><![CDATA[{corpId}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>";
        return new SignedCallback($"msg_signature={signature}&timestamp={timestamp}&nonce={nonce}", body);
    }

    /// <summary>The query of WeCom's URL check: an encrypted echostr to answer in plaintext.</summary>
    public string VerifyQuery(string echo, DateTimeOffset at)
    {
        var encrypted = _crypto.Encrypt(echo);
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        const string nonce = "1372623149";
        return $"msg_signature={_crypto.Sign(timestamp, nonce, encrypted)}&timestamp={timestamp}&nonce={nonce}&echostr={Uri.EscapeDataString(encrypted)}";
    }

    public string AddExternalContact(string userId, string externalUserId, DateTimeOffset at, string? state = null, string? welcomeCode = null) =>
        Contact("add_external_contact", userId, externalUserId, at,
            (state is null ? "" : $"<State><![CDATA[{Escape(state)}]]></State>") + (welcomeCode is null ? "" : $"<WelcomeCode><![CDATA[{Escape(welcomeCode)}]]></WelcomeCode>"));

    /// <summary>The customer deleted the staff member (删除跟进成员): a lost friend.</summary>
    public string DelFollowUser(string userId, string externalUserId, DateTimeOffset at) => Contact("del_follow_user", userId, externalUserId, at, "");

    /// <summary>The staff member deleted the customer.</summary>
    public string DelExternalContact(string userId, string externalUserId, DateTimeOffset at) =>
        Contact("del_external_contact", userId, externalUserId, at, "<Source><![CDATA[DELETE_BY_TRANSFER]]></Source>");

    public string EditExternalContact(string userId, string externalUserId, DateTimeOffset at) => Contact("edit_external_contact", userId, externalUserId, at, "");

    public string TransferFail(string userId, string externalUserId, string failReason, DateTimeOffset at) =>
        Contact("transfer_fail", userId, externalUserId, at, $"<FailReason><![CDATA[{Escape(failReason)}]]></FailReason>");

    public string ChatCreate(string chatId, DateTimeOffset at) => Chat("create", chatId, at, "");

    public string ChatDismiss(string chatId, DateTimeOffset at) => Chat("dismiss", chatId, at, "");

    /// <summary>Members joined a group (JoinScene 3: by the group's QR code).</summary>
    public string ChatAddMembers(string chatId, IReadOnlyList<string> members, DateTimeOffset at) =>
        Chat("update", chatId, at, $"<UpdateDetail><![CDATA[add_member]]></UpdateDetail><JoinScene>3</JoinScene>{Members(members)}");

    /// <summary>Members left a group (QuitScene 0: by themselves).</summary>
    public string ChatRemoveMembers(string chatId, IReadOnlyList<string> members, DateTimeOffset at) =>
        Chat("update", chatId, at, $"<UpdateDetail><![CDATA[del_member]]></UpdateDetail><QuitScene>0</QuitScene>{Members(members)}");

    private string Contact(string changeType, string userId, string externalUserId, DateTimeOffset at, string extra) =>
        $"<xml><ToUserName><![CDATA[{corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{at.ToUnixTimeSeconds()}</CreateTime>"
        + $"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[{changeType}]]></ChangeType>"
        + $"<UserID><![CDATA[{Escape(userId)}]]></UserID><ExternalUserID><![CDATA[{Escape(externalUserId)}]]></ExternalUserID>{extra}</xml>";

    private string Chat(string changeType, string chatId, DateTimeOffset at, string extra) =>
        $"<xml><ToUserName><![CDATA[{corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{at.ToUnixTimeSeconds()}</CreateTime>"
        + $"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[{Escape(chatId)}]]></ChatId>"
        + $"<ChangeType><![CDATA[{changeType}]]></ChangeType>{extra}</xml>";

    private static string Members(IReadOnlyList<string> members) =>
        $"<MemChangeCnt>{members.Count}</MemChangeCnt><MemChangeList>{string.Concat(members.Select(m => $"<Item>{SecurityElement.Escape(m)}</Item>"))}</MemChangeList>";

    // CDATA cannot hold "]]>"; WeCom ids never contain it, and refusing it keeps the XML well-formed.
    private static string Escape(string value) =>
        value.Contains("]]>", StringComparison.Ordinal) ? throw new ArgumentException("A WeCom field cannot contain ']]>'.", nameof(value)) : value;
}
