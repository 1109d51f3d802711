using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pond.Alerts;
using Pond.Channels;
using Pond.Customers;
using Pond.Messaging;
using Pond.Server.Auth;
using Pond.Workspaces;
using Pond.WeChat;
using Pond.WeCom;

namespace Pond.Server.Channels;

/// <summary>
/// The admin API for acquisition: channels and their spend (/api/channels), live codes with their QR images
/// (/api/live-codes), the brand logo, console alerts, the outbox, and the WeCom / official-account connections.
/// </summary>
internal static class ChannelsApi
{
    public static IServiceCollection AddChannels(this IServiceCollection services, bool runEngines)
    {
        services.AddSingleton<AlertBoard>();
        services.TryAddSingleton<WeComConnections>();
        services.AddSingleton<ChannelCatalog>();
        services.AddSingleton<LiveCodeLanding>();
        services.AddSingleton<WeComHook>();
        services.AddSingleton<OfficialAccountHook>();
        services.AddSingleton<Outbox>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddSingleton<ICustomerMergeParticipant, AcquisitionMergeParticipant>();
        if (runEngines)
            services.AddHostedService<OutboxEngine>();
        return services;
    }

    public static IEndpointRouteBuilder MapChannelsApi(this IEndpointRouteBuilder routes)
    {
        var channels = Group(routes, "/api/channels", "Channels");
        channels.MapGet("/", ListChannels).WithName("ListChannels").WithSummary("Channels, newest first, with their code count and total spend.");
        channels.MapGet("/{id:guid}", GetChannel).WithName("GetChannel").ProducesProblem(StatusCodes.Status404NotFound);
        channels.MapPost("/", CreateChannel).WithName("CreateChannel").RequireAuthorization(Policies.Operate)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        channels.MapPut("/{id:guid}", UpdateChannel).WithName("UpdateChannel").RequireAuthorization(Policies.Operate)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        channels.MapDelete("/{id:guid}", DeleteChannel).WithName("DeleteChannel").RequireAuthorization(Policies.Operate)
            .WithSummary("Deletes a channel nobody arrived through (409 otherwise: archive it).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        channels.MapGet("/{id:guid}/spend", ListSpend).WithName("ListChannelSpend").ProducesProblem(StatusCodes.Status404NotFound);
        channels.MapPost("/{id:guid}/spend", AddSpend).WithName("AddChannelSpend").RequireAuthorization(Policies.Operate)
            .WithSummary("Books money spent on the channel (or one of its codes) on a day.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        channels.MapDelete("/{id:guid}/spend/{entry:guid}", DeleteSpend).WithName("DeleteChannelSpend").RequireAuthorization(Policies.Operate)
            .ProducesProblem(StatusCodes.Status404NotFound);

        var codes = Group(routes, "/api/live-codes", "Live codes");
        codes.MapGet("/", ListCodes).WithName("ListLiveCodes").WithSummary("Live codes, optionally of one channel, with their accounts or groups.");
        codes.MapGet("/{id:guid}", GetCode).WithName("GetLiveCode").ProducesProblem(StatusCodes.Status404NotFound);
        codes.MapPost("/", CreateCode).WithName("CreateLiveCode").RequireAuthorization(Policies.Operate)
            .WithSummary("Creates a channel live code (kind staff) or a group live code (kind group); the answer carries its short link.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        codes.MapPut("/{id:guid}", UpdateCode).WithName("UpdateLiveCode").RequireAuthorization(Policies.Operate)
            .WithSummary("Replaces a code's settings and accounts or groups; the printed QR and short link stay the same.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        codes.MapDelete("/{id:guid}", DeleteCode).WithName("DeleteLiveCode").RequireAuthorization(Policies.Operate)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        codes.MapGet("/{id:guid}/qr.png", QrPng).WithName("LiveCodeQrPng").WithSummary("The code's QR image (PNG), pointing at its short link; logo=true centres the PNG brand logo.")
            .Produces(StatusCodes.Status200OK, contentType: "image/png").ProducesProblem(StatusCodes.Status404NotFound);
        codes.MapGet("/{id:guid}/qr.svg", QrSvg).WithName("LiveCodeQrSvg").WithSummary("The code's QR image (SVG); logo=true centres the brand logo.")
            .Produces(StatusCodes.Status200OK, contentType: "image/svg+xml").ProducesProblem(StatusCodes.Status404NotFound);

        var brand = Group(routes, "/api/brand", "Brand");
        brand.MapGet("/logo.svg", GetLogo).WithName("GetBrandLogo").Produces(StatusCodes.Status200OK, contentType: "image/svg+xml").ProducesProblem(StatusCodes.Status404NotFound);
        brand.MapPut("/logo.svg", SetLogo).WithName("SetBrandLogo").RequireAuthorization(Policies.Administer)
            .WithSummary("Sets the SVG logo centred on QR images (body: the SVG document, Content-Type image/svg+xml).")
            .Accepts<string>("image/svg+xml").ProducesProblem(StatusCodes.Status400BadRequest);
        brand.MapDelete("/logo.svg", DeleteLogo).WithName("DeleteBrandLogo").RequireAuthorization(Policies.Administer);
        brand.MapGet("/logo.png", GetPngLogo).WithName("GetBrandPngLogo").Produces(StatusCodes.Status200OK, contentType: "image/png").ProducesProblem(StatusCodes.Status404NotFound);
        brand.MapPut("/logo.png", SetPngLogo).WithName("SetBrandPngLogo").RequireAuthorization(Policies.Administer)
            .WithSummary("Sets the PNG logo centred on PNG QR images (body: an 8-bit PNG, at most 256 KB).")
            .Accepts<byte[]>("image/png").ProducesProblem(StatusCodes.Status400BadRequest);
        brand.MapDelete("/logo.png", DeletePngLogo).WithName("DeleteBrandPngLogo").RequireAuthorization(Policies.Administer);

        Group(routes, "/api/alerts", "Alerts").MapGet("/", ListAlerts).WithName("ListAlerts").WithSummary("Open console alerts: broken live codes, nearly-full group codes…");
        Group(routes, "/api/outbox", "Outbox").MapGet("/", ListOutbox).WithName("ListOutbox")
            .WithSummary("Outbound messages, newest first, filtered by state, channel, purpose, source, reason or customer, with the reason a message was suppressed or waits.");

        var connections = Group(routes, "/api/connections", "Connections").RequireAuthorization(Policies.Administer);
        connections.MapGet("/wecom", GetWeCom).WithName("GetWeComConnection").ProducesProblem(StatusCodes.Status404NotFound);
        connections.MapPut("/wecom", PutWeCom).WithName("ConnectWeCom")
            .WithSummary("Connects WeCom: corp id, callback Token and EncodingAESKey; the app secret (optional) lets Pond call WeCom.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        connections.MapDelete("/wecom", DeleteWeCom).WithName("DisconnectWeCom");
        connections.MapGet("/wechat-oa", GetOfficialAccount).WithName("GetOfficialAccountConnection").ProducesProblem(StatusCodes.Status404NotFound);
        connections.MapPut("/wechat-oa", PutOfficialAccount).WithName("ConnectOfficialAccount").ProducesProblem(StatusCodes.Status400BadRequest);
        return routes;
    }

    private static RouteGroupBuilder Group(IEndpointRouteBuilder routes, string prefix, string tag) =>
        routes.MapGroup(prefix).WithTags(tag).RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);

    public static async Task<Ok<IReadOnlyList<Channel>>> ListChannels(HttpContext context, ChannelCatalog catalog) =>
        TypedResults.Ok(await catalog.ListChannelsAsync(context.Caller().WorkspaceId));

    public static async Task<Ok<Channel>> GetChannel(Guid id, HttpContext context, ChannelCatalog catalog) =>
        TypedResults.Ok(await catalog.GetChannelAsync(context.Caller().WorkspaceId, id));

    public static async Task<Created<Channel>> CreateChannel(ChannelInput input, HttpContext context, ChannelCatalog catalog)
    {
        var caller = context.Caller();
        var created = await catalog.CreateChannelAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/channels/{created.Id}", created);
    }

    public static async Task<Ok<Channel>> UpdateChannel(Guid id, ChannelInput input, HttpContext context, ChannelCatalog catalog)
    {
        var caller = context.Caller();
        return TypedResults.Ok(await catalog.UpdateChannelAsync(caller.WorkspaceId, id, input, caller.Actor));
    }

    public static async Task<NoContent> DeleteChannel(Guid id, HttpContext context, ChannelCatalog catalog)
    {
        var caller = context.Caller();
        await catalog.DeleteChannelAsync(caller.WorkspaceId, id, caller.Actor);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<IReadOnlyList<SpendEntry>>> ListSpend(Guid id, HttpContext context, ChannelCatalog catalog) =>
        TypedResults.Ok(await catalog.ListSpendAsync(context.Caller().WorkspaceId, id));

    public static async Task<Created<SpendEntry>> AddSpend(Guid id, SpendInput input, HttpContext context, ChannelCatalog catalog)
    {
        var caller = context.Caller();
        var entry = await catalog.AddSpendAsync(caller.WorkspaceId, id, input, caller.Actor);
        return TypedResults.Created($"/api/channels/{id}/spend/{entry.Id}", entry);
    }

    public static async Task<NoContent> DeleteSpend(Guid id, Guid entry, HttpContext context, ChannelCatalog catalog)
    {
        var caller = context.Caller();
        await catalog.DeleteSpendAsync(caller.WorkspaceId, id, entry, caller.Actor);
        return TypedResults.NoContent();
    }

    /// <param name="channel">A channel id: only its codes.</param>
    public static async Task<Ok<IReadOnlyList<LiveCodeView>>> ListCodes(string? channel, HttpContext context, ChannelCatalog catalog)
    {
        var codes = await catalog.ListCodesAsync(context.Caller().WorkspaceId, CustomerQuery.ParseId(channel, "channel"));
        return TypedResults.Ok<IReadOnlyList<LiveCodeView>>(codes.Select(c => LiveCodeView.From(c, ShortLinks.For(context, c.Slug))).ToList());
    }

    public static async Task<Ok<LiveCodeView>> GetCode(Guid id, HttpContext context, ChannelCatalog catalog)
    {
        var code = await catalog.GetCodeAsync(context.Caller().WorkspaceId, id);
        return TypedResults.Ok(LiveCodeView.From(code, ShortLinks.For(context, code.Slug)));
    }

    public static async Task<Created<LiveCodeView>> CreateCode(LiveCodeInput input, HttpContext context, ChannelCatalog catalog)
    {
        var caller = context.Caller();
        var code = await catalog.CreateCodeAsync(caller.WorkspaceId, input, caller.Actor);
        return TypedResults.Created($"/api/live-codes/{code.Id}", LiveCodeView.From(code, ShortLinks.For(context, code.Slug)));
    }

    public static async Task<Ok<LiveCodeView>> UpdateCode(Guid id, LiveCodeInput input, HttpContext context, ChannelCatalog catalog)
    {
        var caller = context.Caller();
        var code = await catalog.UpdateCodeAsync(caller.WorkspaceId, id, input, caller.Actor);
        return TypedResults.Ok(LiveCodeView.From(code, ShortLinks.For(context, code.Slug)));
    }

    public static async Task<NoContent> DeleteCode(Guid id, HttpContext context, ChannelCatalog catalog)
    {
        var caller = context.Caller();
        await catalog.DeleteCodeAsync(caller.WorkspaceId, id, caller.Actor);
        return TypedResults.NoContent();
    }

    /// <param name="size">Pixels per QR module, 2–40 (default 10).</param>
    /// <param name="logo">true: centre the PNG brand logo (set with PUT /api/brand/logo.png).</param>
    public static async Task<FileContentHttpResult> QrPng(Guid id, int? size, bool? logo, HttpContext context, ChannelCatalog catalog)
    {
        var caller = context.Caller();
        var code = await catalog.GetCodeAsync(caller.WorkspaceId, id);
        var logoPng = logo == true ? await catalog.PngLogoAsync(caller.WorkspaceId)
            ?? throw new ValidationFailedException("No PNG brand logo is set; upload one with PUT /api/brand/logo.png or ask without logo=true.", "logo") : null;
        return TypedResults.File(QrCodes.Png(ShortLinks.For(context, code.Slug), size ?? 10, logoPng is null ? null : PngImage.Decode(logoPng)), "image/png", $"{code.Slug}.png");
    }

    /// <param name="logo">true: centre the brand logo (set with PUT /api/brand/logo.svg).</param>
    public static async Task<FileContentHttpResult> QrSvg(Guid id, bool? logo, HttpContext context, ChannelCatalog catalog)
    {
        var caller = context.Caller();
        var code = await catalog.GetCodeAsync(caller.WorkspaceId, id);
        var logoSvg = logo == true ? await catalog.LogoAsync(caller.WorkspaceId)
            ?? throw new ValidationFailedException("No brand logo is set; upload one with PUT /api/brand/logo.svg or ask without logo=true.", "logo") : null;
        return TypedResults.File(System.Text.Encoding.UTF8.GetBytes(QrCodes.Svg(ShortLinks.For(context, code.Slug), logoSvg)), "image/svg+xml", $"{code.Slug}.svg");
    }

    public static async Task<Results<FileContentHttpResult, NotFound>> GetLogo(HttpContext context, ChannelCatalog catalog) =>
        await catalog.LogoAsync(context.Caller().WorkspaceId) is { } svg
            ? TypedResults.File(System.Text.Encoding.UTF8.GetBytes(svg), "image/svg+xml")
            : TypedResults.NotFound();

    public static async Task<NoContent> SetLogo(HttpContext context, ChannelCatalog catalog)
    {
        var caller = context.Caller();
        if (context.Request.ContentLength > ChannelCatalog.MaxLogoBytes)
            throw new ValidationFailedException($"The logo is at most {ChannelCatalog.MaxLogoBytes / 1024} KB of SVG.", "logo");
        using var reader = new StreamReader(context.Request.Body);
        var svg = await reader.ReadToEndAsync(context.RequestAborted);
        await catalog.SetLogoAsync(caller.WorkspaceId, svg, caller.Actor);
        return TypedResults.NoContent();
    }

    public static async Task<Results<FileContentHttpResult, NotFound>> GetPngLogo(HttpContext context, ChannelCatalog catalog) =>
        await catalog.PngLogoAsync(context.Caller().WorkspaceId) is { } png ? TypedResults.File(png, "image/png") : TypedResults.NotFound();

    public static async Task<NoContent> SetPngLogo(HttpContext context, ChannelCatalog catalog)
    {
        var caller = context.Caller();
        if (context.Request.ContentLength > ChannelCatalog.MaxPngLogoBytes)
            throw new ValidationFailedException($"The PNG logo is at most {ChannelCatalog.MaxPngLogoBytes / 1024} KB.", "logo");
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        await catalog.SetPngLogoAsync(caller.WorkspaceId, body.ToArray(), caller.Actor);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> DeletePngLogo(HttpContext context, ChannelCatalog catalog)
    {
        var caller = context.Caller();
        await catalog.SetPngLogoAsync(caller.WorkspaceId, null, caller.Actor);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> DeleteLogo(HttpContext context, ChannelCatalog catalog)
    {
        var caller = context.Caller();
        await catalog.SetLogoAsync(caller.WorkspaceId, null, caller.Actor);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<IReadOnlyList<Alert>>> ListAlerts(HttpContext context, AlertBoard alerts) =>
        TypedResults.Ok(await alerts.OpenAsync(context.Caller().WorkspaceId));

    /// <param name="state">scheduled, sending, sent, failed or held.</param>
    public static async Task<Ok<IReadOnlyList<OutboxMessage>>> ListOutbox(
        string? state, string? channel, string? purpose, string? source, string? reason, Guid? customerId, int? limit, HttpContext context, Outbox outbox) =>
        TypedResults.Ok(await outbox.ListAsync(context.Caller().WorkspaceId,
            new OutboxFilter { State = state, Channel = channel, Purpose = purpose, Source = source, Reason = reason, CustomerId = customerId }, limit ?? 200, context.Caller().OnlyOwnedBy));

    public static async Task<Results<Ok<WeComConnectionView>, NotFound>> GetWeCom(HttpContext context, WeComConnections connections) =>
        await connections.GetAsync(context.Caller().WorkspaceId) is { } connection ? TypedResults.Ok(WeComConnectionView.From(connection, context)) : TypedResults.NotFound();

    public static async Task<Ok<WeComConnectionView>> PutWeCom(WeComConnectionInput input, HttpContext context, WeComConnections connections)
    {
        var caller = context.Caller();
        return TypedResults.Ok(WeComConnectionView.From(await connections.SaveAsync(caller.WorkspaceId, input, caller.Actor), context));
    }

    public static async Task<NoContent> DeleteWeCom(HttpContext context, WeComConnections connections)
    {
        var caller = context.Caller();
        await connections.DeleteAsync(caller.WorkspaceId, caller.Actor);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<OfficialAccountView>, NotFound>> GetOfficialAccount(HttpContext context, OfficialAccountHook hook) =>
        await hook.ConnectionAsync(context.Caller().WorkspaceId) is { } connection ? TypedResults.Ok(OfficialAccountView.From(connection, context)) : TypedResults.NotFound();

    public static async Task<Ok<OfficialAccountView>> PutOfficialAccount(OfficialAccountConnectionInput input, HttpContext context, OfficialAccountHook hook)
    {
        var caller = context.Caller();
        return TypedResults.Ok(OfficialAccountView.From(await hook.SaveAsync(caller.WorkspaceId, input, caller.Actor), context));
    }
}

/// <summary>A live code as the API shows it: with its short link.</summary>
internal sealed class LiveCodeView
{
    public required LiveCode Code { get; init; }
    public required string ShortLink { get; init; }

    public static LiveCodeView From(LiveCode code, string shortLink) => new() { Code = code, ShortLink = shortLink };
}

/// <summary>The WeCom connection without its secrets, and the callback URL to paste into WeCom.</summary>
internal sealed class WeComConnectionView
{
    public string CorpId { get; init; } = "";
    public bool HasSecret { get; init; }
    public string? ApiBaseUrl { get; init; }
    public string CallbackUrl { get; init; } = "";
    public DateTimeOffset UpdatedAt { get; init; }

    public static WeComConnectionView From(WeComConnection c, HttpContext context) => new()
    {
        CorpId = c.CorpId, HasSecret = c.CanCallApi, ApiBaseUrl = c.ApiBaseUrl, UpdatedAt = c.UpdatedAt,
        CallbackUrl = ShortLinks.Absolute(context, $"/hooks/wecom/{c.WorkspaceId}"),
    };
}

internal sealed class OfficialAccountView
{
    public string AppId { get; init; } = "";
    public string CallbackUrl { get; init; } = "";
    public DateTimeOffset UpdatedAt { get; init; }

    public static OfficialAccountView From(OfficialAccountConnection c, HttpContext context) => new()
    {
        AppId = c.AppId, UpdatedAt = c.UpdatedAt, CallbackUrl = ShortLinks.Absolute(context, $"/hooks/wechat-oa/{c.WorkspaceId}"),
    };
}

/// <summary>Absolute links to Pond: from POND_PUBLIC_URL when set (behind a proxy), else from the request.</summary>
internal static class ShortLinks
{
    public static string For(HttpContext context, string slug) => Absolute(context, $"/c/{slug}");

    public static string Absolute(HttpContext context, string path)
    {
        var configured = context.RequestServices.GetRequiredService<Hosting.PondOptions>().PublicUrl;
        var origin = string.IsNullOrWhiteSpace(configured) ? $"{context.Request.Scheme}://{context.Request.Host}" : configured.TrimEnd('/');
        return origin + path;
    }
}
