using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Localization;

namespace Pond.Server.Localization;

/// <summary>
/// The console's strings. Keys are the English text; translations live in one JSON file per feature,
/// <c>Localization/zh-CN/&lt;feature&gt;.json</c> (embedded), so features never edit a shared file.
/// English needs no file: a key is its own English text. Pages use <c>@inject Text T</c> and <c>@T["Customers"]</c>.
/// </summary>
internal sealed class Text : IStringLocalizer
{
    private readonly FrozenDictionary<string, FrozenDictionary<string, string>> _byCulture;

    public Text()
    {
        var assembly = typeof(Text).Assembly;
        var cultures = new Dictionary<string, Dictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("Pond.Localization.", StringComparison.Ordinal)))
        {
            // Pond.Localization.{culture}.{feature}.json
            var parts = name["Pond.Localization.".Length..].Replace('/', '.').Replace('\\', '.').Split('.');
            var culture = parts[0];
            using var stream = assembly.GetManifestResourceStream(name)!;
            var entries = JsonSerializer.Deserialize<Dictionary<string, string>>(stream)
                ?? throw new InvalidOperationException($"{name} is not a JSON object of strings.");
            if (!cultures.TryGetValue(culture, out var table))
                cultures[culture] = table = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in entries)
            {
                if (!table.TryAdd(key, value) && table[key] != value)
                    throw new InvalidOperationException($"'{key}' is translated differently in two {culture} files; keep one.");
            }
        }

        _byCulture = cultures.ToFrozenDictionary(c => c.Key, c => c.Value.ToFrozenDictionary(StringComparer.Ordinal), StringComparer.OrdinalIgnoreCase);
    }

    public LocalizedString this[string name]
    {
        get
        {
            var found = TryTranslate(name, out var value);
            return new LocalizedString(name, value, resourceNotFound: !found);
        }
    }

    public LocalizedString this[string name, params object[] arguments]
    {
        get
        {
            var found = TryTranslate(name, out var format);
            return new LocalizedString(name, string.Format(CultureInfo.CurrentCulture, format, arguments), resourceNotFound: !found);
        }
    }

    /// <summary>Every key a culture translates (for tests that look for gaps).</summary>
    public IReadOnlyCollection<string> Keys(string culture) =>
        _byCulture.TryGetValue(culture, out var table) ? table.Keys : [];

    public IEnumerable<LocalizedString> GetAllStrings(bool includeParentCultures) =>
        _byCulture.TryGetValue(CultureInfo.CurrentUICulture.Name, out var table)
            ? table.Select(e => new LocalizedString(e.Key, e.Value))
            : [];

    private bool TryTranslate(string key, out string value)
    {
        var culture = CultureInfo.CurrentUICulture.Name;
        if (culture.StartsWith("en", StringComparison.OrdinalIgnoreCase))
        {
            value = key;
            return true;
        }

        if (_byCulture.TryGetValue(culture, out var table) && table.TryGetValue(key, out var translated))
        {
            value = translated;
            return true;
        }

        value = key;
        return false;
    }
}
