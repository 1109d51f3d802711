using System.Globalization;
using Pond.Loyalty;

namespace Pond.Server.Components.Pages.Loyalty;

/// <summary>The points rules form as posted. Tasks are one per line: code | name | points | limit.</summary>
internal sealed class LoyaltyRulesInput
{
    public string? Enabled { get; set; }
    public string? PointsPerYuan { get; set; }
    public string? CheckInPoints { get; set; }
    public string? StreakDays { get; set; }
    public string? StreakBonus { get; set; }
    public string? ReferralPoints { get; set; }
    public string? ExpiryMode { get; set; }
    public string? ExpiryDays { get; set; }
    public string? MemberDay { get; set; }
    public string? MemberDayMultiplier { get; set; }
    public string? TierBasis { get; set; }
    public string? Tasks { get; set; }

    public static LoyaltyRulesInput From(LoyaltyRules r) => new()
    {
        Enabled = r.Enabled ? "true" : null,
        PointsPerYuan = r.PointsPerYuan.ToString(CultureInfo.InvariantCulture),
        CheckInPoints = r.CheckIn.Points.ToString(CultureInfo.InvariantCulture),
        StreakDays = r.CheckIn.StreakDays.ToString(CultureInfo.InvariantCulture),
        StreakBonus = r.CheckIn.StreakBonus.ToString(CultureInfo.InvariantCulture),
        ReferralPoints = r.ReferralPoints.ToString(CultureInfo.InvariantCulture),
        ExpiryMode = r.Expiry.Mode,
        ExpiryDays = r.Expiry.Days?.ToString(CultureInfo.InvariantCulture),
        MemberDay = r.MemberDay.DayOfMonth?.ToString(CultureInfo.InvariantCulture),
        MemberDayMultiplier = r.MemberDay.Multiplier.ToString(CultureInfo.InvariantCulture),
        TierBasis = r.TierBasis,
        Tasks = string.Join("\n", r.Tasks.Select(t => $"{t.Code} | {t.Name} | {t.Points} | {t.Limit}")),
    };

    public LoyaltyRules ToRules() => new LoyaltyRules
    {
        Enabled = Enabled is "true" or "on",
        PointsPerYuan = Number(PointsPerYuan, "pointsPerYuan"),
        CheckIn = new CheckInRule
        {
            Points = Whole(CheckInPoints, "checkIn.points"),
            StreakDays = (int)Whole(StreakDays, "checkIn.streakDays"),
            StreakBonus = Whole(StreakBonus, "checkIn.streakBonus"),
        },
        ReferralPoints = Whole(ReferralPoints, "referralPoints"),
        Expiry = new ExpiryPolicy
        {
            Mode = ExpiryMode?.Trim() ?? "",
            Days = string.IsNullOrWhiteSpace(ExpiryDays) ? null : (int)Whole(ExpiryDays, "expiry.days"),
        },
        MemberDay = new MemberDayRule
        {
            DayOfMonth = string.IsNullOrWhiteSpace(MemberDay) ? null : (int)Whole(MemberDay, "memberDay.dayOfMonth"),
            Multiplier = string.IsNullOrWhiteSpace(MemberDayMultiplier) ? 1m : Number(MemberDayMultiplier, "memberDay.multiplier"),
        },
        TierBasis = TierBasis?.Trim() ?? "",
        Tasks = ParseTasks(Tasks),
    }.Validate();

    private static List<PointsTask> ParseTasks(string? text)
    {
        var tasks = new List<PointsTask>();
        var lines = (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < lines.Length; i++)
        {
            var parts = lines[i].Split('|', StringSplitOptions.TrimEntries);
            if (parts.Length != 4)
                throw new ValidationFailedException($"Task line {i + 1} needs four parts: code | name | points | limit (e.g. review | Write a review | 20 | 50).", "tasks");
            tasks.Add(new PointsTask { Code = parts[0], Name = parts[1], Points = Whole(parts[2], $"tasks[{i}].points"), Limit = (int)Whole(parts[3], $"tasks[{i}].limit") });
        }

        return tasks;
    }

    internal static long Whole(string? text, string field) =>
        long.TryParse(text?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value is >= int.MinValue and <= int.MaxValue
            ? value
            : throw new ValidationFailedException($"{field} must be a whole number.", field);

    internal static decimal Number(string? text, string field) =>
        decimal.TryParse(text?.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ValidationFailedException($"{field} must be a number.", field);
}

/// <summary>The tier form as posted.</summary>
public sealed class TierFormInput
{
    public string? Name { get; set; }
    public string? Threshold { get; set; }
    public string? PointsMultiplier { get; set; }
    public string? BirthdayPoints { get; set; }
    public string? DiscountCouponTemplateId { get; set; }
    public string? BirthdayCouponTemplateId { get; set; }
    public string? Color { get; set; }

    public static TierFormInput From(Tier t) => new()
    {
        Name = t.Name,
        Threshold = t.Threshold.ToString(CultureInfo.InvariantCulture),
        PointsMultiplier = t.PointsMultiplier.ToString("0.##", CultureInfo.InvariantCulture),
        BirthdayPoints = t.BirthdayPoints.ToString(CultureInfo.InvariantCulture),
        DiscountCouponTemplateId = t.DiscountCouponTemplateId?.ToString(),
        BirthdayCouponTemplateId = t.BirthdayCouponTemplateId?.ToString(),
        Color = t.Color,
    };

    internal TierInput ToInput() => new()
    {
        Name = Name,
        Threshold = string.IsNullOrWhiteSpace(Threshold) ? null : LoyaltyRulesInput.Whole(Threshold, "threshold"),
        PointsMultiplier = string.IsNullOrWhiteSpace(PointsMultiplier) ? null : LoyaltyRulesInput.Number(PointsMultiplier, "pointsMultiplier"),
        BirthdayPoints = string.IsNullOrWhiteSpace(BirthdayPoints) ? null : LoyaltyRulesInput.Whole(BirthdayPoints, "birthdayPoints"),
        DiscountCouponTemplateId = Id(DiscountCouponTemplateId, "discountCouponTemplateId"),
        BirthdayCouponTemplateId = Id(BirthdayCouponTemplateId, "birthdayCouponTemplateId"),
        Color = Color,
    };

    private static Guid? Id(string? text, string field) =>
        string.IsNullOrWhiteSpace(text) ? null
        : Guid.TryParse(text.Trim(), out var id) ? id
        : throw new ValidationFailedException($"{field} must be a coupon template id (a uuid), or empty.", field);
}

internal static class LoyaltyDisplay
{
    public static string Points(long points) => points.ToString("N0", CultureInfo.InvariantCulture);

    public static string Yuan(long fen) => "¥" + (fen / 100m).ToString("N2", CultureInfo.InvariantCulture);

    /// <summary>The threshold as the basis reads it: ¥ for spend, points for points.</summary>
    public static string Threshold(long threshold, string basis) =>
        basis == TierBases.Spend ? "¥" + threshold.ToString("N0", CultureInfo.InvariantCulture) : threshold.ToString("N0", CultureInfo.InvariantCulture);

    public static string Metric(long metric, string basis) => basis == TierBases.Spend ? Yuan(metric) : Points(metric);

    public static string Multiplier(decimal m) => "×" + m.ToString("0.##", CultureInfo.InvariantCulture);
}
