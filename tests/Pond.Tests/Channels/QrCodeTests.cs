using System.Diagnostics;
using Pond.Channels;

namespace Pond.Tests.Channels;

/// <summary>The images are read back with a real QR decoder (zbarimg, installed by scripts/test.sh).</summary>
public sealed class QrCodeTests
{
    internal static async Task<string> DecodeAsync(string file)
    {
        var start = new ProcessStartInfo("zbarimg", ["--quiet", "--raw", file]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var zbar = Process.Start(start) ?? throw new InvalidOperationException("zbarimg is missing: run scripts/test.sh, which installs zbar-tools.");
        var output = await zbar.StandardOutput.ReadToEndAsync();
        await zbar.WaitForExitAsync();
        zbar.ExitCode.ShouldBe(0, await zbar.StandardError.ReadToEndAsync());
        return output.Trim();
    }

    [Fact]
    public async Task Png_DecodesToTheShortLink()
    {
        const string link = "http://127.0.0.1:5080/c/Lily-PkgCard-7Q";
        var file = Path.Combine(Path.GetTempPath(), $"pond-qr-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(file, QrCodes.Png(link));
        try
        {
            (await DecodeAsync(file)).ShouldBe(link);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Svg_WithALogo_IsAnSvgThatEmbedsTheLogo()
    {
        const string logo = "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><circle cx='5' cy='5' r='5' fill='#1f7a6d'/></svg>";

        var svg = QrCodes.Svg("http://127.0.0.1:5080/c/Lily-PkgCard-7Q", logo);

        System.Xml.Linq.XDocument.Parse(svg).Root!.Name.LocalName.ShouldBe("svg");
        svg.ShouldContain("#1f7a6d");
        QrCodes.Svg("http://127.0.0.1:5080/c/x").ShouldNotContain("#1f7a6d");
    }

    [Fact]
    public void EmptyOrHugePayload_SaysWhatToUseInstead()
    {
        Should.Throw<ValidationFailedException>(() => QrCodes.Png(" "));
        Should.Throw<ValidationFailedException>(() => QrCodes.Png(new string('a', 2000))).Message.ShouldContain("short link");
    }

    /// <summary>A round red logo on a transparent background, 64×64.</summary>
    internal static PngImage Logo()
    {
        var logo = new PngImage(64, 64);
        for (var y = 0; y < 64; y++)
        {
            for (var x = 0; x < 64; x++)
            {
                var inside = ((x - 32) * (x - 32)) + ((y - 32) * (y - 32)) < 30 * 30;
                logo.Set(x, y, 225, 29, 72, inside ? (byte)255 : (byte)0);
            }
        }

        return logo;
    }

    [Fact]
    public async Task Png_WithAPngLogo_StillDecodesToTheShortLink_AndShowsTheLogo()
    {
        const string link = "http://127.0.0.1:5080/c/Lily-PkgCard-7Q";
        var logo = PngImage.Decode(Logo().Encode());
        logo.Get(32, 32).ShouldBe(((byte)225, (byte)29, (byte)72, (byte)255));
        logo.Get(0, 0).A.ShouldBe((byte)0);

        var png = QrCodes.Png(link, 10, logo);
        var image = PngImage.Decode(png);
        // The centre is the logo's red; the corners stay the code's finder patterns.
        image.Get(image.Width / 2, image.Height / 2).ShouldBe(((byte)225, (byte)29, (byte)72, (byte)255));
        var file = Path.Combine(Path.GetTempPath(), $"pond-qr-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(file, png);
        try
        {
            (await DecodeAsync(file)).ShouldBe(link);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void PngLogo_ThatCannotBeDrawn_IsRefusedSayingWhy()
    {
        Should.Throw<ValidationFailedException>(() => PngImage.Decode("GIF89a not a png at all, sorry"u8)).Message.ShouldContain("not a PNG");
        var sixteenBit = Logo().Encode();
        sixteenBit[8 + 8 + 8] = 16; // IHDR bit depth
        Should.Throw<ValidationFailedException>(() => PngImage.Decode(sixteenBit)).Message.ShouldContain("8-bit");
        var truncated = Logo().Encode()[..60];
        Should.Throw<ValidationFailedException>(() => PngImage.Decode(truncated));
    }

    [Fact]
    public void Png_FromQrCoder_IsReadByTheDecoder()
    {
        // QRCoder writes a palette (or grey) PNG with filters of its own choosing: a second encoder checks the decoder.
        var image = PngImage.Decode(QrCodes.Png("http://127.0.0.1:5080/c/x", 4));
        image.Get(0, 0).ShouldBe(((byte)255, (byte)255, (byte)255, (byte)255));
        image.Get(4 * 4, 4 * 4).ShouldBe(((byte)0, (byte)0, (byte)0, (byte)255));
    }
}
