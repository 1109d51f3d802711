using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Pond.Channels;
using Pond.Ingestion;
using Pond.WeCom;

namespace Pond.Server.Demo;

/// <summary>
/// Plays N days of acquisition for a workspace through Pond's real paths: scans go through the live-code landing
/// service (routing, caps, visits), and every add, group join, deletion and departure is a WeCom callback,
/// encrypted and signed with the workspace's connection and posted to /hooks/wecom over HTTP. First orders of new
/// friends are written to the event log as Order Completed events. Deterministic for a given seed.
/// </summary>
internal sealed class AcquisitionSimulator(ChannelCatalog catalog, LiveCodeLanding landing, WeComConnections connections, EventLogWriter log, TimeProvider clock)
{
    internal sealed record Result(int Scans, int Adds, int GroupJoins, int Deletions, int Orders, int Callbacks);

    /// <summary>Scans per day by channel kind, and the share of scans that become an add.</summary>
    private static readonly Dictionary<string, (double Scans, double AddRate)> Traffic = new()
    {
        [ChannelKinds.PackageCard] = (26, 0.46),
        [ChannelKinds.Kol] = (18, 0.31),
        [ChannelKinds.StorePoster] = (9, 0.58),
        [ChannelKinds.Sms] = (14, 0.22),
        [ChannelKinds.Livestream] = (16, 0.64),
        [ChannelKinds.Ad] = (20, 0.18),
    };

    private static readonly string[] Regions = ["上海", "浙江", "江苏", "北京", "广东", "四川"];

    public async Task<Result> RunAsync(Guid workspaceId, int days, HttpClient pond, int seed = 20261123, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        if (days is < 1 or > 365)
            throw new ValidationFailedException("Simulate between 1 and 365 days.", "days");
        var connection = await connections.GetAsync(workspaceId)
            ?? throw new ValidationFailedException("Connect WeCom for this workspace first (Settings → Connections): the simulator signs callbacks with its Token and key.");
        var wecom = new WeComCallbackBuilder(connection.CorpId, connection.Token, connection.EncodingAesKey);
        var codes = (await catalog.ListCodesAsync(workspaceId)).Where(c => c.Status == LiveCodeStatuses.Active).ToList();
        var channels = (await catalog.ListChannelsAsync(workspaceId)).ToDictionary(c => c.Id);
        if (codes.Count == 0)
            throw new ValidationFailedException("The workspace has no active live codes to simulate.");

        var random = new Random(seed);
        var now = clock.GetUtcNow();
        var scans = new List<(DateTimeOffset At, LiveCode Code, string Visitor, string Region)>();
        for (var day = days; day >= 0; day--)
        {
            var date = now.AddDays(-day);
            var weekend = date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 1.4 : 1.0;
            foreach (var code in codes)
            {
                var (perDay, _) = Traffic.GetValueOrDefault(channels[code.ChannelId].Kind, (10, 0.3));
                var count = (int)Math.Round(perDay * weekend * (0.6 + (random.NextDouble() * 0.8)));
                for (var i = 0; i < count; i++)
                {
                    // Daytime-heavy: most scans between 09:00 and 23:00 Beijing time.
                    var at = date.Date.AddHours(1 + (random.NextDouble() * 15)).AddMinutes(random.Next(60));
                    var stamp = new DateTimeOffset(at, TimeSpan.Zero);
                    if (stamp < now)
                        scans.Add((stamp, code, $"sim{seed}{random.NextInt64():x}", Regions[random.Next(Regions.Length)]));
                }
            }
        }

        scans.Sort((a, b) => a.At.CompareTo(b.At));
        var result = new Counter();
        var later = new List<(DateTimeOffset At, string Xml)>();
        var orders = new List<EventRecord>();
        var done = 0;
        foreach (var (at, code, visitor, region) in scans)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await FlushDueAsync(later, at, pond, workspaceId, wecom, result, cancellationToken);
            var landed = await landing.ScanAsync(code.Slug, visitor, region, at);
            result.Scans++;
            if (landed?.Target is not { } target || target.ExternalId is null)
                continue;
            var (_, addRate) = Traffic.GetValueOrDefault(channels[code.ChannelId].Kind, (10, 0.3));
            if (random.NextDouble() >= addRate)
                continue;
            var addedAt = at.AddMinutes(1 + random.Next(20));
            if (addedAt >= now)
                continue;
            var external = "wmSim" + Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64()));
            if (code.Kind == LiveCodeKinds.Group)
            {
                later.Add((addedAt, wecom.ChatAddMembers(target.ExternalId, [external], addedAt)));
                result.GroupJoins++;
                if (random.NextDouble() < 0.07)
                    AddIfPast(later, addedAt.AddHours(2 + (random.NextDouble() * 24 * 20)), now, t => wecom.ChatRemoveMembers(target.ExternalId, [external], t));
                continue;
            }

            later.Add((addedAt, wecom.AddExternalContact(target.ExternalId, external, addedAt, code.State, "sim" + random.Next(1_000_000, 9_999_999))));
            result.Adds++;
            var roll = random.NextDouble();
            if (roll < 0.09)
                AddIfPast(later, addedAt.AddHours(1 + (random.NextDouble() * 24 * 25)), now, t => wecom.DelFollowUser(target.ExternalId, external, t));
            else if (roll < 0.11)
                AddIfPast(later, addedAt.AddHours(1 + (random.NextDouble() * 24 * 10)), now, t => wecom.DelExternalContact(target.ExternalId, external, t));
            // New friends who buy: most first orders come within three days of adding (新客首单).
            if (random.NextDouble() < 0.2)
            {
                var orderAt = addedAt.AddHours(random.NextDouble() < 0.7 ? random.NextDouble() * 72 : 72 + (random.NextDouble() * 24 * 20));
                if (orderAt < now)
                    orders.Add(Order(workspaceId, external, orderAt, random, now));
            }

            progress?.Report(++done / (double)scans.Count);
        }

        await FlushDueAsync(later, DateTimeOffset.MaxValue, pond, workspaceId, wecom, result, cancellationToken);
        // Orders go in after the adds they follow, so each lands on a customer the processor already knows.
        await log.AppendAsync(orders, cancellationToken);
        return new Result(result.Scans, result.Adds, result.GroupJoins, result.Deletions, orders.Count, result.Callbacks);
    }

    private static void AddIfPast(List<(DateTimeOffset, string)> later, DateTimeOffset at, DateTimeOffset now, Func<DateTimeOffset, string> xml)
    {
        if (at < now)
            later.Add((at, xml(at)));
    }

    /// <summary>Posts, in time order, every callback due before <paramref name="until"/>.</summary>
    private static async Task FlushDueAsync(
        List<(DateTimeOffset At, string Xml)> later, DateTimeOffset until, HttpClient pond, Guid workspaceId, WeComCallbackBuilder wecom, Counter result,
        CancellationToken cancellationToken)
    {
        var due = later.Where(l => l.At <= until).OrderBy(l => l.At).ToList();
        if (due.Count == 0)
            return;
        later.RemoveAll(l => l.At <= until);
        foreach (var (at, xml) in due)
        {
            var signed = wecom.Sign(xml, at);
            using var response = await pond.PostAsync($"/hooks/wecom/{workspaceId}?{signed.Query}", new StringContent(signed.Body, Encoding.UTF8, "text/xml"), cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"Pond refused a simulated callback ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync(cancellationToken)}");
            result.Callbacks++;
            if (xml.Contains("del_follow_user", StringComparison.Ordinal) || xml.Contains("del_external_contact", StringComparison.Ordinal)
                || xml.Contains("del_member", StringComparison.Ordinal))
                result.Deletions++;
        }
    }

    private static EventRecord Order(Guid workspaceId, string externalUserId, DateTimeOffset at, Random random, DateTimeOffset now)
    {
        var product = DemoCatalog.Products[random.Next(DemoCatalog.Products.Length)];
        var quantity = random.NextDouble() < 0.8 ? 1 : 2;
        var revenue = product.Price * quantity;
        var id = $"sim-order-{externalUserId}";
        var message = new JsonObject
        {
            ["type"] = "track",
            ["event"] = TrackedEvents.OrderCompleted,
            ["messageId"] = id,
            ["timestamp"] = at.ToString("O", CultureInfo.InvariantCulture),
            ["context"] = new JsonObject { ["traits"] = new JsonObject { ["wecom_external_userid"] = externalUserId } },
            ["properties"] = new JsonObject
            {
                ["order_id"] = id, ["revenue"] = revenue, ["currency"] = "CNY", ["channel"] = "mini_program",
                ["products"] = new JsonArray(new JsonObject { ["sku"] = product.Sku, ["name"] = product.Name, ["category"] = product.Category, ["price"] = product.Price, ["quantity"] = quantity }),
            },
        };
        return new EventRecord(workspaceId, id, "track", now, at, message.ToJsonString());
    }

    private sealed class Counter
    {
        public int Scans { get; set; }
        public int Adds { get; set; }
        public int GroupJoins { get; set; }
        public int Deletions { get; set; }
        public int Callbacks { get; set; }
    }
}
