using System.Threading.Channels;

namespace Pond.Audience;

/// <summary>
/// The audience engine's inbox: which customers changed, so their segment memberships are re-evaluated.
/// Writers call <see cref="Touch"/> after their transaction commits; the engine reloads those customers
/// from the database, which stays the source of truth. New events need no notice beyond the touch: the
/// engine reads the timeline's new rows itself.
/// </summary>
public sealed class AudienceChanges
{
    private readonly Channel<AudienceChange> _changes = Channel.CreateUnbounded<AudienceChange>(new UnboundedChannelOptions { SingleReader = true });

    internal ChannelReader<AudienceChange> Reader => _changes.Reader;

    /// <summary>These customers' traits, tags, relationships, scores or events changed.</summary>
    public void Touch(Guid workspaceId, IEnumerable<Guid> customerIds)
    {
        var ids = customerIds as IReadOnlyCollection<Guid> ?? customerIds.ToList();
        if (ids.Count > 0)
            _changes.Writer.TryWrite(new AudienceChange(workspaceId, ids, null));
    }

    /// <summary>Something many customers depend on changed (RFM thresholds, a bulk import): reload every customer of the workspace.</summary>
    public void TouchAll(Guid workspaceId) => _changes.Writer.TryWrite(new AudienceChange(workspaceId, null, null));

    /// <summary>Customers merged: the survivor took over the others' events, which the engine reloads.</summary>
    public void Merged(Guid workspaceId, Guid survivorId, IReadOnlyCollection<Guid> mergedIds) =>
        _changes.Writer.TryWrite(new AudienceChange(workspaceId, [survivorId, .. mergedIds], survivorId));
}

/// <summary>A change notice. No customer ids means the whole workspace; <see cref="ReloadEventsOf"/> names a merge survivor.</summary>
internal sealed record AudienceChange(Guid WorkspaceId, IReadOnlyCollection<Guid>? CustomerIds, Guid? ReloadEventsOf);
