using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Pond.Content;
using Pond.Messaging;
using Pond.Server.Audience;
using Pond.Server.Auth;
using Pond.Server.Channels;
using Pond.Workspaces;

namespace Pond.Server.Content;

/// <summary>
/// The content library's admin API (/api/content, docs/content.md): folders, items, files, tags, variables and the
/// preview, plus the public tracked-link redirect /l/{code}. Everyone signed in reads (staff send content); operate roles write.
/// </summary>
internal static class ContentApi
{
    /// <summary>The browser's visitor id for tracked-link clicks that carry no customer token.</summary>
    public const string VisitorCookie = "pond_lv";

    public static IServiceCollection AddContentApi(this IServiceCollection services, string dataDirectory) => services.AddContentLibrary(dataDirectory);

    public static IEndpointRouteBuilder MapContentApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/content").WithTags("Content").RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/folders", ListContentFolders).WithName("ListContentFolders").WithSummary("Every folder (nested by parentId) with how many items it holds directly.");
        api.MapPost("/folders", CreateContentFolder).WithName("CreateContentFolder").RequireAuthorization(Policies.Operate)
            .WithSummary("Creates a folder, at the top or under parentId (at most 5 deep; names unique among siblings).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPut("/folders/{id:guid}", UpdateContentFolder).WithName("UpdateContentFolder").RequireAuthorization(Policies.Operate)
            .WithSummary("Renames a folder and/or moves it under parentId (the empty uuid: to the top); never into itself or its subfolders.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapDelete("/folders/{id:guid}", DeleteContentFolder).WithName("DeleteContentFolder").RequireAuthorization(Policies.Operate)
            .WithSummary("Deletes an empty folder (409 when it still holds folders or items).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/items", ListContentItems).WithName("ListContentItems")
            .WithSummary("Items for the library and the journey/SOP pickers: by kind, folder (with its subfolders), tag and words in the title or body; newest change first.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/items/{id:guid}", GetContentItem).WithName("GetContentItem")
            .WithSummary("One item with its tracked links, usage count, clicks, unique clickers, conversions and their GMV.").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/items", CreateContentItem).WithName("CreateContentItem").RequireAuthorization(Policies.Operate)
            .WithSummary("Creates a text script, link, article or mini-program card (images, posters and videos: POST /api/content/files). Unknown {variables} are a 400 listing the known ones.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapPut("/items/{id:guid}", UpdateContentItem).WithName("UpdateContentItem").RequireAuthorization(Policies.Operate)
            .WithSummary("Edits an item (fields left out keep their value; folderId the empty uuid moves it to the top).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/items/move", MoveContentItems).WithName("MoveContentItems").RequireAuthorization(Policies.Operate)
            .WithSummary("Moves items into a folder (folderId the empty uuid: to the top).").ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapPost("/items/{id:guid}/archive", ArchiveContentItem).WithName("ArchiveContentItem").RequireAuthorization(Policies.Operate)
            .WithSummary("Archives an item: pickers no longer list it; its tracked links keep redirecting.").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/items/{id:guid}/restore", RestoreContentItem).WithName("RestoreContentItem").RequireAuthorization(Policies.Operate)
            .WithSummary("Brings an archived item back.").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/items/{id:guid}/clicks", GetContentClicks).WithName("GetContentClicks")
            .WithSummary("Clicks and unique visitors per day (last 30 days) and per tracked link.").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/items/{id:guid}/personalized", PersonalizeContentItem).WithName("PersonalizeContentItem")
            .WithSummary("The item as one customer receives it: variables filled and tracked links made personal (/l/{code}?c={token}).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/files", UploadContentFile).WithName("UploadContentFile").RequireAuthorization(Policies.Operate)
            .WithSummary("Creates an image, poster or video item from an upload (multipart: kind, optional title, folderId, tags, body, and the file). Images ≤ 10 MB (PNG, JPEG, GIF, WebP), videos ≤ 100 MB (MP4), checked by content.")
            .Accepts<IFormFile>("multipart/form-data").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapPut("/items/{id:guid}/file", ReplaceContentFile).WithName("ReplaceContentFile").RequireAuthorization(Policies.Operate)
            .WithSummary("Replaces an item's file, or sets a mini-program or article cover (PNG/JPEG ≤ 2 MB). A refused upload keeps the previous file.")
            .Accepts<IFormFile>("multipart/form-data").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapGet("/items/{id:guid}/file", GetContentFile).WithName("GetContentFile")
            .WithSummary("The item's file (image, poster, video or cover), at a stable URL.").Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/tags", ListContentTags).WithName("ListContentTags").WithSummary("Tags on items, with how many items carry each.");
        api.MapGet("/variables", ListContentVariables).WithName("ListContentVariables").WithSummary("The {variables} scripts may use.");
        api.MapPost("/preview", PreviewContent).WithName("PreviewContent")
            .WithSummary("Fills a script's variables with a customer's values (name, owner staff, points, tier, traits) and lists unknown variables.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        // Public: counts the click and sends the browser on. An unknown code is a 404 page, never a redirect elsewhere.
        routes.MapGet("/l/{code}", FollowTrackedLink).AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    // ---- views ----

    internal sealed record ContentStatsView(long UsageCount, long Clicks, long UniqueClickers, long Conversions, decimal ConversionGmv);

    internal sealed record ContentLinkView(string Code, string TargetUrl, string ShortUrl);

    internal sealed class ContentItemView
    {
        public Guid Id { get; init; }
        public Guid? FolderId { get; init; }
        public string Kind { get; init; } = "";
        public string Title { get; init; } = "";
        public string? Body { get; init; }
        public string? Url { get; init; }
        public string? FileUrl { get; init; }
        public string? FileType { get; init; }
        public long? FileSize { get; init; }
        public string? FileName { get; init; }
        public int? Width { get; init; }
        public int? Height { get; init; }
        public string? AppId { get; init; }
        public string? PagePath { get; init; }
        public string? Summary { get; init; }
        public bool TrackLinks { get; init; }
        public IReadOnlyList<string> Tags { get; init; } = [];
        public IReadOnlyList<string> Variables { get; init; } = [];
        public bool Archived { get; init; }
        public string? CreatedBy { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
        public ContentStatsView? Stats { get; init; }
        public IReadOnlyList<ContentLinkView>? Links { get; init; }

        public static ContentItemView Of(ContentItem item, ContentLinkStats? stats = null, IReadOnlyList<ContentLinkView>? links = null)
        {
            var data = item.DataObject();
            int? Int(string key) => data[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;
            return new ContentItemView
            {
                Id = item.Id, FolderId = item.FolderId, Kind = item.Kind, Title = item.Title, Body = item.Body, Url = item.Url,
                FileUrl = item.FilePath is null ? null : $"/api/content/items/{item.Id}/file", FileType = item.FileType, FileSize = item.FileSize,
                FileName = item.DataString("fileName"), Width = Int("width"), Height = Int("height"), AppId = item.DataString("appId"),
                PagePath = item.DataString("pagePath"), Summary = item.DataString("summary"), TrackLinks = item.TrackLinks, Tags = item.TagList(),
                Variables = MessageVariables.Used(item.Body), Archived = item.Archived, CreatedBy = item.CreatedBy, CreatedAt = item.CreatedAt, UpdatedAt = item.UpdatedAt,
                Stats = stats is null ? null : new ContentStatsView(item.UsageCount, stats.Clicks, stats.UniqueClickers, stats.Conversions, Money.FromFen(stats.ConversionGmvFen)),
                Links = links,
            };
        }
    }

    internal sealed record ContentFolderView(Guid Id, Guid? ParentId, string Name, int ItemCount, DateTimeOffset CreatedAt);

    internal sealed record ContentItemList(IReadOnlyList<ContentItemView> Items);

    internal sealed record FolderRequest(string? Name, Guid? ParentId);

    internal sealed record MoveRequest(IReadOnlyList<Guid>? ItemIds, Guid? FolderId);

    internal sealed record PreviewRequest(string? Text, Guid? CustomerId);

    internal sealed record PreviewView(string Text, IReadOnlyDictionary<string, string?> Values, IReadOnlyList<string> Unknown, Guid? CustomerId, string? CustomerName);

    internal sealed record VariableView(string Name, string Placeholder, string Description);

    internal sealed record TagCount(string Tag, int Items);

    internal sealed record ClicksView(IReadOnlyList<ContentClickDay> Days, IReadOnlyList<LinkClicksView> Links);

    internal sealed record LinkClicksView(string Code, string TargetUrl, string ShortUrl, long Clicks, long UniqueVisitors);

    internal sealed record PersonalizedView(Guid ItemId, Guid CustomerId, string? Text, string? Url);

    // ---- folders ----

    public static async Task<Ok<IReadOnlyList<ContentFolderView>>> ListContentFolders(HttpContext context, ContentLibrary library) =>
        TypedResults.Ok<IReadOnlyList<ContentFolderView>>((await library.ListFoldersAsync(context.Caller().WorkspaceId))
            .Select(f => new ContentFolderView(f.Id, f.ParentId, f.Name, f.ItemCount, f.CreatedAt)).ToList());

    public static async Task<Created<ContentFolderView>> CreateContentFolder(FolderRequest request, HttpContext context, ContentLibrary library)
    {
        var caller = context.Caller();
        var folder = await library.CreateFolderAsync(caller.WorkspaceId, request.Name, request.ParentId, caller.Actor);
        return TypedResults.Created($"/api/content/folders/{folder.Id}", new ContentFolderView(folder.Id, folder.ParentId, folder.Name, 0, folder.CreatedAt));
    }

    public static async Task<Ok<ContentFolderView>> UpdateContentFolder(Guid id, FolderRequest request, HttpContext context, ContentLibrary library)
    {
        var caller = context.Caller();
        var folder = await library.UpdateFolderAsync(caller.WorkspaceId, id, request.Name, request.ParentId, caller.Actor);
        return TypedResults.Ok(new ContentFolderView(folder.Id, folder.ParentId, folder.Name, folder.ItemCount, folder.CreatedAt));
    }

    public static async Task<NoContent> DeleteContentFolder(Guid id, HttpContext context, ContentLibrary library)
    {
        var caller = context.Caller();
        await library.DeleteFolderAsync(caller.WorkspaceId, id, caller.Actor);
        return TypedResults.NoContent();
    }

    // ---- items ----

    /// <param name="kind">text, image, poster, article, link, mini_program or video.</param>
    /// <param name="folderId">Items in this folder and its subfolders.</param>
    /// <param name="tag">Items carrying this tag.</param>
    /// <param name="q">Words in the title or body (case-insensitive for Latin letters).</param>
    /// <param name="limit">1–500, default 100.</param>
    /// <param name="archived">true: the archived items instead.</param>
    public static async Task<Ok<ContentItemList>> ListContentItems(HttpContext context, ContentLibrary library, ContentLinks links,
        string? kind = null, Guid? folderId = null, string? tag = null, string? q = null, int? limit = null, bool? archived = null)
    {
        var workspaceId = context.Caller().WorkspaceId;
        var items = await library.ListAsync(workspaceId, new ContentQuery(string.IsNullOrWhiteSpace(kind) ? null : kind.Trim(), folderId, tag, q, limit ?? 100, archived ?? false));
        var stats = await links.StatsAsync(workspaceId, items.Select(i => i.Id).ToList());
        return TypedResults.Ok(new ContentItemList(items.Select(i => ContentItemView.Of(i, stats.GetValueOrDefault(i.Id))).ToList()));
    }

    internal static async Task<ContentItemView> DetailAsync(HttpContext context, ContentLibrary library, ContentLinks links, Guid workspaceId, Guid id)
    {
        var item = await library.GetAsync(workspaceId, id);
        var stats = await links.StatsAsync(workspaceId, [id]);
        var coded = await links.ForItemAsync(workspaceId, id);
        return ContentItemView.Of(item, stats[id], coded.Select(l => new ContentLinkView(l.Code, l.TargetUrl, ShortLinks.Absolute(context, $"/l/{l.Code}"))).ToList());
    }

    public static async Task<Ok<ContentItemView>> GetContentItem(Guid id, HttpContext context, ContentLibrary library, ContentLinks links) =>
        TypedResults.Ok(await DetailAsync(context, library, links, context.Caller().WorkspaceId, id));

    public static async Task<Created<ContentItemView>> CreateContentItem(ContentItemInput request, HttpContext context, ContentLibrary library, ContentLinks links)
    {
        var caller = context.Caller();
        var item = await library.CreateAsync(caller.WorkspaceId, request, caller.Actor);
        return TypedResults.Created($"/api/content/items/{item.Id}", await DetailAsync(context, library, links, caller.WorkspaceId, item.Id));
    }

    public static async Task<Ok<ContentItemView>> UpdateContentItem(Guid id, ContentItemInput request, HttpContext context, ContentLibrary library, ContentLinks links)
    {
        var caller = context.Caller();
        await library.UpdateAsync(caller.WorkspaceId, id, request, caller.Actor);
        return TypedResults.Ok(await DetailAsync(context, library, links, caller.WorkspaceId, id));
    }

    public static async Task<Ok<object>> MoveContentItems(MoveRequest request, HttpContext context, ContentLibrary library)
    {
        var caller = context.Caller();
        if (request.FolderId is not { } folder)
            throw new ValidationFailedException("folderId is required: the folder to move into (the empty uuid 00000000-0000-0000-0000-000000000000 for the top).", "folderId");
        var moved = await library.MoveAsync(caller.WorkspaceId, request.ItemIds ?? [], folder, caller.Actor);
        return TypedResults.Ok<object>(new { moved });
    }

    public static async Task<Ok<ContentItemView>> ArchiveContentItem(Guid id, HttpContext context, ContentLibrary library) =>
        TypedResults.Ok(ContentItemView.Of(await library.SetArchivedAsync(context.Caller().WorkspaceId, id, true, context.Caller().Actor)));

    public static async Task<Ok<ContentItemView>> RestoreContentItem(Guid id, HttpContext context, ContentLibrary library) =>
        TypedResults.Ok(ContentItemView.Of(await library.SetArchivedAsync(context.Caller().WorkspaceId, id, false, context.Caller().Actor)));

    public static async Task<Ok<ClicksView>> GetContentClicks(Guid id, HttpContext context, ContentLibrary library, ContentLinks links)
    {
        var workspaceId = context.Caller().WorkspaceId;
        await library.GetAsync(workspaceId, id);
        var days = await links.DaysAsync(workspaceId, id);
        var counts = await links.LinkCountsAsync(workspaceId, id);
        return TypedResults.Ok(new ClicksView(days, counts.Select(c => new LinkClicksView(c.Code, c.TargetUrl, ShortLinks.Absolute(context, $"/l/{c.Code}"), c.Clicks, c.UniqueVisitors)).ToList()));
    }

    public static async Task<Ok<PersonalizedView>> PersonalizeContentItem(Guid id, Guid? customerId, HttpContext context, ContentLibrary library, ContentLinks links,
        ContentPreview preview, TimeProvider clock)
    {
        var caller = context.Caller();
        if (customerId is not { } customer)
            throw new ValidationFailedException("customerId is required: the customer the item is for.", "customerId");
        var item = await library.GetAsync(caller.WorkspaceId, id);
        var (_, values) = await preview.ValuesAsync(caller.WorkspaceId, customer, caller.OnlyOwnedBy, clock.GetUtcNow());
        var (body, url) = await links.PersonalizeAsync(item, customer, ShortLinks.Absolute(context, ""));
        return TypedResults.Ok(new PersonalizedView(id, customer, body is null ? null : MessageVariables.Render(body, v => values.GetValueOrDefault(v)), url));
    }

    // ---- files ----

    private sealed record Upload(string? Kind, string? Title, Guid? FolderId, IReadOnlyList<string>? Tags, string? Body, string Staged, string? FileName, long Length);

    /// <summary>
    /// Reads the multipart body: its fields, and the one file staged to disk (at most the largest limit, counted as it
    /// arrives). A console upload carries the antiforgery token in a header so checking it does not read the body.
    /// </summary>
    private static async Task<Upload> ReadUploadAsync(HttpContext context, ContentFiles files, IAntiforgery antiforgery)
    {
        var request = context.Request;
        if (context.User.Identity?.AuthenticationType == CookieSignIn.Scheme
            && (!request.Headers.ContainsKey(ImportsApi.AntiforgeryHeader) || !await antiforgery.IsRequestValidAsync(context)))
            throw new ValidationFailedException($"Uploads from the console must carry the antiforgery token in the {ImportsApi.AntiforgeryHeader} header.", "file");
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = ContentFiles.MaxUploadBytes + (1024 * 1024);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
            throw new ValidationFailedException("Send the upload as multipart/form-data with a file field (and kind, title, folderId, tags, body fields when creating).", "file");

        var reader = new MultipartReader(boundary, request.Body);
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? staged = null, fileName = null;
        long length = 0;
        try
        {
            while (await reader.ReadNextSectionAsync(context.RequestAborted) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                    continue;
                if (disposition.IsFileDisposition())
                {
                    if (staged is not null)
                        throw new ValidationFailedException("Send one file per upload.", "file");
                    fileName = disposition.FileNameStar.Value ?? disposition.FileName.Value;
                    (staged, length) = await StageAsync(files, section.Body, context.RequestAborted);
                }
                else if (HeaderUtilities.RemoveQuotes(disposition.Name).Value is { } name)
                {
                    using var text = new StreamReader(section.Body);
                    var value = await text.ReadToEndAsync(context.RequestAborted);
                    if (value.Length > ContentLibrary.MaxBody)
                        throw new ValidationFailedException($"{name}: at most {ContentLibrary.MaxBody} characters.", name);
                    fields[name] = value;
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            Delete(staged);
            throw new ValidationFailedException($"The upload is larger than {ContentFiles.MaxUploadBytes / 1024 / 1024} MB, the most any file may be (images 10 MB, videos 100 MB).", "file");
        }
        catch (InvalidDataException e)
        {
            Delete(staged);
            throw new ValidationFailedException($"The multipart body is malformed: {e.Message}", "file");
        }
        catch
        {
            Delete(staged);
            throw;
        }

        if (staged is null)
            throw new ValidationFailedException("No file: send it in a multipart field with a file name.", "file");
        Guid? folderId = null;
        if (fields.TryGetValue("folderId", out var folder) && !string.IsNullOrWhiteSpace(folder))
        {
            if (!Guid.TryParse(folder, out var parsed))
            {
                Delete(staged);
                throw new ValidationFailedException($"folderId: '{folder}' is not a folder id.", "folderId");
            }

            folderId = parsed;
        }

        var tags = fields.TryGetValue("tags", out var t) ? t.Split([',', '，', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null;
        return new Upload(fields.GetValueOrDefault("kind"), fields.GetValueOrDefault("title"), folderId, tags, fields.GetValueOrDefault("body"), staged, fileName, length);
    }

    private static async Task<(string Path, long Length)> StageAsync(ContentFiles files, Stream body, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(files.Root, ".staging");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, Guid.NewGuid().ToString("N"));
        long length = 0;
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
            var buffer = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                length += read;
                if (length > ContentFiles.MaxUploadBytes)
                    throw new ValidationFailedException($"The file is larger than {ContentFiles.MaxUploadBytes / 1024 / 1024} MB, the most any file may be (images 10 MB, videos 100 MB).", "file");
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch
        {
            Delete(path);
            throw;
        }

        return (path, length);
    }

    private static void Delete(string? path)
    {
        if (path is not null)
            File.Delete(path);
    }

    public static async Task<Created<ContentItemView>> UploadContentFile(HttpContext context, ContentLibrary library, ContentLinks links, ContentFiles files, IAntiforgery antiforgery)
    {
        var caller = context.Caller();
        var upload = await ReadUploadAsync(context, files, antiforgery);
        try
        {
            await using var content = File.OpenRead(upload.Staged);
            var item = await library.UploadAsync(caller.WorkspaceId, upload.Kind, upload.Title, upload.FolderId, upload.Tags, upload.Body, content, upload.Length, upload.FileName, caller.Actor);
            return TypedResults.Created($"/api/content/items/{item.Id}", await DetailAsync(context, library, links, caller.WorkspaceId, item.Id));
        }
        finally
        {
            Delete(upload.Staged);
        }
    }

    public static async Task<Ok<ContentItemView>> ReplaceContentFile(Guid id, HttpContext context, ContentLibrary library, ContentLinks links, ContentFiles files, IAntiforgery antiforgery)
    {
        var caller = context.Caller();
        await library.GetAsync(caller.WorkspaceId, id);
        var upload = await ReadUploadAsync(context, files, antiforgery);
        try
        {
            await using var content = File.OpenRead(upload.Staged);
            await library.ReplaceFileAsync(caller.WorkspaceId, id, content, upload.Length, upload.FileName, caller.Actor);
            return TypedResults.Ok(await DetailAsync(context, library, links, caller.WorkspaceId, id));
        }
        finally
        {
            Delete(upload.Staged);
        }
    }

    public static async Task<Results<PhysicalFileHttpResult, NotFound>> GetContentFile(Guid id, HttpContext context, ContentLibrary library)
    {
        if (await library.FileAsync(context.Caller().WorkspaceId, id) is not { } file)
            return TypedResults.NotFound();
        context.Response.Headers.CacheControl = "private, max-age=60";
        // The stored name only names a download; videos stream with range requests.
        return TypedResults.PhysicalFile(file.Path, file.ContentType, enableRangeProcessing: true);
    }

    // ---- tags, variables, preview ----

    public static async Task<Ok<IReadOnlyList<TagCount>>> ListContentTags(HttpContext context, ContentLibrary library) =>
        TypedResults.Ok<IReadOnlyList<TagCount>>((await library.TagsAsync(context.Caller().WorkspaceId)).Select(t => new TagCount(t.Tag, t.Items)).ToList());

    public static IReadOnlyList<VariableView> Variables() =>
    [
        new(MessageVariables.Name, "{name}", "The customer's display name."),
        new(MessageVariables.Nickname, "{nickname}", "The WeCom/WeChat nickname (the display name when Pond has none)."),
        new(MessageVariables.Staff, "{staff}", "The customer's owner: the staff member's name."),
        new(MessageVariables.Coupon, "{coupon}", "The code of the coupon the journey issued last (made at send time)."),
        new(MessageVariables.Points, "{points}", "The customer's points balance."),
        new(MessageVariables.Tier, "{tier}", "The customer's member tier."),
        new(MessageVariables.Unsubscribe, "{unsubscribe}", "The customer's personal unsubscribe link (made at send time)."),
        new(MessageVariables.TraitPrefix + "KEY", "{trait.city}", "Any trait of the customer, e.g. {trait.city}."),
    ];

    public static Ok<IReadOnlyList<VariableView>> ListContentVariables() => TypedResults.Ok(Variables());

    public static async Task<Ok<PreviewView>> PreviewContent(PreviewRequest request, HttpContext context, ContentPreview preview, TimeProvider clock)
    {
        var caller = context.Caller();
        if (request.Text is { Length: > ContentLibrary.MaxBody })
            throw new ValidationFailedException($"text: at most {ContentLibrary.MaxBody} characters.", "text");
        var result = await preview.PreviewAsync(caller.WorkspaceId, request.Text, request.CustomerId, caller.OnlyOwnedBy, clock.GetUtcNow(), v => $"[{v}: made at send time]");
        return TypedResults.Ok(new PreviewView(result.Text, result.Values, result.Unknown, result.Customer?.Id, result.Customer?.DisplayName));
    }

    // ---- the public redirect ----

    public static async Task<IResult> FollowTrackedLink(string code, string? c, HttpContext context, ContentLinks links)
    {
        var visitor = context.Request.Cookies[VisitorCookie];
        if (visitor is null || visitor.Length != 32 || !visitor.All(char.IsAsciiHexDigitLower))
        {
            visitor = Guid.NewGuid().ToString("N");
            context.Response.Cookies.Append(VisitorCookie, visitor, new CookieOptions
            {
                HttpOnly = true, SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Lax, MaxAge = TimeSpan.FromDays(365), Path = "/l", IsEssential = true,
            });
        }

        if (await links.ClickAsync(code, c, visitor) is not { } target)
            return TypedResults.NotFound();
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Redirect(target);
    }
}
