using System.Globalization;
using Pond.Channels;
using Pond.Server.Localization;

namespace Pond.Server.Components.Pages.Channels;

/// <summary>The channel form as the browser posts it; tags are one comma- or line-separated field.</summary>
public sealed class ChannelForm
{
    public string? Name { get; set; }
    public string? Kind { get; set; }
    public string? Hook { get; set; }
    public string? Tags { get; set; }
    public string? Notes { get; set; }
    public bool Archived { get; set; }

    internal static ChannelForm From(Channel channel) => new()
    {
        Name = channel.Name, Kind = channel.Kind, Hook = channel.Hook, Tags = string.Join(", ", channel.Tags), Notes = channel.Notes, Archived = channel.Archived,
    };

    internal ChannelInput ToInput() => new() { Name = Name, Kind = Kind, Hook = Hook, Tags = FormLists.Split(Tags), Notes = Notes, Archived = Archived };
}

public sealed class SpendForm
{
    public string? SpentOn { get; set; }
    public string? Amount { get; set; }
    public string? CodeId { get; set; }
    public string? Note { get; set; }

    internal SpendInput ToInput() => new()
    {
        SpentOn = DateOnly.TryParseExact(SpentOn, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null,
        Amount = decimal.TryParse(Amount, NumberStyles.Number, CultureInfo.InvariantCulture, out var amount) ? amount : null,
        CodeId = Guid.TryParse(CodeId, out var code) ? code : null,
        Note = Note,
    };
}

/// <summary>A live code as the browser posts it: one row per candidate account or group, ticked to include it.</summary>
public sealed class LiveCodeForm
{
    public string? Name { get; set; }
    public string? Kind { get; set; }
    public string? Strategy { get; set; }
    public string? Status { get; set; }
    public string? WelcomeText { get; set; }
    public string? WelcomeMaterial { get; set; }
    public string? WelcomeCoupon { get; set; }
    public List<MemberForm> Members { get; set; } = [];

    internal static LiveCodeForm From(LiveCode code) => new()
    {
        Name = code.Name, Kind = code.Kind, Strategy = code.Strategy, Status = code.Status, WelcomeText = code.WelcomeText,
        WelcomeMaterial = code.WelcomeMaterial, WelcomeCoupon = code.WelcomeCoupon,
        Members = code.Members.Select(m => new MemberForm
        {
            CarrierId = m.CarrierId.ToString(), Selected = true, Weight = m.Weight.ToString(CultureInfo.InvariantCulture),
            DailyCap = m.DailyCap?.ToString(CultureInfo.InvariantCulture), Capacity = m.Capacity?.ToString(CultureInfo.InvariantCulture),
            Regions = string.Join(", ", m.Regions), From = m.Hours?.From, To = m.Hours?.To,
        }).ToList(),
    };

    internal LiveCodeInput ToInput(Guid channelId) => new()
    {
        ChannelId = channelId, Kind = Kind, Name = Name, Strategy = Strategy, Status = Status, WelcomeText = WelcomeText,
        WelcomeMaterial = WelcomeMaterial, WelcomeCoupon = WelcomeCoupon,
        Members = Members.Where(m => m.Selected && Guid.TryParse(m.CarrierId, out _)).Select(m => new LiveCodeMemberInput
        {
            CarrierId = Guid.Parse(m.CarrierId!),
            Weight = FormLists.Number(m.Weight, "weight"),
            DailyCap = FormLists.Number(m.DailyCap, "dailyCap"),
            Capacity = FormLists.Number(m.Capacity, "capacity"),
            Regions = FormLists.Split(m.Regions),
            Hours = string.IsNullOrWhiteSpace(m.From) && string.IsNullOrWhiteSpace(m.To) ? null : new WorkingHoursInput { From = m.From?.Trim(), To = m.To?.Trim() },
        }).ToList(),
    };
}

public sealed class MemberForm
{
    public string? CarrierId { get; set; }
    public bool Selected { get; set; }
    public string? Weight { get; set; }
    public string? DailyCap { get; set; }
    public string? Capacity { get; set; }
    public string? Regions { get; set; }
    public string? From { get; set; }
    public string? To { get; set; }
}

internal static class FormLists
{
    public static List<string> Split(string? text) =>
        (text ?? "").Split([',', '，', '\n', '、'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    public static int? Number(string? text, string field) =>
        string.IsNullOrWhiteSpace(text) ? null
        : int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value
        : throw new ValidationFailedException($"{field} must be a whole number.", field);
}

/// <summary>Channel words in the console's language.</summary>
internal static class ChannelDisplay
{
    public static string Kind(Text t, string kind) => kind switch
    {
        ChannelKinds.PackageCard => t["Package card"],
        ChannelKinds.Sms => t["SMS"],
        ChannelKinds.Kol => t["KOL / KOC"],
        ChannelKinds.Ad => t["Ad"],
        ChannelKinds.StorePoster => t["Store poster"],
        ChannelKinds.Livestream => t["Livestream"],
        ChannelKinds.ContentPlatform => t["Content platform"],
        ChannelKinds.Referral => t["Referral"],
        _ => t["Other"],
    };

    public static string Strategy(Text t, string strategy) => strategy switch
    {
        RoutingStrategies.Weighted => t["Weighted"],
        RoutingStrategies.Region => t["By region"],
        RoutingStrategies.WorkingHours => t["By working hours"],
        _ => t["Round robin"],
    };

    public static string CodeKind(Text t, string kind) => kind == LiveCodeKinds.Group ? t["Group live code"] : t["Channel live code"];

    public static string CodeStatus(Text t, string status) => status == LiveCodeStatuses.Paused ? t["Paused"] : t["Active"];

    public static string Money(decimal amount) => "¥" + amount.ToString("#,0.00", CultureInfo.InvariantCulture);
}
