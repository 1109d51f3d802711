using System.Text.RegularExpressions;

namespace Pond.Loyalty;

/// <summary>
/// A workspace's points and tier rules (defaults until someone saves). Points are whole numbers. Orders earn only when
/// <see cref="Enabled"/>; check-ins, tasks, referrals and spends work whenever the workspace calls them.
/// </summary>
public sealed partial record LoyaltyRules
{
    public bool Enabled { get; init; }

    /// <summary>Points per yuan paid, before the tier multiplier and the member day multiplier (0 to 1000).</summary>
    public decimal PointsPerYuan { get; init; } = 1m;

    public CheckInRule CheckIn { get; init; } = new();

    public IReadOnlyList<PointsTask> Tasks { get; init; } =
    [
        new() { Code = "review", Name = "Write a review", Points = 20, Limit = 50 },
        new() { Code = "share", Name = "Share a product", Points = 5, Limit = 100 },
        new() { Code = "complete_profile", Name = "Complete the profile", Points = 100, Limit = 1 },
    ];

    /// <summary>Points a referrer earns for each customer they bring (once per referred customer).</summary>
    public long ReferralPoints { get; init; } = 200;

    public ExpiryPolicy Expiry { get; init; } = new();

    public MemberDayRule MemberDay { get; init; } = new();

    /// <summary>What tier thresholds measure: "spend" (fen of net spend in the last 12 months) or "points" (points earned in the last 12 months).</summary>
    public string TierBasis { get; init; } = TierBases.Spend;

    public static LoyaltyRules Default { get; } = new();

    public LoyaltyRules Validate()
    {
        if (PointsPerYuan is < 0 or > 1000)
            throw new ValidationFailedException("pointsPerYuan must be between 0 and 1000.", "pointsPerYuan");
        var checkIn = CheckIn ?? throw new ValidationFailedException("checkIn is required.", "checkIn");
        if (checkIn.Points is < 0 or > 100_000)
            throw new ValidationFailedException("checkIn.points must be between 0 and 100000.", "checkIn.points");
        if (checkIn.StreakDays is < 0 or 1 or > 366)
            throw new ValidationFailedException("checkIn.streakDays must be 0 (no streak bonus) or between 2 and 366.", "checkIn.streakDays");
        if (checkIn.StreakBonus is < 0 or > 1_000_000)
            throw new ValidationFailedException("checkIn.streakBonus must be between 0 and 1000000.", "checkIn.streakBonus");
        var tasks = Tasks ?? [];
        if (tasks.Count > 50)
            throw new ValidationFailedException("At most 50 tasks.", "tasks");
        var codes = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tasks.Count; i++)
        {
            var task = tasks[i] ?? throw new ValidationFailedException($"tasks[{i}] is empty.", $"tasks[{i}]");
            if (task.Code is null || !TaskCode().IsMatch(task.Code))
                throw new ValidationFailedException($"tasks[{i}].code must be 1 to 40 lower-case letters, digits or underscores (e.g. review).", $"tasks[{i}].code");
            if (!codes.Add(task.Code))
                throw new ValidationFailedException($"Task code '{task.Code}' appears twice.", $"tasks[{i}].code");
            if (string.IsNullOrWhiteSpace(task.Name) || task.Name.Length > 100)
                throw new ValidationFailedException($"tasks[{i}].name is required (at most 100 characters).", $"tasks[{i}].name");
            if (task.Points is < 1 or > 1_000_000)
                throw new ValidationFailedException($"tasks[{i}].points must be between 1 and 1000000.", $"tasks[{i}].points");
            if (task.Limit is < 1 or > 100_000)
                throw new ValidationFailedException($"tasks[{i}].limit (completions per customer) must be between 1 and 100000.", $"tasks[{i}].limit");
        }

        if (ReferralPoints is < 0 or > 1_000_000)
            throw new ValidationFailedException("referralPoints must be between 0 and 1000000.", "referralPoints");
        var expiry = Expiry ?? throw new ValidationFailedException("expiry is required.", "expiry");
        if (!ExpiryModes.IsValid(expiry.Mode))
            throw new ValidationFailedException("expiry.mode must be never, days or end_of_next_year.", "expiry.mode");
        if (expiry.Mode == ExpiryModes.Days && expiry.Days is not (>= 1 and <= 3650))
            throw new ValidationFailedException("expiry.days must be between 1 and 3650 when expiry.mode is days.", "expiry.days");
        var memberDay = MemberDay ?? new MemberDayRule();
        if (memberDay.DayOfMonth is { } day && day is < 1 or > 28)
            throw new ValidationFailedException("memberDay.dayOfMonth must be between 1 and 28 (every month has it), or empty for no member day.", "memberDay.dayOfMonth");
        if (memberDay.Multiplier is < 1 or > 10)
            throw new ValidationFailedException("memberDay.multiplier must be between 1 and 10.", "memberDay.multiplier");
        if (TierBasis is not (TierBases.Spend or TierBases.Points))
            throw new ValidationFailedException("tierBasis must be spend or points.", "tierBasis");
        return this with
        {
            Tasks = tasks.Select(t => t with { Name = t.Name.Trim() }).ToList(),
            Expiry = expiry.Mode == ExpiryModes.Days ? expiry : expiry with { Days = null },
            MemberDay = memberDay,
        };
    }

    /// <summary>When points earned at <paramref name="earnedAt"/> expire (null: never), reading years in the workspace's zone.</summary>
    public DateTimeOffset? ExpiresAt(DateTimeOffset earnedAt, TimeZoneInfo zone)
    {
        switch (Expiry.Mode)
        {
            case ExpiryModes.Days:
                return earnedAt.AddDays(Expiry.Days ?? 365);
            case ExpiryModes.EndOfNextYear:
                var year = TimeZoneInfo.ConvertTime(earnedAt, zone).Year;
                var local = new DateTime(year + 2, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
                return new DateTimeOffset(local, zone.GetUtcOffset(local));
            default:
                return null;
        }
    }

    public PointsTask? Task(string code) => Tasks.FirstOrDefault(t => t.Code == code);

    [GeneratedRegex("^[a-z0-9_]{1,40}$")]
    private static partial Regex TaskCode();
}

/// <summary>Daily check-in 打卡: <see cref="Points"/> each day, plus <see cref="StreakBonus"/> on every <see cref="StreakDays"/>-th day in a row (7, 14, 21…).</summary>
public sealed record CheckInRule
{
    public long Points { get; init; } = 5;
    public int StreakDays { get; init; } = 7;
    public long StreakBonus { get; init; } = 50;
}

/// <summary>A task that earns points (review, share, complete profile), at most <see cref="Limit"/> times per customer.</summary>
public sealed record PointsTask
{
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public long Points { get; init; }
    public int Limit { get; init; } = 1;
}

/// <summary>never; days (expire <see cref="Days"/> after earning); end_of_next_year (points earned in a year expire when the next year ends).</summary>
public sealed record ExpiryPolicy
{
    public string Mode { get; init; } = ExpiryModes.EndOfNextYear;
    public int? Days { get; init; }
}

/// <summary>Member day 会员日: orders placed on this day of the month (workspace's zone) earn points × <see cref="Multiplier"/>.</summary>
public sealed record MemberDayRule
{
    public int? DayOfMonth { get; init; }
    public decimal Multiplier { get; init; } = 2m;
}

public static class ExpiryModes
{
    public const string Never = "never";
    public const string Days = "days";
    public const string EndOfNextYear = "end_of_next_year";

    public static bool IsValid(string? mode) => mode is Never or Days or EndOfNextYear;
}

public static class TierBases
{
    public const string Spend = "spend";
    public const string Points = "points";
}

/// <summary>Ledger row kinds.</summary>
public static class PointsKinds
{
    public const string Earn = "earn";
    public const string Spend = "spend";
    public const string Expire = "expire";
    public const string Adjust = "adjust";
    public const string Reverse = "reverse";
}

/// <summary>Where points came from or went: the ledger's source column.</summary>
public static class PointsSources
{
    public const string Order = "order";
    public const string CheckIn = "check_in";
    public const string Task = "task";
    public const string Referral = "referral";
    public const string Birthday = "birthday";
    public const string Manual = "manual";
    public const string Redeem = "redeem";
    public const string Gift = "gift";
    public const string Expiry = "expiry";
    public const string Journey = "journey";
    /// <summary>Earnings paying back points a refund could not take (see points_balances.debt).</summary>
    public const string Debt = "debt";
}
