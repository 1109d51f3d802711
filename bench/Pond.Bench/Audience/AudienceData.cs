using System.Diagnostics;
using System.Globalization;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using Pond.Customers;
using Pond.Server.Demo;

namespace Pond.Bench.Audience;

/// <summary>
/// Loads a brand's audience straight into PostgreSQL with binary COPY: staff and their WeCom accounts, an
/// official account, group chats, customers with traits, a user_id identity and live relationships, and a
/// year of track events. Deterministic for a given size (fixed seeds); times are anchored at <see cref="Now"/>.
/// The timeline's secondary indexes are dropped for the load and rebuilt after it, as a DBA would.
/// </summary>
internal sealed class AudienceData(string connectionString, Guid workspaceId, DateTimeOffset now)
{
    public const int StaffCount = 12;
    public const int GroupCount = 40;

    private static readonly string[] Columns = ["Signed In", "Product Viewed", "Product Added", "Order Completed", "Coupon Viewed"];
    private static readonly string[] Coupons = ["NEW50", "VIP100", "SPRING30", "BDAY80", "FREESHIP"];
    private static readonly string[] SignInSources = ["mini_program", "mini_program", "mini_program", "app", "h5"];
    private static readonly string[] SalesChannels = ["mini_program", "mini_program", "mini_program", "tmall", "store"];

    public DateTimeOffset Now { get; } = now;
    public Guid[] Staff { get; } = new Guid[StaffCount];
    public Guid[] WecomAccounts { get; } = new Guid[StaffCount];
    public Guid OfficialAccount { get; private set; }
    public Guid[] Groups { get; } = new Guid[GroupCount];

    public sealed record Counts(int Customers, long Events, int Relationships, double LoadSeconds, double IndexSeconds);

    public async Task<Counts> LoadAsync(int customers, long events)
    {
        var clock = Stopwatch.StartNew();
        var random = new Random(20261123);
        var nowMs = Now.ToUnixTimeMilliseconds();
        var created = nowMs - 400L * 86_400_000;
        await using var admin = new NpgsqlConnection(connectionString);
        await admin.OpenAsync();

        for (var i = 0; i < StaffCount; i++)
        {
            Staff[i] = IdFrom(random);
            WecomAccounts[i] = IdFrom(random);
        }

        OfficialAccount = IdFrom(random);
        for (var i = 0; i < GroupCount; i++)
            Groups[i] = IdFrom(random);
        await admin.ExecuteAsync(
            """
            INSERT INTO staff (id, workspace_id, name, email, wecom_user_id, status, created_at, updated_at)
            SELECT s.id, @workspaceId, s.name, 'guide' || s.n || '@bench.local', 'Guide' || s.n, 'active', @created, @created
            FROM unnest(@ids, @names) WITH ORDINALITY AS s(id, name, n)
            """, new { workspaceId, ids = Staff, names = DemoCatalog.StaffNames.Take(StaffCount).ToArray(), created });
        var carrierRows = new List<(Guid Id, string Kind, string Name, string External, Guid? Owner)>();
        for (var i = 0; i < StaffCount; i++)
            carrierRows.Add((WecomAccounts[i], CarrierKinds.WecomAccount, $"企业微信·{DemoCatalog.StaffNames[i]}", $"Guide{i + 1:00}", Staff[i]));
        carrierRows.Add((OfficialAccount, CarrierKinds.OfficialAccount, "品牌公众号", "gh_bench", null));
        for (var i = 0; i < GroupCount; i++)
            carrierRows.Add((Groups[i], CarrierKinds.GroupChat, $"会员群{i + 1:00}", $"wrBenchGroup{i + 1:000}", Staff[i % StaffCount]));
        foreach (var c in carrierRows)
        {
            await admin.ExecuteAsync(
                """
                INSERT INTO carriers (id, workspace_id, kind, name, external_id, owner_staff_id, status, created_at, updated_at)
                VALUES (@Id, @workspaceId, @Kind, @Name, @External, @Owner, 'active', @created, @created)
                """, new { c.Id, workspaceId, c.Kind, c.Name, c.External, c.Owner, created });
        }

        // The timeline's secondary indexes (all but the primary key) are rebuilt after the load: far faster than maintaining them row by row.
        var dropped = (await admin.QueryAsync<IndexRow>(
            """
            SELECT indexname AS Name, indexdef AS Definition FROM pg_indexes
            WHERE tablename = 'customer_events' AND schemaname = current_schema()
              AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'customer_events'::regclass)
            """)).AsList();
        foreach (var index in dropped)
            await admin.ExecuteAsync($"DROP INDEX {index.Name}");
        Console.WriteLine($"[load] dropped {dropped.Count} timeline indexes: {string.Join(", ", dropped.Select(d => d.Name))}");

        var counts = EventCounts(customers, events);
        var cityWeight = DemoCatalog.Cities.Sum(c => c.Weight);
        long written = 0;
        var relationships = 0;
        var orderNo = 0;

        // Four COPY streams on four connections, written as the rows are generated: nothing is buffered.
        await using var c1 = await OpenAsync();
        await using var c2 = await OpenAsync();
        await using var c3 = await OpenAsync();
        await using var c4 = await OpenAsync();
        using (var customerCopy = c1.BeginBinaryImport(
                   "COPY customers (id, workspace_id, display_name, traits, owner_staff_id, depth, first_seen_at, last_seen_at, first_order_at, last_order_at, created_at, updated_at) FROM STDIN (FORMAT BINARY)"))
        using (var identityCopy = c2.BeginBinaryImport(
                   "COPY identities (id, workspace_id, customer_id, kind, scope, value, created_at) FROM STDIN (FORMAT BINARY)"))
        using (var relationshipCopy = c3.BeginBinaryImport(
                   "COPY relationships (id, workspace_id, customer_id, carrier_id, state, since, source_channel, created_at) FROM STDIN (FORMAT BINARY)"))
        using (var eventCopy = c4.BeginBinaryImport(
                   "COPY customer_events (workspace_id, customer_id, message_id, type, name, occurred_at, properties) FROM STDIN (FORMAT BINARY)"))
        {
            var times = new List<(long At, int Kind)>();
            var progressEvery = Math.Max(1, customers / 10);
            for (var i = 0; i < customers; i++)
            {
                var id = IdFrom(random);
                var joined = nowMs - (365L + random.Next(30)) * 86_400_000 - random.Next(86_400_000);
                var female = random.NextDouble() < 0.85;
                var age = 18 + (int)(27 * (random.NextDouble() + random.NextDouble()) / 2);
                var birthday = new DateOnly(Now.Year - age, 1 + random.Next(12), 1 + random.Next(28));
                var city = Pick(DemoCatalog.Cities, c => c.Weight, cityWeight, random);
                var size = DemoCatalog.Sizes[Math.Clamp((int)Math.Round(2 + (random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 1.6), 0, DemoCatalog.Sizes.Length - 1)];
                var style = DemoCatalog.Styles[random.Next(DemoCatalog.Styles.Length)];
                var channel = Pick(DemoCatalog.Channels, c => c.Weight, DemoCatalog.Channels.Sum(c => c.Weight), random).Channel;

                // Live relationships: a staff member's WeCom friend, a fan of the official account, a group member.
                var depth = Depth.None;
                Guid? owner = null;
                void Relationship(Guid carrier, Depth gives)
                {
                    var since = joined + random.Next(86_400_000);
                    relationshipCopy.StartRow();
                    relationshipCopy.Write(IdFrom(random), NpgsqlDbType.Uuid);
                    relationshipCopy.Write(workspaceId, NpgsqlDbType.Uuid);
                    relationshipCopy.Write(id, NpgsqlDbType.Uuid);
                    relationshipCopy.Write(carrier, NpgsqlDbType.Uuid);
                    relationshipCopy.Write("active", NpgsqlDbType.Text);
                    relationshipCopy.Write(since, NpgsqlDbType.Bigint);
                    relationshipCopy.Write(channel, NpgsqlDbType.Text);
                    relationshipCopy.Write(since, NpgsqlDbType.Bigint);
                    relationships++;
                    if (gives > depth)
                        depth = gives;
                }

                if (random.NextDouble() < 0.55)
                {
                    var account = random.Next(StaffCount);
                    Relationship(WecomAccounts[account], Depth.Friend);
                    owner = Staff[account];
                }

                if (random.NextDouble() < 0.60)
                    Relationship(OfficialAccount, Depth.Fan);
                if (random.NextDouble() < 0.25)
                    Relationship(Groups[random.Next(GroupCount)], Depth.Community);

                // Behaviour over the last 365 days.
                times.Clear();
                for (var e = 0; e < counts[i]; e++)
                {
                    var roll = random.Next(100);
                    var kind = roll switch { < 30 => 0, < 72 => 1, < 85 => 2, < 94 => 3, _ => 4 };
                    times.Add((nowMs - (long)(random.NextDouble() * 365 * 86_400_000), kind));
                }

                long? firstOrder = null, lastOrder = null;
                var lastSeen = joined;
                foreach (var (at, kind) in times)
                {
                    string properties;
                    var product = DemoCatalog.Products[random.Next(DemoCatalog.Products.Length)];
                    switch (kind)
                    {
                        case 0:
                            properties = $"{{\"source\":\"{SignInSources[random.Next(SignInSources.Length)]}\"}}";
                            break;
                        case 1:
                            properties = string.Create(CultureInfo.InvariantCulture, $"{{\"sku\":\"{product.Sku}\",\"category\":\"{product.Category}\",\"price\":{product.Price}}}");
                            break;
                        case 2:
                            properties = string.Create(CultureInfo.InvariantCulture, $"{{\"sku\":\"{product.Sku}\",\"price\":{product.Price},\"quantity\":1}}");
                            break;
                        case 3:
                        {
                            var revenue = product.Price;
                            if (random.NextDouble() < 0.35)
                                revenue += DemoCatalog.Products[random.Next(DemoCatalog.Products.Length)].Price;
                            if (random.NextDouble() < 0.4)
                                revenue = Math.Round(revenue * 0.85m, 2);
                            properties = string.Create(CultureInfo.InvariantCulture,
                                $"{{\"order_id\":\"B{++orderNo:D9}\",\"revenue\":{revenue},\"channel\":\"{SalesChannels[random.Next(SalesChannels.Length)]}\"}}");
                            firstOrder = firstOrder is null || at < firstOrder ? at : firstOrder;
                            lastOrder = lastOrder is null || at > lastOrder ? at : lastOrder;
                            break;
                        }

                        default:
                            properties = $"{{\"coupon\":\"{Coupons[random.Next(Coupons.Length)]}\"}}";
                            break;
                    }

                    eventCopy.StartRow();
                    eventCopy.Write(workspaceId, NpgsqlDbType.Uuid);
                    eventCopy.Write(id, NpgsqlDbType.Uuid);
                    eventCopy.Write(string.Create(CultureInfo.InvariantCulture, $"load-{written++}"), NpgsqlDbType.Text);
                    eventCopy.Write("track", NpgsqlDbType.Text);
                    eventCopy.Write(Columns[kind], NpgsqlDbType.Text);
                    eventCopy.Write(at, NpgsqlDbType.Bigint);
                    eventCopy.Write(properties, NpgsqlDbType.Text);
                    lastSeen = Math.Max(lastSeen, at);
                }

                var name = $"{DemoCatalog.Surnames[random.Next(DemoCatalog.Surnames.Length)]}{(female ? DemoCatalog.FemaleGiven[random.Next(DemoCatalog.FemaleGiven.Length)] : DemoCatalog.MaleGiven[random.Next(DemoCatalog.MaleGiven.Length)])}";
                var traits = string.Create(CultureInfo.InvariantCulture,
                    $"{{\"name\":\"{name}\",\"gender\":\"{(female ? "female" : "male")}\",\"city\":\"{city.City}\",\"province\":\"{city.Province}\",\"age\":{age},\"birthday\":\"{birthday:yyyy-MM-dd}\",\"size\":\"{size}\",\"style\":\"{style}\",\"first_channel\":\"{channel}\"}}");
                customerCopy.StartRow();
                customerCopy.Write(id, NpgsqlDbType.Uuid);
                customerCopy.Write(workspaceId, NpgsqlDbType.Uuid);
                customerCopy.Write(name, NpgsqlDbType.Text);
                customerCopy.Write(traits, NpgsqlDbType.Text);
                if (owner is { } staff)
                    customerCopy.Write(staff, NpgsqlDbType.Uuid);
                else
                    customerCopy.WriteNull();
                customerCopy.Write((short)depth, NpgsqlDbType.Smallint);
                customerCopy.Write(joined, NpgsqlDbType.Bigint);
                customerCopy.Write(lastSeen, NpgsqlDbType.Bigint);
                WriteNullable(customerCopy, firstOrder);
                WriteNullable(customerCopy, lastOrder);
                customerCopy.Write(joined, NpgsqlDbType.Bigint);
                customerCopy.Write(lastSeen, NpgsqlDbType.Bigint);

                identityCopy.StartRow();
                identityCopy.Write(IdFrom(random), NpgsqlDbType.Uuid);
                identityCopy.Write(workspaceId, NpgsqlDbType.Uuid);
                identityCopy.Write(id, NpgsqlDbType.Uuid);
                identityCopy.Write(IdentityKinds.UserId, NpgsqlDbType.Text);
                identityCopy.Write("", NpgsqlDbType.Text);
                identityCopy.Write(UserId(i), NpgsqlDbType.Text);
                identityCopy.Write(joined, NpgsqlDbType.Bigint);

                if ((i + 1) % progressEvery == 0)
                    Console.WriteLine($"[load] {i + 1:N0} / {customers:N0} customers, {written:N0} events, {clock.Elapsed.TotalSeconds:N0} s");
            }

            customerCopy.Complete();
            identityCopy.Complete();
            relationshipCopy.Complete();
            eventCopy.Complete();
        }

        var loadSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"[load] rows copied in {loadSeconds:N1} s; rebuilding indexes");
        clock.Restart();
        await using (var indexes = await OpenAsync())
        {
            await indexes.ExecuteAsync("SET maintenance_work_mem = '1GB'");
            foreach (var index in dropped)
                await TimedAsync(indexes, index.Name, index.Definition);
        }

        Console.WriteLine($"[load] indexes rebuilt in {clock.Elapsed.TotalSeconds:N1} s");
        return new Counts(customers, written, relationships, loadSeconds, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The user_id identity of the customer generated at <paramref name="index"/>; events sent later name customers by it.</summary>
    public static string UserId(int index) => string.Create(CultureInfo.InvariantCulture, $"u{index}");

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        // Large loads and index builds can run past any default command timeout.
        await connection.ExecuteAsync("SET statement_timeout = 0");
        return connection;
    }

    public static async Task TimedAsync(NpgsqlConnection connection, string label, string sql)
    {
        var clock = Stopwatch.StartNew();
        await connection.ExecuteAsync(sql, commandTimeout: 0);
        Console.WriteLine($"[load]   {label}: {clock.Elapsed.TotalSeconds:N1} s");
    }

    /// <summary>
    /// Events per customer: skewed (an exponential weight each, so a few are very active and many barely),
    /// summing to exactly <paramref name="events"/>.
    /// </summary>
    private static int[] EventCounts(int customers, long events)
    {
        var random = new Random(7);
        var weights = new double[customers];
        double total = 0;
        for (var i = 0; i < customers; i++)
            total += weights[i] = -Math.Log(1 - random.NextDouble());
        var counts = new int[customers];
        long assigned = 0;
        for (var i = 0; i < customers; i++)
            assigned += counts[i] = (int)(events * weights[i] / total);
        for (var i = 0; assigned < events; i = (i + 1) % customers, assigned++)
            counts[i]++;
        return counts;
    }

    private static void WriteNullable(NpgsqlBinaryImporter importer, long? value)
    {
        if (value is { } v)
            importer.Write(v, NpgsqlDbType.Bigint);
        else
            importer.WriteNull();
    }

    private static Guid IdFrom(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    private static T Pick<T>(IReadOnlyList<T> items, Func<T, int> weight, int total, Random random)
    {
        var roll = random.Next(total);
        foreach (var item in items)
        {
            roll -= weight(item);
            if (roll < 0)
                return item;
        }

        return items[^1];
    }

    private sealed class IndexRow
    {
        public string Name { get; init; } = "";
        public string Definition { get; init; } = "";
    }
}
