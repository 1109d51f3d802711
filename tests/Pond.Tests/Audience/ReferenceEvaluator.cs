using System.Text.Json;
using Dapper;
using Pond.Audience;
using Pond.Customers;
using Pond.Storage;

namespace Pond.Tests.Audience;

/// <summary>
/// The plain way to answer a rule: load every customer with their traits, tags, relationships and events
/// from the database into ordinary objects and test each one with LINQ, straight from docs/segments.md.
/// Slow and obvious, so the columnar index can be held to it.
/// </summary>
internal sealed class ReferenceEvaluator
{
    private readonly List<Person> _people;
    private readonly Dictionary<Guid, (string Kind, Guid? Owner)> _carriers;

    private ReferenceEvaluator(List<Person> people, Dictionary<Guid, (string Kind, Guid? Owner)> carriers)
    {
        _people = people;
        _carriers = carriers;
    }

    public static async Task<ReferenceEvaluator> LoadAsync(Database database, Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var w = new { workspaceId };
        var customers = (await connection.QueryAsync<CustomerRow>(
            "SELECT id, traits, owner_staff_id, depth, marketing_opt_out FROM customers WHERE workspace_id = @workspaceId", w)).ToList();
        var tags = (await connection.QueryAsync<TagRow>("SELECT customer_id, tag FROM customer_tags WHERE workspace_id = @workspaceId", w)).ToLookup(t => t.CustomerId, t => t.Tag);
        var relationships = (await connection.QueryAsync<RelationshipRow>(
            "SELECT customer_id, carrier_id FROM relationships WHERE workspace_id = @workspaceId AND state = 'active'", w)).ToLookup(r => r.CustomerId, r => r.CarrierId);
        var events = (await connection.QueryAsync<EventRow>(
            "SELECT customer_id, name, occurred_at, properties FROM customer_events WHERE workspace_id = @workspaceId AND type = 'track' AND name IS NOT NULL", w))
            .ToLookup(e => e.CustomerId);
        var scores = (await connection.QueryAsync<ScoreRow>(
            "SELECT customer_id, r, f, m, rfm_cell, lifecycle_stage FROM customer_scores WHERE workspace_id = @workspaceId", w)).ToDictionary(s => s.CustomerId);
        var carriers = (await connection.QueryAsync<CarrierRow>("SELECT id, kind, owner_staff_id FROM carriers WHERE workspace_id = @workspaceId", w))
            .ToDictionary(c => c.Id, c => (c.Kind, c.OwnerStaffId));
        var people = customers.Select(c => new Person(
            c.Id, JsonDocument.Parse(c.Traits).RootElement.Clone(), c.OwnerStaffId, c.Depth, c.MarketingOptOut,
            tags[c.Id].ToHashSet(), relationships[c.Id].ToHashSet(), scores.GetValueOrDefault(c.Id),
            events[c.Id].Select(e => (e.Name, e.OccurredAt.ToUnixTimeMilliseconds() / 1000, JsonDocument.Parse(e.Properties).RootElement.Clone())).ToList())).ToList();
        return new ReferenceEvaluator(people, carriers);
    }

    public HashSet<Guid> Members(RuleNode rule, DateTimeOffset now)
    {
        var seconds = now.ToUnixTimeSeconds();
        return _people.Where(p => Matches(p, rule, seconds)).Select(p => p.Id).ToHashSet();
    }

    private bool Matches(Person p, RuleNode node, long now) => node switch
    {
        AllNode all => all.Children.All(c => Matches(p, c, now)),
        AnyNode any => any.Children.Any(c => Matches(p, c, now)),
        NotNode not => !Matches(p, not.Child, now),
        TraitCondition t => Trait(p, t, now),
        TagCondition t => p.Tags.Contains(t.Tag) == t.Has,
        DepthCondition d => d.Op switch { Op.Gte => p.Depth >= (int)d.Depth, Op.Lte => p.Depth <= (int)d.Depth, _ => p.Depth == (int)d.Depth },
        CarrierCondition c => p.Carriers.Contains(c.CarrierId),
        CarrierKindCondition k => p.Carriers.Any(c => _carriers.TryGetValue(c, out var f) && f.Kind == k.Kind),
        StaffCondition s => p.Carriers.Any(c => _carriers.TryGetValue(c, out var f) && CarrierKinds.IsStaffAccount(f.Kind) && f.Owner is not null
            && (s.StaffId is null || f.Owner == s.StaffId)),
        OwnerCondition o => p.Owner == o.StaffId,
        EventCondition e => Event(p, e, now),
        RfmCondition r => p.Score?.RfmCell is { } cell && r.Cells.Contains(cell),
        RfmScoreCondition s => (s.Dimension switch { 'r' => p.Score?.R, 'f' => p.Score?.F, _ => p.Score?.M }) is { } v && s.Op switch
        {
            Op.Eq => v == s.Numbers[0],
            Op.Ne => v != s.Numbers[0],
            Op.Gt => v > s.Numbers[0],
            Op.Gte => v >= s.Numbers[0],
            Op.Lt => v < s.Numbers[0],
            Op.Lte => v <= s.Numbers[0],
            _ => v >= s.Numbers[0] && v <= s.Numbers[1],
        },
        LifecycleCondition l => l.Stages.Contains(p.Score?.LifecycleStage ?? LifecycleStages.New),
        ConsentCondition c => p.OptedOut == c.OptedOut,
        _ => throw new InvalidOperationException(node.GetType().Name),
    };

    private static bool Trait(Person p, TraitCondition t, long now)
    {
        var value = default(JsonElement);
        var has = p.Traits.ValueKind == JsonValueKind.Object && p.Traits.TryGetProperty(t.Key, out value) && value.ValueKind != JsonValueKind.Null;
        if (t.Op == Op.Exists)
            return has;
        if (t.Op == Op.NotExists)
            return !has;
        if (!has)
            return false;
        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        double? number = value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
        bool? flag = value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;
        var date = text is null ? null : TraitDates.TryParse(text, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai"));
        bool Same(Literal l) => (l.Text is not null && l.Text == text) || (l.Number is not null && l.Number == number) || (l.Bool is not null && l.Bool == flag);
        var nowMs = now * 1000;
        switch (t.Op)
        {
            case Op.Eq or Op.In:
                return t.Values.Any(Same);
            case Op.Ne or Op.NotIn:
                return !t.Values.Any(Same);
            case Op.Contains:
                return text is not null && text.Contains(t.Values[0].Text!, StringComparison.OrdinalIgnoreCase);
            case Op.Regex:
                return text is not null && t.Pattern!.IsMatch(text);
            case Op.WithinDays:
                return date is { } d1 && d1 >= nowMs - t.Days * 86_400_000L && d1 <= nowMs;
            case Op.OlderThanDays:
                return date is { } d2 && d2 < nowMs - t.Days * 86_400_000L;
        }

        var v = t.Values[0];
        if (v.Date is not null)
        {
            if (date is not { } d)
                return false;
            return t.Op switch
            {
                Op.Gt => d > v.Date,
                Op.Gte => d >= v.Date,
                Op.Lt => d < v.Date,
                Op.Lte => d <= v.Date,
                _ => d >= v.Date && d <= t.Values[1].Date,
            };
        }

        if (number is not { } n)
            return false;
        return t.Op switch
        {
            Op.Gt => n > v.Number,
            Op.Gte => n >= v.Number,
            Op.Lt => n < v.Number,
            Op.Lte => n <= v.Number,
            _ => n >= v.Number && n <= t.Values[1].Number,
        };
    }

    private static bool Event(Person p, EventCondition e, long now)
    {
        var from = e.WithinDays is { } days ? now - days * 86_400L : long.MinValue;
        var matching = p.Events.Where(x => x.Name == e.Name && x.At >= from && e.Where.All(f => Passes(x.Properties, f))).ToList();
        if (e.Measure == Measure.Last)
        {
            var edge = now - e.Days * 86_400L;
            var last = matching.Count == 0 ? (long?)null : matching.Max(x => x.At);
            return e.Op switch
            {
                Op.WithinDays => last >= edge,
                Op.OlderThanDays => last < edge,
                Op.Never => last is null,
                _ => last is null || last < edge,
            };
        }

        var total = e.Measure == Measure.Count
            ? matching.Count
            : matching.Sum(x => x.Properties.TryGetProperty(e.SumProperty!, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0);
        var n = e.Numbers;
        return e.Op switch
        {
            Op.Eq => total == n[0],
            Op.Ne => total != n[0],
            Op.Gt => total > n[0],
            Op.Gte => total >= n[0],
            Op.Lt => total < n[0],
            Op.Lte => total <= n[0],
            _ => total >= n[0] && total <= n[1],
        };
    }

    private static bool Passes(JsonElement properties, PropertyFilter filter)
    {
        var value = default(JsonElement);
        var has = properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(filter.Property, out value)
            && value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False;
        if (!has)
            return false;
        bool Same(Literal l) => (l.Text is not null && value.ValueKind == JsonValueKind.String && value.GetString() == l.Text)
            || (l.Number is not null && value.ValueKind == JsonValueKind.Number && value.GetDouble() == l.Number)
            || (l.Bool is not null && value.ValueKind is JsonValueKind.True or JsonValueKind.False && value.GetBoolean() == l.Bool);
        return filter.Op switch
        {
            Op.Exists => true,
            Op.Eq or Op.In => filter.Values.Any(Same),
            Op.Ne or Op.NotIn => !filter.Values.Any(Same),
            Op.Contains => value.ValueKind == JsonValueKind.String && value.GetString()!.Contains(filter.Values[0].Text!, StringComparison.OrdinalIgnoreCase),
            _ => value.ValueKind == JsonValueKind.Number && filter.Op switch
            {
                Op.Gt => value.GetDouble() > filter.Values[0].Number,
                Op.Gte => value.GetDouble() >= filter.Values[0].Number,
                Op.Lt => value.GetDouble() < filter.Values[0].Number,
                _ => value.GetDouble() <= filter.Values[0].Number,
            },
        };
    }

    private sealed record Person(
        Guid Id, JsonElement Traits, Guid? Owner, int Depth, bool OptedOut, HashSet<string> Tags, HashSet<Guid> Carriers, ScoreRow? Score,
        List<(string Name, long At, JsonElement Properties)> Events);

    private sealed class CustomerRow
    {
        public Guid Id { get; init; }
        public string Traits { get; init; } = "{}";
        public Guid? OwnerStaffId { get; init; }
        public int Depth { get; init; }
        public bool MarketingOptOut { get; init; }
    }

    private sealed class TagRow
    {
        public Guid CustomerId { get; init; }
        public string Tag { get; init; } = "";
    }

    private sealed class RelationshipRow
    {
        public Guid CustomerId { get; init; }
        public Guid CarrierId { get; init; }
    }

    private sealed class EventRow
    {
        public Guid CustomerId { get; init; }
        public string Name { get; init; } = "";
        public DateTimeOffset OccurredAt { get; init; }
        public string Properties { get; init; } = "{}";
    }

    private sealed class ScoreRow
    {
        public Guid CustomerId { get; init; }
        public int? R { get; init; }
        public int? F { get; init; }
        public int? M { get; init; }
        public string? RfmCell { get; init; }
        public string LifecycleStage { get; init; } = "";
    }

    private sealed class CarrierRow
    {
        public Guid Id { get; init; }
        public string Kind { get; init; } = "";
        public Guid? OwnerStaffId { get; init; }
    }
}
