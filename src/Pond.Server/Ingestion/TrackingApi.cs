using System.IO.Compression;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Ingestion;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Ingestion;

/// <summary>
/// Segment's HTTP Tracking API (/v1/identify, track, page, screen, group, alias, batch), so existing
/// Segment SDKs send to Pond unchanged. The 200 goes out only after the events are committed.
/// </summary>
internal static class TrackingApi
{
    public sealed record TrackingAck(bool Success);

    public static RouteGroupBuilder MapTracking(this IEndpointRouteBuilder app)
    {
        // Not behind Policies.Track: analytics.js may send the write key in the JSON body instead of a
        // header, which only the handler can read, so the handler authenticates (header first, then body).
        var group = app.MapGroup("/v1").WithTags("Tracking").AllowAnonymous();
        foreach (var type in SegmentMessages.Types)
        {
            group.MapPost($"/{type}", (HttpContext http, EventLogWriter writer, ApiKeyCache keys, TimeProvider clock, CancellationToken cancellationToken) =>
                    Single(http, type, writer, keys, clock, cancellationToken))
                .WithName($"Track{char.ToUpperInvariant(type[0])}{type[1..]}");
        }

        group.MapPost("/batch", Batch).WithName("TrackBatch");
        return group;
    }

    private static async Task<Results<Ok<TrackingAck>, ProblemHttpResult>> Single(
        HttpContext http, string type, EventLogWriter writer, ApiKeyCache keys, TimeProvider clock, CancellationToken cancellationToken)
    {
        var body = await ReadBodyAsync(http.Request, SegmentMessages.MaxMessageBytes, "a message may be at most 32 KB", cancellationToken);
        if (await WorkspaceOfAsync(http, body, keys) is not { } workspaceId)
            return Unauthorized(http);
        var record = SegmentMessages.ParseSingle(body, type, workspaceId, clock.GetUtcNow());
        await writer.AppendAsync([record], cancellationToken);
        return TypedResults.Ok(new TrackingAck(true));
    }

    private static async Task<Results<Ok<TrackingAck>, ProblemHttpResult>> Batch(
        HttpContext http, EventLogWriter writer, ApiKeyCache keys, TimeProvider clock, CancellationToken cancellationToken)
    {
        var body = await ReadBodyAsync(http.Request, SegmentMessages.MaxBatchBytes, "a batch may be at most 500 KB; split it into smaller batches", cancellationToken);
        if (await WorkspaceOfAsync(http, body, keys) is not { } workspaceId)
            return Unauthorized(http);
        var records = SegmentMessages.ParseBatch(body, workspaceId, clock.GetUtcNow());
        await writer.AppendAsync(records, cancellationToken);
        return TypedResults.Ok(new TrackingAck(true));
    }

    /// <summary>The write key's workspace: from the Basic header if one is sent, else from the body's writeKey.</summary>
    private static async Task<Guid?> WorkspaceOfAsync(HttpContext http, byte[] body, ApiKeyCache keys)
    {
        var result = await http.AuthenticateAsync(ApiKeyAuthenticationHandler.WriteKeyScheme);
        if (result.Succeeded)
            return Guid.Parse(result.Principal.FindFirstValue(PondClaims.Workspace)!);
        if (result.Failure is not null)
            return null;
        if (SegmentMessages.WriteKeyOf(body) is { Length: > 0 } plain && await keys.FindAsync(plain) is { Kind: ApiKeyKinds.Write } key)
            return key.WorkspaceId;
        return null;
    }

    private static ProblemHttpResult Unauthorized(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"pond\"";
        return TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Unauthorized",
            detail: "Send the workspace's write key as the Basic user name (Authorization: Basic base64(writeKey + \":\")) or as \"writeKey\" in the body. The key given is unknown or revoked.");
    }

    /// <summary>Reads the body up to <paramref name="limit"/> bytes (after gzip, which some SDKs use).</summary>
    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, int limit, string rule, CancellationToken cancellationToken)
    {
        var contentType = request.ContentType ?? "application/json";
        // analytics.js sends text/plain when it uses navigator.sendBeacon.
        if (!contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            && !contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))
            throw new BadHttpRequestException($"Send JSON (Content-Type: application/json), not {contentType}.", StatusCodes.Status415UnsupportedMediaType);
        if (request.ContentLength > limit)
            throw new ValidationFailedException($"The body is {request.ContentLength} bytes; {rule} ({limit} bytes).");

        Stream source = request.Body;
        var gzip = request.Headers.ContentEncoding.ToString().Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (gzip)
            source = new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true);
        await using var _ = gzip ? source : null;

        var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 16 * 1024);
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                    throw new ValidationFailedException($"The body is more than {limit} bytes; {rule} ({limit} bytes).");
                buffer.Write(chunk, 0, read);
            }
        }
        catch (InvalidDataException)
        {
            throw new ValidationFailedException("The body is marked Content-Encoding: gzip but is not valid gzip.");
        }

        return buffer.ToArray();
    }
}
