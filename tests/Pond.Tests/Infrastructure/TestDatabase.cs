using Microsoft.Extensions.Logging.Abstractions;
using Pond.Storage;
using Pond.Testing;

namespace Pond.Tests.Infrastructure;

/// <summary>A fresh, empty database on either engine. Storage tests take the engine as a theory parameter.</summary>
public static class TestDatabase
{
    public static TheoryData<DbEngine> Engines => new() { DbEngine.Sqlite, DbEngine.Postgres };

    public static string NewConnectionString(DbEngine engine) => engine switch
    {
        DbEngine.Postgres => PostgresCluster.Instance.CreateDatabase(),
        _ => $"Data Source={Path.Combine(Path.GetTempPath(), "pond-tests", $"{Guid.NewGuid():N}.db")}",
    };

    public static async Task<Database> CreateMigratedAsync(DbEngine engine, int? version = null)
    {
        var database = new Database(NewConnectionString(engine));
        await new MigrationRunner(database, NullLogger<MigrationRunner>.Instance).MigrateAsync(version);
        return database;
    }
}
