using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Pond.Commerce.Coupons;
using Pond.Loyalty;

namespace Pond.Fission.Assists;

/// <summary>What an assist completion or a lottery prize gives: a coupon, points or a gift the brand hands out.</summary>
public static class GameRewardKinds
{
    public const string Coupon = "coupon";
    public const string Points = "points";
    public const string Gift = "gift";

    public static readonly IReadOnlyList<string> All = [Coupon, Points, Gift];
}

/// <summary>A reward as the API spells it: kind plus the one field that kind needs.</summary>
public sealed class GameRewardInput
{
    public string? Kind { get; init; }
    public Guid? TemplateId { get; init; }
    public long? Points { get; init; }
    public string? Gift { get; init; }
}

/// <summary>A checked reward.</summary>
public sealed record GameReward(string Kind, Guid? TemplateId, long? Points, string? Gift)
{
    public string Describe() => Kind switch
    {
        GameRewardKinds.Coupon => $"coupon {TemplateId}",
        GameRewardKinds.Points => $"{Points} points",
        _ => Gift ?? "",
    };
}

/// <summary>What delivering a reward produced: the coupon id, the points ledger entry, or the gift's name.</summary>
internal sealed record GameRewardIssued(Guid? CouponId, Guid? PointsEntryId, string Reference);

/// <summary>Checks and delivers the rewards of assists and lotteries; refusals throw before anything is written.</summary>
internal sealed class GameRewards(PointsBook points)
{
    public static async Task<GameReward> CheckAsync(DbConnection connection, Guid workspaceId, GameRewardInput? input, string field)
    {
        if (input is null)
            throw new ValidationFailedException($"{field} is required: {{kind: coupon|points|gift, templateId | points | gift}}.", field);
        var kind = input.Kind?.Trim().ToLowerInvariant();
        switch (kind)
        {
            case GameRewardKinds.Coupon:
                if (input.TemplateId is not { } templateId || templateId == Guid.Empty)
                    throw new ValidationFailedException($"{field}.templateId is required for a coupon reward.", $"{field}.templateId");
                var known = await connection.ExecuteScalarAsync<int>(
                    "SELECT COUNT(*) FROM coupon_templates WHERE id = @templateId AND workspace_id = @workspaceId", new { templateId, workspaceId });
                return known > 0 ? new GameReward(kind, templateId, null, null)
                    : throw new ValidationFailedException($"{field}.templateId: no coupon template {templateId} in this workspace.", $"{field}.templateId");
            case GameRewardKinds.Points:
                return input.Points is >= 1 and <= 1_000_000 ? new GameReward(kind, null, input.Points, null)
                    : throw new ValidationFailedException($"{field}.points must be between 1 and 1,000,000.", $"{field}.points");
            case GameRewardKinds.Gift:
                var gift = input.Gift?.Trim();
                return gift is { Length: >= 1 and <= 100 } ? new GameReward(kind, null, null, gift)
                    : throw new ValidationFailedException($"{field}.gift must name the gift (1 to 100 characters).", $"{field}.gift");
            default:
                throw new ValidationFailedException($"{field}.kind must be coupon, points or gift.", $"{field}.kind");
        }
    }

    /// <summary>
    /// Delivers a reward inside the caller's transaction, keyed so it happens once: a coupon (source referral), points
    /// on the ledger (source referral), or a gift (recorded by name for the brand to send). Throws
    /// ConflictException / NotFoundException when the coupon template refuses; nothing is written then.
    /// </summary>
    public async Task<GameRewardIssued> IssueAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset now, Guid workspaceId, Guid customerId,
        GameReward reward, string key, string reason)
    {
        switch (reward.Kind)
        {
            case GameRewardKinds.Coupon:
                var issue = await CouponIssuer.IssueInCoreAsync(connection, transaction, now, workspaceId, reward.TemplateId!.Value, customerId, CouponSources.Referral, key);
                return new GameRewardIssued(issue.Coupon.Id, null, issue.Coupon.Id.ToString());
            case GameRewardKinds.Points:
                var rules = await LoyaltySettingsStore.GetAsync(connection, transaction, workspaceId);
                var zone = await LoyaltyDb.ZoneAsync(connection, transaction, workspaceId);
                var result = await points.CreditAsync(connection, transaction, workspaceId, customerId,
                    new PointsBook.Credit(reward.Points!.Value, PointsKinds.Earn, reason, PointsSources.Referral, key, key, now, rules.ExpiresAt(now, zone), null), now);
                return new GameRewardIssued(null, result.Entry.Id, result.Entry.Id.ToString());
            default:
                return new GameRewardIssued(null, null, reward.Gift!);
        }
    }
}

/// <summary>Rules shared by assists, bargains and lotteries: share codes, audience, new helpers, the helper's daily cap.</summary>
internal static class GameRules
{
    private const string CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

    public static string NewCode()
    {
        Span<char> code = stackalloc char[10];
        for (var i = 0; i < code.Length; i++)
            code[i] = CodeAlphabet[RandomNumberGenerator.GetInt32(CodeAlphabet.Length)];
        return new string(code);
    }

    public static string NormalizeCode(string code) => code.Trim().ToUpperInvariant();

    public static async Task<bool> InSegmentAsync(DbConnection connection, Guid segmentId, Guid customerId) =>
        await connection.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM segment_members WHERE segment_id = @segmentId AND customer_id = @customerId", new { segmentId, customerId }) > 0;

    /// <summary>A new customer: first known to Pond at or after <paramref name="since"/> (the request or session was opened).</summary>
    public static async Task<bool> IsNewAsync(DbConnection connection, Guid customerId, DateTimeOffset since) =>
        await connection.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM customers WHERE id = @customerId AND created_at >= @since", new { customerId, since }) > 0;

    /// <summary>
    /// Counts one help for the helper on their local day, unless they already gave <paramref name="cap"/> that day in this
    /// activity: the upsert raises the count only while it is below the cap, so racing helps cannot pass it.
    /// </summary>
    public static async Task<bool> TakeDailyHelpAsync(DbConnection connection, DbTransaction transaction, Guid activityId, Guid helper, int day, int cap) =>
        await connection.QuerySingleOrDefaultAsync<int?>(
            """
            INSERT INTO game_helper_days (activity_id, helper_customer_id, day, helps) VALUES (@activityId, @helper, @day, 1)
            ON CONFLICT (activity_id, helper_customer_id, day) DO UPDATE SET helps = game_helper_days.helps + 1 WHERE game_helper_days.helps < @cap
            RETURNING helps
            """, new { activityId, helper, day, cap }, transaction) is not null;

    /// <summary>"王小明" → "王*", for winners lists shown to customers.</summary>
    public static string Mask(string? name)
    {
        var text = name?.Trim();
        if (string.IsNullOrEmpty(text))
            return "*";
        return text.Length <= 2 ? $"{text[0]}*" : $"{text[0]}*{text[^1]}";
    }
}
