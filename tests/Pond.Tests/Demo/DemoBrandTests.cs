using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Pond.Server.Demo;
using Pond.Storage;
using Pond.Tests.Infrastructure;
using Pond.Workspaces;

namespace Pond.Tests.Demo;

public sealed class DemoBrandTests
{
    private static async Task<(Database Database, DemoBrand.Result Result)> LoadAsync(DbEngine engine, int customers)
    {
        var database = await TestDatabase.CreateMigratedAsync(engine);
        var workspaces = new WorkspaceService(database, TimeProvider.System, new AuditLog(database, TimeProvider.System));
        var result = await new DemoBrand(database, workspaces, TimeProvider.System).LoadAsync(customers);
        return (database, result);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Load_GivesEveryCustomerTheDepthOfTheirDeepestLiveRelationship(DbEngine engine)
    {
        var (database, result) = await LoadAsync(engine, 1_500);
        using var _ = database;
        await using var connection = await database.OpenAsync();

        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customers")).ShouldBe(1_500);
        result.Events.ShouldBeGreaterThan(1_500 * 5);

        var wrongDepth = await connection.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM customers c
            WHERE c.depth <> COALESCE((
                SELECT MAX(CASE ca.kind WHEN 'wecom_account' THEN 3 WHEN 'wechat_account' THEN 3 WHEN 'group_chat' THEN 2 WHEN 'official_account' THEN 1 ELSE 0 END)
                FROM relationships r JOIN carriers ca ON ca.id = r.carrier_id
                WHERE r.customer_id = c.id AND r.state = 'active'), 0)
            """);
        wrongDepth.ShouldBe(0);

        var depths = (await connection.QueryAsync<long>("SELECT DISTINCT depth FROM customers")).ToList();
        depths.ShouldContain(3L);
        depths.ShouldContain(2L);
        depths.ShouldContain(1L);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Load_RecordsOrdersConsistentlyWithTheCustomersFirstAndLastOrder(DbEngine engine)
    {
        var (database, _) = await LoadAsync(engine, 800);
        using var __ = database;
        await using var connection = await database.OpenAsync();

        var mismatched = await connection.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM customers c
            WHERE COALESCE(c.first_order_at, -1) <> COALESCE((SELECT MIN(e.occurred_at) FROM customer_events e WHERE e.customer_id = c.id AND e.name = 'Order Completed'), -1)
               OR COALESCE(c.last_order_at, -1) <> COALESCE((SELECT MAX(e.occurred_at) FROM customer_events e WHERE e.customer_id = c.id AND e.name = 'Order Completed'), -1)
            """);
        mismatched.ShouldBe(0);
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customers WHERE first_order_at IS NOT NULL")).ShouldBeGreaterThan(100);
    }

    [Fact]
    public async Task Load_IsDeterministic_AndRefusesToLoadTwice()
    {
        var (first, result) = await LoadAsync(DbEngine.Sqlite, 300);
        var (second, _) = await LoadAsync(DbEngine.Sqlite, 300);
        using var a = first;
        using var b = second;

        const string names = "SELECT display_name || '|' || traits FROM customers ORDER BY display_name, traits";
        await using var one = await first.OpenAsync();
        await using var two = await second.OpenAsync();
        (await one.QueryAsync<string>(names)).ShouldBe(await two.QueryAsync<string>(names));

        var workspaces = new WorkspaceService(first, TimeProvider.System, new AuditLog(first, TimeProvider.System));
        await Should.ThrowAsync<ConflictException>(() => new DemoBrand(first, workspaces, TimeProvider.System).LoadAsync(300));
        (await workspaces.VerifyPasswordAsync(DemoCatalog.OwnerEmail, DemoCatalog.Password)).ShouldNotBeNull();
        result.WriteKey.ShouldStartWith("wk_");
    }
}

public sealed class DemoAcquisitionTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Simulation_CreditsAddsThroughSignedCallbacks_AndIsRepeatableOnTheSameData(DbEngine engine)
    {
        var connectionString = TestDatabase.NewConnectionString(engine);
        var options = new Pond.Server.Hosting.PondOptions
        {
            DataDirectory = Path.Combine(TestDatabase.RunFolder, $"demo-{Guid.NewGuid():N}"), Db = connectionString,
        };
        using (var database = new Database(connectionString))
        {
            await new MigrationRunner(database, NullLogger<MigrationRunner>.Instance).MigrateAsync();
            var workspaces = new WorkspaceService(database, TimeProvider.System, new AuditLog(database, TimeProvider.System));
            await new DemoBrand(database, workspaces, TimeProvider.System).LoadAsync(300);
        }

        var result = await Pond.Server.Hosting.PondCli.SimulateAcquisitionAsync(options, DemoCatalog.WorkspaceSlug, 5, setUpDemo: true, CancellationToken.None);
        result.Adds.ShouldBeGreaterThan(20);
        result.GroupJoins.ShouldBeGreaterThan(5);

        using var check = new Database(connectionString);
        await using var connection = await check.OpenAsync();
        // Every add and join reached the pool through the callback endpoint and is credited to a live code.
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM acquisitions WHERE code_id IS NOT NULL"))
            .ShouldBe(result.Adds + result.GroupJoins);
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM event_log WHERE message_id LIKE 'wecom:%'")).ShouldBe(result.Callbacks);
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM live_code_visits")).ShouldBe(result.Scans);
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM outbox WHERE state = 'held'")).ShouldBe(result.Adds);
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM channels")).ShouldBe(5);
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM processor_checkpoints p WHERE p.position < (SELECT MAX(seq) FROM event_log)")).ShouldBe(0);
        // Every order on the timeline is in the orders table, credited and with its lines; some came back.
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM orders"))
            .ShouldBe(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customer_events WHERE name = 'Order Completed'"));
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_pk = o.id)")).ShouldBe(0);
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM order_refunds")).ShouldBeGreaterThan(0);
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customer_events WHERE name = 'Order Refunded'"))
            .ShouldBe(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM order_refunds"));
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM staff WHERE tracking_code IS NULL")).ShouldBe(0);
        // Every buyer is scored at once, with the stage changes of the replayed days on record (a buyer whose orders were all refunded is none).
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customer_scores"))
            .ShouldBe(await connection.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT customer_id) FROM orders WHERE status <> 'refunded'"));
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customer_scores")).ShouldBeGreaterThan(0);
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customer_scores WHERE rfm_cell IS NOT NULL")).ShouldBeGreaterThan(0);
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audience_events WHERE kind = 'lifecycle.changed'"))
            .ShouldBe(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customer_events WHERE name = 'Lifecycle Stage Changed'"));
    }
}
