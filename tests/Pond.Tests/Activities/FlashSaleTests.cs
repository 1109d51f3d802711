using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Activities;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Activities;

/// <summary>Flash sales over HTTP on both engines: no overselling under a crowd, limits, timeouts, payment, audiences.</summary>
public sealed class FlashSaleTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TwoThousandSimultaneousAttempts_On100Units_From500Customers_Exactly100Succeed_NobodyTwice(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var customers = await server.Workspace.CustomersAsync(500);
        using var admin = server.Workspace.AdminClient();
        var saleId = await admin.SaleAsync(stock: 100, limit: 1);

        // 2,000 requests in flight at once, each customer four times, interleaved.
        using var crowd = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 2000 }) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(3) };
        crowd.DefaultRequestHeaders.Authorization = admin.DefaultRequestHeaders.Authorization;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var results = await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => Task.Run(async () =>
        {
            await start.Task;
            using var response = await crowd.AttemptAsync(saleId, customers[i % 500]);
            var body = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, Body: JsonDocument.Parse(body).RootElement.Clone(), Customer: customers[i % 500]);
        })).ToList().Also(_ => start.SetResult()));

        results.Where(r => r.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict)).ShouldBeEmpty();
        var won = results.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        won.Count.ShouldBe(100);
        won.Select(r => r.Customer).Distinct().Count().ShouldBe(100, "nobody gets two");
        won.Select(r => r.Body.GetProperty("customerId").GetGuid()).ShouldBe(won.Select(r => r.Customer), ignoreOrder: true);
        results.Where(r => r.StatusCode == HttpStatusCode.Conflict).Select(r => r.Body.GetProperty("reason").GetString())
            .Distinct().ShouldBeSubsetOf([RefusalReasons.SoldOut, RefusalReasons.LimitReached]);

        var counters = await admin.CountersAsync(saleId);
        counters.Stock.ShouldBe(100);
        counters.Reserved.ShouldBe(100);
        counters.Sold.ShouldBe(0);
        counters.Remaining.ShouldBe(0);
        counters.State.ShouldBe(FlashSaleStates.SoldOut);
        counters.Attempts.ShouldBe(2000);
        counters.Succeeded.ShouldBe(100);
        counters.Refusals.Values.Sum().ShouldBe(1900);
        counters.ReservationRows.ShouldBe(100);
        counters.DistinctCustomers.ShouldBe(100);
        (await server.ScalarAsync("SELECT COUNT(DISTINCT customer_id) FROM flash_reservations WHERE sale_id = @saleId", new { saleId })).ShouldBe(100);
        (await server.ScalarAsync("SELECT COUNT(*) FROM flash_reservations WHERE sale_id = @saleId", new { saleId })).ShouldBe(100);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task UnpaidReservation_IsReleasedAfterTimeout_SomeoneElseBuysIt_AndPayingTheReleasedOneIsRefused(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var (amy, bo) = (await server.Workspace.CustomersAsync(2)) is var c ? (c[0], c[1]) : default;
        using var admin = server.Workspace.AdminClient();
        var saleId = await admin.SaleAsync(stock: 1, timeoutMinutes: 15);

        var held = await admin.ReservedAsync(saleId, amy);
        (await (await admin.AttemptAsync(saleId, bo)).RefusalAsync()).ShouldBe(RefusalReasons.SoldOut);

        clock.Advance(TimeSpan.FromMinutes(14));
        (await server.Service<FlashSales>().ReleaseExpiredAsync()).ShouldBe(0, "still within the payment time");
        clock.Advance(TimeSpan.FromMinutes(1));
        (await server.Service<FlashSales>().ReleaseExpiredAsync()).ShouldBe(1);
        (await admin.GetAsync<JsonElement>($"/api/flash-sales/{saleId}/reservations/{held}")).GetProperty("state").GetString().ShouldBe(ReservationStates.Released);
        (await admin.CountersAsync(saleId)).Remaining.ShouldBe(1);

        var second = await admin.ReservedAsync(saleId, bo);
        var refused = await (await admin.PostAsync($"/api/flash-sales/{saleId}/reservations/{held}/pay", null)).ProblemAsync(HttpStatusCode.Conflict);
        refused.GetProperty("reason").GetString().ShouldBe("expired");
        (await admin.PostAsync($"/api/flash-sales/{saleId}/reservations/{second}/pay", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var counters = await admin.CountersAsync(saleId);
        (counters.Reserved, counters.Sold, counters.Remaining).ShouldBe((0, 1, 0));

        // Released, a customer may try again (their slot is free) — but the unit is gone.
        (await (await admin.AttemptAsync(saleId, amy)).RefusalAsync()).ShouldBe(RefusalReasons.SoldOut);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task PayingAfterExpiry_BeforeTheSweep_IsRefused_AndCancelFreesTheUnitAtOnce(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var buyers = await server.Workspace.CustomersAsync(3);
        using var admin = server.Workspace.AdminClient();
        var saleId = await admin.SaleAsync(stock: 1, timeoutMinutes: 5);

        var first = await admin.ReservedAsync(saleId, buyers[0]);
        clock.Advance(TimeSpan.FromMinutes(5));
        (await (await admin.PostAsync($"/api/flash-sales/{saleId}/reservations/{first}/pay", null)).RefusalAsync()).ShouldBe("expired");
        await server.Service<FlashSales>().ReleaseExpiredAsync();

        var second = await admin.ReservedAsync(saleId, buyers[1]);
        var cancelled = await (await admin.PostAsync($"/api/flash-sales/{saleId}/reservations/{second}/cancel", null)).ReadAsync<JsonElement>();
        cancelled.GetProperty("state").GetString().ShouldBe(ReservationStates.Cancelled);
        (await (await admin.PostAsync($"/api/flash-sales/{saleId}/reservations/{second}/pay", null)).RefusalAsync()).ShouldBe("cancelled");
        var third = await admin.ReservedAsync(saleId, buyers[2]);
        (await admin.CountersAsync(saleId)).Reserved.ShouldBe(1);
        (await server.ScalarAsync("SELECT COUNT(*) FROM flash_reservations WHERE sale_id = @saleId AND state = 'reserved'", new { saleId })).ShouldBe(1);
        third.ShouldNotBe(Guid.Empty);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Pay_SellsTheUnit_RecordsTheOrderId_AndPayingAgainChangesNothing(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var buyer = (await server.Workspace.CustomersAsync(1))[0];
        using var admin = server.Workspace.AdminClient();
        var saleId = await admin.SaleAsync(stock: 5);
        var reservation = await admin.ReservedAsync(saleId, buyer);

        var paid = await (await admin.PostAsync($"/api/flash-sales/{saleId}/reservations/{reservation}/pay", null)).ReadAsync<JsonElement>();
        paid.GetProperty("state").GetString().ShouldBe(ReservationStates.Paid);
        paid.GetProperty("orderId").GetString().ShouldBe($"FS-{reservation:N}");
        paid.GetProperty("price").GetDecimal().ShouldBe(199m);
        var again = await (await admin.PostAsync($"/api/flash-sales/{saleId}/reservations/{reservation}/pay", null)).ReadAsync<JsonElement>();
        again.GetProperty("paidAt").GetDateTimeOffset().ShouldBe(paid.GetProperty("paidAt").GetDateTimeOffset());
        var counters = await admin.CountersAsync(saleId);
        (counters.Reserved, counters.Sold, counters.Remaining).ShouldBe((0, 1, 4));

        // The order is recorded in the payment's transaction, once, at the flash price.
        var order = await admin.GetAsync<JsonElement>($"/api/orders/FS-{reservation:N}");
        order.GetProperty("order").GetProperty("paid").GetDecimal().ShouldBe(199m);
        order.GetProperty("order").GetProperty("customerId").GetGuid().ShouldBe(buyer);
        order.GetProperty("lines").EnumerateArray().Single().GetProperty("sku").GetString().ShouldBe("SILK-001");
        (await server.ScalarAsync("SELECT COUNT(*) FROM orders WHERE source = 'flash_sale'")).ShouldBe(1);
        (await (await admin.PostAsync($"/api/flash-sales/{saleId}/reservations/{reservation}/cancel", null)).ProblemAsync(HttpStatusCode.Conflict))
            .Detail().ShouldContain("refund");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task AudienceSale_RefusesNonMembers_AndWindowAndLimitRefusalsCarryTheirReason(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await ScoreKit.StartAsync(engine, clock);
        var buyers = await server.Workspace.CustomersAsync(3);
        var segment = await server.Workspace.SegmentAsync("VIP 会员", [buyers[0]]);
        using var admin = server.Workspace.AdminClient();
        var members = await admin.SaleAsync(stock: 10, limit: 2, segmentId: segment);

        (await (await admin.AttemptAsync(members, buyers[1])).RefusalAsync()).ShouldBe(RefusalReasons.NotInAudience);
        await admin.ReservedAsync(members, buyers[0]);
        await admin.ReservedAsync(members, buyers[0]);
        (await (await admin.AttemptAsync(members, buyers[0])).RefusalAsync()).ShouldBe(RefusalReasons.LimitReached);
        // By the shop's user id as well as Pond's customer id.
        (await (await admin.PostAsJsonAsync($"/api/flash-sales/{members}/attempts", new { userId = "买家-1" })).RefusalAsync()).ShouldBe(RefusalReasons.NotInAudience);

        var later = await admin.SaleAsync(stock: 10, startsAt: ScoreKit.Now.AddHours(1), endsAt: ScoreKit.Now.AddHours(2));
        (await (await admin.AttemptAsync(later, buyers[2])).RefusalAsync()).ShouldBe(RefusalReasons.NotStarted);
        clock.Advance(TimeSpan.FromHours(3));
        (await (await admin.AttemptAsync(later, buyers[2])).RefusalAsync()).ShouldBe(RefusalReasons.Ended);

        var counters = await admin.CountersAsync(members);
        counters.Attempts.ShouldBe(5);
        counters.Refusals[RefusalReasons.NotInAudience].ShouldBe(2);
        counters.Refusals[RefusalReasons.LimitReached].ShouldBe(1);
        (await admin.CountersAsync(later)).Refusals[RefusalReasons.Ended].ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BadInput_Answers400NamingTheField_UnknownSaleOrCustomer404_StockBelowHeld409(DbEngine engine)
    {
        await using var server = await ScoreKit.StartAsync(engine, new ManualClock(ScoreKit.Now));
        var buyers = await server.Workspace.CustomersAsync(3);
        using var admin = server.Workspace.AdminClient();
        var bad = await (await admin.PostAsJsonAsync("/api/flash-sales", new
        {
            name = "x", sku = "S", originalPrice = 10m, flashPrice = 20m, stock = 5, startsAt = ScoreKit.Now, endsAt = ScoreKit.Now.AddHours(1),
        })).ProblemAsync(HttpStatusCode.BadRequest);
        bad.GetProperty("field").GetString().ShouldBe("flashPrice");
        (await (await admin.PostAsJsonAsync("/api/flash-sales", new
        {
            name = "x", sku = "S", originalPrice = 10m, flashPrice = 5m, stock = 5, startsAt = ScoreKit.Now, endsAt = ScoreKit.Now.AddHours(-1),
        })).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("endsAt");

        var saleId = await admin.SaleAsync(stock: 3);
        (await (await admin.PostAsJsonAsync($"/api/flash-sales/{saleId}/attempts", new { })).ProblemAsync(HttpStatusCode.BadRequest))
            .GetProperty("field").GetString().ShouldBe("customerId");
        (await admin.AttemptAsync(saleId, Guid.NewGuid())).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await admin.AttemptAsync(Guid.NewGuid(), buyers[0])).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        await admin.ReservedAsync(saleId, buyers[0]);
        await admin.ReservedAsync(saleId, buyers[1]);
        (await (await admin.PutAsJsonAsync($"/api/flash-sales/{saleId}", new { stock = 1 })).ProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("2");
        (await (await admin.PutAsJsonAsync($"/api/flash-sales/{saleId}", new { stock = 2 })).ReadAsync<JsonElement>()).GetProperty("remaining").GetInt32().ShouldBe(0);
        (await (await admin.AttemptAsync(saleId, buyers[2])).RefusalAsync()).ShouldBe(RefusalReasons.SoldOut);

        var other = await server.CreateWorkspaceAsync("other");
        (await other.AdminClient().GetAsync($"/api/flash-sales/{saleId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}

internal static class TaskListExtensions
{
    /// <summary>Runs an action on a value and returns it (starts the crowd once every request task exists).</summary>
    public static T Also<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}
