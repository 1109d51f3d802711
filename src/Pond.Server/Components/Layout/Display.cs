using System.Globalization;
using Pond.Server.Localization;
using Pond.Workspaces;

namespace Pond.Server.Components.Layout;

/// <summary>How the console shows values that every page shows the same way.</summary>
internal static class Display
{
    /// <summary>Times are stored in UTC and read in the workspace's zone: operators think in local shop hours.</summary>
    public static string Time(DateTimeOffset value, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(value, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    public static TimeZoneInfo Zone(Workspace? workspace) =>
        workspace is not null && TimeZoneInfo.TryFindSystemTimeZoneById(workspace.TimeZone, out var zone) ? zone : TimeZoneInfo.Utc;

    public static string Role(Text t, string role) => role switch
    {
        Roles.Owner => t["Owner"],
        Roles.Admin => t["Admin"],
        Roles.Operator => t["Operator"],
        Roles.Staff => t["Staff"],
        Roles.Analyst => t["Analyst"],
        _ => role,
    };

    public static string Initial(string email) =>
        email.Length == 0 ? "?" : email[..1].ToUpperInvariant();
}
