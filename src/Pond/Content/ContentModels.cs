using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pond.Content;

/// <summary>What a content item is. Files (images, posters, videos, covers) live under the data folder.</summary>
public static class ContentKinds
{
    /// <summary>A text script (话术) staff send or a journey/SOP message uses; may hold {variables} and tracked links.</summary>
    public const string Text = "text";
    public const string Image = "image";
    public const string Poster = "poster";
    public const string Article = "article";
    public const string Link = "link";

    /// <summary>A mini-program card: appid, page path, title and a cover image.</summary>
    public const string MiniProgram = "mini_program";
    public const string Video = "video";

    public static readonly IReadOnlyList<string> All = [Text, Image, Poster, Article, Link, MiniProgram, Video];

    /// <summary>Kinds whose item is the file itself: created by uploading it.</summary>
    public static bool IsFileKind(string kind) => kind is Image or Poster or Video;

    /// <summary>Kinds whose URL is tracked (a short code per item and target).</summary>
    public static bool HasUrl(string kind) => kind is Article or Link;
}

public sealed class ContentFolder
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public Guid? ParentId { get; init; }
    public string Name { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Items (not archived) directly in this folder.</summary>
    public int ItemCount { get; init; }
}

public sealed class ContentItem
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public Guid? FolderId { get; init; }
    public string Kind { get; init; } = "";
    public string Title { get; init; } = "";
    public string? Body { get; init; }
    public string? Url { get; init; }
    public string? FilePath { get; init; }
    public string? FileType { get; init; }
    public long? FileSize { get; init; }

    /// <summary>Kind-specific fields as a JSON object: appId/pagePath (mini_program), summary (article), trackLinks (text),
    /// fileName/width/height (files).</summary>
    public string Data { get; init; } = "{}";

    /// <summary>Tags as a JSON array of strings.</summary>
    public string Tags { get; init; } = "[]";
    public long UsageCount { get; init; }
    public bool Archived { get; init; }
    public string? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public IReadOnlyList<string> TagList() => JsonSerializer.Deserialize<List<string>>(Tags) ?? [];

    public JsonObject DataObject() => JsonNode.Parse(Data) as JsonObject ?? [];

    public string? DataString(string key) => DataObject()[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public bool TrackLinks => DataObject()["trackLinks"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
}

/// <summary>What a create or an edit says; null fields of an edit keep the stored value.</summary>
public sealed class ContentItemInput
{
    public string? Kind { get; init; }
    public string? Title { get; init; }
    public string? Body { get; init; }
    public string? Url { get; init; }

    /// <summary>The folder; <see cref="Guid.Empty"/> in an edit moves the item to the top level.</summary>
    public Guid? FolderId { get; init; }
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Text scripts: give every URL in the body a tracked short link.</summary>
    public bool? TrackLinks { get; init; }

    /// <summary>Mini-program cards: the mini-program's appid (wx + 16 hex characters).</summary>
    public string? AppId { get; init; }

    /// <summary>Mini-program cards: the page path, e.g. pages/product/index?sku=LL-DR-01.</summary>
    public string? PagePath { get; init; }

    /// <summary>Articles: a one-line summary shown on the card.</summary>
    public string? Summary { get; init; }
}

public sealed record ContentQuery(string? Kind, Guid? FolderId, string? Tag, string? Q, int Limit, bool Archived = false);

/// <summary>A file an upload brought, checked and written under the data folder.</summary>
public sealed record StoredFile(string RelativePath, string ContentType, long Size, string? FileName, int? Width, int? Height);

/// <summary>A tracked link of an item: the short code /l/{code} and where it leads.</summary>
public sealed class ContentLink
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public Guid ItemId { get; init; }
    public string Code { get; init; } = "";
    public string TargetUrl { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}

public sealed class ContentLinkStats
{
    public Guid ItemId { get; init; }
    public long Clicks { get; init; }
    public long UniqueClickers { get; init; }
    public long Conversions { get; init; }

    /// <summary>Net paid (paid − refunded) of the converting orders, in fen.</summary>
    public long ConversionGmvFen { get; init; }
}

public sealed class ContentClickDay
{
    public int Day { get; init; }
    public long Clicks { get; init; }
    public long UniqueVisitors { get; init; }
}

public sealed class ContentLinkCount
{
    public Guid LinkId { get; init; }
    public string Code { get; init; } = "";
    public string TargetUrl { get; init; } = "";
    public long Clicks { get; init; }
    public long UniqueVisitors { get; init; }
}
