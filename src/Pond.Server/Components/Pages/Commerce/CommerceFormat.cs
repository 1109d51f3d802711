using System.Globalization;
using Pond.Commerce;
using Pond.Server.Localization;

namespace Pond.Server.Components.Pages.Commerce;

/// <summary>How the commerce pages write money, shares and the names of sales channels and order states.</summary>
internal static class CommerceFormat
{
    public static string Yuan(decimal value) => "¥" + value.ToString("N2", CultureInfo.InvariantCulture);

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Share(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    public static string SalesChannel(Text t, string channel) => channel switch
    {
        SalesChannels.MiniProgram => t["Mini-program"],
        SalesChannels.H5Mall => t["H5 mall"],
        SalesChannels.Tmall => t["Tmall"],
        SalesChannels.Jd => t["JD"],
        SalesChannels.Douyin => t["Douyin"],
        SalesChannels.Store => t["Store"],
        _ => t["Other"],
    };

    public static string OrderStatus(Text t, string status) => status switch
    {
        OrderStatuses.Completed => t["Completed"],
        OrderStatuses.PartiallyRefunded => t["Partly refunded"],
        OrderStatuses.Refunded => t["Refunded"],
        _ => status,
    };

    public static string OrderStatusBadge(string status) => status switch
    {
        OrderStatuses.Completed => "badge badge-ok",
        OrderStatuses.PartiallyRefunded => "badge badge-warn",
        _ => "badge badge-danger",
    };

    public static string Source(Text t, string source) => source switch
    {
        OrderSources.Api => t["API"],
        OrderSources.Event => t["Tracked event"],
        OrderSources.Import => t["CSV import"],
        OrderSources.FlashSale => t["Flash sale"],
        OrderSources.GroupBuy => t["Group buy"],
        OrderSources.Bargain => t["Bargain"],
        _ => source,
    };

    /// <summary>The period picker's choices, in days.</summary>
    public static readonly int[] Periods = [7, 30, 90, 365];

    public static int Period(int? days) => days is { } d && Array.IndexOf(Periods, d) >= 0 ? d : 30;
}
