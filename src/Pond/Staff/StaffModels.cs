namespace Pond.Staff;

internal static class StaffStatuses
{
    public const string Active = "active";
    public const string Disabled = "disabled";

    public static readonly IReadOnlyList<string> All = [Active, Disabled];
}

/// <summary>A person on the brand's team (导购, operator) who holds customer-facing accounts.</summary>
internal sealed class StaffMember
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string? Email { get; init; }
    public string? Phone { get; init; }
    public string? WecomUserId { get; init; }
    /// <summary>Put on links and mini-program paths (?sc=) so orders that come through them are credited to this person.</summary>
    public string? TrackingCode { get; init; }
    public string Status { get; init; } = StaffStatuses.Active;
    public int Carriers { get; init; }
    public int Customers { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>What a caller sends to create or replace a staff member.</summary>
internal sealed class StaffInput
{
    public string? Name { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }
    public string? WecomUserId { get; set; }
    /// <summary>Left out: a new staff member gets a generated code; an existing one keeps theirs.</summary>
    public string? TrackingCode { get; set; }
    public string? Status { get; set; }
}

/// <summary>A carrier account (载体): an official account, a staff WeCom/WeChat account, a group chat, a mini-program…</summary>
internal sealed class CarrierAccount
{
    public Guid Id { get; init; }
    public string Kind { get; init; } = "";
    public string Name { get; init; } = "";
    public string ExternalId { get; init; } = "";
    public string? AppId { get; init; }
    /// <summary>The account's own contact link or the group's join link, shown by live codes' landing pages.</summary>
    public string? ContactUrl { get; init; }
    public Guid? OwnerStaffId { get; init; }
    public string? OwnerStaffName { get; init; }
    public string Status { get; init; } = "";
    public int ActiveRelationships { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>What a caller sends to create or replace a carrier account.</summary>
internal sealed class CarrierInput
{
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? ExternalId { get; set; }
    public string? AppId { get; set; }
    public string? ContactUrl { get; set; }
    public Guid? OwnerStaffId { get; set; }
    public string? Status { get; set; }
}
