using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Testing;
using Pond.Workspaces;

namespace Pond.Bench;

/// <summary>The server a benchmark measures: Pond on loopback with its engines off, over a fresh database of the engine.</summary>
internal static class BenchServer
{
    /// <summary>Starts it; on PostgreSQL the connection pool is widened to at least <paramref name="clients"/>, so clients queue on the database, not the pool.</summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(DbEngine engine, string root, int clients = 20)
    {
        var db = engine == DbEngine.Postgres
            ? PostgresCluster.Instance.CreateDatabase().Replace("Maximum Pool Size=20", $"Maximum Pool Size={Math.Max(20, clients)}", StringComparison.Ordinal)
            : Database.SqliteFile(root);
        var options = new PondOptions { DataDirectory = root, Db = db, Urls = "http://127.0.0.1:0", RunEngines = false };
        var app = await PondHost.CreateAsync(options, services => services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning)));
        await app.StartAsync();
        return (app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
    }

    /// <summary>A workspace "bench" and an HTTP client with its secret key and room for <paramref name="clients"/> connections (the client owns its handler).</summary>
    public static async Task<(Workspace Workspace, HttpClient Client)> AdminClientAsync(WebApplication app, Uri address, int clients)
    {
        var workspaces = app.Services.GetRequiredService<WorkspaceService>();
        var workspace = await workspaces.CreateWorkspaceAsync("bench", "Bench");
        var key = await workspaces.CreateKeyAsync(workspace.Id, ApiKeyKinds.Secret, "bench", "bench");
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.PlainText);
        return (workspace, client);
    }
}
