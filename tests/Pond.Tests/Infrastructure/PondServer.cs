using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Tests.Infrastructure;

/// <summary>
/// A real Pond server on 127.0.0.1 (a free port) over a fresh database on the chosen engine,
/// with one workspace, its owner, a write key and a secret key ready to use.
/// </summary>
internal sealed class PondServer : IAsyncDisposable
{
    public const string OwnerPassword = "correct-horse-battery";

    private PondServer(WebApplication app, Uri baseAddress, DbEngine engine, string dataDirectory)
    {
        App = app;
        BaseAddress = baseAddress;
        Engine = engine;
        DataDirectory = dataDirectory;
    }

    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public DbEngine Engine { get; }
    public string DataDirectory { get; }
    public TestWorkspace Workspace { get; private set; } = null!;

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public static async Task<PondServer> StartAsync(DbEngine engine, Action<PondOptions, IServiceCollection>? configure = null, bool runEngines = true)
    {
        var dataDirectory = Path.Combine(TestDatabase.RunFolder, $"server-{Guid.NewGuid():N}");
        var options = new PondOptions
        {
            DataDirectory = dataDirectory,
            Db = TestDatabase.NewConnectionString(engine),
            Urls = "http://127.0.0.1:0",
            RunEngines = runEngines,
        };
        var app = await PondHost.CreateAsync(options, services => configure?.Invoke(options, services));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new PondServer(app, new Uri(address), engine, dataDirectory);
        server.Workspace = await server.CreateWorkspaceAsync("lily");
        return server;
    }

    /// <summary>Creates another workspace with its own owner and keys (for isolation tests).</summary>
    public async Task<TestWorkspace> CreateWorkspaceAsync(string slug)
    {
        var workspaces = Service<WorkspaceService>();
        var ws = await workspaces.CreateWorkspaceAsync(slug, $"{slug} brand");
        var owner = $"owner@{slug}.test";
        await workspaces.AddMemberAsync(ws.Id, owner, OwnerPassword, Roles.Owner);
        var write = await workspaces.CreateKeyAsync(ws.Id, ApiKeyKinds.Write, "tests", "tests");
        var secret = await workspaces.CreateKeyAsync(ws.Id, ApiKeyKinds.Secret, "tests", "tests");
        return new TestWorkspace(this, ws, owner, write.PlainText, secret.PlainText);
    }

    public HttpClient Client() => new() { BaseAddress = BaseAddress };

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal sealed record TestWorkspace(PondServer Server, Workspace Workspace, string OwnerEmail, string WriteKey, string SecretKey)
{
    public Guid Id => Workspace.Id;

    /// <summary>A client for the tracking API, authenticated the way Segment SDKs do (write key as Basic user).</summary>
    public HttpClient TrackingClient()
    {
        var client = Server.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WriteKey + ":")));
        return client;
    }

    /// <summary>A client for the admin API with the workspace's secret key.</summary>
    public HttpClient AdminClient()
    {
        var client = Server.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SecretKey);
        return client;
    }
}
