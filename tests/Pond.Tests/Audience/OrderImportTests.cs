using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Audience.Import;
using Pond.Customers;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;

namespace Pond.Tests.Audience;

/// <summary>Order CSV imports: one Order Completed event per order, recorded by the order book through the processor.</summary>
public sealed class OrderImportTests
{
    /// <summary>Several multi-line orders, and a bad row of every kind; the workspace's zone is Asia/Shanghai (UTC+8).</summary>
    private const string Orders =
        """
        order_id,phone,user_id,placed_at,sku,name,category,price,quantity,paid,discount,shipping,coupon,sales_channel,private_domain,tracking_code
        T-1,13800000001,,2026-03-01 14:05:00,LL-DR-01,法式碎花连衣裙,dress,399,1,,50,,spring50|VIP10,mini_program,,xm01
        T-1,,,,LL-SK-02,"棉袜, 三双装",socks,59.9,2,,,,,,,
        T-2,,u-2,2026-03-02T10:00:00+08:00,LL-TS-03,T恤,tops,¥129.00,1,129,,,,tmall,false,
        T-3,13800000003,,2026-03-03 09:00:00,LL-DR-01,法式碎花连衣裙,dress,399,1,,,,,,,
        T-3,13800000003,,2026-03-03 09:00:00,LL-XX,坏价,,abc,1,,,,,,,
        T-3,,,,LL-SK-02,棉袜,socks,59.9,1,,,,,,,
        T-4,13800000004,,2026-03-04 09:00:00,LL-A,,,10,0,,,,,,,
        T-5,13800000005,,2026-03-05 09:00:00,LL-A,,,10,1,,,,,wechat_shop,,
        T-6,13800000006,,2026/13/45 25:00,LL-A,,,10,1,,,,,,,
        T-7,13800000007,,2099-01-01 00:00:00,LL-A,,,10,1,,,,,,,
        T-8,,,2026-03-08 09:00:00,LL-A,,,10,1,,,,,,,
        T-1,13800000001,,2026-03-01 14:05:00,LL-HAT,,,30,1,,,,,,,
        T-9,+86 138 0000 0001,,2026-03-09 20:00:00,LL-BAG,托特包,bags,200,1,,,10,,store,,

        T-10,13800000010,,2026-03-10 10:00:00,LL-A,,,10,1,,,,,,,
        T-10,13800000011,,,LL-B,,,20,1,,,,,,,
        T-11,13800000012,,2026-03-11 10:00:00,LL-A,,,10,1,,30,,,,,
        """;

    private static string OrdersCsv => Orders + "\n";

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OrderImport_RecordsEachGoodOrderOnceWithItsLines_AndABadRowRejectsItsWholeOrder(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var admin = server.Workspace.AdminClient();
        (await admin.PostAsJsonAsync("/api/staff", new { name = "小美", trackingCode = "xm01" })).StatusCode.ShouldBe(HttpStatusCode.Created);

        var job = await admin.ImportAsync(ImportKinds.Orders, OrdersCsv, "订单.csv");

        job.State.ShouldBe(ImportStates.Done, job.Error);
        job.Kind.ShouldBe(ImportKinds.Orders);
        (job.Accepted, job.Rejected).ShouldBe((4, 12), "T-1's two rows, T-2 and T-9 are accepted; every other row is rejected");
        job.EventsWritten.ShouldBe(3, "one event per order");
        job.LinesRead.ShouldBe(17, "16 rows and a blank line");
        var rejects = await admin.RejectsAsync(job.Id);
        rejects.Select(r => r.Line).ShouldBe([5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 18]);
        var reasons = rejects.ToDictionary(r => r.Line, r => r.Reason);
        reasons[5].ShouldBe("order T-3 is not imported: line 6 is rejected");
        reasons[6].ShouldBe("price 'abc' is not an amount in yuan (e.g. 59.90); order T-3 is not imported");
        reasons[7].ShouldBe("order T-3 is not imported: line 6 is rejected");
        reasons[8].ShouldBe("quantity '0' is not a whole number from 1 to 100000; order T-4 is not imported");
        reasons[9].ShouldStartWith("sales_channel 'wechat_shop' is not one of mini_program, h5_mall, tmall, jd, douyin, store, other");
        reasons[10].ShouldStartWith("placed_at '2026/13/45 25:00' is not a time: use ISO 8601 with its offset");
        reasons[10].ShouldContain("Asia/Shanghai");
        reasons[11].ShouldBe("placed_at '2099-01-01 00:00:00' is in the future; order T-7 is not imported");
        reasons[12].ShouldBe("order T-8 is not imported: no identity: fill at least one of phone, user_id");
        reasons[13].ShouldStartWith("order T-1 already appeared at line 2 with other rows between: the rows of one order must be adjacent");
        reasons[16].ShouldBe("order T-10 is not imported: line 17 is rejected");
        reasons[17].ShouldStartWith("phone '13800000011' differs from '13800000010' on line 16: an order's phone is given on its first row or repeated identically");
        reasons[18].ShouldBe("order T-11 is not imported: The discount (30) is more than the items and shipping (10)");
        rejects.Single(r => r.Line == 6).Row.ShouldBe("T-3,13800000003,,2026-03-03 09:00:00,LL-XX,坏价,,abc,1,,,,,,,");

        await server.ProcessAsync();
        var ws = server.Workspace.Id;
        var orders = await server.QueryAsync<OrderView>(
            """
            SELECT o.order_id AS OrderId, o.customer_id AS CustomerId, o.placed_at AS PlacedAt, o.sales_channel AS SalesChannel,
                   o.private_domain AS PrivateDomain, o.subtotal AS Subtotal, o.discount AS Discount, o.shipping AS Shipping, o.paid AS Paid,
                   o.coupon_codes AS CouponCodes, o.source AS Source, o.staff_source AS StaffSource, o.message_id AS MessageId
            FROM orders o WHERE o.workspace_id = @ws ORDER BY o.order_id
            """, new { ws });
        orders.Select(o => o.OrderId).ShouldBe(["T-1", "T-2", "T-9"]);
        var (t1, t2, t9) = (orders[0], orders[1], orders[2]);

        t1.PlacedAt.ShouldBe(new DateTimeOffset(2026, 3, 1, 6, 5, 0, TimeSpan.Zero), "14:05 in Asia/Shanghai");
        (t1.Subtotal, t1.Discount, t1.Shipping, t1.Paid).ShouldBe((51880L, 5000L, 0L, 46880L), "399 + 2 × 59.9 − 50");
        t1.SalesChannel.ShouldBe("mini_program");
        t1.PrivateDomain.ShouldBeTrue("the mini-program is the brand's own");
        JsonSerializer.Deserialize<List<string>>(t1.CouponCodes!).ShouldBe(["SPRING50", "VIP10"]);
        t1.StaffSource.ShouldBe("tracking_code");
        t1.Source.ShouldBe("import");
        t1.CustomerId.ShouldBe((await server.CustomerOfAsync(ws, IdentityKinds.Phone, "13800000001"))!.Value);

        t2.PlacedAt.ShouldBe(new DateTimeOffset(2026, 3, 2, 2, 0, 0, TimeSpan.Zero));
        (t2.Subtotal, t2.Paid, t2.SalesChannel, t2.PrivateDomain).ShouldBe((12900L, 12900L, "tmall", false));
        t2.CustomerId.ShouldBe((await server.CustomerOfAsync(ws, IdentityKinds.UserId, "u-2"))!.Value);

        (t9.Subtotal, t9.Shipping, t9.Paid, t9.SalesChannel, t9.PrivateDomain).ShouldBe((20000L, 1000L, 21000L, "store", true));
        t9.CustomerId.ShouldBe(t1.CustomerId, "+86 138 0000 0001 is the same phone");
        orders.ShouldAllBe(o => o.Source == "import");

        var lines = await server.QueryAsync<LineView>(
            """
            SELECT o.order_id AS OrderId, i.line AS Line, i.sku AS Sku, i.name AS Name, i.category AS Category, i.price AS Price, i.quantity AS Quantity
            FROM order_items i JOIN orders o ON o.id = i.order_pk WHERE o.workspace_id = @ws ORDER BY o.order_id, i.line
            """, new { ws });
        lines.Select(l => (l.OrderId, l.Line, l.Sku, l.Name, l.Category, l.Price, l.Quantity)).ShouldBe(
        [
            ("T-1", 1, "LL-DR-01", "法式碎花连衣裙", "dress", 39900L, 1),
            ("T-1", 2, "LL-SK-02", "棉袜, 三双装", "socks", 5990L, 2),
            ("T-2", 1, "LL-TS-03", "T恤", "tops", 12900L, 1),
            ("T-9", 1, "LL-BAG", "托特包", "bags", 20000L, 1),
        ]);

        // Only the good orders' customers exist: a rejected order creates nobody.
        (await server.CountAsync("SELECT COUNT(*) FROM customers WHERE workspace_id = @ws", new { ws })).ShouldBe(2);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE workspace_id = @ws AND name = 'Order Completed'", new { ws })).ShouldBe(3);
        (await server.CountAsync("SELECT COUNT(*) FROM customers WHERE workspace_id = @ws AND first_order_at IS NOT NULL", new { ws })).ShouldBe(2);
        using var logged = JsonDocument.Parse((await server.QueryAsync<string>(
            "SELECT payload FROM event_log WHERE workspace_id = @ws AND message_id = 'order:T-1'", new { ws })).Single());
        var root = logged.RootElement;
        root.GetProperty("event").GetString().ShouldBe("Order Completed");
        root.GetProperty("timestamp").GetString().ShouldBe("2026-03-01T14:05:00.0000000+08:00");
        root.GetProperty("context").GetProperty("externalIds")[0].GetProperty("id").GetString().ShouldBe("13800000001");
        root.GetProperty("properties").GetProperty("total").GetDecimal().ShouldBe(468.8m);
        root.GetProperty("properties").GetProperty("products").GetArrayLength().ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OrderImport_RunAgainOrImportedTwice_StoresNothingTwice(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var admin = server.Workspace.AdminClient();
        var job = await admin.ImportAsync(ImportKinds.Orders, OrdersCsv);
        await server.ProcessAsync();
        var before = await SnapshotAsync(server);
        before.Count.ShouldBe(3);
        var events = await server.CountAsync("SELECT COUNT(*) FROM event_log");

        // The same job again (a retry, or a resume after a restart).
        var imports = server.Service<ImportService>();
        var again = await imports.RunAsync(await imports.GetAsync(server.Workspace.Id, job.Id));
        (again.State, again.Accepted, again.Rejected).ShouldBe((ImportStates.Done, 4L, 12L));

        // The same file as a new import: the message ids are the order ids, so not even the event log grows.
        var second = await admin.ImportAsync(ImportKinds.Orders, OrdersCsv);
        (second.Accepted, second.Rejected).ShouldBe((4, 12));
        (await admin.RejectsAsync(second.Id)).Count.ShouldBe(12);
        await server.ProcessAsync();
        (await server.CountAsync("SELECT COUNT(*) FROM event_log")).ShouldBe(events);
        (await SnapshotAsync(server)).ShouldBe(before);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE name = 'Order Completed'")).ShouldBe(3);

        // An order recorded through the API first, then imported: the import leaves it as it is.
        (await admin.PostAsJsonAsync("/api/orders", new { orderId = "A-1", userId = "u-2", paid = 88m })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var third = await admin.ImportAsync(ImportKinds.Orders, "order_id,user_id,placed_at,paid\nA-1,u-2,2026-03-05 10:00:00,99\n");
        (third.Accepted, third.Rejected).ShouldBe((1, 0));
        await server.ProcessAsync();
        (await server.QueryAsync<long>("SELECT paid FROM orders WHERE order_id = 'A-1'")).ShouldBe([8800L]);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE name = 'Order Completed'")).ShouldBe(4);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OrderImport_WithAnUnusableHeader_Is400NamingWhatIsMissing(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var admin = server.Workspace.AdminClient();

        async Task<string> Refused(string csv) => (await (await admin.UploadAsync(ImportKinds.Orders, csv)).ProblemAsync(HttpStatusCode.BadRequest)).Detail();

        (await Refused("phone,placed_at,sku,price\n1,2,3,4\n")).ShouldContain("order_id column");
        (await Refused("order_id,placed_at,sku,price\n1,2,3,4\n")).ShouldStartWith("The header names no identity column");
        (await Refused("order_id,phone,sku,price\n1,2,3,4\n")).ShouldContain("placed_at column");
        (await Refused("order_id,phone,placed_at,sku\n1,2,3,4\n")).ShouldContain("price column");
        (await Refused("order_id,phone,placed_at\n1,2,3\n")).ShouldContain("sku and price columns");
        (await Refused("order_id,phone,placed_at,sku,price,colour\n1,2,3,4,5,6\n")).ShouldContain("'colour') is not part of an order import");
        (await admin.GetAsync<List<ImportJob>>("/api/imports")).ShouldBeEmpty();
    }

    /// <summary>Every order as its id, customer, amounts and lines: what an import decides.</summary>
    private static async Task<List<string>> SnapshotAsync(PondServer server) =>
        (await server.QueryAsync<string>(
            """
            SELECT o.order_id || ' ' || o.customer_id || ' ' || o.paid || ' ' || o.status || ' ' ||
                   (SELECT COUNT(*) FROM order_items i WHERE i.order_pk = o.id) || ' ' || (SELECT COUNT(*) FROM customers c WHERE c.workspace_id = o.workspace_id)
            FROM orders o WHERE o.workspace_id = @ws ORDER BY o.order_id
            """, new { ws = server.Workspace.Id })).ToList();

    private sealed class OrderView
    {
        public string OrderId { get; init; } = "";
        public Guid CustomerId { get; init; }
        public DateTimeOffset PlacedAt { get; init; }
        public string SalesChannel { get; init; } = "";
        public bool PrivateDomain { get; init; }
        public long Subtotal { get; init; }
        public long Discount { get; init; }
        public long Shipping { get; init; }
        public long Paid { get; init; }
        public string? CouponCodes { get; init; }
        public string Source { get; init; } = "";
        public string? StaffSource { get; init; }
        public string? MessageId { get; init; }
    }

    private sealed class LineView
    {
        public string OrderId { get; init; } = "";
        public int Line { get; init; }
        public string Sku { get; init; } = "";
        public string? Name { get; init; }
        public string? Category { get; init; }
        public long Price { get; init; }
        public int Quantity { get; init; }
    }
}
