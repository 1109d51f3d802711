using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Pond.Customers;

namespace Pond.Audience;

/// <summary>A node of a segment rule (docs/segments.md). <see cref="Path"/> is its JSON pointer inside the rule.</summary>
internal abstract record RuleNode(string Path);

internal sealed record AllNode(string Path, IReadOnlyList<RuleNode> Children) : RuleNode(Path);

internal sealed record AnyNode(string Path, IReadOnlyList<RuleNode> Children) : RuleNode(Path);

internal sealed record NotNode(string Path, RuleNode Child) : RuleNode(Path);

internal enum Op
{
    Eq, Ne, In, NotIn, Gt, Gte, Lt, Lte, Between, Exists, NotExists, Contains, Regex,
    WithinDays, OlderThanDays, NotWithinDays, Never, Has, Lacks,
}

/// <summary>A literal in a rule: a string, a number, a boolean, or a date (as Unix ms) parsed from a string.</summary>
internal sealed record Literal(string? Text, double? Number, bool? Bool, long? Date)
{
    public static Literal Of(string text, TimeZoneInfo zone) => new(text, null, null, TraitDates.TryParse(text, zone));

    public static Literal Of(double number) => new(null, number, null, null);

    public static Literal Of(bool value) => new(null, null, value, null);
}

internal sealed record TraitCondition(string Path, string Key, Op Op, IReadOnlyList<Literal> Values, Regex? Pattern, int Days) : RuleNode(Path);

internal sealed record TagCondition(string Path, string Tag, bool Has) : RuleNode(Path);

internal sealed record DepthCondition(string Path, Op Op, Depth Depth) : RuleNode(Path);

internal sealed record CarrierCondition(string Path, Guid CarrierId) : RuleNode(Path);

internal sealed record CarrierKindCondition(string Path, string Kind) : RuleNode(Path);

/// <summary>Friends of an account held by the staff member; any staff member when <see cref="StaffId"/> is null.</summary>
internal sealed record StaffCondition(string Path, Guid? StaffId) : RuleNode(Path);

/// <summary>Owned by the staff member; owned by nobody when <see cref="StaffId"/> is null.</summary>
internal sealed record OwnerCondition(string Path, Guid? StaffId) : RuleNode(Path);

internal enum Measure { Count, Sum, Last }

internal sealed record PropertyFilter(string Property, Op Op, IReadOnlyList<Literal> Values);

internal sealed record EventCondition(
    string Path, string Name, IReadOnlyList<PropertyFilter> Where, int? WithinDays, Measure Measure, string? SumProperty,
    Op Op, IReadOnlyList<double> Numbers, int Days) : RuleNode(Path);

internal sealed record RfmCondition(string Path, IReadOnlyList<string> Cells) : RuleNode(Path);

internal sealed record RfmScoreCondition(string Path, char Dimension, Op Op, IReadOnlyList<double> Numbers) : RuleNode(Path);

internal sealed record LifecycleCondition(string Path, IReadOnlyList<string> Stages) : RuleNode(Path);

internal sealed record ConsentCondition(string Path, bool OptedOut) : RuleNode(Path);

/// <summary>Member tier by name or id; "none" = no tier.</summary>
internal sealed record TierCondition(string Path, IReadOnlyList<string> Tiers) : RuleNode(Path);

/// <summary>Points balance compared with numbers.</summary>
internal sealed record PointsCondition(string Path, Op Op, IReadOnlyList<double> Numbers) : RuleNode(Path);

internal enum CouponState
{
    Unused,
    Redeemed,
    Expired,
}

/// <summary>
/// Holds a coupon in a state (optionally of one template, by name or id). Days: unused → expiring within that many
/// days; redeemed or expired → in the last that many days.
/// </summary>
internal sealed record CouponCondition(string Path, CouponState State, string? Template, int? Days) : RuleNode(Path);

internal static class RfmCells
{
    /// <summary>The classic cells in display order, with (R, F, M) high flags.</summary>
    public static readonly IReadOnlyList<(string Code, string Chinese, string English, bool R, bool F, bool M)> All =
    [
        ("important_value", "重要价值", "Important value", true, true, true),
        ("important_develop", "重要发展", "Important develop", true, false, true),
        ("important_keep", "重要保持", "Important keep", false, true, true),
        ("important_retain", "重要挽留", "Important retain", false, false, true),
        ("general_value", "一般价值", "General value", true, true, false),
        ("general_develop", "一般发展", "General develop", true, false, false),
        ("general_keep", "一般保持", "General keep", false, true, false),
        ("general_retain", "一般挽留", "General retain", false, false, false),
    ];

    public static readonly IReadOnlyList<string> Codes = All.Select(c => c.Code).ToArray();
}

internal static class LifecycleStages
{
    public const string New = "new";

    public static readonly IReadOnlyList<string> All = [New, "first_order", "repeat", "loyal", "at_risk", "lost"];
}

/// <summary>Date-like trait values: ISO 8601 dates or date-times; a date alone is midnight in the workspace's zone.</summary>
internal static class TraitDates
{
    public static long? TryParse(string text, TimeZoneInfo zone)
    {
        if (text.Length is < 10 or > 40 || !char.IsAsciiDigit(text[0]) || text[4] != '-')
            return null;
        if (text.Length == 10 && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var local = day.ToDateTime(TimeOnly.MinValue);
            return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUnixTimeMilliseconds();
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            return null;
        return at.ToUnixTimeMilliseconds();
    }
}

/// <summary>
/// Reads a rule's JSON into nodes, checking every node: a bad one is a 400 whose field is its JSON
/// pointer (under "rule") and whose message says what to fix.
/// </summary>
internal sealed class SegmentRuleParser(TimeZoneInfo zone)
{
    public const int MaxDepth = 8;
    public const int MaxConditions = 100;
    private const int MaxDays = 36_500;
    private static readonly string[] ConditionKeys =
        ["trait", "tag", "depth", "carrier", "carrier_kind", "staff", "owner", "event", "rfm", "rfm_score", "lifecycle", "consent", "tier", "points", "coupon"];

    private int _conditions;

    public static RuleNode Parse(string json, TimeZoneInfo zone)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return Parse(document.RootElement, zone);
        }
        catch (JsonException e)
        {
            throw new ValidationFailedException($"rule is not valid JSON: {e.Message}", "rule");
        }
    }

    public static RuleNode Parse(JsonElement rule, TimeZoneInfo zone) => new SegmentRuleParser(zone).Node(rule, "", 0);

    private RuleNode Node(JsonElement node, string path, int depth)
    {
        if (node.ValueKind != JsonValueKind.Object)
            throw Bad(path, "", "must be an object: a group ({\"all\": […]}, {\"any\": […]}, {\"not\": …}) or a condition such as {\"tag\": \"敏感肌\"}.");
        if (depth > MaxDepth)
            throw Bad(path, "", $"groups nest at most {MaxDepth} levels deep.");
        var keys = node.EnumerateObject().Select(p => p.Name).ToList();
        if (node.TryGetProperty("all", out var all))
            return new AllNode(path, Children(Only(node, path, "all"), all, path + "/all", depth));
        if (node.TryGetProperty("any", out var any))
            return new AnyNode(path, Children(Only(node, path, "any"), any, path + "/any", depth));
        if (node.TryGetProperty("not", out var not))
        {
            Only(node, path, "not");
            return new NotNode(path, Node(not, path + "/not", depth + 1));
        }

        var kinds = keys.Where(ConditionKeys.Contains).ToList();
        if (kinds.Count != 1)
            throw Bad(path, "", kinds.Count == 0
                ? $"is neither a group (all, any, not) nor a condition; a condition has one of: {string.Join(", ", ConditionKeys)}."
                : $"names {string.Join(" and ", kinds)}; a condition looks at exactly one thing.");
        if (++_conditions > MaxConditions)
            throw Bad(path, "", $"a rule holds at most {MaxConditions} conditions.");
        return kinds[0] switch
        {
            "trait" => Trait(node, path),
            "tag" => Tag(node, path),
            "depth" => DepthOf(node, path),
            "carrier" => new CarrierCondition(path, Uuid(node, path, "carrier")),
            "carrier_kind" => CarrierKind(node, path),
            "staff" => new StaffCondition(path, UuidOr(node, path, "staff", "any")),
            "owner" => new OwnerCondition(path, UuidOr(node, path, "owner", "none")),
            "event" => Event(node, path),
            "rfm" => new RfmCondition(path, Codes(node, path, "rfm", RfmCells.Codes)),
            "rfm_score" => RfmScore(node, path),
            "lifecycle" => new LifecycleCondition(path, Codes(node, path, "lifecycle", LifecycleStages.All)),
            "tier" => Tier(node, path),
            "points" => Points(node, path),
            "coupon" => Coupon(node, path),
            _ => Consent(node, path),
        };
    }

    private static JsonElement Only(JsonElement node, string path, string key)
    {
        foreach (var property in node.EnumerateObject())
        {
            if (property.Name != key)
                throw Bad(path, "/" + property.Name, $"a group has only \"{key}\"; move \"{property.Name}\" into a condition inside it.");
        }

        return node;
    }

    private List<RuleNode> Children(JsonElement _, JsonElement children, string path, int depth)
    {
        if (children.ValueKind != JsonValueKind.Array)
            throw Bad(path, "", "must be an array of rules.");
        return children.EnumerateArray().Select((child, i) => Node(child, $"{path}/{i}", depth + 1)).ToList();
    }

    private TraitCondition Trait(JsonElement node, string path)
    {
        var key = Text(node, path, "trait");
        var op = OpOf(node, path, Op.Eq, Op.Eq, Op.Ne, Op.In, Op.NotIn, Op.Gt, Op.Gte, Op.Lt, Op.Lte, Op.Between, Op.Exists, Op.NotExists,
            Op.Contains, Op.Regex, Op.WithinDays, Op.OlderThanDays);
        var hasValue = node.TryGetProperty("value", out var value);
        switch (op)
        {
            case Op.Exists or Op.NotExists:
                return new TraitCondition(path, key, op, [], null, 0);
            case Op.WithinDays or Op.OlderThanDays:
                return new TraitCondition(path, key, op, [], null, Days(node, path, "value"));
            case Op.Contains:
                return new TraitCondition(path, key, op, [Literal.Of(Text(node, path, "value"), zone)], null, 0);
            case Op.Regex:
                var pattern = Text(node, path, "value");
                if (pattern.Length > 200)
                    throw Bad(path, "/value", "a regular expression has at most 200 characters.");
                try
                {
                    return new TraitCondition(path, key, op, [], new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50)), 0);
                }
                catch (ArgumentException e)
                {
                    throw Bad(path, "/value", $"is not a valid regular expression: {e.Message}");
                }

            case Op.In or Op.NotIn:
                if (!hasValue || value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
                    throw Bad(path, "/value", $"op '{Name(op)}' needs a non-empty array of strings or numbers, e.g. [\"上海\", \"杭州\"].");
                return new TraitCondition(path, key, op, value.EnumerateArray().Select((v, i) => Scalar(v, $"{path}/value/{i}", allowBool: false)).ToList(), null, 0);
            case Op.Between:
                if (!hasValue || value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2)
                    throw Bad(path, "/value", "op 'between' needs [low, high]: two numbers or two dates (yyyy-MM-dd).");
                var range = value.EnumerateArray().Select((v, i) => Ordered(v, $"{path}/value/{i}")).ToList();
                if ((range[0].Number is null) != (range[1].Number is null))
                    throw Bad(path, "/value", "both ends of 'between' must be numbers, or both dates.");
                return new TraitCondition(path, key, op, range, null, 0);
            case Op.Gt or Op.Gte or Op.Lt or Op.Lte:
                if (!hasValue)
                    throw Bad(path, "/value", $"op '{Name(op)}' needs a number or a date (yyyy-MM-dd) value.");
                return new TraitCondition(path, key, op, [Ordered(value, path + "/value")], null, 0);
            default:
                if (!hasValue)
                    throw Bad(path, "/value", $"op '{Name(op)}' needs a value: a string, number or boolean.");
                return new TraitCondition(path, key, op, [Scalar(value, path + "/value", allowBool: true)], null, 0);
        }
    }

    private Literal Scalar(JsonElement value, string path, bool allowBool) => value.ValueKind switch
    {
        JsonValueKind.String => Literal.Of(value.GetString()!, zone),
        JsonValueKind.Number => Literal.Of(value.GetDouble()),
        JsonValueKind.True or JsonValueKind.False when allowBool => Literal.Of(value.GetBoolean()),
        _ => throw Bad(path, "", allowBool ? "must be a string, number or boolean." : "must be a string or a number."),
    };

    /// <summary>A value that can be compared by size: a number, or a string that reads as a date.</summary>
    private Literal Ordered(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Number)
            return Literal.Of(value.GetDouble());
        if (value.ValueKind == JsonValueKind.String && TraitDates.TryParse(value.GetString()!, zone) is { } date)
            return new Literal(value.GetString(), null, null, date);
        throw Bad(path, "", "must be a number or a date (yyyy-MM-dd or an ISO 8601 date-time).");
    }

    private static TagCondition Tag(JsonElement node, string path)
    {
        var tag = Text(node, path, "tag");
        var op = OpOf(node, path, Op.Has, Op.Has, Op.Lacks);
        return new TagCondition(path, tag, op == Op.Has);
    }

    private static DepthCondition DepthOf(JsonElement node, string path)
    {
        var name = Text(node, path, "depth");
        if (!DepthNames.All.Contains(name))
            throw Bad(path, "/depth", $"'{name}' is not a depth; use one of {string.Join(", ", DepthNames.All)}.");
        return new DepthCondition(path, OpOf(node, path, Op.Eq, Op.Eq, Op.Gte, Op.Lte), DepthNames.Parse(name)!.Value);
    }

    private static CarrierKindCondition CarrierKind(JsonElement node, string path)
    {
        var kind = Text(node, path, "carrier_kind");
        if (!CarrierKinds.IsValid(kind))
            throw Bad(path, "/carrier_kind", $"'{kind}' is not a carrier kind; use one of {string.Join(", ", CarrierKinds.All)}.");
        return new CarrierKindCondition(path, kind);
    }

    private EventCondition Event(JsonElement node, string path)
    {
        var name = Text(node, path, "event");
        var where = new List<PropertyFilter>();
        if (node.TryGetProperty("where", out var filters))
        {
            if (filters.ValueKind != JsonValueKind.Array)
                throw Bad(path, "/where", "must be an array of property filters, e.g. [{\"property\": \"channel\", \"op\": \"eq\", \"value\": \"mini_program\"}].");
            var i = 0;
            foreach (var filter in filters.EnumerateArray())
                where.Add(Filter(filter, $"{path}/where/{i++}"));
        }

        int? withinDays = node.TryGetProperty("within_days", out _) ? Days(node, path, "within_days") : null;
        var measure = node.TryGetProperty("measure", out var m) ? m.GetString() switch
        {
            "count" => Measure.Count,
            "sum" => Measure.Sum,
            "last" => Measure.Last,
            _ => throw Bad(path, "/measure", "must be \"count\", \"sum\" or \"last\"."),
        } : Measure.Count;
        if (measure == Measure.Last)
        {
            if (withinDays is not null)
                throw Bad(path, "/within_days", "does not apply to measure 'last'; put the days in value, e.g. {\"op\": \"within_days\", \"value\": 14}.");
            var lastOp = OpOf(node, path, null, Op.WithinDays, Op.OlderThanDays, Op.NotWithinDays, Op.Never);
            return new EventCondition(path, name, where, null, measure, null, lastOp, [], lastOp == Op.Never ? 0 : Days(node, path, "value"));
        }

        string? sumProperty = null;
        if (measure == Measure.Sum)
            sumProperty = Text(node, path, "property");
        var op = OpOf(node, path, null, Op.Eq, Op.Ne, Op.Gt, Op.Gte, Op.Lt, Op.Lte, Op.Between);
        var what = measure == Measure.Count ? "an event count" : "an event sum";
        return new EventCondition(path, name, where, withinDays, measure, sumProperty, op, Numbers(node, path, op, what, wholeNumbers: measure == Measure.Count), 0);
    }

    private PropertyFilter Filter(JsonElement filter, string path)
    {
        if (filter.ValueKind != JsonValueKind.Object)
            throw Bad(path, "", "must be an object {\"property\": …, \"op\": …, \"value\": …}.");
        var property = Text(filter, path, "property");
        var op = OpOf(filter, path, Op.Eq, Op.Eq, Op.Ne, Op.In, Op.NotIn, Op.Gt, Op.Gte, Op.Lt, Op.Lte, Op.Exists, Op.Contains);
        if (op == Op.Exists)
            return new PropertyFilter(property, op, []);
        if (!filter.TryGetProperty("value", out var value))
            throw Bad(path, "/value", $"op '{Name(op)}' needs a value.");
        if (op is Op.In or Op.NotIn)
        {
            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
                throw Bad(path, "/value", $"op '{Name(op)}' needs a non-empty array.");
            return new PropertyFilter(property, op, value.EnumerateArray().Select((v, i) => Scalar(v, $"{path}/value/{i}", allowBool: false)).ToList());
        }

        if (op is Op.Gt or Op.Gte or Op.Lt or Op.Lte)
        {
            if (value.ValueKind != JsonValueKind.Number)
                throw Bad(path, "/value", $"op '{Name(op)}' on an event property needs a number.");
            return new PropertyFilter(property, op, [Literal.Of(value.GetDouble())]);
        }

        if (op == Op.Contains)
            return new PropertyFilter(property, op, [Literal.Of(Text(filter, path, "value"), zone)]);
        return new PropertyFilter(property, op, [Scalar(value, path + "/value", allowBool: true)]);
    }

    private static RfmScoreCondition RfmScore(JsonElement node, string path)
    {
        var dimension = Text(node, path, "rfm_score");
        if (dimension is not ("r" or "f" or "m"))
            throw Bad(path, "/rfm_score", "must be \"r\" (recency), \"f\" (frequency) or \"m\" (monetary).");
        var op = OpOf(node, path, null, Op.Eq, Op.Ne, Op.Gt, Op.Gte, Op.Lt, Op.Lte, Op.Between);
        var numbers = Numbers(node, path, op, "an RFM score", wholeNumbers: true);
        if (numbers.Any(n => n is < 1 or > 5))
            throw Bad(path, "/value", "RFM scores run from 1 to 5.");
        return new RfmScoreCondition(path, dimension[0], op, numbers);
    }

    private static TierCondition Tier(JsonElement node, string path)
    {
        var value = node.GetProperty("tier");
        var names = value.ValueKind switch
        {
            JsonValueKind.String => [value.GetString()!],
            JsonValueKind.Array when value.GetArrayLength() > 0 && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String) =>
                value.EnumerateArray().Select(v => v.GetString()!).ToList(),
            _ => throw Bad(path, "/tier", "must be a tier's name or id, \"none\", or a non-empty array of them."),
        };
        if (names.Any(string.IsNullOrWhiteSpace))
            throw Bad(path, "/tier", "names a blank tier.");
        return new TierCondition(path, names.Select(n => n.Trim()).ToList());
    }

    private static PointsCondition Points(JsonElement node, string path)
    {
        if (node.GetProperty("points").ValueKind != JsonValueKind.String)
            throw Bad(path, "/points", "must be the comparison: \"gte\", \"lte\", \"gt\", \"lt\", \"eq\", \"ne\" or \"between\" (e.g. {\"points\": \"gte\", \"value\": 500}).");
        var op = Text(node, path, "points") switch
        {
            "gte" => Op.Gte, "lte" => Op.Lte, "gt" => Op.Gt, "lt" => Op.Lt, "eq" => Op.Eq, "ne" => Op.Ne, "between" => Op.Between,
            _ => throw Bad(path, "/points", "must be \"gte\", \"lte\", \"gt\", \"lt\", \"eq\", \"ne\" or \"between\"."),
        };
        var numbers = Numbers(node, path, op, "a points balance", wholeNumbers: true);
        return new PointsCondition(path, op, numbers);
    }

    private static CouponCondition Coupon(JsonElement node, string path)
    {
        var state = Text(node, path, "coupon") switch
        {
            "unused" => CouponState.Unused,
            "redeemed" => CouponState.Redeemed,
            "expired" => CouponState.Expired,
            _ => throw Bad(path, "/coupon", "must be \"unused\" (holds a coupon still valid), \"redeemed\" or \"expired\"."),
        };
        string? template = null;
        if (node.TryGetProperty("template", out var t))
        {
            template = t.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(t.GetString())
                ? t.GetString()!.Trim()
                : throw Bad(path, "/template", "must be a coupon template's name or id.");
        }

        int? days = null;
        if (node.TryGetProperty("within_days", out var d))
        {
            days = d.ValueKind == JsonValueKind.Number && d.TryGetInt32(out var n) && n is >= 1 and <= MaxDays
                ? n
                : throw Bad(path, "/within_days", $"must be a whole number of days from 1 to {MaxDays}.");
        }

        foreach (var property in node.EnumerateObject())
        {
            if (property.Name is not ("coupon" or "template" or "within_days"))
                throw Bad(path, "/" + property.Name, "a coupon condition has only coupon, template and within_days.");
        }

        return new CouponCondition(path, state, template, days);
    }

    private static ConsentCondition Consent(JsonElement node, string path) => Text(node, path, "consent") switch
    {
        "subscribed" => new ConsentCondition(path, false),
        "opted_out" => new ConsentCondition(path, true),
        _ => throw Bad(path, "/consent", "must be \"subscribed\" or \"opted_out\"."),
    };

    private static List<double> Numbers(JsonElement node, string path, Op op, string what, bool wholeNumbers)
    {
        if (!node.TryGetProperty("value", out var value))
            throw Bad(path, "/value", $"op '{Name(op)}' on {what} needs a value.");
        var values = op == Op.Between
            ? value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 2 ? value.EnumerateArray().ToList() : throw Bad(path, "/value", "op 'between' needs [low, high].")
            : [value];
        var numbers = new List<double>();
        foreach (var v in values)
        {
            if (v.ValueKind != JsonValueKind.Number || (wholeNumbers && v.GetDouble() != Math.Floor(v.GetDouble())))
                throw Bad(path, "/value", $"op '{Name(op)}' on {what} needs a {(wholeNumbers ? "whole " : "")}number value, e.g. 2.");
            numbers.Add(v.GetDouble());
        }

        return numbers;
    }

    private static int Days(JsonElement node, string path, string key)
    {
        if (!node.TryGetProperty(key, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var days) || days is < 0 or > MaxDays)
            throw Bad(path, "/" + key, $"needs a whole number of days from 0 to {MaxDays}, e.g. 14.");
        return days;
    }

    private static List<string> Codes(JsonElement node, string path, string key, IReadOnlyList<string> allowed)
    {
        var value = node.GetProperty(key);
        var codes = value.ValueKind switch
        {
            JsonValueKind.String => [value.GetString()!],
            JsonValueKind.Array when value.GetArrayLength() > 0 && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String) =>
                value.EnumerateArray().Select(v => v.GetString()!).ToList(),
            _ => throw Bad(path, "/" + key, $"must be one of {string.Join(", ", allowed)}, or a non-empty array of them."),
        };
        foreach (var code in codes)
        {
            if (!allowed.Contains(code))
                throw Bad(path, "/" + key, $"'{code}' is not one of {string.Join(", ", allowed)}.");
        }

        return codes;
    }

    private static Guid Uuid(JsonElement node, string path, string key) =>
        node.GetProperty(key) is { ValueKind: JsonValueKind.String } v && Guid.TryParse(v.GetString(), out var id)
            ? id
            : throw Bad(path, "/" + key, "must be an id (uuid).");

    private static Guid? UuidOr(JsonElement node, string path, string key, string word)
    {
        var value = node.GetProperty(key);
        if (value.ValueKind == JsonValueKind.String && value.GetString() == word)
            return null;
        return value.ValueKind == JsonValueKind.String && Guid.TryParse(value.GetString(), out var id)
            ? id
            : throw Bad(path, "/" + key, $"must be a staff id (uuid) or \"{word}\".");
    }

    private static string Text(JsonElement node, string path, string key)
    {
        if (!node.TryGetProperty(key, out var value) || value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            throw Bad(path, "/" + key, $"\"{key}\" must be a non-empty string.");
        var text = value.GetString()!.Trim();
        if (text.Length > 200)
            throw Bad(path, "/" + key, $"\"{key}\" has at most 200 characters.");
        return text;
    }

    /// <summary>The node's op, one of <paramref name="allowed"/>; <paramref name="fallback"/> when absent (null: required).</summary>
    private static Op OpOf(JsonElement node, string path, Op? fallback, params Op[] allowed)
    {
        if (!node.TryGetProperty("op", out var value))
            return fallback ?? throw Bad(path, "/op", $"\"op\" is required here; use one of {string.Join(", ", allowed.Select(Name))}.");
        var name = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var op = allowed.FirstOrDefault(o => Name(o) == name, (Op)(-1));
        if ((int)op == -1)
            throw Bad(path, "/op", $"'{name ?? value.GetRawText()}' is not an op here; use one of {string.Join(", ", allowed.Select(Name))}.");
        return op;
    }

    public static string Name(Op op) => op switch
    {
        Op.NotIn => "not_in",
        Op.NotExists => "not_exists",
        Op.WithinDays => "within_days",
        Op.OlderThanDays => "older_than_days",
        Op.NotWithinDays => "not_within_days",
        _ => op.ToString().ToLowerInvariant(),
    };

    private static ValidationFailedException Bad(string path, string field, string message) =>
        new($"rule{path}: {message}", "rule" + path + field);
}
