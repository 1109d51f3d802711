using System.Globalization;
using Pond.Server.Localization;
using Pond.Staff;

namespace Pond.Server.Components.Pages.Staff;

/// <summary>How handover values read in the console: translated kinds, statuses and WeCom's failure reasons.</summary>
internal static class HandoverDisplay
{
    public static string Kind(Text t, string kind) => kind switch
    {
        HandoverKinds.InService => t["In-service handover"],
        HandoverKinds.Resigned => t["Resigned handover"],
        _ => kind,
    };

    public static string Status(Text t, string status) => status switch
    {
        TransferStatuses.Waiting => t["Waiting for takeover"],
        TransferStatuses.Transferred => t["Taken over"],
        TransferStatuses.Failed => t["Failed"],
        _ => status,
    };

    public static string Badge(string status) => status switch
    {
        TransferStatuses.Transferred => "badge badge-ok",
        TransferStatuses.Waiting => "badge badge-warn",
        _ => "badge badge-danger",
    };

    /// <summary>The service stores reasons in English; the known ones are translated, WeCom's error codes keep their number.</summary>
    public static string Reason(Text t, string? reason)
    {
        const string errcode = "WeCom errcode ";
        return reason switch
        {
            null => "",
            "customer refused" => t["The customer refused"],
            "takeover staff reached the customer limit" => t["The takeover staff member reached WeCom's customer limit"],
            "no transfer record" => t["WeCom has no record of this transfer"],
            "WeCom could not be reached" => t["WeCom could not be reached"],
            _ when reason.StartsWith(errcode, StringComparison.Ordinal)
                && int.TryParse(reason.AsSpan(errcode.Length), NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) => t["WeCom error {0}", code],
            _ => reason,
        };
    }
}
