namespace Pond.Audience;

/// <summary>A group of tags in the catalog (肤质, 兴趣, 生命周期…).</summary>
internal sealed class TagGroup
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string? Description { get; init; }
    public int SortOrder { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>How many tags the group holds.</summary>
    public int Tags { get; init; }

    /// <summary>How many customers (the caller can see) carry at least one of its tags; filled by the group list.</summary>
    public long Customers { get; init; }
}

/// <summary>A tag in the catalog, with how many customers (the caller can see) carry it.</summary>
internal sealed class CatalogTag
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public Guid? GroupId { get; init; }
    public string? GroupName { get; init; }
    public string? Description { get; init; }
    public long Customers { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public string? CreatedBy { get; init; }
}

internal sealed class TagGroupInput
{
    /// <summary>1–50 characters, unique in the workspace.</summary>
    public string? Name { get; init; }

    /// <summary>At most 200 characters.</summary>
    public string? Description { get; init; }

    /// <summary>Groups are listed by this number, then by name.</summary>
    public int? SortOrder { get; init; }
}

internal sealed class TagInput
{
    /// <summary>1–50 characters, no control characters, no '|' or ','; unique in the workspace. Renaming renames it on every customer.</summary>
    public string? Name { get; init; }

    /// <summary>The group the tag belongs to; null leaves it ungrouped.</summary>
    public Guid? GroupId { get; init; }

    /// <summary>At most 200 characters.</summary>
    public string? Description { get; init; }
}

/// <summary>One tag added to or removed from one customer.</summary>
internal sealed class TagHistoryEntry
{
    public long Id { get; init; }
    public Guid CustomerId { get; init; }
    public string? CustomerName { get; init; }
    public string Tag { get; init; } = "";

    /// <summary>added or removed.</summary>
    public string Action { get; init; } = "";

    /// <summary>manual, api, bulk, event, import, channel:&lt;name&gt; or segment:&lt;name&gt;.</summary>
    public string Source { get; init; } = "";

    /// <summary>The member's email or the API key (key:&lt;prefix&gt;); null when the system made the change.</summary>
    public string? Actor { get; init; }

    public DateTimeOffset OccurredAt { get; init; }
}

internal sealed class TagHistoryPage
{
    public IReadOnlyList<TagHistoryEntry> Items { get; init; } = [];

    /// <summary>Pass as cursor for the next (older) page; null on the last page.</summary>
    public string? NextCursor { get; init; }
}

/// <summary>What a tag change did: how many customers actually changed (customers who already had the tag, or lacked it, do not count).</summary>
internal sealed class TagChange
{
    public string Tag { get; init; } = "";
    public string Action { get; init; } = "";
    public int Requested { get; init; }
    public int Changed { get; init; }
}
