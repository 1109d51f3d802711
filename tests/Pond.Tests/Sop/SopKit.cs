using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Pond.Sop;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Sop;

/// <summary>A server on a manual clock, with the times of the workspace's zone (Asia/Shanghai, UTC+8) at hand.</summary>
internal sealed class SopScene : IAsyncDisposable
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    private SopScene(PondServer server, ManualClock clock)
    {
        Server = server;
        Clock = clock;
        Seed = new CustomerSeed(server.Workspace);
        Admin = server.Workspace.AdminClient();
    }

    public PondServer Server { get; }
    public ManualClock Clock { get; }
    public CustomerSeed Seed { get; }
    public HttpClient Admin { get; }
    public Guid WorkspaceId => Server.Workspace.Id;

    /// <summary>The local day the test starts on (ScoreKit.Now is 12:00 there).</summary>
    public static DateOnly Today => DateOnly.FromDateTime(ScoreKit.Now.ToOffset(Offset).DateTime);

    public static async Task<SopScene> StartAsync(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        return new SopScene(await ScoreKit.StartAsync(engine, clock), clock);
    }

    /// <summary>The instant of a local time, <paramref name="day"/> days after today.</summary>
    public static DateTimeOffset Local(int day, string time) =>
        new DateTimeOffset(Today.AddDays(day).ToDateTime(TimeOnly.Parse(time, System.Globalization.CultureInfo.InvariantCulture)), Offset).ToUniversalTime();

    public void MoveTo(DateTimeOffset at)
    {
        (at >= Clock.GetUtcNow()).ShouldBeTrue("the clock only moves forward");
        Clock.Advance(at - Clock.GetUtcNow());
    }

    public Task<int> RunAsync() => Server.Service<SopEngine>().RunDueAsync();

    /// <summary>Moves to the local time and runs the engine once.</summary>
    public async Task<int> RunAtAsync(int day, string time)
    {
        MoveTo(Local(day, time));
        return await RunAsync();
    }

    public async Task<Guid> StaffAsync(string name, string? wecomUserId = null)
    {
        var id = await Seed.StaffAsync(name);
        if (wecomUserId is not null)
            await ExecAsync("UPDATE staff SET wecom_user_id = @wecomUserId WHERE id = @id", new { id, wecomUserId });
        return id;
    }

    public async Task<Guid> GroupAsync(string name, string chatId, Guid owner, params string[] tags)
    {
        var id = await Seed.CarrierAsync("group_chat", name, chatId, owner);
        (await Admin.PutAsJsonAsync($"/api/sop/groups/{id}/tags", new { tags })).StatusCode.ShouldBe(HttpStatusCode.OK);
        return id;
    }

    public Task ConnectWeComAsync() =>
        ExecAsync(
            "INSERT INTO wecom_connections (workspace_id, corp_id, token, encoding_aes_key, secret, updated_at) VALUES (@ws, 'ww-corp', 'token', @aes, 'secret', @now)",
            new { ws = WorkspaceId, aes = new string('a', 43), now = ScoreKit.Now });

    public async Task<Guid> ContentAsync(string title, string body = "内容")
    {
        var id = Guid.CreateVersion7();
        await ExecAsync(
            """
            INSERT INTO content_items (id, workspace_id, kind, title, body, data, tags, usage_count, archived, created_at, updated_at)
            VALUES (@id, @ws, 'poster', @title, @body, '{}', '[]', 0, @no, @now, @now)
            """, new { id, ws = WorkspaceId, title, body, no = false, now = ScoreKit.Now });
        return id;
    }

    public async Task<JsonElement> PlanAsync(object plan)
    {
        var response = await Admin.PostAsJsonAsync("/api/sop/plans", plan);
        return await response.ReadAsync<JsonElement>(HttpStatusCode.Created);
    }

    public async Task<List<TaskRow>> TasksAsync() =>
        (await QueryAsync<TaskRow>("SELECT id, staff_id, customer_id, group_chat_id, kind, title, body, content_id, source, dedupe_key, state, due_at FROM staff_tasks WHERE workspace_id = @ws ORDER BY due_at, dedupe_key",
            new { ws = WorkspaceId })).ToList();

    public async Task<List<OutboxRow>> OutboxAsync() =>
        (await QueryAsync<OutboxRow>("SELECT customer_id, channel, purpose, source, dedupe_key, payload, state, next_attempt_at FROM outbox WHERE workspace_id = @ws ORDER BY next_attempt_at, dedupe_key",
            new { ws = WorkspaceId })).ToList();

    public async Task ExecAsync(string sql, object? args = null)
    {
        await using var connection = await Server.Service<Database>().OpenAsync();
        await connection.ExecuteAsync(sql, args);
    }

    public async Task<IEnumerable<T>> QueryAsync<T>(string sql, object? args = null)
    {
        await using var connection = await Server.Service<Database>().OpenAsync();
        return (await connection.QueryAsync<T>(sql, args)).AsList();
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await Server.DisposeAsync();
    }
}

internal sealed class TaskRow
{
    public Guid Id { get; init; }
    public Guid? StaffId { get; init; }
    public Guid? CustomerId { get; init; }
    public string? GroupChatId { get; init; }
    public string Kind { get; init; } = "";
    public string Title { get; init; } = "";
    public string? Body { get; init; }
    public Guid? ContentId { get; init; }
    public string Source { get; init; } = "";
    public string DedupeKey { get; init; } = "";
    public string State { get; init; } = "";
    public DateTimeOffset DueAt { get; init; }
}

internal sealed class OutboxRow
{
    public Guid? CustomerId { get; init; }
    public string Channel { get; init; } = "";
    public string Purpose { get; init; } = "";
    public string? Source { get; init; }
    public string DedupeKey { get; init; } = "";
    public string Payload { get; init; } = "";
    public string State { get; init; } = "";
    public DateTimeOffset NextAttemptAt { get; init; }

    public JsonElement Json => JsonDocument.Parse(Payload).RootElement;
}
