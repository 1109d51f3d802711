using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pond.Ingestion;

namespace Pond.Audience.Import;

/// <summary>
/// Runs queued imports, one at a time on this node: claims the oldest, runs it, and looks again; when there is
/// nothing to do it waits for an upload on this node or polls every couple of seconds (uploads to other nodes,
/// and jobs interrupted by a stopped node, which <see cref="ImportService.ClaimNextAsync"/> queues again).
/// </summary>
internal sealed class ImportWorker(ImportService imports, ILogger<ImportWorker> logger) : BackgroundService
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await imports.ClaimNextAsync() is { } job)
                {
                    logger.LogInformation("Import {Id} ({Kind}, {File}) started", job.Id, job.Kind, job.FileName);
                    var done = await imports.RunAsync(job, cancellationToken: stoppingToken);
                    logger.LogInformation("Import {Id} {State}: {Accepted} accepted, {Rejected} rejected", done.Id, done.State, done.Accepted, done.Rejected);
                    continue;
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(IdlePoll);
                await ((Task)imports.Queued.ReadAsync(timeout.Token).AsTask()).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // One broken job must not stop the worker; the job is marked failed with the reason.
            catch (Exception e)
#pragma warning restore CA1031
            {
                logger.LogError(e, "The import worker failed; trying again shortly");
                await Task.Delay(IdlePoll, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}

public static class ImportServices
{
    /// <summary>Import jobs, with their files under <paramref name="folder"/>; <paramref name="runWorker"/> also runs queued jobs in the background.</summary>
    public static IServiceCollection AddPondImports(this IServiceCollection services, string folder, bool runWorker)
    {
        services.AddSingleton(new ImportFolder(Path.GetFullPath(folder)));
        services.AddSingleton<ImportRunner>();
        services.AddSingleton<ImportService>();
        services.AddSingleton<CustomerCsvExport>();
        if (runWorker)
            services.AddHostedService<ImportWorker>();
        return services;
    }
}
