namespace Pond.Server.Hosting;

/// <summary>Settings for one Pond process, from the command line or POND_* environment variables.</summary>
internal sealed record PondOptions
{
    /// <summary>Folder for the embedded SQLite database and other local state.</summary>
    public string DataDirectory { get; init; } = Environment.GetEnvironmentVariable("POND_DATA") ?? "data";

    /// <summary>A PostgreSQL connection string (Host=…;Database=… or postgres://…) or a SQLite one; default: SQLite in the data folder.</summary>
    public string? Db { get; init; } = Environment.GetEnvironmentVariable("POND_DB");

    public string Urls { get; init; } = Environment.GetEnvironmentVariable("POND_URLS") ?? "http://127.0.0.1:5080";

    /// <summary>The origin customers reach Pond at (short links, QR codes, callback URLs), e.g. https://pond.example.com; default: the request's.</summary>
    public string? PublicUrl { get; init; } = Environment.GetEnvironmentVariable("POND_PUBLIC_URL");

    /// <summary>Run background engines (event processor…). Tests that drive them by hand turn this off.</summary>
    public bool RunEngines { get; init; } = true;

    public string ConnectionString => string.IsNullOrWhiteSpace(Db) ? Pond.Storage.Database.SqliteFile(DataDirectory) : Db;
}
