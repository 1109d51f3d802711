using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Pond.Loyalty;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Fission;

/// <summary>Helpers for the assist, bargain and lottery tests (docs/fission-games.md).</summary>
internal static class GameKit
{
    /// <summary>n customers first known at <paramref name="at"/> (the "new customer" rule compares this with the request's opening).</summary>
    public static async Task<List<Guid>> CustomersAtAsync(this TestWorkspace workspace, int n, DateTimeOffset at, string prefix)
    {
        var ids = Enumerable.Range(0, n).Select(_ => Guid.CreateVersion7()).ToList();
        await using var connection = await workspace.Server.Service<Database>().OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        for (var i = 0; i < n; i++)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO customers (id, workspace_id, display_name, traits, depth, marketing_opt_out, first_seen_at, last_seen_at, created_at, updated_at)
                VALUES (@id, @workspaceId, @name, '{}', 0, @no, @at, @at, @at, @at)
                """, new { id = ids[i], workspaceId = workspace.Id, name = $"{prefix}{i}", no = false, at }, transaction);
        }
        await transaction.CommitAsync();
        return ids;
    }

    public static async Task GivePointsAsync(this PondServer server, Guid customerId, long points) =>
        await server.Service<PointsBook>().AdjustAsync(server.Workspace.Id, customerId, points, "Test balance", $"seed:{customerId:N}", "test");

    public static async Task<long> BalanceAsync(this PondServer server, Guid customerId) =>
        (await server.Service<PointsBook>().BalanceAsync(server.Workspace.Id, customerId)).Balance;

    public static async Task<JsonElement> CreatedAsync(this HttpClient admin, string url, object body) =>
        await (await admin.PostAsJsonAsync(url, body)).ReadAsync<JsonElement>(HttpStatusCode.Created);

    public static async Task<string> ReasonAsync(this HttpResponseMessage response) =>
        (await response.ProblemAsync(HttpStatusCode.Conflict)).GetProperty("reason").GetString()!;

    /// <summary>Runs every call at once (released together) and returns status and body of each.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)[]> AllAtOnceAsync(IEnumerable<Func<Task<HttpResponseMessage>>> calls)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = calls.Select(call => Task.Run(async () =>
        {
            await start.Task;
            using var response = await call();
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone());
        })).ToList();
        start.SetResult();
        return await Task.WhenAll(tasks);
    }

    public static DateTimeOffset Start => ScoreKit.Now.AddHours(-1);
    public static DateTimeOffset End => ScoreKit.Now.AddDays(10);
}
