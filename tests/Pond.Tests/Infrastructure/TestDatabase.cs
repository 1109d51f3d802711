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
        _ => $"Data Source={Path.Combine(RunFolder, $"{Guid.NewGuid():N}.db")}",
    };

    /// <summary>
    /// This test run's scratch folder (SQLite files, server data folders). Folders of runs that have ended
    /// are removed when the next run starts, so killed runs do not fill the disk.
    /// </summary>
    public static string RunFolder { get; } = CreateRunFolder();

    private static string CreateRunFolder()
    {
        var root = Path.Combine(Path.GetTempPath(), "pond-tests");
        Directory.CreateDirectory(root);
        foreach (var entry in Directory.EnumerateFileSystemEntries(root))
        {
            var name = Path.GetFileName(entry);
            if (name.StartsWith("run-", StringComparison.Ordinal) && int.TryParse(name[4..], out var pid) && TestProcesses.IsAlive(pid))
                continue;
            try
            {
                if (Directory.Exists(entry))
                    Directory.Delete(entry, recursive: true);
                else
                    File.Delete(entry);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        var folder = Path.Combine(root, $"run-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static async Task<Database> CreateMigratedAsync(DbEngine engine, int? version = null)
    {
        var database = new Database(NewConnectionString(engine));
        await new MigrationRunner(database, NullLogger<MigrationRunner>.Instance).MigrateAsync(version);
        return database;
    }
}
