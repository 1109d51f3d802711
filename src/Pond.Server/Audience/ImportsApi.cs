using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Pond.Audience.Import;
using Pond.Server.Auth;
using Pond.Workspaces;

namespace Pond.Server.Audience;

/// <summary>The admin API for CSV imports (/api/imports): upload, progress, the rejected rows.</summary>
internal static class ImportsApi
{
    /// <summary>An import upload may be this large; every other request keeps the global 4 MB limit.</summary>
    public const long MaxUploadBytes = 2L * 1024 * 1024 * 1024;

    /// <summary>The header the console sends its antiforgery token in (a cookie-authenticated upload must carry it).</summary>
    public const string AntiforgeryHeader = "RequestVerificationToken";

    public static IServiceCollection AddImports(this IServiceCollection services, string dataDirectory, bool runWorker) =>
        services.AddPondImports(Path.Combine(Path.GetFullPath(dataDirectory), "imports"), runWorker);

    public static IEndpointRouteBuilder MapImportsApi(this IEndpointRouteBuilder routes)
    {
        var imports = routes.MapGroup("/api/imports")
            .WithTags("Imports")
            .RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        imports.MapPost("/", Upload).WithName("UploadImport").RequireAuthorization(Policies.Operate)
            .WithSummary("Uploads a CSV (multipart: a kind field, customers, tags or orders, and the file) and queues its import; see docs/import.md.")
            .Accepts<IFormFile>("multipart/form-data")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        imports.MapGet("/", ListImports).WithName("ListImports").WithSummary("Recent imports, newest first, with their counters.");
        imports.MapGet("/{id:guid}", GetImport).WithName("GetImport").WithSummary("One import's state and progress (bytes and lines read, accepted, rejected).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        imports.MapGet("/{id:guid}/rejects.csv", GetRejects).WithName("GetImportRejects").RequireAuthorization(Policies.Operate)
            .WithSummary("The rejected rows: line, reason and the row as it was in the file.")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    public static async Task<Results<Created<ImportJob>, ProblemHttpResult>> Upload(
        HttpContext context, ImportService imports, IAntiforgery antiforgery, string? kind, CancellationToken cancellationToken)
    {
        var request = context.Request;
        // A cookie-authenticated upload comes from the console: it must carry the antiforgery token, in a header so
        // that checking it does not read (and buffer) the multipart body.
        if (context.User.Identity?.AuthenticationType == CookieSignIn.Scheme
            && (!request.Headers.ContainsKey(AntiforgeryHeader) || !await antiforgery.IsRequestValidAsync(context)))
            return TypedResults.Problem($"Uploads from the console must carry the antiforgery token in the {AntiforgeryHeader} header.",
                statusCode: StatusCodes.Status400BadRequest, title: "Bad request");
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = MaxUploadBytes;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
            throw new ValidationFailedException("Send the file as multipart/form-data: a kind field (customers, tags or orders) and a file field.", "file");

        var caller = context.Caller();
        var reader = new MultipartReader(boundary, request.Body);
        string? staged = null;
        string? fileName = null;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                    continue;
                if (disposition.IsFileDisposition())
                {
                    if (staged is not null)
                        throw new ValidationFailedException("Send one file per import.", "file");
                    fileName = disposition.FileNameStar.Value ?? disposition.FileName.Value;
                    staged = await imports.StageAsync(section.Body, cancellationToken);
                }
                else if (HeaderUtilities.RemoveQuotes(disposition.Name).Value == "kind")
                {
                    using var text = new StreamReader(section.Body);
                    var value = await text.ReadToEndAsync(cancellationToken);
                    kind = value.Length > 20 ? value[..20] : value.Trim();
                }
            }

            if (staged is null)
                throw new ValidationFailedException("No file: send the CSV in a multipart field with a file name.", "file");
            var job = await imports.QueueStagedAsync(caller.WorkspaceId, kind, fileName, staged, caller.Actor);
            staged = null;
            return TypedResults.Created($"/api/imports/{job.Id}", job);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TypedResults.Problem($"The file is larger than {MaxUploadBytes / (1024 * 1024 * 1024)} GB; split it into several imports.",
                statusCode: StatusCodes.Status413PayloadTooLarge, title: "Too large");
        }
        catch (InvalidDataException e)
        {
            throw new ValidationFailedException($"The multipart body is malformed: {e.Message}", "file");
        }
        finally
        {
            if (staged is not null)
                File.Delete(staged);
        }
    }

    public static async Task<Ok<IReadOnlyList<ImportJob>>> ListImports(HttpContext context, ImportService imports) =>
        TypedResults.Ok(await imports.ListAsync(context.Caller().WorkspaceId));

    public static async Task<Ok<ImportJob>> GetImport(Guid id, HttpContext context, ImportService imports) =>
        TypedResults.Ok(await imports.GetAsync(context.Caller().WorkspaceId, id));

    public static async Task<PhysicalFileHttpResult> GetRejects(Guid id, HttpContext context, ImportService imports)
    {
        var (job, path) = await imports.RejectsAsync(context.Caller().WorkspaceId, id);
        return TypedResults.PhysicalFile(path, "text/csv; charset=utf-8", $"{Path.GetFileNameWithoutExtension(job.FileName)}-rejects.csv");
    }
}
