using QRCoder;

namespace Pond.Channels;

/// <summary>
/// QR images for live codes and short links. Error correction level H lets a printed code survive wear, and a
/// centred brand logo covering up to 20% of it (SVG), so operators can put the logo in without breaking scans.
/// </summary>
public static class QrCodes
{
    public const int MaxPayloadLength = 1024;

    public static byte[] Png(string payload, int pixelsPerModule = 10)
    {
        using var data = Encode(payload);
        return new PngByteQRCode(data).GetGraphic(Math.Clamp(pixelsPerModule, 2, 40));
    }

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
