using System.Net;
using System.Net.Http.Json;
using Pond.Customers;
using Pond.Staff;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.WeCom;
using Pond.WeCom;
using Pond.Workspaces;

namespace Pond.Tests.Staff;

/// <summary>
/// 在职转接 / 离职继承 over HTTP: staff and accounts made through /api/staff and /api/carriers, customers befriended
/// through the tracking API, then handed over embedded (at once) or through a local WeCom stand-in (waiting → done).
/// </summary>
public sealed class HandoverTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Embedded_HandsEveryCustomerOverRoundRobin_EndsTheOldRelationship_AndKeepsHistory(DbEngine engine)
    {
        await using var scene = await HandoverScene.StartAsync(engine, customers: 4);
        var admin = scene.Admin;
        // Someone Amy owns without a live friendship moves too (ownership only, no friendship is invented).
        var ownedOnly = await new CustomerSeed(scene.Server.Workspace).CustomerAsync("只归属的客户", owner: scene.Amy.Id);
        await scene.Server.ExecuteAsync(
            """
            INSERT INTO acquisitions (id, workspace_id, customer_id, carrier_id, carrier_kind, staff_id, message_id, acquired_at)
            VALUES (@id, @ws, @customer, @carrier, 'wecom_account', @staff, 'acq-1', 1780000000000)
            """, new { id = Guid.CreateVersion7(), ws = scene.Server.Workspace.Id, customer = scene.Customers[0], carrier = scene.AmyWecom.Id, staff = scene.Amy.Id });

        var response = await admin.PostAsJsonAsync("/api/handovers", new { kind = "resigned", fromStaffId = scene.Amy.Id, toStaffIds = new[] { scene.Bea.Id, scene.Cat.Id } });
        var handover = await response.ReadAsync<HandoverDetail>(HttpStatusCode.Created);

        response.Headers.Location!.ToString().ShouldBe($"/api/handovers/{handover.Id}");
        handover.Kind.ShouldBe(HandoverKinds.Resigned);
        handover.FromStaffName.ShouldBe("安安");
        (handover.Total, handover.Transferred, handover.Waiting, handover.Failed).ShouldBe((5, 5, 0, 0));
        handover.Transfers.Count(t => t.ToStaffId == scene.Bea.Id).ShouldBe(3);
        handover.Transfers.Count(t => t.ToStaffId == scene.Cat.Id).ShouldBe(2);
        // Round robin in a stable order: by customer id, the first to Bea, the second to Cat, and so on.
        var ordered = handover.Transfers.OrderBy(t => t.CustomerId.ToString(), StringComparer.Ordinal).Select(t => t.ToStaffId).ToList();
        ordered.ShouldBe([scene.Bea.Id, scene.Cat.Id, scene.Bea.Id, scene.Cat.Id, scene.Bea.Id]);
        handover.Transfers.Single(t => t.CustomerId == scene.Customers[0]).ExternalUserId.ShouldBe("wmCustomer1");
        handover.Transfers.Single(t => t.CustomerId == ownedOnly).CustomerName.ShouldBe("只归属的客户");
        handover.Groups!.Single().ShouldBe(new GroupTransfer(scene.AmyGroup.Id, "安安的会员群", "wrAmyGroup", true, null));

        foreach (var transfer in handover.Transfers.Where(t => t.CustomerId != ownedOnly))
        {
            var customer = await admin.GetAsync<CustomerDetail>($"/api/customers/{transfer.CustomerId}");
            customer.OwnerStaffId.ShouldBe(transfer.ToStaffId);
            customer.Depth.ShouldBe(DepthNames.Friend);
            var ended = customer.Relationships.Single(r => r.CarrierId == scene.AmyWecom.Id);
            ended.State.ShouldBe(RelationshipStates.Ended);
            ended.EndedBy.ShouldBe(EndedBy.System);
            var live = customer.Relationships.Single(r => r.CarrierId == transfer.ToCarrierId);
            live.State.ShouldBe(RelationshipStates.Active);
            live.SourceChannel.ShouldBe("pkg-card");
            live.Since.ShouldBeGreaterThanOrEqualTo(ended.Since);
            transfer.ToCarrierName.ShouldBe(transfer.ToStaffId == scene.Bea.Id ? "贝贝的企业微信" : "小猫的企业微信");
        }

        var owned = await admin.GetAsync<CustomerDetail>($"/api/customers/{ownedOnly}");
        owned.Relationships.ShouldBeEmpty();
        owned.OwnerStaffId.ShouldNotBeNull();

        // Attribution is history: the acquisition still credits Amy's account.
        (await scene.Server.ScalarAsync<Guid>("SELECT carrier_id FROM acquisitions WHERE message_id = 'acq-1'")).ShouldBe(scene.AmyWecom.Id);
        (await admin.GetAsync<StaffMember>($"/api/staff/{scene.Amy.Id}")).Customers.ShouldBe(0);
        (await admin.GetAsync<CarrierAccount>($"/api/carriers/{scene.AmyGroup.Id}")).OwnerStaffId.ShouldBe(scene.Bea.Id);
        (await admin.GetAsync<CarrierAccount>($"/api/carriers/{scene.AmyWecom.Id}")).ActiveRelationships.ShouldBe(0);

        var list = await admin.GetAsync<List<HandoverSummary>>("/api/handovers");
        list.Single().Transferred.ShouldBe(5);
        var read = await admin.GetAsync<HandoverDetail>($"/api/handovers/{handover.Id}");
        read.Transfers.Select(t => t.ToStaffName).Distinct().ShouldBe(["小猫", "贝贝"], ignoreOrder: true);
        read.Transfers.ShouldAllBe(t => t.FromStaffName == "安安" && t.Status == TransferStatuses.Transferred);
        (await admin.GetAsync<List<AuditLog.Entry>>("/api/audit")).ShouldContain(e => e.Action == "handover.start" && e.Target == handover.Id.ToString());

        // Nothing is left to hand over now.
        await (await admin.PostAsJsonAsync("/api/handovers", new { kind = "resigned", fromStaffId = scene.Amy.Id, toStaffIds = new[] { scene.Bea.Id } }))
            .ProblemAsync(HttpStatusCode.Conflict);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Embedded_OnlySelectedCustomers_MoveAndTheGroupsStay(DbEngine engine)
    {
        await using var scene = await HandoverScene.StartAsync(engine, customers: 3);
        // The second customer is already Cat's friend too: that relationship stays as it is, no duplicate is made.
        await scene.BefriendAsync("customer-2", "wmCustomer2", "wecom_account", "cat");

        var handover = await (await scene.Admin.PostAsJsonAsync("/api/handovers", new
        {
            kind = "in_service", fromStaffId = scene.Amy.Id, toStaffIds = new[] { scene.Cat.Id }, customerIds = new[] { scene.Customers[1], scene.Customers[1] },
        })).ReadAsync<HandoverDetail>(HttpStatusCode.Created);

        handover.Transfers.Single().CustomerId.ShouldBe(scene.Customers[1]);
        handover.Groups.ShouldBeEmpty();
        var moved = await scene.Admin.GetAsync<CustomerDetail>($"/api/customers/{scene.Customers[1]}");
        moved.OwnerStaffId.ShouldBe(scene.Cat.Id);
        moved.Relationships.Where(r => r.State == RelationshipStates.Active).Select(r => r.CarrierName).ShouldBe(["小猫的企业微信"]);
        moved.Relationships.Single(r => r.State == RelationshipStates.Ended).CarrierId.ShouldBe(scene.AmyWecom.Id);
        foreach (var stays in new[] { scene.Customers[0], scene.Customers[2] })
        {
            var customer = await scene.Admin.GetAsync<CustomerDetail>($"/api/customers/{stays}");
            customer.Relationships.Single().State.ShouldBe(RelationshipStates.Active);
            customer.Relationships.Single().CarrierId.ShouldBe(scene.AmyWecom.Id);
        }

        (await scene.Admin.GetAsync<CarrierAccount>($"/api/carriers/{scene.AmyGroup.Id}")).OwnerStaffId.ShouldBe(scene.Amy.Id);
        (await scene.Admin.GetAsync<CarrierAccount>($"/api/carriers/{scene.AmyWecom.Id}")).ActiveRelationships.ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BadInput_Answers400_404_Or409_SayingWhatToFix(DbEngine engine)
    {
        await using var scene = await HandoverScene.StartAsync(engine, customers: 1);
        var admin = scene.Admin;
        var gone = await (await admin.PostAsJsonAsync("/api/staff", new { name = "离开的人", status = "disabled" })).ReadAsync<StaffMember>(HttpStatusCode.Created);
        await admin.PostAsJsonAsync("/api/carriers", new { kind = "wecom_account", name = "离开的人的企业微信", externalId = "gone", ownerStaffId = gone.Id });
        var noAccount = await (await admin.PostAsJsonAsync("/api/staff", new { name = "没有账号" })).ReadAsync<StaffMember>(HttpStatusCode.Created);

        async Task<string> Rejected(object body, HttpStatusCode status = HttpStatusCode.BadRequest) =>
            (await (await admin.PostAsJsonAsync("/api/handovers", body)).ProblemAsync(status)).Detail();

        var amy = scene.Amy.Id;
        var bea = new[] { scene.Bea.Id };
        (await Rejected(new { fromStaffId = amy, toStaffIds = bea })).ShouldContain("in_service");
        (await Rejected(new { kind = "fired", fromStaffId = amy, toStaffIds = bea })).ShouldContain("'fired'");
        (await Rejected(new { kind = "resigned", toStaffIds = bea })).ShouldContain("fromStaffId is required");
        (await Rejected(new { kind = "resigned", fromStaffId = Guid.NewGuid(), toStaffIds = bea })).ShouldContain("No staff member");
        (await Rejected(new { kind = "resigned", fromStaffId = amy, toStaffIds = Array.Empty<Guid>() })).ShouldContain("toStaffIds needs at least one");
        (await Rejected(new { kind = "resigned", fromStaffId = amy, toStaffIds = new[] { amy } })).ShouldContain("cannot also take over");
        (await Rejected(new { kind = "resigned", fromStaffId = amy, toStaffIds = new[] { Guid.NewGuid() } })).ShouldContain("No staff member");
        (await Rejected(new { kind = "resigned", fromStaffId = amy, toStaffIds = new[] { gone.Id } })).ShouldContain("离开的人 is disabled");
        (await Rejected(new { kind = "resigned", fromStaffId = amy, toStaffIds = new[] { noAccount.Id } })).ShouldContain("没有账号 holds no active WeCom or WeChat account");
        (await Rejected(new { kind = "in_service", fromStaffId = gone.Id, toStaffIds = bea })).ShouldContain("Use kind 'resigned'");
        var stranger = Guid.NewGuid();
        (await Rejected(new { kind = "resigned", fromStaffId = amy, toStaffIds = bea, customerIds = new[] { scene.Customers[0], stranger } }))
            .ShouldContain($"not held by 安安 (no live relationship with their WeCom/WeChat account and not owned by them): {stranger}");
        (await Rejected(new { kind = "resigned", fromStaffId = amy, toStaffIds = bea, customerIds = Array.Empty<Guid>() })).ShouldContain("customerIds is empty");
        (await Rejected(new { kind = "resigned", fromStaffId = amy, toStaffIds = bea, customerIds = Enumerable.Range(0, 10_001).Select(_ => Guid.NewGuid()) }))
            .ShouldContain("at most 10,000");
        (await Rejected(new { kind = "resigned", fromStaffId = amy, toStaffIds = bea, transferMessage = "hi" })).ShouldContain("only for in_service");
        (await Rejected(new { kind = "in_service", fromStaffId = amy, toStaffIds = bea, transferMessage = new string('x', 201) })).ShouldContain("200");
        (await Rejected(new { kind = "resigned", fromStaffId = "amy", toStaffIds = bea })).ShouldContain("fromStaffId");
        (await Rejected(new { kind = "resigned", fromStaffId = noAccount.Id, toStaffIds = bea }, HttpStatusCode.Conflict)).ShouldContain("holds no customers or group chats");

        await (await admin.GetAsync($"/api/handovers/{Guid.NewGuid()}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await admin.PostAsync($"/api/handovers/{Guid.NewGuid()}/refresh", null)).ProblemAsync(HttpStatusCode.NotFound);
        (await admin.GetAsync<List<HandoverSummary>>("/api/handovers")).ShouldBeEmpty();
        (await admin.GetAsync<CustomerDetail>($"/api/customers/{scene.Customers[0]}")).Relationships.Single().State.ShouldBe(RelationshipStates.Active);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task WeCom_InService_WaitsForWeCom_ThenRefreshAndCallbacksSettleEachCustomer(DbEngine engine)
    {
        await using var wecom = await WeComServerStandIn.StartAsync();
        await using var scene = await HandoverScene.StartAsync(engine, customers: 4, wecom);
        var admin = scene.Admin;
        // A customer on Amy's personal WeChat moves at once: WeCom cannot move personal WeChat friends.
        var amyWechat = await scene.CarrierAsync("wechat_account", "安安的个人微信", "amy-wx", scene.Amy.Id);
        await scene.BefriendAsync("wechat-friend", null, "wechat_account", "amy-wx");
        var wechatFriend = (await scene.Server.CustomerOfAsync(scene.Server.Workspace.Id, IdentityKinds.UserId, "wechat-friend"))!.Value;
        await scene.CarrierAsync("group_chat", "安安的福利群", "wrAmyGroup2", scene.Amy.Id);
        wecom.WeCom.Refuse["wmCustomer4"] = 40096;
        wecom.WeCom.RefuseChats["wrAmyGroup2"] = 90500;

        var handover = await (await admin.PostAsJsonAsync("/api/handovers", new
        {
            kind = "in_service", fromStaffId = scene.Amy.Id, toStaffIds = new[] { scene.Bea.Id }, transferMessage = "您好，您的专属顾问已更换为贝贝。",
        })).ReadAsync<HandoverDetail>(HttpStatusCode.Created);

        Status(handover, 0).ShouldBe((TransferStatuses.Waiting, null));
        Status(handover, 1).ShouldBe((TransferStatuses.Waiting, null));
        Status(handover, 2).ShouldBe((TransferStatuses.Waiting, null));
        Status(handover, 3).ShouldBe((TransferStatuses.Failed, "WeCom errcode 40096"));
        handover.Transfers.Single(t => t.CustomerId == wechatFriend).Status.ShouldBe(TransferStatuses.Transferred);
        handover.Transfers.Single(t => t.CustomerId == wechatFriend).FromCarrierId.ShouldBe(amyWechat);
        var (path, body) = wecom.WeCom.Calls.First(c => c.Path.EndsWith("transfer_customer", StringComparison.Ordinal));
        path.ShouldBe("/cgi-bin/externalcontact/transfer_customer");
        body.GetProperty("handover_userid").GetString().ShouldBe("amy");
        body.GetProperty("takeover_userid").GetString().ShouldBe("bea");
        body.GetProperty("transfer_success_msg").GetString().ShouldBe("您好，您的专属顾问已更换为贝贝。");
        body.GetProperty("external_userid").EnumerateArray().Select(e => e.GetString()).ShouldBe(["wmCustomer1", "wmCustomer2", "wmCustomer3", "wmCustomer4"], ignoreOrder: true);

        // Groups: WeCom refused one; it stays with Amy and the answer says why.
        handover.Groups!.Single(g => g.ChatId == "wrAmyGroup").Moved.ShouldBeTrue();
        var refused = handover.Groups!.Single(g => g.ChatId == "wrAmyGroup2");
        (refused.Name, refused.Moved, refused.FailReason).ShouldBe(("安安的福利群", false, "WeCom errcode 90500"));
        (await admin.GetAsync<CarrierAccount>($"/api/carriers/{refused.CarrierId}")).OwnerStaffId.ShouldBe(scene.Amy.Id);
        var groupCall = wecom.WeCom.Calls.Single(c => c.Path.Contains("groupchat", StringComparison.Ordinal));
        groupCall.Path.ShouldBe("/cgi-bin/externalcontact/groupchat/onjob_transfer");
        groupCall.Body.GetProperty("new_owner").GetString().ShouldBe("bea");
        (await admin.GetAsync<CarrierAccount>($"/api/carriers/{scene.AmyGroup.Id}")).OwnerStaffId.ShouldBe(scene.Bea.Id);

        // Waiting customers are still Amy's friends until WeCom says the move is done.
        (await admin.GetAsync<CustomerDetail>($"/api/customers/{scene.Customers[0]}")).Relationships.Single().CarrierId.ShouldBe(scene.AmyWecom.Id);

        wecom.WeCom.Finish("wmCustomer1", WeComTransferStandIn.StatusDone);
        wecom.WeCom.Finish("wmCustomer2", WeComTransferStandIn.StatusRefused);
        wecom.WeCom.PageSize = 1;
        var refreshed = await (await admin.PostAsync($"/api/handovers/{handover.Id}/refresh", null)).ReadAsync<HandoverDetail>();

        Status(refreshed, 0).ShouldBe((TransferStatuses.Transferred, null));
        Status(refreshed, 1).ShouldBe((TransferStatuses.Failed, "customer refused"));
        Status(refreshed, 2).ShouldBe((TransferStatuses.Waiting, null));
        (refreshed.Waiting, refreshed.Transferred, refreshed.Failed).ShouldBe((1, 2, 2));
        wecom.WeCom.Calls.Count(c => c.Path == "/cgi-bin/externalcontact/transfer_result").ShouldBe(3);
        var moved = await admin.GetAsync<CustomerDetail>($"/api/customers/{scene.Customers[0]}");
        moved.OwnerStaffId.ShouldBe(scene.Bea.Id);
        moved.Relationships.Single(r => r.CarrierId == scene.AmyWecom.Id).EndedBy.ShouldBe(EndedBy.System);
        moved.Relationships.Single(r => r.CarrierId == scene.BeaWecom.Id).State.ShouldBe(RelationshipStates.Active);
        (await admin.GetAsync<CustomerDetail>($"/api/customers/{scene.Customers[1]}")).Relationships.Single().State.ShouldBe(RelationshipStates.Active);

        // WeCom's transfer_fail callback, signed and encrypted through /hooks/wecom: the customer's waiting transfer
        // fails once; a repeat (even with another reason) changes nothing, and another staff member's id matches nothing.
        var callbacks = new Pond.WeCom.WeComCallbackBuilder(WeComServerStandIn.CorpId, "pondtoken", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C");
        var at = DateTimeOffset.UtcNow;
        using var hooks = scene.Server.Client();
        foreach (var xml in new[]
                 {
                     callbacks.TransferFail("amy", "wmCustomer3", "customer_limit_exceed", at),
                     callbacks.TransferFail("amy", "wmCustomer3", "customer_refused", at.AddMinutes(1)),
                     callbacks.TransferFail("someone-else", "wmCustomer1", "customer_refused", at),
                 })
        {
            var signed = callbacks.Sign(xml, at);
            (await hooks.PostAsync($"/hooks/wecom/{scene.Server.Workspace.Id}?{signed.Query}",
                new StringContent(signed.Body, System.Text.Encoding.UTF8, "text/xml"))).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        }

        var settled = await admin.GetAsync<HandoverDetail>($"/api/handovers/{handover.Id}");
        Status(settled, 2).ShouldBe((TransferStatuses.Failed, "takeover staff reached the customer limit"));
        Status(settled, 0).ShouldBe((TransferStatuses.Transferred, null));
        (await admin.GetAsync<List<AuditLog.Entry>>("/api/audit")).Count(e => e.Action == "handover.transfer_failed").ShouldBe(1);

        // Nothing waits any more, so a refresh asks WeCom nothing.
        var calls = wecom.WeCom.Calls.Count;
        await (await admin.PostAsync($"/api/handovers/{handover.Id}/refresh", null)).ReadAsync<HandoverDetail>();
        wecom.WeCom.Calls.Count.ShouldBe(calls);

        (string, string?) Status(HandoverDetail detail, int customer)
        {
            var transfer = detail.Transfers.Single(t => t.CustomerId == scene.Customers[customer]);
            return (transfer.Status, transfer.FailReason);
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task WeCom_Resigned_UsesTheResignedApis(DbEngine engine)
    {
        await using var wecom = await WeComServerStandIn.StartAsync();
        await using var scene = await HandoverScene.StartAsync(engine, customers: 2, wecom);
        wecom.WeCom.PageSize = 1;

        var handover = await (await scene.Admin.PostAsJsonAsync("/api/handovers", new { kind = "resigned", fromStaffId = scene.Amy.Id, toStaffIds = new[] { scene.Bea.Id, scene.Cat.Id } }))
            .ReadAsync<HandoverDetail>(HttpStatusCode.Created);
        handover.Waiting.ShouldBe(2);
        wecom.WeCom.Finish("wmCustomer1", WeComTransferStandIn.StatusDone);
        wecom.WeCom.Finish("wmCustomer2", WeComTransferStandIn.StatusNoRecord);
        var refreshed = await (await scene.Admin.PostAsync($"/api/handovers/{handover.Id}/refresh", null)).ReadAsync<HandoverDetail>();

        wecom.WeCom.Calls.Select(c => c.Path).Distinct().ShouldBe([
            "/cgi-bin/externalcontact/resigned/transfer_customer", "/cgi-bin/externalcontact/groupchat/transfer", "/cgi-bin/externalcontact/resigned/transfer_result",
        ], ignoreOrder: true);
        // One call per (handover, takeover) pair: Amy → Bea and Amy → Cat.
        wecom.WeCom.Calls.Count(c => c.Path == "/cgi-bin/externalcontact/resigned/transfer_customer").ShouldBe(2);
        wecom.WeCom.Calls.Where(c => c.Body.TryGetProperty("transfer_success_msg", out var message)).ShouldBeEmpty();
        refreshed.Transfers.Single(t => t.ExternalUserId == "wmCustomer1").Status.ShouldBe(TransferStatuses.Transferred);
        refreshed.Transfers.Single(t => t.ExternalUserId == "wmCustomer2").FailReason.ShouldBe("no transfer record");
        (await scene.Admin.GetAsync<CarrierAccount>($"/api/carriers/{scene.AmyGroup.Id}")).OwnerStaffId.ShouldBe(scene.Bea.Id);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task WeCom_ManyCustomers_GoInBatchesOf100_AndWaitingOnesCannotBeHandedOverAgain(DbEngine engine)
    {
        await using var wecom = await WeComServerStandIn.StartAsync();
        await using var scene = await HandoverScene.StartAsync(engine, customers: 0, wecom);
        await scene.BefriendManyAsync(1, 230);

        var handover = await (await scene.Admin.PostAsJsonAsync("/api/handovers", new { kind = "in_service", fromStaffId = scene.Amy.Id, toStaffIds = new[] { scene.Bea.Id } }))
            .ReadAsync<HandoverDetail>(HttpStatusCode.Created);

        handover.Waiting.ShouldBe(230);
        var sizes = wecom.WeCom.Calls.Where(c => c.Path == "/cgi-bin/externalcontact/transfer_customer")
            .Select(c => c.Body.GetProperty("external_userid").GetArrayLength()).ToList();
        sizes.ShouldBe([100, 100, 30]);
        wecom.WeCom.Transfers.Count.ShouldBe(230);

        var waiting = handover.Transfers[0].CustomerId;
        var again = await (await scene.Admin.PostAsJsonAsync("/api/handovers", new
        {
            kind = "in_service", fromStaffId = scene.Amy.Id, toStaffIds = new[] { scene.Cat.Id }, customerIds = new[] { waiting },
        })).ProblemAsync(HttpStatusCode.Conflict);
        again.Detail().ShouldContain("still wait for WeCom");
    }
}
