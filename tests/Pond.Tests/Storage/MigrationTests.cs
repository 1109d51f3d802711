using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Pond.Storage;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Storage;

public sealed class MigrationTests
{
    [Fact]
    public void BothEngines_HaveTheSameMigrationVersions()
    {
        var sqlite = MigrationRunner.Available(DbEngine.Sqlite).Select(m => m.Name);
        var postgres = MigrationRunner.Available(DbEngine.Postgres).Select(m => m.Name);
        postgres.ShouldBe(sqlite);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Upgrade_FromVersionOne_KeepsEveryRow(DbEngine engine)
    {
        using var database = await TestDatabase.CreateMigratedAsync(engine, version: 1);
        var runner = new MigrationRunner(database, NullLogger<MigrationRunner>.Instance);
        (await runner.CurrentVersionAsync()).ShouldBe(1);

        var workspaceId = Guid.CreateVersion7();
        await using (var connection = await database.OpenAsync())
        {
            await connection.ExecuteAsync(
                "INSERT INTO workspaces (id, slug, name, time_zone, created_at) VALUES (@workspaceId, 'old', 'Old brand', 'Asia/Shanghai', @now)",
                new { workspaceId, now = DateTimeOffset.UtcNow });
            await connection.ExecuteAsync(
                "INSERT INTO users (id, email, display_name, password_hash, created_at) VALUES (@id, 'a@old.test', 'A', 'x', @now)",
                new { id = Guid.CreateVersion7(), now = DateTimeOffset.UtcNow });
        }

        var applied = await runner.MigrateAsync();
        applied.ShouldNotBeEmpty();
        (await runner.CurrentVersionAsync()).ShouldBe(MigrationRunner.LatestVersion(engine));

        await using var after = await database.OpenAsync();
        (await after.ExecuteScalarAsync<string>("SELECT name FROM workspaces WHERE id = @workspaceId", new { workspaceId })).ShouldBe("Old brand");
        (await after.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users")).ShouldBe(1);
        // The upgraded schema is usable: a customer can be stored in the old workspace.
        await after.ExecuteAsync(
            "INSERT INTO customers (id, workspace_id, first_seen_at, last_seen_at, created_at, updated_at) VALUES (@id, @workspaceId, 0, 0, 0, 0)",
            new { id = Guid.CreateVersion7(), workspaceId });
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Migrate_Twice_AppliesNothingTheSecondTime(DbEngine engine)
    {
        using var database = await TestDatabase.CreateMigratedAsync(engine);
        var runner = new MigrationRunner(database, NullLogger<MigrationRunner>.Instance);
        (await runner.MigrateAsync()).ShouldBeEmpty();
    }
}
