using Pond.WeChat;
using Pond.WeCom;

namespace Pond.Tests.WeChat;

/// <summary>Follow events as the WeChat official-account documentation shows them (接收事件推送: 关注/取消关注, 扫描带参数二维码).</summary>
public sealed class OfficialAccountCallbackTests
{
    [Fact]
    public void Signature_IsSha1OfTheSortedTokenTimestampAndNonce()
    {
        // sha1("123456" + "1700000000" + "pond-oa-token"), computed independently with Python's hashlib.
        OfficialAccountCallback.VerifySignature("pond-oa-token", "3488a172712e8d64777b260819a7787045084651", "1700000000", "123456").ShouldBeTrue();
        OfficialAccountCallback.VerifySignature("pond-oa-token", "3488a172712e8d64777b260819a7787045084651", "1700000001", "123456").ShouldBeFalse();
        OfficialAccountCallback.VerifySignature("another-token", "3488a172712e8d64777b260819a7787045084651", "1700000000", "123456").ShouldBeFalse();
    }

    [Fact]
    public void SubscribeByParametricQr_GivesTheScene()
    {
        const string xml = """
            <xml><ToUserName><![CDATA[gh_lily_fashion]]></ToUserName><FromUserName><![CDATA[oOA-FROMUSER]]></FromUserName>
            <CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>
            <EventKey><![CDATA[qrscene_123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket></xml>
            """;

        var e = OfficialAccountCallback.ParseEvent(xml);

        e.IsSubscribe.ShouldBeTrue();
        e.AccountId.ShouldBe("gh_lily_fashion");
        e.OpenId.ShouldBe("oOA-FROMUSER");
        e.Scene.ShouldBe("123123");
        e.Ticket.ShouldBe("TICKET");
        e.CreatedAt.ShouldBe(DateTimeOffset.FromUnixTimeSeconds(123456789));
    }

    [Fact]
    public void PlainSubscribe_ScanByAFollower_AndUnsubscribe()
    {
        static string Event(string name, string? key) =>
            $"<xml><ToUserName>gh_x</ToUserName><FromUserName>oOA1</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>{name}</Event>{(key is null ? "" : $"<EventKey>{key}</EventKey>")}</xml>";

        OfficialAccountCallback.ParseEvent(Event("subscribe", null)).Scene.ShouldBeNull();
        OfficialAccountCallback.ParseEvent(Event("SCAN", "123123")).Scene.ShouldBe("123123");
        var gone = OfficialAccountCallback.ParseEvent(Event("unsubscribe", null));
        gone.IsUnsubscribe.ShouldBeTrue();
        gone.Scene.ShouldBeNull();
        Should.Throw<CallbackRejectedException>(() => OfficialAccountCallback.ParseEvent("<xml><MsgType>text</MsgType><FromUserName>o</FromUserName></xml>"));
    }
}
