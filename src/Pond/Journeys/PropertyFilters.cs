using System.Globalization;
using System.Text.Json.Nodes;

namespace Pond.Journeys;

/// <summary>Matching event properties and traits against a journey's filters (eq, neq, gt, gte, lt, lte, contains, exists).</summary>
public static class PropertyFilters
{
    /// <summary>Whether a JSON object of properties matches every filter (no filters: it matches).</summary>
    public static bool MatchAll(string? propertiesJson, IReadOnlyList<PropertyFilter>? filters)
    {
        if (filters is not { Count: > 0 })
            return true;
        JsonNode? properties;
        try
        {
            properties = string.IsNullOrEmpty(propertiesJson) ? null : JsonNode.Parse(propertiesJson);
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }

        return MatchAll(properties as JsonObject, filters);
    }

    public static bool MatchAll(JsonObject? properties, IReadOnlyList<PropertyFilter>? filters) =>
        filters is not { Count: > 0 } || filters.All(f => Matches(properties?[f.Property], f.Op, f.Value));

    public static bool Matches(JsonNode? actual, string op, JsonNode? expected)
    {
        if (op == "exists")
            return actual is not null;
        if (actual is null)
            return op == "neq";
        if (Number(actual) is { } a && Number(expected) is { } b)
            return op switch
            {
                "eq" => a == b,
                "neq" => a != b,
                "gt" => a > b,
                "gte" => a >= b,
                "lt" => a < b,
                "lte" => a <= b,
                "contains" => Text(actual).Contains(Text(expected), StringComparison.OrdinalIgnoreCase),
                _ => false,
            };
        var left = Text(actual);
        var right = Text(expected);
        var compared = string.CompareOrdinal(left, right);
        return op switch
        {
            "eq" => compared == 0,
            "neq" => compared != 0,
            "gt" => compared > 0,
            "gte" => compared >= 0,
            "lt" => compared < 0,
            "lte" => compared <= 0,
            "contains" => actual is JsonArray array
                ? array.Any(item => Text(item) == right)
                : left.Contains(right, StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
    }

    private static decimal? Number(JsonNode? node)
    {
        if (node is not JsonValue value)
            return null;
        if (value.TryGetValue<decimal>(out var number))
            return number;
        if (value.TryGetValue<string>(out var text) && decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out number))
            return number;
        return null;
    }

    private static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => node.ToJsonString(),
    };
}
