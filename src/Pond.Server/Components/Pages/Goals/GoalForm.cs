using System.Globalization;
using Pond.Goals;

namespace Pond.Server.Components.Pages.Goals;

/// <summary>The goal form as posted: text fields, percentages for the rates (3 means 3%), blanks for "measured".</summary>
internal sealed class GoalForm
{
    public string? PoolTarget { get; set; }
    public string? GmvTarget { get; set; }
    public string? StartPool { get; set; }
    public string? Method { get; set; }
    public string?[] Weights { get; set; } = new string?[12];
    public string? DeletionRate { get; set; }
    public string? AlertThreshold { get; set; }

    public static GoalForm From(Goal? goal) => goal is null
        ? new GoalForm { Method = GoalMethods.Even, AlertThreshold = "10", Weights = [.. Enumerable.Repeat("1", 12)] }
        : new GoalForm
        {
            PoolTarget = goal.PoolTarget.ToString(CultureInfo.InvariantCulture),
            GmvTarget = (goal.GmvTarget / 100m).ToString("0.##", CultureInfo.InvariantCulture),
            StartPool = goal.StartPool?.ToString(CultureInfo.InvariantCulture),
            Method = goal.Method,
            Weights = goal.WeightList is { } w ? [.. w.Select(v => v.ToString(CultureInfo.InvariantCulture))] : [.. Enumerable.Repeat("1", 12)],
            DeletionRate = goal.DeletionRate is { } d ? (d * 100).ToString("0.####", CultureInfo.InvariantCulture) : null,
            AlertThreshold = (goal.AlertThreshold * 100).ToString("0.##", CultureInfo.InvariantCulture),
        };

    public GoalInput ToInput(int year)
    {
        var method = string.IsNullOrWhiteSpace(Method) ? GoalMethods.Even : Method.Trim();
        return new GoalInput
        {
            Year = year,
            PoolTarget = Whole(PoolTarget, "poolTarget") ?? throw new ValidationFailedException("poolTarget is required: the customers in the pool at the end of the year.", "poolTarget"),
            GmvTarget = Number(GmvTarget, "gmvTarget") ?? throw new ValidationFailedException("gmvTarget is required: the year's private-domain GMV in yuan.", "gmvTarget"),
            StartPool = Whole(StartPool, "startPool"),
            Method = method,
            Weights = method == GoalMethods.Seasonal ? [.. Weights.Select((w, i) => Number(w, "weights") ?? throw new ValidationFailedException($"weights: month {i + 1} has no weight; give 0 for a month with none.", "weights"))] : null,
            MonthlyDeletionRate = Number(DeletionRate, "monthlyDeletionRate") / 100,
            AlertThreshold = Number(AlertThreshold, "alertThreshold") / 100,
        };
    }

    private static long? Whole(string? text, string field) =>
        string.IsNullOrWhiteSpace(text) ? null
        : long.TryParse(text.Trim().Replace(",", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value
        : throw new ValidationFailedException($"{field}: '{text}' is not a whole number.", field);

    private static decimal? Number(string? text, string field) =>
        string.IsNullOrWhiteSpace(text) ? null
        : decimal.TryParse(text.Trim().Replace(",", "", StringComparison.Ordinal), NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value
        : throw new ValidationFailedException($"{field}: '{text}' is not a number.", field);
}
