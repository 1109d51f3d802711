using System.Threading.Channels;
using Dapper;
using Microsoft.Extensions.Logging;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Audience.Import;

/// <summary>Where uploaded import files and rejects files live: a folder in the data directory.</summary>
public sealed record ImportFolder(string Path);

/// <summary>
/// Import jobs: created from an upload (the server) or a file on disk (the CLI), run by <see cref="ImportRunner"/>,
/// with their counters kept in the imports table about once a second. The server's worker runs queued jobs one at a
/// time; a job whose node stopped (no heartbeat for <see cref="StaleAfter"/>) is queued again and re-run from the
/// start, which stores nothing twice because its message ids are the job id and line numbers.
/// </summary>
internal sealed class ImportService(Database database, ImportRunner runner, ImportFolder folder, AuditLog audit, TimeProvider clock, ILogger<ImportService> logger)
{
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(2);

    /// <summary>A failed job is tried this many times in all before it is marked failed for good.</summary>
    public const int MaxAttempts = 3;

    private readonly Channel<bool> _queued = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>This process, as it appears in imports.node.</summary>
    public string Node { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    internal ChannelReader<bool> Queued => _queued.Reader;

    /// <summary>Saves an upload to the imports folder as it arrives (never held in memory); returns the staged file's path.</summary>
    public async Task<string> StageAsync(Stream content, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(folder.Path);
        var path = System.IO.Path.Combine(folder.Path, $"{Guid.CreateVersion7():N}.upload");
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await content.CopyToAsync(file, 1 << 16, cancellationToken);
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        return path;
    }

    /// <summary>Checks the kind and the staged file's header, then queues the job (the file moves to its job's name).</summary>
    public async Task<ImportJob> QueueStagedAsync(Guid workspaceId, string? kind, string? fileName, string stagedPath, string actor)
    {
        kind = CheckKind(kind);
        ImportRunner.ReadHeader(kind, stagedPath);
        var id = Guid.CreateVersion7();
        var path = System.IO.Path.Combine(folder.Path, $"{id:N}.csv");
        File.Move(stagedPath, path);
        var job = await InsertAsync(id, workspaceId, kind, CleanName(fileName), path, ImportStates.Queued, null, actor);
        _queued.Writer.TryWrite(true);
        return job;
    }

    /// <summary>Queues an import of <paramref name="content"/> (tests and callers that hold a stream).</summary>
    public async Task<ImportJob> QueueUploadAsync(Guid workspaceId, string? kind, string? fileName, Stream content, string actor, CancellationToken cancellationToken = default)
    {
        var staged = await StageAsync(content, cancellationToken);
        try
        {
            return await QueueStagedAsync(workspaceId, kind, fileName, staged, actor);
        }
        finally
        {
            File.Delete(staged);
        }
    }

    /// <summary>A job over a file already on this machine (the CLI), claimed by this process at once; run it with <see cref="RunAsync"/>.</summary>
    public async Task<ImportJob> StartFileAsync(Guid workspaceId, string? kind, string path, string actor)
    {
        kind = CheckKind(kind);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new ValidationFailedException($"No file at {full}.", "file");
        ImportRunner.ReadHeader(kind, full);
        return await InsertAsync(Guid.CreateVersion7(), workspaceId, kind, System.IO.Path.GetFileName(full), full, ImportStates.Running, Node, actor);
    }

    public async Task<IReadOnlyList<ImportJob>> ListAsync(Guid workspaceId, int limit = 50)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<ImportJob>(
            $"{Select} WHERE workspace_id = @workspaceId ORDER BY created_at DESC, id DESC LIMIT @limit", new { workspaceId, limit })).AsList();
    }

    public async Task<ImportJob> GetAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<ImportJob>($"{Select} WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id })
               ?? throw new NotFoundException($"No import {id} in this workspace.");
    }

    /// <summary>The rejects file of a job (line, reason, row), or 404 while the job has not started.</summary>
    public async Task<(ImportJob Job, string Path)> RejectsAsync(Guid workspaceId, Guid id)
    {
        var job = await GetAsync(workspaceId, id);
        if (!File.Exists(job.RejectsPath))
            throw new NotFoundException($"Import {id} has no rejects file yet ({job.State}).");
        return (job, job.RejectsPath);
    }

    /// <summary>Claims the oldest queued job (after queueing again the running jobs whose node went quiet), or null.</summary>
    public async Task<ImportJob?> ClaimNextAsync()
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        // Idle nodes ask with one read; the writes below only when there is something to claim or recover.
        if (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM imports WHERE state IN ('queued', 'running')") == 0)
            return null;
        var stale = now - StaleAfter;
        await connection.ExecuteAsync(
            """
            UPDATE imports SET state = 'failed', node = NULL, finished_at = @now,
                   error = 'Interrupted (its node stopped) on each of its attempts; upload the file again.'
            WHERE state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < @stale) AND attempts >= @max
            """, new { stale, now, max = MaxAttempts });
        var requeued = await connection.ExecuteAsync(
            """
            UPDATE imports SET state = 'queued', node = NULL,
                   error = 'Interrupted (its node stopped); resumed from the start, rows already stored are not stored again.'
            WHERE state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < @stale)
            """, new { stale });
        if (requeued > 0)
            logger.LogWarning("Queued {Count} interrupted import(s) again", requeued);
        while (true)
        {
            var next = await connection.QueryFirstOrDefaultAsync<Guid?>("SELECT id FROM imports WHERE state = 'queued' ORDER BY created_at, id LIMIT 1");
            if (next is not { } id)
                return null;
            // The state check makes the claim atomic across nodes: only one UPDATE finds the job still queued.
            var claimed = await connection.ExecuteAsync(
                """
                UPDATE imports SET state = 'running', node = @node, started_at = COALESCE(started_at, @now), heartbeat_at = @now, attempts = attempts + 1
                WHERE id = @id AND state = 'queued'
                """, new { id, node = Node, now });
            if (claimed == 1)
                return await connection.QuerySingleAsync<ImportJob>($"{Select} WHERE id = @id", new { id });
        }
    }

    /// <summary>Runs a job this process claimed, keeping its counters current; ends it done, or failed with the reason.</summary>
    public async Task<ImportJob> RunAsync(ImportJob job, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        try
        {
            if (!File.Exists(job.SourcePath))
                throw new ValidationFailedException($"The file of this import is gone ({job.FileName}); upload it again.", "file");
            var final = await runner.RunAsync(job, async p =>
            {
                progress?.Report(p);
                await SaveProgressAsync(job.Id, p);
            }, cancellationToken);
            await FinishAsync(job.Id, ImportStates.Done, null, final);
            await audit.RecordAsync(job.WorkspaceId, job.CreatedBy, "import.done", job.Id.ToString(),
                new { job.Kind, job.FileName, final.Accepted, final.Rejected });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: hand the job back at once rather than waiting for its heartbeat to go stale.
            await using var connection = await database.OpenAsync(CancellationToken.None);
            await connection.ExecuteAsync(
                "UPDATE imports SET state = 'queued', node = NULL, error = 'Interrupted by a shutdown; resumes from the start.' WHERE id = @id AND state = 'running'",
                new { id = job.Id });
            throw;
        }
        catch (Exception e) when (e is ValidationFailedException or IOException or UnauthorizedAccessException or CsvHelper.CsvHelperException)
        {
            logger.LogWarning("Import {Id} failed: {Error}", job.Id, e.Message);
            await FinishAsync(job.Id, ImportStates.Failed, e.Message, null);
        }

        return await GetAsync(job.WorkspaceId, job.Id);
    }

    private async Task SaveProgressAsync(Guid id, ImportProgress p)
    {
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(
            """
            UPDATE imports SET bytes_read = @BytesRead, lines_read = @LinesRead, accepted = @Accepted, rejected = @Rejected,
                   events_written = @EventsWritten, heartbeat_at = @now
            WHERE id = @id
            """, new { id, p.BytesRead, p.LinesRead, p.Accepted, p.Rejected, p.EventsWritten, now = clock.GetUtcNow() });
    }

    internal async Task FinishAsync(Guid id, string state, string? error, ImportProgress? p)
    {
        await using var connection = await database.OpenAsync();
        var sets = p is null ? "" : ", bytes_read = @BytesRead, lines_read = @LinesRead, accepted = @Accepted, rejected = @Rejected, events_written = @EventsWritten";
        await connection.ExecuteAsync(
            $"UPDATE imports SET state = @state, error = @error, finished_at = @now, heartbeat_at = @now{sets} WHERE id = @id",
            new
            {
                id, state, error, now = clock.GetUtcNow(),
                BytesRead = p?.BytesRead ?? 0, LinesRead = p?.LinesRead ?? 0, Accepted = p?.Accepted ?? 0, Rejected = p?.Rejected ?? 0,
                EventsWritten = p?.EventsWritten ?? 0,
            });
    }

    private async Task<ImportJob> InsertAsync(Guid id, Guid workspaceId, string kind, string fileName, string path, string state, string? node, string actor)
    {
        var now = clock.GetUtcNow();
        var rejects = System.IO.Path.Combine(folder.Path, $"{id:N}.rejects.csv");
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO imports (id, workspace_id, kind, file_name, source_path, rejects_path, state, total_bytes, node, attempts,
                                 created_by, created_at, started_at, heartbeat_at)
            VALUES (@id, @workspaceId, @kind, @fileName, @path, @rejects, @state, @total, @node, @attempts, @actor, @now, @started, @now)
            """,
            new
            {
                id, workspaceId, kind, fileName, path, rejects, state, total = new FileInfo(path).Length, node, attempts = node is null ? 0 : 1,
                actor, now, started = node is null ? (DateTimeOffset?)null : now,
            });
        await audit.RecordAsync(workspaceId, actor, "import.created", id.ToString(), new { kind, fileName });
        return await GetAsync(workspaceId, id);
    }

    private static string CheckKind(string? kind)
    {
        var value = kind?.Trim().ToLowerInvariant();
        return value is not null && ImportKinds.All.Contains(value)
            ? value
            : throw new ValidationFailedException($"kind must be {ImportKinds.Customers}, {ImportKinds.Tags} or {ImportKinds.Orders}; got '{kind}'.", "kind");
    }

    private static string CleanName(string? fileName)
    {
        var name = System.IO.Path.GetFileName(fileName ?? "").Trim();
        return name.Length == 0 ? "upload.csv" : name.Length > 200 ? name[..200] : name;
    }

    private const string Select =
        """
        SELECT id, workspace_id, kind, file_name, source_path, rejects_path, state, total_bytes, bytes_read, lines_read, accepted, rejected,
               events_written, attempts, created_by, created_at, started_at, finished_at, error
        FROM imports
        """;
}
