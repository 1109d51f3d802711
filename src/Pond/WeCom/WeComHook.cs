using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.Logging;
using Pond.Customers;
using Pond.Ingestion;
using Pond.Staff;
using Pond.Storage;

namespace Pond.WeCom;

/// <summary>The signature query parameters WeCom adds to every callback request.</summary>
public sealed record CallbackQuery(string? MsgSignature, string? Timestamp, string? Nonce);

/// <summary>
/// The WeCom callback endpoint's work: check the signature, decrypt, and turn each event into Pond events written to
/// the event log (durable before WeCom is answered). Each event's message id is a hash of the decrypted callback,
/// so a callback WeCom repeats (it retries for up to three times when not answered in 5 s) is stored once and
/// applied once. Group lifecycle events (create, dismiss) are applied directly.
/// </summary>
internal sealed class WeComHook(
    WeComConnections connections, EventLogWriter log, Database database, StaffHandover handover, TimeProvider clock, ILogger<WeComHook> logger)
{
    /// <summary>URL verification: WeCom sends an encrypted echostr and expects its plaintext back.</summary>
    public async Task<string> VerifyUrlAsync(Guid workspaceId, CallbackQuery query, string? echo)
    {
        var crypto = await CryptoAsync(workspaceId);
        if (string.IsNullOrEmpty(echo))
            throw new CallbackRejectedException("echostr is missing.");
        Authenticate(crypto, query, echo);
        return crypto.Decrypt(echo);
    }

    /// <summary>Verifies, decrypts and records one callback; returns the Pond events it produced (0 for a repeat or an event Pond ignores).</summary>
    public async Task<int> ReceiveAsync(Guid workspaceId, CallbackQuery query, string body)
    {
        var crypto = await CryptoAsync(workspaceId);
        var envelope = WeComCallback.ParseEnvelope(body);
        Authenticate(crypto, query, envelope.Encrypt);
        var xml = crypto.Decrypt(envelope.Encrypt);
        var callback = WeComCallback.ParseEvent(xml);
        var key = "wecom:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(xml)))[..32];
        var now = clock.GetUtcNow();

        var events = new List<EventRecord>();
        switch (callback.Event, callback.ChangeType)
        {
            case ("change_external_contact", "add_external_contact" or "add_half_external_contact"):
                events.Add(Started(workspaceId, key, callback, now));
                break;
            case ("change_external_contact", "del_external_contact"):
                events.Add(Ended(workspaceId, key, callback, CarrierKinds.WecomAccount, callback.UserId, callback.ExternalUserId, EndedBy.Staff, now));
                break;
            case ("change_external_contact", "del_follow_user"):
                events.Add(Ended(workspaceId, key, callback, CarrierKinds.WecomAccount, callback.UserId, callback.ExternalUserId, EndedBy.Customer, now));
                break;
            case ("change_external_contact", "edit_external_contact"):
                events.Add(Track(workspaceId, key, callback, "WeCom Contact Edited", Required(callback.ExternalUserId, "ExternalUserID"), new JsonObject { ["staff_userid"] = callback.UserId }, now));
                break;
            case ("change_external_contact", "transfer_fail"):
                if (callback.UserId is { } from && callback.ExternalUserId is { } external)
                {
                    // The handover's transfer fails at once (it is the handover's own record); the timeline keeps the event too.
                    await handover.TransferFailedAsync(workspaceId, from, external, callback.FailReason ?? "unknown", callback.CreatedAt);
                    events.Add(Track(workspaceId, key, callback, "Transfer Failed", external,
                        new JsonObject { ["staff_userid"] = from, ["fail_reason"] = callback.FailReason }, now));
                }

                break;
            case ("change_external_chat", _):
                events.AddRange(await GroupAsync(workspaceId, key, callback, now));
                break;
        }

        await log.AppendAsync(events);
        return events.Count;
    }

    private async Task<WeComCrypto> CryptoAsync(Guid workspaceId) =>
        (await connections.GetAsync(workspaceId))?.Crypto()
        ?? throw new NotFoundException("WeCom is not connected for this workspace: set the corp id, Token and EncodingAESKey under Settings → WeCom first.");

    private static void Authenticate(WeComCrypto crypto, CallbackQuery query, string encrypted)
    {
        if (string.IsNullOrEmpty(query.MsgSignature) || string.IsNullOrEmpty(query.Timestamp) || string.IsNullOrEmpty(query.Nonce))
            throw new CallbackSignatureException("msg_signature, timestamp and nonce are required.");
        if (!crypto.Verify(query.MsgSignature, query.Timestamp, query.Nonce, encrypted))
            throw new CallbackSignatureException("The msg_signature does not match: check the Token configured in WeCom.");
    }

    private static EventRecord Started(Guid workspaceId, string key, WeComEvent callback, DateTimeOffset now)
    {
        var properties = new JsonObject
        {
            ["carrier_kind"] = CarrierKinds.WecomAccount,
            ["carrier_id"] = Required(callback.UserId, "UserID"),
            ["external_userid"] = callback.ExternalUserId,
            ["state"] = string.IsNullOrEmpty(callback.State) ? null : callback.State,
            ["welcome_code"] = string.IsNullOrEmpty(callback.WelcomeCode) ? null : callback.WelcomeCode,
            ["half"] = callback.ChangeType == "add_half_external_contact" ? true : null,
        };
        return Track(workspaceId, key, callback, TrackedEvents.RelationshipStarted, Required(callback.ExternalUserId, "ExternalUserID"), properties, now);
    }

    private static EventRecord Ended(Guid workspaceId, string key, WeComEvent callback, string kind, string? carrier, string? externalUserId, string endedBy, DateTimeOffset now) =>
        Track(workspaceId, key, callback, TrackedEvents.RelationshipEnded, Required(externalUserId, "ExternalUserID"),
            new JsonObject { ["carrier_kind"] = kind, ["carrier_id"] = Required(carrier, kind == CarrierKinds.GroupChat ? "ChatId" : "UserID"), ["ended_by"] = endedBy }, now);

    private static string Required(string? value, string element) =>
        string.IsNullOrEmpty(value) ? throw new CallbackRejectedException($"The event has no <{element}>.") : value;

    /// <summary>A Segment-shaped track message about the external contact, validated like any tracking-API message.</summary>
    private static EventRecord Track(Guid workspaceId, string messageId, WeComEvent callback, string name, string externalUserId, JsonObject properties, DateTimeOffset now)
    {
        properties["source"] = "wecom";
        // WeCom's CreateTime is when it happened; a callback claiming the future is clamped like any skewed client.
        var occurredAt = callback.CreatedAt.ToUnixTimeSeconds() == 0 || callback.CreatedAt > now ? now : callback.CreatedAt;
        var message = new JsonObject
        {
            ["type"] = "track",
            ["event"] = name,
            ["messageId"] = messageId,
            ["timestamp"] = occurredAt.ToString("O"),
            ["context"] = new JsonObject { ["traits"] = new JsonObject { ["wecom_external_userid"] = externalUserId } },
            ["properties"] = properties,
        };
        return new EventRecord(workspaceId, messageId, "track", now, occurredAt, message.ToJsonString());
    }

    /// <summary>
    /// Group chats: create registers the group as a carrier, dismiss retires it (its members' relationships end),
    /// add_member / del_member become relationship events for each external member (staff members are skipped).
    /// </summary>
    private async Task<List<EventRecord>> GroupAsync(Guid workspaceId, string key, WeComEvent callback, DateTimeOffset now)
    {
        var chatId = Required(callback.ChatId, "ChatId");
        var states = callback is { ChangeType: "update", UpdateDetail: "add_member" } ? await JoinStatesAsync(workspaceId, chatId) : null;
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO carriers (id, workspace_id, kind, name, external_id, status, created_at, updated_at)
            VALUES (@id, @workspaceId, 'group_chat', @chatId, @chatId, 'active', @now, @now) ON CONFLICT DO NOTHING
            """, new { id = Guid.CreateVersion7(), workspaceId, chatId, now }, transaction);
        var events = new List<EventRecord>();
        if (callback.ChangeType == "dismiss")
        {
            var carrierId = await connection.ExecuteScalarAsync<Guid>(
                "SELECT id FROM carriers WHERE workspace_id = @workspaceId AND kind = 'group_chat' AND external_id = @chatId", new { workspaceId, chatId }, transaction);
            await connection.ExecuteAsync("UPDATE carriers SET status = 'disabled', updated_at = @now WHERE id = @carrierId", new { carrierId, now }, transaction);
            var members = (await connection.QueryAsync<Guid>(
                "SELECT customer_id FROM relationships WHERE carrier_id = @carrierId AND state = 'active'", new { carrierId }, transaction)).AsList();
            await connection.ExecuteAsync(
                "UPDATE relationships SET state = 'ended', ended_at = @at, ended_by = 'system' WHERE carrier_id = @carrierId AND state = 'active'",
                new { carrierId, at = callback.CreatedAt }, transaction);
            var acquiredAt = await connection.QueryAsync<DateTimeOffset>(
                "UPDATE acquisitions SET ended_at = @at, ended_by = 'system' WHERE carrier_id = @carrierId AND ended_at IS NULL RETURNING acquired_at",
                new { carrierId, at = callback.CreatedAt }, transaction);
            await Analytics.InsightDirty.MarkAsync(connection, transaction, acquiredAt.Select(at => (workspaceId, at)).Append((workspaceId, callback.CreatedAt)), now);
            foreach (var customerId in members)
            {
                await connection.ExecuteAsync("UPDATE customers SET depth = @depth, updated_at = @now WHERE id = @customerId",
                    new { depth = (short)await IdentityResolver.DepthAsync(connection, transaction, customerId), customerId, now }, transaction);
            }
        }
        else if (callback is { ChangeType: "update", UpdateDetail: "add_member" or "del_member" })
        {
            var staff = (await connection.QueryAsync<string>(
                "SELECT wecom_user_id FROM staff WHERE workspace_id = @workspaceId AND wecom_user_id IS NOT NULL", new { workspaceId }, transaction)).ToHashSet();
            foreach (var member in callback.MemberChangeList.Where(m => !staff.Contains(m)))
            {
                var id = $"{key}:{member}";
                events.Add(callback.UpdateDetail == "add_member"
                    ? Track(workspaceId, id, callback, TrackedEvents.RelationshipStarted, member,
                        new JsonObject
                        {
                            ["carrier_kind"] = CarrierKinds.GroupChat, ["carrier_id"] = chatId, ["join_scene"] = callback.JoinScene,
                            // The join way's state, read from the group's member list: a referral participant's 'pr_' code is the
                            // invitation's state; any other join way's is kept for the timeline only, so the join is still
                            // credited to the group live code the group belongs to.
                            ["state"] = states?.GetValueOrDefault(member) is { } s && Fission.ReferralCodes.CodeOf(s) is not null ? s : null,
                            ["join_state"] = states?.GetValueOrDefault(member) is { } j && Fission.ReferralCodes.CodeOf(j) is null ? j : null,
                        }, now)
                    // QuitScene 0: the member left; 1: the group owner removed them.
                    : Ended(workspaceId, id, callback, CarrierKinds.GroupChat, chatId, member, callback.QuitScene == 1 ? EndedBy.Staff : EndedBy.Customer, now));
            }
        }

        await transaction.CommitAsync();
        return events;
    }

    /// <summary>
    /// WeCom's add_member callback carries no state, but the group's member list does (the state of the join way each
    /// member came through). Read it when Pond may call WeCom; without it, or when WeCom fails, the joins count without a
    /// state (a plain group join), and the callback is still answered.
    /// </summary>
    private async Task<Dictionary<string, string>?> JoinStatesAsync(Guid workspaceId, string chatId)
    {
        if (await connections.GetAsync(workspaceId) is not { } connection || connections.ClientFor(connection) is not { } client)
            return null;
        try
        {
            var chat = await client.GetGroupChatAsync(chatId);
            return chat.Members.Where(m => m.State is not null).GroupBy(m => m.UserId).ToDictionary(g => g.Key, g => g.First().State!);
        }
        catch (Exception e) when (e is WeComApiException or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            logger.LogWarning(e, "Could not read the members of group {ChatId} from WeCom; its new members are recorded without a join state", chatId);
            return null;
        }
    }
}
