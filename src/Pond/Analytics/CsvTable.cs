using System.Globalization;
using System.Text;
using CsvHelper;

namespace Pond.Analytics;

/// <summary>A report table as CSV: UTF-8 with a byte-order mark (so Excel reads Chinese names), invariant numbers, CRLF rows.</summary>
public static class CsvTable
{
    public static byte[] Write(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<object?>> rows)
    {
        using var buffer = new MemoryStream();
        using (var writer = new StreamWriter(buffer, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true)))
        using (var csv = new CsvWriter(writer, CultureInfo.InvariantCulture))
        {
            foreach (var header in headers)
                csv.WriteField(header);
            csv.NextRecord();
            foreach (var row in rows)
            {
                foreach (var value in row)
                    csv.WriteField(Format(value));
                csv.NextRecord();
            }
        }

        return buffer.ToArray();
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        DateOnly day => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
