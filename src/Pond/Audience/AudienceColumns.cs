using System.Text.Json;

namespace Pond.Audience;

/// <summary>
/// A dictionary of distinct strings: each value gets a small integer code (0 = no string), so columns
/// store 4 bytes per row and comparisons are integer compares.
/// </summary>
internal sealed class StringDictionary
{
    private readonly Dictionary<string, int> _codes = new(StringComparer.Ordinal);
    private readonly List<string> _values = [""];

    public int Count => _values.Count - 1;

    public IReadOnlyList<string> Values => _values;

    public int CodeOf(string value)
    {
        if (_codes.TryGetValue(value, out var code))
            return code;
        code = _values.Count;
        _values.Add(value);
        _codes[value] = code;
        return code;
    }

    public int Find(string value) => _codes.GetValueOrDefault(value);

    public string this[int code] => _values[code];

    public long Bytes => _values.Sum(v => 48L + v.Length * 2) + _codes.Count * 24L;
}

/// <summary>
/// One trait key across all customers. A value lands in the array of its JSON kind (string code,
/// number, boolean) and in <see cref="Present"/>; date-like strings also land in <see cref="Dates"/>.
/// Keys with few distinct strings (gender, city, size) also keep one bitset per value.
/// </summary>
internal sealed class TraitColumn(int capacity)
{
    public const int MaxValueSets = 64;

    public BitSet Present { get; } = new(capacity);
    public StringDictionary Strings { get; } = new();
    public int[]? Codes { get; private set; }
    public double[]? Numbers { get; private set; }
    public long[]? Dates { get; private set; }

    /// <summary>0 = not a boolean, 1 = false, 2 = true.</summary>
    public byte[]? Bools { get; private set; }

    /// <summary>Per string code, the customers holding it; dropped once the key has too many distinct values.</summary>
    public List<BitSet>? ValueSets { get; private set; } = [];

    private int _capacity = capacity;

    public void Grow(int capacity)
    {
        Present.EnsureCapacity(capacity);
        if (Codes is not null)
            Codes = Resized(Codes, capacity, 0);
        if (Numbers is not null)
            Numbers = Resized(Numbers, capacity, double.NaN);
        if (Dates is not null)
            Dates = Resized(Dates, capacity, long.MinValue);
        if (Bools is not null)
            Bools = Resized(Bools, capacity, (byte)0);
        foreach (var set in ValueSets ?? [])
            set.EnsureCapacity(capacity);
        _capacity = capacity;
    }

    public void Clear(int ordinal)
    {
        if (!Present[ordinal])
            return;
        Present[ordinal] = false;
        if (Codes is not null && Codes[ordinal] != 0)
        {
            if (ValueSets is not null)
                ValueSets[Codes[ordinal]][ordinal] = false;
            Codes[ordinal] = 0;
        }

        if (Numbers is not null)
            Numbers[ordinal] = double.NaN;
        if (Dates is not null)
            Dates[ordinal] = long.MinValue;
        if (Bools is not null)
            Bools[ordinal] = 0;
    }

    public void Set(int ordinal, JsonElement value, TimeZoneInfo zone)
    {
        Clear(ordinal);
        Present[ordinal] = true;
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var text = value.GetString()!;
                var code = Strings.CodeOf(text);
                Codes ??= Filled(_capacity, 0);
                Codes[ordinal] = code;
                if (ValueSets is not null)
                {
                    if (Strings.Count > MaxValueSets)
                        ValueSets = null;
                    else
                    {
                        while (ValueSets.Count <= code)
                            ValueSets.Add(new BitSet(_capacity));
                        ValueSets[code][ordinal] = true;
                    }
                }

                if (TraitDates.TryParse(text, zone) is { } date)
                {
                    Dates ??= Filled(_capacity, long.MinValue);
                    Dates[ordinal] = date;
                }

                break;
            case JsonValueKind.Number:
                Numbers ??= Filled(_capacity, double.NaN);
                Numbers[ordinal] = value.GetDouble();
                break;
            case JsonValueKind.True or JsonValueKind.False:
                Bools ??= Filled(_capacity, (byte)0);
                Bools[ordinal] = value.ValueKind == JsonValueKind.True ? (byte)2 : (byte)1;
                break;
        }
    }

    public long Bytes =>
        Present.Capacity / 8 + (Codes?.Length ?? 0) * 4L + (Numbers?.Length ?? 0) * 8L + (Dates?.Length ?? 0) * 8L + (Bools?.Length ?? 0)
        + (ValueSets?.Sum(s => s.Capacity / 8L) ?? 0) + Strings.Bytes;

    internal static T[] Filled<T>(int length, T value)
    {
        var array = new T[length];
        if (!EqualityComparer<T>.Default.Equals(value, default))
            array.AsSpan().Fill(value);
        return array;
    }

    internal static T[] Resized<T>(T[] array, int length, T fill)
    {
        if (array.Length >= length)
            return array;
        var old = array.Length;
        Array.Resize(ref array, length);
        if (!EqualityComparer<T>.Default.Equals(fill, default))
            array.AsSpan(old).Fill(fill);
        return array;
    }
}

/// <summary>One top-level property of one event name, per event: string code, number or boolean.</summary>
internal sealed class PropertyColumn
{
    public StringDictionary Strings { get; } = new();
    public int[]? Codes;
    public double[]? Numbers;

    /// <summary>0 = not a boolean, 1 = false, 2 = true.</summary>
    public byte[]? Bools;

    public void Set(int index, int capacity, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                Codes = Ensure(Codes, capacity, 0);
                Codes[index] = Strings.CodeOf(value.GetString()!);
                break;
            case JsonValueKind.Number:
                Numbers = Ensure(Numbers, capacity, double.NaN);
                Numbers[index] = value.GetDouble();
                break;
            case JsonValueKind.True or JsonValueKind.False:
                Bools = Ensure(Bools, capacity, (byte)0);
                Bools[index] = value.ValueKind == JsonValueKind.True ? (byte)2 : (byte)1;
                break;
        }
    }

    public void Grow(int capacity)
    {
        if (Codes is not null)
            Codes = TraitColumn.Resized(Codes, capacity, 0);
        if (Numbers is not null)
            Numbers = TraitColumn.Resized(Numbers, capacity, double.NaN);
        if (Bools is not null)
            Bools = TraitColumn.Resized(Bools, capacity, (byte)0);
    }

    public void Permute(int[] order, int count)
    {
        if (Codes is not null)
            Codes = Apply(Codes, order, count);
        if (Numbers is not null)
            Numbers = Apply(Numbers, order, count);
        if (Bools is not null)
            Bools = Apply(Bools, order, count);
    }

    public long Bytes => (Codes?.Length ?? 0) * 4L + (Numbers?.Length ?? 0) * 8L + (Bools?.Length ?? 0) + Strings.Bytes;

    internal static T[] Apply<T>(T[] source, int[] order, int count)
    {
        var result = new T[source.Length];
        for (var i = 0; i < count; i++)
            result[i] = source[order[i]];
        if (source.Length > count)
            source.AsSpan(count).CopyTo(result.AsSpan(count));
        return result;
    }

    private static T[] Ensure<T>(T[]? array, int capacity, T fill) => array is null ? TraitColumn.Filled(capacity, fill) : array;
}

/// <summary>
/// All track events of one name: who (customer ordinal, -1 once moved away), when (Unix seconds) and
/// their top-level properties, column by column. A prefix is kept sorted by time so a window
/// ("in the last 90 days") is a binary search plus a scan of the window; per customer, events are
/// chained (<see cref="Head"/>/<see cref="Next"/>) so one customer is evaluated without a scan, and
/// <see cref="Last"/> holds each customer's latest time for "last seen" rules.
/// </summary>
internal sealed class EventColumn(string name, int customerCapacity)
{
    public string Name { get; } = name;
    public int Count;
    public int SortedCount;
    public int[] Customer = new int[1024];
    public uint[] Time = new uint[1024];

    /// <summary>1 + the previous event of the same customer; 0 ends the chain.</summary>
    public int[] Next = new int[1024];

    /// <summary>Per customer ordinal: 1 + the newest-added event; 0 = none.</summary>
    public int[] Head = new int[customerCapacity];

    /// <summary>Per customer ordinal: the latest event time (Unix seconds); 0 = never.</summary>
    public uint[] Last = new uint[customerCapacity];

    public Dictionary<string, PropertyColumn> Properties { get; } = new(StringComparer.Ordinal);

    public void GrowCustomers(int capacity)
    {
        Head = TraitColumn.Resized(Head, capacity, 0);
        Last = TraitColumn.Resized(Last, capacity, 0u);
    }

    public int Append(int customer, uint time, JsonElement properties)
    {
        if (Count == Customer.Length)
        {
            var capacity = Count * 2;
            Array.Resize(ref Customer, capacity);
            Array.Resize(ref Time, capacity);
            Array.Resize(ref Next, capacity);
            foreach (var column in Properties.Values)
                column.Grow(capacity);
        }

        var index = Count++;
        Customer[index] = customer;
        Time[index] = time;
        if (SortedCount == index && (index == 0 || Time[index - 1] <= time))
            SortedCount++;
        Next[index] = Head[customer];
        Head[customer] = index + 1;
        if (time > Last[customer])
            Last[customer] = time;
        if (properties.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in properties.EnumerateObject())
            {
                if (property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null)
                    continue;
                if (!Properties.TryGetValue(property.Name, out var column))
                    Properties[property.Name] = column = new PropertyColumn();
                column.Set(index, Customer.Length, property.Value);
            }
        }

        return index;
    }

    /// <summary>Drops a customer's events (they moved to another customer, or are reloaded).</summary>
    public void Forget(int customer)
    {
        for (var i = Head[customer] - 1; i >= 0; i = Next[i] - 1)
            Customer[i] = -1;
        Head[customer] = 0;
        Last[customer] = 0;
    }

    /// <summary>Sorts all events by time (after a bulk load, or when the unsorted tail has grown) and re-links the chains.</summary>
    public void Sort()
    {
        if (SortedCount == Count)
            return;
        var order = new int[Count];
        for (var i = 0; i < Count; i++)
            order[i] = i;
        var keys = Time.AsSpan(0, Count).ToArray();
        Array.Sort(keys, order);
        Customer = PropertyColumn.Apply(Customer, order, Count);
        Time = PropertyColumn.Apply(Time, order, Count);
        foreach (var column in Properties.Values)
            column.Permute(order, Count);
        Array.Clear(Head);
        for (var i = 0; i < Count; i++)
        {
            var customer = Customer[i];
            if (customer < 0)
                continue;
            Next[i] = Head[customer];
            Head[customer] = i + 1;
        }

        SortedCount = Count;
    }

    /// <summary>The first index in the sorted prefix whose time is at or after <paramref name="from"/>.</summary>
    public int LowerBound(uint from)
    {
        int lo = 0, hi = SortedCount;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Time[mid] < from)
                lo = mid + 1;
            else
                hi = mid;
        }

        return lo;
    }

    public long Bytes => Customer.Length * 12L + Head.Length * 8L + Properties.Values.Sum(p => p.Bytes);
}
