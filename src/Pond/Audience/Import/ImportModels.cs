namespace Pond.Audience.Import;

/// <summary>What an import file holds.</summary>
public static class ImportKinds
{
    /// <summary>Customers: identities, name, tags and traits; each row becomes an identify (and a Tag Added) event.</summary>
    public const string Customers = "customers";

    /// <summary>Tags onto existing customers: one identity column, tags, and optionally action add|remove.</summary>
    public const string Tags = "tags";

    /// <summary>Orders: one row per order line, the rows of one order adjacent; each order becomes an Order Completed event.</summary>
    public const string Orders = "orders";

    public static readonly IReadOnlyList<string> All = [Customers, Tags, Orders];
}

public static class ImportStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Done = "done";
    public const string Failed = "failed";
}

/// <summary>One import job and how far it got.</summary>
public sealed class ImportJob
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public string Kind { get; init; } = "";
    public string FileName { get; init; } = "";
    public string State { get; init; } = "";
    public long TotalBytes { get; init; }
    public long BytesRead { get; init; }
    public long LinesRead { get; init; }
    public long Accepted { get; init; }
    public long Rejected { get; init; }
    public long EventsWritten { get; init; }
    public int Attempts { get; init; }
    public string CreatedBy { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string? Error { get; init; }

    /// <summary>0 to 1, by bytes read.</summary>
    public double Progress => State == ImportStates.Done ? 1 : TotalBytes <= 0 ? 0 : Math.Min(1, (double)BytesRead / TotalBytes);

    public bool Finished => State is ImportStates.Done or ImportStates.Failed;

    internal string SourcePath { get; init; } = "";
    internal string RejectsPath { get; init; } = "";
}

/// <summary>The counters of a run, reported as it goes and at the end.</summary>
public sealed record ImportProgress(long BytesRead, long LinesRead, long Accepted, long Rejected, long EventsWritten);
