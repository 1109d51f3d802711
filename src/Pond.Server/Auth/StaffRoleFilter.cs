namespace Pond.Server.Auth;

/// <summary>
/// Keeps the staff role (which sees only its own customers) out of endpoints that range over other staff
/// members' customers: a 403 whose message says why and whom to ask.
/// </summary>
internal static class StaffRoleFilter
{
    public static TBuilder NotForStaffRole<TBuilder>(this TBuilder builder, string why) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
            context.HttpContext.Caller().OnlyOwnedBy is null
                ? await next(context)
                : TypedResults.Problem(
                    $"{why}; your role sees only its own customers. Ask an operator or admin.",
                    statusCode: StatusCodes.Status403Forbidden, title: "Forbidden"));
}
