using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;
using Pond.Storage;

namespace Pond.Messaging;

/// <summary>Why a message was not sent, or why it waits: stable codes the API returns and the console translates.</summary>
public static class OutboxReasons
{
    public const string OptedOut = "opted_out";
    public const string DailyCap = "frequency_cap_daily";
    public const string WeeklyCap = "frequency_cap_weekly";
    public const string NoAddress = "no_address";
    public const string NoCustomer = "no_customer";
    public const string QuietHours = "quiet_hours";
    public const string RateLimited = "rate_limited";
    public const string NotConfigured = "channel_not_configured";

    /// <summary>The English sentence for a code (the console translates it); anything else (a provider's error) as it is.</summary>
    public static string? Describe(string? reason) => reason switch
    {
        OptedOut => "The customer opted out of marketing.",
        DailyCap => "Over the daily frequency cap for marketing messages.",
        WeeklyCap => "Over the weekly frequency cap for marketing messages.",
        NoAddress => "The customer has no address on this channel.",
        NoCustomer => "The customer no longer exists.",
        QuietHours => "Waits for quiet hours to end.",
        RateLimited => "Waits for the channel's rate limit.",
        NotConfigured => "The channel is not configured, so Pond cannot send it; the message is kept here.",
        _ => reason,
    };
}

/// <summary>Quiet hours: pure time arithmetic in the customer's zone.</summary>
internal static class QuietHours
{
    /// <summary>The customer's zone: the trait timezone if it is a valid IANA zone, else the workspace's.</summary>
    public static TimeZoneInfo Zone(string? trait, string? workspaceZone)
    {
        foreach (var id in new[] { trait, workspaceZone, "Asia/Shanghai" })
        {
            if (!string.IsNullOrWhiteSpace(id) && TimeZoneInfo.TryFindSystemTimeZoneById(id.Trim(), out var zone))
                return zone;
        }

        return TimeZoneInfo.Utc;
    }

    /// <summary>When quiet hours end if <paramref name="at"/> falls inside them, else null. start/end are minutes after local midnight; start &gt; end wraps midnight.</summary>
    public static DateTimeOffset? EndIfQuiet(DateTimeOffset at, TimeZoneInfo zone, int startMinute, int endMinute)
    {
        var local = TimeZoneInfo.ConvertTime(at, zone);
        var minute = local.Hour * 60 + local.Minute;
        var quiet = startMinute < endMinute ? minute >= startMinute && minute < endMinute : minute >= startMinute || minute < endMinute;
        if (!quiet)
            return null;
        var endDay = local.Date;
        if (minute >= endMinute)
            endDay = endDay.AddDays(1);
        var endLocal = endDay.AddMinutes(endMinute);
        return new DateTimeOffset(endLocal, zone.GetUtcOffset(endLocal));
    }

    /// <summary>The frequency-cap buckets of a moment: its calendar day and ISO week in the customer's zone.</summary>
    public static (string Day, string Week) Buckets(DateTimeOffset at, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(at, zone).DateTime;
        return ($"d:{local:yyyy-MM-dd}", string.Create(CultureInfo.InvariantCulture, $"w:{ISOWeek.GetYear(local)}-W{ISOWeek.GetWeekOfYear(local):00}"));
    }
}

/// <summary>
/// The frequency cap and the rate limits as conditional upserts: a counter row is raised only while it is under its
/// limit, so dispatchers racing on several nodes (PostgreSQL row locks, SQLite's single writer) can never exceed it.
/// </summary>
internal static class RespectCounters
{
    /// <summary>Reserves a place in the customer's day and week; returns the reason when a cap is reached (nothing is reserved then).</summary>
    public static async Task<string?> ReserveCapAsync(Database database, Guid workspaceId, Guid customerId, (string Day, string Week) buckets, int dailyCap, int weeklyCap)
    {
        if (dailyCap <= 0)
            return OutboxReasons.DailyCap;
        if (weeklyCap <= 0)
            return OutboxReasons.WeeklyCap;
        await using var connection = await database.OpenAsync();
        await using var transaction = await BeginAsync(connection);
        if (!await RaiseAsync(connection, transaction, workspaceId, customerId, buckets.Day, dailyCap))
        {
            await transaction.RollbackAsync();
            return OutboxReasons.DailyCap;
        }

        if (!await RaiseAsync(connection, transaction, workspaceId, customerId, buckets.Week, weeklyCap))
        {
            await transaction.RollbackAsync();
            return OutboxReasons.WeeklyCap;
        }

        await transaction.CommitAsync();
        return null;
    }

    /// <summary>Gives back the places a message reserved (it failed for good, so it reached nobody).</summary>
    public static async Task ReleaseCapAsync(DbConnection connection, Guid workspaceId, Guid customerId, string buckets)
    {
        foreach (var bucket in buckets.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            await connection.ExecuteAsync(
                "UPDATE message_cap_counts SET count = count - 1 WHERE workspace_id = @workspaceId AND customer_id = @customerId AND bucket = @bucket AND count > 0",
                new { workspaceId, customerId, bucket });
        }
    }

    private static async Task<bool> RaiseAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, Guid customerId, string bucket, int cap) =>
        await connection.ExecuteAsync(
            """
            INSERT INTO message_cap_counts (workspace_id, customer_id, bucket, count) VALUES (@workspaceId, @customerId, @bucket, 1)
            ON CONFLICT (workspace_id, customer_id, bucket) DO UPDATE SET count = message_cap_counts.count + 1 WHERE message_cap_counts.count < @cap
            """, new { workspaceId, customerId, bucket, cap }, transaction) == 1;

    /// <summary>Takes one send from the channel's budget for this minute; false when the minute's budget is spent.</summary>
    public static async Task<bool> TakeRateAsync(Database database, Guid workspaceId, string channel, long minute, int limit)
    {
        await using var connection = await database.OpenAsync();
        return await connection.ExecuteAsync(
            """
            INSERT INTO message_rate_counts (workspace_id, channel, minute, count) VALUES (@workspaceId, @channel, @minute, 1)
            ON CONFLICT (workspace_id, channel, minute) DO UPDATE SET count = message_rate_counts.count + 1 WHERE message_rate_counts.count < @limit
            """, new { workspaceId, channel, minute, limit }) == 1;
    }

    private static async Task<DbTransaction> BeginAsync(DbConnection connection) =>
        connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : await connection.BeginTransactionAsync();
}

/// <summary>Signed unsubscribe tokens: customer and workspace ids with an HMAC-SHA256 under the workspace's unsubscribe key.</summary>
internal static class UnsubscribeTokens
{
    public static string Create(Guid workspaceId, Guid customerId, string key)
    {
        var body = $"{workspaceId:N}{customerId:N}";
        return $"{body}{Mac(body, key)}";
    }

    /// <summary>The ids in a well-formed token (whose signature the caller must still check with <see cref="Verify"/>).</summary>
    public static (Guid WorkspaceId, Guid CustomerId)? Read(string token) =>
        token.Length == 64 + 32 && Guid.TryParseExact(token[..32], "N", out var ws) && Guid.TryParseExact(token[32..64], "N", out var customer)
            ? (ws, customer) : null;

    public static bool Verify(string token, string key) =>
        token.Length == 96 && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Mac(token[..64], key)), Encoding.ASCII.GetBytes(token[64..]));

    private static string Mac(string body, string key) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromBase64String(key), Encoding.ASCII.GetBytes(body)))[..32];
}
