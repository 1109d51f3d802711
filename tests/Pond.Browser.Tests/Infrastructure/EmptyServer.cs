using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Pond.Server.Hosting;
using Pond.Storage;
using Pond.Tests.Infrastructure;

namespace Pond.Browser.Tests.Infrastructure;

/// <summary>
/// A Pond server with no users at all, as on first start: the only state in which /setup works.
/// (PondServer always creates a workspace and its owner.)
/// </summary>
internal sealed class EmptyServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDirectory;

    private EmptyServer(WebApplication app, string dataDirectory, Uri baseAddress)
    {
        _app = app;
        _dataDirectory = dataDirectory;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<EmptyServer> StartAsync()
    {
        var dataDirectory = Path.Combine(TestDatabase.RunFolder, $"empty-{Guid.NewGuid():N}");
        var app = await PondHost.CreateAsync(new PondOptions
        {
            DataDirectory = dataDirectory,
            Db = TestDatabase.NewConnectionString(DbEngine.Sqlite),
            Urls = "http://127.0.0.1:0",
            RunEngines = false,
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EmptyServer(app, dataDirectory, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
