using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Audience;

/// <summary>A clock the test moves by hand (FakeTimeProvider does not restore here).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

internal static class ScoreKit
{
    /// <summary>
    /// Today at 04:00 UTC: near the real time, because sign-in cookies and data-protection keys are dated by the same
    /// clock and must stay valid.
    /// </summary>
    public static readonly DateTimeOffset Now = new(DateTime.UtcNow.Date.AddHours(4), TimeSpan.Zero);

    /// <summary>A server whose every engine reads the manual clock.</summary>
    public static Task<PondServer> StartAsync(DbEngine engine, ManualClock clock, bool runEngines = false) =>
        PondServer.StartAsync(engine, (options, services) =>
        {
            services.AddSingleton<TimeProvider>(clock);
            Workspaces.TestSignIn.Configure(options, services);
        }, runEngines);

    /// <summary>
    /// An order as the order book and the event processor leave it: an orders row (paid = <paramref name="revenue"/>,
    /// what the score engine reads) and its Order Completed timeline row (what tells the engine to rescore). Returns the order id.
    /// </summary>
    public static async Task<string> OrderAsync(this TestWorkspace workspace, Guid customerId, DateTimeOffset at, decimal revenue)
    {
        var orderId = Guid.NewGuid().ToString("N")[..10];
        var fen = Money.ToFen(revenue);
        await using var connection = await workspace.Server.Service<Database>().OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO orders (id, workspace_id, order_id, customer_id, placed_at, sales_channel, private_domain, currency, subtotal, discount, shipping,
                paid, refunded, status, source, message_id, created_at, updated_at)
            VALUES (@id, @workspaceId, @orderId, @customerId, @at, 'mini_program', @privateDomain, 'CNY', @fen, 0, 0, @fen, 0, 'completed', 'api', @messageId, @at, @at)
            """,
            new { id = Guid.CreateVersion7(at), workspaceId = workspace.Id, orderId, customerId, at, privateDomain = true, fen, messageId = $"order:{orderId}" });
        await connection.ExecuteAsync(
            """
            INSERT INTO customer_events (workspace_id, customer_id, message_id, type, name, occurred_at, properties)
            VALUES (@workspaceId, @customerId, @messageId, 'track', 'Order Completed', @at, @properties)
            """,
            new
            {
                workspaceId = workspace.Id, customerId, messageId = $"order:{orderId}", at,
                properties = JsonSerializer.Serialize(new { order_id = orderId, revenue }),
            });
        return orderId;
    }

    public static async Task<Guid> BuyerAsync(this TestWorkspace workspace, CustomerSeed seed, string name, params (int DaysAgo, decimal Revenue)[] orders)
    {
        var id = await seed.CustomerAsync(name);
        foreach (var (days, revenue) in orders)
            await workspace.OrderAsync(id, Now.AddDays(-days), revenue);
        return id;
    }

    public static async Task<JsonElement> RecomputeAsync(this HttpClient client) =>
        await (await client.PostAsync("/api/rfm/recompute", null)).ReadAsync<JsonElement>();

    public static async Task<ScoreRowView?> ScoreAsync(this PondServer server, Guid customerId)
    {
        await using var connection = await server.Service<Database>().OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<ScoreRowView>(
            "SELECT recency_days AS RecencyDays, frequency AS Frequency, monetary AS Monetary, r AS R, f AS F, m AS M, rfm_cell AS RfmCell, lifecycle_stage AS Stage FROM customer_scores WHERE customer_id = @customerId",
            new { customerId });
    }

    public static Task<HttpResponseMessage> PutAsync(this HttpClient client, string url, object body) => client.PutAsJsonAsync(url, body);

    internal sealed class ScoreRowView
    {
        public long? RecencyDays { get; init; }
        public long? Frequency { get; init; }
        public long? Monetary { get; init; }
        public int? R { get; init; }
        public int? F { get; init; }
        public int? M { get; init; }
        public string? RfmCell { get; init; }
        public string Stage { get; init; } = "";
    }
}
