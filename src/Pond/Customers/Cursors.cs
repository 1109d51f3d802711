using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Pond.Customers;

/// <summary>
/// Opaque page cursors. They carry the sort key of the last row (keyset pagination), so a page never
/// repeats or skips a row when new customers arrive between requests. The "c1"/"t1" prefix versions the format.
/// </summary>
internal static class Cursors
{
    private const string BadCursor = "The cursor is not one this API issued; pass nextCursor from the previous page unchanged, or leave it out for the first page.";

    public static string EncodeCustomer(Guid lastId) => Encode($"c1:{lastId:N}");

    public static Guid DecodeCustomer(string cursor)
    {
        var text = Decode(cursor);
        if (text is null || !text.StartsWith("c1:", StringComparison.Ordinal) || !Guid.TryParseExact(text.AsSpan(3), "N", out var id))
            throw new ValidationFailedException(BadCursor, "cursor");
        return id;
    }

    public static string EncodeTimeline(DateTimeOffset occurredAt, long id) =>
        Encode(string.Create(CultureInfo.InvariantCulture, $"t1:{occurredAt.ToUnixTimeMilliseconds()}:{id}"));

    public static (long OccurredAtMs, long Id) DecodeTimeline(string cursor)
    {
        var parts = Decode(cursor)?.Split(':');
        if (parts is not ["t1", var at, var id]
            || !long.TryParse(at, NumberStyles.Integer, CultureInfo.InvariantCulture, out var occurred)
            || !long.TryParse(id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var eventId))
            throw new ValidationFailedException(BadCursor, "cursor");
        return (occurred, eventId);
    }

    private static string Encode(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    private static string? Decode(string cursor)
    {
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor.Trim()));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
