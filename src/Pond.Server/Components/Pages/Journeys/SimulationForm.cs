using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pond.Server.Components.Pages.Activities;

namespace Pond.Server.Components.Pages.Journeys;

/// <summary>The simulation page's form: a hypothetical customer and a timeline of events, as typed.</summary>
internal sealed class SimulationForm
{
    public string? StartAt { get; set; }
    public string? HorizonDays { get; set; }

    /// <summary>One trait a line: key=value.</summary>
    public string? Traits { get; set; }

    /// <summary>Comma- or line-separated.</summary>
    public string? Tags { get; set; }

    /// <summary>Form binding leaves these null when the form has none.</summary>
    public List<Guid>? SegmentIds { get; set; }
    public List<TimelineRow>? Timeline { get; set; }

    internal sealed class TimelineRow
    {
        public string? After { get; set; }

        /// <summary>minutes, hours or days.</summary>
        public string? Unit { get; set; }

        public string? Event { get; set; }

        /// <summary>One property a line, key=value.</summary>
        public string? Properties { get; set; }
    }

    public static SimulationForm Example() => new()
    {
        HorizonDays = "90",
        Traits = "name=林小雨\ncity=杭州",
        Tags = "",
        Timeline = [new TimelineRow { After = "40", Unit = "days", Event = "Order Completed", Properties = "revenue=199" }],
    };

    public int Horizon() => FormValues.Int(HorizonDays, "horizonDays") ?? 90;

    public DateTimeOffset? Start(TimeZoneInfo zone) => FormValues.LocalTime(StartAt, zone, "startAt");

    public JsonObject TraitsObject() => Pairs(Traits, "traits");

    public IReadOnlyList<string> TagList() =>
        (Tags ?? "").Split([',', '，', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The rows with an event, in minutes after the start.</summary>
    public IReadOnlyList<(int AfterMinutes, string Event, JsonObject Properties)> Events()
    {
        var list = new List<(int, string, JsonObject)>();
        var rows = Timeline ?? [];
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            if (string.IsNullOrWhiteSpace(row.Event))
                continue;
            var amount = FormValues.Decimal(row.After, $"timeline/{i}/after") ?? 0;
            var minutes = row.Unit switch
            {
                "minutes" => amount,
                "hours" => amount * 60,
                _ => amount * 60 * 24,
            };
            if (minutes < 0)
                throw new ValidationFailedException($"Timeline row {i + 1}: the time after the start cannot be negative.", $"timeline/{i}/after");
            list.Add(((int)Math.Round(minutes), row.Event.Trim(), Pairs(row.Properties, $"timeline/{i}/properties")));
        }

        return list.OrderBy(e => e.Item1).ToList();
    }

    /// <summary>key=value lines; numbers and true/false become JSON numbers and booleans.</summary>
    private static JsonObject Pairs(string? text, string field)
    {
        var result = new JsonObject();
        foreach (var line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var at = line.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0)
                throw new ValidationFailedException($"'{line}' is not key=value.", field);
            var key = line[..at].Trim();
            var value = line[(at + 1)..].Trim();
            result[key] = decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number)
                : value is "true" or "false" ? JsonValue.Create(value == "true")
                : JsonValue.Create(value);
        }

        return result;
    }

    public string RowsJson() => JsonSerializer.Serialize((Timeline ?? []).Select(r => new { after = r.After ?? "", unit = r.Unit ?? "days", @event = r.Event ?? "", properties = r.Properties ?? "" }));
}
