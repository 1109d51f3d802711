using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Commerce.Coupons;

internal static class CouponKit
{
    public static async Task<JsonElement> CreateTemplateAsync(this HttpClient admin, object body) =>
        await (await admin.PostAsJsonAsync("/api/coupon-templates", body)).ReadAsync<JsonElement>(HttpStatusCode.Created);

    public static async Task<Guid> TemplateIdAsync(this HttpClient admin, object body) =>
        (await admin.CreateTemplateAsync(body)).GetProperty("id").GetGuid();

    public static async Task<string> IssueAsync(this HttpClient admin, Guid templateId, Guid customerId, string? key = null)
    {
        var issued = await (await admin.PostAsJsonAsync($"/api/coupon-templates/{templateId}/issue", new { customerId, idempotencyKey = key }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created);
        return issued.GetProperty("coupon").GetProperty("code").GetString()!;
    }

    public static object Cart(Guid customerId, string? orderId, params (string Sku, string? Category, decimal Price, int Quantity)[] items) =>
        new { customerId, orderId, items = items.Select(i => new { sku = i.Sku, category = i.Category, price = i.Price, quantity = i.Quantity }).ToArray() };

    public static Task<HttpResponseMessage> RedeemAsync(this HttpClient admin, string code, object cart) =>
        admin.PostAsJsonAsync($"/api/coupons/{code}/redeem", cart);

    public static async Task<JsonElement> TemplateAsync(this HttpClient admin, Guid id) => await admin.GetAsync<JsonElement>($"/api/coupon-templates/{id}");

    public static async Task<string> StatusAsync(this HttpClient admin, string code) =>
        (await admin.GetAsync<JsonElement>($"/api/coupons/{code}")).GetProperty("status").GetString()!;

    /// <summary>A plain amount-off template valid for 30 days from issue.</summary>
    public static object AmountOff(string name, decimal amount = 20, object? extra = null) =>
        Merge(new { name, kind = "amount", amount, validDays = 30 }, extra);

    public static object Merge(object a, object? b)
    {
        var result = JsonSerializer.SerializeToNode(a, JsonSerializerOptions.Web)!.AsObject();
        if (b is not null)
            foreach (var (key, value) in JsonSerializer.SerializeToNode(b, JsonSerializerOptions.Web)!.AsObject())
                result[key] = value?.DeepClone();
        return result;
    }

    public static Task<PondServer> StartAsync(DbEngine engine) => PondServer.StartAsync(engine, runEngines: false);
}
