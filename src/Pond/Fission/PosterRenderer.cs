using QRCoder;
using SkiaSharp;

namespace Pond.Fission;

/// <summary>What one poster says: the campaign's words, the inviter's name, and where the QR code leads.</summary>
public sealed record PosterContent(string BrandName, string? Title, string? Text, string? Nickname, string InviteCode, string Link);

/// <summary>An uploaded poster background, checked: its format and size.</summary>
public sealed record PosterBackgroundInfo(string ContentType, int Width, int Height);

/// <summary>
/// Draws invitation posters (PNG, 750×1334: a phone screen, what WeChat users save and share). The campaign's
/// background fills the poster (scaled to cover and centred), or, without one, a design Pond draws itself; the title
/// and hook sit at the top, and a card at the bottom carries the inviter's name, the QR code of their personal
/// link and the invite code. CJK text comes from the system's Noto CJK font (Debian fonts-noto-cjk).
/// </summary>
public static class PosterRenderer
{
    public const int Width = 750;
    public const int Height = 1334;

    /// <summary>Shown when the participant has no display name: never their phone or an id.</summary>
    public const string AnonymousNickname = "你的好友";

    public const int MaxBackgroundBytes = 3 * 1024 * 1024;
    public const int MinBackgroundSide = 320;
    public const int MaxBackgroundSide = 4096;

    private static readonly SKColor Ink = new(0x1d, 0x26, 0x2d);
    private static readonly SKColor Muted = new(0x66, 0x70, 0x78);
    private static readonly SKColor Accent = new(0xe8, 0x5d, 0x3f);
    private static readonly SKColor Teal = new(0x1f, 0x7a, 0x6d);

    private static readonly Lazy<SKTypeface> Regular = new(() => FindTypeface(bold: false));
    private static readonly Lazy<SKTypeface> Bold = new(() => FindTypeface(bold: true));

    /// <summary>Where Linux distributions keep fonts (Debian's fonts-noto-cjk installs under /usr/share/fonts/opentype/noto).</summary>
    private static readonly string[] FontFolders = ["/usr/share/fonts", "/usr/local/share/fonts", Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".fonts")];

    /// <summary>The typeface posters use: a CJK one when the system has it (it covers Latin too), else any the system has.</summary>
    public static string TypefaceFamily => Regular.Value.FamilyName;

    internal static SKFont Font(bool bold, float size) => new(bold ? Bold.Value : Regular.Value, size);

    /// <summary>Whether the poster typeface can draw Chinese (false: CJK text would come out as empty boxes).</summary>
    public static bool HasCjk => Covers(Regular.Value);

    private static bool Covers(SKTypeface typeface)
    {
        using var font = new SKFont(typeface);
        return font.ContainsGlyph('林');
    }

    /// <summary>
    /// The system's font manager finds the CJK font where SkiaSharp was built with fontconfig; the NoDependencies native build
    /// has none, so the font folders are searched for Noto Sans CJK (Simplified Chinese face of the collection) themselves.
    /// </summary>
    private static SKTypeface FindTypeface(bool bold)
    {
        var style = bold ? SKFontStyle.Bold : SKFontStyle.Normal;
        if (SKFontManager.Default.MatchCharacter(null, style, ["zh-Hans"], '林') is { } matched)
            return matched;
        var files = FontFolders.Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.*", SearchOption.AllDirectories))
            .Where(f => f.EndsWith(".ttc", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".otf", StringComparison.OrdinalIgnoreCase)
                        || f.EndsWith(".ttf", StringComparison.OrdinalIgnoreCase))
            .ToList();
        var weight = bold ? "Bold" : "Regular";
        // Sans before serif, the wanted weight before the other, CJK collections before single faces.
        var cjk = files.Where(f => Path.GetFileName(f).Contains("CJK", StringComparison.OrdinalIgnoreCase))
            .OrderBy(f => Path.GetFileName(f).Contains("Sans", StringComparison.OrdinalIgnoreCase) ? 0 : 1)
            .ThenBy(f => Path.GetFileName(f).Contains(weight, StringComparison.OrdinalIgnoreCase) ? 0 : 1)
            .ThenBy(f => f, StringComparer.Ordinal);
        foreach (var file in cjk)
        {
            SKTypeface? first = null;
            for (var index = 0; index < 10; index++)
            {
                var face = SKTypeface.FromFile(file, index);
                if (face is null)
                    break;
                if (face.FamilyName.EndsWith(" SC", StringComparison.Ordinal) && Covers(face))
                {
                    first?.Dispose();
                    return face;
                }

                if (first is null && Covers(face))
                    first = face;
                else
                    face.Dispose();
            }

            if (first is not null)
                return first;
        }

        foreach (var file in files.OrderBy(f => Path.GetFileName(f).Contains("Sans", StringComparison.OrdinalIgnoreCase) ? 0 : 1).ThenBy(f => f, StringComparer.Ordinal))
        {
            if (SKTypeface.FromFile(file) is { } any)
                return any;
        }

        return SKTypeface.Default;
    }

    /// <summary>
    /// Checks an uploaded background: PNG or JPEG, at most 3 MB, each side 320–4096 pixels, and decodable to the end.
    /// Throws a ValidationFailedException (field "background") that says what to fix.
    /// </summary>
    public static PosterBackgroundInfo Inspect(byte[] image)
    {
        if (image.Length == 0)
            throw Invalid("The background image is empty: upload a PNG or JPEG file.");
        if (image.Length > MaxBackgroundBytes)
            throw Invalid($"The background image is {image.Length / 1024:N0} KB; it may be at most {MaxBackgroundBytes / 1024 / 1024} MB. Export it smaller (750×1334 is ideal).");
        using var data = SKData.CreateCopy(image);
        using var codec = SKCodec.Create(data)
            ?? throw Invalid("The background is not an image Pond can read: upload a PNG or JPEG file.");
        var type = codec.EncodedFormat switch
        {
            SKEncodedImageFormat.Png => "image/png",
            SKEncodedImageFormat.Jpeg => "image/jpeg",
            var other => throw Invalid($"The background is a {other} image: upload a PNG or JPEG file."),
        };
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width < MinBackgroundSide || height < MinBackgroundSide || width > MaxBackgroundSide || height > MaxBackgroundSide)
            throw Invalid($"The background is {width}×{height} pixels; each side must be {MinBackgroundSide}–{MaxBackgroundSide} pixels (750×1334 is ideal).");
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var result = codec.GetPixels(bitmap.Info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw Invalid("The background image is damaged or cut short: export it again as PNG or JPEG.");
        return new PosterBackgroundInfo(type, width, height);
    }

    private static ValidationFailedException Invalid(string message) => new(message, "background");

    /// <summary>Draws the poster; <paramref name="background"/> is an image that passed <see cref="Inspect"/>, or null for Pond's design.</summary>
    public static byte[] Render(PosterContent content, byte[]? background)
    {
        var info = new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info);
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);

        using var image = background is null ? null : SKImage.FromEncodedData(background);
        if (image is null)
            DrawDefaultBackground(canvas, content.BrandName);
        else
            DrawCover(canvas, image);

        DrawHeadline(canvas, content, image is not null);
        DrawCard(canvas, content);

        using var snapshot = surface.Snapshot();
        using var pixels = snapshot.PeekPixels();
        // One PNG filter (Sub) instead of trying all five per row: ~5× faster to encode, a similar size for gradients and photos.
        using var png = pixels.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.Sub, 4))
            ?? throw new InvalidOperationException("SkiaSharp could not encode the poster as PNG.");
        return png.ToArray();
    }

    /// <summary>Scales the image to cover the poster and centres it (the overflow is cropped evenly).</summary>
    private static void DrawCover(SKCanvas canvas, SKImage image)
    {
        var scale = Math.Max((float)Width / image.Width, (float)Height / image.Height);
        var (w, h) = (image.Width * scale, image.Height * scale);
        var destination = SKRect.Create((Width - w) / 2, (Height - h) / 2, w, h);
        canvas.DrawImage(image, destination, new SKSamplingOptions(SKCubicResampler.Mitchell));
        // A soft shade behind the headline, so white text reads on any photo.
        using var shade = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, 520),
                [new SKColor(0, 0, 0, 140), new SKColor(0, 0, 0, 0)], SKShaderTileMode.Clamp),
        };
        canvas.DrawRect(0, 0, Width, 520, shade);
    }

    /// <summary>Pond's own design: a warm sunrise gradient with soft rings, confetti and the brand's name.</summary>
    private static void DrawDefaultBackground(SKCanvas canvas, string brandName)
    {
        using (var sky = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(Width * 0.4f, Height),
                [new SKColor(0xff, 0x8a, 0x5c), new SKColor(0xf2, 0x5c, 0x6e), new SKColor(0x7b, 0x3f, 0xa8)], [0, 0.55f, 1], SKShaderTileMode.Clamp),
        })
        {
            canvas.DrawRect(0, 0, Width, Height, sky);
        }

        using var ring = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 28, Color = new SKColor(255, 255, 255, 30) };
        canvas.DrawCircle(Width - 40, 210, 190, ring);
        canvas.DrawCircle(60, 760, 150, ring);
        using var glow = new SKPaint { IsAntialias = true, Color = new SKColor(255, 255, 255, 22) };
        canvas.DrawCircle(Width - 110, 860, 240, glow);
        canvas.DrawCircle(120, 120, 90, glow);

        // Confetti: a fixed pattern, so every poster of a campaign looks the same.
        var colors = new[] { new SKColor(0xff, 0xe0, 0x8a), new SKColor(0xff, 0xff, 0xff, 200), new SKColor(0x9a, 0xe6, 0xd8) };
        using var piece = new SKPaint { IsAntialias = true };
        var random = new Random(20261111);
        for (var i = 0; i < 36; i++)
        {
            piece.Color = colors[i % colors.Length];
            var (x, y) = (random.Next(20, Width - 20), random.Next(390, 860));
            canvas.Save();
            canvas.RotateDegrees(random.Next(0, 90), x, y);
            canvas.DrawRoundRect(SKRect.Create(x, y, 14, 6), 3, 3, piece);
            canvas.Restore();
        }

        using var brandFont = new SKFont(Bold.Value, 26) { Subpixel = true };
        using var brandPaint = new SKPaint { IsAntialias = true, Color = new SKColor(255, 255, 255, 220) };
        canvas.DrawText(Fit(brandName, brandFont, Width - 120), 60, 84, SKTextAlign.Left, brandFont, brandPaint);
    }

    private static void DrawHeadline(SKCanvas canvas, PosterContent content, bool onPhoto)
    {
        var title = string.IsNullOrWhiteSpace(content.Title) ? "好友专属邀请" : content.Title.Trim();
        using var titleFont = new SKFont(Bold.Value, 68) { Subpixel = true };
        using var white = new SKPaint { IsAntialias = true, Color = SKColors.White };
        using var shadow = new SKPaint { IsAntialias = true, Color = new SKColor(0, 0, 0, onPhoto ? (byte)110 : (byte)60), MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, 6) };
        var y = 200f;
        foreach (var line in Wrap(title, titleFont, Width - 120, 2))
        {
            canvas.DrawText(line, 62, y + 4, SKTextAlign.Left, titleFont, shadow);
            canvas.DrawText(line, 60, y, SKTextAlign.Left, titleFont, white);
            y += 86;
        }

        if (!string.IsNullOrWhiteSpace(content.Text))
        {
            using var textFont = new SKFont(Regular.Value, 34) { Subpixel = true };
            using var soft = new SKPaint { IsAntialias = true, Color = new SKColor(255, 255, 255, 235) };
            y += 6;
            foreach (var line in Wrap(content.Text.Trim(), textFont, Width - 120, 3))
            {
                canvas.DrawText(line, 61, y + 2, SKTextAlign.Left, textFont, shadow);
                canvas.DrawText(line, 60, y, SKTextAlign.Left, textFont, soft);
                y += 50;
            }
        }
    }

    /// <summary>The white card: who invites, the QR code of their link, the invite code and the link itself.</summary>
    private static void DrawCard(SKCanvas canvas, PosterContent content)
    {
        var card = SKRect.Create(40, 900, Width - 80, 384);
        using (var cardShadow = new SKPaint { IsAntialias = true, Color = new SKColor(0, 0, 0, 60), MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, 18) })
            canvas.DrawRoundRect(SKRect.Create(card.Left, card.Top + 10, card.Width, card.Height), 32, 32, cardShadow);
        using (var white = new SKPaint { IsAntialias = true, Color = SKColors.White })
            canvas.DrawRoundRect(card, 32, 32, white);

        var nickname = string.IsNullOrWhiteSpace(content.Nickname) ? AnonymousNickname : content.Nickname.Trim();
        // The avatar: the nickname's first character in a coloured circle.
        using (var avatar = new SKPaint { IsAntialias = true, Color = Teal })
            canvas.DrawCircle(card.Left + 78, card.Top + 86, 40, avatar);
        using var initialFont = new SKFont(Bold.Value, 38) { Subpixel = true };
        using var whiteText = new SKPaint { IsAntialias = true, Color = SKColors.White };
        var initial = char.IsSurrogate(nickname[0]) && nickname.Length > 1 ? nickname[..2] : nickname[..1];
        canvas.DrawText(initial.ToUpperInvariant(), card.Left + 78, card.Top + 100, SKTextAlign.Center, initialFont, whiteText);

        var textLeft = card.Left + 136;
        var qrSize = 250f;
        var textWidth = card.Right - qrSize - 48 - textLeft;
        using var nameFont = new SKFont(Bold.Value, 34) { Subpixel = true };
        using var ink = new SKPaint { IsAntialias = true, Color = Ink };
        canvas.DrawText(Fit(nickname, nameFont, textWidth), textLeft, card.Top + 78, SKTextAlign.Left, nameFont, ink);
        using var smallFont = new SKFont(Regular.Value, 26) { Subpixel = true };
        using var muted = new SKPaint { IsAntialias = true, Color = Muted };
        canvas.DrawText("邀请你一起加入", textLeft, card.Top + 118, SKTextAlign.Left, smallFont, muted);

        var left = card.Left + 40;
        using var labelFont = new SKFont(Regular.Value, 24) { Subpixel = true };
        canvas.DrawText("邀请码", left, card.Top + 196, SKTextAlign.Left, labelFont, muted);
        using var codeFont = new SKFont(Bold.Value, 44) { Subpixel = true };
        using var accent = new SKPaint { IsAntialias = true, Color = Accent };
        canvas.DrawText(content.InviteCode, left, card.Top + 248, SKTextAlign.Left, codeFont, accent);
        using var linkFont = new SKFont(Regular.Value, 21) { Subpixel = true };
        var linkWidth = card.Right - qrSize - 48 - left;
        var y = card.Top + 300;
        foreach (var line in Wrap(ShortLinkText(content.Link), linkFont, linkWidth, 2))
        {
            canvas.DrawText(line, left, y, SKTextAlign.Left, linkFont, muted);
            y += 28;
        }

        var qr = SKRect.Create(card.Right - qrSize - 32, card.Top + 40, qrSize, qrSize);
        DrawQr(canvas, content.Link, qr);
        canvas.DrawText("长按识别二维码", qr.MidX, qr.Bottom + 40, SKTextAlign.Center, smallFont, muted);
    }

    /// <summary>The link without its scheme: shorter to read and type.</summary>
    private static string ShortLinkText(string link) =>
        link.StartsWith("https://", StringComparison.Ordinal) ? link[8..] : link.StartsWith("http://", StringComparison.Ordinal) ? link[7..] : link;

    /// <summary>The QR code as crisp squares on a white quiet zone (level Q: survives a poster's compression and scuffs).</summary>
    private static void DrawQr(SKCanvas canvas, string payload, SKRect box)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(payload, QRCodeGenerator.ECCLevel.Q);
        var modules = data.ModuleMatrix;
        var count = modules.Count;
        // Whole pixels per module keep the edges sharp for scanners; the code is centred in the box.
        var module = MathF.Floor(box.Width / count);
        var size = module * count;
        var (left, top) = (MathF.Round(box.Left + ((box.Width - size) / 2)), MathF.Round(box.Top + ((box.Height - size) / 2)));
        using var white = new SKPaint { Color = SKColors.White };
        canvas.DrawRect(box, white);
        using var dark = new SKPaint { Color = SKColors.Black, IsAntialias = false };
        for (var y = 0; y < count; y++)
        {
            for (var x = 0; x < count; x++)
            {
                if (modules[y][x])
                    canvas.DrawRect(left + (x * module), top + (y * module), module, module, dark);
            }
        }
    }

    /// <summary>The text cut to fit the width, with an ellipsis when it had to be cut.</summary>
    private static string Fit(string text, SKFont font, float width)
    {
        if (font.MeasureText(text) <= width)
            return text;
        var count = (int)font.BreakText(text, width - font.MeasureText("…"));
        if (count > 0 && count < text.Length && char.IsHighSurrogate(text[count - 1]))
            count--;
        return text[..Math.Max(count, 0)] + "…";
    }

    /// <summary>
    /// Breaks text into lines that fit the width: at the last space when the line has one (Latin words stay whole),
    /// else at any character (CJK has no spaces). Explicit line breaks are kept; past <paramref name="maxLines"/> the last line ends in an ellipsis.
    /// </summary>
    internal static List<string> Wrap(string text, SKFont font, float width, int maxLines)
    {
        var lines = new List<string>();
        foreach (var paragraph in text.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
        {
            var rest = paragraph.Trim();
            if (rest.Length == 0)
                continue;
            while (rest.Length > 0)
            {
                if (lines.Count == maxLines)
                {
                    var last = lines[^1];
                    lines[^1] = font.MeasureText(last + "…") <= width ? last + "…" : Fit(last + "…", font, width);
                    return lines;
                }

                var count = (int)font.BreakText(rest, width);
                if (count <= 0)
                    count = 1;
                if (count < rest.Length)
                {
                    if (char.IsHighSurrogate(rest[count - 1]))
                        count--;
                    var space = rest.LastIndexOf(' ', count - 1, count);
                    if (space > count / 2)
                        count = space + 1;
                }

                lines.Add(rest[..count].TrimEnd());
                rest = rest[count..].TrimStart();
            }
        }

        return lines;
    }
}
