using System.Globalization;
using System.Text.Json;
using Dapper;
using Pond.Customers;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Server.Demo;

/// <summary>
/// Loads the demo brand: staff and their WeCom accounts, an official account, a mini-program, member groups and
/// tens of thousands of customers with identities, relationships and 12 months of behaviour. The content is
/// deterministic (a fixed seed); times are anchored to the moment of loading so "last 7 days" means something.
/// </summary>
internal sealed class DemoBrand(Database database, WorkspaceService workspaces, TimeProvider clock)
{
    public const int DefaultCustomers = 50_000;
    private const int Chunk = 2_500;

    internal sealed record Result(Workspace Workspace, int Customers, long Events, int Staff, int Groups, string WriteKey, string SecretKey);

    private sealed record Carrier(Guid Id, string Kind, string Name, string ExternalId, Guid? Owner, string? AppId);

    public static async Task<bool> IsLoadedAsync(Database database)
    {
        await using var connection = await database.OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM workspaces WHERE slug = @slug", new { slug = DemoCatalog.WorkspaceSlug }) > 0;
    }

    public async Task<Result> LoadAsync(int customerCount, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        if (customerCount is < 100 or > 2_000_000)
            throw new ValidationFailedException("The demo brand has between 100 and 2,000,000 customers.", "customers");
        if (await IsLoadedAsync(database))
            throw new ConflictException($"The demo workspace '{DemoCatalog.WorkspaceSlug}' is already loaded.");

        var now = clock.GetUtcNow();
        var random = new Random(20261123);
        var workspace = await workspaces.CreateWorkspaceAsync(DemoCatalog.WorkspaceSlug, DemoCatalog.WorkspaceName);
        var bulk = new BulkInserter(database);

        // Staff and the carriers they hold.
        var staff = DemoCatalog.StaffNames.Select(_ => Guid.CreateVersion7(now.AddDays(-400))).ToArray();
        await bulk.InsertAsync("staff", ["id", "workspace_id", "name", "email", "phone", "wecom_user_id", "status", "created_at", "updated_at"],
            staff.Select((id, i) => new object?[]
            {
                id, workspace.Id, DemoCatalog.StaffNames[i], $"guide{i + 1:00}@lily-fashion.cn", $"1391000{i + 1:0000}",
                $"LilyGuide{i + 1:00}", "active", Ms(now.AddDays(-400)), Ms(now.AddDays(-400)),
            }), cancellationToken);

        var carriers = new List<Carrier>
        {
            new(Guid.CreateVersion7(), CarrierKinds.OfficialAccount, "莉莉女装 公众号", "gh_lily_fashion", null, DemoCatalog.OfficialAccountAppId),
            new(Guid.CreateVersion7(), CarrierKinds.MiniProgram, "莉莉女装 商城小程序", "lily_mall", null, DemoCatalog.MiniProgramAppId),
            new(Guid.CreateVersion7(), CarrierKinds.Sms, "短信 106 通道", "sms_lily", null, null),
        };
        var wecom = staff.Select((id, i) => new Carrier(Guid.CreateVersion7(), CarrierKinds.WecomAccount,
            $"企业微信·{DemoCatalog.StaffNames[i]}", $"LilyGuide{i + 1:00}", id, null)).ToArray();
        var personas = new[]
        {
            new Carrier(Guid.CreateVersion7(), CarrierKinds.WechatAccount, "个人号·莉莉子01", "wxid_lilyzi01", staff[0], null),
            new Carrier(Guid.CreateVersion7(), CarrierKinds.WechatAccount, "个人号·莉莉子02", "wxid_lilyzi02", staff[1], null),
        };
        var groupCount = Math.Max(4, customerCount * 28 / 100 / 180 + 1);
        var groups = Enumerable.Range(0, groupCount).Select(i => new Carrier(Guid.CreateVersion7(), CarrierKinds.GroupChat,
            $"莉莉{DemoCatalog.GroupThemes[i % DemoCatalog.GroupThemes.Length]}{i / DemoCatalog.GroupThemes.Length + 1:00}",
            $"wrLilyGroup{i + 1:000}", staff[i % staff.Length], null)).ToArray();
        carriers.AddRange(wecom);
        carriers.AddRange(personas);
        carriers.AddRange(groups);
        await bulk.InsertAsync("carriers", ["id", "workspace_id", "kind", "name", "external_id", "app_id", "owner_staff_id", "status", "created_at", "updated_at"],
            carriers.Select(c => new object?[]
            {
                c.Id, workspace.Id, c.Kind, c.Name, c.ExternalId, c.AppId, c.Owner,
                c.ExternalId == "LilyGuide12" ? CarrierStatuses.Banned : CarrierStatuses.Active, Ms(now.AddDays(-400)), Ms(now.AddDays(-400)),
            }), cancellationToken);

        // People: the owner, a shopping guide who sees only her own customers, and an analyst.
        await workspaces.AddMemberAsync(workspace.Id, DemoCatalog.OwnerEmail, DemoCatalog.Password, Roles.Owner, "Demo 运营负责人", actor: "demo");
        await workspaces.AddMemberAsync(workspace.Id, DemoCatalog.StaffEmail, DemoCatalog.Password, Roles.Staff, DemoCatalog.StaffNames[0], staff[0], "demo");
        await workspaces.AddMemberAsync(workspace.Id, DemoCatalog.AnalystEmail, DemoCatalog.Password, Roles.Analyst, "数据分析师", actor: "demo");
        var writeKey = await workspaces.CreateKeyAsync(workspace.Id, ApiKeyKinds.Write, "demo mini-program", "demo");
        var secretKey = await workspaces.CreateKeyAsync(workspace.Id, ApiKeyKinds.Secret, "demo server", "demo");

        var generator = new CustomerGenerator(workspace.Id, now, random, carriers[0], carriers[1], wecom, personas, groups);
        long events = 0;
        for (var start = 0; start < customerCount; start += Chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = Enumerable.Range(start, Math.Min(Chunk, customerCount - start)).Select(generator.Generate).ToList();
            await bulk.InsertAsync("customers",
                ["id", "workspace_id", "display_name", "traits", "owner_staff_id", "depth", "marketing_opt_out", "opted_out_at",
                 "first_seen_at", "last_seen_at", "first_order_at", "last_order_at", "created_at", "updated_at"],
                batch.Select(c => c.Row), cancellationToken);
            await bulk.InsertAsync("identities", ["id", "workspace_id", "customer_id", "kind", "scope", "value", "created_at"],
                batch.SelectMany(c => c.Identities), cancellationToken);
            await bulk.InsertAsync("relationships",
                ["id", "workspace_id", "customer_id", "carrier_id", "state", "since", "ended_at", "ended_by", "source_channel", "created_at"],
                batch.SelectMany(c => c.Relationships), cancellationToken);
            await bulk.InsertAsync("customer_events", ["workspace_id", "customer_id", "message_id", "type", "name", "occurred_at", "properties"],
                batch.SelectMany(c => c.Events), cancellationToken);
            await bulk.InsertAsync("customer_merges", ["id", "workspace_id", "survivor_id", "merged_id", "identities", "message_id", "merged_at"],
                batch.SelectMany(c => c.Merges), cancellationToken);
            events += batch.Sum(c => c.Events.Count);
            progress?.Report(Math.Min(1.0, (start + batch.Count) / (double)customerCount));
        }

        // Fresh statistics after a bulk load, so both planners pick the selective indexes from the first query.
        await using (var connection = await database.OpenAsync(cancellationToken))
            await connection.ExecuteAsync("ANALYZE", commandType: System.Data.CommandType.Text);

        return new Result(workspace, customerCount, events, staff.Length, groups.Length, writeKey.PlainText, secretKey.PlainText);
    }

    private static long Ms(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    private sealed record GeneratedCustomer(object?[] Row, List<object?[]> Identities, List<object?[]> Relationships, List<object?[]> Events, List<object?[]> Merges);

    /// <summary>One customer's life in the pool: how they came, whom they befriended, what they did and bought.</summary>
    private sealed class CustomerGenerator(
        Guid workspaceId, DateTimeOffset now, Random random, Carrier officialAccount, Carrier miniProgram,
        Carrier[] wecom, Carrier[] personas, Carrier[] groups)
    {
        private readonly int[] _groupMembers = new int[groups.Length];
        private readonly int _channelWeight = DemoCatalog.Channels.Sum(c => c.Weight);
        private readonly int _cityWeight = DemoCatalog.Cities.Sum(c => c.Weight);
        private int _orders;

        public GeneratedCustomer Generate(int index)
        {
            // The pool grew over the year: later months bring more people (a square-root skew toward now).
            var ageDays = 365 * (1 - Math.Sqrt(random.NextDouble()));
            var joined = now.AddDays(-ageDays).AddMinutes(-random.Next(0, 600));
            var id = Guid.CreateVersion7(joined);
            var female = random.NextDouble() < 0.92;
            var name = DemoCatalog.Surnames[random.Next(DemoCatalog.Surnames.Length)]
                + (female ? DemoCatalog.FemaleGiven[random.Next(DemoCatalog.FemaleGiven.Length)] : DemoCatalog.MaleGiven[random.Next(DemoCatalog.MaleGiven.Length)]);
            var nickname = random.NextDouble() < 0.35 ? DemoCatalog.Nicknames[random.Next(DemoCatalog.Nicknames.Length)] : name;
            var age = 18 + (int)Math.Round(17 * Beta(2.2, 2.6));
            var birthday = new DateOnly(now.Year - age, 1 + random.Next(12), 1 + random.Next(28));
            var city = Pick(DemoCatalog.Cities, c => c.Weight, _cityWeight);
            var channel = Pick(DemoCatalog.Channels, c => c.Weight, _channelWeight).Channel;
            var optOut = random.NextDouble() < 0.04;

            var identities = new List<object?[]>();
            var relationships = new List<object?[]>();
            var events = new List<object?[]>();
            var eventNo = 0;
            void Identity(string kind, string scope, string value) =>
                identities.Add([Guid.CreateVersion7(joined), workspaceId, id, kind, scope, value, Ms(joined)]);
            void Event(string type, string? eventName, DateTimeOffset at, object properties) =>
                events.Add([workspaceId, id, $"demo-{index}-{eventNo++}", type, eventName, Ms(at), JsonSerializer.Serialize(properties)]);

            var phone = random.NextDouble() < 0.86 ? Phone(index) : null;
            if (phone is not null)
                Identity(IdentityKinds.Phone, "", phone);
            var unionId = $"oLily{Hash(index, 7):x10}";
            Identity(IdentityKinds.WechatUnionId, "", unionId);
            if (random.NextDouble() < 0.14)
                Identity(IdentityKinds.Email, "", $"{Pinyinish(index)}@{(random.NextDouble() < 0.6 ? "qq.com" : "163.com")}");

            var depth = Depth.None;
            Guid? owner = null;
            var seen = joined;

            void Relationship(Carrier carrier, DateTimeOffset since, double endChance)
            {
                DateTimeOffset? endedAt = null;
                string? endedBy = null;
                if (random.NextDouble() < endChance)
                {
                    endedAt = since.AddDays(random.NextDouble() * Math.Max(1, (now - since).TotalDays));
                    endedBy = random.NextDouble() < 0.8 ? EndedBy.Customer : EndedBy.Staff;
                }

                relationships.Add([Guid.CreateVersion7(since), workspaceId, id, carrier.Id, endedAt is null ? RelationshipStates.Active : RelationshipStates.Ended,
                    Ms(since), endedAt is null ? null : Ms(endedAt.Value), endedBy, channel, Ms(since)]);
                Event("track", "Relationship Started", since, new { carrier_kind = carrier.Kind, carrier = carrier.ExternalId, carrier_name = carrier.Name, channel });
                if (endedAt is { } ended)
                    Event("track", "Relationship Ended", ended, new { carrier_kind = carrier.Kind, carrier = carrier.ExternalId, carrier_name = carrier.Name, ended_by = endedBy });
                else if (CarrierKinds.DepthOf(carrier.Kind) > depth)
                    depth = CarrierKinds.DepthOf(carrier.Kind);
            }

            if (random.NextDouble() < 0.65)
            {
                Identity(IdentityKinds.WechatOpenId, DemoCatalog.OfficialAccountAppId, $"oOA{Hash(index, 11):x12}");
                Relationship(officialAccount, joined.AddDays(-random.NextDouble() * 20), 0.10);
            }

            var friend = random.NextDouble() < 0.58;
            if (friend)
            {
                var account = random.NextDouble() < 0.06 ? personas[random.Next(personas.Length)] : wecom[(int)(Hash(index, 3) % (ulong)wecom.Length)];
                Identity(IdentityKinds.WecomExternalUserId, "", $"wmLily{Hash(index, 13):x14}");
                Relationship(account, joined, 0.09);
                owner = account.Owner;
            }

            if (random.NextDouble() < (friend ? 0.42 : 0.08))
            {
                // Groups fill in order, as a group live code does: the first with room gets the next member.
                var slot = Array.FindIndex(_groupMembers, n => n < 190);
                if (slot >= 0)
                {
                    _groupMembers[slot]++;
                    Relationship(groups[slot], joined.AddHours(random.Next(1, 72)), 0.12);
                }
            }

            var appUser = random.NextDouble() < 0.55;
            if (appUser)
            {
                Identity(IdentityKinds.UserId, "", $"u{100000 + index}");
                Identity(IdentityKinds.WechatOpenId, DemoCatalog.MiniProgramAppId, $"oMP{Hash(index, 17):x12}");
                Relationship(miniProgram, joined.AddMinutes(5), 0.0);
                Event("identify", null, joined.AddMinutes(5), new { name, city = city.City });
            }

            if (random.NextDouble() < 0.12)
                Identity(IdentityKinds.TmallBuyerId, "", $"tb{Hash(index, 19) % 100_000UL}{index:000000}");
            if (random.NextDouble() < 0.05)
                Identity(IdentityKinds.JdBuyerId, "", $"jd_{Hash(index, 23):x8}");
            if (random.NextDouble() < 0.06)
                Identity(IdentityKinds.DouyinBuyerId, "", $"dy{Hash(index, 29) % 10_000UL}{index:000000}");

            // Behaviour: engaged people browse every few weeks; buyers come back on a usage cycle.
            var engagement = Beta(1.3, 3.0);
            var visits = (int)(engagement * 14) + (appUser ? 2 : 0);
            for (var v = 0; v < visits; v++)
            {
                var at = joined.AddDays(random.NextDouble() * (now - joined).TotalDays);
                var product = DemoCatalog.Products[random.Next(DemoCatalog.Products.Length)];
                Event("track", "Signed In", at, new { source = "mini_program" });
                Event("track", "Product Viewed", at.AddMinutes(1), new { sku = product.Sku, name = product.Name, category = product.Category, price = product.Price });
                if (random.NextDouble() < 0.25)
                    Event("track", "Product Added", at.AddMinutes(3), new { sku = product.Sku, name = product.Name, price = product.Price, quantity = 1 });
                seen = at > seen ? at : seen;
            }

            DateTimeOffset? firstOrder = null, lastOrder = null;
            var buyChance = 0.18 + engagement * 0.55 + (friend ? 0.12 : 0);
            var next = joined.AddDays(random.NextDouble() * (friend ? 6 : 30));
            while (next < now && random.NextDouble() < buyChance)
            {
                var items = 1 + (random.NextDouble() < 0.35 ? 1 : 0) + (random.NextDouble() < 0.1 ? 1 : 0);
                var lines = Enumerable.Range(0, items).Select(_ => DemoCatalog.Products[random.Next(DemoCatalog.Products.Length)]).ToArray();
                var subtotal = lines.Sum(l => l.Price);
                var discount = random.NextDouble() < 0.4 ? Math.Round(subtotal * 0.15m, 2) : 0m;
                var salesChannel = random.NextDouble() < 0.7 ? "mini_program" : random.NextDouble() < 0.5 ? "tmall" : "store";
                Event("track", "Order Completed", next, new
                {
                    order_id = $"LL{now.Year % 100:00}{++_orders:0000000}",
                    revenue = subtotal - discount,
                    discount,
                    currency = "CNY",
                    channel = salesChannel,
                    products = lines.Select(l => new { sku = l.Sku, name = l.Name, category = l.Category, price = l.Price, quantity = 1 }),
                });
                firstOrder ??= next;
                lastOrder = next;
                seen = next > seen ? next : seen;
                buyChance *= 0.82;
                next = next.AddDays(25 + random.NextDouble() * 60);
            }

            var traits = new Dictionary<string, object?>
            {
                ["name"] = name,
                ["nickname"] = nickname,
                ["gender"] = female ? "female" : "male",
                ["birthday"] = birthday.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["age"] = age,
                ["city"] = city.City,
                ["province"] = city.Province,
                ["size"] = DemoCatalog.Sizes[Math.Clamp((int)Math.Round(2 + Normal() * 0.9), 0, DemoCatalog.Sizes.Length - 1)],
                ["style"] = DemoCatalog.Styles[random.Next(DemoCatalog.Styles.Length)],
                ["first_channel"] = channel,
            };
            if (phone is not null)
                traits["phone"] = phone;

            var merges = new List<object?[]>();
            if (index % 997 == 13 && phone is not null)
            {
                // A marketplace buyer profile that turned out to be this person once they gave their phone.
                var mergedAt = joined.AddDays(random.NextDouble() * Math.Max(1, (now - joined).TotalDays));
                merges.Add([Guid.CreateVersion7(mergedAt), workspaceId, id, Guid.CreateVersion7(joined), JsonSerializer.Serialize(new[]
                {
                    new { kind = IdentityKinds.Phone, scope = "", value = phone },
                    new { kind = IdentityKinds.TmallBuyerId, scope = "", value = $"tb{Hash(index, 31) % 100_000UL}{index:000000}" },
                }), $"demo-merge-{index}", Ms(mergedAt)]);
            }

            var row = new object?[]
            {
                id, workspaceId, nickname == name ? name : $"{name}（{nickname}）", JsonSerializer.Serialize(traits), owner, (short)depth,
                optOut, optOut ? Ms(joined.AddDays(random.Next(1, 60))) : null, Ms(joined), Ms(seen),
                firstOrder is null ? null : Ms(firstOrder.Value), lastOrder is null ? null : Ms(lastOrder.Value), Ms(joined), Ms(seen),
            };
            return new GeneratedCustomer(row, identities, relationships, events, merges);
        }

        private static string Phone(int index)
        {
            string[] prefixes = ["135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "186", "187", "188", "189", "177"];
            // 7919 is coprime with 10^8, so distinct indexes give distinct numbers.
            var suffix = (long)index * 7919 % 100_000_000;
            return prefixes[index % prefixes.Length] + suffix.ToString("00000000", CultureInfo.InvariantCulture);
        }

        private static string Pinyinish(int index) => $"{(char)('a' + (int)(Hash(index, 37) % 26))}lily{index + 1000}";

        private static ulong Hash(int index, int salt)
        {
            var x = (ulong)index * 0x9E3779B97F4A7C15UL + (ulong)salt * 0xBF58476D1CE4E5B9UL;
            x ^= x >> 31;
            x *= 0x94D049BB133111EBUL;
            return x ^ (x >> 29);
        }

        private T Pick<T>(IReadOnlyList<T> items, Func<T, int> weight, int total)
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

        private double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

        // Beta(a, b) from two gamma draws (Marsaglia–Tsang), enough for shaping ages and engagement.
        private double Beta(double a, double b)
        {
            var x = Gamma(a);
            return x / (x + Gamma(b));
        }

        private double Gamma(double shape)
        {
            if (shape < 1)
                return Gamma(shape + 1) * Math.Pow(random.NextDouble(), 1 / shape);
            var d = shape - 1.0 / 3;
            var c = 1 / Math.Sqrt(9 * d);
            while (true)
            {
                var z = Normal();
                var v = Math.Pow(1 + c * z, 3);
                if (v > 0 && Math.Log(1 - random.NextDouble()) < 0.5 * z * z + d - d * v + d * Math.Log(v))
                    return d * v;
            }
        }
    }
}
