using System.Text;
using Pond.WeCom;

namespace Pond.Tests.WeCom;

public sealed class WeComCryptoTests
{
    // The parameters and messages below are WeCom's own published sample: the 加解密方案说明 page of the WeCom
    // developer documentation (https://developer.work.weixin.qq.com/document/path/90968) and the official
    // WXBizMsgCrypt SDK samples (e.g. the C# Sample.cs shipped with it) use exactly these values.
    private const string Token = "QDG6eK";
    private const string CorpId = "wx5823bf96d3bd56c7";
    private const string EncodingAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

    private static WeComCrypto Official() => new(Token, EncodingAesKey, CorpId);

    [Fact]
    public void OfficialVector_UrlVerification_DecryptsTheEchoString()
    {
        // GET /cgi-bin/wxpush?msg_signature=5c45ff5e…&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzy…
        const string echo = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
        var crypto = Official();

        crypto.Verify("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780", echo).ShouldBeTrue();
        crypto.Decrypt(echo).ShouldBe("1616140317555161061");
    }

    [Fact]
    public void OfficialVector_EncryptedCallback_VerifiesAndDecryptsToItsXml()
    {
        // POST /cgi-bin/wxpush?msg_signature=477715d1…&timestamp=1409659813&nonce=1372623149 with this <Encrypt>.
        const string encrypted =
            "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";
        var crypto = Official();

        crypto.Verify("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149", encrypted).ShouldBeTrue();
        var xml = crypto.Decrypt(encrypted);
        xml.ShouldStartWith("<xml>");
        xml.ShouldContain(CorpId);
        System.Xml.Linq.XDocument.Parse(xml).Root!.Name.LocalName.ShouldBe("xml");
    }

    [Fact]
    public void RoundTrip_ChineseMessage_PadsTo32ByteBlocksAndComesBackWhole()
    {
        var crypto = Official();
        const string message = "<xml><Event><![CDATA[change_external_contact]]></Event><State><![CDATA[莉莉包裹卡-2026]]></State></xml>";

        var encrypted = crypto.Encrypt(message);

        (Convert.FromBase64String(encrypted).Length % 32).ShouldBe(0);
        crypto.Decrypt(encrypted).ShouldBe(message);
        var signature = crypto.Sign("1700000000", "42", encrypted);
        crypto.Verify(signature, "1700000000", "42", encrypted).ShouldBeTrue();
        crypto.Verify(signature, "1700000001", "42", encrypted).ShouldBeFalse();
    }

    [Fact]
    public void Decrypt_ForAnotherCorp_OrWithAnotherKey_OrTampered_IsRefused()
    {
        var ours = Official();
        var encrypted = ours.Encrypt("<xml/>");

        Should.Throw<CallbackRejectedException>(() => new WeComCrypto(Token, EncodingAesKey, "ww_other_corp").Decrypt(encrypted));
        var otherKey = Convert.ToBase64String(Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef"))[..43];
        Should.Throw<CallbackRejectedException>(() => new WeComCrypto(Token, otherKey, CorpId).Decrypt(encrypted));
        var bytes = Convert.FromBase64String(encrypted);
        bytes[^1] ^= 0x5a;
        Should.Throw<CallbackRejectedException>(() => ours.Decrypt(Convert.ToBase64String(bytes)));
        Should.Throw<CallbackRejectedException>(() => ours.Decrypt("not base64!"));
    }

    [Fact]
    public void Constructor_WithAMalformedEncodingAesKey_SaysWhatItShouldBe()
    {
        Should.Throw<ValidationFailedException>(() => new WeComCrypto(Token, "too-short", CorpId)).Message.ShouldContain("43 characters");
    }
}
