using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Pond.Audience;
using Pond.Customers;
using Pond.Ingestion;
using Pond.Journeys;
using Pond.Storage;

namespace Pond.Server.Demo;

/// <summary>
/// The demo brand's journeys (旅程): four of the shipped templates made live — the Luckin coupon ladder, new friend →
/// first order in 3 days, birthday gift and win-back — with demo customers enrolled (the win-back journey takes the
/// "沉睡高价值" segment) and the engine run once, so each dashboard shows customers waiting in steps, coupons issued and
/// messages queued. Then some of them buy (real Order Completed events through the processor): first-order customers
/// convert on the journey's goal, ladder customers leave their wait for the buyers' branch. A fifth template
/// (replenishment) stays a draft to edit. Run after DemoAudience and DemoCoupons.
/// </summary>
internal static class DemoJourneys
{
    private const string Actor = "demo";

    internal sealed record Result(IReadOnlyDictionary<string, Guid> Journeys, int Enrolled, long Steps, int Orders);

    public static async Task<Result> SetUpAsync(IServiceProvider services, Guid workspaceId)
    {
        var templates = services.GetRequiredService<JourneyTemplates>();
        var catalog = services.GetRequiredService<JourneyCatalog>();
        var runs = services.GetRequiredService<JourneyRuns>();
        var engine = services.GetRequiredService<JourneyEngine>();
        var segments = services.GetRequiredService<SegmentBook>();
        var database = services.GetRequiredService<Database>();

        // The newest customers stand in for new friends and sign-ups; a spread of older ones for birthdays.
        List<Guid> customers;
        await using (var connection = await database.OpenAsync())
            customers = (await connection.QueryAsync<Guid>(
                "SELECT id FROM customers WHERE workspace_id = @workspaceId ORDER BY created_at DESC LIMIT 3000", new { workspaceId })).AsList();

        var journeys = new Dictionary<string, Guid>();
        var enrolled = 0;
        async Task<Guid> LiveAsync(string key)
        {
            var journey = await templates.CreateAsync(workspaceId, key, null, Actor);
            await catalog.PublishAsync(workspaceId, journey.Id, Actor);
            journeys[key] = journey.Id;
            return journey.Id;
        }

        async Task EnrollAsync(Guid journeyId, IEnumerable<Guid> who)
        {
            var list = who.ToList();
            if (list.Count > 0)
                enrolled += (await runs.EnrollAsync(workspaceId, journeyId, new EnrolmentInput { CustomerIds = list }, Actor)).Entered;
        }

        // Shares of the newest customers (at most 3,000): 40% ladder, 20% first order, a quarter of the next 20% birthdays,
        // the rest (or the sleeping high-value segment) win-back.
        var n = customers.Count;
        var ladder = await LiveAsync("luckin_ladder");
        await EnrollAsync(ladder, customers.Take(n * 4 / 10));
        var firstOrder = await LiveAsync("first_order_3_days");
        await EnrollAsync(firstOrder, customers.Skip(n * 4 / 10).Take(n * 2 / 10));
        var birthday = await LiveAsync("birthday_gift");
        await EnrollAsync(birthday, customers.Skip(n * 6 / 10).Take(n * 2 / 10).Where((_, i) => i % 4 == 0));
        var winBack = await LiveAsync("win_back");
        if ((await segments.ListAsync(workspaceId)).FirstOrDefault(s => s.Name == "沉睡高价值") is { } sleeping)
            enrolled += (await runs.EnrollAsync(workspaceId, winBack, new EnrolmentInput { SegmentId = sleeping.Id }, Actor)).Entered;
        else
            await EnrollAsync(winBack, customers.Skip(n * 8 / 10));
        journeys["replenishment"] = (await templates.CreateAsync(workspaceId, "replenishment", null, Actor)).Id;

        // Everyone's first steps now (coupons, points, messages), up to the first wait.
        var steps = await engine.RunDueAsync();

        // A quarter of the first-order customers and one in eight on the ladder buy; the engine moves the woken ones on.
        var buyers = customers.Skip(n * 4 / 10).Take(n * 2 / 10).Where((_, i) => i % 4 == 1)
            .Concat(customers.Take(n * 4 / 10).Where((_, i) => i % 8 == 3)).ToList();
        var orders = await BuyAsync(services, database, workspaceId, buyers);
        steps += await engine.RunDueAsync();
        return new Result(journeys, enrolled, steps, orders);
    }

    private static async Task<int> BuyAsync(IServiceProvider services, Database database, Guid workspaceId, List<Guid> buyers)
    {
        if (buyers.Count == 0)
            return 0;
        // Each buyer is named by an identity the event can carry as a trait: the union id of the loaded history, or the
        // WeCom external id of a friend the acquisition simulation added.
        string[] kinds = [IdentityKinds.WechatUnionId, IdentityKinds.WecomExternalUserId, IdentityKinds.Phone];
        List<IdentityRow> unions;
        await using (var connection = await database.OpenAsync())
            unions = (await connection.QueryAsync<IdentityRow>(
                database.IsSqlite
                    ? "SELECT customer_id, kind, value FROM identities WHERE workspace_id = @workspaceId AND customer_id IN (SELECT value FROM json_each(@ids))"
                    : "SELECT customer_id, kind, value FROM identities WHERE workspace_id = @workspaceId AND customer_id = ANY(@ids)",
                new { workspaceId, ids = database.IsSqlite ? (object)System.Text.Json.JsonSerializer.Serialize(buyers) : buyers.ToArray() }))
                .Where(i => kinds.Contains(i.Kind))
                .GroupBy(i => i.CustomerId)
                .Select(g => g.OrderBy(i => Array.IndexOf(kinds, i.Kind)).First())
                .OrderBy(i => buyers.IndexOf(i.CustomerId))
                .ToList();

        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var random = new Random(7);
        var orders = unions.Select((u, i) =>
        {
            var product = DemoCatalog.Products[random.Next(DemoCatalog.Products.Length)];
            var at = now;
            var messageId = $"demo-journey-order-{u.CustomerId:N}";
            var message = new JsonObject
            {
                ["type"] = "track", ["event"] = "Order Completed", ["messageId"] = messageId, ["timestamp"] = at.ToString("O", CultureInfo.InvariantCulture),
                ["context"] = new JsonObject { ["traits"] = new JsonObject { [u.Kind] = u.Value } },
                ["properties"] = new JsonObject
                {
                    ["order_id"] = $"LLJ{i + 1:000000}", ["revenue"] = product.Price, ["currency"] = "CNY", ["channel"] = "mini_program",
                    ["products"] = new JsonArray(new JsonObject
                    {
                        ["sku"] = product.Sku, ["name"] = product.Name, ["category"] = product.Category, ["price"] = product.Price, ["quantity"] = 1,
                    }),
                },
            };
            return new EventRecord(workspaceId, messageId, "track", now, at, message.ToJsonString());
        }).ToList();
        await using var events = new DemoEvents(services);
        await events.ApplyAsync(orders);
        return orders.Count;
    }

    private sealed class IdentityRow
    {
        public Guid CustomerId { get; init; }
        public string Kind { get; init; } = "";
        public string Value { get; init; } = "";
    }
}
