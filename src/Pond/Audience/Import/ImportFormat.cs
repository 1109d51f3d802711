using System.Globalization;
using System.Text.Json.Nodes;
using Pond.Customers;

namespace Pond.Audience.Import;

/// <summary>What a column of an import file means.</summary>
internal enum ColumnRole
{
    Identity,
    Name,
    Tags,
    Action,
    Trait,

    /// <summary>A column of an order import (order_id, placed_at, sku, price…): <see cref="ImportColumn.Key"/> names it.</summary>
    Order,

    /// <summary>A read-only column of an export (id, depth, first_seen_at…): skipped, so an export imports again.</summary>
    Ignored,
}

/// <summary>Trait value types a header can name with a suffix: <c>age:number</c>, <c>vip:bool</c>, <c>birthday:date</c>.</summary>
internal enum TraitType
{
    String,
    Number,
    Bool,
    Date,
}

internal sealed record ImportColumn(int Index, string Header, ColumnRole Role, string Key, string Scope = "", TraitType Type = TraitType.String);

/// <summary>
/// The header row of an import file, read into column meanings (docs/import.md). A header that cannot be
/// understood fails the whole import with a message naming the column, before any row is read.
/// </summary>
internal sealed class ImportHeader
{
    public const int MaxFieldLength = 1000;
    public const int MaxTagLength = 64;

    private ImportHeader(string kind, IReadOnlyList<ImportColumn> columns)
    {
        Kind = kind;
        Columns = columns;
        Identities = columns.Where(c => c.Role == ColumnRole.Identity).ToList();
        Name = columns.FirstOrDefault(c => c.Role == ColumnRole.Name);
        Tags = columns.FirstOrDefault(c => c.Role == ColumnRole.Tags);
        Action = columns.FirstOrDefault(c => c.Role == ColumnRole.Action);
        Traits = columns.Where(c => c.Role == ColumnRole.Trait).ToList();
        OrderFields = columns.Where(c => c.Role == ColumnRole.Order).ToDictionary(c => c.Key, StringComparer.Ordinal);
    }

    public string Kind { get; }
    public IReadOnlyList<ImportColumn> Columns { get; }
    public IReadOnlyList<ImportColumn> Identities { get; }
    public ImportColumn? Name { get; }
    public ImportColumn? Tags { get; }
    public ImportColumn? Action { get; }
    public IReadOnlyList<ImportColumn> Traits { get; }

    /// <summary>An order import's columns by their name in <see cref="OrderColumns"/>.</summary>
    public IReadOnlyDictionary<string, ImportColumn> OrderFields { get; }

    /// <summary>The order import's column, or null when the file has none.</summary>
    public ImportColumn? Order(string key) => OrderFields.GetValueOrDefault(key);

    /// <summary>The columns an order import may have besides identities (docs/import.md).</summary>
    public static readonly IReadOnlyList<string> OrderColumns =
    [
        "order_id", "placed_at", "sku", "name", "category", "price", "quantity", "paid", "discount", "shipping", "coupon", "currency",
        "sales_channel", "private_domain", "tracking_code", "channel_code",
    ];

    /// <summary>Identity kinds an import column may name (anonymous ids belong to devices, not to files).</summary>
    public static readonly IReadOnlyList<string> IdentityColumns =
        IdentityKinds.All.Where(k => k != IdentityKinds.AnonymousId).ToList();

    public static ImportHeader Parse(string kind, IReadOnlyList<string> fields)
    {
        if (fields.Count == 0 || fields.All(string.IsNullOrWhiteSpace))
            throw new ValidationFailedException("The file is empty: the first line must be a header row naming the columns (e.g. phone,name,tags).", "file");
        var columns = new List<ImportColumn>(fields.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < fields.Count; i++)
        {
            var header = fields[i].Trim().TrimStart('\uFEFF');
            var column = ParseColumn(kind, i, header);
            var key = column.Role == ColumnRole.Identity ? $"{column.Key}@{column.Scope}"
                : column.Role is ColumnRole.Trait or ColumnRole.Ignored or ColumnRole.Order ? $"{column.Role}:{column.Key}" : column.Role.ToString();
            if (!seen.Add(key))
                throw new ValidationFailedException($"Column {i + 1} ('{header}') repeats an earlier column; every column may appear once.", "file");
            columns.Add(column);
        }

        var parsed = new ImportHeader(kind, columns);
        if (kind is ImportKinds.Customers or ImportKinds.Orders && parsed.Identities.Count == 0)
            throw new ValidationFailedException(
                $"The header names no identity column: add at least one of {string.Join(", ", IdentityColumns)} (wechat_openid as wechat_openid@<app id>).", "file");
        if (kind == ImportKinds.Tags)
        {
            if (parsed.Identities.Count != 1)
                throw new ValidationFailedException(
                    $"A tag import names exactly one identity column (one of {string.Join(", ", IdentityColumns)}); this header has {parsed.Identities.Count}.", "file");
            if (parsed.Tags is null)
                throw new ValidationFailedException("A tag import needs a tags column (several tags separated by |).", "file");
        }

        if (kind == ImportKinds.Orders)
        {
            if (parsed.Order("order_id") is null)
                throw new ValidationFailedException("An order import needs an order_id column: the rows of one order share its order id.", "file");
            if (parsed.Order("placed_at") is null)
                throw new ValidationFailedException("An order import needs a placed_at column: the time each order was paid.", "file");
            if (parsed.Order("sku") is null && parsed.Order("paid") is null)
                throw new ValidationFailedException("An order import needs sku and price columns (one row per order line), or at least a paid column.", "file");
            if (parsed.Order("sku") is not null && parsed.Order("price") is null)
                throw new ValidationFailedException("An order import with a sku column needs a price column (the unit price in yuan).", "file");
            if (parsed.Order("sku") is null && (parsed.Order("price") ?? parsed.Order("quantity") ?? parsed.Order("name") ?? parsed.Order("category")) is { } line)
                throw new ValidationFailedException($"Column {line.Index + 1} ('{line.Header}') describes an order line: add a sku column too.", "file");
        }

        return parsed;
    }

    private static ImportColumn ParseColumn(string kind, int index, string header)
    {
        if (header.Length == 0)
            throw new ValidationFailedException($"Column {index + 1} has no name in the header row; name every column.", "file");
        var lower = header.ToLowerInvariant();
        var at = lower.IndexOf('@', StringComparison.Ordinal);
        var baseName = at < 0 ? lower : lower[..at];
        if (IdentityColumns.Contains(baseName))
        {
            if (IdentityKinds.IsScoped(baseName))
            {
                var scope = at < 0 ? "" : header[(at + 1)..].Trim();
                if (scope.Length == 0)
                    throw new ValidationFailedException(
                        $"Column {index + 1} ('{header}'): an openid belongs to one app; name the app id, e.g. {baseName}@wx1234567890abcdef.", "file");
                return new ImportColumn(index, header, ColumnRole.Identity, baseName, scope);
            }

            if (at >= 0)
                throw new ValidationFailedException($"Column {index + 1} ('{header}'): only wechat_openid takes an @app id.", "file");
            return new ImportColumn(index, header, ColumnRole.Identity, baseName);
        }

        if (kind == ImportKinds.Orders)
        {
            var orderColumn = lower == "coupons" ? "coupon" : lower;
            return OrderColumns.Contains(orderColumn)
                ? new ImportColumn(index, header, ColumnRole.Order, orderColumn)
                : throw new ValidationFailedException(
                    $"Column {index + 1} ('{header}') is not part of an order import: use order_id, identity columns ({string.Join(", ", IdentityColumns)}) and {string.Join(", ", OrderColumns.Skip(1))}.",
                    "file");
        }

        switch (lower)
        {
            case "tags":
                return new ImportColumn(index, header, ColumnRole.Tags, "tags");
            case "name" when kind == ImportKinds.Customers:
                return new ImportColumn(index, header, ColumnRole.Name, "name");
            case "action" when kind == ImportKinds.Tags:
                return new ImportColumn(index, header, ColumnRole.Action, "action");
        }

        if (kind == ImportKinds.Customers && CustomerCsvExport.ReadOnlyColumns.Contains(lower))
            return new ImportColumn(index, header, ColumnRole.Ignored, lower);
        if (kind == ImportKinds.Tags)
            throw new ValidationFailedException(
                $"Column {index + 1} ('{header}') is not part of a tag import: use one identity column, tags and optionally action.", "file");

        var colon = header.LastIndexOf(':');
        var name = colon < 0 ? header : header[..colon].Trim();
        var type = TraitType.String;
        if (colon >= 0)
        {
            type = header[(colon + 1)..].Trim().ToLowerInvariant() switch
            {
                "string" or "text" => TraitType.String,
                "number" => TraitType.Number,
                "bool" or "boolean" => TraitType.Bool,
                "date" => TraitType.Date,
                var other => throw new ValidationFailedException(
                    $"Column {index + 1} ('{header}'): unknown type '{other}'; use string, number, bool or date (e.g. age:number).", "file"),
            };
        }

        if (name.Length == 0)
            throw new ValidationFailedException($"Column {index + 1} ('{header}') names a type but no trait.", "file");
        if (name.Length > 100)
            throw new ValidationFailedException($"Column {index + 1}: a trait name is at most 100 characters.", "file");
        return new ImportColumn(index, header, ColumnRole.Trait, name, Type: type);
    }
}

/// <summary>Row values checked and converted the way the processor will store them.</summary>
internal static class ImportValues
{
    /// <summary>Null when the value is a usable identity of the kind, else why not.</summary>
    public static string? IdentityProblem(string kind, string raw, string normalised)
    {
        switch (kind)
        {
            case IdentityKinds.Phone:
                if (raw.Any(ch => !(char.IsAsciiDigit(ch) || ch is '+' or '-' or ' ' or '(' or ')')))
                    return $"phone '{raw}' is not a phone number (digits, with an optional +86)";
                var international = raw.TrimStart().StartsWith('+') && !raw.TrimStart().StartsWith("+86", StringComparison.Ordinal);
                if (international ? normalised.Length is < 8 or > 15 : normalised.Length != 11 || normalised[0] != '1')
                    return $"phone '{raw}' is not a mobile number: 11 digits starting with 1, or +country code and number";
                return null;
            case IdentityKinds.Email:
                var at = normalised.IndexOf('@', StringComparison.Ordinal);
                if (at <= 0 || at != normalised.LastIndexOf('@') || at == normalised.Length - 1
                    || !normalised[(at + 1)..].Contains('.', StringComparison.Ordinal) || normalised.Any(char.IsWhiteSpace) || normalised.Length > 254)
                    return $"email '{raw}' is not an email address";
                return null;
            default:
                return normalised.Length > 200 ? $"{kind} is longer than 200 characters" : null;
        }
    }

    /// <summary>The trait's JSON value, or null for an empty cell (the trait is left as it is); throws FormatException with the reason.</summary>
    public static JsonNode? Trait(ImportColumn column, string raw)
    {
        var value = raw.Trim();
        if (value.Length == 0)
            return null;
        switch (column.Type)
        {
            case TraitType.Number:
                if (!decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                    throw new FormatException($"{column.Key}: '{value}' is not a number");
                return JsonValue.Create(number);
            case TraitType.Bool:
                return value.ToLowerInvariant() switch
                {
                    "true" or "1" or "yes" or "y" or "是" => JsonValue.Create(true),
                    "false" or "0" or "no" or "n" or "否" => JsonValue.Create(false),
                    _ => throw new FormatException($"{column.Key}: '{value}' is not a boolean (true/false, 1/0, yes/no, 是/否)"),
                };
            case TraitType.Date:
                return JsonValue.Create(Date(column.Key, value));
            default:
                return JsonValue.Create(value);
        }
    }

    private static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyy/MM/dd", "yyyy-M-d", "yyyy/M/d", "yyyyMMdd"];

    /// <summary>A date as yyyy-MM-dd, or a time with an offset as ISO 8601: the forms segment rules read as dates.</summary>
    private static string Date(string key, string value)
    {
        if (DateOnly.TryParseExact(value, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (value.Contains('T', StringComparison.Ordinal)
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            && (value.EndsWith('Z') || value.LastIndexOfAny(['+', '-']) > value.IndexOf('T', StringComparison.Ordinal)))
            return time.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture);
        throw new FormatException($"{key}: '{value}' is not a date (yyyy-MM-dd, or an ISO 8601 time with its offset)");
    }

    /// <summary>The row's tags: split on |, trimmed, empty ones dropped, each at most 64 characters.</summary>
    public static List<string> Tags(string raw)
    {
        var tags = new List<string>();
        foreach (var part in raw.Split('|'))
        {
            var tag = part.Trim();
            if (tag.Length == 0)
                continue;
            if (tag.Length > ImportHeader.MaxTagLength)
                throw new FormatException($"tag '{tag[..20]}…' is longer than {ImportHeader.MaxTagLength} characters");
            if (!tags.Contains(tag, StringComparer.Ordinal))
                tags.Add(tag);
        }

        return tags;
    }
}
