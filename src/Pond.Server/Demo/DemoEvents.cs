using Pond.Customers;
using Pond.Ingestion;

namespace Pond.Server.Demo;

/// <summary>
/// Demo steps that make history through the real pipeline: events appended to the log and applied by the processor.
/// The CLI's demo verb runs without the web host, so this brings a writer and a processor of its own when there is none.
/// </summary>
internal sealed class DemoEvents : IAsyncDisposable
{
    private readonly EventLogWriter? _ownLog;
    private readonly EventProcessor? _ownProcessor;
    private readonly EventLogWriter _log;
    private readonly EventProcessor _processor;

    public DemoEvents(IServiceProvider services)
    {
        _ownLog = services.GetService<EventLogWriter>() is null ? ActivatorUtilities.CreateInstance<EventLogWriter>(services) : null;
        _ownProcessor = services.GetService<EventProcessor>() is null
            ? ActivatorUtilities.CreateInstance<EventProcessor>(services, ActivatorUtilities.CreateInstance<IdentityResolver>(services))
            : null;
        _log = _ownLog ?? services.GetRequiredService<EventLogWriter>();
        _processor = _ownProcessor ?? services.GetRequiredService<EventProcessor>();
    }

    /// <summary>Appends the events in time order (the processor applies them in log order) and applies them.</summary>
    public async Task ApplyAsync(IEnumerable<EventRecord> events)
    {
        await _log.AppendAsync(events.OrderBy(e => e.OccurredAt).ThenBy(e => e.MessageId, StringComparer.Ordinal).ToList());
        await _processor.ProcessPendingAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _ownProcessor?.Dispose();
        if (_ownLog is not null)
            await _ownLog.DisposeAsync();
    }
}
