using Pond.Staff;

namespace Pond.Server.Components.Pages.Staff;

/// <summary>The staff form as posted by the browser: every field text, converted and validated by <see cref="StaffDirectory"/>.</summary>
public sealed class StaffForm
{
    public string? Name { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }
    public string? WecomUserId { get; set; }
    public string? Status { get; set; }

    internal static StaffForm From(StaffMember staff) => new()
    {
        Name = staff.Name, Email = staff.Email, Phone = staff.Phone, WecomUserId = staff.WecomUserId, Status = staff.Status,
    };

    internal StaffInput ToInput() => new() { Name = Name, Email = Email, Phone = Phone, WecomUserId = WecomUserId, Status = Status };
}

/// <summary>The carrier form as posted by the browser; the owner comes from a select whose empty option means "nobody".</summary>
public sealed class CarrierForm
{
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? ExternalId { get; set; }
    public string? AppId { get; set; }
    public string? ContactUrl { get; set; }
    public string? OwnerStaffId { get; set; }
    public string? Status { get; set; }

    internal static CarrierForm From(CarrierAccount carrier) => new()
    {
        Kind = carrier.Kind, Name = carrier.Name, ExternalId = carrier.ExternalId, AppId = carrier.AppId, ContactUrl = carrier.ContactUrl,
        OwnerStaffId = carrier.OwnerStaffId?.ToString(), Status = carrier.Status,
    };

    internal CarrierInput ToInput() => new()
    {
        Kind = Kind, Name = Name, ExternalId = ExternalId, AppId = AppId, ContactUrl = ContactUrl, Status = Status,
        OwnerStaffId = Pond.Customers.CustomerQuery.ParseId(OwnerStaffId, "ownerStaffId"),
    };
}
