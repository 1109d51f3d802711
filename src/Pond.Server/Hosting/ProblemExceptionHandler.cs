using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Pond.Server.Hosting;

/// <summary>
/// The one place errors become responses: RFC 9457 problem details whose detail says what to fix.
/// Anything unexpected is a 500 with no stack trace (it goes to the log instead).
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = exception switch
        {
            ValidationFailedException e => (StatusCodes.Status400BadRequest, "Invalid request", e.Message),
            NotFoundException e => (StatusCodes.Status404NotFound, "Not found", e.Message),
            ConflictException e => (StatusCodes.Status409Conflict, "Conflict", e.Message),
            Pond.WeCom.CallbackSignatureException e => (StatusCodes.Status401Unauthorized, "Signature rejected", e.Message),
            Pond.WeCom.CallbackRejectedException e => (StatusCodes.Status400BadRequest, "Callback rejected", e.Message),
            BadHttpRequestException e when e.InnerException is JsonException json =>
                (StatusCodes.Status400BadRequest, "Malformed JSON", json.Message),
            BadHttpRequestException e => (e.StatusCode, "Bad request", e.Message),
            JsonException e => (StatusCodes.Status400BadRequest, "Malformed JSON", e.Message),
            _ => (StatusCodes.Status500InternalServerError, "Server error", "Something went wrong on our side; it has been logged."),
        };
        if (status >= 500)
            logger.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);

        context.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (exception is ValidationFailedException { Field: { } field })
            problem.Extensions["field"] = field;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }
}
