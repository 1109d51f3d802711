using Dapper;
using Pond.Audience;
using Pond.Journeys;
using Pond.Storage;

namespace Pond.Server.Demo;

/// <summary>
/// The demo brand's journeys (旅程): four of the shipped templates made live — the Luckin coupon ladder, new friend →
/// first order in 3 days, birthday gift and win-back — with demo customers enrolled (the win-back journey takes the
/// "沉睡高价值" segment) and the engine run once, so each dashboard shows customers waiting in steps, coupons issued and
/// messages queued. A fifth template (replenishment) stays a draft to edit. Run after DemoAudience and DemoCoupons.
/// </summary>
internal static class DemoJourneys
{
    private const string Actor = "demo";

    internal sealed record Result(IReadOnlyDictionary<string, Guid> Journeys, int Enrolled, long Steps);

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
        return new Result(journeys, enrolled, steps);
    }
}
