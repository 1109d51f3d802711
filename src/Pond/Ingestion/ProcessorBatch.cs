using Pond.Customers;

namespace Pond.Ingestion;

/// <summary>
/// What one processor batch knows and has yet to write. Before the events are applied, every identity
/// the batch names and every customer those identities point at are read in a few queries; events then
/// resolve against this state, and new customers, new identities, changed customers and timeline rows are
/// written together by <see cref="FlushAsync"/>. It lives for one transaction only, so the database stays
/// the source of truth: nothing is carried over to the next batch.
/// </summary>
internal sealed class ProcessorBatch(ProcessorStore store, DateTimeOffset now)
{
    // Every identity the batch names, with its customer; an identity missing here is unknown.
    private readonly Dictionary<(Guid Workspace, Identity Identity), Guid> _owners = [];
    private readonly Dictionary<Guid, CustomerRecord> _customers = [];
    private readonly List<CustomerRecord> _created = [];
    private readonly HashSet<Guid> _changed = [];
    private readonly List<ProcessorStore.NewIdentity> _identities = [];
    private readonly List<ProcessorStore.TimelineRow> _timeline = [];

    /// <summary>Reads the owners of <paramref name="wanted"/> and those customers.</summary>
    public async Task LoadAsync(IEnumerable<(Guid Workspace, Identity Identity)> wanted)
    {
        foreach (var workspace in wanted.Distinct().GroupBy(w => w.Workspace))
        {
            var identities = workspace.Select(w => w.Identity).ToHashSet();
            foreach (var (identity, customerId) in await store.FindIdentitiesAsync(workspace.Key, identities))
                _owners[(workspace.Key, identity)] = customerId;
        }

        foreach (var customer in await store.LoadCustomersAsync(_owners.Values.Distinct().ToList()))
            _customers[customer.Id] = customer;
    }

    public bool IsKnown(Guid workspaceId, Identity identity) => _owners.ContainsKey((workspaceId, identity));

    /// <summary>The distinct customers these identities belong to, in the order the identities are given.</summary>
    public List<Guid> OwnersOf(Guid workspaceId, IEnumerable<Identity> identities)
    {
        var owners = new List<Guid>();
        foreach (var identity in identities)
        {
            if (_owners.TryGetValue((workspaceId, identity), out var owner) && !owners.Contains(owner))
                owners.Add(owner);
        }

        return owners;
    }

    public CustomerRecord Customer(Guid id) =>
        _customers.TryGetValue(id, out var customer) ? customer : throw new InvalidOperationException($"Identity points at missing customer {id}.");

    public CustomerRecord Create(Guid workspaceId, DateTimeOffset occurredAt)
    {
        var customer = new CustomerRecord
        {
            Id = Guid.CreateVersion7(), WorkspaceId = workspaceId, FirstSeenAt = occurredAt, LastSeenAt = occurredAt,
            CreatedAt = now, UpdatedAt = now,
        };
        _customers[customer.Id] = customer;
        _created.Add(customer);
        return customer;
    }

    /// <summary>Records <paramref name="identity"/> on the customer unless some customer already has it.</summary>
    public void Attach(CustomerRecord customer, Identity identity)
    {
        if (_owners.TryAdd((customer.WorkspaceId, identity), customer.Id))
            _identities.Add(new ProcessorStore.NewIdentity(Guid.CreateVersion7(), customer.WorkspaceId, customer.Id, identity, now));
    }

    /// <summary>
    /// After the resolver merged <paramref name="merged"/> into <paramref name="survivor"/> in the database
    /// (and recorded <paramref name="attached"/> on it), points this batch's state at the survivor.
    /// </summary>
    public void Merged(CustomerRecord survivor, IReadOnlyCollection<Guid> merged, IEnumerable<Identity> attached)
    {
        foreach (var id in merged)
            _customers.Remove(id);
        _customers[survivor.Id] = survivor;
        foreach (var key in _owners.Where(o => merged.Contains(o.Value)).Select(o => o.Key).ToList())
            _owners[key] = survivor.Id;
        foreach (var identity in attached)
            _owners[(survivor.WorkspaceId, identity)] = survivor.Id;
    }

    public void Changed(CustomerRecord customer) => _changed.Add(customer.Id);

    public void AddTimeline(Guid workspaceId, Guid customerId, string messageId, string type, string? name, DateTimeOffset occurredAt, string properties) =>
        _timeline.Add(new ProcessorStore.TimelineRow(workspaceId, customerId, messageId, type, name, occurredAt, properties));

    /// <summary>Writes everything pending, so the database matches this batch's state (needed before a merge, which works in the database).</summary>
    public async Task FlushAsync()
    {
        var created = _created.Select(c => c.Id).ToHashSet();
        await store.InsertCustomersAsync(_created);
        await store.InsertIdentitiesAsync(_identities);
        await store.UpdateCustomersAsync(_changed.Where(id => !created.Contains(id)).Select(id => _customers[id]).ToList());
        await store.InsertTimelineAsync(_timeline);
        _created.Clear();
        _identities.Clear();
        _changed.Clear();
        _timeline.Clear();
    }
}
