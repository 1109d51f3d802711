using Pond.WeCom;

namespace Pond.Tests.WeCom;

/// <summary>Event bodies as WeCom documents them (客户联系 回调通知: 添加/删除企业客户事件, 客户群变更事件).</summary>
public sealed class WeComCallbackTests
{
    [Fact]
    public void AddExternalContact_CarriesTheStaffTheCustomerAndTheLiveCodeState()
    {
        const string xml = """
            <xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>
            <CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>
            <Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>
            <UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA]]></ExternalUserID>
            <State><![CDATA[teststate]]></State><WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>
            """;

        var e = WeComCallback.ParseEvent(xml);

        e.Event.ShouldBe("change_external_contact");
        e.ChangeType.ShouldBe("add_external_contact");
        e.UserId.ShouldBe("zhangsan");
        e.ExternalUserId.ShouldBe("woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA");
        e.State.ShouldBe("teststate");
        e.WelcomeCode.ShouldBe("WELCOMECODE");
        e.CreatedAt.ShouldBe(DateTimeOffset.FromUnixTimeSeconds(1403610513));
    }

    [Fact]
    public void GroupUpdate_ListsTheMembersWhoJoined()
    {
        const string xml = """
            <xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>
            <CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>
            <Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[CHAT_ID]]></ChatId>
            <ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[add_member]]></UpdateDetail>
            <JoinScene>1</JoinScene><MemChangeCnt>2</MemChangeCnt>
            <MemChangeList><Item>Jack</Item><Item>Rose</Item></MemChangeList></xml>
            """;

        var e = WeComCallback.ParseEvent(xml);

        e.ChatId.ShouldBe("CHAT_ID");
        e.UpdateDetail.ShouldBe("add_member");
        e.JoinScene.ShouldBe(1);
        e.MemberChangeCount.ShouldBe(2);
        e.MemberChangeList.ShouldBe(["Jack", "Rose"]);
    }

    [Fact]
    public void Envelope_GivesTheCiphertextToDecrypt_AndTheWholeRoundTripWorks()
    {
        var crypto = new WeComCrypto("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7");
        const string inner = "<xml><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[del_follow_user]]></ChangeType><UserID><![CDATA[LilyGuide01]]></UserID><ExternalUserID><![CDATA[wmLily01]]></ExternalUserID></xml>";
        var body = $"<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[{crypto.Encrypt(inner)}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>";

        var envelope = WeComCallback.ParseEnvelope(body);
        var e = WeComCallback.ParseEvent(crypto.Decrypt(envelope.Encrypt));

        envelope.AgentId.ShouldBe("1000002");
        e.ChangeType.ShouldBe("del_follow_user");
        e.ExternalUserId.ShouldBe("wmLily01");
    }

    [Fact]
    public void HostileOrBrokenXml_IsRefusedWithoutResolvingEntities()
    {
        const string xxe = """<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Encrypt>&x;</Encrypt></xml>""";
        Should.Throw<CallbackRejectedException>(() => WeComCallback.ParseEnvelope(xxe));
        Should.Throw<CallbackRejectedException>(() => WeComCallback.ParseEnvelope("<xml><Encrypt>abc"));
        Should.Throw<CallbackRejectedException>(() => WeComCallback.ParseEnvelope("<xml><ToUserName>x</ToUserName></xml>")).Message.ShouldContain("<Encrypt>");
        Should.Throw<CallbackRejectedException>(() => WeComCallback.ParseEvent("<xml><MsgType>text</MsgType></xml>"));
    }
}
