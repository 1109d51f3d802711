namespace Pond.Audience;

/// <summary>What rules can name in a workspace: trait keys, tags and events with their properties, and common values.</summary>
public sealed record AudienceVocabulary(
    IReadOnlyList<VocabularyField> Traits, IReadOnlyList<VocabularyTag> Tags, IReadOnlyList<VocabularyEvent> Events, int PoolSize,
    IReadOnlyList<string> Tiers, IReadOnlyList<string> CouponTemplates);

/// <summary>A trait or event property: the kinds of values seen (string, number, date, boolean) and, for few-valued ones, the values.</summary>
public sealed record VocabularyField(string Name, IReadOnlyList<string> Kinds, IReadOnlyList<string> Values);

public sealed record VocabularyTag(string Name, int Customers);

public sealed record VocabularyEvent(string Name, int Count, IReadOnlyList<VocabularyField> Properties);

internal static class VocabularyReader
{
    private const int MaxListedValues = 60;

    public static AudienceVocabulary Read(WorkspaceAudience audience)
    {
        audience.Lock.EnterReadLock();
        try
        {
            var traits = audience.Traits
                .Where(t => t.Value.Present.Count() > 0)
                .OrderBy(t => t.Key, StringComparer.Ordinal)
                .Select(t => new VocabularyField(t.Key, Kinds(t.Value.Codes is not null, t.Value.Numbers is not null, t.Value.Dates is not null, t.Value.Bools is not null),
                    Listed(t.Value.Strings)))
                .ToList();
            var tags = audience.Tags
                .Select(t => new VocabularyTag(t.Key, CountAlive(audience, t.Value)))
                .Where(t => t.Customers > 0)
                .OrderByDescending(t => t.Customers).ThenBy(t => t.Name, StringComparer.Ordinal)
                .ToList();
            var events = audience.Events.Values
                .OrderByDescending(e => e.Count).ThenBy(e => e.Name, StringComparer.Ordinal)
                .Select(e => new VocabularyEvent(e.Name, e.Count, e.Properties
                    .OrderBy(p => p.Key, StringComparer.Ordinal)
                    .Select(p => new VocabularyField(p.Key, Kinds(p.Value.Codes is not null, p.Value.Numbers is not null, false, p.Value.Bools is not null), Listed(p.Value.Strings)))
                    .ToList()))
                .ToList();
            return new AudienceVocabulary(traits, tags, events, audience.PoolSize,
                audience.TierNames.Keys.Order(StringComparer.Ordinal).ToList(), audience.TemplateNames.Keys.Order(StringComparer.Ordinal).ToList());
        }
        finally
        {
            audience.Lock.ExitReadLock();
        }
    }

    private static int CountAlive(WorkspaceAudience audience, BitSet set)
    {
        var alive = set.Clone();
        alive.And(audience.Alive);
        return alive.Count();
    }

    private static List<string> Kinds(bool strings, bool numbers, bool dates, bool bools)
    {
        var kinds = new List<string>();
        if (dates)
            kinds.Add("date");
        if (strings)
            kinds.Add("string");
        if (numbers)
            kinds.Add("number");
        if (bools)
            kinds.Add("boolean");
        return kinds;
    }

    // Few-valued fields (city, size, channel) list their values for the builder's pickers; names and ids do not.
    private static List<string> Listed(StringDictionary strings) =>
        strings.Count is > 0 and <= MaxListedValues ? strings.Values.Skip(1).Order(StringComparer.Ordinal).ToList() : [];
}
