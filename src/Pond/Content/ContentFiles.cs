using System.Buffers.Binary;
using System.Text;
using SkiaSharp;

namespace Pond.Content;

/// <summary>
/// The content library's files under the data folder (&lt;data&gt;/content/&lt;workspace&gt;/…). An upload is checked by its
/// first bytes (not its name) and its size before it replaces anything: a refused upload leaves the previous file in place.
/// Several Pond nodes over one PostgreSQL must share this folder (a network volume), like the rest of the data folder.
/// </summary>
internal sealed class ContentFiles(string dataDirectory)
{
    public const long MaxImageBytes = 10L * 1024 * 1024;
    public const long MaxCoverBytes = 2L * 1024 * 1024;
    public const long MaxVideoBytes = 100L * 1024 * 1024;

    /// <summary>The largest upload any kind accepts (the HTTP request limit of the upload endpoints).</summary>
    public const long MaxUploadBytes = MaxVideoBytes;

    public string Root { get; } = Path.Combine(Path.GetFullPath(dataDirectory), "content");

    /// <summary>What a kind accepts: its size limit, the file types and how to name them in an error.</summary>
    public static (long MaxBytes, string[] Types, string Described) RuleFor(string kind) => kind switch
    {
        ContentKinds.Image or ContentKinds.Poster => (MaxImageBytes, ["image/png", "image/jpeg", "image/gif", "image/webp"], "a PNG, JPEG, GIF or WebP image"),
        ContentKinds.MiniProgram or ContentKinds.Article => (MaxCoverBytes, ["image/png", "image/jpeg"], "a PNG or JPEG cover image"),
        ContentKinds.Video => (MaxVideoBytes, ["video/mp4"], "an MP4 video"),
        _ => throw new ValidationFailedException($"A {kind} item has no file: only image, poster, video, mini_program (cover) and article (cover) items do.", "file"),
    };

    /// <summary>The type the first bytes show, or null when they are none Pond accepts.</summary>
    public static string? Sniff(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 8 && head[..8].SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }))
            return "image/png";
        if (head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
            return "image/jpeg";
        if (head.Length >= 6 && (head[..6].SequenceEqual("GIF87a"u8) || head[..6].SequenceEqual("GIF89a"u8)))
            return "image/gif";
        if (head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8))
            return "image/webp";
        // ISO base media: a box size, then 'ftyp' and the major brand. QuickTime (qt) and HEIF share the box but are not MP4.
        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8) && BinaryPrimitives.ReadUInt32BigEndian(head) >= 8)
        {
            var brand = Encoding.ASCII.GetString(head[8..12]);
            return brand is "qt  " or "heic" or "heix" or "mif1" or "msf1" or "avif" ? null : "video/mp4";
        }

        return null;
    }

    public static string Extension(string contentType) => contentType switch
    {
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        "image/webp" => ".webp",
        "video/mp4" => ".mp4",
        _ => ".bin",
    };

    private static string Megabytes(long bytes) => $"{bytes / 1024 / 1024} MB";

    /// <summary>
    /// Checks the upload against the kind's rule and writes it to a new file; nothing stored changes until the caller
    /// points the item at the returned path (and then deletes the old file).
    /// </summary>
    public async Task<StoredFile> SaveAsync(Guid workspaceId, Guid itemId, string kind, Stream content, long? declaredLength, string? fileName,
        CancellationToken cancellationToken = default)
    {
        var (maxBytes, types, described) = RuleFor(kind);
        var name = string.IsNullOrWhiteSpace(fileName) ? null : Path.GetFileName(fileName.Trim());
        if (declaredLength is 0)
            throw new ValidationFailedException($"The file{(name is null ? "" : $" {name}")} is empty: upload {described}.", "file");
        if (declaredLength > maxBytes)
            throw new ValidationFailedException($"The file{(name is null ? "" : $" {name}")} is {declaredLength / 1024.0 / 1024.0:0.#} MB; a {kind} file may be at most {Megabytes(maxBytes)}.", "file");

        var head = new byte[16];
        var got = 0;
        while (got < head.Length)
        {
            var read = await content.ReadAsync(head.AsMemory(got), cancellationToken);
            if (read == 0)
                break;
            got += read;
        }

        if (got == 0)
            throw new ValidationFailedException($"The file{(name is null ? "" : $" {name}")} is empty: upload {described}.", "file");
        var type = Sniff(head.AsSpan(0, got));
        if (type is null || !types.Contains(type))
        {
            var seen = type is null ? "is not an image or video Pond recognises (its first bytes match no PNG, JPEG, GIF, WebP or MP4)" : $"is {type}";
            throw new ValidationFailedException($"The file{(name is null ? "" : $" {name}")} {seen}; a {kind} needs {described}. Pond checks the file's content, not its name.", "file");
        }

        var folder = Path.Combine(Root, workspaceId.ToString("N"));
        Directory.CreateDirectory(folder);
        var relative = Path.Combine(workspaceId.ToString("N"), $"{itemId:N}-{Guid.NewGuid():N}{Extension(type)}");
        var path = Path.Combine(Root, relative);
        long size = got;
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await file.WriteAsync(head.AsMemory(0, got), cancellationToken);
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    size += read;
                    // Counted as it arrives: a body without a length must not fill the disk either.
                    if (size > maxBytes)
                        throw new ValidationFailedException($"The file{(name is null ? "" : $" {name}")} is larger than {Megabytes(maxBytes)}, the limit for a {kind} file.", "file");
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }

            int? width = null, height = null;
            if (type.StartsWith("image/", StringComparison.Ordinal))
            {
                // The header says what it is; the codec proves it is an image whose size it can read.
                using var codec = SKCodec.Create(path)
                    ?? throw new ValidationFailedException($"The file{(name is null ? "" : $" {name}")} starts like {type} but is not a readable image.", "file");
                width = codec.Info.Width;
                height = codec.Info.Height;
            }

            return new StoredFile(relative.Replace('\\', '/'), type, size, name, width, height);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    public string FullPath(string relativePath)
    {
        var full = Path.GetFullPath(Path.Combine(Root, relativePath));
        // A stored path is Pond's own, but never let one step outside the content folder.
        if (!full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidOperationException("A content file path points outside the content folder.");
        return full;
    }

    public void Delete(string? relativePath)
    {
        if (relativePath is null)
            return;
        try
        {
            File.Delete(FullPath(relativePath));
        }
        catch (IOException)
        {
            // A file still open by a reader goes on the next replace or stays; the row no longer points at it.
        }
    }
}
