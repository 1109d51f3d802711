using QRCoder;

namespace Pond.Channels;

/// <summary>
/// QR images for live codes and short links. Error correction level H lets a printed code survive wear, and a
/// centred brand logo covering up to 20% of its width (SVG logo on SVG, PNG logo on PNG) without breaking scans.
/// </summary>
public static class QrCodes
{
    public const int MaxPayloadLength = 1024;

    public static byte[] Png(string payload, int pixelsPerModule = 10, PngImage? logo = null)
    {
        using var data = Encode(payload);
        var scale = Math.Clamp(pixelsPerModule, 2, 40);
        if (logo is null)
            return new PngByteQRCode(data).GetGraphic(scale);

        // Drawn here rather than by QRCoder, which has no PNG logo: modules, then the logo on a white pad,
        // covering at most 20% of the width like the SVG's.
        var modules = data.ModuleMatrix;
        var size = modules.Count * scale;
        var image = new PngImage(size, size);
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var dark = modules[y / scale][x / scale];
                image.Set(x, y, dark ? (byte)0 : (byte)255, dark ? (byte)0 : (byte)255, dark ? (byte)0 : (byte)255);
            }
        }

        var box = size / 5;
        var pad = Math.Max(scale / 2, 2);
        var (left, top) = ((size - box) / 2, (size - box) / 2);
        var fit = Math.Min((box - (2 * pad)) / (double)logo.Width, (box - (2 * pad)) / (double)logo.Height);
        var (width, height) = ((int)(logo.Width * fit), (int)(logo.Height * fit));
        for (var y = top; y < top + box; y++)
        {
            for (var x = left; x < left + box; x++)
                image.Set(x, y, 255, 255, 255);
        }

        var (offsetX, offsetY) = (left + ((box - width) / 2), top + ((box - height) / 2));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                // Nearest-neighbour scaling, alpha-blended onto the white pad.
                var (r, g, b, a) = logo.Get(Math.Min(logo.Width - 1, (int)(x / fit)), Math.Min(logo.Height - 1, (int)(y / fit)));
                image.Set(offsetX + x, offsetY + y, Blend(r, a), Blend(g, a), Blend(b, a));
            }
        }

        return image.Encode();
    }

    private static byte Blend(byte channel, byte alpha) => (byte)(((channel * alpha) + (255 * (255 - alpha))) / 255);

    /// <param name="logoSvg">An SVG document to centre on the code, or null.</param>
    public static string Svg(string payload, string? logoSvg = null)
    {
        using var data = Encode(payload);
        var logo = logoSvg is null ? null : new SvgQRCode.SvgLogo(logoSvg, iconSizePercent: 20);
        return new SvgQRCode(data).GetGraphic(10, "#000000", "#ffffff", drawQuietZones: true, SvgQRCode.SizingMode.ViewBoxAttribute, logo);
    }

    private static QRCodeData Encode(string payload)
    {
        if (string.IsNullOrWhiteSpace(payload))
            throw new ValidationFailedException("A QR code needs something to point at, such as the code's short link.", "payload");
        if (payload.Length > MaxPayloadLength)
            throw new ValidationFailedException($"A QR code holds at most {MaxPayloadLength} characters here; use the short link.", "payload");
        using var generator = new QRCodeGenerator();
        return generator.CreateQrCode(payload, QRCodeGenerator.ECCLevel.H);
    }
}
