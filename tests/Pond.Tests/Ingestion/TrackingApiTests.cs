using System.Net;
using System.Text;
using Pond.Storage;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Ingestion;

public sealed class TrackingApiTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task IdentifyThenTrack_AppearAsCustomerEventsWithTraitsApplied(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var ws = server.Workspace;
        using var client = ws.TrackingClient();

        await client.SendOkAsync("/v1/identify", new
        {
            userId = "u-1", messageId = "m-identify", timestamp = "2026-11-01T08:00:00Z",
            traits = new { name = "林小雨", email = "Rain@Example.COM", phone = "+86 138-0013-8000", city = "杭州" },
        });
        await client.SendOkAsync("/v1/track", new
        {
            userId = "u-1", messageId = "m-track", @event = "Product Viewed", timestamp = "2026-11-02T09:30:00Z",
            properties = new { sku = "LIP-01" },
        });
        (await server.CountAsync("SELECT COUNT(*) FROM event_log")).ShouldBe(2);
        (await server.CountAsync("SELECT COUNT(*) FROM customers")).ShouldBe(0, "events are applied by the processor, not by the request");

        (await server.ProcessAsync()).ShouldBe(2);

        var customerId = await server.CustomerOfAsync(ws.Id, "user_id", "u-1");
        customerId.ShouldNotBeNull();
        (await server.CustomerOfAsync(ws.Id, "email", "rain@example.com")).ShouldBe(customerId);
        (await server.CustomerOfAsync(ws.Id, "phone", "13800138000")).ShouldBe(customerId);
        (await server.ScalarAsync<string>("SELECT display_name FROM customers WHERE id = @customerId", new { customerId })).ShouldBe("林小雨");
        var traits = await server.ScalarAsync<string>("SELECT traits FROM customers WHERE id = @customerId", new { customerId }) ?? "";
        traits.ShouldContain("\"city\":\"杭州\"");
        (await server.ScalarAsync<long>("SELECT first_seen_at FROM customers WHERE id = @customerId", new { customerId }))
            .ShouldBe(DateTimeOffset.Parse("2026-11-01T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());
        (await server.ScalarAsync<long>("SELECT last_seen_at FROM customers WHERE id = @customerId", new { customerId }))
            .ShouldBe(DateTimeOffset.Parse("2026-11-02T09:30:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());

        var events = await server.QueryAsync<(string Type, string? Name, string Properties)>(
            "SELECT type, name, properties FROM customer_events WHERE customer_id = @customerId ORDER BY occurred_at", new { customerId });
        events.Count.ShouldBe(2);
        events[0].Type.ShouldBe("identify");
        events[1].Type.ShouldBe("track");
        events[1].Name.ShouldBe("Product Viewed");
        events[1].Properties.ShouldContain("LIP-01");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Batch_ResentWithSameMessageIds_ChangesNothing(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var client = server.Workspace.TrackingClient();
        var batch = new
        {
            batch = Enumerable.Range(0, 20).Select(i => new
            {
                type = "track", userId = $"u-{i % 5}", messageId = $"m-{i}", @event = "Order Completed",
                properties = new { total = 99.5 },
            }).ToArray(),
        };

        await client.SendOkAsync("/v1/batch", batch);
        await server.ProcessAsync();
        var before = await server.SnapshotAsync();
        (await server.CountAsync("SELECT COUNT(*) FROM event_log")).ShouldBe(20);

        await client.SendOkAsync("/v1/batch", batch);
        (await server.CountAsync("SELECT COUNT(*) FROM event_log")).ShouldBe(20);
        (await server.ProcessAsync()).ShouldBe(0);
        (await server.SnapshotAsync()).ShouldBe(before);
        (await server.CountAsync("SELECT COUNT(*) FROM customers")).ShouldBe(5);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events")).ShouldBe(20);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Message_Over32KB_IsRejectedWithTheLimitNamed(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var client = server.Workspace.TrackingClient();
        var big = new string('x', 33 * 1024);

        using var single = await client.PostAsync("/v1/track", new { userId = "u", @event = "Big", properties = new { big } });
        var (status, detail) = await IngestionKit.ProblemAsync(single);
        status.ShouldBe(HttpStatusCode.BadRequest);
        detail.ShouldContain("32 KB");

        using var inBatch = await client.PostAsync("/v1/batch", new
        {
            batch = new object[]
            {
                new { type = "track", userId = "u", @event = "Small" },
                new { type = "track", userId = "u", @event = "Big", properties = new { big } },
            },
        });
        (status, detail) = await IngestionKit.ProblemAsync(inBatch);
        status.ShouldBe(HttpStatusCode.BadRequest);
        detail.ShouldContain("batch[1]");
        detail.ShouldContain("32 KB");
        (await server.CountAsync("SELECT COUNT(*) FROM event_log")).ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Batch_Over500KB_IsRejectedWithTheLimitNamed(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var client = server.Workspace.TrackingClient();
        var filler = new string('y', 20 * 1024);
        var batch = new { batch = Enumerable.Range(0, 26).Select(i => new { type = "track", userId = "u", @event = "E", messageId = $"m{i}", properties = new { filler } }).ToArray() };

        using var response = await client.PostAsync("/v1/batch", batch);
        var (status, detail) = await IngestionKit.ProblemAsync(response);
        status.ShouldBe(HttpStatusCode.BadRequest);
        detail.ShouldContain("500 KB");
        (await server.CountAsync("SELECT COUNT(*) FROM event_log")).ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Batch_MessageWithoutUserOrAnonymousId_IsRejectedWholeNamingTheIndex(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var client = server.Workspace.TrackingClient();
        var batch = new
        {
            batch = new object[]
            {
                new { type = "identify", userId = "u-0" },
                new { type = "track", anonymousId = "a-1", @event = "Opened" },
                new { type = "page", anonymousId = "a-2", name = "Home" },
                new { type = "track", @event = "Nobody" },
            },
        };

        using var response = await client.PostAsync("/v1/batch", batch);
        var (status, detail) = await IngestionKit.ProblemAsync(response);
        status.ShouldBe(HttpStatusCode.BadRequest);
        detail.ShouldContain("batch[3]: userId or anonymousId is required");
        detail.ShouldContain("nothing was stored");
        (await server.CountAsync("SELECT COUNT(*) FROM event_log")).ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BadInput_GetsProblemDetailsNotServerErrors(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var client = server.Workspace.TrackingClient();

        using var malformed = await client.PostAsync("/v1/batch", "{\"batch\": [ {\"type\": ");
        (await IngestionKit.ProblemAsync(malformed)).Status.ShouldBe(HttpStatusCode.BadRequest);

        using var notBatch = await client.PostAsync("/v1/batch", new { messages = Array.Empty<object>() });
        (await IngestionKit.ProblemAsync(notBatch)).Detail.ShouldContain("\"batch\"");

        using var form = new StringContent("userId=u", Encoding.UTF8, "application/x-www-form-urlencoded");
        using var wrongContent = await client.PostAsync("/v1/track", form);
        wrongContent.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);

        using var badTime = await client.PostAsync("/v1/track", new { userId = "u", @event = "E", timestamp = "yesterday" });
        (await IngestionKit.ProblemAsync(badTime)).Detail.ShouldContain("timestamp must be an ISO 8601 date");

        using var noEvent = await client.PostAsync("/v1/track", new { userId = "u" });
        (await IngestionKit.ProblemAsync(noEvent)).Detail.ShouldContain("\"event\"");

        using var badCarrier = await client.PostAsync("/v1/track", new { userId = "u", @event = "Relationship Started", properties = new { carrier_kind = "pigeon", carrier_id = "x" } });
        (await IngestionKit.ProblemAsync(badCarrier)).Detail.ShouldContain("carrier_kind");

        (await server.CountAsync("SELECT COUNT(*) FROM event_log")).ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task WriteKey_UnknownGets401_BodyWriteKeyIsAccepted(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);

        using var wrong = server.Client().WithBasic("wk_not-a-real-key");
        using var rejected = await wrong.PostAsync("/v1/track", new { userId = "u", @event = "E" });
        (await IngestionKit.ProblemAsync(rejected)).Status.ShouldBe(HttpStatusCode.Unauthorized);

        using var anonymous = server.Client();
        using var noKey = await anonymous.PostAsync("/v1/track", new { userId = "u", @event = "E" });
        noKey.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        using var secretAsWrite = server.Client().WithBasic(server.Workspace.SecretKey);
        using var wrongKind = await secretAsWrite.PostAsync("/v1/track", new { userId = "u", @event = "E" });
        wrongKind.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // analytics.js without a header puts the key in the body.
        await anonymous.SendOkAsync("/v1/track", new { writeKey = server.Workspace.WriteKey, userId = "u", @event = "E", messageId = "body-key" });
        (await server.CountAsync("SELECT COUNT(*) FROM event_log")).ShouldBe(1);
        (await server.ScalarAsync<string>("SELECT payload FROM event_log") ?? "").ShouldNotContain(server.Workspace.WriteKey);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task GzipBatchAndBeaconTextPlain_AreAccepted(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var client = server.Workspace.TrackingClient();
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { batch = new[] { new { type = "track", userId = "u", @event = "Zipped", messageId = "gz-1" } } });
        using var compressed = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            await gzip.WriteAsync(json);
        using var zipped = new ByteArrayContent(compressed.ToArray());
        zipped.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        zipped.Headers.ContentEncoding.Add("gzip");
        using (var response = await client.PostAsync("/v1/batch", zipped))
            response.StatusCode.ShouldBe(HttpStatusCode.OK);

        using var beacon = new StringContent($"{{\"writeKey\":\"{server.Workspace.WriteKey}\",\"userId\":\"u\",\"name\":\"Home\",\"messageId\":\"beacon-1\"}}", Encoding.UTF8, "text/plain");
        using (var response = await server.Client().PostAsync("/v1/page", beacon))
            response.StatusCode.ShouldBe(HttpStatusCode.OK);

        (await server.CountAsync("SELECT COUNT(*) FROM event_log WHERE message_id IN ('gz-1', 'beacon-1')")).ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task WriteKeyOfOneWorkspace_WritesIntoThatWorkspaceOnly(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var other = await server.CreateWorkspaceAsync("other");
        using var client = other.TrackingClient();

        await client.SendOkAsync("/v1/identify", new { userId = "shared-user", messageId = "m-1", traits = new { name = "Other's" } });
        await server.ProcessAsync();

        (await server.CountAsync("SELECT COUNT(*) FROM event_log WHERE workspace_id = @Id", new { other.Id })).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM event_log WHERE workspace_id = @Id", new { server.Workspace.Id })).ShouldBe(0);
        (await server.CountAsync("SELECT COUNT(*) FROM customers WHERE workspace_id = @Id", new { other.Id })).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM customers WHERE workspace_id = @Id", new { server.Workspace.Id })).ShouldBe(0);

        // The same user id in the first workspace is a different customer: identities never cross workspaces.
        using var lily = server.Workspace.TrackingClient();
        await lily.SendOkAsync("/v1/identify", new { userId = "shared-user", messageId = "m-1", traits = new { name = "Lily's" } });
        await server.ProcessAsync();
        var inLily = await server.CustomerOfAsync(server.Workspace.Id, "user_id", "shared-user");
        var inOther = await server.CustomerOfAsync(other.Id, "user_id", "shared-user");
        inLily.ShouldNotBeNull();
        inOther.ShouldNotBeNull();
        inLily.ShouldNotBe(inOther);
        (await server.ScalarAsync<string>("SELECT display_name FROM customers WHERE id = @inOther", new { inOther })).ShouldBe("Other's");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Timestamp_Absent_IsCorrectedForClockSkewFromSentAt(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var client = server.Workspace.TrackingClient();
        // The device clock runs a year fast; the event happened 10 minutes before the batch was sent.
        var before = DateTimeOffset.UtcNow;
        await client.SendOkAsync("/v1/batch", new
        {
            sentAt = "2027-11-23T10:10:00Z",
            batch = new[] { new { type = "track", userId = "u", @event = "E", messageId = "skewed", originalTimestamp = "2027-11-23T10:00:00Z" } },
        });
        var after = DateTimeOffset.UtcNow;

        var occurred = await server.ScalarAsync<long>("SELECT occurred_at FROM event_log WHERE message_id = 'skewed'");
        occurred.ShouldBeGreaterThanOrEqualTo((before - TimeSpan.FromMinutes(10)).ToUnixTimeMilliseconds() - 1);
        occurred.ShouldBeLessThanOrEqualTo((after - TimeSpan.FromMinutes(10)).ToUnixTimeMilliseconds() + 1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ConcurrentBatches_AreAllDurableWhenAcknowledged(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        const int senders = 8;
        const int batchesEach = 10;
        const int perBatch = 50;

        await Task.WhenAll(Enumerable.Range(0, senders).Select(async sender =>
        {
            using var client = server.Workspace.TrackingClient();
            for (var b = 0; b < batchesEach; b++)
            {
                await client.SendOkAsync("/v1/batch", new
                {
                    batch = Enumerable.Range(0, perBatch).Select(i => new
                    {
                        type = "track", anonymousId = $"a-{sender}-{i % 7}", @event = "Tick", messageId = $"{sender}-{b}-{i}",
                    }).ToArray(),
                });
            }
        }));

        // Every acknowledged event is in the log, each once, in one gap-free sequence.
        (await server.CountAsync("SELECT COUNT(*) FROM event_log")).ShouldBe(senders * batchesEach * perBatch);
        (await server.CountAsync("SELECT COUNT(DISTINCT message_id) FROM event_log")).ShouldBe(senders * batchesEach * perBatch);
        (await server.ProcessAsync()).ShouldBe(senders * batchesEach * perBatch);
        (await server.CountAsync("SELECT COUNT(*) FROM customers")).ShouldBe(senders * 7);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BackgroundProcessor_AppliesEventsWithoutBeingAsked(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, runEngines: true);
        using var client = server.Workspace.TrackingClient();
        await client.SendOkAsync("/v1/identify", new { userId = "bg", messageId = "bg-1", traits = new { nickname = "小鱼" } });

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        string? name = null;
        while (DateTime.UtcNow < deadline && name is null)
        {
            name = await server.ScalarAsync<string>("SELECT display_name FROM customers");
            if (name is null)
                await Task.Delay(50);
        }

        name.ShouldBe("小鱼");
    }
}
