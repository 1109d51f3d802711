using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Pond.WeChat;
using Pond.WeCom;

namespace Pond.Server.Channels;

/// <summary>
/// The callback URLs WeCom and the official account call: /hooks/wecom/{workspace} and /hooks/wechat-oa/{workspace}.
/// They authenticate by signature, not by Pond's keys; a bad signature is a 401 and nothing is stored. Events are
/// durable in the event log before the "success" answer, so WeCom's retries are safe.
/// </summary>
internal static class HooksApi
{
    public static IEndpointRouteBuilder MapHooks(this IEndpointRouteBuilder routes)
    {
        var hooks = routes.MapGroup("/hooks").WithTags("Callbacks").AllowAnonymous().DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status404NotFound);
        hooks.MapGet("/wecom/{workspace:guid}", VerifyWeCom).WithName("VerifyWeComCallbackUrl")
            .WithSummary("WeCom's URL check: answers the decrypted echostr.");
        hooks.MapPost("/wecom/{workspace:guid}", ReceiveWeCom).WithName("ReceiveWeComCallback")
            .WithSummary("An encrypted WeCom event (change_external_contact, change_external_chat).");
        hooks.MapGet("/wechat-oa/{workspace:guid}", VerifyOfficialAccount).WithName("VerifyOfficialAccountUrl");
        hooks.MapPost("/wechat-oa/{workspace:guid}", ReceiveOfficialAccount).WithName("ReceiveOfficialAccountEvent")
            .WithSummary("An official-account event (subscribe with qrscene_, SCAN, unsubscribe), plain mode.");
        return routes;
    }

    public static async Task<ContentHttpResult> VerifyWeCom(
        Guid workspace, [FromQuery(Name = "msg_signature")] string? msgSignature, string? timestamp, string? nonce, string? echostr, WeComHook hook) =>
        TypedResults.Text(await hook.VerifyUrlAsync(workspace, new CallbackQuery(msgSignature, timestamp, nonce), echostr));

    public static async Task<ContentHttpResult> ReceiveWeCom(
        Guid workspace, [FromQuery(Name = "msg_signature")] string? msgSignature, string? timestamp, string? nonce, HttpRequest request, WeComHook hook)
    {
        var body = await ReadBodyAsync(request);
        await hook.ReceiveAsync(workspace, new CallbackQuery(msgSignature, timestamp, nonce), body);
        return TypedResults.Text("success");
    }

    public static async Task<ContentHttpResult> VerifyOfficialAccount(
        Guid workspace, string? signature, string? timestamp, string? nonce, string? echostr, OfficialAccountHook hook) =>
        TypedResults.Text(await hook.VerifyUrlAsync(workspace, signature, timestamp, nonce, echostr));

    public static async Task<ContentHttpResult> ReceiveOfficialAccount(
        Guid workspace, string? signature, string? timestamp, string? nonce, HttpRequest request, OfficialAccountHook hook)
    {
        var body = await ReadBodyAsync(request);
        await hook.ReceiveAsync(workspace, signature, timestamp, nonce, body);
        return TypedResults.Text("success");
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength > WeComCallback.MaxBodyBytes)
            throw new CallbackRejectedException($"A callback body is at most {WeComCallback.MaxBodyBytes / 1024} KB.");
        var buffer = new char[WeComCallback.MaxBodyBytes + 1];
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var read = await reader.ReadBlockAsync(buffer, request.HttpContext.RequestAborted);
        if (read > WeComCallback.MaxBodyBytes)
            throw new CallbackRejectedException($"A callback body is at most {WeComCallback.MaxBodyBytes / 1024} KB.");
        return new string(buffer, 0, read);
    }
}
