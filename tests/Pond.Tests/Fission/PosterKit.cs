using System.Net;
using System.Net.Http.Json;
using Pond.Channels;
using Pond.Customers;
using Pond.Fission;
using Pond.Server.Channels;
using Pond.Server.Fission;
using Pond.Staff;
using Pond.Tests.Channels;
using Pond.Tests.Customers;
using SkiaSharp;

namespace Pond.Tests.Fission;

/// <summary>Campaigns, participants and poster checks for the poster, landing and group-fission tests.</summary>
internal static class PosterKit
{
    public static async Task<ReferralCampaign> CampaignAsync(
        HttpClient admin, Guid liveCodeId, string kind = ReferralKinds.Friend, string[]? requires = null, string? title = "邀好友 领好礼",
        string? text = "每邀请 1 位好友添加顾问，送你一份新品小样")
    {
        var now = DateTimeOffset.UtcNow;
        return await (await admin.PostAsJsonAsync("/api/referrals/campaigns", new
        {
            name = kind == ReferralKinds.Group ? "进群有礼" : "老带新 · 11月", kind, status = ReferralStatuses.Active,
            startsAt = now.AddHours(-1), endsAt = now.AddDays(14), liveCodeId,
            successRequires = requires ?? [kind == ReferralKinds.Group ? ReferralRequirements.Group : ReferralRequirements.Add],
            ladder = new[] { new { threshold = 1, reward = new { kind = RewardKinds.Gift, gift = "帆布袋" } } },
            posterTitle = title, posterText = text,
        })).ReadAsync<ReferralCampaign>(HttpStatusCode.Created);
    }

    public static async Task<ReferralsApi.ParticipantView> JoinAsync(HttpClient admin, Guid campaignId, Guid customerId) =>
        await (await admin.PostAsJsonAsync($"/api/referrals/campaigns/{campaignId}/participants", new { customerId })).ReadAsync<ReferralsApi.ParticipantView>(HttpStatusCode.Created);

    /// <summary>A group live code over two group chats; the first admits <paramref name="firstCapacity"/> people.</summary>
    public static async Task<(LiveCodeView Code, CarrierAccount First, CarrierAccount Second)> GroupCodeAsync(HttpClient admin, Guid channelId, int firstCapacity)
    {
        var first = await (await admin.PostAsJsonAsync("/api/carriers", new { kind = CarrierKinds.GroupChat, name = "新品体验群 1", externalId = "wrChatOne" }))
            .ReadAsync<CarrierAccount>(HttpStatusCode.Created);
        var second = await (await admin.PostAsJsonAsync("/api/carriers", new { kind = CarrierKinds.GroupChat, name = "新品体验群 2", externalId = "wrChatTwo" }))
            .ReadAsync<CarrierAccount>(HttpStatusCode.Created);
        var code = await (await admin.PostAsJsonAsync("/api/live-codes", new
        {
            channelId, kind = LiveCodeKinds.Group, name = "进群裂变群码",
            members = new object[] { new { carrierId = first.Id, capacity = firstCapacity }, new { carrierId = second.Id, capacity = 200 } },
        })).ReadAsync<LiveCodeView>(HttpStatusCode.Created);
        return (code, first, second);
    }

    /// <summary>A participant's poster view count as the API shows it.</summary>
    public static async Task<int> ViewsAsync(HttpClient admin, Guid participantId) =>
        (await admin.GetAsync<ReferralsApi.ParticipantView>($"/api/referrals/participants/{participantId}")).PosterViews;

    /// <summary>Checks a poster: a 750×1334 PNG with real content, whose QR code decodes (zbarimg) to <paramref name="link"/>.</summary>
    public static async Task<SKBitmap> ShouldBePosterAsync(byte[] png, string link)
    {
        png.AsSpan(0, 8).ToArray().ShouldBe(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 });
        var bitmap = SKBitmap.Decode(png);
        bitmap.ShouldNotBeNull();
        (bitmap.Width, bitmap.Height).ShouldBe((PosterRenderer.Width, PosterRenderer.Height));
        // Not blank: a drawn poster has many colours (gradient, text, the QR code's black and white).
        var colours = new HashSet<SKColor>();
        for (var y = 0; y < bitmap.Height; y += 7)
        {
            for (var x = 0; x < bitmap.Width; x += 7)
                colours.Add(bitmap.GetPixel(x, y));
        }

        colours.Count.ShouldBeGreaterThan(200);
        var file = Path.Combine(Path.GetTempPath(), $"pond-poster-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(file, png);
        try
        {
            (await QrCodeTests.DecodeAsync(file)).ShouldBe(link);
        }
        finally
        {
            File.Delete(file);
        }

        return bitmap;
    }

    /// <summary>A photo-like background (a diagonal blue-to-green gradient) in the given format.</summary>
    public static byte[] Background(int width = 750, int height = 1334, SKEncodedImageFormat format = SKEncodedImageFormat.Jpeg)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        using var paint = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                [new SKColor(0x20, 0x60, 0xd0), new SKColor(0x20, 0xc0, 0x60)], SKShaderTileMode.Clamp),
        };
        surface.Canvas.DrawRect(0, 0, width, height, paint);
        using var image = surface.Snapshot();
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }
}
