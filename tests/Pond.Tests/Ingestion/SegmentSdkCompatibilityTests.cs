using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Ingestion;

/// <summary>
/// Segment's own Node SDK (@segment/analytics-node, unmodified, pinned in tests/sdk) pointed at Pond:
/// host = Pond's URL, write key = the workspace's. What it sends must reach the customer's 360 view.
/// </summary>
public sealed class SegmentSdkCompatibilityTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task SegmentNodeSdk_IdentifyAndTrack_AppearOnTheCustomer360(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var sdk = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../sdk"));
        var start = new ProcessStartInfo("node", ["send.mjs", server.BaseAddress.ToString().TrimEnd('/'), server.Workspace.WriteKey])
        {
            WorkingDirectory = sdk,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using (var node = Process.Start(start)!)
        {
            var output = await node.StandardOutput.ReadToEndAsync();
            var error = await node.StandardError.ReadToEndAsync();
            await node.WaitForExitAsync();
            node.ExitCode.ShouldBe(0, $"the SDK reported: {error}{output}");
        }

        // The server's own event processor applies the events; give it a bounded moment.
        using var admin = server.Workspace.AdminClient();
        JsonElement customer = default;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var page = await admin.GetFromJsonAsync<JsonElement>("/api/customers?search=13800138000");
            var items = page.GetProperty("items");
            if (items.GetArrayLength() == 1)
            {
                customer = items[0];
                break;
            }

            await Task.Delay(100);
        }

        customer.ValueKind.ShouldBe(JsonValueKind.Object, "the SDK's identify never produced a customer findable by phone");
        var id = customer.GetProperty("id").GetString();
        var detail = await admin.GetFromJsonAsync<JsonElement>($"/api/customers/{id}");
        detail.GetProperty("displayName").GetString().ShouldBe("林晓雯");
        detail.GetProperty("traits").GetProperty("city").GetString().ShouldBe("上海");
        var identities = detail.GetProperty("identities").EnumerateArray().Select(i => $"{i.GetProperty("kind").GetString()}:{i.GetProperty("value").GetString()}").ToList();
        identities.ShouldContain("user_id:sdk-user-1");
        identities.ShouldContain("phone:13800138000");

        JsonElement[] events = [];
        for (var attempt = 0; attempt < 100 && !events.Any(e => e.GetProperty("name").GetString() == "Order Completed"); attempt++)
        {
            events = (await admin.GetFromJsonAsync<JsonElement>($"/api/customers/{id}/events")).GetProperty("items").EnumerateArray().ToArray();
            await Task.Delay(100);
        }

        var order = events.Single(e => e.GetProperty("name").GetString() == "Order Completed");
        order.GetProperty("properties").GetProperty("order_id").GetString().ShouldBe("SDK-1001");
        events.ShouldContain(e => e.GetProperty("type").GetString() == "identify");
    }
}
