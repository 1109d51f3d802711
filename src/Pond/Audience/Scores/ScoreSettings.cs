namespace Pond.Audience.Scores;

/// <summary>The eight RFM cells of docs/segments.md, by which of R, F, M are high.</summary>
public static class RfmCells
{
    public const string ImportantValue = "important_value";
    public const string ImportantDevelop = "important_develop";
    public const string ImportantKeep = "important_keep";
    public const string ImportantRetain = "important_retain";
    public const string GeneralValue = "general_value";
    public const string GeneralDevelop = "general_develop";
    public const string GeneralKeep = "general_keep";
    public const string GeneralRetain = "general_retain";

    /// <summary>Every cell with its names and which scores are high (R, F, M), in the order the console shows them.</summary>
    public static readonly IReadOnlyList<RfmCellInfo> All =
    [
        new(ImportantValue, "重要价值", "Important value", true, true, true),
        new(ImportantDevelop, "重要发展", "Important develop", true, false, true),
        new(ImportantKeep, "重要保持", "Important keep", false, true, true),
        new(ImportantRetain, "重要挽留", "Important retain", false, false, true),
        new(GeneralValue, "一般价值", "General value", true, true, false),
        new(GeneralDevelop, "一般发展", "General develop", true, false, false),
        new(GeneralKeep, "一般保持", "General keep", false, true, false),
        new(GeneralRetain, "一般挽留", "General retain", false, false, false),
    ];

    public static string Of(bool highR, bool highF, bool highM) =>
        All.First(c => c.HighR == highR && c.HighF == highF && c.HighM == highM).Code;
}

public sealed record RfmCellInfo(string Code, string NameZh, string NameEn, bool HighR, bool HighF, bool HighM);

/// <summary>Lifecycle stage codes (docs/segments.md).</summary>
public static class LifecycleStages
{
    public const string New = "new";
    public const string FirstOrder = "first_order";
    public const string Repeat = "repeat";
    public const string Loyal = "loyal";
    public const string AtRisk = "at_risk";
    public const string Lost = "lost";

    public static readonly IReadOnlyList<(string Code, string NameZh, string NameEn)> All =
    [
        (New, "新客", "New"),
        (FirstOrder, "首单", "First order"),
        (Repeat, "复购", "Repeat"),
        (Loyal, "忠诚", "Loyal"),
        (AtRisk, "流失风险", "At risk"),
        (Lost, "已流失", "Lost"),
    ];
}

public static class RfmScoring
{
    public const string Quintile = "quintile";
    public const string Fixed = "fixed";
}

/// <summary>
/// How a workspace scores RFM. <see cref="RecencyDays"/>, <see cref="Frequency"/> and <see cref="Monetary"/> are the
/// four ascending breakpoints of fixed scoring (ignored, and may be null, with quintile scoring).
/// </summary>
public sealed record RfmSettings
{
    public int WindowDays { get; init; } = 365;
    public string Scoring { get; init; } = RfmScoring.Quintile;

    /// <summary>A score at or above this (1–5) counts as high when placing a customer in a cell.</summary>
    public int HighScore { get; init; } = 3;

    /// <summary>Fixed scoring: R is 5 for at most RecencyDays[0] days since the last order, 4 up to [1], 3 up to [2], 2 up to [3], else 1.</summary>
    public int[]? RecencyDays { get; init; }

    /// <summary>Fixed scoring: F is 1 plus how many of these order counts the customer reaches.</summary>
    public int[]? Frequency { get; init; }

    /// <summary>Fixed scoring: M is 1 plus how many of these amounts (yuan, in the window) the customer reaches.</summary>
    public decimal[]? Monetary { get; init; }

    public static readonly RfmSettings Default = new()
    {
        RecencyDays = [30, 90, 180, 365],
        Frequency = [2, 3, 5, 8],
        Monetary = [200, 500, 1000, 3000],
    };

    /// <summary>Throws with a message naming what to fix; returns the settings as stored.</summary>
    public RfmSettings Validate()
    {
        if (WindowDays is < 7 or > 1095)
            throw new ValidationFailedException("windowDays must be between 7 and 1095 days (default 365).", "windowDays");
        if (Scoring is not (RfmScoring.Quintile or RfmScoring.Fixed))
            throw new ValidationFailedException("scoring must be 'quintile' or 'fixed'.", "scoring");
        if (HighScore is < 2 or > 5)
            throw new ValidationFailedException("highScore must be between 2 and 5: the score from which R, F or M counts as high (default 3).", "highScore");
        if (Scoring == RfmScoring.Fixed)
        {
            Ascending(RecencyDays?.Select(d => (decimal)d).ToArray(), "recencyDays", "days since the last order, e.g. [30, 90, 180, 365]", whole: true);
            if (RecencyDays![^1] > WindowDays)
                throw new ValidationFailedException($"recencyDays: the last breakpoint ({RecencyDays[^1]}) must not exceed the window ({WindowDays} days).", "recencyDays");
            Ascending(Frequency?.Select(d => (decimal)d).ToArray(), "frequency", "order counts, e.g. [2, 3, 5, 8]", whole: true);
            if (Frequency![0] < 2)
                throw new ValidationFailedException("frequency: the first breakpoint must be at least 2 orders (every scored customer has 1).", "frequency");
            Ascending(Monetary, "monetary", "amounts in yuan, e.g. [200, 500, 1000, 3000]", whole: false);
        }

        return this;
    }

    private static void Ascending(decimal[]? values, string field, string example, bool whole)
    {
        if (values is not { Length: 4 })
            throw new ValidationFailedException($"{field} needs exactly four breakpoints for fixed scoring: {example}.", field);
        for (var i = 0; i < 4; i++)
        {
            if (values[i] <= 0)
                throw new ValidationFailedException($"{field}: breakpoints must be greater than 0 ({example}).", field);
            if (whole && values[i] != decimal.Truncate(values[i]))
                throw new ValidationFailedException($"{field}: breakpoints must be whole numbers ({example}).", field);
            if (i > 0 && values[i] <= values[i - 1])
                throw new ValidationFailedException($"{field}: breakpoints must be strictly ascending ({example}); {values[i]} follows {values[i - 1]}.", field);
        }
    }
}

/// <summary>
/// How a workspace moves buyers between lifecycle stages (docs/rfm-lifecycle.md). Loyal needs
/// <see cref="LoyalMinOrders"/> orders and/or <see cref="LoyalMinSpend"/> yuan within <see cref="LoyalWindowDays"/>;
/// <see cref="LoyalRule"/> says whether either ("any") or both ("all") must hold when both are set.
/// </summary>
public sealed record LifecycleSettings
{
    public const string Any = "any";
    public const string All = "all";

    public int AtRiskDays { get; init; } = 60;
    public int LostDays { get; init; } = 180;
    public int? LoyalMinOrders { get; init; } = 4;
    public decimal? LoyalMinSpend { get; init; }
    public int LoyalWindowDays { get; init; } = 365;
    public string LoyalRule { get; init; } = Any;

    public static readonly LifecycleSettings Default = new();

    public LifecycleSettings Validate()
    {
        if (AtRiskDays is < 1 or > 3650)
            throw new ValidationFailedException("atRiskDays must be between 1 and 3650 days (default 60).", "atRiskDays");
        if (LostDays is < 2 or > 3650)
            throw new ValidationFailedException("lostDays must be between 2 and 3650 days (default 180).", "lostDays");
        if (AtRiskDays >= LostDays)
            throw new ValidationFailedException($"atRiskDays ({AtRiskDays}) must be less than lostDays ({LostDays}): a buyer is at risk before being lost.", "atRiskDays");
        if (LoyalMinOrders is null && LoyalMinSpend is null)
            throw new ValidationFailedException("Set loyalMinOrders, loyalMinSpend or both: loyal needs at least one rule.", "loyalMinOrders");
        if (LoyalMinOrders is { } orders && orders is < 2 or > 1000)
            throw new ValidationFailedException("loyalMinOrders must be between 2 and 1000 orders (default 4).", "loyalMinOrders");
        if (LoyalMinSpend is { } spend && spend <= 0)
            throw new ValidationFailedException("loyalMinSpend must be more than 0 yuan, or null for no spend rule.", "loyalMinSpend");
        if (LoyalWindowDays is < 7 or > 1095)
            throw new ValidationFailedException("loyalWindowDays must be between 7 and 1095 days (default 365).", "loyalWindowDays");
        if (LoyalRule is not (Any or All))
            throw new ValidationFailedException("loyalRule must be 'any' (either rule makes a customer loyal) or 'all' (both must hold).", "loyalRule");
        return this;
    }
}
