namespace Pond.Analytics;

/// <summary>The figures the refresher keeps per day in insight_daily (docs/insight.md lists what each counts).</summary>
public static class InsightMetrics
{
    /// <summary>Live-code landing visits (one per visitor, code and day): inflow traffic.</summary>
    public const string Visits = "visits";

    /// <summary>Referral landing visits (one per visitor, sharer and day): fission traffic.</summary>
    public const string FissionVisits = "fission_visits";

    /// <summary>Relationships started (a friend added, a group joined, an account followed).</summary>
    public const string Adds = "adds";

    /// <summary>Relationships ended (deleted, left the group, unfollowed, or the account was lost).</summary>
    public const string Deletions = "deletions";

    /// <summary>Customers who came into the pool (their first live relationship) and who left it (their last one ended).</summary>
    public const string PoolIn = "pool_in";

    public const string PoolOut = "pool_out";

    /// <summary>Customers in the pool by depth at the end of the day, snapshotted while the day is today.</summary>
    public const string Pool = "pool";

    /// <summary>Private-domain orders and their GMV (paid less refunded, fen), by the day they were placed.</summary>
    public const string Orders = "orders";

    public const string Gmv = "gmv";

    /// <summary>A customer's first private-domain order, and every later one.</summary>
    public const string FirstOrders = "first_orders";

    public const string RepeatOrders = "repeat_orders";

    /// <summary>First orders by whole days since the customer joined the pool (dim lag, key the days, capped).</summary>
    public const string FirstOrderLag = "first_order_lag";

    /// <summary>
    /// Of the day's adds, those not ended within 7 (30) days of the add, kept on the add's day. Only days at least
    /// 7 (30) days old are mature; the reader counts those alone.
    /// </summary>
    public const string Kept7 = "kept7";

    public const string Kept30 = "kept30";

    /// <summary>Live relationships per staff member (and in all), snapshotted with the pool.</summary>
    public const string Held = "held";

    /// <summary>Channel spend (fen) by the day it was booked on.</summary>
    public const string Spend = "spend";

    /// <summary>Staff tasks marked done.</summary>
    public const string TasksDone = "tasks_done";

    /// <summary>Longest lag kept apart; later first orders are counted under this many days.</summary>
    public const int MaxLagDays = 365;
}

/// <summary>The breakdowns a daily figure is kept under; <see cref="Total"/> is the workspace as a whole.</summary>
public static class InsightDims
{
    public const string Total = "";
    public const string Channel = "channel";
    public const string Code = "code";
    public const string Staff = "staff";
    public const string CarrierKind = "kind";
    public const string Depth = "depth";
    public const string Campaign = "campaign";
    public const string FirstChannel = "first_channel";
    public const string LastChannel = "last_channel";
    public const string Lag = "lag";

    /// <summary>Adds and deletions by channel and carrier kind together (key "channelId|kind"): the funnel's group joins per channel.</summary>
    public const string ChannelKind = "channel_kind";
}

/// <summary>What insight_cohort_days counts per cohort (the yyyymm a customer first joined the pool) and day.</summary>
public static class CohortMetrics
{
    public const string Joined = "joined";
    public const string Left = "left";
    public const string Orders = "orders";
    public const string Gmv = "gmv";
    public const string FirstBuyers = "first_buyers";

    /// <summary>Customers whose second order fell on the day: cumulated, the share of the cohort that bought again.</summary>
    public const string Repeaters = "repeaters";
}
