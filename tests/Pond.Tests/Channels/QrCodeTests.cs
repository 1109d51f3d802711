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
}
