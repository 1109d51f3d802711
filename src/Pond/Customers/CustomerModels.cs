using System.Text.Json;

namespace Pond.Customers;

/// <summary>Who is looking: every read filters by workspace, staff see only their own customers, and only operate roles see personal data in full.</summary>
internal sealed record CustomerViewer(Guid WorkspaceId, Guid? OnlyOwnedBy, bool SeesPersonalData);

internal static class DepthNames
{
    public const string None = "none";
    public const string Fan = "fan";
    public const string Community = "community";
    public const string Friend = "friend";

    public static readonly IReadOnlyList<string> All = [None, Fan, Community, Friend];

    public static string Of(Depth depth) => depth switch
    {
        Depth.Fan => Fan,
        Depth.Community => Community,
        Depth.Friend => Friend,
        _ => None,
    };

    public static Depth? Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        None => Depth.None,
        Fan => Depth.Fan,
        Community => Depth.Community,
        Friend => Depth.Friend,
        _ => null,
    };
}

internal static class ConsentFilter
{
    public const string OptedIn = "opted_in";
    public const string OptedOut = "opted_out";
}

/// <summary>One row of the customer list: personal data always masked.</summary>
internal sealed class CustomerSummary
{
    public Guid Id { get; init; }
    public string? DisplayName { get; init; }
    public string Depth { get; init; } = DepthNames.None;
    public Guid? OwnerStaffId { get; init; }
    public string? OwnerStaffName { get; init; }
    public string? Phone { get; init; }
    public string? Email { get; init; }
    public bool OptedOut { get; init; }
    public DateTimeOffset FirstSeenAt { get; init; }
    public DateTimeOffset LastSeenAt { get; init; }
}

internal sealed class CustomerPage
{
    public IReadOnlyList<CustomerSummary> Items { get; init; } = [];

    /// <summary>Pass as <c>cursor</c> to get the next page; null on the last page.</summary>
    public string? NextCursor { get; init; }
}

internal sealed class IdentityView
{
    public string Kind { get; init; } = "";
    public string Scope { get; init; } = "";
    public string Value { get; init; } = "";

    /// <summary>When Pond learnt the identity; null for identities listed in a merge record.</summary>
    public DateTimeOffset? CreatedAt { get; init; }
}

internal sealed class RelationshipView
{
    public Guid Id { get; init; }
    public Guid CarrierId { get; init; }
    public string? CarrierName { get; init; }
    public string? CarrierKind { get; init; }
    public string Depth { get; init; } = DepthNames.None;
    public string State { get; init; } = "";
    public DateTimeOffset Since { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public string? EndedBy { get; init; }
    public string? SourceChannel { get; init; }
}

internal sealed class MergeView
{
    public Guid MergedId { get; init; }
    public Guid IntoId { get; init; }
    public DateTimeOffset MergedAt { get; init; }
    public IReadOnlyList<IdentityView> Identities { get; init; } = [];
}

internal sealed class ConsentView
{
    public bool MarketingOptOut { get; init; }
    public DateTimeOffset? OptedOutAt { get; init; }
}

/// <summary>The customer 360: everything Pond knows about one person.</summary>
internal sealed class CustomerDetail
{
    public Guid Id { get; init; }
    public string? DisplayName { get; init; }
    public string Depth { get; init; } = DepthNames.None;
    public Guid? OwnerStaffId { get; init; }
    public string? OwnerStaffName { get; init; }
    public ConsentView Consent { get; init; } = new();
    public IReadOnlyDictionary<string, JsonElement> Traits { get; init; } = new Dictionary<string, JsonElement>();
    public DateTimeOffset FirstSeenAt { get; init; }
    public DateTimeOffset LastSeenAt { get; init; }
    public DateTimeOffset? FirstOrderAt { get; init; }
    public DateTimeOffset? LastOrderAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>False when personal values (phone, email) are masked for this viewer.</summary>
    public bool PersonalDataVisible { get; init; }
    public IReadOnlyList<IdentityView> Identities { get; init; } = [];
    public IReadOnlyList<RelationshipView> Relationships { get; init; } = [];

    /// <summary>Customers merged into this one (directly or through an earlier merge), newest first.</summary>
    public IReadOnlyList<MergeView> Merges { get; init; } = [];

    public IReadOnlyList<TagView> Tags { get; init; } = [];

    /// <summary>How the customer arrived: every relationship start, with the channel, code and staff it is credited to.</summary>
    public IReadOnlyList<AcquisitionView> Acquisitions { get; init; } = [];

    /// <summary>The segments the customer is in now, and since when.</summary>
    public IReadOnlyList<SegmentMembershipView> Segments { get; init; } = [];
}

internal sealed class SegmentMembershipView
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public DateTimeOffset EnteredAt { get; init; }
}

internal sealed class TagView
{
    public string Tag { get; init; } = "";
    public string Source { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}

internal sealed class AcquisitionView
{
    public Guid CarrierId { get; init; }
    public string? CarrierName { get; init; }
    public string CarrierKind { get; init; } = "";
    public Guid? ChannelId { get; init; }
    public string? ChannelName { get; init; }
    public Guid? CodeId { get; init; }
    public string? CodeName { get; init; }
    public Guid? StaffId { get; init; }
    public string? StaffName { get; init; }
    public DateTimeOffset AcquiredAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public string? EndedBy { get; init; }
}

/// <summary>Looking a customer up by id: found, merged into a survivor, or unknown.</summary>
internal sealed record CustomerLookup(CustomerDetail? Customer, Guid? MergedInto);

internal sealed class TimelineEvent
{
    public long Id { get; init; }
    public string Type { get; init; } = "";
    public string? Name { get; init; }
    public DateTimeOffset OccurredAt { get; init; }
    public string MessageId { get; init; } = "";
    public JsonElement Properties { get; init; }
}

internal sealed class TimelinePage
{
    public IReadOnlyList<TimelineEvent> Items { get; init; } = [];
    public string? NextCursor { get; init; }
}

/// <summary>A parsed, validated customer list request; <see cref="Parse"/> turns query-string text into it or says what to fix.</summary>
internal sealed record CustomerQuery(string? Search, Depth? Depth, Guid? CarrierId, Guid? StaffId, bool? OptedOut, Guid? After, int Limit)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary>Only members of this segment.</summary>
    public Guid? SegmentId { get; init; }

    /// <summary>Only these customers (a segment preview's sample).</summary>
    public IReadOnlyCollection<Guid>? Ids { get; init; }

    public static CustomerQuery Parse(string? search, string? depth, string? carrier, string? staff, string? consent, string? cursor, string? limit)
    {
        Depth? parsedDepth = null;
        if (!string.IsNullOrWhiteSpace(depth))
            parsedDepth = DepthNames.Parse(depth)
                ?? throw new ValidationFailedException($"Unknown depth '{depth}'; use one of {string.Join(", ", DepthNames.All)}.", "depth");

        bool? optedOut = consent?.Trim().ToLowerInvariant() switch
        {
            null or "" => null,
            ConsentFilter.OptedIn => false,
            ConsentFilter.OptedOut => true,
            _ => throw new ValidationFailedException($"Unknown consent '{consent}'; use {ConsentFilter.OptedIn} or {ConsentFilter.OptedOut}.", "consent"),
        };

        return new CustomerQuery(
            string.IsNullOrWhiteSpace(search) ? null : search.Trim(),
            parsedDepth,
            ParseId(carrier, "carrier"),
            ParseId(staff, "staff"),
            optedOut,
            string.IsNullOrWhiteSpace(cursor) ? null : Cursors.DecodeCustomer(cursor),
            ParseLimit(limit, DefaultLimit, MaxLimit));
    }

    internal static Guid? ParseId(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        return Guid.TryParse(value.Trim(), out var id)
            ? id
            : throw new ValidationFailedException($"'{value}' is not an id; {field} takes the id of a {field} in this workspace.", field);
    }

    internal static int ParseLimit(string? value, int defaultLimit, int maxLimit)
    {
        if (string.IsNullOrWhiteSpace(value))
            return defaultLimit;
        if (!int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var limit)
            || limit < 1 || limit > maxLimit)
            throw new ValidationFailedException($"limit must be a whole number from 1 to {maxLimit}; got '{value}'.", "limit");
        return limit;
    }
}
