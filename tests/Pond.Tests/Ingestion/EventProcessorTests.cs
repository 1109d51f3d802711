using Pond.Customers;
using Pond.Ingestion;
using Pond.Storage;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Ingestion;

public sealed class EventProcessorTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TwoCustomersKnownByDifferentIdentities_BecomeOneWhenAnEventNamesBoth(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var ws = server.Workspace;
        using var client = ws.TrackingClient();

        // A shopper known only by phone (a WeCom add) and an app user known by user id.
        await client.SendOkAsync("/v1/batch", new
        {
            batch = new object[]
            {
                new { type = "identify", anonymousId = "wecom-1", messageId = "p-1", timestamp = "2026-10-01T00:00:00Z", traits = new { phone = "13800138000", name = "Phone Person", tier = "silver" } },
                new { type = "track", anonymousId = "wecom-1", messageId = "p-2", timestamp = "2026-10-02T00:00:00Z", @event = "Relationship Started", properties = new { carrier_kind = "wecom_account", carrier_id = "staff-amy" } },
            },
        });
        await server.ProcessAsync();
        await client.SendOkAsync("/v1/batch", new
        {
            batch = new object[]
            {
                new { type = "identify", userId = "app-42", messageId = "u-1", timestamp = "2026-10-03T00:00:00Z", traits = new { city = "上海" } },
                new { type = "track", userId = "app-42", messageId = "u-2", timestamp = "2026-10-04T00:00:00Z", @event = "Relationship Started", properties = new { carrier_kind = "wecom_account", carrier_id = "staff-amy" } },
                new { type = "track", userId = "app-42", messageId = "u-3", timestamp = "2026-10-05T00:00:00Z", @event = "Order Completed" },
            },
        });
        await server.ProcessAsync();
        var phoneCustomer = await server.CustomerOfAsync(ws.Id, "phone", "13800138000");
        var appCustomer = await server.CustomerOfAsync(ws.Id, "user_id", "app-42");
        phoneCustomer.ShouldNotBeNull();
        appCustomer.ShouldNotBeNull();
        phoneCustomer.ShouldNotBe(appCustomer);

        // The app user logs in and binds the phone (written with the country code).
        await client.SendOkAsync("/v1/identify", new
        {
            userId = "app-42", messageId = "bind", timestamp = "2026-10-06T00:00:00Z", traits = new { phone = "+86 138 0013 8000", tier = "gold" },
        });
        await server.ProcessAsync();

        (await server.CountAsync("SELECT COUNT(*) FROM customers")).ShouldBe(1);
        var survivor = await server.CustomerOfAsync(ws.Id, "user_id", "app-42");
        survivor.ShouldBe(phoneCustomer, "the older customer survives");
        (await server.CustomerOfAsync(ws.Id, "anonymous_id", "wecom-1")).ShouldBe(survivor);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE customer_id = @survivor", new { survivor })).ShouldBe(6);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE customer_id = @appCustomer", new { appCustomer })).ShouldBe(0);
        (await server.CountAsync("SELECT COUNT(*) FROM identities WHERE customer_id = @appCustomer", new { appCustomer })).ShouldBe(0);

        // Both had a live friendship with the same staff account: one stays live, the duplicate is ended by the system.
        (await server.CountAsync("SELECT COUNT(*) FROM relationships WHERE customer_id = @survivor AND state = 'active'", new { survivor })).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM relationships WHERE customer_id = @survivor AND state = 'ended' AND ended_by = 'system'", new { survivor })).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM relationships WHERE customer_id = @appCustomer", new { appCustomer })).ShouldBe(0);

        var merge = await server.QueryAsync<(Guid Survivor, Guid Merged, string Identities, string MessageId)>(
            "SELECT survivor_id, merged_id, identities, message_id FROM customer_merges");
        merge.Count.ShouldBe(1);
        merge[0].Survivor.ShouldBe(phoneCustomer!.Value);
        merge[0].Merged.ShouldBe(appCustomer!.Value);
        merge[0].MessageId.ShouldBe("bind");
        merge[0].Identities.ShouldContain("13800138000");
        merge[0].Identities.ShouldContain("app-42");

        var traits = await server.ScalarAsync<string>("SELECT traits FROM customers WHERE id = @survivor", new { survivor }) ?? "";
        traits.ShouldContain("\"city\":\"上海\"");
        traits.ShouldContain("\"tier\":\"gold\"");
        (await server.ScalarAsync<string>("SELECT display_name FROM customers WHERE id = @survivor", new { survivor })).ShouldBe("Phone Person");
        (await server.ScalarAsync<long>("SELECT depth FROM customers WHERE id = @survivor", new { survivor })).ShouldBe((long)Depth.Friend);
        (await server.ScalarAsync<long?>("SELECT first_order_at FROM customers WHERE id = @survivor", new { survivor })).ShouldNotBeNull();

        // Replaying the whole log (a checkpoint lost) changes nothing.
        var before = await server.SnapshotAsync();
        await server.ExecuteAsync("UPDATE processor_checkpoints SET position = 0");
        (await server.ProcessAsync()).ShouldBe(6);
        (await server.SnapshotAsync()).ShouldBe(before);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_merges")).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Alias_MergesTheAnonymousVisitorIntoTheUser(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var ws = server.Workspace;
        using var client = ws.TrackingClient();

        await client.SendOkAsync("/v1/page", new { anonymousId = "visitor-9", messageId = "pg-1", name = "Landing", timestamp = "2026-09-01T00:00:00Z" });
        await client.SendOkAsync("/v1/identify", new { userId = "member-9", messageId = "id-1", timestamp = "2026-09-02T00:00:00Z", traits = new { email = "m9@example.com" } });
        await server.ProcessAsync();
        (await server.CountAsync("SELECT COUNT(*) FROM customers")).ShouldBe(2);

        await client.SendOkAsync("/v1/alias", new { userId = "member-9", previousId = "visitor-9", messageId = "al-1", timestamp = "2026-09-03T00:00:00Z" });
        await server.ProcessAsync();

        (await server.CountAsync("SELECT COUNT(*) FROM customers")).ShouldBe(1);
        var customer = await server.CustomerOfAsync(ws.Id, "user_id", "member-9");
        (await server.CustomerOfAsync(ws.Id, "anonymous_id", "visitor-9")).ShouldBe(customer);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE customer_id = @customer", new { customer })).ShouldBe(3);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_merges WHERE message_id = 'al-1'")).ShouldBe(1);

        // Later events under the old anonymous id land on the same customer.
        await client.SendOkAsync("/v1/screen", new { anonymousId = "visitor-9", messageId = "sc-1", name = "Cart" });
        await server.ProcessAsync();
        (await server.CountAsync("SELECT COUNT(*) FROM customers")).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task RelationshipStartedAndEnded_KeepDepthAtTheDeepestLiveRelationship(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var ws = server.Workspace;
        using var client = ws.TrackingClient();

        async Task<long> DepthAfterAsync(string messageId, string name, string kind, string carrier)
        {
            await client.SendOkAsync("/v1/track", new
            {
                userId = "fan-1", messageId, @event = name,
                properties = new { carrier_kind = kind, carrier_id = carrier, source_channel = "package-card-11", ended_by = "customer" },
            });
            await server.ProcessAsync();
            return await server.ScalarAsync<long>("SELECT depth FROM customers");
        }

        (await DepthAfterAsync("r1", "Relationship Started", "official_account", "gh_brand")).ShouldBe((long)Depth.Fan);
        (await DepthAfterAsync("r2", "Relationship Started", "wecom_account", "staff-amy")).ShouldBe((long)Depth.Friend);
        (await DepthAfterAsync("r3", "Relationship Started", "group_chat", "vip-group-3")).ShouldBe((long)Depth.Friend);
        (await DepthAfterAsync("r4", "Relationship Ended", "wecom_account", "staff-amy")).ShouldBe((long)Depth.Community);
        (await DepthAfterAsync("r5", "Relationship Ended", "group_chat", "vip-group-3")).ShouldBe((long)Depth.Fan);
        (await DepthAfterAsync("r6", "Relationship Ended", "official_account", "gh_brand")).ShouldBe((long)Depth.None);

        // Carriers nobody registered were created from the events rather than dropped.
        (await server.CountAsync("SELECT COUNT(*) FROM carriers WHERE workspace_id = @Id", new { ws.Id })).ShouldBe(3);
        (await server.ScalarAsync<string>("SELECT name FROM carriers WHERE external_id = 'staff-amy'")).ShouldBe("staff-amy");
        (await server.CountAsync("SELECT COUNT(*) FROM relationships WHERE state = 'ended' AND ended_by = 'customer'")).ShouldBe(3);
        (await server.ScalarAsync<string>("SELECT source_channel FROM relationships WHERE carrier_id = (SELECT id FROM carriers WHERE external_id = 'staff-amy')"))
            .ShouldBe("package-card-11");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Consent_OptOutTraitOrUnsubscribedEvent_SetsMarketingOptOut(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        using var client = server.Workspace.TrackingClient();
        await client.SendOkAsync("/v1/batch", new
        {
            batch = new object[]
            {
                new { type = "identify", userId = "a", messageId = "1", traits = new { marketing_opt_out = true } },
                new { type = "track", userId = "b", messageId = "2", @event = "Unsubscribed" },
                new { type = "identify", userId = "c", messageId = "3", traits = new { marketing_opt_out = true } },
                new { type = "identify", userId = "c", messageId = "4", traits = new { marketing_opt_out = false } },
            },
        });
        await server.ProcessAsync();

        (await server.CountAsync("SELECT COUNT(*) FROM customers WHERE marketing_opt_out = @yes AND opted_out_at IS NOT NULL", new { yes = true })).ShouldBe(2);
        var c = await server.CustomerOfAsync(server.Workspace.Id, "user_id", "c");
        (await server.CountAsync("SELECT COUNT(*) FROM customers WHERE id = @c AND marketing_opt_out = @no AND opted_out_at IS NULL", new { c, no = false })).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Processor_RestartedMidStream_EndsInTheSameStateAsOnePass(DbEngine engine)
    {
        var messages = StreamWithMerges();
        await using var onePass = await IngestionKit.StartAsync(engine);
        using (var client = onePass.Workspace.TrackingClient())
            await client.SendOkAsync("/v1/batch", new { batch = messages });
        (await onePass.ProcessAsync()).ShouldBe(messages.Length);
        var expected = await onePass.SnapshotAsync();

        await using var interrupted = await IngestionKit.StartAsync(engine);
        using (var client = interrupted.Workspace.TrackingClient())
            await client.SendOkAsync("/v1/batch", new { batch = messages });
        var database = interrupted.Service<Database>();
        var resolver = interrupted.Service<IdentityResolver>();
        // Small batches so the stop falls between committed batches, as a crash would.
        using (var first = new EventProcessor(database, resolver, new Pond.Audience.AudienceChanges(), interrupted.Service<Pond.Commerce.OrderBook>(), interrupted.Service<Pond.Fission.ReferralEngine>(), interrupted.Service<Pond.Journeys.JourneyEntries>(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<EventProcessor>.Instance) { BatchSize = 7, MaxBatchSize = 7 })
            (await first.ProcessPendingAsync(maxEvents: 23)).ShouldBe(23);
        (await interrupted.ScalarAsync<long>("SELECT position FROM processor_checkpoints")).ShouldBeGreaterThan(0);

        using (var restarted = new EventProcessor(database, resolver, new Pond.Audience.AudienceChanges(), interrupted.Service<Pond.Commerce.OrderBook>(), interrupted.Service<Pond.Fission.ReferralEngine>(), interrupted.Service<Pond.Journeys.JourneyEntries>(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<EventProcessor>.Instance) { BatchSize = 7, MaxBatchSize = 7 })
            (await restarted.ProcessPendingAsync()).ShouldBe(messages.Length - 23);
        (await interrupted.SnapshotAsync()).ShouldBe(expected);

        await interrupted.ExecuteAsync("UPDATE processor_checkpoints SET position = 0");
        (await interrupted.ProcessAsync()).ShouldBe(messages.Length);
        (await interrupted.SnapshotAsync()).ShouldBe(expected);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OneBatch_SameNewPersonInSeveralEvents_IsOneCustomerWithTraitsAppliedInOrder(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var ws = server.Workspace;
        using var client = ws.TrackingClient();
        await client.SendOkAsync("/v1/batch", new
        {
            batch = new object[]
            {
                new { type = "identify", userId = "new-1", messageId = "n-1", timestamp = "2026-10-01T00:00:00Z", traits = new { name = "First", tier = "silver", city = "北京" } },
                new { type = "track", userId = "new-1", messageId = "n-2", timestamp = "2026-10-02T00:00:00Z", @event = "Order Completed" },
                new { type = "identify", userId = "new-1", messageId = "n-3", timestamp = "2026-10-03T00:00:00Z", traits = new { tier = "gold", city = (string?)null, phone = "13800138001" } },
                // Known only by the phone the previous event of this batch attached.
                new { type = "identify", anonymousId = "device-1", messageId = "n-4", timestamp = "2026-10-04T00:00:00Z", traits = new { phone = "13800138001", name = "Second" } },
                new { type = "track", userId = "new-1", messageId = "n-5", timestamp = "2026-09-30T00:00:00Z", @event = "Order Completed" },
            },
        });
        (await server.ProcessAsync()).ShouldBe(5);

        (await server.CountAsync("SELECT COUNT(*) FROM customers")).ShouldBe(1);
        var c = await server.CustomerOfAsync(ws.Id, "user_id", "new-1");
        c.ShouldNotBeNull();
        (await server.CustomerOfAsync(ws.Id, "phone", "13800138001")).ShouldBe(c);
        (await server.CustomerOfAsync(ws.Id, "anonymous_id", "device-1")).ShouldBe(c);
        (await server.CountAsync("SELECT COUNT(*) FROM identities")).ShouldBe(3);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE customer_id = @c", new { c })).ShouldBe(5);
        (await server.ScalarAsync<string>("SELECT traits FROM customers WHERE id = @c", new { c }))
            .ShouldBe("""{"name":"Second","tier":"gold","phone":"13800138001"}""");
        (await server.ScalarAsync<string>("SELECT display_name FROM customers WHERE id = @c", new { c })).ShouldBe("Second");
        var at = (string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        (await server.ScalarAsync<long>("SELECT first_seen_at FROM customers WHERE id = @c", new { c })).ShouldBe(at("2026-09-30T00:00:00Z"));
        (await server.ScalarAsync<long>("SELECT last_seen_at FROM customers WHERE id = @c", new { c })).ShouldBe(at("2026-10-04T00:00:00Z"));
        (await server.ScalarAsync<long>("SELECT first_order_at FROM customers WHERE id = @c", new { c })).ShouldBe(at("2026-09-30T00:00:00Z"));
        (await server.ScalarAsync<long>("SELECT last_order_at FROM customers WHERE id = @c", new { c })).ShouldBe(at("2026-10-02T00:00:00Z"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OneBatch_MergeBetweenItsEvents_LaterEventsOfTheBatchLandOnTheSurvivor(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var ws = server.Workspace;
        using var client = ws.TrackingClient();
        await client.SendOkAsync("/v1/batch", new
        {
            batch = new object[]
            {
                new { type = "identify", anonymousId = "a-1", messageId = "m-1", timestamp = "2026-10-01T00:00:00Z", traits = new { phone = "13800138002", name = "Anon" } },
                new { type = "identify", userId = "u-1", messageId = "m-2", timestamp = "2026-10-02T00:00:00Z", traits = new { email = "u1@example.com", tier = "silver" } },
                new { type = "page", userId = "u-1", messageId = "m-3", timestamp = "2026-10-03T00:00:00Z", name = "Home" },
                new { type = "identify", userId = "u-1", messageId = "m-4", timestamp = "2026-10-04T00:00:00Z", traits = new { phone = "13800138002" } },
                new { type = "track", anonymousId = "a-1", messageId = "m-5", timestamp = "2026-10-05T00:00:00Z", @event = "Order Completed" },
                new { type = "identify", userId = "u-1", messageId = "m-6", timestamp = "2026-10-06T00:00:00Z", traits = new { tier = "gold" } },
                new { type = "identify", anonymousId = "a-2", messageId = "m-7", timestamp = "2026-10-07T00:00:00Z", traits = new { email = "U1@example.com" } },
            },
        });
        (await server.ProcessAsync()).ShouldBe(7);

        (await server.CountAsync("SELECT COUNT(*) FROM customers")).ShouldBe(1);
        var c = await server.CustomerOfAsync(ws.Id, "user_id", "u-1");
        c.ShouldNotBeNull();
        foreach (var (kind, value) in new[] { ("anonymous_id", "a-1"), ("anonymous_id", "a-2"), ("phone", "13800138002"), ("email", "u1@example.com") })
            (await server.CustomerOfAsync(ws.Id, kind, value)).ShouldBe(c);
        (await server.CountAsync("SELECT COUNT(*) FROM identities")).ShouldBe(5);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE customer_id = @c", new { c })).ShouldBe(7);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_merges WHERE survivor_id = @c AND message_id = 'm-4'", new { c })).ShouldBe(1);
        var traits = await server.ScalarAsync<string>("SELECT traits FROM customers WHERE id = @c", new { c }) ?? "";
        traits.ShouldContain("\"tier\":\"gold\"");
        traits.ShouldContain("\"name\":\"Anon\"");
        (await server.ScalarAsync<long?>("SELECT first_order_at FROM customers WHERE id = @c", new { c })).ShouldNotBeNull();

        var before = await server.SnapshotAsync();
        await server.ExecuteAsync("UPDATE processor_checkpoints SET position = 0");
        (await server.ProcessAsync()).ShouldBe(7);
        (await server.SnapshotAsync()).ShouldBe(before);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OneBatch_TwoWorkspacesWithTheSameIdentity_KeepTheirCustomersApart(DbEngine engine)
    {
        await using var server = await IngestionKit.StartAsync(engine);
        var lily = server.Workspace;
        var rose = await server.CreateWorkspaceAsync("rose");
        using var lilyClient = lily.TrackingClient();
        using var roseClient = rose.TrackingClient();
        // Already known in lily before the batch: the batch mixes a known and an unknown customer with the same identity.
        await lilyClient.SendOkAsync("/v1/identify", new { userId = "same", messageId = "l-0", timestamp = "2026-10-01T00:00:00Z", traits = new { tier = "lily-old" } });
        await server.ProcessAsync();

        await lilyClient.SendOkAsync("/v1/identify", new { userId = "same", messageId = "l-1", timestamp = "2026-10-02T00:00:00Z", traits = new { tier = "lily", phone = "13800138003" } });
        await roseClient.SendOkAsync("/v1/identify", new { userId = "same", messageId = "r-1", timestamp = "2026-10-03T00:00:00Z", traits = new { tier = "rose", phone = "13800138003" } });
        await lilyClient.SendOkAsync("/v1/track", new { userId = "same", messageId = "shared", timestamp = "2026-10-04T00:00:00Z", @event = "Order Completed" });
        await roseClient.SendOkAsync("/v1/track", new { anonymousId = "only-rose", messageId = "shared", timestamp = "2026-10-05T00:00:00Z", @event = "Product Viewed", context = new { traits = new { phone = "13800138003" } } });
        (await server.ProcessAsync()).ShouldBe(4);

        (await server.CountAsync("SELECT COUNT(*) FROM customers")).ShouldBe(2);
        var inLily = await server.CustomerOfAsync(lily.Id, "user_id", "same");
        var inRose = await server.CustomerOfAsync(rose.Id, "user_id", "same");
        inLily.ShouldNotBeNull();
        inRose.ShouldNotBeNull();
        inLily.ShouldNotBe(inRose);
        (await server.CustomerOfAsync(lily.Id, "phone", "13800138003")).ShouldBe(inLily);
        (await server.CustomerOfAsync(rose.Id, "phone", "13800138003")).ShouldBe(inRose);
        (await server.CustomerOfAsync(rose.Id, "anonymous_id", "only-rose")).ShouldBe(inRose);
        (await server.CountAsync("SELECT COUNT(*) FROM customers WHERE id = @inLily AND workspace_id = @lily AND first_order_at IS NOT NULL", new { inLily, lily = lily.Id })).ShouldBe(1);
        (await server.CountAsync("SELECT COUNT(*) FROM customers WHERE id = @inRose AND workspace_id = @rose AND first_order_at IS NULL", new { inRose, rose = rose.Id })).ShouldBe(1);
        (await server.ScalarAsync<string>("SELECT traits FROM customers WHERE id = @inLily", new { inLily }) ?? "").ShouldContain("\"tier\":\"lily\"");
        (await server.ScalarAsync<string>("SELECT traits FROM customers WHERE id = @inRose", new { inRose }) ?? "").ShouldContain("\"tier\":\"rose\"");
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE customer_id = @inLily", new { inLily })).ShouldBe(3);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_events WHERE customer_id = @inRose", new { inRose })).ShouldBe(2);
        (await server.CountAsync("SELECT COUNT(*) FROM customer_merges")).ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task WholeStreamInOneBatch_EndsInTheSameStateAsOneEventPerBatch(DbEngine engine)
    {
        var messages = StreamWithMerges();
        await using var oneByOne = await IngestionKit.StartAsync(engine);
        using (var client = oneByOne.Workspace.TrackingClient())
            await client.SendOkAsync("/v1/batch", new { batch = messages });
        using (var processor = new EventProcessor(
            oneByOne.Service<Database>(), oneByOne.Service<IdentityResolver>(), new Pond.Audience.AudienceChanges(), oneByOne.Service<Pond.Commerce.OrderBook>(), oneByOne.Service<Pond.Fission.ReferralEngine>(), oneByOne.Service<Pond.Journeys.JourneyEntries>(), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<EventProcessor>.Instance) { BatchSize = 1, MaxBatchSize = 1 })
            (await processor.ProcessPendingAsync()).ShouldBe(messages.Length);

        await using var together = await IngestionKit.StartAsync(engine);
        using (var client = together.Workspace.TrackingClient())
            await client.SendOkAsync("/v1/batch", new { batch = messages });
        (await together.ProcessAsync()).ShouldBe(messages.Length);

        (await together.SnapshotAsync()).ShouldBe(await oneByOne.SnapshotAsync());
        (await together.CountAsync("SELECT COUNT(*) FROM customer_merges")).ShouldBe(await oneByOne.CountAsync("SELECT COUNT(*) FROM customer_merges"));
    }

    [Theory]
    [InlineData("13800138000", "13800138000")]
    [InlineData("+86 138-0013-8000", "13800138000")]
    [InlineData("8613800138000", "13800138000")]
    [InlineData("0086 13800138000", "13800138000")]
    [InlineData("(021) 6288-0000", "02162880000")]
    [InlineData("+1 415 555 0100", "14155550100")]
    public void Phone_IsNormalisedToDigitsWithoutTheChinaPrefix(string raw, string expected) =>
        MessageIdentities.NormalisePhone(raw).ShouldBe(expected);

    /// <summary>Forty messages over a handful of people, with traits, relationships, orders and three merges.</summary>
    private static object[] StreamWithMerges()
    {
        var start = DateTimeOffset.Parse("2026-06-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var list = new List<object>();
        var n = 0;
        string Next() => $"s-{n++:D3}";
        string At() => IngestionKit.Iso(start.AddMinutes(n));
        for (var p = 0; p < 5; p++)
        {
            list.Add(new { type = "identify", anonymousId = $"anon-{p}", messageId = Next(), timestamp = At(), traits = new { name = $"Person {p}", phone = $"1390000000{p}", score = p } });
            list.Add(new { type = "page", anonymousId = $"anon-{p}", messageId = Next(), timestamp = At(), name = "Home" });
            list.Add(new { type = "identify", userId = $"user-{p}", messageId = Next(), timestamp = At(), traits = new { email = $"p{p}@example.com", score = p * 10 } });
            list.Add(new { type = "track", userId = $"user-{p}", messageId = Next(), timestamp = At(), @event = "Relationship Started", properties = new { carrier_kind = "group_chat", carrier_id = $"group-{p % 2}" } });
        }

        for (var p = 0; p < 5; p++)
        {
            list.Add(new { type = "track", userId = $"user-{p}", messageId = Next(), timestamp = At(), @event = "Order Completed" });
            if (p < 3)
                list.Add(new { type = "alias", userId = $"user-{p}", previousId = $"anon-{p}", messageId = Next(), timestamp = At() });
            list.Add(new { type = "track", anonymousId = $"anon-{p}", messageId = Next(), timestamp = At(), @event = "Relationship Started", properties = new { carrier_kind = "group_chat", carrier_id = $"group-{p % 2}" } });
            list.Add(new { type = "group", userId = $"user-{p}", groupId = "household-1", messageId = Next(), timestamp = At(), traits = new { size = 3 } });
        }

        while (list.Count < 40)
            list.Add(new { type = "track", userId = "user-4", messageId = Next(), timestamp = At(), @event = "Relationship Ended", properties = new { carrier_kind = "group_chat", carrier_id = "group-0" } });
        return list.ToArray();
    }
}
