namespace Pond.Staff;

/// <summary>在职转接 (the staff member stays) or 离职继承 (the staff member has left).</summary>
internal static class HandoverKinds
{
    public const string InService = "in_service";
    public const string Resigned = "resigned";

    public static readonly IReadOnlyList<string> All = [InService, Resigned];
}

/// <summary>Where one customer's transfer stands.</summary>
internal static class TransferStatuses
{
    /// <summary>WeCom accepted the transfer; it completes within 24 hours unless the customer refuses.</summary>
    public const string Waiting = "waiting";
    public const string Transferred = "transferred";
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Waiting, Transferred, Failed];
}

/// <summary>What a caller sends to hand one staff member's customers and groups to others.</summary>
internal sealed class HandoverRequest
{
    /// <summary>in_service (在职转接) or resigned (离职继承).</summary>
    public string? Kind { get; set; }

    public Guid? FromStaffId { get; set; }

    /// <summary>The 接替成员: customers are spread over them round robin; groups go to the first.</summary>
    public IReadOnlyList<Guid>? ToStaffIds { get; set; }

    /// <summary>Only these customers; null hands over all of them.</summary>
    public IReadOnlyList<Guid>? CustomerIds { get; set; }

    /// <summary>What WeCom shows the customer once an in-service transfer is done (at most 200 characters).</summary>
    public string? TransferMessage { get; set; }
}

/// <summary>A handover with how many of its customers are waiting, transferred or failed.</summary>
internal sealed class HandoverSummary
{
    public Guid Id { get; init; }
    public string Kind { get; init; } = "";
    public Guid FromStaffId { get; init; }
    public string? FromStaffName { get; init; }
    public string Actor { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public int Total { get; init; }
    public int Waiting { get; init; }
    public int Transferred { get; init; }
    public int Failed { get; init; }
}

/// <summary>A handover with every customer's transfer.</summary>
internal sealed class HandoverDetail
{
    public Guid Id { get; init; }
    public string Kind { get; init; } = "";
    public Guid FromStaffId { get; init; }
    public string? FromStaffName { get; init; }
    public string Actor { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public int Total { get; init; }
    public int Waiting { get; init; }
    public int Transferred { get; init; }
    public int Failed { get; init; }
    public IReadOnlyList<CustomerTransfer> Transfers { get; init; } = [];

    /// <summary>The group chats moved (or not) when the handover was started; only in the answer to the start.</summary>
    public IReadOnlyList<GroupTransfer>? Groups { get; init; }
}

/// <summary>One customer's move from one staff account to another.</summary>
internal sealed class CustomerTransfer
{
    public Guid Id { get; init; }
    public Guid CustomerId { get; init; }
    public string? CustomerName { get; init; }
    public string? ExternalUserId { get; init; }
    public Guid FromCarrierId { get; init; }
    public string? FromCarrierName { get; init; }
    public string? FromStaffName { get; init; }
    public Guid ToCarrierId { get; init; }
    public string? ToCarrierName { get; init; }
    public Guid ToStaffId { get; init; }
    public string? ToStaffName { get; init; }
    public string Status { get; init; } = "";
    public string? FailReason { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A group chat handed to a new owner, or why it stayed.</summary>
internal sealed record GroupTransfer(Guid CarrierId, string Name, string ChatId, bool Moved, string? FailReason);
