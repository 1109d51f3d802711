using System.Net;
using System.Net.Http.Json;
using Pond.Messaging;
using Pond.Storage;
using Pond.Tests.Audience;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Messaging;

internal sealed record MessagingScene(PondServer Server, ManualClock Clock, HttpClient Admin, CustomerSeed Seed) : IAsyncDisposable
{
    public TestWorkspace Workspace => Server.Workspace;

    public Task<int> DispatchAsync() => Server.Service<OutboxDispatcher>().DispatchDueAsync();

    public async Task<OutboxMessage> SendAsync(object message) =>
        await (await Admin.PostAsJsonAsync("/api/messages", message)).ReadAsync<OutboxMessage>(HttpStatusCode.Accepted);

    public Task<OutboxMessage> GetAsync(Guid id) => Admin.GetAsync<OutboxMessage>($"/api/outbox/{id}");

    public async Task<MessagingSettingsView> SettingsAsync(object settings) =>
        await (await Admin.PutAsJsonAsync("/api/messaging/settings", settings)).ReadAsync<MessagingSettingsView>();

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await Server.DisposeAsync();
    }
}

internal static class MessagingKit
{
    /// <summary>A server on a manual clock at <paramref name="at"/> (engines off: tests dispatch when they choose).</summary>
    public static async Task<MessagingScene> StartAsync(DbEngine engine, DateTimeOffset at)
    {
        var clock = new ManualClock(at);
        var server = await ScoreKit.StartAsync(engine, clock);
        return new MessagingScene(server, clock, server.Workspace.AdminClient(), new CustomerSeed(server.Workspace));
    }

    /// <summary>Today at hh:mm in Shanghai (the workspace's zone), as UTC: near the real date, so sign-in cookies stay valid.</summary>
    public static DateTimeOffset Shanghai(int hour, int minute = 0) =>
        new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddHours(hour - 8).AddMinutes(minute);
}
