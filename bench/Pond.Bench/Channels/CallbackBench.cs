using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pond.Channels;
using Pond.Customers;
using Pond.Ingestion;
using Pond.Server.Hosting;
using Pond.Staff;
using Pond.Storage;
using Pond.WeCom;
using Pond.Workspaces;

namespace Pond.Bench.Channels;

/// <summary>
/// WeCom add callbacks through /hooks/wecom (signature check, AES decryption, XML parsing, event log, then the
/// processor crediting each add to its live code: relationship, acquisition, tags, welcome message) beside the
/// same adds sent as plain tracking-API events (/v1/track "Relationship Started", one per request like WeCom's),
/// in the same server, on SQLite. Callbacks are encrypted and signed before the clock starts, as WeCom would.
/// </summary>
internal static class CallbackBench
{
    public sealed record Settings(int Events = 20_000, int Senders = 8);

    public sealed record Side(string Path, int Events, double IngestSeconds, double ApplySeconds)
    {
        public double IngestRate => Events / IngestSeconds;
        public double ApplyRate => Events / ApplySeconds;
        public double EndToEndRate => Events / (IngestSeconds + ApplySeconds);
    }

    public static async Task<(Side Hooks, Side Tracking)> RunAsync(Settings settings)
    {
        var root = Path.Combine(Path.GetTempPath(), $"pond-bench-{Guid.NewGuid():N}");
        try
        {
            var options = new PondOptions
            {
                DataDirectory = root, Db = Database.SqliteFile(root), Urls = "http://127.0.0.1:0", RunEngines = false,
            };
            await using var app = await PondHost.CreateAsync(options, services => services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning)));
            await app.StartAsync();
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            var processor = app.Services.GetRequiredService<EventProcessor>();

            var hooksWorkspace = await SetUpAsync(app.Services, "hooks");
            var trackingWorkspace = await SetUpAsync(app.Services, "tracking");
            var key = await app.Services.GetRequiredService<WorkspaceService>().CreateKeyAsync(trackingWorkspace.Id, ApiKeyKinds.Write, "bench", "bench");
            var wecom = new WeComCallbackBuilder(CorpId, Token, AesKey);
            var start = DateTimeOffset.UtcNow.AddHours(-2);

            Console.WriteLine($"Preparing {settings.Events:N0} signed WeCom callbacks and {settings.Events:N0} tracking events…");
            List<(string Path, byte[] Body)> Callbacks(string prefix, int count) => Enumerable.Range(0, count).Select(i =>
            {
                var at = start.AddMilliseconds(i);
                var signed = wecom.Sign(wecom.AddExternalContact(UserIds[i % UserIds.Length], $"wm{prefix}{i:D7}", at, hooksWorkspace.State, $"W{i}"), at);
                return ($"/hooks/wecom/{hooksWorkspace.Id}?{signed.Query}", Encoding.UTF8.GetBytes(signed.Body));
            }).ToList();
            List<(string Path, byte[] Body)> Tracks(string prefix, int count) => Enumerable.Range(0, count).Select(i => ("/v1/track", JsonSerializer.SerializeToUtf8Bytes(new
            {
                messageId = $"{prefix}-{i}", anonymousId = $"wm{prefix}{i:D7}", @event = TrackedEvents.RelationshipStarted,
                timestamp = start.AddMilliseconds(i).ToString("O", CultureInfo.InvariantCulture),
                context = new { traits = new { wecom_external_userid = $"wm{prefix}{i:D7}" } },
                properties = new { carrier_kind = CarrierKinds.WecomAccount, carrier_id = UserIds[i % UserIds.Length], state = trackingWorkspace.State, welcome_code = $"W{i}" },
            }))).ToList();

            var warmHooks = Callbacks("warm", 2_000);
            var warmTracks = Tracks("warm", 2_000);
            var hooks = Callbacks("run", settings.Events);
            var tracks = Tracks("run", settings.Events);

            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = settings.Senders };
            using var client = new HttpClient(handler) { BaseAddress = address };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key.PlainText + ":")));

            // Warm both paths (JIT, connection pool, statement caches), apply the warm-up, then measure each side.
            await SendAllAsync(client, warmHooks, "text/xml", settings.Senders);
            await SendAllAsync(client, warmTracks, "application/json", settings.Senders);
            await processor.ProcessPendingAsync();

            var tracking = await MeasureAsync("/v1/track", client, tracks, "application/json", settings, processor);
            var callbacks = await MeasureAsync("/hooks/wecom", client, hooks, "text/xml", settings, processor);
            await app.StopAsync();
            return (callbacks, tracking);
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    public static string Table(Settings settings, Side hooks, Side tracking)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"SQLite, {settings.Events:N0} adds each, {settings.Senders} senders, one event per request. Load average at the end: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown")} on {Environment.ProcessorCount} cores.");
        text.AppendLine();
        text.AppendLine("| path | ingest events/s (ack = durable) | apply events/s (processor) | end to end events/s |");
        text.AppendLine("|---|---:|---:|---:|");
        foreach (var side in new[] { hooks, tracking })
            text.AppendLine(CultureInfo.InvariantCulture, $"| {side.Path} | {side.IngestRate:N0} | {side.ApplyRate:N0} | {side.EndToEndRate:N0} |");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| tracking ÷ callbacks | {tracking.IngestRate / hooks.IngestRate:N2}× | {tracking.ApplyRate / hooks.ApplyRate:N2}× | {tracking.EndToEndRate / hooks.EndToEndRate:N2}× |");
        return text.ToString();
    }

    private static async Task<Side> MeasureAsync(string path, HttpClient client, List<(string, byte[])> requests, string type, Settings settings, EventProcessor processor)
    {
        var clock = Stopwatch.StartNew();
        await SendAllAsync(client, requests, type, settings.Senders);
        var ingest = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var applied = await processor.ProcessPendingAsync();
        var apply = clock.Elapsed.TotalSeconds;
        if (applied != requests.Count)
            throw new InvalidOperationException($"{path}: applied {applied} of {requests.Count} events.");
        Console.WriteLine($"{path}: ingest {requests.Count / ingest:N0}/s, apply {requests.Count / apply:N0}/s");
        return new Side(path, requests.Count, ingest, apply);
    }

    private static async Task SendAllAsync(HttpClient client, List<(string Path, byte[] Body)> requests, string type, int senders)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, senders).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests.Count)
            {
                using var content = new ByteArrayContent(requests[i].Body);
                content.Headers.ContentType = new MediaTypeHeaderValue(type);
                using var response = await client.PostAsync(requests[i].Path, content);
                if (response.StatusCode != HttpStatusCode.OK)
                    throw new InvalidOperationException($"{requests[i].Path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }));
    }

    internal const string CorpId = "wwBench";
    internal const string Token = "BenchToken";
    internal const string AesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    internal static readonly string[] UserIds = ["guide01", "guide02", "guide03"];

    internal sealed record BenchWorkspace(Guid Id, string State, Guid CodeId);

    /// <summary>A workspace with WeCom connected, three staff accounts and a round-robin live code with tags and a welcome message.</summary>
    internal static async Task<BenchWorkspace> SetUpAsync(IServiceProvider services, string slug)
    {
        var workspace = await services.GetRequiredService<WorkspaceService>().CreateWorkspaceAsync(slug, slug);
        await services.GetRequiredService<WeComConnections>().SaveAsync(workspace.Id, new WeComConnectionInput { CorpId = CorpId, Token = Token, EncodingAesKey = AesKey }, "bench");
        var directory = services.GetRequiredService<StaffDirectory>();
        var members = new List<LiveCodeMemberInput>();
        foreach (var userId in UserIds)
        {
            var staff = await directory.CreateStaffAsync(workspace.Id, new StaffInput { Name = userId, WecomUserId = userId }, "bench");
            var carrier = await directory.CreateCarrierAsync(workspace.Id, new CarrierInput
            {
                Kind = CarrierKinds.WecomAccount, Name = userId, ExternalId = userId, OwnerStaffId = staff.Id,
            }, "bench");
            members.Add(new LiveCodeMemberInput { CarrierId = carrier.Id });
        }

        var catalog = services.GetRequiredService<ChannelCatalog>();
        var channel = await catalog.CreateChannelAsync(workspace.Id, new ChannelInput { Name = "包裹卡", Kind = ChannelKinds.PackageCard, Tags = ["包裹卡", "双11"] }, "bench");
        var code = await catalog.CreateCodeAsync(workspace.Id, new LiveCodeInput
        {
            ChannelId = channel.Id, Name = "包裹卡", Members = members, WelcomeText = "你好 {nickname}，我是{staff}",
        }, "bench");
        return new BenchWorkspace(workspace.Id, code.State, code.Id);
    }
}
