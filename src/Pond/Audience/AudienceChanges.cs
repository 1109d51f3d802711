using System.Threading.Channels;

namespace Pond.Audience;

/// <summary>
/// The audience engine's inbox: which customers changed, so their segment memberships are re-evaluated.
/// Writers call <see cref="Touch"/> after their transaction commits (the engine reloads the customers
/// from the database, which stays the source of truth); the event processor also hands over the events
/// it applied, so event aggregates move without a reload.
/// </summary>
public sealed class AudienceChanges
{
    private readonly Channel<AudienceChange> _changes = Channel.CreateUnbounded<AudienceChange>(new UnboundedChannelOptions { SingleReader = true });

    internal ChannelReader<AudienceChange> Reader => _changes.Reader;

    /// <summary>These customers' traits, tags, relationships or scores changed.</summary>
    public void Touch(Guid workspaceId, IEnumerable<Guid> customerIds)
    {
        var ids = customerIds as IReadOnlyCollection<Guid> ?? customerIds.ToList();
        if (ids.Count > 0)
            _changes.Writer.TryWrite(new AudienceChange(workspaceId, ids, null, null));
    }

    /// <summary>Something many customers depend on changed (RFM thresholds, a bulk import): reload the whole workspace.</summary>
    public void TouchAll(Guid workspaceId) => _changes.Writer.TryWrite(new AudienceChange(workspaceId, null, null, null));

    internal void Applied(Guid workspaceId, IReadOnlyCollection<Guid> customerIds, IReadOnlyList<AppliedEvent> events, IReadOnlyCollection<Guid> mergedAway) =>
        _changes.Writer.TryWrite(new AudienceChange(workspaceId, customerIds, events, mergedAway));
}

/// <summary>A change notice. No customer ids means the whole workspace.</summary>
internal sealed record AudienceChange(Guid WorkspaceId, IReadOnlyCollection<Guid>? CustomerIds, IReadOnlyList<AppliedEvent>? Events, IReadOnlyCollection<Guid>? MergedAway);

/// <summary>A track event the processor applied: enough for the index's event aggregates.</summary>
internal sealed record AppliedEvent(Guid CustomerId, string Name, DateTimeOffset OccurredAt, string Properties);
