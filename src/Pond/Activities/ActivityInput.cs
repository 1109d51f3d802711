using System.Data.Common;
using Dapper;

namespace Pond.Activities;

/// <summary>Checks shared by flash sales and group buys; each failure names the field to fix.</summary>
internal static class ActivityInput
{
    public static string? Text(string? value, string field, int max, bool required)
    {
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text))
            return required ? throw new ValidationFailedException($"{field} is required.", field) : null;
        return text.Length <= max ? text : throw new ValidationFailedException($"{field} is at most {max} characters.", field);
    }

    /// <summary>A price in yuan (0 to 1,000,000, at most two decimals) as fen.</summary>
    public static long? Price(decimal? yuan, string field, bool required)
    {
        if (yuan is not { } value)
            return required ? throw new ValidationFailedException($"{field} is required, in yuan (e.g. 59.90).", field) : null;
        if (value is < 0 or > 1_000_000 || decimal.Round(value, 2) != value)
            throw new ValidationFailedException($"{field} must be between 0 and 1,000,000 yuan with at most two decimals.", field);
        return Money.ToFen(value);
    }

    public static void Window(DateTimeOffset startsAt, DateTimeOffset endsAt)
    {
        if (endsAt <= startsAt)
            throw new ValidationFailedException("endsAt must be after startsAt.", "endsAt");
        if (endsAt - startsAt > TimeSpan.FromDays(366))
            throw new ValidationFailedException("An activity runs at most a year: bring endsAt closer to startsAt.", "endsAt");
    }

    /// <summary>The audience segment, checked to be in the workspace; Guid.Empty or null means none.</summary>
    public static async Task<Guid?> SegmentAsync(DbConnection connection, Guid workspaceId, Guid? segmentId)
    {
        if (segmentId is not { } id || id == Guid.Empty)
            return null;
        var known = await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM segments WHERE id = @id AND workspace_id = @workspaceId", new { id, workspaceId });
        return known > 0 ? id : throw new ValidationFailedException($"segmentId: no segment {id} in this workspace.", "segmentId");
    }
}
