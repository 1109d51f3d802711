using System.Globalization;
using Pond.Audience.Scores;

namespace Pond.Server.Components.Pages.Audience;

/// <summary>The RFM settings form as posted: breakpoints as comma-separated lists.</summary>
internal sealed class RfmSettingsInput
{
    public string? WindowDays { get; set; }
    public string? Scoring { get; set; }
    public string? HighScore { get; set; }
    public string? RecencyDays { get; set; }
    public string? Frequency { get; set; }
    public string? Monetary { get; set; }

    public static RfmSettingsInput From(RfmSettings s) => new()
    {
        WindowDays = s.WindowDays.ToString(CultureInfo.InvariantCulture),
        Scoring = s.Scoring,
        HighScore = s.HighScore.ToString(CultureInfo.InvariantCulture),
        RecencyDays = List(s.RecencyDays),
        Frequency = List(s.Frequency),
        Monetary = List(s.Monetary),
    };

    public RfmSettings ToSettings() => new()
    {
        WindowDays = FormNumbers.Whole(WindowDays, "windowDays"),
        Scoring = Scoring?.Trim() ?? "",
        HighScore = FormNumbers.Whole(HighScore, "highScore"),
        RecencyDays = FormNumbers.List(RecencyDays, "recencyDays")?.Select(d => FormNumbers.ToWhole(d, "recencyDays")).ToArray(),
        Frequency = FormNumbers.List(Frequency, "frequency")?.Select(d => FormNumbers.ToWhole(d, "frequency")).ToArray(),
        Monetary = FormNumbers.List(Monetary, "monetary"),
    };

    private static string? List<T>(T[]? values) where T : IFormattable =>
        values is null ? null : string.Join(", ", values.Select(v => v.ToString(null, CultureInfo.InvariantCulture)));
}

/// <summary>The lifecycle settings form as posted; empty loyal fields mean "no such rule".</summary>
internal sealed class LifecycleSettingsInput
{
    public string? AtRiskDays { get; set; }
    public string? LostDays { get; set; }
    public string? LoyalMinOrders { get; set; }
    public string? LoyalMinSpend { get; set; }
    public string? LoyalWindowDays { get; set; }
    public string? LoyalRule { get; set; }

    public static LifecycleSettingsInput From(LifecycleSettings s) => new()
    {
        AtRiskDays = s.AtRiskDays.ToString(CultureInfo.InvariantCulture),
        LostDays = s.LostDays.ToString(CultureInfo.InvariantCulture),
        LoyalMinOrders = s.LoyalMinOrders?.ToString(CultureInfo.InvariantCulture),
        LoyalMinSpend = s.LoyalMinSpend?.ToString(CultureInfo.InvariantCulture),
        LoyalWindowDays = s.LoyalWindowDays.ToString(CultureInfo.InvariantCulture),
        LoyalRule = s.LoyalRule,
    };

    public LifecycleSettings ToSettings() => new()
    {
        AtRiskDays = FormNumbers.Whole(AtRiskDays, "atRiskDays"),
        LostDays = FormNumbers.Whole(LostDays, "lostDays"),
        LoyalMinOrders = string.IsNullOrWhiteSpace(LoyalMinOrders) ? null : FormNumbers.Whole(LoyalMinOrders, "loyalMinOrders"),
        LoyalMinSpend = string.IsNullOrWhiteSpace(LoyalMinSpend) ? null : FormNumbers.Number(LoyalMinSpend, "loyalMinSpend"),
        LoyalWindowDays = FormNumbers.Whole(LoyalWindowDays, "loyalWindowDays"),
        LoyalRule = LoyalRule?.Trim() ?? "",
    };
}

internal static class FormNumbers
{
    public static int Whole(string? text, string field) =>
        int.TryParse(text?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ValidationFailedException($"{field} must be a whole number.", field);

    public static decimal Number(string? text, string field) =>
        decimal.TryParse(text?.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ValidationFailedException($"{field} must be a number.", field);

    public static int ToWhole(decimal value, string field) =>
        value == decimal.Truncate(value) && value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw new ValidationFailedException($"{field}: breakpoints must be whole numbers.", field);

    /// <summary>"30, 90, 180, 365" → the numbers; empty → null (fixed scoring then asks for them).</summary>
    public static decimal[]? List(string? text, string field) =>
        string.IsNullOrWhiteSpace(text)
            ? null
            : text.Split([',', '，', ' '], StringSplitOptions.RemoveEmptyEntries).Select(part => Number(part, field)).ToArray();
}
