using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pond.Customers;

namespace Pond.Ingestion;

/// <summary>One validated message, shaped for the event log.</summary>
public sealed record EventRecord(Guid WorkspaceId, string MessageId, string Type, DateTimeOffset ReceivedAt, DateTimeOffset OccurredAt, string Payload);

/// <summary>
/// Reads Segment HTTP Tracking API bodies. Validation is all-or-nothing: a batch with one bad message
/// is rejected whole, so a client can fix it and resend without worrying about half-stored batches.
/// </summary>
public static class SegmentMessages
{
    public const int MaxMessageBytes = 32 * 1024;
    public const int MaxBatchBytes = 500 * 1024;

    public static readonly IReadOnlyList<string> Types = ["identify", "track", "page", "screen", "group", "alias"];

    private const string RejectedWhole = " The batch was rejected whole and nothing was stored; fix it and resend.";

    /// <summary>Parses a single-message body (/v1/identify, /v1/track…). <paramref name="type"/> is the endpoint's type.</summary>
    public static EventRecord ParseSingle(ReadOnlyMemory<byte> body, string type, Guid workspaceId, DateTimeOffset receivedAt)
    {
        if (body.Length > MaxMessageBytes)
            throw new ValidationFailedException($"The message is {body.Length} bytes; a message may be at most 32 KB ({MaxMessageBytes} bytes).");
        using var document = Parse(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new ValidationFailedException("The body must be a JSON object (one Segment message).");
        return Shape(root, type, workspaceId, receivedAt, batchSentAt: null, where: "message", suffix: "");
    }

    /// <summary>Parses a /v1/batch body: {"batch": [...], "sentAt": ...}.</summary>
    public static List<EventRecord> ParseBatch(ReadOnlyMemory<byte> body, Guid workspaceId, DateTimeOffset receivedAt)
    {
        if (body.Length > MaxBatchBytes)
            throw new ValidationFailedException($"The batch is {body.Length} bytes; a batch may be at most 500 KB ({MaxBatchBytes} bytes). Split it into smaller batches.");
        using var document = Parse(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new ValidationFailedException("The body must be a JSON object: {\"batch\": [ ...messages ]}.");
        if (!root.TryGetProperty("batch", out var batch) || batch.ValueKind != JsonValueKind.Array)
            throw new ValidationFailedException("The body needs a \"batch\" array of messages.", "batch");
        DateTimeOffset? sentAt = root.TryGetProperty("sentAt", out var s) ? ReadTime(s, "sentAt", "batch") : null;

        var records = new List<EventRecord>(batch.GetArrayLength());
        var index = 0;
        foreach (var message in batch.EnumerateArray())
        {
            var where = $"batch[{index}]";
            if (message.ValueKind != JsonValueKind.Object)
                throw new ValidationFailedException($"{where}: a message must be a JSON object.{RejectedWhole}", where);
            var size = JsonMarshal.GetRawUtf8Value(message).Length;
            if (size > MaxMessageBytes)
                throw new ValidationFailedException($"{where}: the message is {size} bytes; a message may be at most 32 KB ({MaxMessageBytes} bytes).{RejectedWhole}", where);
            var type = message.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            records.Add(Shape(message, type, workspaceId, receivedAt, sentAt, where, RejectedWhole));
            index++;
        }

        return records;
    }

    /// <summary>The write key analytics.js puts in the body when it sends no Authorization header.</summary>
    public static string? WriteKeyOf(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isKey = reader.ValueTextEquals("writeKey"u8);
                reader.Read();
                if (isKey)
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Malformed bodies are reported by the parser with a better message.
        }

        return null;
    }

    private static JsonDocument Parse(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new ValidationFailedException($"The body is not valid JSON: {e.Message}");
        }
    }

    private static EventRecord Shape(JsonElement message, string type, Guid workspaceId, DateTimeOffset receivedAt, DateTimeOffset? batchSentAt, string where, string suffix)
    {
        [DoesNotReturn]
        void Fail(string what) => throw new ValidationFailedException($"{where}: {what}{suffix}", where);

        if (!Types.Contains(type))
            Fail(type.Length == 0 ? "type is required (identify, track, page, screen, group or alias)." : $"type '{type}' is not one of identify, track, page, screen, group, alias.");
        var userId = ReadId(message, "userId", where);
        var anonymousId = ReadId(message, "anonymousId", where);
        if (userId is null && anonymousId is null)
            Fail("userId or anonymousId is required.");

        switch (type)
        {
            case "track":
                if (ReadString(message, "event") is not { Length: > 0 })
                    Fail("track needs an \"event\" name.");
                ValidateRelationshipEvent(message, where, suffix);
                break;
            case "group" when ReadId(message, "groupId", where) is null:
                Fail("group needs a \"groupId\".");
                break;
            case "alias":
                if (ReadId(message, "previousId", where) is null)
                    Fail("alias needs a \"previousId\".");
                if (userId is null)
                    Fail("alias needs a \"userId\".");
                break;
        }

        foreach (var objectField in (ReadOnlySpan<string>)["traits", "properties", "context", "integrations"])
        {
            if (message.TryGetProperty(objectField, out var value) && value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
                Fail($"{objectField} must be a JSON object.");
        }

        var messageId = ReadId(message, "messageId", where);
        if (messageId is { Length: > 200 })
            Fail("messageId is longer than 200 characters.");
        // Segment fills in a missing messageId; such a message cannot be deduplicated on resend.
        messageId ??= $"pond-{Guid.CreateVersion7():N}";

        var occurredAt = ReadTimeProperty(message, "timestamp", where) ?? Corrected(message, where, receivedAt, batchSentAt);

        // The payload keeps the message as sent (minus a body write key) so nothing an SDK sent is lost.
        string payload;
        if (message.TryGetProperty("writeKey", out _) || !message.TryGetProperty("type", out _))
        {
            var node = JsonNode.Parse(message.GetRawText())!.AsObject();
            node.Remove("writeKey");
            node["type"] = type;
            payload = node.ToJsonString(IdentityResolver.StoredJson);
        }
        else
        {
            payload = Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8Value(message));
        }

        return new EventRecord(workspaceId, messageId, type, receivedAt, occurredAt, payload);
    }

    // Segment's clock-skew correction: the device's clock may be wrong, but the gap between when the
    // event happened and when the request was sent (both on the device's clock) is right.
    private static DateTimeOffset Corrected(JsonElement message, string where, DateTimeOffset receivedAt, DateTimeOffset? batchSentAt)
    {
        var original = ReadTimeProperty(message, "originalTimestamp", where);
        var sentAt = ReadTimeProperty(message, "sentAt", where) ?? batchSentAt;
        if (original is { } o && sentAt is { } s)
            return receivedAt - (s - o);
        return original ?? receivedAt;
    }

    private static void ValidateRelationshipEvent(JsonElement message, string where, string suffix)
    {
        var name = ReadString(message, "event");
        if (name is not (TrackedEvents.RelationshipStarted or TrackedEvents.RelationshipEnded))
            return;
        var properties = message.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        var kind = properties.ValueKind == JsonValueKind.Object ? ReadString(properties, "carrier_kind") : null;
        var carrier = properties.ValueKind == JsonValueKind.Object ? ReadId(properties, "carrier_id", where) : null;
        if (kind is null || !CarrierKinds.IsValid(kind))
            throw new ValidationFailedException(
                $"{where}: '{name}' needs properties.carrier_kind, one of {string.Join(", ", CarrierKinds.All)}.{suffix}", where);
        if (carrier is null)
            throw new ValidationFailedException($"{where}: '{name}' needs properties.carrier_id (the carrier's external id).{suffix}", where);
    }

    internal static string? ReadString(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Ids may come as strings or numbers (some SDKs send numeric user ids).</summary>
    internal static string? ReadId(JsonElement obj, string name, string where)
    {
        if (!obj.TryGetProperty(name, out var value))
            return null;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() is { Length: > 0 } s ? s : null,
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.Null => null,
            _ => throw new ValidationFailedException($"{where}: {name} must be a string.", where),
        };
    }

    private static DateTimeOffset? ReadTimeProperty(JsonElement obj, string name, string where) =>
        obj.TryGetProperty(name, out var value) ? ReadTime(value, name, where) : null;

    private static DateTimeOffset? ReadTime(JsonElement value, string name, string where)
    {
        if (value.ValueKind == JsonValueKind.Null)
            return null;
        // The JSON reader's ISO 8601 parser is fast and covers what SDKs send; the general parser takes the rest.
        if (value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var iso))
            return iso.ToUniversalTime();
        if (value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            return time.ToUniversalTime();
        throw new ValidationFailedException($"{where}: {name} must be an ISO 8601 date, e.g. 2026-11-23T08:30:00.000Z.", where);
    }
}

/// <summary>Track event names the processor gives meaning to (see docs/tracking-api.md).</summary>
public static class TrackedEvents
{
    public const string RelationshipStarted = "Relationship Started";
    public const string RelationshipEnded = "Relationship Ended";
    public const string OrderCompleted = "Order Completed";
    public const string OrderRefunded = "Order Refunded";
    public const string Unsubscribed = "Unsubscribed";

    /// <summary>A message the customer sent the brand (chat, SMS reply): properties.text alone an unsubscribe keyword (TD, 退订, unsubscribe) opts them out.</summary>
    public const string MessageReceived = "Message Received";
    public const string TagAdded = "Tag Added";
    public const string TagRemoved = "Tag Removed";
}
