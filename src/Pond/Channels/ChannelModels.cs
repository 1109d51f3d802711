using System.Text.Json.Serialization;

namespace Pond.Channels;

/// <summary>Where a channel's people come from.</summary>
public static class ChannelKinds
{
    public const string PackageCard = "package_card";
    public const string Sms = "sms";
    public const string Kol = "kol";
    public const string Ad = "ad";
    public const string StorePoster = "store_poster";
    public const string Livestream = "livestream";
    public const string ContentPlatform = "content_platform";
    public const string Referral = "referral";
    public const string Other = "other";

    public static readonly IReadOnlyList<string> All = [PackageCard, Sms, Kol, Ad, StorePoster, Livestream, ContentPlatform, Referral, Other];
}

/// <summary>A channel live code (渠道活码) routes to staff accounts; a group live code (群活码) to groups.</summary>
public static class LiveCodeKinds
{
    public const string Staff = "staff";
    public const string Group = "group";

    public static readonly IReadOnlyList<string> All = [Staff, Group];
}

public static class LiveCodeStatuses
{
    public const string Active = "active";
    public const string Paused = "paused";

    public static readonly IReadOnlyList<string> All = [Active, Paused];
}

/// <summary>Strategy names as the API spells them.</summary>
public static class RoutingStrategies
{
    public const string RoundRobin = "round_robin";
    public const string Weighted = "weighted";
    public const string Region = "region";
    public const string WorkingHours = "working_hours";

    public static readonly IReadOnlyList<string> All = [RoundRobin, Weighted, Region, WorkingHours];

    public static RoutingStrategy Parse(string name) => name switch
    {
        Weighted => RoutingStrategy.Weighted,
        Region => RoutingStrategy.Region,
        WorkingHours => RoutingStrategy.WorkingHours,
        _ => RoutingStrategy.RoundRobin,
    };
}

/// <summary>An acquisition source (渠道): a package-card batch, an SMS blast, a KOL post, a store poster…</summary>
internal sealed class Channel
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string? Hook { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public string? Notes { get; init; }
    public bool Archived { get; init; }
    public int Codes { get; init; }
    public decimal TotalSpend { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

internal sealed class ChannelInput
{
    public string? Name { get; set; }
    public string? Kind { get; set; }
    public string? Hook { get; set; }
    public List<string>? Tags { get; set; }
    public string? Notes { get; set; }
    public bool? Archived { get; set; }
}

/// <summary>Money spent on a channel (or one of its codes) on a day.</summary>
internal sealed class SpendEntry
{
    public Guid Id { get; init; }
    public Guid ChannelId { get; init; }
    public Guid? CodeId { get; init; }
    public DateOnly SpentOn { get; init; }
    public decimal Amount { get; init; }
    public string? Note { get; init; }
    public string CreatedBy { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}

internal sealed class SpendInput
{
    public DateOnly? SpentOn { get; set; }
    public decimal? Amount { get; set; }
    public Guid? CodeId { get; set; }
    public string? Note { get; set; }
}

/// <summary>A live code: one QR image and short link for a channel, routing to accounts or groups.</summary>
internal sealed class LiveCode
{
    public Guid Id { get; init; }
    [JsonIgnore]
    public Guid WorkspaceId { get; init; }
    public Guid ChannelId { get; init; }
    public string ChannelName { get; init; } = "";
    /// <summary>The channel's hook, which the landing page shows.</summary>
    public string? ChannelHook { get; init; }
    public string Kind { get; init; } = "";
    public string Name { get; init; } = "";
    /// <summary>The short link is /c/{slug}.</summary>
    public string Slug { get; init; } = "";
    /// <summary>What WeCom echoes on add (contact-way State) and what official-account QR scenes carry.</summary>
    public string State { get; init; } = "";
    public string Strategy { get; init; } = "";
    public string? WelcomeText { get; init; }
    public string? WelcomeMaterial { get; init; }
    public string? WelcomeCoupon { get; init; }
    public string Status { get; init; } = "";
    public long Scans { get; init; }
    /// <summary>Filled after the code's row is read (a second query for all codes at once).</summary>
    public IReadOnlyList<LiveCodeMember> Members { get; set; } = [];
    /// <summary>Why the code cannot route anyone right now (its open console alert), if so.</summary>
    public string? Alert { get; init; }
    /// <summary>Whether the nearly-full alert is open, so a scan writes the alert only when that changes.</summary>
    [JsonIgnore]
    public bool NearlyFullAlert { get; init; }
    [JsonIgnore]
    public bool BrokenAlert { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A staff account or group behind a live code.</summary>
internal sealed class LiveCodeMember
{
    public Guid CarrierId { get; init; }
    public string CarrierName { get; init; } = "";
    public string CarrierKind { get; init; } = "";
    public string CarrierStatus { get; init; } = "";
    public string? ExternalId { get; init; }
    public int Position { get; init; }
    public int Weight { get; init; } = 1;
    public int? DailyCap { get; init; }
    public int? Capacity { get; init; }
    public IReadOnlyList<string> Regions { get; init; } = [];
    public WorkingHoursInput? Hours { get; init; }
    /// <summary>The WeCom contact way (联系我) made for this code and account, when WeCom is connected.</summary>
    public string? ContactWayId { get; init; }
    /// <summary>What the landing page shows: the contact way's QR link, else the account's own contact link.</summary>
    public string? ContactUrl { get; init; }
    /// <summary>Live relationships with this account or group now (group members for group codes).</summary>
    public int Members { get; init; }
}

internal sealed class LiveCodeInput
{
    public Guid? ChannelId { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Strategy { get; set; }
    public string? WelcomeText { get; set; }
    public string? WelcomeMaterial { get; set; }
    public string? WelcomeCoupon { get; set; }
    public string? Status { get; set; }
    public List<LiveCodeMemberInput>? Members { get; set; }
}

internal sealed class LiveCodeMemberInput
{
    public Guid? CarrierId { get; set; }
    public int? Weight { get; set; }
    public int? DailyCap { get; set; }
    public int? Capacity { get; set; }
    public List<string>? Regions { get; set; }
    public WorkingHoursInput? Hours { get; set; }
}

/// <summary>On-duty hours as the API spells them: "09:00" to "18:00" on ISO days 1 (Monday) … 7 (Sunday).</summary>
internal sealed class WorkingHoursInput
{
    public string? From { get; set; }
    public string? To { get; set; }
    public List<int>? Days { get; set; }
}
