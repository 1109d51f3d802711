using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pond.Audience;

namespace Pond.Server.Demo;

/// <summary>The demo brand's segments: the ones a fashion label's operators actually keep, evaluated over the demo's customers.</summary>
internal static class DemoAudience
{
    private const string Actor = "demo";

    public static readonly (string Name, string Description, string? SyncTag, object Rule)[] Segments =
    [
        ("上海复购女性好友", "Shanghai women, friends of a shopping guide, bought twice in 90 days, not signed in for 14 days: ripe for a 1:1 follow-up.", null, new
        {
            all = new object[]
            {
                new { trait = "gender", op = "eq", value = "female" },
                new { trait = "city", op = "eq", value = "上海" },
                new { staff = "any" },
                new { @event = "Order Completed", within_days = 90, op = "gte", value = 2 },
                new { @event = "Signed In", measure = "last", op = "not_within_days", value = 14 },
            },
        }),
        ("近30天下单", "Bought in the last 30 days.", null, new { @event = "Order Completed", measure = "last", op = "within_days", value = 30 }),
        ("沉睡高价值", "Spent ¥1,000 or more but have not ordered for 60 days.", "挽回中", new
        {
            all = new object[]
            {
                new { @event = "Order Completed", measure = "sum", property = "revenue", op = "gte", value = 1000 },
                new { @event = "Order Completed", measure = "last", op = "older_than_days", value = 60 },
            },
        }),
        ("好友未下单", "Friends of a staff account who never ordered: first-order subsidies.", null, new
        {
            all = new object[]
            {
                new { depth = "friend" },
                new { @event = "Order Completed", measure = "last", op = "never" },
                new { consent = "subscribed" },
            },
        }),
        ("江浙沪小程序买家", "Jiangsu, Zhejiang and Shanghai customers who bought in the mini-program.", null, new
        {
            all = new object[]
            {
                new { trait = "province", op = "in", value = new[] { "江苏", "浙江", "上海" } },
                new { @event = "Order Completed", where = new[] { new { property = "channel", op = "eq", value = "mini_program" } }, op = "gte", value = 1 },
            },
        }),
        ("90后法式风", "Born 1990–1999 who like the French style.", null, new
        {
            all = new object[]
            {
                new { trait = "birthday", op = "between", value = new[] { "1990-01-01", "1999-12-31" } },
                new { trait = "style", op = "eq", value = "法式" },
            },
        }),
    ];

    public static async Task SetUpAsync(IServiceProvider services, Guid workspaceId)
    {
        var book = services.GetRequiredService<SegmentBook>();
        foreach (var (name, description, syncTag, rule) in Segments)
            await book.CreateAsync(workspaceId, new SegmentInput(name, description, JsonSerializer.SerializeToElement(rule), syncTag, null), Actor);
    }
}
