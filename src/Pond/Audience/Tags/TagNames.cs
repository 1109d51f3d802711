namespace Pond.Audience;

/// <summary>What a tag name may be, and where a tag change came from.</summary>
public static class TagNames
{
    public const int MaxLength = 50;

    /// <summary>The trimmed name, or a <see cref="ValidationFailedException"/> saying what to fix.</summary>
    public static string Clean(string? name, string field = "tag") =>
        TryClean(name, out var clean, out var problem) ? clean : throw new ValidationFailedException(problem!, field);

    public static bool TryClean(string? name, out string clean, out string? problem)
    {
        clean = (name ?? "").Trim();
        problem = null;
        if (clean.Length == 0)
            problem = "A tag needs a name of 1–50 characters.";
        else if (clean.Length > MaxLength)
            problem = $"The tag '{clean[..20]}…' is {clean.Length} characters long; keep tag names to 1–50 characters.";
        else if (clean.Any(char.IsControl))
            problem = $"The tag '{Printable(clean)}' contains a control character (a line break or tab); remove it.";
        else if (clean.Contains('|', StringComparison.Ordinal) || clean.Contains(',', StringComparison.Ordinal))
            problem = $"The tag '{clean}' contains '|' or ','; CSV import and export separate tags with them, so use another character such as '/' or '·'.";
        return problem is null;
    }

    private static string Printable(string text) => new(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}

/// <summary>Where a tag change came from (tag_history.source).</summary>
public static class TagSources
{
    /// <summary>An operator in the console.</summary>
    public const string Manual = "manual";

    /// <summary>The admin API with a secret key.</summary>
    public const string Api = "api";

    /// <summary>A bulk action on many customers.</summary>
    public const string Bulk = "bulk";

    /// <summary>A "Tag Added" / "Tag Removed" track event.</summary>
    public const string Event = "event";

    /// <summary>A CSV import.</summary>
    public const string Import = "import";

    public static string Channel(string channelName) => $"channel:{channelName}";

    /// <summary>A journey's tag step.</summary>
    public static string Journey(string journeyName) => $"journey:{journeyName}";

    /// <summary>A segment that keeps the tag on exactly its members.</summary>
    public static string Segment(string segmentName) => $"segment:{segmentName}";

    public static string Validate(string source)
    {
        var valid = source is Manual or Api or Bulk or Event or Import
                    || (source.StartsWith("channel:", StringComparison.Ordinal) && source.Length > "channel:".Length)
                    || (source.StartsWith("segment:", StringComparison.Ordinal) && source.Length > "segment:".Length)
                    || (source.StartsWith("journey:", StringComparison.Ordinal) && source.Length > "journey:".Length);
        return valid && source.Length <= 200
            ? source
            : throw new ArgumentException($"'{source}' is not a tag source: use manual, api, bulk, event, import, channel:<name>, segment:<name> or journey:<name>.", nameof(source));
    }
}

/// <summary>tag_history.action.</summary>
public static class TagActions
{
    public const string Added = "added";
    public const string Removed = "removed";
}
