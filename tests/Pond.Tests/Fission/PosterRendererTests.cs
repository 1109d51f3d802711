using Pond.Fission;
using SkiaSharp;

namespace Pond.Tests.Fission;

/// <summary>Posters drawn with SkiaSharp, read back as images and their QR codes decoded with zbarimg (scripts/test.sh installs it and the CJK fonts).</summary>
public sealed class PosterRendererTests
{
    private const string Link = "http://127.0.0.1:5080/r/k7m2q9xw4p";

    private static PosterContent Content(string? nickname = "林小姐") => new("Lumi Lane", "邀好友 领好礼", "每邀请 1 位好友添加顾问，送你一份新品小样", nickname, "k7m2q9xw4p", Link);

    [Fact]
    public void PostersUseACjkTypeface()
    {
        // Without fonts-noto-cjk the nickname and the campaign's words would be empty boxes: fail rather than draw them.
        PosterRenderer.HasCjk.ShouldBeTrue("No CJK font: install fonts-noto-cjk (scripts/test.sh does).");
        PosterRenderer.TypefaceFamily.ShouldBe("Noto Sans CJK SC");
    }

    [Fact]
    public async Task DefaultDesign_IsAFullPoster_WhoseQrCodeIsTheParticipantsLink()
    {
        var png = PosterRenderer.Render(Content(), null);

        using var bitmap = await PosterKit.ShouldBePosterAsync(png, Link);
        // Pond's design: the warm gradient at the top, the white card at the bottom.
        var top = bitmap.GetPixel(8, 8);
        ((int)top.Red).ShouldBeGreaterThan(200);
        ((int)top.Blue).ShouldBeLessThan(150);
        bitmap.GetPixel(PosterRenderer.Width / 2, 1270).ShouldBe(SKColors.White);
    }

    [Fact]
    public async Task UploadedBackground_FillsThePoster_AndTheQrCodeStillDecodes()
    {
        var png = PosterRenderer.Render(Content(), PosterKit.Background(1500, 1000));

        using var bitmap = await PosterKit.ShouldBePosterAsync(png, Link);
        // Scaled to cover (the 3:2 photo is cropped at the sides): the blue-green gradient shows between headline and card.
        var middle = bitmap.GetPixel(20, 700);
        ((int)middle.Green).ShouldBeGreaterThan(middle.Red);
        ((int)middle.Blue).ShouldBeGreaterThan(middle.Red);
    }

    [Fact]
    public void TheNickname_ChangesThePoster_AndNoNameGetsTheNeutralFallback()
    {
        var named = PosterRenderer.Render(Content("林小姐"), null);
        var other = PosterRenderer.Render(Content("王先生"), null);
        var anonymous = PosterRenderer.Render(Content(null), null);
        var fallback = PosterRenderer.Render(Content(PosterRenderer.AnonymousNickname), null);

        named.SequenceEqual(other).ShouldBeFalse();
        anonymous.SequenceEqual(fallback).ShouldBeTrue();
        anonymous.SequenceEqual(named).ShouldBeFalse();
    }

    [Fact]
    public void LongWords_WrapWithinTheirLines()
    {
        using var font = PosterRenderer.Font(bold: false, 34);
        var lines = PosterRenderer.Wrap(new string('好', 80), font, 630, 3);

        lines.Count.ShouldBe(3);
        lines.ShouldAllBe(line => font.MeasureText(line) <= 630);
        lines[^1].ShouldEndWith("…");
        PosterRenderer.Wrap("Invite friends and both of you get a gift", font, 300, 3).ShouldAllBe(l => !l.StartsWith(' ') && !l.EndsWith(' '));
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    public void Inspect_AcceptsPngAndJpeg(string format)
    {
        var info = PosterRenderer.Inspect(PosterKit.Background(800, 1200, format == "png" ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg));
        info.ShouldBe(new PosterBackgroundInfo($"image/{format}", 800, 1200));
    }

    [Fact]
    public void Inspect_RefusesWhatCannotBeABackground_SayingWhatToFix()
    {
        Should.Throw<ValidationFailedException>(() => PosterRenderer.Inspect([])).Message.ShouldContain("empty");
        Should.Throw<ValidationFailedException>(() => PosterRenderer.Inspect("<svg xmlns='http://www.w3.org/2000/svg'/>"u8.ToArray())).Message.ShouldContain("PNG or JPEG");
        Should.Throw<ValidationFailedException>(() => PosterRenderer.Inspect(PosterKit.Background(200, 1334))).Message.ShouldContain("200×1334");
        Should.Throw<ValidationFailedException>(() => PosterRenderer.Inspect(PosterKit.Background(5000, 1000, SKEncodedImageFormat.Png))).Message.ShouldContain("320–4096");
        // A 1×1 GIF: an image, but not one posters take.
        byte[] gif = [0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0x21, 0xF9, 4, 1, 0, 0, 0, 0, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, 0x3B];
        Should.Throw<ValidationFailedException>(() => PosterRenderer.Inspect(gif)).Message.ShouldContain("PNG or JPEG");
        var truncated = PosterKit.Background(800, 1200, SKEncodedImageFormat.Png)[..4000];
        Should.Throw<ValidationFailedException>(() => PosterRenderer.Inspect(truncated)).Message.ShouldContain("damaged");
        var huge = new byte[PosterRenderer.MaxBackgroundBytes + 1];
        Should.Throw<ValidationFailedException>(() => PosterRenderer.Inspect(huge)).Field.ShouldBe("background");
    }
}
