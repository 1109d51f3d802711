using Microsoft.AspNetCore.Http.HttpResults;
using Pond.Fission;
using Pond.Server.Auth;
using Pond.Server.Channels;
using Pond.Workspaces;

namespace Pond.Server.Fission;

/// <summary>
/// Invitation posters (docs/fission-posters.md): a campaign's background image, the poster preview, each participant's
/// poster for the console, and the public poster behind an invite code (/r/{code}/poster.png) that the mini-program
/// shows and shares. The landing page /r/{code} is a console page (Components/Pages/Fission/ReferralLandingPage.razor).
/// </summary>
internal static class PostersApi
{
    /// <summary>Browsers and the mini-program may keep a poster a few minutes; a renamed inviter shows up after that.</summary>
    private const string PosterCaching = "private, max-age=300";

    public static IServiceCollection AddReferralPosters(this IServiceCollection services)
    {
        services.AddSingleton<ReferralPosters>();
        services.AddSingleton<ReferralLanding>();
        return services;
    }

    public static IEndpointRouteBuilder MapPostersApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/referrals").WithTags("Referrals").RequireAuthorization(Policies.Read)
            .NotForStaffRole("Referral campaigns range over every customer")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapPut("/campaigns/{id:guid}/poster-background", SetReferralPosterBackground).WithName("SetReferralPosterBackground")
            .RequireAuthorization(Policies.Operate)
            .WithSummary("Sets the campaign's poster background (body: a PNG or JPEG, at most 3 MB, each side 320–4096 px; 750×1334 is ideal). A refused image keeps the old one.")
            .Accepts<byte[]>("image/png", "image/jpeg").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/campaigns/{id:guid}/poster-background", DeleteReferralPosterBackground).WithName("DeleteReferralPosterBackground")
            .RequireAuthorization(Policies.Operate).WithSummary("Removes the background: posters use Pond's own design.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/campaigns/{id:guid}/poster-background", GetReferralPosterBackground).WithName("GetReferralPosterBackground")
            .WithSummary("The uploaded background image (404 when the campaign uses Pond's design).")
            .Produces(StatusCodes.Status200OK, contentType: "image/png").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/campaigns/{id:guid}/poster-preview.png", PreviewReferralPoster).WithName("PreviewReferralPoster")
            .WithSummary("The campaign's poster with a sample participant; title and text stand in for the saved words (the editor's live preview).")
            .Produces(StatusCodes.Status200OK, contentType: "image/png").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/participants/{participantId:guid}/poster.png", GetReferralParticipantPoster).WithName("GetReferralParticipantPoster")
            .WithSummary("A participant's invitation poster: the campaign background, their nickname, the QR code of their link /r/{code} and the invite code.")
            .Produces(StatusCodes.Status200OK, contentType: "image/png").ProducesProblem(StatusCodes.Status404NotFound);

        // The console editor's live preview of a campaign not saved yet (Pond's design, the words typed so far).
        routes.MapGet("/fission/referrals/poster-preview.png", DraftReferralPoster).RequireAuthorization(Policies.Operate)
            .NotForStaffRole("Referral campaigns range over every customer").ExcludeFromDescription();

        // Public: the invite code is unguessable (10 characters of 31), and the poster shows only what the inviter shares.
        routes.MapGet("/r/{code}/poster.png", PublicReferralPoster).AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    private static string LinkOf(HttpContext context, string code) => ShortLinks.Absolute(context, $"/r/{code}");

    private static FileContentHttpResult Png(HttpContext context, byte[] png, string? name = null)
    {
        context.Response.Headers.CacheControl = PosterCaching;
        return TypedResults.File(png, "image/png", name);
    }

    public static async Task<Ok<PosterBackgroundInfo>> SetReferralPosterBackground(Guid id, HttpContext context, ReferralPosters posters)
    {
        var caller = context.Caller();
        if (context.Request.ContentLength > PosterRenderer.MaxBackgroundBytes)
            throw new ValidationFailedException($"The background image may be at most {PosterRenderer.MaxBackgroundBytes / 1024 / 1024} MB.", "background");
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        // Read at most one byte past the limit: a body without a length must not fill memory either.
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            body.Write(buffer, 0, read);
            if (body.Length > PosterRenderer.MaxBackgroundBytes)
                throw new ValidationFailedException($"The background image may be at most {PosterRenderer.MaxBackgroundBytes / 1024 / 1024} MB.", "background");
        }

        return TypedResults.Ok(await posters.SetBackgroundAsync(caller.WorkspaceId, id, body.ToArray(), caller.Actor));
    }

    public static async Task<NoContent> DeleteReferralPosterBackground(Guid id, HttpContext context, ReferralPosters posters)
    {
        var caller = context.Caller();
        await posters.DeleteBackgroundAsync(caller.WorkspaceId, id, caller.Actor);
        return TypedResults.NoContent();
    }

    public static async Task<Results<FileContentHttpResult, NotFound>> GetReferralPosterBackground(Guid id, HttpContext context, ReferralPosters posters, ReferralCampaigns campaigns)
    {
        var workspaceId = context.Caller().WorkspaceId;
        await campaigns.GetAsync(workspaceId, id);
        return await posters.BackgroundAsync(workspaceId, id) is { } background
            ? TypedResults.File(background.Image, background.ContentType)
            : TypedResults.NotFound();
    }

    /// <param name="title">Words to show instead of the saved poster title (at most 40 characters are used).</param>
    /// <param name="text">Words to show instead of the saved poster text (at most 120 characters are used).</param>
    public static async Task<FileContentHttpResult> PreviewReferralPoster(Guid id, HttpContext context, ReferralPosters posters, string? title = null, string? text = null)
    {
        var png = await posters.PreviewAsync(context.Caller().WorkspaceId, id, code => LinkOf(context, code), title, text);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.File(png, "image/png");
    }

    public static async Task<FileContentHttpResult> DraftReferralPoster(HttpContext context, ReferralPosters posters, string? title = null, string? text = null)
    {
        var png = await posters.DraftPreviewAsync(context.Caller().WorkspaceId, code => LinkOf(context, code), title, text);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.File(png, "image/png");
    }

    public static async Task<FileContentHttpResult> GetReferralParticipantPoster(Guid participantId, HttpContext context, ReferralPosters posters) =>
        Png(context, await posters.PosterAsync(context.Caller().WorkspaceId, participantId, code => LinkOf(context, code)));

    public static async Task<Results<FileContentHttpResult, NotFound>> PublicReferralPoster(string code, HttpContext context, ReferralPosters posters) =>
        await posters.PosterByCodeAsync(code, c => LinkOf(context, c)) is { } png ? Png(context, png) : TypedResults.NotFound();
}
