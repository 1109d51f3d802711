using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Channels;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Commerce;

/// <summary>Orders over HTTP: recording once, attribution to staff and channels, refunds, events, validation, roles.</summary>
public sealed class OrderTests
{
    private static object Dress(string orderId, string userId, object? extra = null) => new
    {
        orderId,
        userId,
        salesChannel = "mini_program",
        items = new object[]
        {
            new { sku = "LL-DR-01", name = "法式碎花连衣裙", category = "dress", price = 399m, quantity = 1 },
            new { sku = "LL-SK-02", name = "棉袜三双装", category = "socks", price = 59.9m, quantity = 2 },
        },
        discount = 50m,
        trackingCode = (extra as string),
    };

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task RecordOrder_IsIdempotent_CreditsTheTrackingCode_AndReachesTheTimeline(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        using var tracking = server.Workspace.TrackingClient();
        await tracking.SendOkAsync("/v1/identify", new { userId = "u-lin", traits = new { name = "林小姐" } });
        await server.ProcessAsync();
        var guide = await (await admin.PostAsJsonAsync("/api/staff", new { name = "小美", trackingCode = "xm01" })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        guide.GetProperty("trackingCode").GetString().ShouldBe("xm01");

        var created = await (await admin.PostAsJsonAsync("/api/orders", Dress("T-1001", "u-lin", "xm01"))).ReadAsync<JsonElement>(HttpStatusCode.Created);
        created.GetProperty("created").GetBoolean().ShouldBeTrue();
        var order = created.GetProperty("order");
        order.GetProperty("order").GetProperty("paid").GetDecimal().ShouldBe(468.8m, "399 + 2 × 59.9 − 50");
        order.GetProperty("subtotal").GetDecimal().ShouldBe(518.8m);
        order.GetProperty("order").GetProperty("privateDomain").GetBoolean().ShouldBeTrue("the mini-program is the brand's own");
        order.GetProperty("order").GetProperty("staffName").GetString().ShouldBe("小美");
        order.GetProperty("staffSource").GetString().ShouldBe("tracking_code");
        order.GetProperty("lines").GetArrayLength().ShouldBe(2);

        // The same order again: 200, nothing new. A different amount under the same id: 409.
        var again = await (await admin.PostAsJsonAsync("/api/orders", Dress("T-1001", "u-lin", "xm01"))).ReadAsync<JsonElement>(HttpStatusCode.OK);
        again.GetProperty("created").GetBoolean().ShouldBeFalse();
        using var changed = await admin.PostAsJsonAsync("/api/orders", new { orderId = "T-1001", userId = "u-lin", paid = 1m });
        var (status, detail) = await IngestionKit.ProblemAsync(changed);
        status.ShouldBe(HttpStatusCode.Conflict);
        detail.ShouldContain("refund");
        (await server.CountAsync("SELECT COUNT(*) FROM orders")).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM order_items")).ShouldBe(2);

        // The order goes on the timeline through the event log; the processor finds it recorded and adds nothing.
        await server.ProcessAsync();
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE name = 'Order Completed' AND message_id = 'order:T-1001'")).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM customers WHERE first_order_at IS NOT NULL")).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM orders")).ShouldBe(1);
        var listed = await admin.GetAsync<JsonElement>("/api/orders");
        listed.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("orderId").GetString()).ShouldBe(["T-1001"]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OrderCompletedEvent_IsCreditedToTheOwner_AndToTheChannelThatBroughtTheCustomer(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server, welcome: null);
        var now = DateTimeOffset.UtcNow;
        // wmA added 40 days ago, wmB 3 days ago, both through the package-card code.
        await setup.CallbackOkAsync(setup.WeCom.AddExternalContact("xiaomei", "wmA", now.AddDays(-40), setup.Code.Code.State));
        await setup.CallbackOkAsync(setup.WeCom.AddExternalContact("ajie", "wmB", now.AddDays(-3), setup.Code.Code.State));
        await setup.ProcessAsync();

        using var tracking = server.Workspace.TrackingClient();
        foreach (var (external, orderId, revenue) in new[] { ("wmA", "E-1", 120m), ("wmB", "E-2", 300m) })
        {
            await tracking.SendOkAsync("/v1/track", new
            {
                anonymousId = $"mp-{external}",
                @event = "Order Completed",
                context = new { traits = new { wecom_external_userid = external } },
                properties = new
                {
                    order_id = orderId, revenue, channel = "mini_program", coupon = "",
                    products = new[] { new { sku = "LL-TS-09", name = "基础款T恤", category = "tee", price = revenue, quantity = 1 } },
                },
            });
        }

        await setup.ProcessAsync();
        var recent = await setup.Admin.GetAsync<JsonElement>("/api/orders/E-2");
        recent.GetProperty("order").GetProperty("staffName").GetString().ShouldBe("阿杰");
        recent.GetProperty("staffSource").GetString().ShouldBe("owner");
        recent.GetProperty("firstTouch").GetProperty("channelName").GetString().ShouldBe("双11包裹卡");
        recent.GetProperty("lastTouch").GetProperty("codeName").GetString().ShouldBe("包裹卡-11月");
        recent.GetProperty("order").GetProperty("source").GetString().ShouldBe("event");
        // Added 40 days before buying: outside the default 30-day window, so no channel is credited.
        var old = await setup.Admin.GetAsync<JsonElement>("/api/orders/E-1");
        old.GetProperty("order").GetProperty("staffName").GetString().ShouldBe("小美");
        old.GetProperty("firstTouch").ValueKind.ShouldBe(JsonValueKind.Null);

        var byChannel = await setup.Admin.GetAsync<JsonElement>("/api/orders/attribution?model=first_touch&by=channel");
        byChannel.GetProperty("gmv").GetDecimal().ShouldBe(420m);
        var rows = byChannel.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("gmv").GetDecimal());
        rows.ShouldBe(new Dictionary<string, decimal> { ["双11包裹卡"] = 300m, [""] = 120m });
        var byStaff = await setup.Admin.GetAsync<JsonElement>("/api/orders/attribution?by=staff");
        byStaff.GetProperty("rows").EnumerateArray().Select(r => (r.GetProperty("name").GetString(), r.GetProperty("gmv").GetDecimal()))
            .ShouldBe([("阿杰", 300m), ("小美", 120m)]);

        // A longer window takes in the older add for orders recorded afterwards.
        (await setup.Admin.PutAsJsonAsync("/api/orders/settings", new { attributionWindowDays = 60 })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await tracking.SendOkAsync("/v1/track", new
        {
            anonymousId = "mp-wmA",
            @event = "Order Completed",
            context = new { traits = new { wecom_external_userid = "wmA" } },
            properties = new { order_id = "E-3", total = 88, channel = "tmall" },
        });
        await setup.ProcessAsync();
        var later = await setup.Admin.GetAsync<JsonElement>("/api/orders/E-3");
        later.GetProperty("firstTouch").GetProperty("channelName").GetString().ShouldBe("双11包裹卡");
        later.GetProperty("order").GetProperty("privateDomain").GetBoolean().ShouldBeFalse("a Tmall order is public-domain unless the shop says otherwise");
        (await setup.Admin.PutAsJsonAsync("/api/orders/settings", new { attributionWindowDays = 0 })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Refunds_ArePartialOrFull_Idempotent_AndNeverMoreThanWasPaid(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        using var tracking = server.Workspace.TrackingClient();
        await tracking.SendOkAsync("/v1/identify", new { userId = "u-lin", traits = new { name = "林小姐" } });
        await server.ProcessAsync();
        await (await admin.PostAsJsonAsync("/api/orders", Dress("R-1", "u-lin"))).ReadAsync<JsonElement>(HttpStatusCode.Created);

        // Returning the socks: their share of what was paid (119.8 of 518.8 worth of goods, 468.8 paid).
        var partial = await (await admin.PostAsJsonAsync("/api/orders/R-1/refunds", new { refundId = "RF-1", items = new[] { new { sku = "LL-SK-02", quantity = 2 } } }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created);
        partial.GetProperty("refund").GetProperty("amount").GetDecimal().ShouldBe(108.25m);
        partial.GetProperty("order").GetProperty("order").GetProperty("status").GetString().ShouldBe("partially_refunded");
        partial.GetProperty("order").GetProperty("lines")[1].GetProperty("refundedQuantity").GetInt32().ShouldBe(2);

        (await admin.PostAsJsonAsync("/api/orders/R-1/refunds", new { refundId = "RF-1", items = new[] { new { sku = "LL-SK-02", quantity = 2 } } }))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        var (status, detail) = await IngestionKit.ProblemAsync(await admin.PostAsJsonAsync("/api/orders/R-1/refunds", new { refundId = "RF-2", items = new[] { new { sku = "LL-SK-02", quantity = 1 } } }));
        status.ShouldBe(HttpStatusCode.BadRequest);
        detail.ShouldContain("0 left to return");
        (status, detail) = await IngestionKit.ProblemAsync(await admin.PostAsJsonAsync("/api/orders/R-1/refunds", new { refundId = "RF-2", amount = 400m }));
        status.ShouldBe(HttpStatusCode.BadRequest);
        detail.ShouldContain("360.55");

        var full = await (await admin.PostAsJsonAsync("/api/orders/R-1/refunds", new { refundId = "RF-2", reason = "不想要了" })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        full.GetProperty("refund").GetProperty("amount").GetDecimal().ShouldBe(360.55m);
        full.GetProperty("order").GetProperty("order").GetProperty("status").GetString().ShouldBe("refunded");
        full.GetProperty("order").GetProperty("refunds").GetArrayLength().ShouldBe(2);
        (await admin.PostAsJsonAsync("/api/orders/R-1/refunds", new { refundId = "RF-3" })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await admin.PostAsJsonAsync("/api/orders/NOPE/refunds", new { refundId = "RF-1" })).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // Refunds reach the timeline too; an Order Refunded event for a refund already recorded changes nothing.
        await server.ProcessAsync();
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE name = 'Order Refunded'")).ShouldBe(2);
        (await server.CountAsync("SELECT COUNT(*) FROM order_refunds")).ShouldBe(2);
        (await server.ScalarAsync<long>("SELECT refunded FROM orders WHERE order_id = 'R-1'")).ShouldBe(46880);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OrderRefundedEvent_RefundsARecordedOrder(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        using var tracking = server.Workspace.TrackingClient();
        await tracking.SendOkAsync("/v1/track", new { userId = "u-9", @event = "Order Completed", properties = new { order_id = "S-9", total = 200, channel = "h5_mall" } });
        await server.ProcessAsync();
        await tracking.SendOkAsync("/v1/track", new { userId = "u-9", @event = "Order Refunded", properties = new { order_id = "S-9", total = 50, refund_id = "back-1" } });
        await tracking.SendOkAsync("/v1/track", new { userId = "u-9", @event = "Order Refunded", properties = new { order_id = "UNKNOWN", total = 50 } });
        await server.ProcessAsync();

        var order = await admin.GetAsync<JsonElement>("/api/orders/S-9");
        order.GetProperty("order").GetProperty("refunded").GetDecimal().ShouldBe(50m);
        order.GetProperty("refunds")[0].GetProperty("source").GetString().ShouldBe("event");
        // A refund of an order Pond never saw stays on the timeline and stops nothing.
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE name = 'Order Refunded'")).ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task SameOrderFromManyRequestsAtOnce_IsRecordedOnce(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        using var tracking = server.Workspace.TrackingClient();
        await tracking.SendOkAsync("/v1/identify", new { userId = "u-lin" });
        await server.ProcessAsync();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var client = server.Workspace.AdminClient();
            using var response = await client.PostAsJsonAsync("/api/orders", Dress("C-1", "u-lin"));
            return response.StatusCode;
        }));
        statuses.Count(s => s == HttpStatusCode.Created).ShouldBe(1);
        statuses.Count(s => s == HttpStatusCode.OK).ShouldBe(19);
        (await server.CountAsync("SELECT COUNT(*) FROM orders")).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM event_log WHERE message_id = 'order:C-1'")).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BadOrders_Get400s_ThatNameTheField(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var admin = server.Workspace.AdminClient();
        using var tracking = server.Workspace.TrackingClient();
        await tracking.SendOkAsync("/v1/identify", new { userId = "u-lin" });
        await server.ProcessAsync();

        var cases = new (object Body, string Field)[]
        {
            (new { userId = "u-lin", paid = 10m }, "orderId"),
            (new { orderId = "B-1", paid = 10m }, "customerId"),
            (new { orderId = "B-1", userId = "nobody", paid = 10m }, "userId"),
            (new { orderId = "B-1", userId = "u-lin", paid = 10m, salesChannel = "taobao" }, "salesChannel"),
            (new { orderId = "B-1", userId = "u-lin", items = new[] { new { sku = "A", price = -1m, quantity = 1 } } }, "items/0/price"),
            (new { orderId = "B-1", userId = "u-lin", items = new[] { new { sku = "A", price = 1m, quantity = 0 } } }, "items/0/quantity"),
            (new { orderId = "B-1", userId = "u-lin", paid = 10.001m }, "paid"),
            (new { orderId = "B-1", userId = "u-lin", paid = 10m, placedAt = DateTimeOffset.UtcNow.AddDays(2) }, "placedAt"),
            (new { orderId = "B-1", userId = "u-lin", items = new[] { new { sku = "A", price = 10m, quantity = 1 } }, discount = 11m }, "discount"),
            (new { orderId = "B-1", userId = "u-lin" }, "paid"),
        };
        foreach (var (body, field) in cases)
        {
            using var response = await admin.PostAsJsonAsync("/api/orders", body);
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, JsonSerializer.Serialize(body));
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            problem.GetProperty("field").GetString().ShouldBe(field, JsonSerializer.Serialize(body));
        }

        (await server.CountAsync("SELECT COUNT(*) FROM orders")).ShouldBe(0);
        (await admin.GetAsync("/api/orders?limit=0")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await admin.GetAsync("/api/orders?cursor=garbage")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await admin.GetAsync("/api/orders/attribution?model=linear")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Staff_SeeOnlyTheirCustomersOrders_AndCannotRecordOrders_AndPagesNeverRepeat(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, TestSignIn.Configure, runEngines: false);
        var seed = new CustomerSeed(server.Workspace);
        var mine = await seed.StaffAsync("小美");
        using var admin = server.Workspace.AdminClient();
        using var tracking = server.Workspace.TrackingClient();
        await tracking.SendOkAsync("/v1/identify", new { userId = "u-a" });
        await tracking.SendOkAsync("/v1/identify", new { userId = "u-b" });
        await server.ProcessAsync();
        var a = (await server.CustomerOfAsync(server.Workspace.Id, "user_id", "u-a"))!.Value;
        await server.ExecuteAsync("UPDATE customers SET owner_staff_id = @mine WHERE id = @a", new { mine, a });
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        for (var i = 0; i < 5; i++)
        {
            (await admin.PostAsJsonAsync("/api/orders", new { orderId = $"P-{i}", userId = i % 2 == 0 ? "u-a" : "u-b", paid = 10m + i, placedAt = start.AddMinutes(i) }))
                .StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await admin.GetAsync<JsonElement>("/api/orders?limit=2" + (cursor is null ? "" : $"&cursor={cursor}"));
            seen.AddRange(page.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("orderId").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        seen.ShouldBe(["P-4", "P-3", "P-2", "P-1", "P-0"]);

        using var staff = await server.Workspace.MemberClientAsync(Roles.Staff, mine);
        var own = await staff.GetAsync<JsonElement>("/api/orders");
        own.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("orderId").GetString()).ShouldBe(["P-4", "P-2", "P-0"]);
        (await staff.GetAsync("/api/orders/P-1")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await staff.PostAsJsonAsync("/api/orders", new { orderId = "P-9", userId = "u-a", paid = 1m })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}
